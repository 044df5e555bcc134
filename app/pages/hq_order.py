"""The head office's `/order`: the kiosk's choose, personalise and price journey for remote customers of the whole
chain, with a store for pickup, then a name; the order goes to that store and the customer to its link at once.

Composed from the kiosk's steps (app/pages/steps/): the personalise step is the store's own (the same checks and
pipeline, on the chain's reference machine of the design's kind); the choose and price steps are the head office's,
because what they say comes from the stores' reported facts, not from machines beside the page: which stores make a
design, when each would have it ready (its machines' states and queue), and which of them stopped reporting (an
order for it waits, and its link says so). The store suggested is the one in the customer's city with the earliest
ready time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi import Request
from nicegui import ui

from app.chain.hq_orders import StoreChoice
from app.chain.hq_server import HeadOffice
from app.designs.catalog import Template
from app.handoff import Handoffs
from app.i18n import Text, t
from app.jobs import JobRefused
from app.pages.common import KIND_WORDS, language_switch, reader_language
from app.pages.steps import Step, back_button, show_problems
from app.pages.steps.page import StepsPage
from app.pages.steps.pickup_name import PickupName
from app.pages.steps.toolpaths import toolpaths_view
from app.pages.steps.visit import Visit
from app.production.quotes import format_money
from machine_adapters.base import Machine
from ui_components.part_viewer import PartViewer


def _attribute(text: str) -> str:
    """Text for a props attribute value: Quasar props are split on spaces and quotes, so quotes go."""
    return text.replace('"', "'")


class HeadOfficeOrder:
    def __init__(self, office: HeadOffice, handoffs: Handoffs, lang: str, base_url: str, city: str) -> None:
        self.office = office
        self.orders = office.orders
        self.settings = office.services.settings
        self.page = StepsPage(office.services, handoffs, lang, base_url, compact=True)
        self.screen = self.page.screen
        self.city = city  # the customer's city: its stores are suggested first
        self.store: str | None = None  # the store chosen for pickup
        self.page.show(
            self.header,
            {Step.CATALOG: self.catalog, Step.PRICE: self.price, Step.MACHINE: self.pickup_name},
            self._no_machine_here,
        )

    def _no_machine_here(self, machine: Machine, free_at: datetime | None) -> None:
        """The price step is the head office's own (below): there is no machine beside this page to go on to."""
        raise AssertionError("the head office's price step draws its own way on")

    def header(self) -> None:
        with ui.row().classes("w-full items-center justify-between px-3 py-2 bg-gray-900 text-white no-wrap"):
            ui.label(self.settings.store_name).classes("text-lg font-bold")
            language_switch(self.settings, self.screen.lang, self.page.switch_language)

    # --- choose: the catalog, and which stores make each design -------------------------------------------------

    def catalog(self) -> None:
        tr = self.screen.tr
        ui.label(tr(t("What would you like to make?"))).classes("text-4xl font-bold").props("role=heading aria-level=1")
        cities = self.orders.cities()
        if cities:
            ui.select(
                sorted(set(cities) | {self.city}),
                value=self.city,
                label=tr(t("Your city")),
                on_change=lambda e: self._new_city(str(e.value)),
            ).classes("w-64 text-xl").mark("city")
        by_kind: dict[str, list[Template]] = {}
        for template in self.page.templates():
            kind = self._kind(template)
            if kind is not None:
                by_kind.setdefault(kind, []).append(template)
        with ui.column().classes("w-full gap-8"):
            for kind, templates in by_kind.items():
                with ui.column().classes("gap-3 w-full"):
                    ui.label(tr(KIND_WORDS.get(kind, t("Machine")))).classes("text-2xl text-gray-700")
                    with ui.row().classes("gap-4"):
                        for template in templates:
                            self.card(template, kind)

    def _new_city(self, city: str) -> None:
        self.city = city
        self.store = None  # suggested again for the new city
        self.page.go(self.page.visit.step)

    def _kind(self, template: Template) -> str | None:
        """The kind of machine a design is made on here: the first of its kinds the chain has a machine of."""
        return next((k for k in template.machine_kinds if self.orders.machine_for(k) is not None), None)

    def card(self, template: Template, kind: str) -> None:
        tr = self.screen.tr
        choices = self.orders.stores_for([kind], self.city)
        fresh = [c for c in choices if not c.stale]
        card = ui.card().classes(
            self.screen.card_size + " p-0 gap-0" + (" cursor-pointer" if choices else " opacity-60")
        )
        card.props(f"data-testid=template-{template.id}").mark(f"template-{template.id}")
        title = template.title_in(self.screen.lang)
        services = self.office.services
        with card:
            picture = services.pictures.url_for_template(template.id) if services.pictures else None
            if picture:
                ui.image(picture).classes("w-full h-32").props(f'fit=contain alt="{_attribute(title)}"')
            else:
                ui.icon("view_in_ar", size="96px").classes("w-full h-32 text-gray-500 text-center pt-4")
            with ui.column().classes("px-4 py-2 gap-1 grow w-full"):
                ui.label(title).classes("text-xl font-bold leading-tight")
                credit = t("by {name}, {city}", name=template.designer.name, city=template.designer.city)
                ui.label(tr(credit)).classes("text-base italic")
                if fresh:
                    words = t("Made in {count} stores", count=len(fresh)) if len(fresh) > 1 else t("Made in 1 store")
                    colour = "text-green-900"
                elif choices:
                    words, colour = t("Its stores are not reachable right now"), "text-orange-900"
                else:
                    words, colour = t("No store makes this right now"), "text-red-900"
                ui.label(tr(words)).classes(f"text-base font-bold mt-auto {colour}").mark(f"availability-{template.id}")
        card.on("click", lambda: self.choose(template, kind, bool(choices)))

    def choose(self, template: Template, kind: str, made_somewhere: bool) -> None:
        machine_id = self.orders.machine_for(kind)
        if machine_id is None or not made_somewhere:
            ui.notify(self.screen.tr(t("No store makes this right now")), type="warning", position="center")
            return
        self.page.visit = Visit(template=template, machine_id=machine_id)
        self.page.visit.values = {p.name: p.default for p in template.parameters}
        self.page.go(Step.PERSONALISE)

    # --- price: what it costs, and where it is picked up when -----------------------------------------------

    def price(self) -> None:
        result = self.page.visit.result
        assert result is not None
        tr, lang = self.screen.tr, self.screen.lang
        services = self.office.services
        kind = services.machines[result.plan.machine_id].kind.value
        choices = self.orders.stores_for([kind], self.city)
        if self.store not in {c.id for c in choices}:
            suggested = self.orders.suggest([kind], self.city)
            self.store = suggested.id if suggested is not None else None
        ui.label(tr(t("Your price"))).classes("text-4xl font-bold")
        with ui.row().classes("items-center gap-2 text-green-800 text-2xl"):
            ui.icon("check_circle", size="36px")
            ui.label(tr(t("Checks passed")))
        show_problems([p for p in result.part.problems if p.severity.value == "warning"], lang)
        ui.label(format_money(result.quote.total, result.quote.currency, lang)).classes("text-6xl font-bold").props(
            "data-testid=price"
        ).mark("price")
        ui.label(tr(t("including everything"))).classes("text-xl text-gray-600")
        with ui.element("div").mark("price-part"):
            if result.part.preview_path is not None:
                material = services.machines[result.plan.machine_id].materials.get(result.plan.material)
                colour = material.colour_hex if material and material.colour_hex else "#f28c28"
                PartViewer(f"/media/previews/{result.part.preview_path.stem}.glb", result.part.size, colour, 320, 220)
            elif result.plan.program_path is not None:
                toolpaths_view(result, services, 320, 220)
        ui.label(tr(t("Pick it up at"))).classes("text-2xl font-bold mt-4")
        if not choices:
            ui.label(tr(t("No store makes this right now"))).classes("text-xl text-red-900")
        options = {c.id: self.store_words(c, result.plan.estimated_seconds) for c in choices}
        ui.radio(options, value=self.store, on_change=lambda e: setattr(self, "store", e.value)).props(
            "size=lg"
        ).classes("text-xl").mark("stores")
        ui.label(tr(t("The store checks every order before it is made; the time above is an estimate."))).classes(
            "text-lg"
        )
        with ui.row().classes("gap-4 mt-auto"):
            back_button(lang, lambda: self.page.go(Step.PERSONALISE))
            ui.button(tr(t("Order for pickup")), on_click=self._to_name, icon="shopping_bag").props("size=xl").classes(
                "min-h-[64px]"
            ).mark("order").set_enabled(bool(choices))

    def store_words(self, choice: StoreChoice, estimated_seconds: float) -> str:
        """A store as the customer chooses it: its name and city, and when it would have the part ready."""
        tr = self.screen.tr
        where = f"{choice.name}, {choice.city}"
        if choice.stale:
            when = t("not reachable right now; your order waits until it is back")
        else:
            zone = ZoneInfo(self.settings.store_timezone)
            ready = max(datetime.now(UTC), choice.free_at) + timedelta(seconds=estimated_seconds)
            when = t("ready around {time}", time=ready.astimezone(zone).strftime("%H:%M"))
        return f"{where}: {tr(when)}"

    def _to_name(self) -> None:
        if self.store is None:
            ui.notify(self.screen.tr(t("Choose a store for pickup.")), type="warning", position="center")
            return
        self.page.go(Step.MACHINE)

    # --- a name for pickup, and the order -------------------------------------------------------------------

    def pickup_name(self) -> None:
        PickupName(self.screen, lambda: self.page.go(Step.PRICE), self.send)

    def send(self, name: str) -> Text | None:
        result = self.page.visit.result
        assert result is not None
        if self.store is None:
            self.page.go(Step.PRICE)
            return None
        try:
            token = self.orders.place(result, self.store, name)
        except JobRefused as e:
            return e.message
        ui.navigate.to(f"/job/{token}?lang={self.screen.lang}")
        return None


def register(office: HeadOffice) -> None:
    settings = office.services.settings
    handoffs = Handoffs()  # no files are sent here (orders through the head office are catalog designs)

    @ui.page("/order", title=settings.store_name)
    def order_page(request: Request, lang: str | None = None, city: str | None = None) -> None:
        base = f"{request.url.scheme}://{request.url.netloc}"
        cities = office.orders.cities()
        chosen = city if city in cities else settings.store.city
        HeadOfficeOrder(office, handoffs, reader_language(settings, lang, request), base, chosen)
