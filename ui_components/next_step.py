"""Next step: once a job has left the machine, what the customer does now, in words, with Done."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui

from app.i18n import Text, t
from app.tracking import LiveJob

READY = ("ready_for_pickup", "collected")
STOPPED = ("held", "failed", "cancelled")


class NextStep(ui.column):
    def __init__(self, live: LiveJob, lang: str, take: Text, on_done: Callable[[], object]) -> None:
        """Next step

        Hidden while the job is queued or on the machine. When it is made: what to take from where; when it was
        stopped, cancelled or failed: that a staff member is coming. Done ends the visit either way.

        :param live: the job's live view
        :param lang: the reader's language
        :param take: what to do with a finished part ("Take your keychain from Printer 1."), translatable
        :param on_done: called when the customer taps Done
        """
        super().__init__()
        self.classes("w-full gap-4 p-4 rounded bg-gray-100").mark("next-step")
        self.bind_visibility_from(live, "state", lambda s: s in READY + STOPPED)
        with self:
            ui.label().bind_text_from(
                live,
                "state",
                lambda s: (take if s in READY else t("A staff member is coming. Please wait by the machine.")).render(
                    lang
                ),
            ).classes("text-3xl font-bold").props("data-testid=next-step").mark("next-step-words")
            ui.button(t("Done").render(lang), on_click=on_done, icon="check").props("size=xl").classes(
                "min-h-[72px] px-16"
            ).mark("done")
