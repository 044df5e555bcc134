"""On-screen keyboard: big keys for a touch screen with no physical keyboard, typing into one text field."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui

LAYOUTS = {
    "de": ["1234567890ß", "QWERTZUIOPÜ", "ASDFGHJKLÖÄ", "YXCVBNM-.'"],
    "en": ["1234567890", "QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM-.'"],
}
DELETE = "\b"  # on_key's value for the delete key
CLEAR = "\x18"  # on_key's value for "clear all" (ASCII CAN, never a character a customer types)

# Rows share the width: every key of a row grows alike and may shrink below its text's width, so the widest row
# fits a 390 px phone as well as a 1920 px screen; the height follows the screen's, within touch sizes.
KEYBOARD_CSS = """
<style>
  .fk-keyboard { width: 100%; max-width: 1100px; }
  .fk-keyboard .fk-row { display: flex; width: 100%; gap: 4px; }
  .fk-keyboard .fk-key { flex: 1 1 0; min-width: 0; padding: 0; height: clamp(48px, 7.5vh, 72px);
                         font-size: clamp(18px, 3.2vh, 30px); }
  .fk-keyboard .fk-key.fk-wide { flex-grow: 2; font-size: clamp(14px, 2.4vh, 22px); }
  .fk-keyboard .fk-key.fk-space { flex-grow: 5; }
</style>
"""

_STYLED: set[str] = set()


class Keyboard(ui.column):
    def __init__(
        self, lang: str, on_key: Callable[[str], object], space: str, delete: str, clear: str, text: str = ""
    ) -> None:
        """On-screen keyboard

        Letters (with the language's own), digits, space, delete and clear all, in rows that share the screen's
        width. It writes a capital after a space or into an empty field and small letters otherwise; shift switches
        for one letter, as phones do.

        :param lang: keyboard layout by language ("de" or "en")
        :param on_key: called with the character typed, `DELETE` or `CLEAR`
        :param space: the space bar's label
        :param delete: the delete key's label
        :param clear: the clear-all key's label
        :param text: the field's text now (decides whether the next letter is a capital)
        """
        super().__init__()
        if self.client.id not in _STYLED:  # once per page, however often the keyboard opens
            _STYLED.add(self.client.id)
            ui.add_head_html(KEYBOARD_CSS)
        self.classes("fk-keyboard gap-1 items-stretch select-none").props("data-testid=keyboard").mark("keyboard")
        self._on_key = on_key
        self._upper = True
        self._letters: list[tuple[ui.button, str]] = []
        with self:
            for row in LAYOUTS.get(lang, LAYOUTS["en"]):
                with ui.element("div").classes("fk-row"):
                    for char in row:
                        button = ui.button(char, on_click=lambda c=char: self._type(c)).props(
                            "unelevated no-caps color=grey-3 text-color=black"
                        )
                        button.classes("fk-key").mark("key")
                        if char.isalpha():
                            self._letters.append((button, char))
            with ui.element("div").classes("fk-row"):
                ui.button("⇧", on_click=self._shift).props(
                    "unelevated aria-label=Shift color=grey-4 text-color=black"
                ).classes("fk-key fk-wide").mark("key")
                ui.button(space, on_click=lambda: self._type(" ")).props(
                    "unelevated no-caps color=grey-3 text-color=black"
                ).classes("fk-key fk-space").mark("key")
                ui.button(delete, on_click=lambda: self._edit(DELETE), icon="backspace").props(
                    "unelevated no-caps color=grey-4 text-color=black"
                ).classes("fk-key fk-wide").mark("key")
                ui.button(clear, on_click=lambda: self._edit(CLEAR), icon="clear_all").props(
                    "unelevated no-caps color=grey-4 text-color=black"
                ).classes("fk-key fk-wide").mark("key")
        self.follow(text)

    def follow(self, text: str) -> None:
        """A new word starts a capital: after a space, or in an empty field ("Anna Schmidt", not "Anna schmidt")."""
        self._set_upper(text == "" or text.endswith(" "))

    def _type(self, char: str) -> None:
        self._on_key(char if self._upper or not char.isalpha() else char.lower())
        if char == " ":
            self._set_upper(True)
        elif self._upper and char.isalpha():
            self._set_upper(False)

    def _edit(self, key: str) -> None:
        self._on_key(key)

    def _shift(self) -> None:
        self._set_upper(not self._upper)

    def _set_upper(self, upper: bool) -> None:
        self._upper = upper
        for button, char in self._letters:
            button.text = char if upper else char.lower()
