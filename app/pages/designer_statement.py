"""The designer's statement (`/designer/statement`): what they were credited, per month, per design, per store, and
the same as CSV (`/designer/statement.csv`), every entry naming its job. Only for the signed-in designer, and only
their own (app/backing/statements.py checks it again for every read)."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from nicegui import app, ui
from sqlalchemy import select

from app.access import Forbidden, Principal
from app.backing.statements import StatementLine, statement, statement_csv
from app.i18n import t
from app.models import DesignerRow, StoreRow
from app.pages.common import reader_language, touch_page
from app.pages.designer import designer_header, designer_of, to_sign_in
from app.production.quotes import format_money
from app.services import Services


def register(services: Services) -> None:
    settings = services.settings
    zone = ZoneInfo(settings.store_timezone)

    def own_row(who: Principal) -> DesignerRow | None:
        with services.sessions() as session:
            row = session.get(DesignerRow, who.designer_id) if who.designer_id else None
            if row is not None:
                session.expunge(row)
            return row

    @app.get("/designer/statement.csv")
    def statement_download(request: Request) -> Response:
        who = designer_of(services, request)
        row = own_row(who) if who else None
        if who is None or row is None:
            return to_sign_in(services, None)
        with services.sessions() as session:
            text = statement_csv(session, who, row, zone)
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="statement-{row.name}.csv"',
                "Cache-Control": "no-store",
            },
        )

    @ui.page("/designer/statement", title=settings.store_name)
    def statement_page(request: Request, lang: str | None = None) -> RedirectResponse | None:
        who = designer_of(services, request)
        row = own_row(who) if who else None
        if who is None or row is None:
            return to_sign_in(services, lang)
        lang = reader_language(settings, lang, request)
        touch_page(lang)
        designer_header(services, who, lang)
        try:
            with services.sessions() as session:
                lines = statement(session, who, row, zone)
        except Forbidden:
            return to_sign_in(services, lang)
        StatementView(services, row, lines, lang)
        return None


class StatementView:
    """The statement as a table a designer reads: newest month first, one line per design and store."""

    def __init__(self, services: Services, designer: DesignerRow, lines: list[StatementLine], lang: str) -> None:
        self.lang = lang
        self.store_names = store_names(services)
        catalog = services.catalog
        with ui.column().classes("w-full max-w-4xl mx-auto p-4 gap-4"):
            ui.label(t("Statement for {name}", name=designer.display_name).render(lang)).classes(
                "text-3xl font-bold"
            ).props("role=heading aria-level=1")
            totals: dict[str, Decimal] = {}
            for line in lines:
                totals[line.currency] = totals.get(line.currency, Decimal("0.00")) + line.net
            owed = ", ".join(format_money(amount, currency, lang) for currency, amount in sorted(totals.items()))
            ui.label(
                t(
                    "Owed to you: {amount}",
                    amount=owed or format_money(Decimal(0), services.settings.prices.currency, lang),
                ).render(lang)
            ).classes("text-2xl").props("data-testid=statement-total").mark("statement-total")
            ui.link(t("Download as CSV").render(lang), "/designer/statement.csv").classes("py-3 text-lg").mark(
                "statement-csv"
            )
            if not lines:
                ui.label(t("Nothing yet: your share is credited when a customer picks up a part.").render(lang))
                return
            columns = [
                {"name": "month", "label": t("Month").render(lang), "field": "month", "align": "left"},
                {"name": "design", "label": t("Design").render(lang), "field": "design", "align": "left"},
                {"name": "store", "label": t("Store").render(lang), "field": "store", "align": "left"},
                {"name": "jobs", "label": t("Parts").render(lang), "field": "jobs"},
                {"name": "shares", "label": t("Share").render(lang), "field": "shares"},
                {"name": "tips", "label": t("Tips").render(lang), "field": "tips"},
                {"name": "reversed", "label": t("Refunded").render(lang), "field": "reversed"},
                {"name": "net", "label": t("Owed").render(lang), "field": "net"},
            ]
            rows = [
                {
                    "id": f"{line.month}-{line.template_id}-{line.store}-{line.currency}",
                    "month": line.month,
                    "design": catalog[line.template_id].title_in(lang)
                    if line.template_id in catalog
                    else line.template_id,
                    "store": self.store_names.get(line.store, line.store),
                    "jobs": line.jobs,
                    "shares": format_money(line.shares, line.currency, lang),
                    "tips": format_money(line.tips, line.currency, lang),
                    "reversed": format_money(line.reversed, line.currency, lang),
                    "net": format_money(line.net, line.currency, lang),
                }
                for line in lines
            ]
            ui.table(columns=columns, rows=rows, row_key="id").classes("w-full").props("data-testid=statement").mark(
                "statement"
            )


def store_names(services: Services) -> dict[str, str]:
    """What a statement calls each store: the chain's stores by name, and this one by its own name."""
    with services.sessions() as session:
        names = {row.id: row.name for row in session.scalars(select(StoreRow))}
    names[services.settings.chain.store_id] = services.settings.store_name
    return names
