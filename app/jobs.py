"""Jobs: the job service, the only writer of job state (states and moves: app/job_states.py; records:
app/job_records.py; restart reconciliation: app/dispatch.py).

Every transition is stored with who and why in the same transaction as the new state. Machines report what
happened through their events; the service turns those into transitions and keeps each job's live view current.
Longer than 400 lines because every writer of job state is here on purpose: one lock, one transaction per move.
"""

from __future__ import annotations

import functools
import logging
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.backing import ledger
from app.backing.support import checked_tip
from app.config import Settings
from app.fleet import Fleet
from app.i18n import Text, t
from app.job_records import Actor, Job, JobRefused, JobSummary, NewJob, token_hash, utc
from app.job_states import (
    CANCEL_ON_MACHINE,
    CLOSED,
    ENDED,
    NOT_STARTED,
    ON_MACHINE,
    QUEUE_STATES,
    JobState,
    allowed,
    approved_by_policy,
)
from app.machine_settings import STAFF_READIES, MachineSetting, MachineSettings
from app.models import DesignRow, JobEventRow, JobRow, PartRow, PlanRow, QuoteRow
from app.production.programs import RunnableProgram, load_program
from app.tracking import LiveJob
from machine_adapters.base import JobEnded, Machine, MachineAction, MachineError, MachineState, MachineStatus
from machine_adapters.gcode import ProgramRejected
from machine_adapters.recipes import NoRecipe, frame_program

# states and groups (app/job_states.py) and records (app/job_records.py) are importable from here too
__all__ = [
    "ENDED",
    "NOT_STARTED",
    "ON_MACHINE",
    "QUEUE_STATES",
    "Actor",
    "Job",
    "JobRefused",
    "JobService",
    "JobState",
    "JobSummary",
    "NewJob",
    "token_hash",
]

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


