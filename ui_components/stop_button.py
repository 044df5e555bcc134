"""The STOP button: one tap, no confirmation, always in the same place while a job runs."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui


class StopButton(ui.button):
    def __init__(self, text: str, on_stop: Callable[[], object]) -> None:
        """STOP

        A large red button fixed at the bottom right of the screen that stops the machine at once (SAFETY.md:
        stop is one tap from every customer screen while a job runs, never behind a confirmation).

        :param text: the label, in the reader's language
        :param on_stop: called on the tap
        """
        super().__init__(text, on_click=on_stop, color="red")
        self.mark("stop")
        self.props("push size=xl icon=dangerous data-testid=stop").classes(
            "fixed bottom-6 right-6 z-50 text-3xl font-bold px-10 py-6 min-h-[72px] min-w-[200px]"
        )
