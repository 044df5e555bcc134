"""The staff console: the machine board, what needs staff, the queue.

Every staff page is built only for a valid session, and every button checks the session again on the server before
it acts (StoreOps checks the role), so a page left open after sign-out or expiry can do nothing. Page events arrive
over the page's own socket, which only pages of this server's origin may open (see app/server.py). Signing in (a
plain HTML form posted to the server, which sets the session cookie) and the accounts page are
app/pages/staff_accounts.py; the machine cards app/pages/staff_machine_card.py; the audit log
app/pages/staff_audit.py; the kiosks app/pages/staff_kiosks.py. (Just over 400 lines: the console's three
sections redraw from one snapshot and belong together.)
"""

from __future__ import annotations

import html
from collections.abc import Callable
from zoneinfo import ZoneInfo

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from nicegui import app, ui

from app.access import Action, Forbidden, Principal
from app.i18n import Text, t, translate
from app.job_states import NOT_STARTED, QUEUE_STATES
from app.jobs import Job, JobRefused, JobState
from app.machine_control import control, stop
from app.machine_settings import STAFF_READIES
from app.pages.common import MACHINE_WORDS, language_switch, reader_language, touch_page
from app.pages.staff_accounts import login_page, principal_of, sign_in, sign_out, to_sign_in, users_page
from app.pages.staff_machine_card import MachineCard
from app.production.quotes import format_money
from app.services import Services
from app.store import StoreOps
from machine_adapters.base import NEEDS_STAFF_STATES
from ui_components.job_progress import STATE_WORDS

REFRESH_S = 1.5
NEEDS_YOU_JOBS = (JobState.HELD, JobState.AWAITING_APPROVAL)
TOUCH_LINK = "inline-block py-3 px-1 min-w-[48px]"  # a link is a touch target too: 48 px tall at least


def register(services: Services) -> None:
    title = services.settings.store_name

    @app.post("/staff/session")
    def sign_in_route(
        request: Request, name: str = Form(""), password: str = Form(""), lang: str = Form("")
    ) -> Response:
        return sign_in(services, request, name, password, lang)

    @app.post("/staff/session/end")
    def sign_out_route(request: Request) -> Response:
        return sign_out(services, request)

    @ui.page("/staff/login", title=title)
    def login_route(request: Request, lang: str | None = None, error: str = "") -> None:
        login_page(services, request, lang, error)

    @ui.page("/staff", title=title)
    def console_route(request: Request, lang: str | None = None) -> RedirectResponse | None:
        return console_page(services, request, lang)

    @ui.page("/staff/audit", title=title)
    def audit_route(request: Request, lang: str | None = None, job: str = "") -> RedirectResponse | None:
        return audit_page(services, request, lang, job)

    @ui.page("/staff/kiosks", title=title)
    def kiosks_route(request: Request, lang: str | None = None) -> RedirectResponse | None:
        return kiosks_page(services, request, lang)

    @ui.page("/staff/users", title=title)
    def users_route(request: Request, lang: str | None = None) -> RedirectResponse | None:
        return users_page(services, request, lang)


def console_page(services: Services, request: Request, lang: str | None) -> RedirectResponse | None:
    """`/staff`: the console (machines, what needs staff, the queue), for a signed-in session only."""
    who, token = principal_of(services, request)
    if who is None:
        return to_sign_in(services.settings, lang)
    lang = reader_language(services.settings, lang, request)
    touch_page(lang)
    assert services.store is not None
    StaffConsole(services, services.store, token, who, lang).build()
    return None


def audit_page(services: Services, request: Request, lang: str | None, job: str) -> RedirectResponse | None:
    """`/staff/audit`: the audit log, of one job when its number is given."""
    from app.pages.staff_audit import AuditLog  # it builds on StaffConsole below

    who, token = principal_of(services, request)
    if who is None:
        return to_sign_in(services.settings, lang)
    lang = reader_language(services.settings, lang, request)
    touch_page(lang)
    assert services.store is not None
    AuditLog(services, services.store, token, who, lang).audit_page(job)
    return None


def kiosks_page(services: Services, request: Request, lang: str | None) -> RedirectResponse | None:
    """`/staff/kiosks`: pair, list and revoke kiosks."""
    from app.pages.staff_kiosks import KioskList  # it builds on StaffConsole below

    who, token = principal_of(services, request)
    if who is None:
        return to_sign_in(services.settings, lang)
    assert services.store is not None
    KioskList(services, services.store, token, who, reader_language(services.settings, lang, request)).kiosks_page()
    return None


