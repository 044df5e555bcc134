"""The README's own start, used as a person uses it: the server started as `make run` starts it (a fresh copy of the
project folder as working directory, default settings, relative `data/`, nothing passed but the address), and
Chromium acting only as a finger does (tests/pages/person.py). From the idle kiosk to a started machine in at most
8 taps plus typing, for a keychain, a laser name sign and a router coaster; the on-screen keyboard fits every screen
and capitalises a new word; STOP is what a finger hits on every running-job screen, with the cancel dialog open, at
kiosk and phone sizes, and nothing else sits under it. Screenshots go to screenshots/ (not committed)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

from tests.pages.person import Person, until
from tests.pages.test_browser import KIOSK, PHONE, browser, set_viewport, shoot
from tests.test_as_shipped import fresh_copy, served_as_make_run

pytestmark = pytest.mark.slow  # Chromium against a real server process

__all__ = ["browser"]  # the Chromium fixture, shared with the other browser tests

WIDE = (1920, 1080)
TAP_BUDGET = 8


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`make run PORT=…` in a fresh copy: `python -m app serve --host 127.0.0.1 --port P`, from the copy's folder."""
    copy = fresh_copy(tmp_path_factory.mktemp("shipped"))
    with served_as_make_run(copy) as base:
        yield base
    assert (copy / "data").is_dir() and not os.path.isabs("data")  # the relative default was used


def type_on_screen(person: Person, text: str) -> None:
    """Press the on-screen keyboard's keys for `text`, as shown on the keys (the keyboard decides capitals)."""
    for char in text:
        label = "Space" if char == " " else char

        def key_showing(label: str = label) -> WebElement | None:  # a person looks until the key shows it
            keys = person.driver.find_elements(By.CSS_SELECTOR, "[data-testid=keyboard] .fk-key")
            return next((k for k in keys if k.text.strip() == label), None)

        person.tap(until(key_showing, 5, f"a key showing {label!r}"), f"the key {label!r}", count=False)


def assert_keyboard_fits(person: Person, size: tuple[int, int]) -> None:
    set_viewport(person.driver, size)
    time.sleep(0.3)
    keys = person.driver.find_elements(By.CSS_SELECTOR, "[data-testid=keyboard] .fk-key")
    assert len(keys) >= 40
    for key in keys:
        person.hit_test(key, f"the key {key.text!r} at {size}")
    person.hit_test(person.button("Done"), f"Done at {size}")


def make(person: Person, template: str, machine: str, text: str | None, size: tuple[int, int]) -> None:
    """From the idle kiosk to a started machine; asserts the tap budget and prints the count."""
    driver = person.driver
    set_viewport(driver, size)
    driver.get(driver.current_url.split("/?")[0].rstrip("/") + "/?lang=en")
    until(lambda: f"{machine}: Ready" in driver.page_source, 60, f"{machine} to be ready")
    shoot(driver, f"used-{template}-1-catalog")
    person.taps = 0
    person.tap(person.find(f"[data-testid=template-{template}]", f"the {template} card"), f"the {template} card")
    if text is not None:
        person.tap(person.find("[data-testid=param-name]", "the name field"), "the name field")
        person.find("[data-testid=keyboard]", "the on-screen keyboard", 10)
        person.tap_button("Clear all")  # the design's example name goes; counted as a tap, not as typing
        type_on_screen(person, text)
        until(lambda: person.find("[data-testid=typed]", "the typed text").text == text, 5, f"{text!r} typed")
        shoot(driver, f"used-{template}-2-keyboard")
        person.tap_button("Done")
        value = until(
            lambda: driver.find_element(By.CSS_SELECTOR, "input[data-testid=param-name]").get_attribute("value"),
            10,
            "the name in the field",
        )
        assert value == text
    person.tap(person.button("See the price", timeout=240), "See the price")
    person.find("[data-testid=price]", "the price", 20)
    shoot(driver, f"used-{template}-3-price")
    person.tap_button(f"Go to {machine}")
    person.tap(person.find("[data-testid=confirm]", "the one confirmation"), "the one confirmation")
    shoot(driver, f"used-{template}-4-at-the-machine")
    person.tap(person.find("[data-testid=start]", "Start", 10, enabled=True), "Start")
    person.find("[data-testid=stop]", "STOP on the running screen", 60)
    print(f"\n{template}: {person.taps} taps from the idle kiosk to a started {machine}, plus typing")
    assert person.taps <= TAP_BUDGET


