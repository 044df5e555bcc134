"""What every page shares: the reader's language, the language switch, the machines' states in words."""

from __future__ import annotations

import json
from collections.abc import Callable

from fastapi import Request
from nicegui import ui

from app.config import Settings
from app.i18n import Text, t
from machine_adapters.base import MachineState

KIND_WORDS = {
    "fdm_printer": t("3D printer"),
    "laser_engraver": t("Laser engraver"),
    "cnc_router": t("CNC router"),
}

MACHINE_WORDS: dict[MachineState, Text] = {
    MachineState.OFFLINE: t("Not available"),
    MachineState.CONNECTING: t("Starting up"),
    MachineState.IDLE: t("Ready"),
    MachineState.HEATING: t("Busy"),
    MachineState.RUNNING: t("Busy"),
    MachineState.PAUSING: t("Busy"),
    MachineState.PAUSED: t("Busy"),
    MachineState.CANCELLING: t("Busy"),
    MachineState.FINISHING: t("Busy"),
    MachineState.HALTED: t("Waiting for staff"),
    MachineState.ALARM: t("Waiting for staff"),
    MachineState.LINK_LOST: t("Waiting for staff"),
}

# Words a store or a designer writes in English (machine names, material colours, a template's option labels) are
# looked up in the translations like the product's own; a word nobody translated is shown as written. The demo
# store's and catalog's words are listed here so that their translations are kept with the others.
STORE_WORDS = (
    t("Printer 1"),
    t("Laser engraver 1"),
    t("CNC router 1"),
    t("orange"),
    t("black"),
    t("birch plywood"),
    t("clear acrylic"),
    t("Sans"),
    t("Serif"),
    t("Sans bold"),
    t("Serif bold"),
    t("Typewriter"),
    t("Round"),
    t("Square"),
)


def store_text(words: str) -> Text:
    """A store's or designer's own words, translated where the catalog knows them."""
    return Text(words)


LANGUAGE_NAMES = {"de": "Deutsch", "en": "English"}

TOUCH_CSS = """
<style>
  html, body { touch-action: manipulation; -webkit-user-select: none; user-select: none; }
  .q-btn { min-height: 48px; }
  .q-btn:hover .q-focus-helper { opacity: 0 !important; }
  body { font-size: 18px; }
  /* Quasar's loading line at the top: an unnamed progress bar that tells a customer nothing */
  .q-loading-bar { display: none !important; }
  /* a visible focus for anyone moving with a keyboard or a switch */
  :focus-visible, .q-btn:focus-visible, .q-field--focused .q-field__control { outline: 3px solid #b45309;
                                                                              outline-offset: 2px; }
</style>
"""
# Quasar's default blue gives white button text 3.1:1; this one gives 6.7:1 (at least 4.5:1 is readable)
PRIMARY = "#1d4ed8"


def touch_page(lang: str) -> None:
    """What every customer page sets up: touch-friendly styles, readable colours, and the page's language."""
    ui.add_head_html(TOUCH_CSS)
    ui.colors(primary=PRIMARY)
    # Quasar's language pack sets <html lang> to its own (en-US) once the app mounts: keep ours
    ui.add_head_html(
        "<script>"
        f"window.fabkioskLang = {json.dumps(lang)};"
        "const fabkioskKeepLang = () => { if (document.documentElement.lang !== window.fabkioskLang) "
        "document.documentElement.lang = window.fabkioskLang; };"
        "fabkioskKeepLang();"
        "new MutationObserver(fabkioskKeepLang).observe(document.documentElement, "
        "{attributes: true, attributeFilter: ['lang']});"
        "</script>"
    )


def show_language(lang: str) -> None:
    """After switching language without reloading: screen readers and hyphenation follow `<html lang>`."""
    ui.run_javascript(f"window.fabkioskLang = {json.dumps(lang)}; document.documentElement.lang = window.fabkioskLang;")


def reader_language(settings: Settings, asked: str | None, request: Request | None = None) -> str:
    """The language asked for, else the browser's first supported one, else the store's default."""
    if asked in settings.languages:
        return str(asked)
    if request is not None:
        for part in request.headers.get("accept-language", "").split(","):
            code = part.split(";")[0].strip().lower()[:2]
            if code in settings.languages:
                return code
    return settings.default_language


def language_switch(settings: Settings, current: str, on_pick: Callable[[str], object]) -> None:
    """One button per language, each named in its own language."""
    with ui.row().classes("gap-2"):
        for code in settings.languages:
            button = ui.button(LANGUAGE_NAMES.get(code, code), on_click=lambda c=code: on_pick(c))
            # readable on the dark kiosk header and on a white phone page alike
            other = "unelevated no-caps size=lg color=grey-2 text-color=grey-10"
            button.props(other if code != current else "unelevated no-caps size=lg")
            button.props(f"lang={code}")


def not_found(settings: Settings, lang: str) -> None:
    """The polite page for any link that opens nothing: it says nothing about why."""
    with ui.column().classes("w-full items-center gap-6 p-8 text-center"):
        ui.label(settings.store_name).classes("text-2xl font-bold")
        ui.label(t("This link does not open anything (any more).").render(lang)).classes("text-2xl")
        ui.label(t("Please check the address, or ask in the store.").render(lang)).classes("text-xl")
