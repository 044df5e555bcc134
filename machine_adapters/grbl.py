"""The GRBL host: laser engravers and CNC routers over a serial transport, on a port thread of their own.

Handshake: wake, welcome (Grbl or GrblHAL), `$I` for the RX buffer, `$$` for the settings, refused with a
staff-readable reason unless soft limits and homing are on, the travel covers the profile and (lasers) laser
mode is on. Every job is first run through the controller's check mode (`$C`); only a clean check streams it,
by character counting within the RX buffer minus one. Status is polled with `?` five times a second. Real-time
commands (feed hold, cycle start, soft reset) go straight to the port, ahead of anything queued.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from machine_adapters.base import READY_STATES, Clock, JobEnded, Machine, MachineAction, MachineBusy, MachineState
from machine_adapters.gcode import SafeProgram
from machine_adapters.grbl_wire import (
    CYCLE_START,
    FEED_HOLD,
    SOFT_RESET,
    STATUS_QUERY,
    WAKE,
    Reply,
    ReplyKind,
    StatusReport,
    alarm_text,
    error_text,
    parse_reply,
    parse_setting,
    parse_status,
    rx_buffer_from_options,
)
from machine_adapters.messages import N_, REASON_STOPPED
from machine_adapters.profiles import MachineKind, MachineProfile
from machine_adapters.transport import LinkLost, Transport

log = logging.getLogger(__name__)
POLL_S = 0.2  # `?` five times a second

REASON_NO_WELCOME = N_("The machine's controller did not answer. Check that it is switched on and plugged in.")
REASON_SOFT_LIMITS = N_("Soft limits are switched off on this machine ($20); fabkiosk will not run it.")
REASON_HOMING = N_("Homing is switched off on this machine ($22); fabkiosk will not run it.")
REASON_TRAVEL = N_("The machine's travel ($130-$132) does not cover its profile; fabkiosk will not run it.")
REASON_LASER_MODE = N_("Laser mode is switched off on this laser ($32); fabkiosk will not run it.")
REASON_SPINDLE_MAX = N_("The machine's full power value ($30) does not match its profile; fabkiosk will not run it.")
REASON_NEEDS_HOMING = N_("The machine must be homed by staff before it is used.")
REASON_CHECK_FAILED = N_("The machine's own check refused this program. Staff must look at it.")
REASON_DOOR = N_("The door is open. Close it, then confirm at the machine to go on.")
REASON_LINK_LOST = N_("The connection to the machine was lost. Staff must check it before it is used again.")


class GrblMachine(Machine):
    def __init__(
        self,
        profile: MachineProfile,
        open_transport: Callable[[], Transport],
        clock: Clock = time.monotonic,
        *,
        reply_timeout_s: float = 10.0,
    ) -> None:
        super().__init__(profile, clock)
        self._open_transport = open_transport
        self.reply_timeout_s = reply_timeout_s
        self.settings: dict[int, float] = {}
        self.version = ""
        self.check_finding = ""  # what the controller's check refused (line and reason), for staff
        self._transport: Transport | None = None
        self._thread: threading.Thread | None = None
        self._running = False
        self._connected = threading.Event()
        self._rx_size = profile.rx_buffer
        self._sent: deque[tuple[int, int]] = deque()  # (bytes, program index or -1) awaiting "ok"
        self._program: SafeProgram | None = None
        self._next = 0
        self._acked = 0
        self._phase = ""  # "", "check", "leave_check", "run", "cancel"
        self._check_errors: list[tuple[int, int]] = []  # (program index, error code)
        self._last_poll = 0.0
        self._last_report: StatusReport | None = None
        self._wco: tuple[float, float, float] | None = None

    # --- public: any thread ------------------------------------------------------------------------

    def connect(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._forget_actions()
        self._update(state=MachineState.CONNECTING, last_error="", needs_staff=False)
        self._connected.clear()
        self._running = True
        self._thread = threading.Thread(target=self._port_loop, name=f"grbl-{self.profile.id}", daemon=True)
        self._thread.start()
        self._connected.wait(self.reply_timeout_s * 3 + 2)

    def disconnect(self) -> None:
        self._running = False
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None
        if self.status.state not in (MachineState.HALTED, MachineState.ALARM, MachineState.LINK_LOST):
            self._update(state=MachineState.OFFLINE)

    def start(self, program: SafeProgram, job_id: str) -> None:
        super().start(program, job_id)
        self._actions.put(("start", program))

    def frame(self, program: SafeProgram) -> None:
        if program.machine_id != self.profile.id:
            raise MachineBusy(f"this program was checked for {program.machine_id}, not for {self.profile.id}")
        self._require(READY_STATES, "frame")
        self._update(state=MachineState.RUNNING, last_error="")  # no job: nothing is reported when it ends
        self._actions.put(("frame", program))

    def perform(self, action: MachineAction) -> None:
        state = self.status.state
        if action is MachineAction.STOP:
            self._realtime(FEED_HOLD + SOFT_RESET)  # at once, ahead of everything: hold, then reset
            self._actions.put(("stop", None))
            return
        if action is MachineAction.PAUSE:
            self._require(frozenset({MachineState.RUNNING}), "pause")
            self._realtime(FEED_HOLD)
            return
        if action is MachineAction.RESUME:
            self._require(frozenset({MachineState.PAUSED}), "resume")
            report = self._last_report
            if report is not None and _door_open(report):
                raise MachineBusy("cannot resume while the door is open")
            self._update(last_error="")
            self._realtime(CYCLE_START)
            return
        if action is MachineAction.CANCEL:
            self._require(frozenset({MachineState.RUNNING, MachineState.PAUSING, MachineState.PAUSED}), "cancel")
            self._realtime(FEED_HOLD)
            self._actions.put(("cancel", None))
            return
        if action is MachineAction.HOME:
            if state not in (MachineState.IDLE, MachineState.ALARM):
                raise MachineBusy(f"cannot home while the machine is {state.value}")
            self._actions.put(("home", None))
            return
        raise MachineBusy(f"a {self.profile.kind.value} cannot {action.value} here")

    def _realtime(self, data: bytes) -> None:
        transport = self._transport
        if transport is not None:
            with contextlib.suppress(LinkLost):  # a lost link is noticed and reported by the port thread
                transport.write(data)

    # --- the port thread -------------------------------------------------------------------------------

    def _port_loop(self) -> None:
        try:
            self._transport = self._open_transport()
            self._handshake()
            while self._running:
                self._take_actions()
                self._send_what_fits()
                raw = self._transport.readline(0.01)
                if raw:
                    self._handle(parse_reply(raw))
                if time.monotonic() - self._last_poll >= POLL_S:
                    self._last_poll = time.monotonic()
                    self._transport.write(STATUS_QUERY)
        except LinkLost:
            self._fail(MachineState.LINK_LOST, REASON_LINK_LOST)
        except _Refused as e:
            self._fail(MachineState.HALTED, e.reason)
        except Exception:  # a fault of ours must leave the machine held and explained, never silently running
            log.exception("the %s port thread failed", self.profile.id)
            self._realtime(FEED_HOLD + SOFT_RESET)
            self._fail(MachineState.LINK_LOST, REASON_LINK_LOST)
        finally:
            self._connected.set()
            self._running = False
            if self._transport is not None:
                self._transport.close()
            self._transport = None

    def _handshake(self) -> None:
        assert self._transport is not None
        self._transport.write(WAKE)
        if self._wait_for(ReplyKind.WELCOME) is None:
            raise _Refused(REASON_NO_WELCOME)
        self._drain(0.2)  # the wake's empty lines each earn an "ok": not the answer to anything we ask
        info = self._ask("$I")
        self.version = next((r.text for r in info if r.text.startswith("[VER:")), "")
        for reply in info:
            size = rx_buffer_from_options(reply.text)
            if size:
                self._rx_size = size
        for reply in self._ask("$$"):
            setting = parse_setting(reply.text)
            if setting is not None:
                self.settings[setting[0]] = setting[1]
        self._check_settings()
        self._poll_now()
        if self._last_report is not None and self._last_report.state == "Alarm":
            self._update(state=MachineState.ALARM, last_error=REASON_NEEDS_HOMING, needs_staff=True)
        else:
            self._update(state=MachineState.IDLE)
        self._connected.set()

    def _check_settings(self) -> None:
        s, env = self.settings, self.profile.envelope
        if s.get(20) != 1:
            raise _Refused(REASON_SOFT_LIMITS)
        if s.get(22) != 1:
            raise _Refused(REASON_HOMING)
        travel = (s.get(130, 0.0), s.get(131, 0.0), s.get(132, 0.0))
        if any(t + 0.01 < e for t, e in zip(travel, (env.x, env.y, env.z), strict=True)):
            raise _Refused(REASON_TRAVEL)
        if self.profile.kind is MachineKind.LASER_ENGRAVER and s.get(32) != 1:
            raise _Refused(REASON_LASER_MODE)
        if abs(s.get(30, 0.0) - self.profile.spindle_s_max) > 1e-6:
            raise _Refused(REASON_SPINDLE_MAX)

    def _drain(self, seconds: float) -> None:
        assert self._transport is not None
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._transport.readline(0.02)

    def _wait_for(self, kind: ReplyKind) -> Reply | None:
        assert self._transport is not None
        deadline = time.monotonic() + self.reply_timeout_s
        while time.monotonic() < deadline:
            reply = parse_reply(self._transport.readline(0.05))
            if reply.kind is kind:
                return reply
        return None

    def _ask(self, command: str) -> list[Reply]:
        """Send-response: one command, everything it says until its "ok" (used for $ commands and EEPROM)."""
        assert self._transport is not None
        self._transport.write(command.encode("ascii") + b"\n")
        replies: list[Reply] = []
        deadline = time.monotonic() + self.reply_timeout_s
        while time.monotonic() < deadline:
            reply = parse_reply(self._transport.readline(0.05))
            if reply.kind is ReplyKind.OK:
                return replies
            if reply.kind is ReplyKind.ERROR:
                raise _Refused(error_text(reply.code))
            if reply.kind is ReplyKind.ALARM:
                raise _Refused(alarm_text(reply.code))
            if reply.text:
                replies.append(reply)
        raise LinkLost(f"no answer to {command}")

    def _poll_now(self) -> None:
        assert self._transport is not None
        self._transport.write(STATUS_QUERY)
        reply = self._wait_for(ReplyKind.STATUS)
        if reply is not None:
            self._last_report = parse_status(reply.text)

    # --- actions, on the port thread -----------------------------------------------------------------------

    def _take_actions(self) -> None:
        for kind, payload in self._pending_actions():
            if kind == "start" and isinstance(payload, SafeProgram):
                self._begin_check(payload)
            elif kind == "frame" and isinstance(payload, SafeProgram):
                self._program, self._next, self._acked, self._phase = payload, 0, 0, "run"  # rapids only: no check
            elif kind == "stop":
                self._stopped()
            elif kind == "cancel":
                self._phase = "cancel"
            elif kind == "home":
                self._update(state=MachineState.RUNNING, last_error="")
                self._ask("$H")
                self._update(state=MachineState.IDLE, needs_staff=False)

    def _begin_check(self, program: SafeProgram) -> None:
        self._program, self._next, self._acked, self._check_errors = program, 0, 0, []
        self._ask("$C")
        self._phase = "check"

    def _send_what_fits(self) -> None:
        if self._phase not in ("check", "run") or self._program is None:
            return
        assert self._transport is not None
        budget = self._rx_size - 1
        while self._next < len(self._program):
            data = self._program[self._next].encode("ascii") + b"\n"
            if sum(n for n, _ in self._sent) + len(data) > budget:
                return
            self._transport.write(data)
            self._sent.append((len(data), self._next))
            self._next += 1

    def _handle(self, reply: Reply) -> None:
        if reply.kind is ReplyKind.STATUS:
            self._follow(parse_status(reply.text))
        elif reply.kind in (ReplyKind.OK, ReplyKind.ERROR):
            _, index = self._sent.popleft() if self._sent else (0, -1)
            if reply.kind is ReplyKind.ERROR:
                self._refused_line(index, reply.code)
            elif index >= 0:
                self._acked = index + 1
            self._after_ack()
        elif reply.kind is ReplyKind.ALARM:
            self._alarm(reply.code)
        elif reply.kind is ReplyKind.WELCOME:
            self._welcome()

    def _refused_line(self, index: int, code: int) -> None:
        if self._phase == "check":
            self._check_errors.append((index, code))
            return
        if self._phase == "run":  # SAFETY: any error during a job is feed hold, reset, staff
            self._realtime(FEED_HOLD + SOFT_RESET)
            line = self._program.source_lines[index] if self._program and index >= 0 else 0
            self.check_finding = f"line {line}: error {code}"
            self._fail(MachineState.HALTED, error_text(code))

    def _after_ack(self) -> None:
        program = self._program
        if program is None or self._sent or self._next < len(program):
            return
        if self._phase == "check":
            self._phase = "leave_check"
            self._sent.append((0, -1))  # the "ok" of leaving check mode; the controller then resets itself
            assert self._transport is not None
            self._transport.write(b"$C\n")
        elif self._phase == "run":
            self._phase = "finish"  # all lines taken; the job ends when the controller reports Idle

    def _welcome(self) -> None:
        if self._phase == "leave_check":
            if self._check_errors:
                index, code = self._check_errors[0]
                assert self._program is not None
                line = self._program.source_lines[index] if index >= 0 else 0
                self.check_finding = f"line {line}: {error_text(code)}"
                self._phase = ""
                self._end_job(False, REASON_CHECK_FAILED)
                return
            self._phase, self._next, self._acked = "run", 0, 0
            self._update(state=MachineState.RUNNING)
        elif self._phase == "cancel":
            self._phase = ""
            self._end_job(False, "cancelled")

    def _follow(self, report: StatusReport) -> None:
        self._last_report = report
        self._wco = report.wco or self._wco
        changes: dict[str, object] = {"position": report.work_position(self._wco)}
        door = report.state == "Door"
        if self._phase in ("run", "finish") and door:
            changes.update(state=MachineState.PAUSED, last_error=REASON_DOOR)  # the controller holds on its own
        elif self._phase in ("run", "finish"):
            state = {"Hold": MachineState.PAUSED if report.substate == 0 else MachineState.PAUSING}.get(
                report.state, MachineState.RUNNING
            )
            changes["state"] = state
            if self._program is not None:
                changes.update(lines_done=self._acked, lines_total=len(self._program))
            if self._phase == "finish" and report.state == "Idle":
                self._update(**changes)
                self._end_job(True, "")
                return
        elif self._phase == "cancel" and report.state in ("Hold", "Idle") and report.substate in (0, None):
            self._realtime(SOFT_RESET)  # motion has stopped: the reset loses no position and raises no alarm
            self._sent.clear()
        self._update(**changes)

    def _alarm(self, code: int) -> None:
        self._fail(MachineState.ALARM, alarm_text(code))  # SAFETY: any alarm = stop, staff

    def _stopped(self) -> None:
        self._fail(MachineState.HALTED, REASON_STOPPED)

    def _end_job(self, completed: bool, reason: str) -> None:
        job_id = self.status.job_id
        self._program, self._phase = None, ""
        self._sent.clear()
        self._update(state=MachineState.IDLE, job_id=None)
        if job_id is not None:
            self.job_ended.emit(JobEnded(job_id, completed, reason))

    def _fail(self, state: MachineState, reason: str) -> None:
        job_id = self.status.job_id
        self._program, self._phase = None, ""
        self._sent.clear()
        self._update(state=state, last_error=reason, needs_staff=True, job_id=None)
        if job_id is not None:
            self.job_ended.emit(JobEnded(job_id, False, reason))
        self._connected.set()


def _door_open(report: StatusReport) -> bool:
    """The door input is active, or the controller says the door is not yet closed (Door:1, :2, :3)."""
    return "D" in report.pins or (report.state == "Door" and report.substate not in (0, None))


class _Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
