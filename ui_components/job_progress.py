"""Job progress: the live state of one job in words, a big progress bar, layer and clock-time ETA, and its controls."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from nicegui import ui

from app.i18n import Text, t, translate
from app.job_states import CANCEL_ON_MACHINE, ON_MACHINE, JobState, in_group
from app.tracking import LiveJob
from ui_components.stop_button import StopButton
from ui_components.watch import Watch

STATE_WORDS: dict[str, Text] = {
    "submitted": t("In the queue"),
    "awaiting_approval": t("Waiting for the store to approve it"),
    "queued": t("In the queue"),
    "waiting_for_machine_ready": t("Waiting for the start at the machine"),
    "running": t("Being made"),
    "paused": t("Paused"),
    "finishing": t("Almost done"),
    "ready_for_pickup": t("Ready for pickup"),
    "collected": t("Collected"),
    "held": t("Stopped: the staff will take care of it"),
    "failed": t("It could not be made"),
    "cancelled": t("Cancelled"),
}


def clock_time(epoch: float | None, timezone: str) -> str:
    return datetime.fromtimestamp(epoch, ZoneInfo(timezone)).strftime("%H:%M") if epoch else ""


class JobProgress(ui.column):
    def __init__(
        self,
        live: LiveJob,
        lang: str,
        timezone: str,
        actor: str,
        on_action: Callable[[str], object],
    ) -> None:
        """Job progress

        Binds to a job's live view: everything updates when (and only when) the job changes. Pause is one tap,
        cancel asks once, STOP is one tap and shown whenever the job is on the machine. Resume is offered only
        to whoever made the pause.

        :param live: the job's live view
        :param lang: the reader's language
        :param timezone: the store's time zone, for the ETA
        :param actor: "kiosk" or "phone": who is looking (decides whether resume is offered)
        :param on_action: called with "pause", "resume", "cancel" or "stop"
        """
        super().__init__()
        self.classes("w-full gap-3")
        self._on_action = on_action
        self._lang = lang
        self._live = live
        with self:
            ui.label().bind_text_from(
                live, "state", lambda s: STATE_WORDS.get(s, t("In the queue")).render(lang)
            ).classes("text-4xl font-bold").props("data-testid=job-state").mark("job-state")
            ui.label().bind_text_from(live, "reason", lambda r: translate(r, lang) if r else "").bind_visibility_from(
                live, "reason", bool
            ).classes("text-xl text-red-800")
            # a pause made on the phone, explained where the customer stands (who then may resume it)
            ui.label(t("Paused from the customer's phone").render(lang)).classes("text-2xl").bind_visibility_from(
                live, "paused_by", lambda who: actor == "kiosk" and who == "phone" and live.state == "paused"
            ).bind_visibility_from(
                live, "state", lambda s: actor == "kiosk" and live.paused_by == "phone" and s == "paused"
            ).mark("paused-from-phone")
            ui.linear_progress(show_value=False, size="28px").bind_value_from(live, "percent", lambda p: p / 100).props(
                f'aria-label="{t("Progress").render(lang)}"'
            )
            with ui.row().classes("w-full justify-between text-2xl"):
                ui.label().bind_text_from(live, "percent", lambda p: f"{p:.0f} %").props("data-testid=percent").mark(
                    "percent"
                )
                # layers only while it is made: a queued or remote job has none to show yet ("Layer 0 of 0")
                ui.label().bind_text_from(
                    live, "layer", lambda n: t("Layer {n} of {total}", n=n, total=live.layers).render(lang)
                ).bind_visibility_from(
                    live, "layers", lambda n: bool(n) and live.state in ON_MACHINE
                ).bind_visibility_from(live, "state", lambda s: bool(live.layers) and s in ON_MACHINE)
                ui.label().bind_text_from(
                    live, "eta", lambda e: self._eta_words(e, live.state, timezone)
                ).bind_text_from(live, "state", lambda s: self._eta_words(live.eta, s, timezone)).bind_visibility_from(
                    live, "eta", bool
                ).props("data-testid=eta").mark("eta")
            with ui.row().classes("gap-4"):
                ui.button(t("Pause").render(lang), on_click=lambda: on_action("pause"), icon="pause").props(
                    "size=xl"
                ).classes("min-h-[64px]").bind_visibility_from(live, "state", lambda s: s == JobState.RUNNING)
                ui.button(t("Resume").render(lang), on_click=lambda: on_action("resume"), icon="play_arrow").props(
                    "size=xl"
                ).classes("min-h-[64px]").bind_visibility_from(
                    live, "paused_by", lambda who: self._may_resume(actor, who, live.state)
                ).bind_visibility_from(live, "state", lambda s: self._may_resume(actor, live.paused_by, s))
                ui.button(t("Cancel job").render(lang), on_click=self._confirm_cancel, icon="close").props(
                    "size=xl outline"
                ).classes("min-h-[64px]").bind_visibility_from(live, "state", lambda s: in_group(s, CANCEL_ON_MACHINE))
            StopButton(
                t("STOP").render(lang), lambda: on_action("stop"), full_width=actor == "phone"
            ).bind_visibility_from(live, "state", lambda s: in_group(s, ON_MACHINE))

    def _eta_words(self, eta: float | None, state: str, timezone: str) -> str:
        """A paused job's time moves on with the pause: it says so instead of a time that is no longer true."""
        if state == JobState.PAUSED:
            return t("Paused: the ready time moves on").render(self._lang)
        return t("Ready around {time}", time=clock_time(eta, timezone)).render(self._lang)

    @staticmethod
    def _may_resume(actor: str, paused_by: str | None, state: str) -> bool:
        """Whoever paused it resumes it; at the kiosk (beside the machine) also a pause made from the phone."""
        return state == JobState.PAUSED and (paused_by == actor or (actor == "kiosk" and paused_by == "phone"))

    async def _confirm_cancel(self) -> None:
        lang = self._lang
        with ui.dialog() as dialog, ui.card().classes("p-8 gap-6 mb-28"):
            # the question is moot once the job left the machine (STOP, the end): the dialog goes with it
            Watch(self._live, "state", lambda s: None if in_group(s, CANCEL_ON_MACHINE) else dialog.submit(False))
            ui.label(t("Cancel this job? What is made so far cannot be finished later.").render(lang)).classes(
                "text-2xl"
            )
            with ui.row().classes("gap-4"):
                ui.button(t("Yes, cancel").render(lang), on_click=lambda: dialog.submit(True), color="red-9").props(
                    "size=xl"
                )
                ui.button(t("No, go on").render(lang), on_click=lambda: dialog.submit(False)).props("size=xl")
        if await dialog:
            done = self._on_action("cancel")
            if inspect.isawaitable(done):  # pages run machine actions on machine control's own path
                await done
        dialog.delete()
