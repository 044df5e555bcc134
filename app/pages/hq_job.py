"""The customer's link for an order placed at the head office (`/job/<token>` on the head office's server).

It shows honest states while the order travels: "sent to the store" (only the head office's row exists), "the store
has it" (the store's job row for it arrived by replication), then the store's own states and reasons from its
replicated job rows and events. A store that stopped reporting is named so, and the order waits. The token is the
only key; any other address shows the polite page that says nothing.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import Request
from nicegui import ui

from app.chain.hq_orders import HqOrders, OrderView, stage_words
from app.config import Settings
from app.i18n import t, translate
from app.pages.common import language_switch, not_found, reader_language, touch_page
from app.production.quotes import format_money
from ui_components.job_progress import STATE_WORDS

FOLLOW_EVERY_S = 2.0  # the head office's own database, where the store's facts arrive within seconds


class OrderFollower:
    """One customer following one order; the labels change only when the order or the store's job does."""

    def __init__(self, orders: HqOrders, settings: Settings, token: str, view: OrderView, lang: str) -> None:
        self.orders = orders
        self.token = token
        self.lang = lang
        self.zone = ZoneInfo(settings.store_timezone)
        with ui.column().classes("w-full max-w-md mx-auto p-4 gap-4"):
            with ui.row().classes("w-full justify-between items-center"):
                ui.label(settings.store_name).classes("text-lg font-bold")
                language_switch(settings, lang, lambda code: ui.navigate.to(f"/job/{token}?lang={code}"))
            ui.label(view.display_name).classes("text-2xl font-bold").mark("order-design")
            where = f"{view.store_name}, {view.store.city}" if view.store else view.store_name
            ui.label(t("Pickup at {store}", store=where).render(lang)).classes("text-xl").mark("order-store")
            self.stage = ui.label().classes("text-2xl font-bold").props("role=status").mark("order-stage")
            self.state = ui.label().classes("text-xl").mark("order-state")
            self.reason = ui.label().classes("text-xl text-red-900").mark("order-reason")
            ui.label(t("Price: {price}", price=format_money(view.total, view.currency, lang)).render(lang)).classes(
                "text-lg text-gray-700"
            )
            self.history = ui.column().classes("gap-1 text-gray-700").mark("order-history")
        self._shown: OrderView | None = None
        self.show(view)
        ui.timer(FOLLOW_EVERY_S, self.refresh)

    def refresh(self) -> None:
        view = self.orders.follow(self.token)
        if view is not None:
            self.show(view)

    def show(self, view: OrderView) -> None:
        if view == self._shown:
            return
        self._shown = view
        lang = self.lang
        self.stage.set_text(stage_words(view).render(lang))
        words = STATE_WORDS.get(view.job_state or "")
        state = words.render(lang) if words is not None and view.stage == "at_store" else ""
        self.state.set_text(f"{state} · {view.percent} %" if state and view.percent is not None else state)
        self.reason.set_text(translate(view.reason, lang) if view.reason else "")
        self.history.clear()
        with self.history:
            for at, state in view.events:
                said = STATE_WORDS.get(state)
                ui.label(f"{at.astimezone(self.zone):%H:%M} {said.render(lang) if said else state}")


def register(settings: Settings, orders: HqOrders) -> None:
    @ui.page("/job/{token}", title=settings.store_name)
    def order_page(token: str, request: Request, lang: str | None = None) -> None:
        lang = reader_language(settings, lang, request)
        touch_page(lang)
        ui.add_head_html('<meta name="robots" content="noindex">')
        view = orders.follow(token)
        if view is None:
            not_found(settings, lang)
            return
        OrderFollower(orders, settings, token, view, lang)
