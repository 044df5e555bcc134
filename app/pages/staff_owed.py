"""The staff console's "owed to designers" (`/staff/owed`): what the store owes whom, from the ledger, with each
designer's statement as CSV. Admins only (app/backing/statements.py checks it for every read)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from nicegui import app, ui

from app.access import Forbidden
from app.backing.ledger import credited_jobs
from app.backing.statements import owed_to_designers, statement_csv
from app.i18n import t
from app.models import DesignerRow
from app.pages.common import reader_language, touch_page
from app.pages.staff import StaffConsole
from app.pages.staff_accounts import principal_of
from app.production.quotes import format_money
from app.services import Services


def register(services: Services) -> None:
    settings = services.settings
    store = services.store
    assert store is not None

    @ui.page("/staff/owed", title=settings.store_name)
    def owed_page(request: Request, lang: str | None = None) -> RedirectResponse | None:
        who, token = principal_of(services, request)
        if who is None:
            return RedirectResponse("/staff/login", 303)
        lang = reader_language(settings, lang, request)
        touch_page(lang)
        OwedList(services, store, token, who, lang).owed_page()
        return None

    @app.get("/staff/owed/{designer_id}.csv")
    def owed_csv(designer_id: str, request: Request) -> Response:
        who, _ = principal_of(services, request)
        if who is None:
            return RedirectResponse("/staff/login", 303)
        with services.sessions() as session:
            designer = session.get(DesignerRow, designer_id)
            try:
                text = statement_csv(session, who, designer, ZoneInfo(settings.store_timezone)) if designer else None
            except Forbidden:
                return Response(status_code=403)
        if designer is None or text is None:
            return Response(status_code=404)
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="statement-{designer.name}.csv"',
                "Cache-Control": "no-store",
            },
        )


class OwedList(StaffConsole):
    def owed_page(self) -> None:
        self.header()
        who = self.who()
        if who is None:
            return
        with ui.column().classes("w-full p-4 gap-4 max-w-3xl"):
            ui.label(self.tr(t("Owed to designers"))).classes("text-2xl font-bold")
            try:
                with self.services.sessions() as session:
                    owed = owed_to_designers(session, who)
            except Forbidden:
                owed = None
                ui.label(self.tr(t("Only an admin may see what is owed to designers."))).props(
                    "data-testid=forbidden"
                ).mark("forbidden")
            if owed == []:
                ui.label(self.tr(t("Nothing is owed to any designer."))).classes("text-gray-600")
            for line in owed or []:
                with ui.row().classes("items-center gap-4 border-b py-1 w-full").mark(f"owed-{line.designer_id}"):
                    ui.label(line.display_name).classes("font-bold w-48")
                    ui.label(line.city).classes("w-32")
                    ui.label(self.tr(t("{count} parts", count=line.jobs))).classes("w-24")
                    ui.label(format_money(line.amount, line.currency, self.lang)).classes("w-32 font-bold").mark(
                        f"owed-amount-{line.designer_id}"
                    )
                    ui.link(self.tr(t("Statement (CSV)")), f"/staff/owed/{line.designer_id}.csv").classes("py-3")
            ui.label(self.tr(t("Refund a picked-up part"))).classes("text-2xl font-bold mt-4")
            ui.label(self.tr(t("The money goes back to the customer; the designer's share and tip are taken back.")))
            self.refundable()

    @ui.refreshable_method
    def refundable(self) -> None:
        with self.services.sessions() as session:
            jobs = credited_jobs(session)
        if not jobs:
            ui.label(self.tr(t("No picked-up part with a designer's credit."))).classes("text-gray-600")
        for job in jobs:
            with ui.row().classes("items-center gap-4 border-b py-1 w-full").mark(f"credited-{job.job_id}"):
                ui.label(job.display_name).classes("font-bold w-48")
                ui.label(job.designer).classes("w-40")
                ui.label(format_money(job.amount, job.currency, self.lang)).classes("w-24")
                ui.button(self.tr(t("Refund")), on_click=lambda j=job.job_id: self.refund(j), color="red").props(
                    f"outline data-testid=refund-{job.job_id}"
                ).mark(f"refund-{job.job_id}")

    async def refund(self, job_id: str) -> None:
        await self.do(lambda w: self.store.refund(w, job_id), t("Refunded: the designer's credit was taken back."))
        self.refundable.refresh()
