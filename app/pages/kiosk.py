"""The kiosk (`/`): a touch screen next to the machines guiding a customer from a design to a running job.

One decision per step, each with a way back: choose -> personalise (or bring a file) -> price -> at the machine
(presence checklist) -> running -> hand-off to the phone. Idle too long, and the visit is wiped; a job already
running is not touched.

Longer than our 400 lines because the visit's steps still share this one class (and /order subclasses it); the
machine step is already its own component (app/pages/at_machine.py), and the catalog and price steps are next.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from nicegui import ui
from nicegui.events import GenericEventArguments

from app.access import Action, Principal, kiosk_customer
from app.designs.catalog import Template
from app.handoff import Handoffs
from app.i18n import Text, t
from app.job_states import OUTCOMES, in_group
from app.jobs import Actor, JobRefused, JobService
from app.kiosks import LOCAL_KIOSK_ID, KioskDevice
from app.machine_control import act, control
from app.machine_settings import STAFF_READIES
from app.pages.at_machine import AtMachine
from app.pages.common import (
    KIND_WORDS,
    MACHINE_WORDS,
    language_switch,
    reader_language,
    show_language,
    store_text,
    touch_page,
)
from app.pages.preparing import Preparation, toolpaths_view
from app.pages.steps import STEP_WORDS, Step, show_problems
from app.pipeline import QuoteResult
from app.production.quotes import format_money
from app.services import Services
from app.store import StoreOps
from machine_adapters.base import NEEDS_STAFF_STATES, READY_STATES, Machine, MachineState
from ui_components.file_sender import FileSender
from ui_components.job_progress import JobProgress
from ui_components.next_step import READY, STOPPED, NextStep
from ui_components.part_viewer import PartViewer
from ui_components.qr_handoff import QrHandoff
from ui_components.watch import Watch

log = logging.getLogger(__name__)

WIDE_SCREEN_PX = 1600  # from here on the kiosk's screen is a wide one (1920 x 1080)
IDLE_WARNING_S = 20.0  # how long before the idle reset the kiosk asks whether the customer is still there
FRAME_WAIT_S = 120.0  # the longest an outline takes to trace before the kiosk stops waiting for it
# every tap anywhere counts as activity, at most once every two seconds
ACTIVITY_JS = """
<script>
  let fabkioskLastTouch = 0;
  document.addEventListener('pointerdown', () => {
    const now = Date.now();
    if (now - fabkioskLastTouch > 2000) { fabkioskLastTouch = now; emitEvent('kiosk_touch', window.innerWidth); }
  }, {passive: true});
</script>
"""


@dataclass
class Visit:
    """One customer's visit: what they chose so far. Wiped when they leave or the kiosk sits idle."""

    step: Step = Step.CATALOG
    template: Template | None = None
    values: dict[str, Any] = field(default_factory=dict)
    machine_id: str = ""
    result: QuoteResult | None = None
    job_id: str | None = None
    token: str | None = None
    code: str | None = None
    upload: tuple[bytes, str] | None = None  # the customer's file and its name, until it is checked


def _attribute(text: str) -> str:
    """Text for a props attribute value: Quasar props are split on spaces and quotes, so quotes go."""
    return text.replace('"', "'")


