"""The staff console: sign-in, the machine board, the queue, incidents, the audit log, and (admins) accounts.

Signing in is a plain HTML form posted to the server, which sets the session cookie (HttpOnly, SameSite=Strict,
path /staff); the kiosk and the phone pages never see it. Every staff page is built only for a valid session, and
every button checks the session again on the server before it acts (StoreOps checks the role), so a page left
open after sign-out or expiry can do nothing. Page events arrive over the page's own socket, which only pages of
this server's origin may open (see app/server.py); the sign-in and sign-out forms check the Origin header.

Longer than our 400 lines: the console's three sections, its change-driven updates and the audit and accounts
pages share one session check; the machine card is the next to become a component of its own.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC
from urllib.parse import urlencode, urlparse
from zoneinfo import ZoneInfo

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from nicegui import app, ui

from app.access import Action, Forbidden, Principal, client_address
from app.i18n import Text, t, translate
from app.job_states import NOT_STARTED, QUEUE_STATES
from app.jobs import Job, JobRefused, JobState
from app.machine_control import control, stop
from app.machine_settings import STAFF_READIES
from app.pages.common import MACHINE_WORDS, language_switch, reader_language, touch_page
from app.production.quotes import format_money
from app.services import Services
from app.staff import COOKIE, SignInRefused
from app.staff import DEVICE_COOKIE as STAFF_DEVICE_COOKIE
from app.store import StoreOps
from machine_adapters.base import NEEDS_STAFF_STATES, MachineState
from ui_components.job_progress import STATE_WORDS

SIGN_IN_ERRORS: dict[str, Text] = {
    "wrong": t("The name or the password is wrong."),
    "locked": t("Too many wrong passwords for this name. Wait a moment, then try again."),
    "busy": t("Too many tries from this device. Wait a minute, then try again."),
    "origin": t("Sign in from this store's own page."),
}
REFRESH_S = 1.5
NEEDS_YOU_JOBS = (JobState.HELD, JobState.AWAITING_APPROVAL)
TOUCH_LINK = "inline-block py-3 px-1 min-w-[48px]"  # a link is a touch target too: 48 px tall at least


def _quoteless(text: str) -> str:
    """Text for a props attribute value: Quasar props are split on spaces and quotes, so quotes go."""
    return text.replace('"', "'")


def register(services: Services) -> None:
    settings = services.settings
    accounts = services.staff
    store = services.store
    assert store is not None

    def to_sign_in(lang: str | None, error: str = "") -> RedirectResponse:
        query = {"lang": lang if lang in settings.languages else "", "error": error}
        filled = urlencode({key: value for key, value in query.items() if value})
        return RedirectResponse("/staff/login" + (f"?{filled}" if filled else ""), 303)

    @app.post("/staff/session")
    def sign_in(request: Request, name: str = Form(""), password: str = Form(""), lang: str = Form("")) -> Response:
        if not same_origin(request):
            return to_sign_in(lang, "origin")
        try:
            peer = request.client.host if request.client else "?"
            peer = client_address(peer, request.headers, settings.trusted_proxies)
            token = accounts.sign_in(name.strip(), password, peer, request.cookies.get(STAFF_DEVICE_COOKIE))
        except SignInRefused as e:
            return to_sign_in(lang, next((k for k, v in SIGN_IN_ERRORS.items() if v.msgid == e.message.msgid), "wrong"))
        response = RedirectResponse(f"/staff?lang={lang}" if lang in settings.languages else "/staff", 303)
        device = accounts.remember_device(token)
        if device is not None:  # this browser's own wrong tries slow it, nobody else's (app/staff.py)
            response.set_cookie(
                STAFF_DEVICE_COOKIE,
                device,
                max_age=365 * 86400,
                path="/staff/session",
                httponly=True,
                samesite="strict",
                secure=request.url.scheme == "https",
            )
        response.set_cookie(
            COOKIE,
            token,
            max_age=int(settings.staff.session_hours * 3600),
            path="/staff",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    @app.post("/staff/session/end")
    def sign_out(request: Request) -> Response:
        if same_origin(request):
            accounts.sign_out(request.cookies.get(COOKIE))
        response = to_sign_in(None)
        response.delete_cookie(COOKIE, path="/staff")
        return response

    @ui.page("/staff/login", title=settings.store_name)
    def login_page(request: Request, lang: str | None = None, error: str = "") -> None:
        lang = reader_language(settings, lang, request)
        touch_page(lang)
        with ui.column().classes("w-full max-w-md mx-auto mt-16 gap-6"):
            ui.label(t("Staff sign-in").render(lang)).classes("text-3xl font-bold").props("role=heading aria-level=1")
            if error in SIGN_IN_ERRORS:
                ui.label(SIGN_IN_ERRORS[error].render(lang)).classes("text-lg text-red-800").mark("sign-in-error")
            ui.html(
                '<form method="post" action="/staff/session" class="flex flex-col gap-4">'
                f'<input type="hidden" name="lang" value="{html.escape(lang)}">'
                f"<label>{html.escape(t('Name').render(lang))}<br>"
                '<input name="name" autocomplete="username" required'
                ' class="border rounded p-3 w-full min-h-[48px]"></label>'
                f"<label>{html.escape(t('Password').render(lang))}<br>"
                '<input name="password" type="password" autocomplete="current-password" required'
                ' class="border rounded p-3 w-full min-h-[48px]"></label>'
                f'<button type="submit" class="bg-blue-700 text-white rounded p-3 min-h-[48px]">'
                f"{html.escape(t('Sign in').render(lang))}</button>"
                "</form>",
                sanitize=False,
            )

    def principal_of(request: Request) -> tuple[Principal | None, str]:
        token = request.cookies.get(COOKIE, "")
        who = accounts.principal(token)
        return (who if who is not None and who.is_staff else None), token  # a designer's session opens no staff page

    @ui.page("/staff", title=settings.store_name)
    def console(request: Request, lang: str | None = None) -> RedirectResponse | None:
        who, token = principal_of(request)
        if who is None:
            return to_sign_in(lang)
        lang = reader_language(settings, lang, request)
        touch_page(lang)
        StaffConsole(services, store, token, who, lang).build()
        return None

    @ui.page("/staff/audit", title=settings.store_name)
    def audit(request: Request, lang: str | None = None, job: str = "") -> RedirectResponse | None:
        who, token = principal_of(request)
        if who is None:
            return to_sign_in(lang)
        lang = reader_language(settings, lang, request)
        touch_page(lang)
        StaffConsole(services, store, token, who, lang).audit_page(job)
        return None

    @ui.page("/staff/kiosks", title=settings.store_name)
    def kiosks(request: Request, lang: str | None = None) -> RedirectResponse | None:
        from app.pages.staff_kiosks import KioskList  # it builds on StaffConsole below

        who, token = principal_of(request)
        if who is None:
            return to_sign_in(lang)
        KioskList(services, store, token, who, reader_language(settings, lang, request)).kiosks_page()
        return None

    @ui.page("/staff/users", title=settings.store_name)
    def users(request: Request, lang: str | None = None) -> RedirectResponse | None:
        who, _ = principal_of(request)
        if who is None:
            return to_sign_in(lang)
        lang = reader_language(settings, lang, request)
        try:
            accounts_list = store.staff_accounts(who)
        except Forbidden:
            ui.label(t("Only an admin may manage the staff accounts.").render(lang)).classes("text-2xl m-8").mark(
                "forbidden"
            )
            return None
        with ui.column().classes("m-8 gap-2"):
            ui.label(t("Staff accounts").render(lang)).classes("text-3xl font-bold")
            for account in accounts_list:
                locked = t(" (locked)").render(lang) if account.locked_until else ""
                ui.label(f"{account.name}: {account.role.value}{locked}").mark("account")
            ui.label(t("Add accounts with: fabkiosk user add NAME --role staff").render(lang)).classes("text-gray-600")
        return None


def same_origin(request: Request) -> bool:
    """A form post from this server's own pages: the Origin (or, without one, the Referer) names our host."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return True  # not a browser posting across sites (browsers always send Origin on cross-site posts)
    return urlparse(origin).netloc == request.headers.get("host", "")


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
        self._progress: dict[str, ui.linear_progress] = {}
        self._temperatures: dict[str, ui.label] = {}

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
        for machine_id, bar in self._progress.items():
            bar.set_value(self.fleet.machines[machine_id].status.progress)
        for machine_id, label in self._temperatures.items():
            label.set_text(self.temperatures(machine_id))

    # --- the machine board ---------------------------------------------------------------------------------

    @ui.refreshable_method
    def board(self) -> None:
        with ui.row().classes("w-full gap-4"):
            for machine_id in self.fleet.machines:
                self.machine_card(machine_id)

    def machine_card(self, machine_id: str) -> None:
        machine = self.fleet.machines[machine_id]
        profile, status = machine.profile, machine.status
        setting = self.jobs.machine_settings.get(machine_id)
        with ui.card().classes("w-80 gap-2").mark(f"machine-card-{machine_id}"):
            ui.label(profile.name).classes("text-xl font-bold")
            state = self.tr(t("In maintenance")) if setting.maintenance else self.tr(MACHINE_WORDS[status.state])
            ui.label(f"{state} ({status.state.value})").mark(f"machine-state-{machine_id}")
            if status.job_id:
                try:
                    job = self.jobs.get(status.job_id)
                    ui.label(self.tr(t("Job: {name}", name=job.customer_name or job.display_name)))
                except JobRefused:
                    pass
                self._progress[machine_id] = ui.linear_progress(status.progress, show_value=False).props(
                    f'aria-label="{_quoteless(profile.name)}"'
                )
            else:
                self._progress.pop(machine_id, None)
            if status.hotend is not None and status.bed is not None:
                self._temperatures[machine_id] = ui.label(self.temperatures(machine_id))
            if status.last_error:
                ui.label(translate(status.last_error, self.lang)).classes("text-red-800")
            if setting.needs_clearing:
                ready = (
                    t("New stock clamped, work zero set")
                    if profile.kind.value in STAFF_READIES
                    else t("Bed is clear, material is right")
                )
                ui.button(
                    self.tr(ready),
                    on_click=lambda: self.do(lambda w: self.store.confirm_ready(w, machine_id), t("Ready again.")),
                    icon="task_alt",
                ).mark(f"confirm-ready-{machine_id}")
            ui.select(
                {name: name for name in profile.materials},
                value=setting.loaded_material,
                label=self.tr(t("Material loaded")),
                on_change=lambda e: self.do(lambda w: self.store.set_material(w, machine_id, e.value)),
            ).classes("w-full").mark(f"material-{machine_id}")
            ui.switch(
                self.tr(t("Maintenance")),
                value=setting.maintenance,
                on_change=lambda e: self.do(lambda w: self.store.set_maintenance(w, machine_id, e.value)),
            ).classes("min-h-[48px]").mark(f"maintenance-{machine_id}")
            with ui.row().classes("gap-2"):
                if status.state in NEEDS_STAFF_STATES or status.state is MachineState.OFFLINE:
                    ui.button(
                        self.tr(t("Bring back")), on_click=lambda: self.bring_back(machine_id), icon="restart_alt"
                    ).mark(f"bring-back-{machine_id}")
                ui.button(
                    self.tr(t("STOP")),
                    on_click=lambda: self.do(lambda w: self.store.stop_machine(w, machine_id), urgent=True),
                    color="red-9",
                ).props("size=lg").mark(f"stop-{machine_id}")

    def temperatures(self, machine_id: str) -> str:
        status = self.fleet.machines[machine_id].status
        if status.hotend is None or status.bed is None:
            return ""
        return self.tr(
            t(
                "Nozzle {h:.0f}/{ht:.0f} °C, bed {b:.0f}/{bt:.0f} °C",
                h=status.hotend.current,
                ht=status.hotend.target,
                b=status.bed.current,
                bt=status.bed.target,
            )
        )

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

    # --- the audit log ----------------------------------------------------------------------------------------

    def audit_page(self, job: str) -> None:
        self.header()
        who = self.who()
        if who is None:
            return
        with ui.column().classes("w-full p-4 gap-2"):
            ui.label(self.tr(t("Audit log"))).classes("text-2xl font-bold")
            search = ui.input(self.tr(t("Job number (the first characters are enough)")), value=job).classes("w-96")
            ui.button(
                self.tr(t("Search")),
                on_click=lambda: ui.navigate.to(f"/staff/audit?job={search.value.strip()}&lang={self.lang}"),
            )
            for entry in self.store.audit(who, job.strip()[:32]):
                when = entry.at.astimezone(self.zone) if entry.at.tzinfo else entry.at.replace(tzinfo=UTC)
                parts = [f"{when:%Y-%m-%d %H:%M:%S}", entry.actor, entry.what]
                if entry.job_id:
                    parts.append(self.tr(t("job {id}", id=entry.job_id[:8])))
                if entry.machine_id:
                    parts.append(entry.machine_id)
                if entry.reason:
                    parts.append(translate(entry.reason, self.lang))
                ui.label(" · ".join(parts)).classes("font-mono text-sm").mark("audit-entry")
