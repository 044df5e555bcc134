"""In Chromium, on a store where the server's own browser is not a kiosk: an unpaired browser (whatever device
cookie it makes up) walks the whole journey for every machine kind and is offered an order, never a start or the
outline; nothing runs on any machine."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By

from app.kiosks import DEVICE_COOKIE
from tests.conftest import machines_file
from tests.pages.test_browser import browser, by_test_id, enabled_button, wait  # noqa: F401 - the browser fixture
from tests.server_process import running_server

pytestmark = pytest.mark.slow  # Chromium against a real server process

TEMPLATES = {"fdm_printer": "keychain", "laser_engraver": "name_sign", "cnc_router": "coaster"}


@pytest.fixture(scope="module")
def unpaired_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("unpaired")
    config = folder / "fabkiosk.toml"
    config.write_text(f'machines_file = "{machines_file(folder, 20)}"\n[store]\nlocal_browser_is_kiosk = false\n')
    with running_server(folder / "data", config) as base:
        yield base, folder / "data"


def offered(driver: webdriver.Chrome, words: tuple[str, ...]) -> set[str]:
    """The buttons on the screen whose text holds one of these words (a button's text includes its icon's name)."""
    texts = {b.text.strip().lower() for b in driver.find_elements(By.TAG_NAME, "button")}  # Quasar shows capitals
    return {text for text in texts if any(word.lower() in text for word in words)}


@pytest.mark.parametrize("kind", TEMPLATES)
def test_an_unpaired_chromium_orders_and_never_starts_or_frames(
    browser: webdriver.Chrome,  # noqa: F811 - the fixture imported above
    unpaired_store: tuple[str, Path],
    kind: str,
) -> None:
    base, data = unpaired_store
    browser.get(base + "/kiosk/pair?lang=en")
    browser.add_cookie({"name": DEVICE_COOKIE, "value": "made-up-by-the-browser", "path": "/"})
    browser.get(base + "/?lang=en")
    wait(lambda: by_test_id(browser, f"template-{TEMPLATES[kind]}"), 30, "the catalog").click()
    wait(lambda: enabled_button(browser, "See the price"), 120, "a price").click()  # type: ignore[union-attr]
    ahead = ("Order for pickup", "Go to", "Start", "Show where it goes")
    wait(lambda: offered(browser, ahead), 60, "the next step after the price")
    assert not offered(browser, ahead[1:])  # never on to the machine
    wait(lambda: enabled_button(browser, "Order for pickup"), 10, "the order button").click()  # type: ignore[union-attr]
    wait(lambda: "Your name for pickup" in browser.page_source, 30, "the name for pickup")
    assert not offered(browser, ahead[1:])
    assert by_test_id(browser, "pair-kiosk").is_displayed()  # the way to become a kiosk: through staff
    with sqlite3.connect(data / "fabkiosk.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM job_events WHERE to_state = 'running'").fetchone()[0] == 0


def test_a_screen_paired_by_staff_becomes_a_kiosk_at_its_machine_by_itself(
    browser: webdriver.Chrome,  # noqa: F811 - the fixture imported above
    unpaired_store: tuple[str, Path],
) -> None:
    base, data = unpaired_store
    browser.get(base + "/kiosk/pair?lang=en")
    wait(lambda: by_test_id(browser, "pair-kiosk"), 30, "the pairing button").click()
    code = wait(lambda: by_test_id(browser, "pairing-code").text, 30, "the pairing code")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "kiosk",
            "pair",
            str(code),
            "--name",
            "Front",
            "--machine",
            "router-1",
            "--data-dir",
            str(data),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    # the screen notices the confirmation, claims its device secret and opens the kiosk beside the router
    wait(lambda: browser.current_url.rstrip("/") == base, 30, "the kiosk page")
    browser.get(base + "/?lang=en")
    wait(lambda: "4 At the machine" in browser.page_source, 30, "the kiosk's own journey")
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-testid=pair-kiosk]")
    wait(lambda: by_test_id(browser, "template-coaster"), 30, "the catalog").click()
    wait(lambda: enabled_button(browser, "See the price"), 120, "a price").click()  # type: ignore[union-attr]
    wait(lambda: offered(browser, ("Go to CNC router 1",)), 60, "the way to the router")