class JobService:
    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        fleet: Fleet,
        clock: Clock = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
        machine_settings: MachineSettings | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.fleet = fleet
        self.machine_settings = machine_settings or MachineSettings(
            sessions, {machine_id: m.profile for machine_id, m in fleet.machines.items()}
        )
        self.clock = clock
        self.monotonic = monotonic
        self._lock = threading.RLock()
        self._live: dict[str, LiveJob] = {}
        self._programs: dict[str, RunnableProgram] = {}
        self._stopped_by: dict[str, str] = {}
        self._seen: dict[str, float] = {}  # kiosk jobs at the machine: when a page last showed one (monotonic)
        for machine in fleet.machines.values():
            machine.status_changed.subscribe(functools.partial(self._machine_status, machine))
            machine.job_ended.subscribe(self._machine_job_ended)

    # --- customers and staff ---------------------------------------------------------------------

    def create(
        self,
        quote_id: str,
        source: str = "kiosk",
        actor: Actor = Actor.KIOSK,
        customer_name: str = "",
        hq_order_id: str | None = None,
        link_hash: str | None = None,
        tip: Decimal = Decimal("0"),
    ) -> NewJob:
        """Accept a quote as a job. A kiosk job within the approval policy waits at once for the customer beside
        the machine to start it; a larger one, and every remote order, waits for staff to approve it first.
        `tip`: added to the price, all of it for the template's designer (credited at collection).

        An order placed at the head office (`hq_order_id`) keeps the link its customer already holds (`link_hash`,
        the hash of its token): the returned token is then a new one nobody is given."""
        token = secrets.token_urlsafe(24)  # 192 bits
        with self.sessions.begin() as session:
            quote = session.get(QuoteRow, quote_id, with_for_update=True)
            if quote is None:
                raise JobRefused(t("This price is not known. Start again from the design."))
            tip = checked_tip(tip, self.settings.designers, quote.designer_id is not None)
            if quote.locked_by_job is not None:
                raise JobRefused(t("This price was already accepted for another job."))
            if utc(quote.valid_until) < self.clock():
                raise JobRefused(t("This price is no longer valid. Go back and get a new price."))
            plan = session.get(PlanRow, quote.plan_id)
            assert plan is not None, "a quote belongs to a plan"
            if plan.machine_id not in self.fleet.machines or (
                source == "kiosk" and self.machine_settings.get(plan.machine_id).maintenance
            ):
                raise JobRefused(t("This machine is not available. Ask the staff for help."))
            last = session.scalar(select(func.max(JobRow.position))) or 0
            row = JobRow(
                id=secrets.token_hex(16),
                token_hash=link_hash or token_hash(token),
                quote_id=quote.id,
                machine_id=plan.machine_id,
                source=source,
                state=JobState.SUBMITTED.value,
                reason="",
                display_name=self._design_name(session, plan),
                estimated_seconds=plan.estimated_seconds,
                created_at=self.clock(),
                position=last + 1,
                customer_name=customer_name,
                hq_order_id=hq_order_id,
                tip=tip,
            )
            session.add(row)
            session.flush()  # the job row first: its events refer to it
            quote.locked_by_job = row.id
            session.add(self._event(row.id, None, JobState.SUBMITTED, actor, ""))
            if approved_by_policy(self.settings.approval, source, plan.estimated_seconds, plan.material_grams):
                self._move(session, row, JobState.QUEUED, Actor.SYSTEM, t("Approved by the store's policy.").msgid)
                self._move(session, row, JobState.WAITING_FOR_MACHINE_READY, Actor.SYSTEM)
            else:
                self._move(session, row, JobState.AWAITING_APPROVAL, Actor.SYSTEM)
            job = Job.of(row)
        return NewJob(job, token)

    def prepare(self, job_id: str) -> RunnableProgram:
        """Validate the job's program for its machine and the material loaded in it now (slow: call off the event
        loop). Kept for the start, and checked again when staff have loaded another material since."""
        job = self.get(job_id)
        material = self.machine_settings.loaded_material(job.machine_id)
        with self._lock:
            kept = self._programs.get(job_id)
            if kept is not None and kept.program.material == material:
                return kept
        with self.sessions() as session:
            quote = session.get(QuoteRow, job.quote_id)
            plan = session.get(PlanRow, quote.plan_id) if quote else None
        machine = self._machine(job)
        if plan is None or plan.program_path is None:
            raise JobRefused(t("This design has no program for the machine yet. Ask the staff for help."))
        try:
            program = load_program(Path(plan.program_path), machine.profile, material)
        except ProgramRejected as e:
            log.warning("job %s: program refused: %s", job_id, e)
            raise JobRefused(t("The machine's safety check refused this program. Ask the staff for help.")) from e
        with self._lock:
            self._programs[job_id] = program
        return program

    def start(self, job_id: str, actor: Actor = Actor.KIOSK) -> Job:
        """Start after presence: the person at the machine confirmed it is clear and loaded with the material."""
        if actor not in (Actor.KIOSK, Actor.STAFF):
            raise JobRefused(t("A job can only be started at the machine."))
        job = self.get(job_id)
        if job.state is JobState.AWAITING_APPROVAL:
            raise JobRefused(t("A staff member must approve this job first. Please ask at the counter."))
        if job.state is not JobState.WAITING_FOR_MACHINE_READY:
            raise JobRefused(t("This job cannot be started now."))
        setting = self.machine_settings.get(job.machine_id)
        if setting.maintenance:
            raise JobRefused(t("This machine is in maintenance. Ask the staff for help."))
        if setting.needs_clearing and not (actor is Actor.KIOSK and self._kiosk_may_clear(setting)):
            if self._machine(job).status.needs_staff:  # the first thing staff must do there: say that
                raise JobRefused(_machine_refusal(self._machine(job)))
            raise JobRefused(t("First confirm that the machine is clear and loaded with the right material."))
        if setting.needs_clearing and self._machine(job).profile.kind.value in STAFF_READIES:
            raise JobRefused(t("A staff member must prepare the machine first. Please ask at the counter."))
        runnable = self.prepare(job_id)
        machine = self._machine(job)
        with self._lock:
            try:
                machine.start(runnable.program, job.id)
            except MachineError as e:
                raise JobRefused(_machine_refusal(machine)) from e
            job = self._transition(job.id, JobState.RUNNING, actor, started=True)
            self.machine_settings.cleared(job.machine_id)
            self.live(job.id).begin(job, runnable, machine.profile.connection.speed, self.monotonic())
        return job

    def approve(self, job_id: str) -> Job:
        """Staff accept the job. A kiosk customer is at the machine and may start it; a remote order queues."""
        job = self._transition(job_id, JobState.QUEUED, Actor.STAFF, reason=t("Approved by the staff.").msgid)
        if job.source == "kiosk":
            job = self._transition(job_id, JobState.WAITING_FOR_MACHINE_READY, Actor.SYSTEM)
        return job

    def deny(self, job_id: str, reason: str) -> Job:
        """Staff refuse the job; the customer sees their reason (plain words, shown as given)."""
        if self.get(job_id).state is not JobState.AWAITING_APPROVAL:
            raise JobRefused(t("Only a job waiting for approval can be refused."))
        return self._transition(job_id, JobState.CANCELLED, Actor.STAFF, reason=reason.strip()[:400], ended=True)

    def assign(self, job_id: str, machine_id: str) -> Job:
        """Dispatch: a queued job goes to this machine, where staff confirm it is ready and start it."""
        with self.sessions.begin() as session:
            row = session.get(JobRow, job_id, with_for_update=True)
            if row is None or row.state != JobState.QUEUED.value:
                raise JobRefused(t("This job cannot be given to a machine now."))
            row.machine_id = machine_id
        return self._transition(job_id, JobState.WAITING_FOR_MACHINE_READY, Actor.SYSTEM)

    def reassign(self, job_id: str, machine_id: str) -> Job:
        """Staff give a job that has not started to another machine of the same kind with the same material; its
        program must pass that machine's own safety check."""
        job = self.get(job_id)
        if job.state not in (JobState.AWAITING_APPROVAL, JobState.QUEUED):
            raise JobRefused(t("Only a job that is not yet at a machine can be moved to another one."))
        target = self.fleet.machines.get(machine_id)
        current = self.fleet.machines.get(job.machine_id)
        summary = self.summary(job_id)
        if (
            target is None
            or current is None
            or target.profile.kind is not current.profile.kind
            or self.machine_settings.loaded_material(machine_id) != summary.material
        ):
            raise JobRefused(t("That machine cannot make this job: another kind, or another material loaded."))
        with self.sessions() as session:
            quote = session.get(QuoteRow, job.quote_id)
            plan = session.get(PlanRow, quote.plan_id) if quote else None
        if plan is None or plan.program_path is None:
            raise JobRefused(t("This design has no program for the machine yet. Ask the staff for help."))
        try:
            load_program(Path(plan.program_path), target.profile, self.machine_settings.loaded_material(machine_id))
        except ProgramRejected as e:
            raise JobRefused(t("The program does not pass that machine's safety check.")) from e
        with self._lock, self.sessions.begin() as session:
            row = session.get(JobRow, job_id, with_for_update=True)
            assert row is not None
            row.machine_id = machine_id
            self._programs.pop(job_id, None)
        return self.get(job_id)

    def move_in_queue(self, job_id: str, places: int) -> None:
        """Staff move a waiting job up (negative) or down the queue by swapping places with its neighbours."""
        with self._lock, self.sessions.begin() as session:
            waiting = list(
                session.scalars(
                    select(JobRow)
                    .where(JobRow.state.in_([s.value for s in QUEUE_STATES]))
                    .order_by(JobRow.position, JobRow.created_at)
                )
            )
            index = next((i for i, row in enumerate(waiting) if row.id == job_id), None)
            if index is None:
                raise JobRefused(t("Only a job that has not started can be moved in the queue."))
            target = min(max(index + places, 0), len(waiting) - 1)
            row = waiting.pop(index)
            waiting.insert(target, row)
            for position, row in enumerate(waiting, start=1):
                row.position = position

    def queue(self) -> list[Job]:
        """Every job staff still have to do something about, in queue order."""
        with self.sessions() as session:
            rows = session.scalars(
                select(JobRow)
                .where(JobRow.state.notin_([s.value for s in CLOSED]))
                .order_by(JobRow.position, JobRow.created_at)
            )
            return [Job.of(row) for row in rows]

    def cancel_held(self, job_id: str, refund: bool) -> Job:
        """Staff give up a held job (nothing is resumed after a fault), flagging the money for a refund."""
        if self.get(job_id).state is not JobState.HELD:
            raise JobRefused(t("Only a held job can be cancelled here."))
        reason = t("Cancelled by the staff after a problem at the machine.").msgid
        self._transition(job_id, JobState.CANCELLED, Actor.STAFF, reason=reason, ended=True)
        with self.sessions.begin() as session:
            row = session.get(JobRow, job_id)
            assert row is not None
            row.refund = refund
        return Job.of(row)

    def refund(self, job_id: str) -> Job:
        """Staff flag a finished job's money to be given back: whatever its designer was credited is reversed in the
        same transaction, and a job not yet collected is never credited."""
        with self._lock, self.sessions.begin() as session:
            row = session.get(JobRow, job_id, with_for_update=True)
            if row is None or JobState(row.state) not in ENDED:
                raise JobRefused(t("Only a job that has ended can be refunded."))
            row.refund = True
            ledger.reverse(session, row.id, self.clock(), self.settings.chain.store_id)
            return Job.of(row)

    def confirm_ready(self, machine_id: str) -> None:
        """The ready handshake: someone at the machine confirmed the bed is clear and the material is right."""
        self.machine_settings.cleared(machine_id)

    def frame(self, job_id: str, actor: Actor = Actor.KIOSK) -> None:
        """Show where the job goes on the sheet: the engraver or router traces its outline without working.
        Only at the machine (kiosk or staff), before the job starts, on a ready machine."""
        if actor not in (Actor.KIOSK, Actor.STAFF):
            raise JobRefused(t("The outline can only be shown at the machine."))
        job = self.get(job_id)
        if job.state is not JobState.WAITING_FOR_MACHINE_READY:
            raise JobRefused(t("The outline can only be shown before the job starts."))
        machine = self._machine(job)
        try:
            outline = frame_program(self.prepare(job_id).program, machine.profile)
        except (NoRecipe, ProgramRejected) as e:
            log.info("job %s: no frame: %s", job_id, e)
            raise JobRefused(t("The outline cannot be shown for this job; it can still be started.")) from e
        try:
            machine.frame(outline)
        except MachineError as e:
            raise JobRefused(_machine_refusal(machine)) from e

    def act(self, job_id: str, action: MachineAction, actor: Actor) -> None:
        """A customer's or staff member's pause, resume, cancel or stop of this job."""
        job = self.get(job_id)
        machine = self._machine(job)
        if action is MachineAction.STOP:
            if job.state not in ON_MACHINE:
                raise JobRefused(t("This job is not running."))
            self._stopped_by[job.id] = actor.value
            machine.perform(MachineAction.STOP)  # one tap, no questions: it never waits for anything of ours
            return
        if action is MachineAction.CANCEL and job.state in NOT_STARTED:  # staff may cancel one still to approve
            self._transition(job.id, JobState.CANCELLED, actor, reason=t("Cancelled before it started.").msgid)
            return
        if action is MachineAction.RESUME:
            self._check_resume(job, machine, actor)
        elif action is MachineAction.PAUSE and job.state is not JobState.RUNNING:
            raise JobRefused(t("Only a running job can be paused."))
        elif action is MachineAction.CANCEL and job.state not in CANCEL_ON_MACHINE:
            raise JobRefused(t("This job cannot be cancelled now."))
        elif action not in (MachineAction.PAUSE, MachineAction.RESUME, MachineAction.CANCEL):
            raise JobRefused(t("This is not something a job can do."))
        if action is MachineAction.PAUSE:
            self._set_paused_by(job.id, actor.value)
        try:
            machine.perform(action)
        except MachineError as e:
            raise JobRefused(_machine_refusal(machine)) from e

    def still_at_machine(self, job_id: str) -> None:
        """A kiosk page shows this job at the machine: its customer may still start it (not abandoned)."""
        with self._lock:
            self._seen[job_id] = self.monotonic()

    def expire_abandoned(self, after_s: float) -> list[str]:
        """Kiosk jobs waiting at their machine that no page has shown for `after_s` (the browser closed, the customer
        left) are cancelled, so the machine is free for the next job; their ids. After a restart no page has shown
        any yet: the time counts from then."""
        query = select(JobRow).where(JobRow.state == JobState.WAITING_FOR_MACHINE_READY.value, JobRow.source == "kiosk")
        with self.sessions() as session:
            waiting = [row.id for row in session.scalars(query)]
        now = self.monotonic()
        expired: list[str] = []
        with self._lock:
            for job_id in waiting:
                seen = self._seen.setdefault(job_id, now)
                if now - seen > after_s:
                    expired.append(job_id)
            for job_id in set(self._seen) - set(waiting) - set(expired):
                del self._seen[job_id]  # started, cancelled or moved: no longer watched
        cancelled: list[str] = []
        for job_id in expired:
            reason = t("Nobody started it at the machine, so the machine was freed.").msgid
            try:
                self._transition(job_id, JobState.CANCELLED, Actor.SYSTEM, reason=reason)
            except JobRefused:
                continue  # started or cancelled meanwhile
            with self._lock:
                self._seen.pop(job_id, None)
            cancelled.append(job_id)
            log.info("kiosk job %s: abandoned at the machine, cancelled", job_id)
        return cancelled

    def mark_collected(self, job_id: str, actor: Actor = Actor.STAFF) -> Job:
        return self._transition(job_id, JobState.COLLECTED, actor, ended=True)

    # --- reading ---------------------------------------------------------------------------------------

    def get(self, job_id: str) -> Job:
        with self.sessions() as session:
            row = session.get(JobRow, job_id)
            if row is None:
                raise JobRefused(t("This job does not exist."))
            return Job.of(row)

    def find(self, token: str, collected: bool = False) -> Job | None:
        """The job this link opens, or None for an unknown, mistyped or expired link (and nothing more is said).
        A collected job's link opens only its share card (`collected`), for the rest of the link's lifetime."""
        if not 16 <= len(token) <= 64:
            return None
        with self.sessions() as session:
            row = session.scalars(select(JobRow).where(JobRow.token_hash == token_hash(token))).first()
            job = Job.of(row) if row is not None else None
        if job is None or (job.state is JobState.COLLECTED and not collected):
            return None
        ended = job.ended_at
        if ended is not None and self.clock() - ended > timedelta(hours=self.settings.link_hours_after_end):
            return None
        return job

    def events(self, job_id: str) -> list[JobEventRow]:
        with self.sessions() as session:
            return list(session.scalars(select(JobEventRow).where(JobEventRow.job_id == job_id).order_by("id")))

    def live(self, job_id: str) -> LiveJob:
        """The job's live view that pages bind to; one per job, shared by every viewer."""
        with self._lock:
            live = self._live.get(job_id)
            if live is None:
                live = self._live[job_id] = LiveJob(job_id)
                job = self.get(job_id)
                live.show(job)
            return live

    def summary(self, job_id: str) -> JobSummary:
        with self.sessions() as session:
            job = session.get(JobRow, job_id)
            quote = session.get(QuoteRow, job.quote_id) if job else None
            plan = session.get(PlanRow, quote.plan_id) if quote else None
            part = session.get(PartRow, plan.part_id) if plan else None
            design = session.get(DesignRow, part.design_id) if part else None
            if job is None or quote is None or plan is None or part is None or design is None:
                raise JobRefused(t("This job does not exist."))
            preview = Path(part.preview_path).stem if part.preview_path else None
            return JobSummary(
                job.display_name,
                design.template_id,
                preview,
                (part.size_x, part.size_y, part.size_z),
                plan.material,
                quote.total,
                quote.currency,
                dict(design.parameters),
                Path(part.geometry_path),
            )

    def expected_seconds(self, machine_id: str, estimated_seconds: float) -> float:
        """How long a program estimated for a real machine takes on this one (simulated machines run faster)."""
        machine = self.fleet.machines.get(machine_id)
        return estimated_seconds / (machine.profile.connection.speed if machine else 1.0)

    def machine_free_at(self, machine_id: str) -> datetime | None:
        """When the job running on this machine should end; None when no job of ours runs there."""
        with self._lock:
            for live in self._live.values():
                if live.machine_id == machine_id and live.state in {s.value for s in ON_MACHINE} and live.eta:
                    return datetime.fromtimestamp(live.eta, UTC)
        return None

    def on_machine(self, machine_id: str | None = None) -> list[tuple[str, str]]:
        """(job id, machine id) of every job the database says is on a machine (on this one, when given)."""
        query = select(JobRow).where(JobRow.state.in_([s.value for s in ON_MACHINE]))
        if machine_id is not None:
            query = query.where(JobRow.machine_id == machine_id)
        with self.sessions() as session:
            return [(row.id, row.machine_id) for row in session.scalars(query)]

    def following(self, job_id: str) -> bool:
        """Whether this service follows the job live (it started it, or took it up again)."""
        with self._lock:
            return job_id in self._live

    def hold(self, job_id: str, reason: Text) -> Job:
        """The system stops following a job on its machine: staff must check the machine and decide."""
        return self._transition(job_id, JobState.HELD, Actor.SYSTEM, reason=reason.msgid)

    def follow_again(self, job: Job, machine: Machine) -> None:
        """Follow a job a machine kept running while fabkiosk was away."""
        live = self.live(job.id)
        with self._lock:
            if live.eta is None:
                live.begin(job, None, machine.profile.connection.speed, self.monotonic())
        live.follow(machine.status, self.monotonic())
        log.info("job %s on %s: followed again after a restart", job.id, machine.profile.id)

    # --- machine events ----------------------------------------------------------------------------

    def _machine_status(self, machine: Machine, status: MachineStatus) -> None:
        job_id = status.job_id
        if job_id is None:
            return
        with self._lock:
            live = self._live.get(job_id)
        if live is None:
            self._found_running(machine, job_id)
            return
        live.follow(status, self.monotonic())
        # the live view mirrors the stored state, so the database is read only when the state really moves
        if status.state is MachineState.PAUSED and live.state == JobState.RUNNING.value:
            self._transition(job_id, JobState.PAUSED, Actor.MACHINE)
        elif status.state is MachineState.RUNNING and live.state == JobState.PAUSED.value:
            self._transition(job_id, JobState.RUNNING, Actor.MACHINE)

    def _found_running(self, machine: Machine, job_id: str) -> None:
        """A machine reports a job this service is not following: after a restart, one of ours is taken up again."""
        try:
            job = self.get(job_id)
        except JobRefused:
            return  # not a customer's job
        if job.state in ON_MACHINE and job.machine_id == machine.profile.id:
            self.follow_again(job, machine)

    def _machine_job_ended(self, ended: JobEnded) -> None:
        try:
            job = self.get(ended.job_id)
        except JobRefused:
            return
        if job.state not in ON_MACHINE:
            return
        stopped_by = self._stopped_by.pop(job.id, None)
        # the part, or what is left of it, is on the bed; what is left of an unfinished job is for staff to judge
        self.machine_settings.needs_clearing(job.machine_id, staff_only=not ended.completed)
        if ended.completed:
            self._transition(job.id, JobState.FINISHING, Actor.MACHINE)
            self._transition(job.id, JobState.READY_FOR_PICKUP, Actor.MACHINE, ended=True)
        elif stopped_by is not None:
            reason = t("Stopped with the STOP button.").msgid
            self._transition(job.id, JobState.CANCELLED, Actor(stopped_by), reason=reason, ended=True)
        elif ended.reason == "cancelled":
            self._transition(job.id, JobState.CANCELLED, Actor.MACHINE, reason=t("Cancelled.").msgid, ended=True)
        else:
            self._transition(job.id, JobState.HELD, Actor.MACHINE, reason=ended.reason)
        with self._lock:
            self._programs.pop(job.id, None)

    # --- internals ---------------------------------------------------------------------------------

    def _kiosk_may_clear(self, setting: MachineSetting) -> bool:
        """Whether the kiosk's checklist ("the build plate is empty") stands for staff's "bed is clear": the store
        chooses ([store] kiosk_may_clear); by default only after a job that finished."""
        policy = self.settings.store.kiosk_may_clear
        return policy == "always" or (policy == "after_finished" and not setting.staff_must_clear)

    def _check_resume(self, job: Job, machine: Machine, actor: Actor) -> None:
        if job.state is not JobState.PAUSED:
            raise JobRefused(t("Only a paused job can be resumed."))
        # the customer standing at the machine may resume a pause made from the phone: they see the machine, as at
        # the start; a phone resumes only its own pause
        if job.paused_by != actor.value and actor not in (Actor.STAFF, Actor.KIOSK):
            raise JobRefused(t("Only whoever paused this job, or the staff, can resume it."))
        status = machine.status
        if (
            status.state is not MachineState.PAUSED
            or status.job_id != job.id
            or status.needs_staff
            or status.last_error
        ):
            raise JobRefused(t("Something changed at the machine during the pause. Staff must check it first."))

    def _set_paused_by(self, job_id: str, who: str) -> None:
        with self.sessions.begin() as session:
            row = session.get(JobRow, job_id)
            assert row is not None
            row.paused_by = who

    def _transition(
        self,
        job_id: str,
        to: JobState,
        actor: Actor,
        *,
        reason: str = "",
        started: bool = False,
        ended: bool = False,
    ) -> Job:
        with self._lock, self.sessions.begin() as session:
            row = session.get(JobRow, job_id, with_for_update=True)
            if row is None:
                raise JobRefused(t("This job does not exist."))
            self._move(session, row, to, actor, reason)
            now = self.clock()
            if started:
                row.started_at = now
            if ended or to in ENDED or to is JobState.HELD:
                row.ended_at = row.ended_at or now
            if to is JobState.RUNNING:
                row.paused_by = None
            job = Job.of(row)
            live = self._live.get(job_id)
        if live is not None:
            live.show(job)
        return job

    def _move(self, session: Session, row: JobRow, to: JobState, actor: Actor, reason: str = "") -> None:
        current = JobState(row.state)
        if not allowed(current, to):
            raise JobRefused(t("This job cannot go from {old} to {new}.", old=current.value, new=to.value))
        row.state = to.value
        row.reason = reason
        session.add(self._event(row.id, current, to, actor, reason))
        ledger.on_move(session, row, to, self.clock(), self.settings.chain.store_id)  # what the designer is owed

    def _event(self, job_id: str, old: JobState | None, new: JobState, actor: Actor, reason: str) -> JobEventRow:
        return JobEventRow(
            job_id=job_id,
            at=self.clock(),
            from_state=old.value if old else None,
            to_state=new.value,
            actor=actor.value,
            reason=reason,
        )

    def _machine(self, job: Job) -> Machine:
        machine = self.fleet.machines.get(job.machine_id)
        if machine is None:
            raise JobRefused(t("This machine is not available. Ask the staff for help."))
        return machine

    @staticmethod
    def _design_name(session: Session, plan: PlanRow) -> str:
        part = session.get(PartRow, plan.part_id)
        design = session.get(DesignRow, part.design_id) if part else None
        return design.display_name if design else ""


def _machine_refusal(machine: Machine) -> Text:
    state = machine.status.state
    if state in (MachineState.OFFLINE, MachineState.CONNECTING):
        return t("The machine is not available right now. Ask the staff for help.")
    if state in (MachineState.HALTED, MachineState.ALARM, MachineState.LINK_LOST):
        return t("The machine needs the staff first. Please ask at the counter.")
    return t("The machine is busy with another job. Please wait until it is free.")
