"""The price step: what the customer pays, for what (their part, its material, its time) and when it is ready; then
the page's own way on (the kiosk: to the machine; a remote order: for pickup)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from nicegui import ui

from app.i18n import t
from app.pages.common import store_text
from app.pages.steps import back_button, show_problems
from app.pages.steps.floor import ShopFloor
from app.pages.steps.toolpaths import toolpaths_view
from app.pages.steps.visit import Screen
from app.pipeline import QuoteResult
from app.production.quotes import format_money
from machine_adapters.base import READY_STATES, Machine, MachineState
from ui_components.part_viewer import PartViewer

# the way on from the price, drawn under it: the machine the job goes to and when that machine is free (None: now)
PriceActions = Callable[[Machine, datetime | None], None]
# one more line under the price (drawn with the quote), e.g. something the customer may add to it
PriceLine = Callable[[QuoteResult], None]


class Price:
    def __init__(
        self,
        screen: Screen,
        result: QuoteResult,
        floor: ShopFloor,
        actions: PriceActions,
        lines: Sequence[PriceLine] = (),
    ) -> None:
        """Your price

        Checks passed (and any warnings), when it is ready, how long on which machine, in what material, the price
        with the part beside it, then the page's actions.

        :param screen: the page the step is drawn on
        :param result: the quote the customer is shown
        :param floor: the machines the page offers (whether this one can take the job now)
        :param actions: draws the way on (and back) under the price
        :param lines: draw more lines about the price (a tip), in order, under the facts beside it
        """
        self.screen = screen
        tr = screen.tr
        services = screen.services
        machine = floor.fleet.machines[result.plan.machine_id]
        jobs = screen.jobs
        zone = ZoneInfo(services.settings.store_timezone)
        seconds = jobs.expected_seconds(machine.profile.id, result.plan.estimated_seconds)
        free_at = jobs.machine_free_at(machine.profile.id)
        start = max(datetime.now(zone), free_at.astimezone(zone)) if free_at else datetime.now(zone)
        ready = start + timedelta(seconds=seconds)
        material = machine.profile.materials.get(result.plan.material)
        ui.label(tr(t("Your price"))).classes("text-4xl font-bold")
        with ui.row().classes("w-full justify-between items-start no-wrap"):
            with ui.column().classes("gap-4 text-2xl"):
                warnings = [p for p in result.part.problems if p.severity.value == "warning"]
                with ui.row().classes("items-center gap-2 text-green-800"):
                    ui.icon("check_circle", size="36px")
                    ui.label(tr(t("Checks passed")))
                show_problems(warnings, screen.lang)
                words, can_take = floor.availability(machine.profile.id)
                if can_take:
                    ui.label(tr(t("Ready around {time}", time=ready.strftime("%H:%M")))).classes(
                        "text-5xl font-bold"
                    ).props("data-testid=ready-time").mark("ready-time")
                else:  # never a time for a machine that cannot take the job
                    ui.label(tr(words)).classes("text-4xl font-bold text-red-900").mark("no-ready-time")
                minutes = max(1, round(seconds / 60))
                ui.label(
                    tr(t("About {minutes} min on {machine}", minutes=minutes, machine=store_text(machine.profile.name)))
                )
                with ui.row().classes("items-center gap-3"):
                    colour = material.colour_hex if material and material.colour_hex else "#999"
                    ui.element("div").classes("w-10 h-10 rounded-full border").style(f"background: {colour}")
                    ui.label(floor.material_words(machine, result.plan.material, screen.lang)).mark("material")
                if result.plan.material_grams:
                    ui.label(tr(t("{grams} g of material", grams=f"{result.plan.material_grams:.0f}")))
                for line in lines:  # beside the facts, so the price and the part keep their place above the actions
                    line(result)
            with ui.column().classes("gap-2 items-end"):
                self.total = (
                    ui.label(format_money(result.quote.total, result.quote.currency, screen.lang))
                    .classes("text-7xl font-bold")
                    .props("data-testid=price")
                    .mark("price")
                )
                ui.label(tr(t("including everything"))).classes("text-xl text-gray-600")
                self.part_beside_the_price(result)
        actions(machine, free_at)

    def part_beside_the_price(self, result: QuoteResult) -> None:
        """The customer's own part next to its price: what they pay for, as they made it."""
        screen = self.screen
        width, height = (320, 220) if screen.compact else (560, 380) if screen.wide else (380, 260)
        with ui.element("div").props("data-testid=price-part").mark("price-part"):
            if result.part.preview_path is not None:
                material = screen.services.machines[result.plan.machine_id].materials.get(result.plan.material)
                colour = material.colour_hex if material and material.colour_hex else "#f28c28"
                preview = f"/media/previews/{result.part.preview_path.stem}.glb"
                PartViewer(preview, result.part.size, colour, width=width, height=height)
            elif result.plan.program_path is not None:
                toolpaths_view(result, screen.services, width, height)


def go_to_the_machine(
    screen: Screen, machine: Machine, free_at: datetime | None, on_back: Callable[[], None], on_go: Callable[[], None]
) -> None:
    """The kiosk's way on from the price: to the machine, when it is free (or why not)."""
    tr = screen.tr
    zone = ZoneInfo(screen.services.settings.store_timezone)
    state = machine.status.state
    can_start = state in READY_STATES
    name = store_text(machine.profile.name)
    if state in (MachineState.OFFLINE, MachineState.CONNECTING) or machine.status.needs_staff:
        ui.label(tr(t("{machine} is not available right now. Please ask the staff.", machine=name))).classes(
            "text-2xl text-red-800"
        )
    elif not can_start:
        until = free_at.astimezone(zone).strftime("%H:%M") if free_at else "?"
        ui.label(
            tr(t("{machine} is busy until about {time}. You can start when it is free.", machine=name, time=until))
        ).classes("text-2xl text-orange-800")
    with ui.row().classes("gap-4 mt-auto"):
        back_button(screen.lang, on_back)
        go = (
            ui.button(tr(t("Go to {machine}", machine=name)), on_click=on_go, icon="arrow_forward")
            .props("size=xl")
            .classes("min-h-[64px]")
        )
        go.set_enabled(can_start)
