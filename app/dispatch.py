"""Dispatch: queued, approved jobs go to a free machine that can make them, first come first served in the order
staff set. A machine is free when it is idle, not in maintenance, confirmed clear (the ready handshake) and has no
job waiting at it. Dispatch only brings a job to the machine; it never starts one: starting needs someone there.

Beside it, restart reconciliation: after a restart, what the database says is on a machine is matched against what
the machine reports, never assumed."""

from __future__ import annotations

import logging

from app.i18n import t
from app.jobs import ON_MACHINE, Job, JobRefused, JobService, JobState
from machine_adapters.base import MachineState

log = logging.getLogger(__name__)


class Dispatcher:
    def __init__(self, jobs: JobService) -> None:
        self.jobs = jobs

    def free(self, machine_id: str, queue: list[Job]) -> bool:
        machine = self.jobs.fleet.machines.get(machine_id)
        setting = self.jobs.machine_settings.get(machine_id)
        if machine is None or machine.status.state is not MachineState.IDLE or setting.maintenance:
            return False
        if setting.needs_clearing:
            return False
        busy = ON_MACHINE | {JobState.WAITING_FOR_MACHINE_READY}
        return not any(job.machine_id == machine_id and job.state in busy for job in queue)

    def dispatch(self) -> list[tuple[str, str]]:
        """Give each free machine the first queued job it can make; (job id, machine id) for each assignment.
        Kiosk jobs abandoned at their machine are cancelled first, which frees the machine."""
        self.jobs.expire_abandoned(self.jobs.settings.abandoned_job_s)
        queue = self.jobs.queue()
        assigned: list[tuple[str, str]] = []
        for machine_id in self.jobs.fleet.machines:
            if not self.free(machine_id, queue):
                continue
            for job in queue:
                if job.state is not JobState.QUEUED or not self._can_make(job, machine_id):
                    continue
                try:
                    if job.machine_id != machine_id:
                        self.jobs.reassign(job.id, machine_id)
                    self.jobs.assign(job.id, machine_id)
                except JobRefused as e:
                    log.info("job %s not given to %s: %s", job.id, machine_id, e)
                    continue
                assigned.append((job.id, machine_id))
                queue = self.jobs.queue()
                break
        return assigned

    def _can_make(self, job: Job, machine_id: str) -> bool:
        fleet = self.jobs.fleet.machines
        if job.machine_id == machine_id:
            return self.jobs.machine_settings.loaded_material(machine_id) == self.jobs.summary(job.id).material
        here, there = fleet.get(job.machine_id), fleet.get(machine_id)
        if here is None or there is None or here.profile.kind is not there.profile.kind:
            return False
        return self.jobs.machine_settings.loaded_material(machine_id) == self.jobs.summary(job.id).material


INTERRUPTED = t("The job was interrupted when fabkiosk restarted. Staff must check the machine.")


def reconcile(jobs: JobService, machine_id: str | None = None) -> None:
    """After a restart, once a machine has answered: a job the database says is on it is followed again if the
    machine still runs it (OctoPrint keeps printing while fabkiosk is away), and held if it does not."""
    for job_id, on_machine in jobs.on_machine(machine_id):
        machine = jobs.fleet.machines.get(on_machine)
        if machine is not None and machine.status.job_id == job_id:
            jobs.follow_again(jobs.get(job_id), machine)
        elif not jobs.following(job_id):
            jobs.hold(job_id, INTERRUPTED)
            if on_machine in jobs.fleet.machines:
                jobs.machine_settings.needs_clearing(on_machine, staff_only=True)  # half a part is on the bed


def reconcile_unavailable(jobs: JobService) -> None:
    """At start: jobs on machines this server does not drive any more are held."""
    for job_id, on_machine in jobs.on_machine():
        if on_machine not in jobs.fleet.machines:
            jobs.hold(job_id, INTERRUPTED)
