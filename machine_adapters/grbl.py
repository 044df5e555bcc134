"""The GRBL host: laser engravers and CNC routers over a serial transport, on a port thread of their own.

Handshake: wake; a board that reset when its port opened greets, one that did not (32-bit boards, grblHAL) is
woken with a soft reset, after which every GRBL greets (Grbl or GrblHAL). `$I` for the RX buffer and build
options, `$$` for the settings, refused with a staff-readable reason unless soft limits and homing are on, the
travel covers the profile and (lasers) laser mode is on. No job runs before the machine is homed. Every job is
first run through the controller's check mode (`$C`); only a clean check streams it, by character counting
within the RX buffer minus one, and the host ends it with spindle/laser and coolant off (M5, M9). Status is
polled with `?` five times a second, homing included, which is timed from the machine's travel and homing
rates. Real-time commands (feed hold, cycle start, soft reset) go straight to the port, ahead of anything queued.
Every state change and every firmware message is logged at info level.

Longer than 400 lines because the handshake, streaming, homing and every alarm path share one port thread and
one phase; the wire format's pure parts live in grbl_wire.py.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable

from machine_adapters.base import (
    READY_STATES,
    Clock,
    FrameJob,
    MachineAction,
    MachineBusy,
    MachineState,
    MachineStatus,
    Perform,
    StartJob,
    StopNow,
)
from machine_adapters.clock import REAL_CLOCK
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
    build_options,
    error_text,
    homing_enabled,
    homing_seconds,
    locks_until_homed,
    parse_reply,
    parse_setting,
    parse_status,
    rx_buffer_from_options,
)
from machine_adapters.linked import LinkedMachine
from machine_adapters.messages import N_, REASON_STOPPED
from machine_adapters.profiles import MachineKind, MachineProfile
from machine_adapters.transport import LinkLost, Transport

log = logging.getLogger(__name__)
POLL_S = 0.2  # `?` five times a second
END_LINES = ("M5", "M9")  # every job ends with spindle/laser and coolant off, whatever the program said

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
REASON_HOMING_TIMEOUT = N_("Homing did not finish in time. Staff must check the machine and home it again.")
REASON_RESTARTED = N_("The machine's controller restarted, so its position is lost. Staff must home it.")
REASON_DISCONNECTED = N_("fabkiosk was disconnected from the machine during the job. Staff must check it.")


class GrblMachine(LinkedMachine):
    thread_name = "grbl"
    reason_link_lost = REASON_LINK_LOST
    reason_internal = REASON_LINK_LOST
    reason_disconnected = REASON_DISCONNECTED

    def __init__(
        self,
        profile: MachineProfile,
        open_transport: Callable[[], Transport],
        clock: Clock = REAL_CLOCK,
        *,
        reply_timeout_s: float = 10.0,
        boot_wait_s: float = 2.5,
    ) -> None:
        super().__init__(profile, clock)
        self._open_transport = open_transport
        self.reply_timeout_s = reply_timeout_s
        self.boot_wait_s = boot_wait_s  # how long a board that resets when its port opens takes to greet
        self.settings: dict[int, float] = {}
        self.version = ""
        self.options = ""  # the build's option letters from $I
        self.hal = False
        self.homed = False  # homing done since the controller last lost its position
        self.check_finding = ""  # what the controller's check refused (line and reason), for staff
        self._transport: Transport | None = None
        self._rx_size = profile.rx_buffer
        self._sent: deque[tuple[int, int]] = deque()  # (bytes, program index or -1) awaiting "ok"
        self._program: SafeProgram | None = None
        self._next = 0
        self._acked = 0
        self._phase = ""  # "", "check", "leave_check", "run", "finish", "cancel", "home"
        self._end_sent = 0  # how many of END_LINES went out after the program
        self._reset_sent = False  # the next welcome answers a reset of ours
        self._home_deadline = 0.0
        self._check_errors: list[tuple[int, int]] = []  # (program index, error code)
        self._last_poll = 0.0
        self._last_report: StatusReport | None = None
        self._wco: tuple[float, float, float] | None = None

    # --- public: any thread ------------------------------------------------------------------------

    def start(self, program: SafeProgram, job_id: str) -> None:
        if not self.homed:  # SAFETY: without homing the controller's soft limits protect nothing
            raise MachineBusy(REASON_NEEDS_HOMING)
        super().start(program, job_id)
        self._actions.put(StartJob(program))

    def frame(self, program: SafeProgram) -> None:
        if program.machine_id != self.profile.id:
            raise MachineBusy(f"this program was checked for {program.machine_id}, not for {self.profile.id}")
        self._require(READY_STATES, "frame")
        self._update(state=MachineState.RUNNING, last_error="")  # no job: nothing is reported when it ends
        self._actions.put(FrameJob(program))

    def perform(self, action: MachineAction) -> None:
        state = self.status.state
        if action is MachineAction.STOP:
            self._reset_sent = True
            self._realtime(FEED_HOLD + SOFT_RESET)  # at once, ahead of everything: hold, then reset
            self._actions.put(StopNow())
            return
        if action is MachineAction.PAUSE:
            self._check_action(action)
            self._realtime(FEED_HOLD)
            return
        if action is MachineAction.RESUME:
            self._check_action(action)
            report = self._last_report
            if report is not None and _door_open(report):
                raise MachineBusy("cannot resume while the door is open")
            self._update(last_error="")
            self._realtime(CYCLE_START)
            return
        if action is MachineAction.CANCEL:
            self._check_action(action)
            self._realtime(FEED_HOLD)
            self._actions.put(Perform(MachineAction.CANCEL))
            return
        if action is MachineAction.HOME:
            if state not in (MachineState.IDLE, MachineState.ALARM, MachineState.HALTED) or not self.linked:
                raise MachineBusy(f"cannot home while the machine is {state.value}")
            self._actions.put(Perform(MachineAction.HOME))
            return
        raise MachineBusy(f"a {self.profile.kind.value} cannot {action.value} here")

    def _realtime(self, data: bytes) -> None:
        transport = self._transport
        if transport is not None:
            with contextlib.suppress(LinkLost):  # a lost link is noticed and reported by the port thread
                transport.write(data)

    # --- the port thread -------------------------------------------------------------------------------

    def _connect_wait_s(self) -> float:
        return self.reply_timeout_s * 3 + 2

    def _run_link(self) -> None:
        try:
            self._transport = self._open_transport()
            self._handshake()
        except _Refused as e:
            self._fail(MachineState.HALTED, e.reason)
            return
        while self._running:
            self._take_actions()
            self._send_what_fits()
            raw = self._transport.readline(0.01)
            if raw:
                self._handle(self._parse(raw))
            now = self.clock.monotonic()
            if now - self._last_poll >= POLL_S:
                self._last_poll = now
                self._transport.write(STATUS_QUERY)
            if self._phase == "home" and now > self._home_deadline:
                # the port stays open: closing it would reset a board that auto-resets, mid-homing
                self._fail(MachineState.ALARM, REASON_HOMING_TIMEOUT)

    def _close_link(self) -> None:
        if self._transport is not None:
            self._transport.close()
        self._transport = None

    def _make_safe(self, state: MachineState) -> None:
        if state is MachineState.LINK_LOST:  # where the port still answers: hold, then reset (spindle, laser off)
            self._realtime(FEED_HOLD + SOFT_RESET)

    def _parse(self, raw: bytes) -> Reply:
        """One line from the firmware; everything but "ok" and status reports is logged."""
        reply = parse_reply(raw)
        if reply.text and reply.kind not in (ReplyKind.OK, ReplyKind.STATUS):
            log.info("%s firmware: %s", self.profile.id, reply.text)
        return reply

    def _read(self, timeout: float) -> Reply:
        assert self._transport is not None
        return self._parse(self._transport.readline(timeout))

    def _handshake(self) -> None:
        assert self._transport is not None
        self._transport.write(WAKE)
        welcome = self._greeting()
        if welcome is None:
            # No banner: a board that does not reset when its port opens. A soft reset makes any GRBL greet
            # (main.c prints the welcome after every reset) and stops whatever an earlier host left running.
            log.info("%s: no welcome after the wake, soft reset", self.profile.id)
            self._transport.write(SOFT_RESET)
            welcome = self._wait_for(ReplyKind.WELCOME)
        if welcome is None:
            raise _Refused(REASON_NO_WELCOME)
        self.hal = welcome.text.startswith("GrblHAL")
        self._drain(0.2)  # the wake's line ends each earn an "ok": not the answer to anything we ask
        info = self._ask("$I")
        self.version = next((r.text for r in info if r.text.startswith("[VER:")), "")
        for reply in info:
            size = rx_buffer_from_options(reply.text)
            if size:
                self._rx_size = size
            self.options = build_options(reply.text) or self.options
            self.hal = self.hal or reply.text == "[FIRMWARE:grblHAL]"
        for reply in self._ask("$$"):
            setting = parse_setting(reply.text)
            if setting is not None:
                self.settings[setting[0]] = setting[1]
        self._check_settings()
        self._poll_now()
        report = self._last_report
        state = report.state if report is not None else ""
        if report is not None and "H" in report.fields:
            self.homed = report.fields["H"].startswith("1")  # grblHAL says whether it is homed
        else:  # Grbl only tells by its lock: Idle after a start means homed where it locks until homed
            self.homed = state == "Idle" and locks_until_homed(self.settings, self.options, self.hal)
        if state == "Idle" and self.homed:
            self._update(state=MachineState.IDLE)
        else:
            self._update(state=MachineState.ALARM, last_error=REASON_NEEDS_HOMING, needs_staff=True)
        self._connected.set()

    def _greeting(self) -> Reply | None:
        """The welcome of a board that reset when its port opened, or None as soon as the board shows it is
        running without having reset (it answers the wake with "ok") or after the boot wait."""
        deadline = self.clock.monotonic() + self.boot_wait_s
        while self.clock.monotonic() < deadline:
            reply = self._read(0.05)
            if reply.kind is ReplyKind.WELCOME:
                return reply
            if reply.kind is ReplyKind.OK:
                return None
        return None

    def _check_settings(self) -> None:
        s, env = self.settings, self.profile.envelope
        if s.get(20) != 1:
            raise _Refused(REASON_SOFT_LIMITS)
        if not homing_enabled(s):
            raise _Refused(REASON_HOMING)
        travel = (s.get(130, 0.0), s.get(131, 0.0), s.get(132, 0.0))
        if any(t + 0.01 < e for t, e in zip(travel, (env.x, env.y, env.z), strict=True)):
            raise _Refused(REASON_TRAVEL)
        if self.profile.kind is MachineKind.LASER_ENGRAVER and s.get(32) != 1:
            raise _Refused(REASON_LASER_MODE)
        if abs(s.get(30, 0.0) - self.profile.spindle_s_max) > 1e-6:
            raise _Refused(REASON_SPINDLE_MAX)

    def _drain(self, seconds: float) -> None:
        """Read for `seconds` of real time: bytes already on the wire take real time to arrive, whatever the clock."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._read(0.02)

    def _wait_for(self, kind: ReplyKind) -> Reply | None:
        deadline = self.clock.monotonic() + self.reply_timeout_s
        while self.clock.monotonic() < deadline:
            reply = self._read(0.05)
            if reply.kind is kind:
                return reply
        return None

    def _ask(self, command: str) -> list[Reply]:
        """Send-response: one command, everything it says until its "ok" (used for $ commands and EEPROM)."""
        assert self._transport is not None
        self._transport.write(command.encode("ascii") + b"\n")
        replies: list[Reply] = []
        deadline = self.clock.monotonic() + self.reply_timeout_s
        while self.clock.monotonic() < deadline:
            reply = self._read(0.05)
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
            self._wco = self._last_report.wco or self._wco  # WCO comes only every 10-30 reports: keep this one

    # --- actions, on the port thread -----------------------------------------------------------------------

    def _take_actions(self) -> None:
        for request in self._pending_actions():
            match request:
                case StartJob(program):
                    self._begin_check(program)
                case FrameJob(program):
                    self._program, self._next, self._acked, self._phase = program, 0, 0, "run"  # rapids only
                    self._end_sent = 0
                case StopNow():
                    self._stopped()
                case Perform(MachineAction.CANCEL):
                    self._phase = "cancel"
                case Perform(MachineAction.HOME):
                    self._home()

    def _home(self) -> None:
        """In the firmware's order: a soft reset first (it ends a limit alarm's lock, in which Grbl hears nothing
        else, protocol.c), its welcome, then `$H`, answered only when the cycle is over. Status polling goes on
        meanwhile; the wait is the longest the firmware's own homing may take, never a fixed reply timeout."""
        assert self._transport is not None
        self._update(state=MachineState.RUNNING, last_error="")
        self.homed = False
        self._sent.clear()
        self._transport.write(SOFT_RESET)
        if self._wait_for(ReplyKind.WELCOME) is None:
            raise LinkLost("no welcome after a soft reset")
        self._drain(0.2)
        self._transport.write(b"$H\n")
        self._sent.append((3, -1))
        self._phase = "home"
        self._home_deadline = self.clock.monotonic() + homing_seconds(self.settings) * 1.2 + self.reply_timeout_s

    def _homed(self) -> None:
        self._phase = ""
        self.homed = True
        self._update(state=MachineState.IDLE, last_error="", needs_staff=False)

    def _begin_check(self, program: SafeProgram) -> None:
        self._program, self._next, self._acked, self._check_errors = program, 0, 0, []
        self._end_sent = len(END_LINES)  # the check runs the program alone
        self._ask("$C")
        self._phase = "check"

    def _send_what_fits(self) -> None:
        if self._phase not in ("check", "run") or self._program is None:
            return
        assert self._transport is not None
        budget = self._rx_size - 1
        while self._next < len(self._program) or self._end_sent < len(END_LINES):
            if self._next < len(self._program):
                line, index = self._program[self._next], self._next
            else:
                line, index = END_LINES[self._end_sent], -1
            data = line.encode("ascii") + b"\n"
            if sum(n for n, _ in self._sent) + len(data) > budget:
                return
            self._transport.write(data)
            self._sent.append((len(data), index))
            if index >= 0:
                self._next += 1
            else:
                self._end_sent += 1

    def _handle(self, reply: Reply) -> None:
        if reply.kind is ReplyKind.STATUS:
            self._follow(parse_status(reply.text))
        elif reply.kind in (ReplyKind.OK, ReplyKind.ERROR):
            _, index = self._sent.popleft() if self._sent else (0, -1)
            if self._phase == "home":
                if reply.kind is ReplyKind.OK:
                    self._homed()
                else:
                    self._fail(MachineState.ALARM, error_text(reply.code))
                return
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
        if program is None or self._sent or self._next < len(program) or self._end_sent < len(END_LINES):
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
                self._end_job(False, REASON_CHECK_FAILED, state=MachineState.IDLE, needs_staff=True)
                return
            self._phase, self._next, self._acked, self._end_sent = "run", 0, 0, 0
            self._update(state=MachineState.RUNNING)
        elif self._phase == "cancel":
            self._phase = ""
            self._end_job(False, "cancelled", state=MachineState.IDLE)
        elif self._phase in ("check", "run", "finish") and not self._reset_sent:
            # a welcome nobody asked for: the controller restarted (power, a reset button), its position is lost
            self.homed = False
            self._fail(MachineState.ALARM, REASON_RESTARTED)
        self._reset_sent = False

    def _follow(self, report: StatusReport) -> None:
        self._last_report = report
        self._wco = report.wco or self._wco
        if "H" in report.fields:
            self.homed = report.fields["H"].startswith("1")  # grblHAL reports its homed state now and then
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
                self._end_job(True, "", state=MachineState.IDLE)
                return
        elif self._phase == "cancel" and report.state in ("Hold", "Idle") and report.substate in (0, None):
            self._realtime(SOFT_RESET)  # motion has stopped: the reset loses no position and raises no alarm
            self._sent.clear()
        self._update(**changes)

    def _alarm(self, code: int) -> None:
        # SAFETY: any alarm = stop, staff. ALARM (never HALTED) whatever came before, e.g. the ALARM:3 of a stop
        # while moving: from here staff's "Bring back" homes, as the firmware asks.
        self.homed = False
        self._fail(MachineState.ALARM, alarm_text(code))

    def _stopped(self) -> None:
        if self.status.state is not MachineState.ALARM:  # the firmware's ALARM:3 may already have arrived
            self._fail(MachineState.HALTED, REASON_STOPPED)

    def _job_over(self) -> None:
        self._program, self._phase = None, ""
        self._sent.clear()

    def _update(self, **changes: object) -> MachineStatus:
        before = self.status
        status = super()._update(**changes)
        if status.state is not before.state or status.last_error != before.last_error:
            log.info("%s: %s -> %s %s", self.profile.id, before.state.value, status.state.value, status.last_error)
        return status


def _door_open(report: StatusReport) -> bool:
    """The door input is active, or the controller says the door is not yet closed (Door:1, :2, :3)."""
    return "D" in report.pins or (report.state == "Door" and report.substate not in (0, None))


class _Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
