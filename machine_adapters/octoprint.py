"""Printers behind an OctoPrint server: one poller thread per machine reads OctoPrint about once a second.

OctoPrint streams the program to the firmware; fabkiosk uploads only a SafeProgram (named `fabkiosk-<job>.gcode`,
which is how a restarted fabkiosk finds its job again), starts, pauses, resumes and cancels through the job API,
and sends only recipe lines through the command API. Blocking HTTP never runs on the caller's (the UI's) thread,
except STOP, which goes out at once on a thread of its own.
"""

from __future__ import annotations

import logging
import re
import threading
from bisect import bisect_right
from itertools import accumulate
from typing import Any

from machine_adapters.base import (
    Clock,
    MachineAction,
    MachineError,
    MachineOffline,
    MachineState,
    Perform,
    StartJob,
    Temperature,
)
from machine_adapters.clock import REAL_CLOCK
from machine_adapters.gcode import SafeProgram
from machine_adapters.linked import LinkedMachine
from machine_adapters.messages import N_, REASON_STOPPED
from machine_adapters.octoprint_api import AuthFailed, Conflict, OctoPrintApi
from machine_adapters.profiles import MachineProfile
from machine_adapters.recipes import HEATERS_OFF, end_of_job, recipe_for

log = logging.getLogger(__name__)

FILE_NAME = re.compile(r"^fabkiosk-([0-9a-f]{32})\.gcode$")
POLL_S = 1.0
OFFLINE_BACKOFF_S = (1.0, 2.0, 5.0)
AUTH_BACKOFF_S = 60.0  # a refused key will not fix itself: ask rarely, never in a storm
START_GRACE_S = 30.0  # how long an uploaded job may take to show as printing

REASON_OCTOPRINT_GONE = N_("OctoPrint stopped answering during the job. Staff must check the printer.")
REASON_OCTOPRINT_OFFLINE = N_("OctoPrint does not answer. Check that its server is running.")
REASON_AUTH = N_("OctoPrint refused fabkiosk's application key. Staff must check the key in the machines file.")
REASON_PRINTER_ERROR = N_("The printer reported an error and stopped. Staff must check it.")
REASON_UPLOAD_FAILED = N_("The job could not be handed to OctoPrint. Staff must check the printer.")
REASON_LOST_JOB = N_("OctoPrint is no longer running this job. Staff must check the printer.")

STATES = {
    "Operational": MachineState.IDLE,
    "Starting": MachineState.RUNNING,
    "Printing": MachineState.RUNNING,
    "Resuming": MachineState.RUNNING,
    "Pausing": MachineState.PAUSING,
    "Paused": MachineState.PAUSED,
    "Cancelling": MachineState.CANCELLING,
    "Finishing": MachineState.FINISHING,
    "Offline": MachineState.CONNECTING,
    "Closed": MachineState.CONNECTING,
    "Opening serial connection": MachineState.CONNECTING,
    "Detecting serial connection": MachineState.CONNECTING,
    "Connecting": MachineState.CONNECTING,
}
ON_JOB = frozenset(
    {MachineState.RUNNING, MachineState.PAUSING, MachineState.PAUSED, MachineState.CANCELLING, MachineState.FINISHING}
)


def machine_state(octoprint_state: str) -> MachineState:
    """OctoPrint's state text in our words; any error text means halted."""
    if octoprint_state.startswith("Error") or "error" in octoprint_state.lower():
        return MachineState.HALTED
    for prefix, state in STATES.items():
        if octoprint_state.startswith(prefix):
            return state
    return MachineState.CONNECTING


