"""Remote orders (`/order`): the kiosk's choose, personalise and price steps on the customer's own phone, then a
name for pickup instead of the machine's checklist. The job waits for staff approval and a machine; it starts only
when a staff member at the machine confirms it is ready (nobody starts a machine from a distance). The customer
goes straight to the job's own page, which follows it live."""

from __future__ import annotations

from datetime import datetime

from fastapi import Request
from nicegui import ui

from app.handoff import Handoffs
from app.i18n import Text, t
from app.jobs import Actor, JobRefused, JobService
from app.pages.common import language_switch, reader_language, store_text
from app.pages.steps import Step, back_button
from app.pages.steps.page import StepsPage
from app.pages.steps.pickup_name import PickupName
from app.services import Services
from machine_adapters.base import Machine, MachineState


class RemoteOrder:
    def __init__(self, services: Services, handoffs: Handoffs, lang: str, base_url: str) -> None:
        assert services.jobs is not None, "the server runs the machines"
        self.settings = services.settings
        self.jobs: JobService = services.jobs
        # a customer's own phone scrolls, and is never wiped for being left alone
        self.page = StepsPage(services, handoffs, lang, base_url, compact=True)
        self.screen = self.page.screen
        self.page.show(self.header, {Step.MACHINE: self.pickup_name}, self.price_actions)

    def header(self) -> None:
        with ui.row().classes("w-full items-center justify-between px-3 py-2 bg-gray-900 text-white no-wrap"):
            ui.label(self.settings.store_name).classes("text-lg font-bold")
            language_switch(self.settings, self.screen.lang, self.page.switch_language)

    def price_actions(self, machine: Machine, free_at: datetime | None) -> None:
        """From a distance: an order for pickup, whatever the machine is doing now (the store checks it first)."""
        tr = self.screen.tr
        if machine.status.state in (MachineState.OFFLINE, MachineState.CONNECTING):
            ui.label(
                tr(
                    t(
                        "{machine} is not available right now. Please try again later.",
                        machine=store_text(machine.profile.name),
                    )
                )
            ).classes("text-2xl text-red-800")
        ui.label(tr(t("The store checks every order before it is made; the time above is an estimate.")))
        with ui.row().classes("gap-4 mt-auto"):
            back_button(self.screen.lang, lambda: self.page.go(Step.PERSONALISE))
            ui.button(
                tr(t("Order for pickup")), on_click=lambda: self.page.go(Step.MACHINE), icon="shopping_bag"
            ).props("size=xl").classes("min-h-[64px]").mark("order")

    def pickup_name(self) -> None:
        """Instead of the machine's checklist: the name the part is picked up under."""
        PickupName(self.screen, lambda: self.page.go(Step.PRICE), self.send)

    def send(self, name: str) -> Text | None:
        result = self.page.visit.result
        assert result is not None
        try:
            new = self.jobs.create(
                result.quote_id, source="remote", actor=Actor.PHONE, customer_name=name, tip=self.page.visit.tip
            )
        except JobRefused as e:
            return e.message
        ui.navigate.to(f"/job/{new.token}?lang={self.screen.lang}")
        return None


def register(services: Services, handoffs: Handoffs) -> None:
    @ui.page("/order", title=services.settings.store_name)
    def order_page(request: Request, lang: str | None = None) -> None:
        base = f"{request.url.scheme}://{request.url.netloc}"
        RemoteOrder(services, handoffs, reader_language(services.settings, lang, request), base)
