"""On-screen keyboard: big keys for a touch screen with no physical keyboard, typing into one text field."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui

LAYOUTS = {
    "de": ["1234567890ß", "QWERTZUIOPÜ", "ASDFGHJKLÖÄ", "YXCVBNM-.'"],
    "en": ["1234567890", "QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM-.'"],
}


class Keyboard(ui.column):
    def __init__(self, lang: str, on_key: Callable[[str], object], space: str, delete: str) -> None:
        """On-screen keyboard

        Letters (with the language's own), digits, space and delete, in keys at least 56 px square. Shift switches
        between capitals and small letters and drops back after one letter, as phones do.

        :param lang: keyboard layout by language ("de" or "en")
        :param on_key: called with the character typed, or "\\b" for delete
        :param space: the space bar's label
        :param delete: the delete key's label
        """
        super().__init__()
        self.classes("gap-1 items-center select-none").props("data-testid=keyboard").mark("keyboard")
        self._on_key = on_key
        self._upper = True
        self._letters: list[tuple[ui.button, str]] = []
        with self:
            for row in LAYOUTS.get(lang, LAYOUTS["en"]):
                with ui.row().classes("gap-1 no-wrap"):
                    for char in row:
                        button = ui.button(char, on_click=lambda c=char: self._type(c)).props("unelevated no-caps")
                        button.classes("min-w-[56px] min-h-[56px] text-2xl bg-gray-200 text-black")
                        if char.isalpha():
                            self._letters.append((button, char))
            with ui.row().classes("gap-1"):
                ui.button("⇧", on_click=self._shift).props("unelevated").classes("min-w-[80px] min-h-[56px] text-2xl")
                ui.button(space, on_click=lambda: self._type(" ")).props("unelevated no-caps").classes(
                    "min-w-[360px] min-h-[56px] text-xl"
                )
                ui.button(delete, on_click=lambda: on_key("\b"), icon="backspace").props("unelevated no-caps").classes(
                    "min-w-[120px] min-h-[56px] text-xl"
                )

    def _type(self, char: str) -> None:
        self._on_key(char if self._upper or not char.isalpha() else char.lower())
        if self._upper and char.isalpha():
            self._set_upper(False)

    def _shift(self) -> None:
        self._set_upper(not self._upper)

    def _set_upper(self, upper: bool) -> None:
        self._upper = upper
        for button, char in self._letters:
            button.text = char if upper else char.lower()
