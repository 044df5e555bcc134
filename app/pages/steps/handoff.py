"""The hand-off step: the running job goes with the customer, by a QR code or a short code for their phone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from app.handoff import Handoffs
from app.i18n import t
from app.pages.steps.visit import Screen, Visit
from ui_components.job_progress import JobProgress
from ui_components.qr_handoff import QrHandoff


class Handoff:
    def __init__(
        self,
        screen: Screen,
        visit: Visit,
        handoffs: Handoffs,
        public_base: str,
        on_action: Callable[[str], Awaitable[None]],
        on_done: Callable[[], None],
    ) -> None:
        """Take your job with you

        :param screen: the page the step is drawn on
        :param visit: the visit, with its job started; its short code is made here once and kept in the visit
        :param handoffs: the short codes for jobs
        :param public_base: the store's address as a phone reaches it
        :param on_action: called with the customer's action on the job (pause, resume, stop)
        :param on_done: called when the customer is done (the next customer's turn)
        """
        job_id, token = visit.job_id, visit.token
        assert job_id is not None and token is not None
        if visit.code is None:
            visit.code = handoffs.code_for(token)
        tr = screen.tr
        live = screen.jobs.live(job_id)
        ui.label(tr(t("Take your job with you"))).classes("text-4xl font-bold")
        with ui.row().classes("w-full gap-12 no-wrap items-start"):
            QrHandoff(
                f"{public_base}/job/{token}",
                tr(
                    t(
                        "Scan to follow your job on your phone, or type the code at {address}",
                        address=f"{public_base}/j",
                    )
                ),
                visit.code,
            )
            with ui.column().classes("grow gap-4"):
                JobProgress(live, screen.lang, screen.services.settings.store_timezone, "kiosk", on_action)
                ui.button(tr(t("Done: next customer")), on_click=on_done, icon="check").props(
                    "size=xl outline"
                ).classes("min-h-[64px]")