class Kiosk:
    idle_reset = True  # a kiosk left alone forgets its customer; a customer's own phone does not
    compact = False  # laid out for the kiosk's landscape screen, without scrolling; a phone scrolls

    def __init__(
        self, services: Services, handoffs: Handoffs, lang: str, base_url: str, device: KioskDevice | None = None
    ) -> None:
        assert services.jobs is not None and services.fleet is not None, "the server runs the machines"
        self.services = services
        self.settings = services.settings
        self.jobs: JobService = services.jobs
        assert services.store is not None
        self.store: StoreOps = services.store
        self.handoffs = handoffs
        self.lang = lang
        self.base_url = base_url
        self.device = device  # the kiosk this screen is; None for a browser elsewhere (it orders, never starts)
        self.visit = Visit()
        self.last_touch = time.monotonic()
        self.preparation: Preparation | None = None
        self._pending_upload: tuple[bytes, str] | None = None  # a file a phone sent, for this page to take
        self._inbox: str | None = None
        self._idle_warning: ui.dialog | None = None
        self.screen_width = 1280
        self._idle_countdown: ui.label | None = None
        touch_page(lang)
        ui.add_body_html(ACTIVITY_JS)
        ui.on("kiosk_touch", self._touched)
        ui.query(".nicegui-content").classes("p-0")
        with ui.column().classes(
            "w-full gap-0 " + ("min-h-screen" if self.compact else "h-screen no-wrap overflow-hidden")
        ):
            self.header()
            with ui.column().classes("w-full grow gap-4 " + ("p-3" if self.compact else "p-6 overflow-hidden")):
                self.body()
        ui.timer(1.0, self._check_idle)

    @property
    def card_size(self) -> str:
        """A catalog card's size: two abreast on a phone, larger on a 1920 px screen than on a 1280 px one."""
        return "w-[160px] h-72" if self.compact else "w-52 h-72 2xl:w-72 2xl:h-[26rem]"

    def tr(self, text: Text) -> str:
        return text.render(self.lang)

    @property
    def wide(self) -> bool:
        """A 1920 px kiosk screen: previews are drawn larger there, so the layout uses the screen."""
        return self.screen_width >= WIDE_SCREEN_PX

    def _touched(self, event: GenericEventArguments) -> None:
        if isinstance(event.args, int | float):  # the screen's width comes with each tap: the first one sets it
            self.screen_width = int(event.args)
        self.touch()

    def touch(self) -> None:
        self.last_touch = time.monotonic()
        if self._idle_warning is not None:
            self._idle_warning.delete()
            self._idle_warning = None

    def customer(self, job_id: str) -> Principal:
        """Who this page acts as: the customer at the machines its kiosk stands beside, asked again at every action
        (a kiosk staff revoked a moment ago stands beside nothing)."""
        return kiosk_customer(job_id, self.beside())

    def beside(self) -> frozenset[str]:
        if self.device is None:
            return frozenset()
        if self.device.id == LOCAL_KIOSK_ID:
            return self.device.machines
        now = self.services.kiosks.get(self.device.id)
        return now.machines if now is not None and now.active else frozenset()

    def go(self, step: Step) -> None:
        self.touch()
        self.visit.step = step
        self.header.refresh()
        self.body.refresh()

    # --- frame ----------------------------------------------------------------------------------------

    @ui.refreshable_method
    def header(self) -> None:
        with ui.row().classes("w-full items-center justify-between px-6 py-3 bg-gray-900 text-white no-wrap"):
            ui.label(self.settings.store_name).classes("text-2xl font-bold")
            with ui.row().classes("gap-6 text-lg"):
                steps = list(STEP_WORDS)
                current = self.visit.step if self.visit.step in STEP_WORDS else Step.RUNNING
                if self.visit.step is Step.UPLOAD:
                    current = Step.CATALOG
                for number, step in enumerate(steps, start=1):
                    style = "font-bold underline" if step is current else "opacity-60"
                    ui.label(f"{number} {self.tr(STEP_WORDS[step])}").classes(style)
            language_switch(self.settings, self.lang, self._switch_language)

    def _switch_language(self, lang: str) -> None:
        self.lang = lang
        show_language(lang)
        self.go(self.visit.step)

    @ui.refreshable_method
    def body(self) -> None:
        {
            Step.CATALOG: self.catalog,
            Step.UPLOAD: self.upload,
            Step.PERSONALISE: self.personalise,
            Step.PRICE: self.price,
            Step.MACHINE: self.at_machine,
            Step.RUNNING: self.running,
            Step.HANDOFF: self.handoff,
        }[self.visit.step]()

    def back_button(self, to: Step, on_back: Callable[[], object] | None = None) -> None:
        def back() -> None:
            if on_back is not None:
                on_back()
            self.go(to)

        ui.button(self.tr(t("Back")), on_click=back, icon="arrow_back").props("outline size=xl").classes("min-h-[64px]")

    # --- 1: choose --------------------------------------------------------------------------------------

    def machine_for(self, kinds: tuple[str, ...]) -> str | None:
        """The machine a design of these kinds goes to: a ready one first, else any that is running."""
        fleet = self.services.fleet
        assert fleet is not None
        settings = self.jobs.machine_settings
        candidates = [
            m
            for m in fleet.machines.values()
            if m.profile.kind.value in kinds
            and not settings.get(m.profile.id).maintenance
            and (self.device is None or m.profile.id in self.device.machines)  # a kiosk offers the machines beside it
        ]
        candidates.sort(key=lambda m: m.status.state not in READY_STATES)
        usable = [m for m in candidates if m.status.state not in (MachineState.OFFLINE, MachineState.CONNECTING)]
        return usable[0].profile.id if usable else None

    def catalog(self) -> None:
        ui.label(self.tr(t("What would you like to make?"))).classes("text-4xl font-bold").props(
            "role=heading aria-level=1"
        )
        by_kind: dict[str, list[Template]] = {}
        for template in self.services.catalog.values():
            by_kind.setdefault(template.machine_kinds[0], []).append(template)
        # a phone stacks the kinds and wraps the cards: nothing wider than its screen
        with ui.row().classes("w-full gap-8 " + ("flex-col" if self.compact else "no-wrap")):
            for kind, templates in by_kind.items():
                with ui.column().classes("gap-3" + (" w-full" if self.compact else "")):
                    ui.label(self.tr(KIND_WORDS.get(kind, t("Machine")))).classes("text-2xl text-gray-700")
                    with ui.row().classes("gap-4"):
                        for template in templates:
                            self.template_card(template)
            with ui.column().classes("gap-3"):
                ui.label(self.tr(t("Your own design"))).classes("text-2xl text-gray-700")
                own = ui.card().classes(self.card_size + " p-4 items-center justify-center cursor-pointer")
                with own.props("data-testid=own-file").mark("own-file").on("click", lambda: self.go(Step.UPLOAD)):
                    ui.icon("upload_file", size="64px")
                    ui.label(self.tr(t("My own file"))).classes("text-2xl font-bold text-center")
                    ui.label(self.tr(t("From your phone or a USB stick"))).classes("text-lg text-center")
        self.machine_strip()

    def machine_strip(self) -> None:
        """Every machine of the store with its state in words, kept current."""
        fleet = self.services.fleet
        assert fleet is not None
        with ui.row().classes("gap-8 mt-auto text-xl text-gray-700"):
            for profile in self.services.machines.values():
                light = fleet.lights.get(profile.id)
                label = ui.label().mark(f"machine-{profile.id}")
                if light is None:
                    label.set_text(
                        f"{self.tr(store_text(profile.name))}: {self.tr(MACHINE_WORDS[MachineState.OFFLINE])}"
                    )
                else:
                    label.bind_text_from(
                        light, "state", functools.partial(self.machine_words, profile.id, profile.name)
                    )

    def machine_words(self, machine_id: str, name: str, state: str) -> str:
        name = self.tr(store_text(name))
        if self.jobs.machine_settings.get(machine_id).maintenance:
            return f"{name}: {self.tr(t('In maintenance'))}"
        return f"{name}: {self.tr(MACHINE_WORDS[MachineState(state)])}"

    def availability(self, machine_id: str | None) -> tuple[Text, bool]:
        """What a customer may expect of this machine now, in words, and whether it can take a job at all (a
        machine waiting for staff, offline or in maintenance cannot: no time is promised for it)."""
        fleet = self.services.fleet
        if machine_id is None or fleet is None or machine_id not in fleet.machines:
            return t("Not available right now"), False
        status = fleet.machines[machine_id].status
        setting = self.jobs.machine_settings.get(machine_id)
        if setting.maintenance:
            return t("In maintenance"), False
        if status.state in (MachineState.OFFLINE, MachineState.CONNECTING):
            return t("Not available right now"), False
        if status.needs_staff or status.state in NEEDS_STAFF_STATES:
            return t("Waiting for staff"), False
        if setting.needs_clearing and self.services.machines[machine_id].kind.value in STAFF_READIES:
            return t("Ready once the staff prepared it"), True
        if status.state in READY_STATES:
            return t("Ready now"), True
        free_at = self.jobs.machine_free_at(machine_id)
        if free_at is None:
            return t("Busy"), True
        zone = ZoneInfo(self.settings.store_timezone)
        return t("Free around {time}", time=free_at.astimezone(zone).strftime("%H:%M")), True

    def template_card(self, template: Template) -> None:
        machine_id = self.machine_for(template.machine_kinds)
        _, can_take = self.availability(machine_id)
        card = ui.card().classes(self.card_size + " p-0 gap-0" + (" cursor-pointer" if can_take else " opacity-60"))
        card.props(f"data-testid=template-{template.id}").mark(f"template-{template.id}")
        title = template.title_in(self.lang)
        with card:
            picture = self.services.pictures.url_for_template(template.id) if self.services.pictures else None
            if picture:
                ui.image(picture).classes("w-full h-32 2xl:h-56").props(f'fit=contain alt="{_attribute(title)}"')
            else:
                ui.icon("view_in_ar", size="96px").classes("w-full h-32 2xl:h-56 text-gray-500 text-center pt-4")
            with ui.column().classes("px-4 py-2 gap-1 grow w-full"):
                ui.label(title).classes("text-xl font-bold leading-tight")
                credit = t("by {name}, {city}", name=template.designer.name, city=template.designer.city)
                ui.label(self.tr(credit)).classes("text-base italic")
                # kept current: a card says before the first tap whether (and when) its machine can take the job
                state = ui.label().classes("text-base font-bold mt-auto").mark(f"availability-{template.id}")
                state.props(f"data-testid=availability-{template.id}")
                # any machine of the kinds changing state may change the answer (a printer coming online)
                kinds = template.machine_kinds
                lights = [
                    light
                    for m, light in (self.services.fleet.lights.items() if self.services.fleet else ())
                    if self.services.machines[m].kind.value in kinds
                ]
                self._show_availability(state, kinds)
                for light in lights:
                    state.bind_text_from(light, "state", partial(self._availability_on_change, kinds, state))
        card.on("click", lambda: self.choose(template))

    def _availability_text(self, kinds: tuple[str, ...], label: ui.label) -> str:
        words, can_take = self.availability(self.machine_for(kinds))
        label.classes(replace="text-base font-bold mt-auto " + ("text-green-900" if can_take else "text-red-900"))
        return self.tr(words)

    def _availability_on_change(self, kinds: tuple[str, ...], label: ui.label, _state: str) -> str:
        return self._availability_text(kinds, label)

    def _show_availability(self, label: ui.label, kinds: tuple[str, ...]) -> None:
        label.set_text(self._availability_text(kinds, label))

    def choose(self, template: Template) -> None:
        machine_id = self.machine_for(template.machine_kinds)  # asked again: machines come and go
        words, can_take = self.availability(machine_id)
        if machine_id is None or not can_take:
            ui.notify(self.tr(words), type="warning", position="center")
            return
        self.visit = Visit(template=template, machine_id=machine_id)
        self.visit.values = {p.name: p.default for p in template.parameters}
        self.go(Step.PERSONALISE)

    # --- 1b: my own file ------------------------------------------------------------------------------

    def upload(self) -> None:
        ui.label(self.tr(t("Bring your own design"))).classes("text-4xl font-bold")
        ui.label(self.tr(t("3-D models (STL, 3MF, OBJ) are printed; drawings (SVG) are engraved."))).classes("text-xl")
        with ui.row().classes("w-full gap-12 items-start"):
            with ui.column().classes("gap-3 items-center"):
                if self._inbox is None or not self.handoffs.inbox_open(self._inbox):
                    self._inbox = self.handoffs.open_inbox(self._received)
                url = f"{self.public_base()}/send/{self._inbox}"
                QrHandoff(url, self.tr(t("Scan with your phone and send the file from there.")))
            with ui.column().classes("gap-3"):
                ui.label(self.tr(t("Or from a USB stick:"))).classes("text-2xl")
                # the file goes to the same inbox as a phone's, streamed and size-checked by the server
                FileSender(
                    f"/inbox/{self._inbox}",
                    self.tr(t("Choose a file")),
                    self.settings.uploads.max_file_bytes,
                    ".stl,.3mf,.obj,.svg",
                    on_sent=self.touch,
                    on_refused=lambda: ui.notify(self.tr(t("This file is too large.")), type="warning"),
                ).classes("w-96").mark("usb-upload")
        with ui.row().classes("gap-4 mt-auto"):
            self.back_button(Step.CATALOG)

    def _close_inbox(self) -> None:
        if self._inbox is not None:
            self.handoffs.close_inbox(self._inbox)
            self._inbox = None

    def _received(self, data: bytes, filename: str) -> None:
        # called from the phone's page: hand over to this kiosk's own timer, which runs in its own page context
        self._pending_upload = (data, filename)

    def _start_upload(self, data: bytes, filename: str) -> None:
        self._close_inbox()
        self.visit = Visit(upload=(data, filename))
        self.go(Step.PERSONALISE)

    # --- 2: personalise ---------------------------------------------------------------------------------

    def personalise(self) -> None:
        self.preparation = Preparation(self)

    # --- 3: price ---------------------------------------------------------------------------------------

    def price(self) -> None:
        result = self.visit.result
        assert result is not None
        machine = self.services.fleet.machines[result.plan.machine_id] if self.services.fleet else None
        assert machine is not None
        zone = ZoneInfo(self.settings.store_timezone)
        seconds = self.jobs.expected_seconds(machine.profile.id, result.plan.estimated_seconds)
        free_at = self.jobs.machine_free_at(machine.profile.id)
        start = max(datetime.now(zone), free_at.astimezone(zone)) if free_at else datetime.now(zone)
        ready = start + timedelta(seconds=seconds)
        material = machine.profile.materials.get(result.plan.material)
        ui.label(self.tr(t("Your price"))).classes("text-4xl font-bold")
        with ui.row().classes("w-full justify-between items-start no-wrap"):
            with ui.column().classes("gap-4 text-2xl"):
                warnings = [p for p in result.part.problems if p.severity.value == "warning"]
                with ui.row().classes("items-center gap-2 text-green-800"):
                    ui.icon("check_circle", size="36px")
                    ui.label(self.tr(t("Checks passed")))
                show_problems(warnings, self.lang)
                words, can_take = self.availability(machine.profile.id)
                if can_take:
                    ui.label(self.tr(t("Ready around {time}", time=ready.strftime("%H:%M")))).classes(
                        "text-5xl font-bold"
                    ).props("data-testid=ready-time").mark("ready-time")
                else:  # never a time for a machine that cannot take the job
                    ui.label(self.tr(words)).classes("text-4xl font-bold text-red-900").mark("no-ready-time")
                minutes = max(1, round(seconds / 60))
                ui.label(
                    self.tr(
                        t("About {minutes} min on {machine}", minutes=minutes, machine=store_text(machine.profile.name))
                    )
                )
                with ui.row().classes("items-center gap-3"):
                    colour = material.colour_hex if material and material.colour_hex else "#999"
                    ui.element("div").classes("w-10 h-10 rounded-full border").style(f"background: {colour}")
                    ui.label(self.material_words(machine, result.plan.material)).mark("material")
                if result.plan.material_grams:
                    ui.label(self.tr(t("{grams} g of material", grams=f"{result.plan.material_grams:.0f}")))
            with ui.column().classes("gap-2 items-end"):
                ui.label(format_money(result.quote.total, result.quote.currency, self.lang)).classes(
                    "text-7xl font-bold"
                ).props("data-testid=price").mark("price")
                ui.label(self.tr(t("including everything"))).classes("text-xl text-gray-600")
                self.part_beside_the_price(result)
        self.price_actions(machine, free_at)

    def part_beside_the_price(self, result: QuoteResult) -> None:
        """The customer's own part next to its price: what they pay for, as they made it."""
        width, height = (320, 220) if self.compact else (560, 380) if self.wide else (380, 260)
        with ui.element("div").props("data-testid=price-part").mark("price-part"):
            if result.part.preview_path is not None:
                material = self.services.machines[result.plan.machine_id].materials.get(result.plan.material)
                colour = material.colour_hex if material and material.colour_hex else "#f28c28"
                preview = f"/media/previews/{result.part.preview_path.stem}.glb"
                PartViewer(preview, result.part.size, colour, width=width, height=height)
            elif result.plan.program_path is not None:
                toolpaths_view(result, self.services, width, height)

    def price_actions(self, machine: Machine, free_at: datetime | None) -> None:
        """At the kiosk: on to the machine, when it is free."""
        zone = ZoneInfo(self.settings.store_timezone)
        state = machine.status.state
        can_start = state in READY_STATES
        if state in (MachineState.OFFLINE, MachineState.CONNECTING) or machine.status.needs_staff:
            ui.label(
                self.tr(
                    t(
                        "{machine} is not available right now. Please ask the staff.",
                        machine=store_text(machine.profile.name),
                    )
                )
            ).classes("text-2xl text-red-800")
        elif not can_start:
            until = free_at.astimezone(zone).strftime("%H:%M") if free_at else "?"
            ui.label(
                self.tr(
                    t(
                        "{machine} is busy until about {time}. You can start when it is free.",
                        machine=store_text(machine.profile.name),
                        time=until,
                    )
                )
            ).classes("text-2xl text-orange-800")
        with ui.row().classes("gap-4 mt-auto"):
            self.back_button(Step.PERSONALISE)
            go = (
                ui.button(
                    self.tr(t("Go to {machine}", machine=store_text(machine.profile.name))),
                    on_click=self.create_job,
                    icon="arrow_forward",
                )
                .props("size=xl")
                .classes("min-h-[64px]")
            )
            go.set_enabled(can_start)

    def create_job(self) -> None:
        result = self.visit.result
        assert result is not None
        try:
            new = self.jobs.create(result.quote_id, source="kiosk", actor=Actor.KIOSK)
        except JobRefused as e:
            ui.notify(self.tr(e.message), type="warning", position="center")
            return
        self.visit.job_id, self.visit.token = new.job.id, new.token
        self.go(Step.MACHINE)

    # --- 4: at the machine ------------------------------------------------------------------------------

    def at_machine(self) -> None:
        result = self.visit.result
        assert result is not None and self.services.fleet is not None
        machine = self.services.fleet.machines[result.plan.machine_id]

        def back() -> None:
            self._give_up_job()
            self.go(Step.PERSONALISE)

        AtMachine(
            machine,
            result,
            self.jobs,
            self.sheet_name(result.plan.material),
            self.lang,
            self.touch,
            self.start_job,
            self.frame_job,
            back,
        )

    def material_words(self, machine: Machine, material: str) -> str:
        """The material as a customer says it: a sheet by its name ("Birch plywood 3 mm"), a filament by colour and
        kind ("orange PLA"), in the reader's language; never the machine file's key ("plywood_3mm")."""
        if machine.profile.kind.value != "fdm_printer":
            return self.sheet_name(material)
        limits = machine.profile.materials.get(material)
        colour = self.tr(store_text(limits.colour)) if limits and limits.colour else ""
        return f"{colour} {material}".strip()

    def sheet_name(self, material: str) -> str:
        """A sheet material's name in the reader's language, from the engraver's or the router's table."""
        sheet = self.services.laser_materials.get(material) or self.services.cnc_materials.get(material)
        return (sheet.label.get(self.lang) or sheet.label.get("en", "")) if sheet else material

    async def frame_job(self, message: ui.label) -> None:
        """The machine traces the job's outline without working, so the customer sees where it will go."""
        self.touch()
        job_id = self.visit.job_id
        assert job_id is not None
        message.set_text(self.tr(t("The machine shows the outline of your design…")))
        try:
            await control(self.store.job_action, self.customer(job_id), job_id, Action.FRAME)
        except JobRefused as e:
            message.set_text(self.tr(e.message))
            return
        result, fleet = self.visit.result, self.services.fleet
        assert result is not None and fleet is not None
        machine = fleet.machines[result.plan.machine_id]
        deadline = time.monotonic() + FRAME_WAIT_S
        while machine.status.state is MachineState.RUNNING and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        self.touch()
        if machine.status.state in READY_STATES:
            message.set_text(self.tr(t("That is where your design will go.")))

    def _give_up_job(self) -> None:
        if self.visit.job_id is not None:
            with contextlib.suppress(JobRefused):
                self.store.job_action(self.customer(self.visit.job_id), self.visit.job_id, Action.CANCEL)
        self.visit.job_id = self.visit.token = None
        self.visit.result = None  # its price was accepted for that job: a new one is made

    async def start_job(self, message: ui.label) -> None:
        self.touch()
        job_id = self.visit.job_id
        assert job_id is not None
        message.set_text(self.tr(t("Starting…")))
        try:
            # machine control's own path: never behind design work; the whole program's safety check off the loop
            await control(self.store.job_action, self.customer(job_id), job_id, Action.START)
        except JobRefused as e:
            message.set_text(self.tr(e.message))
            return
        self.go(Step.RUNNING)

    # --- 5: running, 6: hand-off ------------------------------------------------------------------------

    async def act(self, action: str) -> None:
        self.touch()
        if self.visit.job_id is None:
            return
        try:
            job_id = self.visit.job_id
            await act(action, self.store.job_action, self.customer(job_id), job_id, Action(action))
        except JobRefused as e:
            ui.notify(self.tr(e.message), type="warning", position="center")

    def running(self) -> None:
        job_id = self.visit.job_id
        result = self.visit.result
        assert job_id is not None and result is not None
        live = self.jobs.live(job_id)
        with ui.row().classes("w-full gap-8 no-wrap"):
            if result.part.preview_path is None and result.plan.program_path is not None:
                toolpaths_view(result, self.services, *((960, 680) if self.wide else (560, 400)))
            if result.part.preview_path is not None:
                viewer = PartViewer(
                    f"/media/previews/{result.part.preview_path.stem}.glb",
                    result.part.size,
                    width=960 if self.wide else 560,
                    height=760 if self.wide else 460,
                )
                machine = self.services.machines[result.plan.machine_id]
                centre = (machine.envelope.x / 2, machine.envelope.y / 2)
                Watch(live, "percent", lambda p: viewer.show_progress((p or 0) / 100))
                Watch(
                    live,
                    "layer",
                    lambda n: viewer.show_layer(live.program.layer_points(n) if live.program else [], centre),
                )
            with ui.column().classes("grow gap-6"):
                JobProgress(live, self.lang, self.settings.store_timezone, "kiosk", self.act)
                NextStep(live, self.lang, self.take_words(), self.reset)
                ui.button(
                    self.tr(t("Follow it on your phone")), on_click=lambda: self.go(Step.HANDOFF), icon="smartphone"
                ).props("size=xl").classes("min-h-[64px]").bind_visibility_from(
                    live, "state", lambda s: s not in READY + STOPPED
                )
                Watch(live, "state", self._after_the_job)

    def take_words(self) -> Text:
        """What the customer takes from where, once it is made."""
        result = self.visit.result
        assert result is not None
        machine = self.services.machines[result.plan.machine_id]
        design = self.visit.template.title_in(self.lang) if self.visit.template else self.tr(t("your part"))
        return t("Take your {design} from {machine}.", design=design, machine=store_text(machine.name))

    def _after_the_job(self, state: str) -> None:
        if in_group(state, OUTCOMES) and self.visit.step is Step.RUNNING:
            self.touch()  # the customer gets the idle time to read the outcome before the kiosk resets

    def handoff(self) -> None:
        job_id, token = self.visit.job_id, self.visit.token
        assert job_id is not None and token is not None
        if self.visit.code is None:
            self.visit.code = self.handoffs.code_for(token)
        live = self.jobs.live(job_id)
        ui.label(self.tr(t("Take your job with you"))).classes("text-4xl font-bold")
        with ui.row().classes("w-full gap-12 no-wrap items-start"):
            QrHandoff(
                f"{self.public_base()}/job/{token}",
                self.tr(
                    t(
                        "Scan to follow your job on your phone, or type the code at {address}",
                        address=f"{self.public_base()}/j",
                    )
                ),
                self.visit.code,
            )
            with ui.column().classes("grow gap-4"):
                JobProgress(live, self.lang, self.settings.store_timezone, "kiosk", self.act)
                ui.button(self.tr(t("Done: next customer")), on_click=self.reset, icon="check").props(
                    "size=xl outline"
                ).classes("min-h-[64px]")

    # --- leaving ------------------------------------------------------------------------------------------

    def public_base(self) -> str:
        return self.settings.public_url or self.base_url

    def reset(self) -> None:
        """Wipe the visit and show the start; a job that is running runs on, one not started yet is cancelled."""
        job_id = self.visit.job_id
        if job_id is not None and self.visit.step in (Step.MACHINE, Step.PRICE):
            self._give_up_job()
        self._close_inbox()
        self._pending_upload = None
        self.visit = Visit()
        self.go(Step.CATALOG)

    def _check_idle(self) -> None:
        if self.visit.job_id is not None and self.visit.step is Step.MACHINE:
            self.jobs.still_at_machine(self.visit.job_id)  # shown here: not abandoned
        pending = self._pending_upload
        if pending is not None and self.visit.step is Step.UPLOAD:
            self._pending_upload = None
            self._start_upload(*pending)
            return
        idle = time.monotonic() - self.last_touch
        if not self.idle_reset or self.visit.step is Step.CATALOG:
            return
        if self.preparation is not None and self.preparation.working and self.visit.step is Step.PERSONALISE:
            return  # the customer is waiting for us, not the other way round
        timeout = self.settings.kiosk_idle_timeout_s
        if idle > timeout:
            log.info("kiosk idle for %.0f s: the visit is wiped", idle)
            self.reset()
        elif idle > timeout - min(IDLE_WARNING_S, timeout / 2):
            self._warn_idle(round(timeout - idle))

    def _warn_idle(self, seconds: int) -> None:
        """Before the visit is wiped: say so, with a countdown; any tap (anywhere) keeps the visit."""
        if self._idle_warning is None:
            with ui.dialog().props("persistent") as self._idle_warning, ui.card().classes("p-8 gap-6 items-center"):
                ui.label(self.tr(t("Are you still there?"))).classes("text-4xl font-bold").mark("idle-warning")
                self._idle_countdown = ui.label().classes("text-2xl")
                ui.button(self.tr(t("I am still here")), on_click=self.touch, icon="touch_app").props(
                    "size=xl"
                ).classes("min-h-[72px]")
            self._idle_warning.open()
        assert self._idle_countdown is not None
        self._idle_countdown.set_text(self.tr(t("The kiosk starts over in {seconds} s.", seconds=max(seconds, 0))))


def register(services: Services, handoffs: Handoffs) -> None:
    from app.pages.kiosk_pairing import kiosk_device, pair_button  # pairing builds on the staff pages' Origin check

    @ui.page("/")
    def kiosk_page(request: Request, lang: str | None = None) -> None:
        base = f"{request.url.scheme}://{request.url.netloc}"
        lang = reader_language(services.settings, lang)
        device = kiosk_device(services, request)
        if device is None:  # not a paired kiosk: the catalog, prices and ordering as from home; never a start
            from app.pages.order import RemoteOrder  # order.py builds on this page

            RemoteOrder(services, handoffs, lang, base)
            pair_button(t("Pair this screen as a kiosk").render(lang))
            return
        Kiosk(services, handoffs, lang, base, device)
