"""The kiosk (`/`): a touch screen next to the machines guiding a customer from a design to a running job.

One decision per step, each with a way back: choose -> personalise (or bring a file) -> price -> at the machine
(presence checklist) -> running -> hand-off to the phone. Idle too long, and the visit is wiped; a job already
running is not touched. The steps are components (app/pages/steps/); this page composes them and does what only a
kiosk beside the machines may: make the job, start it, and act on it as the customer standing there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from fastapi import Request
from nicegui import ui

from app.access import Action, Principal, kiosk_customer
from app.handoff import Handoffs
from app.i18n import t
from app.jobs import Actor, JobRefused, JobService
from app.kiosks import LOCAL_KIOSK_ID, KioskDevice
from app.machine_control import act, control
from app.pages.common import language_switch, reader_language
from app.pages.order import RemoteOrder
from app.pages.steps import STEP_WORDS, Step
from app.pages.steps.at_machine import AtMachine
from app.pages.steps.handoff import Handoff
from app.pages.steps.page import StepsPage
from app.pages.steps.price import go_to_the_machine
from app.pages.steps.running import Running
from app.pages.steps.visit import Visit
from app.services import Services
from app.store import StoreOps
from machine_adapters.base import READY_STATES, MachineState

log = logging.getLogger(__name__)

IDLE_WARNING_S = 20.0  # how long before the idle reset the kiosk asks whether the customer is still there
FRAME_WAIT_S = 120.0  # the longest an outline takes to trace before the kiosk stops waiting for it


class Kiosk:
    def __init__(
        self, services: Services, handoffs: Handoffs, lang: str, base_url: str, device: KioskDevice | None = None
    ) -> None:
        assert services.jobs is not None and services.store is not None, "the server runs the machines"
        self.services = services
        self.settings = services.settings
        self.jobs: JobService = services.jobs
        self.store: StoreOps = services.store
        self.handoffs = handoffs
        self.device = device
        self.page = StepsPage(services, handoffs, lang, base_url, device)
        self.screen = self.page.screen
        self._idle_warning: ui.dialog | None = None
        self._idle_countdown: ui.label | None = None
        self.page.after_touch = self._close_idle_warning
        self.page.show(
            self.header,
            {Step.MACHINE: self.at_machine, Step.RUNNING: self.running, Step.HANDOFF: self.handoff},
            lambda machine, free_at: go_to_the_machine(
                self.screen, machine, free_at, lambda: self.page.go(Step.PERSONALISE), self.create_job
            ),
            self._check_idle,
        )

    @property
    def visit(self) -> Visit:
        return self.page.visit

    def header(self) -> None:
        tr = self.screen.tr
        with ui.row().classes("w-full items-center justify-between px-6 py-3 bg-gray-900 text-white no-wrap"):
            ui.label(self.settings.store_name).classes("text-2xl font-bold")
            with ui.row().classes("gap-6 text-lg"):
                current = self.visit.step if self.visit.step in STEP_WORDS else Step.RUNNING
                if self.visit.step is Step.UPLOAD:
                    current = Step.CATALOG
                for number, step in enumerate(STEP_WORDS, start=1):
                    style = "font-bold underline" if step is current else "opacity-60"
                    ui.label(f"{number} {tr(STEP_WORDS[step])}").classes(style)
            language_switch(self.settings, self.screen.lang, self.page.switch_language)

    # --- who acts -------------------------------------------------------------------------------------------

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

    # --- price -> at the machine ---------------------------------------------------------------------------

    def create_job(self) -> None:
        result = self.visit.result
        assert result is not None
        try:
            new = self.jobs.create(result.quote_id, source="kiosk", actor=Actor.KIOSK, tip=self.visit.tip)
        except JobRefused as e:
            ui.notify(self.screen.tr(e.message), type="warning", position="center")
            return
        self.visit.job_id, self.visit.token = new.job.id, new.token
        self.page.go(Step.MACHINE)

    def at_machine(self) -> None:
        result = self.visit.result
        assert result is not None and self.services.fleet is not None
        machine = self.services.fleet.machines[result.plan.machine_id]

        def back() -> None:
            self._give_up_job()
            self.page.go(Step.PERSONALISE)

        AtMachine(
            machine,
            result,
            self.jobs,
            self.page.floor.sheet_name(result.plan.material, self.screen.lang),
            self.screen.lang,
            self.page.touch,
            self.start_job,
            self.frame_job,
            back,
        )

    async def frame_job(self, message: ui.label) -> None:
        """The machine traces the job's outline without working, so the customer sees where it will go."""
        self.page.touch()
        job_id = self.visit.job_id
        assert job_id is not None
        message.set_text(self.screen.tr(t("The machine shows the outline of your design…")))
        try:
            await control(self.store.job_action, self.customer(job_id), job_id, Action.FRAME)
        except JobRefused as e:
            message.set_text(self.screen.tr(e.message))
            return
        result, fleet = self.visit.result, self.services.fleet
        assert result is not None and fleet is not None
        machine = fleet.machines[result.plan.machine_id]
        deadline = time.monotonic() + FRAME_WAIT_S
        while machine.status.state is MachineState.RUNNING and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        self.page.touch()
        if machine.status.state in READY_STATES:
            message.set_text(self.screen.tr(t("That is where your design will go.")))

    def _give_up_job(self) -> None:
        if self.visit.job_id is not None:
            with contextlib.suppress(JobRefused):
                self.store.job_action(self.customer(self.visit.job_id), self.visit.job_id, Action.CANCEL)
        self.visit.job_id = self.visit.token = None
        self.visit.result = None  # its price was accepted for that job: a new one is made

    async def start_job(self, message: ui.label) -> None:
        self.page.touch()
        job_id = self.visit.job_id
        assert job_id is not None
        message.set_text(self.screen.tr(t("Starting…")))
        try:
            # machine control's own path: never behind design work; the whole program's safety check off the loop
            await control(self.store.job_action, self.customer(job_id), job_id, Action.START)
        except JobRefused as e:
            message.set_text(self.screen.tr(e.message))
            return
        self.page.go(Step.RUNNING)

    # --- running, hand-off ----------------------------------------------------------------------------------

    async def act(self, action: str) -> None:
        self.page.touch()
        if self.visit.job_id is None:
            return
        try:
            job_id = self.visit.job_id
            await act(action, self.store.job_action, self.customer(job_id), job_id, Action(action))
        except JobRefused as e:
            ui.notify(self.screen.tr(e.message), type="warning", position="center")

    def running(self) -> None:
        Running(self.screen, self.visit, self.act, lambda: self.page.go(Step.HANDOFF), self.reset, self._after_the_job)

    def _after_the_job(self) -> None:
        if self.visit.step is Step.RUNNING:
            self.page.touch()  # the customer gets the idle time to read the outcome before the kiosk resets

    def handoff(self) -> None:
        Handoff(self.screen, self.visit, self.handoffs, self.page.public_base(), self.act, self.reset)

    # --- leaving ------------------------------------------------------------------------------------------

    def reset(self) -> None:
        """Wipe the visit and show the start; a job that is running runs on, one not started yet is cancelled."""
        if self.visit.job_id is not None and self.visit.step in (Step.MACHINE, Step.PRICE):
            self._give_up_job()
        self.page.start_over()

    def _check_idle(self) -> None:
        if self.visit.job_id is not None and self.visit.step is Step.MACHINE:
            self.jobs.still_at_machine(self.visit.job_id)  # shown here: not abandoned
        if self.visit.step is Step.CATALOG:
            return
        personalising = self.page.personalising
        if personalising is not None and personalising.working and self.visit.step is Step.PERSONALISE:
            return  # the customer is waiting for us, not the other way round
        idle = time.monotonic() - self.page.last_touch
        timeout = self.settings.kiosk_idle_timeout_s
        if idle > timeout:
            log.info("kiosk idle for %.0f s: the visit is wiped", idle)
            self.reset()
        elif idle > timeout - min(IDLE_WARNING_S, timeout / 2):
            self._warn_idle(round(timeout - idle))

    def _close_idle_warning(self) -> None:
        if self._idle_warning is not None:
            self._idle_warning.delete()
            self._idle_warning = None

    def _warn_idle(self, seconds: int) -> None:
        """Before the visit is wiped: say so, with a countdown; any tap (anywhere) keeps the visit."""
        tr = self.screen.tr
        if self._idle_warning is None:
            with ui.dialog().props("persistent") as self._idle_warning, ui.card().classes("p-8 gap-6 items-center"):
                ui.label(tr(t("Are you still there?"))).classes("text-4xl font-bold").mark("idle-warning")
                self._idle_countdown = ui.label().classes("text-2xl")
                ui.button(tr(t("I am still here")), on_click=self.page.touch, icon="touch_app").props(
                    "size=xl"
                ).classes("min-h-[72px]")
            self._idle_warning.open()
        assert self._idle_countdown is not None
        self._idle_countdown.set_text(tr(t("The kiosk starts over in {seconds} s.", seconds=max(seconds, 0))))


def register(services: Services, handoffs: Handoffs) -> None:
    from app.pages.kiosk_pairing import kiosk_device, pair_button  # pairing builds on the staff pages' Origin check

    @ui.page("/")
    def kiosk_page(request: Request, lang: str | None = None) -> None:
        base = f"{request.url.scheme}://{request.url.netloc}"
        lang = reader_language(services.settings, lang)
        device = kiosk_device(services, request)
        if device is None:  # not a paired kiosk: the catalog, prices and ordering as from home; never a start
            RemoteOrder(services, handoffs, lang, base)
            pair_button(t("Pair this screen as a kiosk").render(lang))
            return
        Kiosk(services, handoffs, lang, base, device)