class OctoPrintMachine(LinkedMachine):
    thread_name = "octoprint"
    reason_link_lost = REASON_OCTOPRINT_GONE
    reason_internal = REASON_OCTOPRINT_GONE
    join_timeout_s = 10.0

    def __init__(
        self, profile: MachineProfile, api: OctoPrintApi, clock: Clock = REAL_CLOCK, poll_s: float = POLL_S
    ) -> None:
        super().__init__(profile, clock)
        self.api = api
        self.poll_s = poll_s
        self._job_file: str | None = None  # the file of our job OctoPrint runs
        self._job_seen = False  # OctoPrint has reported it running (until then "Operational" means "not yet")
        self._line_ends: list[int] = []  # byte offset after each command of the uploaded program
        self._uploaded_at = 0.0
        self._stopping = False
        self._failures = 0
        self._targets = (0.0, 0.0)  # hotend and bed targets when the heaters went off during a pause
        self.printer_error = ""  # the firmware's own words for the last error: untrusted text, for staff

    # --- public: any thread ------------------------------------------------------------------------

    def _new_link(self) -> None:
        self._stopping = False  # connecting again is how staff bring a stopped printer back

    def _connect_wait_s(self) -> float:
        return float(self.api.session.timeout) * 4 + 5

    def _after_disconnect(self) -> None:
        """Stop following OctoPrint. A print it runs goes on; a new fabkiosk re-attaches to it by its file name."""
        self._update(state=MachineState.OFFLINE, job_id=None)

    def start(self, program: SafeProgram, job_id: str) -> None:
        super().start(program, job_id)
        self._actions.put(StartJob(program))

    def perform(self, action: MachineAction) -> None:
        if action is MachineAction.STOP:
            self._stopping = True
            threading.Thread(target=self._emergency_stop, name=f"octoprint-stop-{self.profile.id}").start()
            return
        self._check_action(action)
        recipe_for(self.profile, action, self.status)  # refuses here what this kind cannot do
        self._actions.put(Perform(action))

    # --- stop: out of band ---------------------------------------------------------------------------

    def _emergency_stop(self) -> None:
        recipe = recipe_for(self.profile, MachineAction.STOP, self.status)
        try:
            # M112 first and alone: OctoPrint sends it to the firmware ahead of its queue; then heaters off
            self.api.commands([recipe.immediate.decode("ascii").strip()])
            self.api.commands(list(recipe.lines))
        except MachineError as e:
            log.warning("stop on %s: %s", self.profile.id, e)
        self._fail(MachineState.HALTED, REASON_STOPPED)

    # --- the poller thread -------------------------------------------------------------------------------

    def _run_link(self) -> None:
        while self._running:
            wait = self.poll_s
            try:
                self._take_actions()
                self._poll()
                self._failures = 0
            except AuthFailed:
                self._lost(REASON_AUTH)
                wait = AUTH_BACKOFF_S
            except MachineOffline:
                self._lost(REASON_OCTOPRINT_GONE if self.status.job_id else REASON_OCTOPRINT_OFFLINE)
                wait = OFFLINE_BACKOFF_S[min(self._failures, len(OFFLINE_BACKOFF_S) - 1)]
                self._failures += 1
            except Exception:  # a fault of ours must leave the job held and explained, never silently running
                log.exception("the OctoPrint poller of %s failed", self.profile.id)
                self._lost(REASON_OCTOPRINT_GONE)
            self._connected.set()
            deadline = self.clock.monotonic() + wait
            while self._running and self.clock.monotonic() < deadline and self._actions.empty():
                self.clock.sleep(0.05)

    def _lost(self, reason: str) -> None:
        self._end_job(False, reason)
        if self._stopping:
            return
        self._update(state=MachineState.OFFLINE, last_error=reason, needs_staff=False)

    def _take_actions(self) -> None:
        for request in self._pending_actions():
            match request:
                case StartJob(program):
                    self._start(program)
                case Perform(action):
                    self._act(action)

    def _start(self, program: SafeProgram) -> None:
        job_id = self.status.job_id
        assert job_id is not None
        name = f"fabkiosk-{job_id}.gcode"
        try:
            self.api.upload_and_print(name, "\n".join(program) + "\n")
        except MachineError as e:
            log.warning("upload to %s failed: %s", self.profile.id, e)
            self._end_job(False, REASON_UPLOAD_FAILED)
            return
        self._job_file, self._job_seen, self._uploaded_at = name, False, self.clock.monotonic()
        self._line_ends = list(accumulate(len(line) + 1 for line in program))  # file position -> command index
        self.idle_heaters.restart()

    def _act(self, action: MachineAction) -> None:
        cooled = self.idle_heaters.went_off
        self.idle_heaters.restart()  # someone acted: the idle and pause timers start again
        try:
            if action is MachineAction.PAUSE:
                self.api.pause()
            elif action is MachineAction.RESUME:
                if cooled:  # heaters went off during a long pause: heat up to the job's own targets first
                    self.api.commands(self._reheat_lines())
                self.api.resume()
            elif action is MachineAction.CANCEL:
                self.api.cancel()
            else:
                self.api.commands(list(recipe_for(self.profile, action, self.status).lines))
        except Conflict:
            self._update(last_error=N_("The printer cannot do this right now."))

    def _poll(self) -> None:
        if self._stopping:
            self._poll_after_stop()
            return
        job = self.api.job()
        text = str(job.get("state") or "")  # the job API tells "Offline after error" apart from a plain "Offline"
        state = machine_state(text)
        closed = text.startswith(("Offline", "Closed")) and state is MachineState.CONNECTING
        if closed and self.status.job_id is None and not self.status.needs_staff:
            # the printer is disconnected inside OctoPrint: connect it (never after an error: that is for staff)
            self.api.connect(self.profile.connection.port, self.profile.connection.baud)
        printer = self.api.printer() if state not in (MachineState.CONNECTING, MachineState.HALTED) else None
        self._follow(state, job, printer)

    def _poll_after_stop(self) -> None:
        """After STOP only the link is watched: the printer waits for staff, whatever OctoPrint shows."""
        self.api.connection()

    def _follow(self, state: MachineState, job: dict[str, Any], printer: dict[str, Any] | None) -> None:
        name = str((job.get("job") or {}).get("file", {}).get("name") or "")
        progress = job.get("progress") or {}
        changes: dict[str, Any] = {"state": state}
        if printer is not None:
            temps = printer.get("temperature") or {}
            for key, field in (("tool0", "hotend"), ("bed", "bed")):
                if isinstance(temps.get(key), dict):
                    changes[field] = Temperature(
                        float(temps[key].get("actual") or 0), float(temps[key].get("target") or 0)
                    )
        if state is MachineState.HALTED:
            self.printer_error = str(job.get("error") or "")
            self._end_job(False, REASON_PRINTER_ERROR)
            self._update(state=state, last_error=REASON_PRINTER_ERROR, needs_staff=True, **_without(changes, "state"))
            return
        if self._job_file is None and state in ON_JOB and FILE_NAME.match(name):
            match = FILE_NAME.match(name)
            assert match is not None
            self._job_file, self._job_seen = name, True  # ours, and OctoPrint kept running it while we were away
            changes["job_id"] = match.group(1)
            log.info("%s: re-attached to job %s", self.profile.id, match.group(1))
        if self._job_file is not None and not self._job_seen:
            if state in ON_JOB and name == self._job_file:
                self._job_seen = True
            elif self.clock.monotonic() - self._uploaded_at < START_GRACE_S:
                changes["state"] = MachineState.RUNNING  # uploaded and selected; OctoPrint is about to start
            else:
                self._update(**changes)
                self._end_job(False, REASON_LOST_JOB)
                return
        if self._job_file is not None:
            if state in ON_JOB and name == self._job_file:
                changes.update(self._progress(job, progress))
            elif state is MachineState.IDLE:
                completion = float(progress.get("completion") or 0)
                done = name == self._job_file and completion >= 99.99
                self._update(**changes)
                self._safe_end_state()
                self._end_job(done, "" if done else ("cancelled" if name == self._job_file else REASON_LOST_JOB))
                return
            else:  # the printer was disconnected inside OctoPrint, or another file runs: our job is gone
                self._update(**changes)
                self._end_job(False, REASON_LOST_JOB)
                return
        self._update(**changes)
        self._heaters_off_when_quiet(state, printer)

    def _progress(self, job: dict[str, Any], progress: dict[str, Any]) -> dict[str, int]:
        """Commands done and in all, from OctoPrint's file position (in bytes, when the program is not known)."""
        position = int(progress.get("filepos") or 0)
        if self._line_ends:
            return {"lines_done": bisect_right(self._line_ends, position), "lines_total": len(self._line_ends)}
        size = int((job.get("job") or {}).get("file", {}).get("size") or 0)
        if size:
            return {"lines_done": position, "lines_total": size}
        return {"lines_done": int(10 * float(progress.get("completion") or 0)), "lines_total": 1000}

    def _heaters_off_when_quiet(self, state: MachineState, printer: dict[str, Any] | None) -> None:
        """SAFETY: heaters off after 10 minutes idle or 5 minutes paused, as on a serial printer."""
        hot = any(t is not None and t.target > 0 for t in (self.status.hotend, self.status.bed))
        if not self.idle_heaters.due(
            state if printer is not None else MachineState.CONNECTING, self.clock.monotonic(), hot
        ):
            return
        hotend, bed = self.status.hotend, self.status.bed
        self._targets = (hotend.target if hotend else 0.0, bed.target if bed else 0.0)
        try:
            self.api.commands(list(HEATERS_OFF))
        except MachineError:
            self.idle_heaters.went_off = False  # not sent: the next poll tries again
            raise

    def _reheat_lines(self) -> list[str]:
        """Heat-up commands to the temperatures the paused job had, never beyond the machine's limits."""
        hotend = min(self._targets[0], self.profile.limits.hotend_max)
        bed = min(self._targets[1], self.profile.limits.bed_max)
        lines = [f"M140 S{bed:.0f}", f"M104 S{hotend:.0f}"] if hotend > 0 else []
        if bed > 0:
            lines.append(f"M190 S{bed:.0f}")
        if hotend > 0:
            lines.append(f"M109 S{hotend:.0f}")
        return lines

    def _safe_end_state(self) -> None:
        """Heaters and fan off after the job, whatever the program (or OctoPrint's own scripts) left on."""
        try:
            self.api.commands(list(end_of_job(self.profile)))
        except MachineError as e:  # the next poll shows what OctoPrint can still do; the idle timer stays as backup
            log.warning("%s: could not send the end-of-job commands: %s", self.profile.id, e)

    def _job_over(self) -> None:
        self._job_file, self._job_seen, self._line_ends = None, False, []


def _without(changes: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in changes.items() if k != key}
