"""In Chromium, at the kiosk's and a phone's screen sizes: the 3-D preview renders, nothing scrolls on the main steps,
and STOP is visible and enabled on every screen of a running job. Screenshots are kept in screenshots/ (not committed).
"""

from __future__ import annotations

import os
import shutil
import struct
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

from tests.conftest import machines_file
from tests.pages.person import Person, until
from tests.server_process import running_server

pytestmark = pytest.mark.slow  # Chromium against a real server process

SCREENSHOTS = Path(__file__).parent.parent.parent / "screenshots"
KIOSK = (1280, 800)
PHONE = (390, 844)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("browser")
    config = folder / "fabkiosk.toml"
    config.write_text(f'machines_file = "{machines_file(folder, 20)}"\n')
    with running_server(folder / "data", config) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    if shutil.which("chromedriver") is None:
        pytest.fail("chromedriver is missing: `make test` installs the chromium-driver package")
    os.environ["SE_OFFLINE"] = "true"  # never let Selenium fetch a driver from the network
    options = webdriver.ChromeOptions()
    for argument in (
        "headless=new",
        "no-sandbox",
        "disable-dev-shm-usage",
        "disable-gpu",
        "enable-unsafe-swiftshader",  # WebGL in software, so the 3-D scene renders headless
        "use-angle=swiftshader",
        "disable-background-networking",
        f"window-size={KIOSK[0]},{KIOSK[1]}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def set_viewport(driver: webdriver.Chrome, size: tuple[int, int], mobile: bool = False) -> None:
    """Exactly this many CSS pixels of page, as the kiosk's screen or a phone shows (no browser frame)."""
    width, height = size
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
    )


def wait(condition: Callable[[], object], timeout: float = 60.0, what: str = "condition") -> object:
    return until(condition, timeout, what)


def button(driver: webdriver.Chrome, text: str) -> WebElement:
    return driver.find_element(By.XPATH, f"//button[.//span[normalize-space()='{text}']]")


def enabled_button(driver: webdriver.Chrome, text: str) -> WebElement | None:
    found = button(driver, text)
    return found if found.is_enabled() and found.get_attribute("disabled") is None else None


def by_test_id(driver: webdriver.Chrome, test_id: str) -> WebElement:
    return driver.find_element(By.CSS_SELECTOR, f"[data-testid={test_id}]")


