"""The life every machine behind a link shares, so an adapter writes only its protocol.

A `LinkedMachine` owns one thread per machine (a serial port's reader, an HTTP poller): `connect` starts it and
waits for the first outcome, `disconnect` ends it. Whatever ends the thread (the link lost, a fault of ours, a
disconnect during a job) leaves the job held with a plain reason and the machine made safe where it still
answers. Jobs end through `_end_job` and failures through `_fail`, which report the job's end exactly once. The
heater idle-off rule is one timer, `HeaterIdleTimer`, for every printer however it is reached.

A subclass writes `_run_link` (open, handshake, loop while `self._running`), and where its protocol needs them
`_job_over` (forget the program), `_make_safe` (what to send when failing) and `_close_link`.
"""

from __future__ import annotations

import logging
import threading
from abc import abstractmethod

from machine_adapters.base import NEEDS_STAFF_STATES, Clock, JobEnded, Machine, MachineState
from machine_adapters.clock import REAL_CLOCK
from machine_adapters.profiles import MachineProfile
from machine_adapters.transport import LinkLost

log = logging.getLogger(__name__)

HEATERS_OFF_IDLE_S = 600.0  # SAFETY: heaters off after 10 minutes idle
HEATERS_OFF_PAUSED_S = 300.0  # and after 5 minutes paused


class HeaterIdleTimer:
    """SAFETY: heaters off after 10 minutes idle or 5 minutes paused; a resume heats up again first (recipes).

    Fed the machine's state at every look, it says once per quiet spell that the time has come; a change between
    idle and paused, or anyone acting (`restart`), starts the spell again.
    """

    def __init__(self) -> None:
        self._quiet: tuple[MachineState, float] | None = None  # idle or paused: which, since when
        self.went_off = False  # the heaters were turned off in this quiet spell

    def restart(self) -> None:
        self._quiet = None
        self.went_off = False

    def due(self, state: MachineState, now: float, hot: bool = True) -> bool:
        """True once, when heaters that are (or may be) on have been quiet for too long."""
        if state not in (MachineState.IDLE, MachineState.PAUSED):
            self.restart()
            return False
        if self._quiet is None or self._quiet[0] is not state:
            self._quiet, self.went_off = (state, now), False
            return False
        limit = HEATERS_OFF_PAUSED_S if state is MachineState.PAUSED else HEATERS_OFF_IDLE_S
        if self.went_off or not hot or now - self._quiet[1] < limit:
            return False
        self.went_off = True
        return True


class LinkedMachine(Machine):
    """A machine reached over a link that one thread of its own owns; see the module's text."""

    thread_name = "machine"
    # the reasons people read when the link thread ends badly; None: a disconnect leaves the job alone (a job a
    # server runs on its own goes on, and a new fabkiosk finds it again)
    reason_link_lost = ""
    reason_internal = ""
    reason_disconnected: str | None = None
    join_timeout_s = 5.0

    def __init__(self, profile: MachineProfile, clock: Clock = REAL_CLOCK) -> None:
        super().__init__(profile, clock)
        self._thread: threading.Thread | None = None
        self._running = False
        self._connected = threading.Event()  # the first outcome of a connect: ready, refused or failed
        self.idle_heaters = HeaterIdleTimer()

    @property
    def linked(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def connect(self) -> None:
        if self.linked:
            return
        self._forget_actions()  # what was asked of the last link (a stop that already halted it) is dropped
        self._new_link()
        self._update(state=MachineState.CONNECTING, last_error="", needs_staff=False)
        self._connected.clear()
        self._running = True
        self._thread = threading.Thread(
            target=self._link_thread, name=f"{self.thread_name}-{self.profile.id}", daemon=True
        )
        self._thread.start()
        self._connected.wait(self._connect_wait_s())

    def disconnect(self) -> None:
        self._running = False
        if self._thread is not None:
            self._thread.join(timeout=self.join_timeout_s)
        self._thread = None
        self._after_disconnect()

    # --- what a protocol writes ------------------------------------------------------------------------

    @abstractmethod
    def _run_link(self) -> None:
        """Open the link, greet the machine, then serve it while `self._running`; raise LinkLost when it goes."""

    def _connect_wait_s(self) -> float:
        """How long `connect` waits for the first outcome (the handshake's own timeouts and a margin)."""
        return 30.0

    def _new_link(self) -> None:
        """Start a new link from a clean protocol state."""

    def _close_link(self) -> None:
        """Close the port (the thread is ending)."""

    def _job_over(self) -> None:
        """The job ended or failed: forget its program and stop feeding it."""

    def _make_safe(self, state: MachineState) -> None:
        """Failing into `state`: send what makes the machine safe where it still listens (heaters, spindle off)."""

    def _after_disconnect(self) -> None:
        if self.status.state not in NEEDS_STAFF_STATES:
            self._update(state=MachineState.OFFLINE)

    # --- shared life -------------------------------------------------------------------------------------

    def _link_thread(self) -> None:
        try:
            self._run_link()
        except LinkLost:
            self._fail(MachineState.LINK_LOST, self.reason_link_lost)
        except Exception:  # a fault of ours must still leave the machine held and explained, never silently running
            log.exception("the link thread of %s failed", self.profile.id)
            self._fail(MachineState.LINK_LOST, self.reason_internal)
        finally:
            if self.status.job_id is not None and self.reason_disconnected is not None:
                self._fail(MachineState.LINK_LOST, self.reason_disconnected)  # disconnected mid-job: hold it
            self._connected.set()
            self._running = False
            self._close_link()

    def _end_job(self, completed: bool, reason: str, **changes: object) -> None:
        """The job is over (done, cancelled, failed): forget it, apply `changes`, tell who listens once."""
        job_id = self.status.job_id
        self._job_over()
        if job_id is None and not changes:
            return
        self._update(job_id=None, **changes)
        if job_id is not None:
            self.job_ended.emit(JobEnded(job_id, completed, reason))

    def _fail(self, state: MachineState, reason: str, needs_staff: bool = True) -> None:
        """Stop feeding, make the machine safe where it still answers, hold the job with the reason."""
        self._job_over()
        self._make_safe(state)
        self._end_job(False, reason, state=state, last_error=reason, needs_staff=needs_staff)
        self._connected.set()
