"""Every customer and staff page, at the kiosk's and a phone's size, checked by axe-core in Chromium: no serious or
critical violation (names for images and fields, a heading, contrast of at least 4.5:1, ...), touch targets of at
least 48 px (slider handles included), and no sideways scrolling on a phone. axe-core comes from npm (`make test`)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By

from tests.conftest import machines_file
from tests.pages.person import Person, until
from tests.pages.test_browser import KIOSK, PHONE, browser, set_viewport, shoot
from tests.server_process import ServerProcess

pytestmark = pytest.mark.slow  # Chromium against a real server process

__all__ = ["browser"]  # the Chromium fixture, shared with the other browser tests

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
MIN_TARGET_PX = 48
PASSWORD = "correct horse battery"

RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.filter(
    v => v.impact === 'serious' || v.impact === 'critical').map(
    v => v.id + ': ' + v.help + ' at ' + v.nodes.slice(0, 3).map(
        n => n.target.join(' ') + ' ' + n.html.slice(0, 80) + ' (' + (n.failureSummary || '').slice(0, 160) + ')'
    ).join(', '))));
"""
# every visible control a finger is meant to hit, and its size; the on-screen keyboard's keys share a row's width
SMALL_TARGETS = """
const min = arguments[0];
const found = [];
for (const el of document.querySelectorAll(
    'button, a[href], input:not([type=hidden]), [role=button], [role=checkbox], [role=switch], .q-slider__thumb')) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
  const box = el.closest('.q-field, .q-checkbox, .q-toggle, .q-slider, .q-btn') || el;
  const b = box.getBoundingClientRect();
  const thumb = el.matches('.q-slider__thumb');  // a slider's handle is its own target, not the slider's row
  const w = thumb ? r.width : Math.max(r.width, b.width);
  const h = thumb ? r.height : Math.max(r.height, b.height);
  if (w < min || h < min) found.push((el.innerText || el.getAttribute('aria-label') || el.className).slice(0, 40)
                                     + ' ' + Math.round(w) + 'x' + Math.round(h));
}
return found;
"""

# a page that scrolls sideways, or cuts off what does not fit, has something right of the screen's edge
BEYOND_THE_RIGHT_EDGE = """
const width = arguments[0];  // the phone's own: a mobile browser zooms out to a wider page, widening innerWidth
const found = [];
if (document.documentElement.scrollWidth > width || window.innerWidth > width) found.push('wider than the screen');
for (const el of document.querySelectorAll('.nicegui-content *')) {
  if (el.closest('.nicegui-scene')) continue;  // three.js layers, clipped to the scene's own box
  const r = el.getBoundingClientRect();
  if (r.width > 0 && r.height > 0 && r.right > width + 1 && getComputedStyle(el).visibility !== 'hidden')
    found.push((el.innerText || el.outerHTML).slice(0, 120) + ' reaches ' + Math.round(r.right) + ' px');
}
return found.slice(0, 5);
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("a11y")
    config = folder / "fabkiosk.toml"
    config.write_text(f'machines_file = "{machines_file(folder, 20)}"\n')
    process = ServerProcess(folder / "data", config)
    process.start()
    subprocess.run(
        [sys.executable, "-m", "app", "user", "add", "sam", "--password-stdin", "--data-dir", str(process.data_dir)],
        input=(PASSWORD + "\n").encode(),
        check=True,
        capture_output=True,
    )
    try:
        yield process
    finally:
        process.stop()


def check(driver: webdriver.Chrome, name: str, phone: bool = False) -> list[str]:
    """axe-core's serious and critical findings, small touch targets and (on a phone) sideways scrolling."""
    time.sleep(0.5)  # the page's last updates land
    if not driver.execute_script("return typeof axe !== 'undefined'"):
        driver.execute_script(AXE.read_text())
    problems = [f"{name}: {v}" for v in driver.execute_async_script(RUN_AXE)]
    problems += [f"{name}: small touch target {s}" for s in driver.execute_script(SMALL_TARGETS, MIN_TARGET_PX)]
    if phone:
        beyond = driver.execute_script(BEYOND_THE_RIGHT_EDGE, PHONE[0])
        problems += [f"{name}: beyond the phone's right edge (scrolls sideways or is cut off): {b}" for b in beyond]
    shoot(driver, f"a11y-{name}")
    return problems


