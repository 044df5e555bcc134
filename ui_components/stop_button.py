"""The STOP button: one tap, no confirmation, always in the same place while a job runs."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui

STOP_Z_INDEX = 9000


class StopButton(ui.button):
    def __init__(self, text: str, on_stop: Callable[[], object], full_width: bool = False) -> None:
        """STOP

        A large red button fixed at the bottom right of the screen that stops the machine at once (SAFETY.md:
        stop is one tap from every customer screen while a job runs, never behind a confirmation). It sits above
        every dialog, so a dialog open on a running job never covers it.

        :param text: the label, in the reader's language
        :param on_stop: called on the tap
        :param full_width: a bar across the bottom (phones) instead of a button in the corner (kiosk)
        """
        super().__init__(text, on_click=on_stop, color="red-9")  # white on it: 5.6:1
        self.mark("stop")
        place = "left-3 right-3 bottom-3" if full_width else "bottom-6 right-6 min-w-[200px]"
        self.props("push size=xl icon=dangerous data-testid=stop").classes(
            f"fixed {place} text-3xl font-bold px-10 py-6 min-h-[72px]"
        )
        # above Quasar's dialogs and their dimming backdrop (z-index 6000): STOP is hit with any dialog open
        self.style(f"z-index: {STOP_Z_INDEX}")