class StaffConsole:
    def __init__(self, services: Services, store: StoreOps, token: str, who: Principal, lang: str) -> None:
        assert services.fleet is not None and services.jobs is not None
        self.services = services
        self.store = store
        self.jobs = services.jobs
        self.fleet = services.fleet
        self.accounts = services.staff
        self.token = token
        self.name = who.name
        self.lang = lang
        self.zone = ZoneInfo(services.settings.store_timezone)
        self._queue: list[Job] = []  # read once per tick for every section
        self._shown: dict[str, object] = {}  # what each section shows now, to redraw it only when that changes
        self._cards: dict[str, MachineCard] = {}  # the board's cards as drawn last, for the values that move

    def tr(self, text: Text) -> str:
        return text.render(self.lang)

    def who(self) -> Principal | None:
        """The session, checked again at every action: signed out or expired means nothing happens."""
        principal = self.accounts.principal(self.token)
        if principal is None:
            ui.navigate.to("/staff/login")
        return principal

    async def do(self, action: Callable[[Principal], object], done: Text | None = None, urgent: bool = False) -> None:
        """Run a staff action on machine control's own path: off the event loop (moving a job validates its whole
        program) and never behind customers' design work."""
        who = self.who()
        if who is None:
            return
        try:
            await (stop if urgent else control)(action, who)
        except Forbidden as e:
            ui.notify(self.tr(e.message), type="negative")
            return
        except JobRefused as e:
            ui.notify(self.tr(e.message), type="warning")
            return
        if done is not None:
            ui.notify(self.tr(done), type="positive")
        self._queue = await control(self.jobs.queue)
        self.show_changes(everything=True)

    # --- layout ---------------------------------------------------------------------------------------

    def header(self) -> None:
        with ui.header().classes("items-center justify-between bg-slate-900 px-6"):
            ui.label(f"{self.services.settings.store_name}: {self.tr(t('Staff'))}").classes("text-2xl font-bold")
            with ui.row().classes("items-center gap-4"):
                ui.link(self.tr(t("Console")), f"/staff?lang={self.lang}").classes(TOUCH_LINK + " text-white")
                ui.link(self.tr(t("Audit log")), f"/staff/audit?lang={self.lang}").classes(TOUCH_LINK + " text-white")
                ui.link(self.tr(t("Kiosks")), f"/staff/kiosks?lang={self.lang}").classes(TOUCH_LINK + " text-white")
                ui.link(self.tr(t("Designers")), f"/staff/submissions?lang={self.lang}").classes(
                    TOUCH_LINK + " text-white"
                )
                ui.link(self.tr(t("Owed to designers")), f"/staff/owed?lang={self.lang}").classes(
                    TOUCH_LINK + " text-white"
                )
                language_switch(self.services.settings, self.lang, lambda code: ui.navigate.to(f"?lang={code}"))
                ui.label(self.name).classes("text-lg")
                ui.html(
                    '<form method="post" action="/staff/session/end" style="display:inline">'
                    '<button type="submit" class="underline min-h-[48px] px-2">'
                    f"{html.escape(self.tr(t('Sign out')))}</button></form>",
                    sanitize=False,
                )

    def build(self) -> None:
        self.header()
        # dialogs live here, outside the refreshed sections: an update never closes one while staff type in it
        self.dialogs = ui.element("div")
        self._queue = self.jobs.queue()
        with ui.column().classes("w-full p-4 gap-6"):
            with ui.row().classes("items-center gap-4"):
                ui.label(self.tr(t("Machines"))).classes("text-2xl font-bold")
                ui.button(
                    self.tr(t("Stop all machines")),
                    on_click=lambda: self.do(self.store.stop_all, t("Every machine was stopped."), urgent=True),
                    color="red-9",
                    icon="dangerous",
                ).props("size=lg").mark("stop-all")
            self.board()
            ui.label(self.tr(t("Needs you"))).classes("text-2xl font-bold")
            self.incidents()
            ui.label(self.tr(t("Queue"))).classes("text-2xl font-bold")
            self.queue()
        ui.timer(REFRESH_S, self.refresh_live)

    async def refresh_live(self) -> None:
        """Redraw a section only when what it shows has changed; progress and temperatures change in place. The
        queue is read once per tick for all sections, off the event loop."""
        if self.accounts.principal(self.token) is None:
            ui.navigate.to("/staff/login")
            return
        self._queue = await control(self.jobs.queue)  # staff's own path: one query, off the event loop
        self.show_changes()

    def show_changes(self, everything: bool = False) -> None:
        sections = (
            ("board", self.board_snapshot(), self.board),
            ("incidents", self.incidents_snapshot(), self.incidents),
            ("queue", [(j.id, j.state, j.machine_id) for j in self._queue if j.state is not JobState.HELD], self.queue),
        )
        for name, snapshot, section in sections:
            if everything or self._shown.get(name) != snapshot:
                self._shown[name] = snapshot
                section.refresh()
        self.show_live_values()

    def board_snapshot(self) -> list[object]:
        """What the machine cards are made of (not the values that move: progress, temperatures)."""
        rows: list[object] = []
        for machine_id, machine in self.fleet.machines.items():
            status = machine.status
            rows.append((machine_id, status.state, status.job_id, status.last_error, status.hotend is not None))
            rows.append(self.jobs.machine_settings.get(machine_id))
        return rows

    def incidents_snapshot(self) -> list[object]:
        machines = [(m.profile.id, m.status.state, m.status.last_error) for m in self.fleet.machines.values()]
        clearing = [m_id for m_id in self.fleet.machines if self.jobs.machine_settings.get(m_id).needs_clearing]
        jobs = [(j.id, j.state, j.reason) for j in self._queue if j.state in NEEDS_YOU_JOBS]
        return [machines, clearing, jobs]

    def show_live_values(self) -> None:
        for card in self._cards.values():
            card.show_live_values()

    # --- the machine board ---------------------------------------------------------------------------------

    @ui.refreshable_method
    def board(self) -> None:
        with ui.row().classes("w-full gap-4"):
            for machine_id in self.fleet.machines:
                self.machine_card(machine_id)

    def machine_card(self, machine_id: str) -> None:
        machine = self.fleet.machines[machine_id]
        self._cards[machine_id] = MachineCard(machine, self.jobs, self.store, self.lang, self.do, self.bring_back)

    async def bring_back(self, machine_id: str) -> None:
        """Rehome or reconnect takes seconds: done off the event loop, so other pages keep moving."""
        who = self.who()
        if who is None:
            return
        ui.notify(self.tr(t("Bringing the machine back…")))
        try:
            await control(self.store.bring_back, who, machine_id)
        except JobRefused as e:
            ui.notify(self.tr(e.message), type="warning")
        self.show_changes(everything=True)

    # --- incidents --------------------------------------------------------------------------------------------

    @ui.refreshable_method
    def incidents(self) -> None:
        rows = 0
        with ui.column().classes("gap-2"):
            for machine in self.fleet.machines.values():
                status = machine.status
                if status.state in NEEDS_STAFF_STATES:
                    rows += 1
                    reason = translate(status.last_error, self.lang) if status.last_error else ""
                    ui.label(f"{machine.profile.name}: {self.tr(MACHINE_WORDS[status.state])}. {reason}").mark(
                        "incident"
                    )
            for machine_id, machine in self.fleet.machines.items():
                if self.jobs.machine_settings.get(machine_id).needs_clearing:
                    rows += 1
                    ready = (
                        t("{machine}: clamp new stock and set work zero, then confirm on its card.")
                        if machine.profile.kind.value in STAFF_READIES
                        else t("{machine}: clear the bed, check the material, then confirm on its card.")
                    )
                    ui.label(self.tr(Text(ready.msgid, {"machine": machine.profile.name}))).mark("incident")
            for job in self._queue:
                if job.state is JobState.AWAITING_APPROVAL:
                    rows += 1
                    with ui.row().classes("items-center gap-4"):
                        ui.label(
                            self.tr(
                                t(
                                    "{name} waits for approval: {design}",
                                    name=job.customer_name or "—",
                                    design=job.display_name,
                                )
                            )
                        ).mark("incident")
                        ui.button(
                            self.tr(t("Approve")),
                            on_click=lambda j=job.id: self.do(lambda w: self.store.approve(w, j), t("Approved.")),
                        ).mark(f"needs-approve-{job.id}")
                        ui.button(self.tr(t("Refuse")), on_click=lambda j=job.id: self.deny_dialog(j)).props(
                            "outline"
                        ).mark(f"needs-deny-{job.id}")
                if job.state is JobState.HELD:
                    rows += 1
                    with ui.row().classes("items-center gap-4"):
                        ui.label(f"{job.customer_name or job.display_name}: {translate(job.reason, self.lang)}").mark(
                            "incident"
                        )
                        ui.button(
                            self.tr(t("Cancel and refund")),
                            on_click=lambda j=job.id: self.do(lambda w: self.store.cancel_and_refund(w, j)),
                        ).mark(f"refund-{job.id}")
            if not rows:
                ui.label(self.tr(t("Nothing needs you right now."))).classes("text-gray-600")

    # --- the queue ------------------------------------------------------------------------------------------

    @ui.refreshable_method
    def queue(self) -> None:
        jobs = [j for j in self._queue if j.state is not JobState.HELD]
        if not jobs:
            ui.label(self.tr(t("No jobs waiting."))).classes("text-gray-600")
            return
        with ui.column().classes("w-full gap-1"):
            for job in jobs:
                self.queue_row(job)

    def queue_row(self, job: Job) -> None:
        summary = self.jobs.summary(job.id)
        machine = self.fleet.machines.get(job.machine_id)
        with ui.row().classes("w-full items-center gap-3 border-b py-1").mark(f"queue-{job.id}"):
            ui.label(job.customer_name or "—").classes("w-32 font-bold")
            ui.label(job.display_name).classes("w-40")
            ui.label(machine.profile.name if machine else job.machine_id).classes("w-36")
            ui.label(format_money(summary.price, summary.currency, self.lang)).classes("w-24")
            ui.label(self.tr(STATE_WORDS.get(job.state.value, t("In the queue")))).classes("w-56").mark(
                f"queue-state-{job.id}"
            )
            if job.state is JobState.AWAITING_APPROVAL:
                ui.button(
                    self.tr(t("Approve")),
                    on_click=lambda: self.do(lambda w: self.store.approve(w, job.id), t("Approved.")),
                ).mark(f"approve-{job.id}")
                ui.button(self.tr(t("Refuse")), on_click=lambda: self.deny_dialog(job.id)).props("outline").mark(
                    f"deny-{job.id}"
                )
            if job.state in QUEUE_STATES:
                ui.button("↑", on_click=lambda: self.do(lambda w: self.store.move(w, job.id, -1))).mark(f"up-{job.id}")
                ui.button("↓", on_click=lambda: self.do(lambda w: self.store.move(w, job.id, 1))).mark(f"down-{job.id}")
            if job.state in (JobState.AWAITING_APPROVAL, JobState.QUEUED) and machine is not None:
                others = {
                    m_id: m.profile.name
                    for m_id, m in self.fleet.machines.items()
                    if m.profile.kind is machine.profile.kind and m_id != job.machine_id
                }
                if others:
                    ui.select(
                        others,
                        label=self.tr(t("Move to")),
                        on_change=lambda e: self.do(lambda w: self.store.reassign(w, job.id, e.value)),
                    ).classes("w-40").mark(f"reassign-{job.id}")
            if job.state in NOT_STARTED:  # nothing is on a machine yet: staff may cancel it at any point
                ui.button(
                    self.tr(t("Cancel job")),
                    on_click=lambda: self.do(
                        lambda w: self.store.job_action(w, job.id, Action.CANCEL), t("Cancelled.")
                    ),
                ).props("outline color=red").mark(f"cancel-{job.id}")
            if job.state is JobState.WAITING_FOR_MACHINE_READY and job.source == "remote":
                ui.button(
                    self.tr(t("Start (I am at the machine)")),
                    on_click=lambda: self.do(lambda w: self.store.job_action(w, job.id, Action.START), t("Started.")),
                    color="green",
                ).mark(f"start-{job.id}")
            if job.state is JobState.READY_FOR_PICKUP:
                ui.button(
                    self.tr(t("Collected")),
                    on_click=lambda: self.do(lambda w: self.store.mark_collected(w, job.id)),
                ).mark(f"collected-{job.id}")
            ui.link(self.tr(t("History")), f"/staff/audit?job={job.id}&lang={self.lang}").classes(
                TOUCH_LINK + " text-blue-800"
            )

    def deny_dialog(self, job_id: str) -> None:
        with self.dialogs, ui.dialog() as dialog, ui.card().classes("gap-4 p-6"):
            ui.label(self.tr(t("Why is this job refused? The customer sees this."))).classes("text-lg")
            reason = ui.input(self.tr(t("Reason"))).props("maxlength=200").classes("w-96").mark("deny-reason")

            async def refuse() -> None:
                dialog.close()
                await self.do(lambda w: self.store.deny(w, job_id, reason.value or ""), t("Refused."))

            ui.button(self.tr(t("Refuse the job")), on_click=refuse).mark("deny-confirm")
        dialog.open()