def test_every_page_at_both_sizes_passes_axe_core(browser: webdriver.Chrome, server: ServerProcess) -> None:
    if not AXE.exists():
        pytest.fail("axe-core is missing: `make test` installs it with npm")
    base, driver, person = server.base, browser, Person(browser)
    driver.set_script_timeout(60)
    problems: list[str] = []
    for size, phone in ((KIOSK, False), (PHONE, True)):
        tag = "phone" if phone else "kiosk"
        set_viewport(driver, size, mobile=phone)
        for path, name, shows, on_phones in (
            ("/?lang=en", "catalog", "Printer 1", False),  # the kiosk's own screen is never a phone
            ("/order?lang=en", "order", "Printer 1", True),
            ("/j?lang=en", "code", "Open my job", True),
        ):
            driver.get(base + path)
            until(lambda shows=shows: shows in driver.page_source, 30, path)
            problems += check(driver, f"{tag}-{name}", phone and on_phones)
        driver.get(base + "/staff/login?lang=en")
        problems += check(driver, f"{tag}-staff-sign-in", phone)

    # the kiosk's steps, at the kiosk (a keychain, to a running job)
    set_viewport(driver, KIOSK)
    driver.get(base + "/?lang=en")
    until(lambda: "Printer 1: Ready" in driver.page_source, 30, "the printer")
    person.tap(person.find("[data-testid=template-keychain]", "the keychain"), "the keychain")
    person.button("See the price", timeout=120)
    problems += check(driver, "kiosk-personalise")
    person.tap(person.find("[data-testid=param-name]", "the name field"), "the name field")
    person.find("[data-testid=keyboard]", "the keyboard")
    time.sleep(1.0)  # the dialog has slid in
    problems += check(driver, "kiosk-keyboard")
    person.tap_button("Done")
    person.tap(person.button("See the price", timeout=120), "See the price")
    problems += check(driver, "kiosk-price")
    person.tap_button("Go to Printer 1")
    person.find("[data-testid=confirm]", "the confirmation")
    problems += check(driver, "kiosk-at-the-machine")
    person.tap(person.find("[data-testid=confirm]", "the confirmation"), "the confirmation")
    person.tap(person.find("[data-testid=start]", "Start", enabled=True), "Start")
    person.find("[data-testid=stop]", "STOP", 60)
    problems += check(driver, "kiosk-running")
    person.tap_button("Follow it on your phone")
    code = person.find("[data-testid=short-code]", "the short code").text
    problems += check(driver, "kiosk-handoff")

    # the job's own page, on a phone and at the kiosk's size
    set_viewport(driver, PHONE, mobile=True)
    driver.get(base + "/j?lang=en")
    person.find("input[data-testid=code-input]", "the code field").send_keys(code)
    person.tap_button("Open my job")
    until(lambda: "/job/" in driver.current_url, 20, "the job page")
    job = driver.current_url
    person.find("[data-testid=stop]", "STOP")
    problems += check(driver, "phone-job", phone=True)
    set_viewport(driver, KIOSK)
    driver.get(job)
    person.find("[data-testid=stop]", "STOP")
    problems += check(driver, "kiosk-job")

    # the staff console, signed in through its form
    for size, phone in ((KIOSK, False), (PHONE, True)):
        set_viewport(driver, size, mobile=phone)
        driver.get(base + "/staff/login?lang=en")
        if "Needs you" not in driver.page_source:
            driver.find_element(By.NAME, "name").send_keys("sam")
            driver.find_element(By.NAME, "password").send_keys(PASSWORD)
            driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        until(lambda: "Needs you" in driver.page_source, 20, "the console")
        problems += check(driver, f"{'phone' if phone else 'kiosk'}-staff-console")
    assert problems == [], "\n".join(problems)
