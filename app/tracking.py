"""The live view of one job that every page following it binds to: state, progress, layer, clock-time ETA.

Values change only when what a person sees changes (a tenth of a percent, a new layer, another minute), so a
hundred phones following a job cost a hundred small messages per visible change and nothing in between.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from nicegui.binding import BindableProperty

from app.job_states import ON_MACHINE, JobState
from machine_adapters.base import MachineStatus

if TYPE_CHECKING:
    from app.jobs import Job
    from app.production.programs import RunnableProgram

WARM_UP = 0.05  # below this share done, the slicer's estimate is trusted over the measured pace


class LiveJob:
    state = BindableProperty()
    reason = BindableProperty()
    paused_by = BindableProperty()
    percent = BindableProperty()
    layer = BindableProperty()
    layers = BindableProperty()
    eta = BindableProperty()  # when it should be done, in epoch seconds rounded to the minute; None: not known

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        self.machine_id = ""
        self.state = ""
        self.reason = ""
        self.paused_by = None  # who paused it: "kiosk", "phone" or "staff"
        self.percent = 0.0
        self.layer = 0
        self.layers = 0
        self.eta = None
        self.program: RunnableProgram | None = None
        self._expected_s = 0.0
        self._started = 0.0

    def show(self, job: Job) -> None:
        """Take the job's stored state (after every transition)."""
        self.machine_id = job.machine_id
        self.state = job.state.value
        self.reason = job.reason
        self.paused_by = job.paused_by
        if job.state is JobState.READY_FOR_PICKUP:
            self.percent = 100.0
            self.layer = self.layers
            self.eta = None
        elif job.state not in ON_MACHINE:
            self.eta = None

    def begin(self, job: Job, program: RunnableProgram | None, speed: float, now: float) -> None:
        """The job started (or was found running): its program gives the layers, the plan's estimate the ETA."""
        self.program = program
        self.layers = program.layers if program is not None else 0
        self._expected_s = job.estimated_seconds / max(speed, 1e-6)  # simulated machines run `speed` times faster
        self._started = now
        self.show(job)
        self._set_eta(self._expected_s)

    def follow(self, status: MachineStatus, now: float) -> None:
        """A status report from the machine running this job."""
        if not status.lines_total:
            return
        done = status.lines_done / status.lines_total
        self.percent = round(100 * done, 1)
        if self.program is not None:
            self.layer = self.program.layer_at(status.lines_done)
        elapsed = now - self._started
        total = self._expected_s
        if done >= WARM_UP and elapsed > 0:
            weight = min(1.0, 2 * done)  # the further along, the more the measured pace counts
            total = (1 - weight) * self._expected_s + weight * elapsed / done
        self._set_eta(max(0.0, total - elapsed))

    def _set_eta(self, remaining_s: float) -> None:
        self.eta = float(round((time.time() + remaining_s) / 60) * 60)
