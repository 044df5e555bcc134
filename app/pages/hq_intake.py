"""At a store: the orders the head office took for it (`/staff/head-office`), for the store's own staff. Each order
is a job in the console's queue once the store has taken it; here staff also see the ones still waiting (the catalog
or a machine not ready for it yet) and the ones whose design failed the store's own checks, whose customer staff
call. Only this store's orders, only for this store's staff (app/access.py)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui

from app.access import Forbidden
from app.chain.orders import OrderIntake
from app.i18n import t
from app.pages.common import reader_language, touch_page
from app.pages.staff_accounts import principal_of, to_sign_in
from app.production.quotes import format_money
from app.services import Services


def register(services: Services, intake: OrderIntake) -> None:
    settings = services.settings

    @ui.page("/staff/head-office", title=settings.store_name)
    def head_office_orders(request: Request, lang: str | None = None) -> RedirectResponse | None:
        who, _ = principal_of(services, request)
        if who is None:
            return to_sign_in(settings, lang)
        lang = reader_language(settings, lang, request)
        touch_page(lang)
        try:
            orders = intake.orders(who)
        except Forbidden:
            ui.label(t("Only this store's staff may see its orders.").render(lang)).classes("text-2xl m-8").mark(
                "forbidden"
            )
            return None
        with ui.column().classes("m-8 gap-2"):
            ui.label(t("Orders from the head office").render(lang)).classes("text-3xl font-bold").props(
                "role=heading aria-level=1"
            )
            if not orders:
                ui.label(t("Nothing yet").render(lang))
            for order in reversed(orders):  # the newest first
                template = services.catalog.get(order.template_id)
                design = template.title_in(lang) if template else order.template_id
                if order.job_id is not None:
                    state = t("In the queue as job {job}", job=order.job_id[:8])
                elif order.cannot_make:
                    state = t("The design does not pass our checks: please call the customer")
                else:
                    state = t("Waiting: no machine or catalog version for it here yet")
                price = format_money(order.total, order.currency, lang)
                ui.label(f"{order.customer_name}: {design}, {price} · {state.render(lang)}").classes("text-lg").mark(
                    f"order-{order.order_id}"
                )
        return None