def shoot(driver: webdriver.Chrome, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def fits_without_scrolling(driver: webdriver.Chrome) -> bool:
    return bool(driver.execute_script("return document.documentElement.scrollHeight <= window.innerHeight + 1"))


def assert_stop_ready(driver: webdriver.Chrome) -> None:
    stop = wait(lambda: by_test_id(driver, "stop"), 30, "the STOP button")
    assert isinstance(stop, WebElement)
    assert stop.is_displayed() and stop.is_enabled() and stop.get_attribute("disabled") is None
    rect = stop.rect
    width, height = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    assert rect["x"] >= 0 and rect["y"] >= 0, rect
    assert rect["x"] + rect["width"] <= width and rect["y"] + rect["height"] <= height, (rect, width, height)
    assert rect["height"] >= 48 and rect["width"] >= 48


def part_pixels(png: bytes) -> int:
    """How many pixels have a colour (the shaded part), not the greys of the grid and the background."""
    width, height, channels, rows = _decode_png(png)
    count = 0
    for row in rows:
        for i in range(0, width * channels, channels):
            r, g, b = row[i], row[i + 1], row[i + 2]
            if max(r, g, b) - min(r, g, b) > 40:
                count += 1
    assert len(rows) == height
    return count


def _decode_png(png: bytes) -> tuple[int, int, int, list[bytearray]]:
    """A small PNG reader for Chromium's screenshots: 8-bit RGB or RGBA, not interlaced."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    position, data = 8, b""
    width = height = channels = 0
    while position < len(png):
        length, kind = struct.unpack(">I4s", png[position : position + 8])
        body = png[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            data += body
        position += 12 + length
    raw = zlib.decompress(data)
    stride = width * channels
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        row = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = row[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                row[i] = (row[i] + left) & 0xFF
            elif kind == 2:
                row[i] = (row[i] + up) & 0xFF
            elif kind == 3:
                row[i] = (row[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                predictor = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                row[i] = (row[i] + predictor) & 0xFF
        rows.append(row)
        previous = row
    return width, height, channels, rows


def test_kiosk_and_phone_in_chromium(browser: webdriver.Chrome, base_url: str) -> None:
    driver = browser
    set_viewport(driver, KIOSK)
    driver.get(base_url + "/?lang=en")
    wait(lambda: "Printer 1: Ready" in driver.page_source, 30, "the printer to be ready")
    assert fits_without_scrolling(driver)
    shoot(driver, "kiosk-1-catalog")

    by_test_id(driver, "template-keychain").click()
    wait(lambda: enabled_button(driver, "See the price"), 90, "the first price")
    canvas = driver.find_element(By.CSS_SELECTOR, ".nicegui-scene canvas")
    wait(lambda: part_pixels(canvas.screenshot_as_png) > 500, 30, "the part to appear in the 3-D preview")
    assert fits_without_scrolling(driver)
    shoot(driver, "kiosk-2-personalise")

    button(driver, "See the price").click()
    wait(lambda: by_test_id(driver, "price"), 10, "the price")
    beside = driver.find_element(By.CSS_SELECTOR, "[data-testid=price-part] canvas")
    wait(lambda: part_pixels(beside.screenshot_as_png) > 500, 30, "the part beside the price")
    assert fits_without_scrolling(driver)
    shoot(driver, "kiosk-3-price")

    button(driver, "Go to Printer 1").click()
    wait(lambda: "please check" in driver.page_source, 10, "the checklist")
    for box in driver.find_elements(By.CSS_SELECTOR, ".q-checkbox"):
        box.click()
    start = wait(lambda: enabled_button(driver, "Start"), 10, "Start to be enabled")
    assert isinstance(start, WebElement)
    assert fits_without_scrolling(driver)
    shoot(driver, "kiosk-4-at-the-machine")
    start.click()

    assert_stop_ready(driver)
    assert fits_without_scrolling(driver)
    shoot(driver, "kiosk-5-running")
    button(driver, "Follow it on your phone").click()
    code = wait(lambda: by_test_id(driver, "short-code").text, 10, "the short code")
    assert_stop_ready(driver)
    shoot(driver, "kiosk-6-handoff")

    set_viewport(driver, PHONE, mobile=True)
    driver.get(base_url + "/j?lang=en")
    field = wait(
        lambda: driver.find_element(By.CSS_SELECTOR, "input[data-testid=code-input], [data-testid=code-input] input"),
        10,
        "the code field",
    )
    assert isinstance(field, WebElement)
    field.send_keys(str(code))
    button(driver, "Open my job").click()
    wait(lambda: "/job/" in driver.current_url, 10, "the job page")
    assert_stop_ready(driver)
    width = driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= PHONE[0], "the phone page must not scroll sideways"
    shoot(driver, "phone-1-running")
    wait(lambda: by_test_id(driver, "ready").is_displayed(), 180, "the job to be ready")
    assert (
        not driver.find_elements(By.CSS_SELECTOR, "[data-testid=stop]") or not by_test_id(driver, "stop").is_displayed()
    )
    shoot(driver, "phone-2-ready")
    reminder = driver.find_elements(By.XPATH, "//button[.//span[text()='Tell me when it is ready']]")
    assert not any(r.is_displayed() for r in reminder)  # nothing left to be told
    # the share card as a PNG, made in the phone's browser for its share sheet (or a download)
    png = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fabkioskCardPng(location.pathname + '/card.svg?lang=en').then(b => b.arrayBuffer())"
        ".then(a => done(Array.from(new Uint8Array(a.slice(0, 24))))).catch(e => done(String(e)));"
    )
    assert isinstance(png, list) and bytes(png[:8]) == b"\x89PNG\r\n\x1a\n", png
    width, height = struct.unpack(">II", bytes(png[16:24]))
    assert width >= 600 and height >= 600
    Person(driver).tap(by_test_id(driver, "share-card"), "Share the picture")


def red_pixels(png: bytes) -> int:
    """Pixels of the cut line's red (#d32f2f, lit by the scene's lights) in a toolpath picture."""
    width, _height, channels, rows = _decode_png(png)
    return sum(
        1
        for row in rows
        for i in range(0, width * channels, channels)
        if row[i] > 150 and row[i] - row[i + 1] > 70 and row[i] - row[i + 2] > 70
    )


def test_the_routers_toolpaths_are_drawn_on_the_sheet_in_3d(browser: webdriver.Chrome, base_url: str) -> None:
    driver = browser
    set_viewport(driver, KIOSK)
    driver.get(base_url + "/?lang=en")
    wait(lambda: "CNC router 1: Ready" in driver.page_source, 30, "the router to be ready")
    by_test_id(driver, "template-coaster").click()
    wait(lambda: enabled_button(driver, "See the price"), 90, "the first price")
    canvas = driver.find_element(By.CSS_SELECTOR, ".nicegui-scene canvas")
    wait(lambda: red_pixels(canvas.screenshot_as_png) > 300, 30, "the cut line drawn on the sheet")
    assert part_pixels(canvas.screenshot_as_png) > 5000  # the sheet itself, in the material's colour
    assert fits_without_scrolling(driver)
    shoot(driver, "kiosk-7-router-toolpaths")
