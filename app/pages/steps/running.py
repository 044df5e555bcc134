"""The running step: the job live (its part growing layer by layer, or its toolpaths), what to do next, and the
way to follow it on one's phone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from app.i18n import Text, t
from app.job_states import OUTCOMES, in_group
from app.pages.common import store_text
from app.pages.steps.toolpaths import toolpaths_view
from app.pages.steps.visit import Screen, Visit
from ui_components.job_progress import JobProgress
from ui_components.next_step import READY, STOPPED, NextStep
from ui_components.part_viewer import PartViewer
from ui_components.watch import Watch


class Running:
    def __init__(
        self,
        screen: Screen,
        visit: Visit,
        on_action: Callable[[str], Awaitable[None]],
        on_handoff: Callable[[], None],
        on_done: Callable[[], None],
        on_outcome: Callable[[], None],
    ) -> None:
        """Making

        :param screen: the page the step is drawn on
        :param visit: the visit, with its job started
        :param on_action: called with the customer's action on the job (pause, resume, stop)
        :param on_handoff: called when the customer wants to follow the job on their phone
        :param on_done: called when the customer is done (the next customer's turn)
        :param on_outcome: called when the job has come to its end (made, stopped or failed)
        """
        self.screen, self.visit, self._on_outcome = screen, visit, on_outcome
        job_id, result = visit.job_id, visit.result
        assert job_id is not None and result is not None
        services, wide = screen.services, screen.wide
        live = screen.jobs.live(job_id)
        with ui.row().classes("w-full gap-8 no-wrap"):
            if result.part.preview_path is None and result.plan.program_path is not None:
                toolpaths_view(result, services, *((960, 680) if wide else (560, 400)))
            if result.part.preview_path is not None:
                viewer = PartViewer(
                    f"/media/previews/{result.part.preview_path.stem}.glb",
                    result.part.size,
                    width=960 if wide else 560,
                    height=760 if wide else 460,
                )
                machine = services.machines[result.plan.machine_id]
                centre = (machine.envelope.x / 2, machine.envelope.y / 2)
                Watch(live, "percent", lambda p: viewer.show_progress((p or 0) / 100))
                Watch(
                    live,
                    "layer",
                    lambda n: viewer.show_layer(live.program.layer_points(n) if live.program else [], centre),
                )
            with ui.column().classes("grow gap-6"):
                JobProgress(live, screen.lang, services.settings.store_timezone, "kiosk", on_action)
                NextStep(live, screen.lang, self.take_words(), on_done)
                ui.button(screen.tr(t("Follow it on your phone")), on_click=on_handoff, icon="smartphone").props(
                    "size=xl"
                ).classes("min-h-[64px]").bind_visibility_from(live, "state", lambda s: s not in READY + STOPPED)
                Watch(live, "state", self._after_the_job)

    def take_words(self) -> Text:
        """What the customer takes from where, once it is made."""
        result = self.visit.result
        assert result is not None
        machine = self.screen.services.machines[result.plan.machine_id]
        template = self.visit.template
        design = template.title_in(self.screen.lang) if template else self.screen.tr(t("your part"))
        return t("Take your {design} from {machine}.", design=design, machine=store_text(machine.name))

    def _after_the_job(self, state: str) -> None:
        if in_group(state, OUTCOMES):
            self._on_outcome()