def assert_stop_reachable(person: Person, where: str) -> None:
    """STOP is hit at its centre; Pause and Cancel (where shown) are hit at theirs, so none is under STOP; with the
    cancel dialog open, STOP is still hit."""
    stop = person.find("[data-testid=stop]", f"STOP on {where}", 30)
    person.hit_test(stop, f"STOP on {where}")
    for text in ("Pause", "Cancel job", "Follow it on your phone", "Done: next customer"):
        for control in person.driver.find_elements(By.XPATH, f"//button[.//span[normalize-space()='{text}']]"):
            if control.is_displayed():  # scrolled to, as a person would, then it must be what a finger hits
                person.driver.execute_script("arguments[0].scrollIntoView({block: 'nearest'})", control)
                time.sleep(0.3)
                person.hit_test(control, f"{text!r} on {where} (not under STOP)")
                person.hit_test(stop, f"STOP on {where}, scrolled")
    cancel = person.driver.find_elements(By.XPATH, "//button[.//span[normalize-space()='Cancel job']]")
    if cancel and cancel[0].is_displayed():
        person.tap(cancel[0], f"Cancel job on {where}", count=False)
        person.button("No, go on", f"the cancel dialog on {where}")
        shoot(person.driver, f"used-stop-over-dialog-{where}")
        person.hit_test(person.find("[data-testid=stop]", "STOP"), f"STOP with the cancel dialog open on {where}")
        person.tap_button("No, go on")
        until(lambda: not person.driver.find_elements(By.CSS_SELECTOR, ".q-dialog"), 10, "the dialog to close")


def test_a_keychain_from_the_idle_kiosk_within_8_taps(browser: webdriver.Chrome, shipped: str) -> None:
    browser.get(shipped + "/?lang=en")
    person = Person(browser)
    until(lambda: browser.execute_script("return document.documentElement.lang") == "en", 10, "<html lang=en>")
    make_keychain_with_keyboard_checks(person)
    assert_stop_reachable(person, "the kiosk's running screen")
    shoot(browser, "used-keychain-5-running")
    person.tap_button("Follow it on your phone")
    code = person.find("[data-testid=short-code]", "the short code").text
    assert_stop_reachable(person, "the kiosk's hand-off screen")

    set_viewport(browser, PHONE, mobile=True)
    browser.get(shipped + "/j?lang=en")
    field = person.find("input[data-testid=code-input]", "the code field")
    person.tap(field, "the code field", count=False)
    field.send_keys(code)  # the phone's own keyboard: real key presses
    person.tap_button("Open my job")
    until(lambda: "/job/" in browser.current_url, 20, "the job page")
    assert_stop_reachable(person, "the phone")
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    shoot(browser, "used-keychain-6-phone")


def make_keychain_with_keyboard_checks(person: Person) -> None:
    driver = person.driver
    set_viewport(driver, KIOSK)
    until(lambda: "Printer 1: Ready" in driver.page_source, 60, "the printer to be ready")
    # the keyboard first, at every screen size, then the journey itself (taps counted from the catalog on)
    person.tap(person.find("[data-testid=template-keychain]", "the keychain card"), "the keychain card")
    person.tap(person.find("[data-testid=param-name]", "the name field"), "the name field")
    person.find("[data-testid=keyboard]", "the on-screen keyboard", 10)
    for size in (KIOSK, WIDE, PHONE):
        assert_keyboard_fits(person, size)
    set_viewport(driver, KIOSK)
    person.tap_button("Clear all")
    until(lambda: person.find("[data-testid=typed]", "the typed text").text == "", 5, "an empty field")
    type_on_screen(person, "Xy Z")  # capitals after the empty field and after the space, small letters otherwise
    until(lambda: person.find("[data-testid=typed]", "the typed text").text == "Xy Z", 5, "Xy Z")
    person.tap_button("Done")
    person.tap_button("Back")
    make(person, "keychain", "Printer 1", "Anna Schmidt", KIOSK)


def test_a_name_sign_on_the_wide_screen_within_8_taps(browser: webdriver.Chrome, shipped: str) -> None:
    browser.get(shipped + "/?lang=en")
    person = Person(browser)
    make(person, "name_sign", "Laser engraver 1", "Ben Ott", WIDE)
    scene = person.find(".nicegui-scene canvas", "the running screen's preview")
    assert scene.rect["width"] >= 900, "the wide screen's running preview uses the screen"
    assert_stop_reachable(person, "the laser's running screen")
    shoot(browser, "used-name_sign-5-running")


def test_a_coaster_within_8_taps(browser: webdriver.Chrome, shipped: str) -> None:
    browser.get(shipped + "/?lang=en")
    person = Person(browser)
    make(person, "coaster", "CNC router 1", None, KIOSK)
    assert_stop_reachable(person, "the router's running screen")
    shoot(browser, "used-coaster-5-running")
