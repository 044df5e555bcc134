"""A designer from Köln, end to end, as shipped and as people use it: the server started as `make run` starts it in
a fresh copy of the project folder (its default store is in Köln), Chromium acting only as a finger does
(tests/pages/person.py). An admin invites the designer; she joins, signs in, submits a coaster-like template, sees
the intake failure (text overflow at the longest initials) with its picture, fixes it and resubmits; the admin
approves it; the Köln kiosk shows it among the first cards; a customer makes it on the demo router with a tip; the
designer's page shows it made once; the customer rates it and follows the designer from the phone; the designer's
statement shows the share and the tip. Screenshots of the intake results, the designer page and the statement go
to screenshots/."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

from tests.designer_helpers import COASTER, COASTER_FIXED
from tests.pages.person import Person, until
from tests.pages.test_browser import KIOSK, PHONE, browser, set_viewport, shoot
from tests.test_as_shipped import fresh_copy, served_as_make_run, shipped_env

__all__ = ["browser"]  # the Chromium fixture, shared with the other browser tests

ADMIN_PASSWORD = "an admin's long password"
DESIGNER_PASSWORD = "a designer's long password"
SHARE = Decimal("12.5")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`make run` in a fresh copy, with an admin made as the README says (`fabkiosk user add ... --role admin`)."""
    copy = fresh_copy(tmp_path_factory.mktemp("designers"))
    env = {k: v for k, v in shipped_env(copy).items() if not k.startswith("PYTEST")}  # NiceGUI reads these as tests
    made = subprocess.run(
        [sys.executable, "-m", "app", "user", "add", "ada", "--role", "admin", "--password-stdin"],
        cwd=copy,
        env=env,
        input=ADMIN_PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    with served_as_make_run(copy) as base:
        yield base, copy


def field(person: Person, label: str, kind: str = "input") -> WebElement:
    """The text field a person finds by the words on it (a Quasar field's label, or a form's own label)."""
    quasar = f"//label[.//div[contains(@class,'q-field__label') and normalize-space()='{label}']]//{kind}"
    plain = f"//label[normalize-space(text())='{label}']//{kind}"

    def shown() -> WebElement | None:
        for xpath in (quasar, plain):
            for element in person.driver.find_elements(By.XPATH, xpath):
                if element.is_displayed():
                    return element
        return None

    return until(shown, 30, f"the field {label!r}")


def fill(person: Person, label: str, text: str, kind: str = "input") -> None:
    """Tap the field, empty it and type, key by key (the computer's keyboard of a designer at their desk)."""
    element = field(person, label, kind)
    element.location_once_scrolled_into_view  # noqa: B018  # a person scrolls to it first
    person.tap(element, f"the field {label!r}", count=False)
    element.send_keys("\ue009a\ue017")  # Ctrl+A, Delete: what was there goes
    element.send_keys(text)


def tick(person: Person, label: str) -> None:
    xpath = f"//div[contains(@class,'q-checkbox') and .//div[normalize-space()='{label}']]"
    box = until(lambda: person.driver.find_element(By.XPATH, xpath), 10, f"the box {label!r}")
    box.location_once_scrolled_into_view  # noqa: B018
    person.tap(box, f"the box {label!r}", count=False)


def tap_text(person: Person, text: str, timeout: float = 30.0) -> None:
    """Tap a button by its words, scrolled to as a person would."""
    xpath = f"//button[(.//span[normalize-space()='{text}'] or normalize-space(text())='{text}') and not(@disabled)]"
    for _ in range(5):  # a live page (the staff console) may redraw the button meanwhile: look again
        button = until(
            lambda: next((b for b in person.driver.find_elements(By.XPATH, xpath) if b.is_displayed()), None),
            timeout,
            f"the button {text!r}",
        )  # a Quasar button, or a plain form's
        try:
            person.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
            time.sleep(0.3)
            person.tap(button, f"the button {text!r}", count=False)
            return
        except StaleElementReferenceException:
            time.sleep(0.5)
    raise AssertionError(f"the button {text!r} kept changing under the finger")


def seen(person: Person, text: str, timeout: float = 30.0, reload_every: float | None = None) -> None:
    """Wait until the page shows the words (reloading now and then where the page does not update itself)."""
    last = time.monotonic()

    def shows() -> bool:
        nonlocal last
        if reload_every and time.monotonic() - last > reload_every:
            person.driver.refresh()
            last = time.monotonic()
        return text in person.driver.find_element(By.TAG_NAME, "body").text

    until(shows, timeout, repr(text))


def submit_coaster(person: Person, source: str) -> None:
    fill(person, "Title (English)", "Initials coaster")
    fill(person, "Title (German)", "Untersetzer mit Initialen")
    fill(person, "Description (English)", "A square coaster with your initials.", "textarea")
    fill(person, "Description (German)", "Ein eckiger Untersetzer mit Initialen.", "textarea")
    tick(person, "CNC router")
    tick(person, "Liberation Sans:style=Bold")
    fill(person, "Width, e.g. size", "size")
    fill(person, "Height, e.g. size", "size")
    fill(person, "Text settings inside it, e.g. name", "initials")
    fill(person, "The text is called (English)", "The initials")
    fill(person, "The text is called (German)", "Die Initialen")
    fill(person, "The part is called (English)", "the coaster")
    fill(person, "The part is called (German)", "den Untersetzer")
    fill(person, "Your share of each price, in percent (at most 30)", str(SHARE))
    fill(person, "… or paste it here", source, "textarea")
    tap_text(person, "Submit for checking")


def test_a_designer_from_koeln_end_to_end(browser: webdriver.Chrome, store: tuple[str, Path]) -> None:
    base, copy = store
    person = Person(browser)
    set_viewport(browser, KIOSK)

    # the admin invites a designer from the staff console
    browser.get(base + "/staff/login?lang=en")
    fill(person, "Name", "ada")
    fill(person, "Password", ADMIN_PASSWORD)
    tap_text(person, "Sign in")
    until(lambda: browser.current_url.split("?")[0] == base + "/staff", 20, "the console")
    browser.get(base + "/staff/submissions?lang=en")
    tap_text(person, "Invite a designer")
    link = until(
        lambda: next((e.text for e in browser.find_elements(By.XPATH, "//*[contains(text(),'/designer/join/')]")), ""),
        20,
        "the invitation link",
    )

    # the designer joins with it, signs in and submits
    browser.get(base + link[link.index("/designer/join/") :] + "?lang=en")  # as the admin passes it on
    fill(person, "Name to sign in with (letters, digits, - and _)", "ayla")
    fill(person, "Your name as customers see it", "Ayla Demir")
    fill(person, "Your city", "Köln")
    fill(person, "Password (at least 10 characters)", DESIGNER_PASSWORD)
    tap_text(person, "Make my account")
    until(lambda: "/designer/login" in browser.current_url, 20, "the sign-in page")
    fill(person, "Name", "ayla")
    fill(person, "Password", DESIGNER_PASSWORD)
    tap_text(person, "Sign in")
    until(lambda: browser.current_url.split("?")[0].endswith("/designer"), 20, "the designer's home")
    browser.get(base + "/designer/submit?lang=en")
    submit_coaster(person, COASTER)
    seen(person, "The initials: too long for the coaster.", 420, reload_every=15)
    failed = browser.find_elements(By.CSS_SELECTOR, "img[alt^='Picture of the render']")
    assert any(img.get_attribute("naturalWidth") not in (None, "0") for img in failed), "the overflow's picture"
    shoot(browser, "designers-1-intake-failure")

    tap_text(person, "Fix and submit again")
    fill(person, "… or paste it here", COASTER_FIXED, "textarea")
    tap_text(person, "Submit for checking")
    seen(person, "Waiting for review", 420, reload_every=15)
    shoot(browser, "designers-2-intake-passed")

    # the admin approves it
    browser.get(base + "/staff/submissions?lang=en")
    seen(person, "Initials coaster")
    tap_text(person, "Approve and publish")
    seen(person, "Published: the catalog shows it now.", 60)

    # the Köln kiosk shows it among the first cards; a customer makes it on the router, with a tip
    browser.get(base + "/?lang=en")
    until(lambda: "CNC router 1: Ready" in browser.page_source, 60, "the router to be ready")
    cards = [c.get_attribute("data-testid") for c in browser.find_elements(By.CSS_SELECTOR, "[data-testid^=template-]")]
    assert "template-initials-coaster" in cards[:2], cards  # designers of Köln first
    person.tap(person.find("[data-testid=template-initials-coaster]", "the coaster card"), "the coaster card")
    person.tap(person.button("See the price", timeout=240), "See the price")
    person.find("[data-testid=price]", "the price", 30)
    person.tap(person.find("[data-testid=tip-2]", "a tip of 2"), "a tip of 2")
    seen(person, "With your tip of €2.00")
    person.tap_button("Go to CNC router 1")
    person.tap(person.find("[data-testid=confirm]", "the one confirmation"), "the one confirmation")
    person.tap(person.find("[data-testid=start]", "Start", 10, enabled=True), "Start")
    person.find("[data-testid=stop]", "STOP on the running screen", 60)
    person.tap_button("Follow it on your phone")
    code = person.find("[data-testid=short-code]", "the short code").text

    # the customer's phone follows it to pickup and follows the designer
    set_viewport(browser, PHONE, mobile=True)
    browser.get(base + "/j?lang=en")
    code_field = person.find("input[data-testid=code-input]", "the code field")
    person.tap(code_field, "the code field", count=False)
    code_field.send_keys(code)
    person.tap_button("Open my job")
    until(lambda: "/job/" in browser.current_url, 20, "the job page")
    job_page = browser.current_url
    person.find("[data-testid=ready]", "Ready for pickup", 600)
    follow = person.find("[data-testid=follow]", "Follow Ayla Demir")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", follow)
    person.tap(follow, "Follow Ayla Demir", count=False)
    seen(person, "You follow Ayla Demir.")

    # staff hand it over; the designer page shows it made once
    set_viewport(browser, KIOSK)
    browser.get(base + "/staff?lang=en")
    tap_text(person, "Collected")
    until(lambda: _job_state(copy) == "collected", 20, "the job collected")

    # the phone asks how it turned out
    set_viewport(browser, PHONE, mobile=True)
    browser.get(job_page)
    seen(person, "How did it turn out?")
    star = person.find("[data-testid=star-5]", "five stars")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", star)
    person.tap(star, "five stars", count=False)
    fill(person, "A sentence about it (optional)", "Crisp letters, sturdy coaster")
    tap_text(person, "Send my rating")
    seen(person, "Thank you! Your rating helps the designer.")

    set_viewport(browser, KIOSK)
    browser.get(base + "/designer/ayla?lang=en")
    seen(person, "Ayla Demir")
    seen(person, "Köln")
    seen(person, "Made once")
    seen(person, "5.0 of 5 stars (1 rating)")
    seen(person, "1 follower")
    picture = "[data-testid=design-initials-coaster] img"
    until(lambda: browser.find_elements(By.CSS_SELECTOR, picture) or browser.refresh(), 60, "the design's picture")
    shoot(browser, "designers-3-designer-page")

    # the designer's statement: the share and the tip
    share = _designer_share(copy)
    assert share == (_quote_total(copy) * SHARE / 100).quantize(Decimal("0.01"))
    browser.get(base + "/designer/statement?lang=en")
    seen(person, f"Owed to you: €{share + Decimal('2.00')}")
    table = person.find("[data-testid=statement]", "the statement").text
    assert f"€{share}" in table and "€2.00" in table, table
    shoot(browser, "designers-4-statement")


def _query(copy: Path, sql: str) -> object:
    with sqlite3.connect(copy / "data" / "fabkiosk.sqlite3") as connection:
        row = connection.execute(sql).fetchone()
    return row[0] if row else None


def _job_state(copy: Path) -> object:
    return _query(copy, "SELECT state FROM jobs ORDER BY created_at DESC LIMIT 1")


def _designer_share(copy: Path) -> Decimal:
    sql = "SELECT q.designer_share FROM jobs j JOIN quotes q ON q.id = j.quote_id ORDER BY j.created_at DESC LIMIT 1"
    return Decimal(str(_query(copy, sql))).quantize(Decimal("0.01"))


def _quote_total(copy: Path) -> Decimal:
    sql = "SELECT q.total FROM jobs j JOIN quotes q ON q.id = j.quote_id ORDER BY j.created_at DESC LIMIT 1"
    return Decimal(str(_query(copy, sql)))
