"""A person in Chromium: taps at the centre of what they see, nothing else. Before each tap the element must be
inside the viewport and be the element the browser hits at that point (`document.elementFromPoint`); the tap is a
real mouse press and release there (CDP `Input.dispatchMouseEvent`). No `.value`, no handlers called."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

# where the element's centre is, whether it lies in the viewport, and whether it is what a finger there would hit
HIT_JS = """
const el = arguments[0];
const r = el.getBoundingClientRect();
const x = r.left + r.width / 2, y = r.top + r.height / 2;
const inside = r.left >= 0 && r.top >= 0 && r.right <= window.innerWidth + 0.5 && r.bottom <= window.innerHeight + 0.5;
const hit = document.elementFromPoint(x, y);
const what = hit ? (hit.tagName + '.' + String(hit.className).slice(0, 60) + ' "' +
                    (hit.innerText || '').slice(0, 30) + '"') : 'nothing';
return {x: x, y: y, w: r.width, h: r.height, inside: inside, hit: !!hit && (hit === el || el.contains(hit)),
        what: what};
"""

T = TypeVar("T")
SETTLE_S = 2.0  # the longest a screen animates (Quasar's dialog transitions take 0.3 s)


class Person:
    """Someone using a page with one finger; counts their taps."""

    def __init__(self, driver: webdriver.Chrome) -> None:
        self.driver = driver
        self.taps = 0

    def hit_test(self, element: WebElement, what: str) -> dict[str, float]:
        """Assert the element is on screen and that a finger at its centre lands on it; returns its centre."""
        found = self.driver.execute_script(HIT_JS, element)
        assert found["w"] > 0 and found["h"] > 0, f"{what} is not shown"
        assert found["inside"], f"{what} is not inside the viewport: {found}"
        assert found["hit"], f"a finger on {what} hits {found['what']} instead"
        return found  # type: ignore[no-any-return]

    def tap(self, element: WebElement, what: str, count: bool = True) -> None:
        # a person waits for the screen to settle (a dialog sliding away) before tapping; then it must be a hit
        deadline = time.monotonic() + SETTLE_S
        before: dict[str, float] = {}
        while time.monotonic() < deadline:
            found = self.driver.execute_script(HIT_JS, element)
            if found["hit"] and found["inside"] and (found["x"], found["y"]) == (before.get("x"), before.get("y")):
                break  # where it was a moment ago: it has stopped moving
            before = found
            time.sleep(0.1)
        centre = self.hit_test(element, what)
        for kind in ("mousePressed", "mouseReleased"):
            self.driver.execute_cdp_cmd(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": centre["x"], "y": centre["y"], "button": "left", "clickCount": 1},
            )
        if count:
            self.taps += 1

    def find(self, css: str, what: str, timeout: float = 30.0, enabled: bool = False) -> WebElement:
        """Wait until the element is displayed (and enabled, if asked): a person waits for what they look for."""

        def shown() -> WebElement | None:
            for element in self.driver.find_elements(By.CSS_SELECTOR, css):
                if not element.is_displayed():
                    continue
                if enabled and (
                    element.get_attribute("disabled") is not None or element.get_attribute("aria-disabled") == "true"
                ):
                    continue
                return element
            return None

        return until(shown, timeout, what)

    def button(self, text: str, what: str = "", timeout: float = 30.0) -> WebElement:
        """An enabled button with this text."""
        xpath = f"//button[.//span[normalize-space()='{text}'] and not(@disabled)]"

        def shown() -> WebElement | None:
            return next((b for b in self.driver.find_elements(By.XPATH, xpath) if b.is_displayed()), None)

        return until(shown, timeout, what or f"the button {text!r}")

    def tap_button(self, text: str, timeout: float = 30.0) -> None:
        self.tap(self.button(text, timeout=timeout), f"the button {text!r}")


def until(condition: Callable[[], T | None], timeout: float, what: str) -> T:
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = condition()
            if result:
                return result
        except WebDriverException:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)
