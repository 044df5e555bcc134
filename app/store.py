"""Store operations: every action on a job or a machine, checked against who asks (app/access.py) and written to
the audit log. Pages call these and nothing below them, so no page can skip a check."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from app.access import AT_THE_MACHINE, Action, Principal, Role, authorize
from app.dispatch import Dispatcher
from app.i18n import t
from app.jobs import Actor, Job, JobRefused, JobService, JobSummary
from app.kiosks import KioskDevice, Kiosks
from app.machine_settings import MachineSetting
from app.models import JobEventRow, StaffActionRow
from app.staff import StaffAccounts, StaffUser
from machine_adapters.base import NEEDS_STAFF_STATES, MachineAction, MachineError, MachineState, MachineStatus

log = logging.getLogger(__name__)

JOB_ACTIONS = {
    Action.PAUSE: MachineAction.PAUSE,
    Action.RESUME: MachineAction.RESUME,
    Action.CANCEL: MachineAction.CANCEL,
    Action.STOP: MachineAction.STOP,
}


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    what: str  # a job transition "queued → waiting_for_machine_ready", or a staff action's name
    job_id: str | None
    machine_id: str | None
    reason: str


class StoreOps:
    def __init__(self, jobs: JobService, accounts: StaffAccounts, kiosks: Kiosks | None = None) -> None:
        self.jobs = jobs
        self.accounts = accounts
        self.kiosks = kiosks or Kiosks(jobs.sessions, jobs.fleet.machines)
        self.dispatcher = Dispatcher(jobs)

    # --- looking ------------------------------------------------------------------------------------------

    def view_job(self, who: Principal, job_id: str) -> JobSummary:
        authorize(who, Action.VIEW_JOB, job_id)
        return self.jobs.summary(job_id)

    def board(self, who: Principal) -> list[tuple[str, MachineStatus, MachineSetting]]:
        """Every machine with its status and what staff set for it."""
        authorize(who, Action.VIEW_CONSOLE)
        return [
            (machine_id, machine.status, self.jobs.machine_settings.get(machine_id))
            for machine_id, machine in self.jobs.fleet.machines.items()
        ]

    def staff_accounts(self, who: Principal) -> list[StaffUser]:
        authorize(who, Action.MANAGE_USERS)
        return self.accounts.users()

    # --- a job, by its customer or by staff ---------------------------------------------------------------

    def job_action(self, who: Principal, job_id: str, action: Action) -> None:
        # start and frame: only at the job's own machine, so the machine is looked up first
        mine = who.role is Role.CUSTOMER and who.job_id == job_id
        machine_id = self.jobs.get(job_id).machine_id if action in AT_THE_MACHINE and mine else None
        authorize(who, action, job_id, machine_id)
        if action is Action.START:
            self.jobs.start(job_id, self._actor(who))
        elif action is Action.FRAME:
            self.jobs.frame(job_id, self._actor(who))
        elif action in JOB_ACTIONS:
            self.jobs.act(job_id, JOB_ACTIONS[action], self._actor(who))
        else:
            raise JobRefused(t("This is not something a job can do."))
        if who.is_staff:
            self._record(who, action.value, job_id=job_id)

    # --- the queue ----------------------------------------------------------------------------------------

    def approve(self, who: Principal, job_id: str) -> Job:
        authorize(who, Action.APPROVE, job_id)
        job = self.jobs.approve(job_id)
        self._record(who, "approve", job_id=job_id)
        self.dispatch()
        return job

    def deny(self, who: Principal, job_id: str, reason: str) -> Job:
        authorize(who, Action.DENY, job_id)
        if not reason.strip():
            raise JobRefused(t("Say why, so the customer knows."))
        job = self.jobs.deny(job_id, reason)
        self._record(who, "deny", job_id=job_id, reason=reason)
        return job

    def move(self, who: Principal, job_id: str, places: int) -> None:
        authorize(who, Action.REORDER, job_id)
        self.jobs.move_in_queue(job_id, places)
        self._record(who, "reorder", job_id=job_id, reason=f"{places:+d}")

    def reassign(self, who: Principal, job_id: str, machine_id: str) -> Job:
        authorize(who, Action.REASSIGN, job_id)
        job = self.jobs.reassign(job_id, machine_id)
        self._record(who, "reassign", job_id=job_id, machine_id=machine_id)
        self.dispatch()
        return job

    def mark_collected(self, who: Principal, job_id: str) -> Job:
        authorize(who, Action.MARK_COLLECTED, job_id)
        job = self.jobs.mark_collected(job_id, Actor.STAFF)
        self._record(who, "collected", job_id=job_id)
        return job

    def cancel_and_refund(self, who: Principal, job_id: str) -> Job:
        authorize(who, Action.CANCEL_AND_REFUND, job_id)
        job = self.jobs.cancel_held(job_id, refund=True)
        self._record(who, "cancel_and_refund", job_id=job_id)
        return job

    def refund(self, who: Principal, job_id: str) -> Job:
        """Staff give a finished job's money back (a part brought back, a sale undone): its designer's credit is
        reversed."""
        authorize(who, Action.CANCEL_AND_REFUND, job_id)
        job = self.jobs.refund(job_id)
        self._record(who, "refund", job_id=job_id)
        return job

    # --- machines -----------------------------------------------------------------------------------------

    def confirm_ready(self, who: Principal, machine_id: str) -> None:
        """The ready handshake from staff: the bed is clear and the material loaded is the one set here."""
        authorize(who, Action.CONFIRM_READY)
        self.jobs.confirm_ready(machine_id)
        self._record(who, "confirm_ready", machine_id=machine_id)
        self.dispatch()

    def stop_machine(self, who: Principal, machine_id: str) -> None:
        authorize(who, Action.STOP_MACHINE)
        self._stop(machine_id)
        self._record(who, "stop_machine", machine_id=machine_id)

    def stop_all(self, who: Principal) -> None:
        authorize(who, Action.STOP_ALL)
        for machine_id in self.jobs.fleet.machines:
            self._stop(machine_id)
        self._record(who, "stop_all")

    def set_maintenance(self, who: Principal, machine_id: str, on: bool) -> None:
        authorize(who, Action.MAINTENANCE)
        self.jobs.machine_settings.set_maintenance(machine_id, on)
        self._record(who, "maintenance_on" if on else "maintenance_off", machine_id=machine_id)
        if not on:
            self.dispatch()

    def set_material(self, who: Principal, machine_id: str, material: str) -> None:
        authorize(who, Action.SET_MATERIAL)
        try:
            self.jobs.machine_settings.set_material(machine_id, material)
        except ValueError as e:
            raise JobRefused(t("This machine has no such material.")) from e
        self._record(who, "set_material", machine_id=machine_id, reason=material)

    def bring_back(self, who: Principal, machine_id: str) -> None:
        """After an alarm, a stop or a lost link: rehome (GRBL) or reconnect, which only staff may do. Nothing is
        resumed: held jobs stay held until staff cancel them."""
        authorize(who, Action.REHOME)
        machine = self.jobs.fleet.machines[machine_id]
        state = machine.status.state
        try:
            if state is MachineState.ALARM:
                machine.perform(MachineAction.HOME)
            elif state in NEEDS_STAFF_STATES or state is MachineState.OFFLINE:
                machine.disconnect()
                machine.connect()
            else:
                machine.perform(MachineAction.HOME)
        except MachineError as e:
            log.info("%s could not be brought back: %s", machine_id, e)
            raise JobRefused(t("The machine cannot do that now.")) from e
        finally:
            self._record(who, "bring_back", machine_id=machine_id, reason=state.value)

    def dispatch(self) -> list[tuple[str, str]]:
        return self.dispatcher.dispatch()

    # --- kiosks ---------------------------------------------------------------------------------------------

    def paired_kiosks(self, who: Principal) -> list[KioskDevice]:
        authorize(who, Action.MANAGE_KIOSKS)
        return self.kiosks.paired()

    def pair_kiosk(self, who: Principal, code: str, name: str, machines: list[str]) -> KioskDevice:
        """Staff confirm the code a kiosk shows: from now on it is at these machines (KioskError says why not)."""
        authorize(who, Action.MANAGE_KIOSKS)
        device = self.kiosks.confirm(code, name, machines, who.actor)
        self._record(who, "pair_kiosk", reason=f"{device.id} {device.name}: {', '.join(sorted(device.machines))}")
        return device

    def revoke_kiosk(self, who: Principal, kiosk_id: str) -> None:
        authorize(who, Action.MANAGE_KIOSKS)
        self.kiosks.revoke(kiosk_id)
        self._record(who, "revoke_kiosk", reason=kiosk_id)

    # --- the audit log -------------------------------------------------------------------------------------

    def audit(self, who: Principal, job_id: str = "", limit: int = 200) -> list[AuditEntry]:
        """Job transitions and staff actions, newest first; only those of one job when `job_id` is given."""
        authorize(who, Action.VIEW_AUDIT)
        with self.jobs.sessions() as session:
            events = select(JobEventRow).order_by(JobEventRow.at.desc()).limit(limit)
            actions = select(StaffActionRow).order_by(StaffActionRow.at.desc()).limit(limit)
            if job_id:
                events = events.where(JobEventRow.job_id.startswith(job_id))
                actions = actions.where(StaffActionRow.job_id.startswith(job_id))
            entries = [
                AuditEntry(_aware(e.at), e.actor, f"{e.from_state or '—'} → {e.to_state}", e.job_id, None, e.reason)
                for e in session.scalars(events)
            ] + [
                AuditEntry(_aware(a.at), a.actor, a.action, a.job_id, a.machine_id, a.reason)
                for a in session.scalars(actions)
            ]
        return sorted(entries, key=lambda entry: entry.at, reverse=True)[:limit]

    # --- internals ----------------------------------------------------------------------------------------

    def _stop(self, machine_id: str) -> None:
        machine = self.jobs.fleet.machines[machine_id]
        job_id = machine.status.job_id
        if job_id is not None:
            try:
                self.jobs.act(job_id, MachineAction.STOP, Actor.STAFF)
                return
            except JobRefused:
                pass  # not one of our jobs: stopped all the same
        try:
            machine.perform(MachineAction.STOP)
        except MachineError as e:
            log.info("stop on %s: %s", machine_id, e)

    def _record(
        self, who: Principal, action: str, job_id: str | None = None, machine_id: str | None = None, reason: str = ""
    ) -> None:
        with self.jobs.sessions.begin() as session:
            session.add(
                StaffActionRow(
                    at=datetime.now(UTC),
                    actor=who.actor,
                    action=action,
                    job_id=job_id,
                    machine_id=machine_id,
                    reason=reason[:500],
                )
            )

    @staticmethod
    def _actor(who: Principal) -> Actor:
        if who.is_staff:
            return Actor.STAFF
        return Actor.KIOSK if who.at_machine else Actor.PHONE


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
