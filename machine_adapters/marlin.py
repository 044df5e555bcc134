"""Marlin host protocol: handshake, numbered and checksummed lines, flow control, resends, and failing safe.

One thread per port owns the link: it sends, reads and keeps the protocol state, so the asyncio loop never
waits on serial I/O. Other threads hand it work through a queue; only the emergency stop is written at once.
"""

from __future__ import annotations

import contextlib
import logging
from collections import OrderedDict, deque
from collections.abc import Callable

from machine_adapters.base import (
    Clock,
    MachineAction,
    MachineBusy,
    MachineState,
    Perform,
    StartJob,
    StopNow,
    Temperature,
)
from machine_adapters.clock import REAL_CLOCK
from machine_adapters.gcode import SafeProgram
from machine_adapters.linked import LinkedMachine
from machine_adapters.marlin_wire import Reply, ReplyKind, frame, parse_reply
from machine_adapters.messages import N_, REASON_STOPPED
from machine_adapters.profiles import MachineProfile
from machine_adapters.recipes import HEATERS_OFF, Recipe, end_of_job, recipe_for
from machine_adapters.transport import LinkLost, Transport

log = logging.getLogger(__name__)

HISTORY = 256  # lines kept for resends (SAFETY asks for at least 64)
MAX_RESENDS_OF_ONE_LINE = 10
RESEND_GRACE_S = 0.5
FOLLOWUP_S = 0.1
STATUS_EVERY_S = 0.25  # progress reaches the status at most this often, or every so many lines
STATUS_EVERY_LINES = 500

CHATTER = frozenset({ReplyKind.TEMPERATURE, ReplyKind.OTHER, ReplyKind.WAIT})
WAITS = ("M109 ", "M190 ", "M109*", "M190*")  # firmware without busy-keepalive reports temperatures while heating

REASON_LINK_LOST = N_("The connection to the printer was lost. Staff must check the printer before it is used again.")
REASON_SILENT = N_("The printer stopped answering. Staff must check the printer before it is used again.")
REASON_RESTARTED = N_("The printer restarted by itself, so the print's position is lost. Staff must check the printer.")
REASON_RESEND_LOOP = N_("The connection to the printer is too unreliable to continue. Staff must check the cable.")
REASON_NO_THERMAL_PROTECTION = N_(
    "This printer's firmware has thermal protection switched off; fabkiosk will not run it."
)
REASON_DISCONNECTED = N_("fabkiosk was disconnected from the printer during the job. Staff must check the printer.")
REASON_COOLED_UNKNOWN = N_("The printer cooled down during the long pause and cannot be resumed. Cancel the job.")
REASON_INTERNAL = N_("fabkiosk lost track of the printer. Staff must check the printer before it is used again.")
REASON_NO_HANDSHAKE = N_("The printer did not answer when connecting. Check that it is switched on and plugged in.")


def halt_reason(firmware_text: str) -> str:
    lower = firmware_text.lower()
    if "thermal" in lower or "heating failed" in lower or "temp" in lower:
        return N_("A heater did not behave as expected and the printer stopped itself. Staff must check it.")
    return N_("The printer stopped itself after an error. Staff must check it.")


class MarlinMachine(LinkedMachine):
    thread_name = "marlin"
    reason_link_lost = REASON_LINK_LOST
    reason_internal = REASON_INTERNAL
    reason_disconnected = REASON_DISCONNECTED

    def __init__(
        self,
        profile: MachineProfile,
        open_transport: Callable[[], Transport],
        clock: Clock = REAL_CLOCK,
        *,
        reply_timeout_s: float = 15.0,
        boot_wait_s: float = 2.0,
    ) -> None:
        super().__init__(profile, clock)
        self._open_transport = open_transport
        self.reply_timeout_s = reply_timeout_s
        self.boot_wait_s = boot_wait_s
        self.capabilities: dict[str, bool] = {}
        self.firmware = ""
        self._transport: Transport | None = None
        self._new_link()

    def _new_link(self) -> None:
        self._line = -1  # the number of the last line framed; the handshake's M110 is line 0
        self._history: OrderedDict[int, bytes] = OrderedDict()
        self._inflight: deque[int] = deque()  # line numbers awaiting "ok", oldest first
        self._priority: deque[str] = deque()
        self._resend_queue: deque[int] = deque()
        self._batches: deque[tuple[int, Callable[[], object]]] = deque()
        self._resend_counts: dict[int, int] = {}
        # a resend in progress: the line to send again from, how many echoes of the request are still due
        # (one per later line in flight, each refused in turn), and when to stop waiting for them
        self._rewind_to: int | None = None
        self._echoes_due = 0
        self._echo_deadline = 0.0
        # Most firmware follows "Resend:" at once with an "ok" for the refused line; some send none. Until the
        # next reply shows which (or a moment passes), nothing is sent, so that "ok" is not taken for another.
        self._followup_due: float | None = None
        self._resend_sends_ok: bool | None = None
        self._program: SafeProgram | None = None
        self._next_index = 0
        self._acked_program = 0
        self._program_lines: dict[int, int] = {}  # line number -> program index
        self._feeding = False
        self._paused_by: Recipe | None = None
        self._advanced = False
        self._window = 1
        self._free_slots: int | None = None
        self._last_rx = self.clock.monotonic()
        self._tickled = False
        self._last_status = 0.0
        self.idle_heaters.restart()

    # --- public: any thread --------------------------------------------------------------------

    def start(self, program: SafeProgram, job_id: str) -> None:
        super().start(program, job_id)
        self._actions.put(StartJob(program))

    def perform(self, action: MachineAction) -> None:
        if action is MachineAction.STOP:
            self._emergency_stop()
            return
        state = self.status.state
        if action is MachineAction.PAUSE:
            self._require(frozenset({MachineState.RUNNING, MachineState.HEATING}), "pause")
        elif action is MachineAction.RESUME:
            self._require(frozenset({MachineState.PAUSED}), "resume")
        elif action is MachineAction.CANCEL:
            self._require(
                frozenset({MachineState.RUNNING, MachineState.HEATING, MachineState.PAUSING, MachineState.PAUSED}),
                "cancel",
            )
        elif state is not MachineState.IDLE:
            raise MachineBusy(f"cannot {action.value.replace('_', ' ')} while the machine is {state.value}")
        recipe_for(self.profile, action, self.status, self._paused_by)  # refuses here what this kind cannot do
        self._actions.put(Perform(action))

    def _emergency_stop(self) -> None:
        recipe = recipe_for(self.profile, MachineAction.STOP, self.status)
        immediate = recipe.immediate if self.capabilities.get("EMERGENCY_PARSER") else b""
        transport = self._transport
        if transport is not None and immediate:
            with contextlib.suppress(LinkLost):  # a lost link is noticed and reported by the port thread
                transport.write(immediate)  # out of band: the emergency parser acts on it at once
        self._actions.put(StopNow(recipe))

    # --- the port thread -------------------------------------------------------------------------

    def _connect_wait_s(self) -> float:
        return self.boot_wait_s + self.reply_timeout_s * 2 + 1

    def _run_link(self) -> None:
        try:
            self._transport = self._open_transport()
        except LinkLost:
            self._fail(MachineState.OFFLINE, REASON_NO_HANDSHAKE, needs_staff=False)
            return
        self._boot()
        while self._running:
            self._take_actions()
            self._send_what_fits()
            raw = self._transport.readline(0.01 if self._inflight else 0.05)
            if raw:
                reply = parse_reply(raw)
                # temperature reports alone do not show that commands move on, except during a wait for heat
                if reply.kind not in CHATTER or self._waiting_for_heat():
                    self._last_rx = self.clock.monotonic()
                    self._tickled = False
                self._handle(reply)
            self._watch_time()

    def _close_link(self) -> None:
        if self._transport is not None:
            self._transport.close()
        self._transport = None

    def _waiting_for_heat(self) -> bool:
        framed = self._history.get(self._inflight[0], b"") if self._inflight else b""
        return any(f" {c}".encode() in framed for c in WAITS)

    def _boot(self) -> None:
        deadline = self.clock.monotonic() + self.boot_wait_s
        assert self._transport is not None
        while self.clock.monotonic() < deadline:  # the firmware restarts on connect; skip its greeting (and any noise)
            if parse_reply(self._transport.readline(0.05)).kind is ReplyKind.START:
                break
        self._last_rx = self.clock.monotonic()
        self._queue_batch(["M110 N0", "M115"], self._after_handshake)

    def _after_handshake(self) -> None:
        if not self.capabilities.get("THERMAL_PROTECTION"):
            self._fail(MachineState.HALTED, REASON_NO_THERMAL_PROTECTION)
            self._running = False
            return
        if self.capabilities.get("AUTOREPORT_TEMP"):
            self._priority.append("M155 S2")
        self._update(state=MachineState.IDLE)
        self._connected.set()

    def _take_actions(self) -> None:
        for request in self._pending_actions():
            match request:
                case StartJob(program):
                    self._program, self._next_index, self._acked_program = program, 0, 0
                    self._feeding = True
                case StopNow(recipe) if recipe is not None:
                    self._stopped(recipe)
                case Perform(action):
                    self._run_recipe(action)

    def _run_recipe(self, action: MachineAction) -> None:
        cooled = self.idle_heaters.went_off
        if action is MachineAction.RESUME and cooled and not (self._paused_by and self._paused_by.hotend_target):
            self._update(last_error=REASON_COOLED_UNKNOWN)  # cannot heat up to temperatures nobody reported
            return
        modes = None
        if self._program is not None and self._next_index > 0:
            # a recipe moves from where the last line sent leaves the machine (a pause waits for it: M400)
            self._update(position=self._program.position_after(self._next_index - 1))
            modes = self._program.modes_after(self._next_index - 1)  # for the resume to give back
        recipe = recipe_for(self.profile, action, self.status, self._paused_by, modes)
        self.idle_heaters.restart()  # someone acted: the idle and pause timers start again
        if recipe.stop_feeding:
            self._feeding = False
        if action is MachineAction.PAUSE:
            self._paused_by = recipe
            self._update(state=MachineState.PAUSING)
            self._queue_batch(list(recipe.lines), lambda: self._update(state=MachineState.PAUSED))
        elif action is MachineAction.RESUME:
            self._paused_by = None
            self._queue_batch(list(recipe.lines), self._resumed)
        elif action is MachineAction.CANCEL:
            self._update(state=MachineState.CANCELLING)
            self._queue_batch(list(recipe.lines), lambda: self._end_job(False, "cancelled"))
        else:
            self._queue_batch(list(recipe.lines), lambda: None)

    def _resumed(self) -> None:
        self._feeding = True
        self._update(state=MachineState.RUNNING)

    def _stopped(self, recipe: Recipe) -> None:
        self._feeding = False
        if self._transport is not None:
            if not self.capabilities.get("EMERGENCY_PARSER"):
                self._transport.write(frame(self._next_line(), "M112"))  # no parser: next in line is the best we have
            for line in recipe.lines:  # then heaters off, unnumbered, for a firmware that still listens
                self._transport.write(f"{line}\n".encode("ascii"))
        self._inflight.clear()
        self._priority.clear()
        self._batches.clear()
        self._fail(MachineState.HALTED, REASON_STOPPED, needs_staff=recipe.needs_staff)
        self._running = False

    def _queue_batch(self, lines: list[str], done: Callable[[], object]) -> None:
        if not lines:
            done()
            return
        self._priority.extend(lines)
        self._batches.append((self._line + len(self._priority), done))

    def _next_line(self) -> int:
        self._line += 1
        return self._line

    def _send_what_fits(self) -> None:
        assert self._transport is not None
        if self._rewind_to is not None:
            return
        while len(self._inflight) < self._window and (self._free_slots is None or self._free_slots > 0):
            if self._resend_queue:
                number = self._resend_queue.popleft()
                data = self._history[number]
            elif self._priority:
                number = self._next_line()
                data = frame(number, self._priority.popleft())
            elif self._feeding and self._program is not None and self._next_index < len(self._program):
                number = self._next_line()
                data = frame(number, self._program[self._next_index])
                self._program_lines[number] = self._next_index
                self._next_index += 1
            else:
                return
            self._history[number] = data
            while len(self._history) > HISTORY:
                old, _ = self._history.popitem(last=False)
                self._program_lines.pop(old, None)
            self._transport.write(data)
            self._inflight.append(number)
            if self._free_slots is not None:
                self._free_slots -= 1

    def _handle(self, reply: Reply) -> None:
        if self._followup_due is not None:
            self._followup_due = None
            self._resend_sends_ok = reply.kind is ReplyKind.OK
            if reply.kind is ReplyKind.OK:
                self._maybe_rewind()
                return  # the "ok" for a refused line: it took no place in the firmware's buffer
            self._maybe_rewind()
        if reply.temperatures:
            self._temperatures(reply.temperatures)
        kind = reply.kind
        if kind is ReplyKind.OK:
            self._acknowledged(reply)
        elif kind is ReplyKind.RESEND and reply.line is not None:
            self._resend(reply.line)
        elif kind is ReplyKind.START and self.status.state is not MachineState.CONNECTING:
            self._fail(MachineState.HALTED, REASON_RESTARTED)
            self._running = False
        elif kind is ReplyKind.HALTED:
            self._fail(MachineState.HALTED, halt_reason(reply.text))
            self._running = False
        elif kind is ReplyKind.WAIT and self._inflight and not self._tickled:
            self._tickle()  # idle, yet a line of ours is unanswered: its "ok" was lost, or the line was
        elif kind is ReplyKind.CAPABILITY:
            self.capabilities[reply.name] = reply.enabled
        elif kind is ReplyKind.FIRMWARE:
            self.firmware = reply.text

    def _acknowledged(self, reply: Reply) -> None:
        if reply.buffer_free is not None:
            if not self._advanced:
                self._advanced = True
                self._window = max(1, reply.buffer_free)
            self._free_slots = reply.buffer_free
        if not self._inflight:
            return
        number = self._inflight.popleft()
        if number in self._program_lines:
            self._acked_program = self._program_lines[number] + 1
        while self._batches and self._batches[0][0] <= number:
            self._batches.popleft()[1]()
        self._progress()

    def _resend(self, number: int) -> None:
        """The firmware refused a line and asks for it again.

        Marlin reads in order: the line it asks for and every later line in flight are refused, each with its
        own request for the same line. Lines before it were taken; their "ok" comes when they run. So: forget
        the refused lines, let the echoes pass, then send again from there.
        """
        if self._resend_sends_ok is not False:
            self._followup_due = self.clock.monotonic() + FOLLOWUP_S
        if number == self._rewind_to and self._echoes_due > 0:
            self._echoes_due -= 1
            self._maybe_rewind()
            return
        if number not in self._history or number > self._line:
            self._fail(MachineState.LINK_LOST, REASON_RESEND_LOOP)
            self._running = False
            return
        self._resend_counts[number] = self._resend_counts.get(number, 0) + 1
        if self._resend_counts[number] >= MAX_RESENDS_OF_ONE_LINE:
            self._fail(MachineState.LINK_LOST, REASON_RESEND_LOOP)
            self._running = False
            return
        refused = [n for n in self._inflight if n >= number]
        self._inflight = deque(n for n in self._inflight if n < number)
        self._rewind_to = number
        self._echoes_due = max(0, len(refused) - 1)
        self._echo_deadline = self.clock.monotonic() + RESEND_GRACE_S
        self._maybe_rewind()

    def _maybe_rewind(self) -> None:
        if self._rewind_to is not None and self._echoes_due == 0 and self._followup_due is None:
            self._rewind()

    def _rewind(self) -> None:
        assert self._rewind_to is not None
        self._resend_queue = deque(n for n in self._history if n >= self._rewind_to)
        self._rewind_to = None
        self._echoes_due = 0
        if self._advanced:
            self._free_slots = max(0, self._window - len(self._inflight))

    def _heaters_off_when_quiet(self, now: float) -> None:
        if self.idle_heaters.due(self.status.state, now):
            self._priority.extend(HEATERS_OFF)
            hotend, bed = self.status.hotend, self.status.bed  # we set the targets to 0: say so at once
            self._update(
                hotend=Temperature(hotend.current, 0.0) if hotend else None,
                bed=Temperature(bed.current, 0.0) if bed else None,
            )

    def _watch_time(self) -> None:
        now = self.clock.monotonic()
        self._heaters_off_when_quiet(now)
        if self._followup_due is not None and now > self._followup_due:
            self._followup_due = None
            self._resend_sends_ok = False  # no "ok" followed the request: this firmware sends none
            self._maybe_rewind()
        if self._rewind_to is not None and now > self._echo_deadline:
            self._followup_due = None
            self._rewind()  # some echoes never came (a firmware that answers fewer): carry on
        if self._inflight or self.status.state is MachineState.IDLE:
            silent_for = now - self._last_rx
            if silent_for > self.reply_timeout_s:
                if self._tickled:
                    self._fail(MachineState.LINK_LOST, REASON_SILENT)
                    self._running = False
                    return
                self._tickle()
        program = self._program
        finished = self._feeding and program is not None and self._acked_program >= len(program)
        if finished and not self._inflight and not self._priority:
            # the kind's safe end state, whatever the program's own end did; the job ends once it is acknowledged
            self._feeding = False
            self._queue_batch(list(end_of_job(self.profile)), lambda: self._end_job(True, ""))

    def _tickle(self) -> None:
        """Ask for temperatures, unnumbered: any answer shows the link lives, and its "ok" stands in for a lost one.

        If the lost "ok" was only late, the spare one lets one more line into the firmware's buffer early, which
        the buffer holds; line numbers keep every line in order either way.
        """
        assert self._transport is not None
        self._transport.write(b"M105\n")
        self._tickled = True
        self._last_rx = self.clock.monotonic()

    def _progress(self) -> None:
        now = self.clock.monotonic()
        if (
            now - self._last_status >= STATUS_EVERY_S
            or self._acked_program - self.status.lines_done >= STATUS_EVERY_LINES
        ):
            self._last_status = now
            self._update(lines_done=self._acked_program)

    def _temperatures(self, found: dict[str, tuple[float, float]]) -> None:
        changes: dict[str, object] = {}
        if "T" in found or "T0" in found:
            changes["hotend"] = Temperature(*found.get("T", found.get("T0", (0.0, 0.0))))
        if "B" in found:
            changes["bed"] = Temperature(*found["B"])
        if changes:
            self._update(**changes)

    def _end_job(self, completed: bool, reason: str, **changes: object) -> None:
        if not changes:  # a job of ours ended on the printer: it is ready for the next
            changes = {
                "state": MachineState.IDLE,
                "lines_done": self._acked_program if completed else 0,
                "lines_total": self.status.lines_total if completed else 0,
            }
        super()._end_job(completed, reason, **changes)

    def _job_over(self) -> None:
        self._program, self._feeding, self._paused_by = None, False, None

    def _make_safe(self, state: MachineState) -> None:
        if state is MachineState.LINK_LOST and self._transport is not None:
            with contextlib.suppress(LinkLost):
                self._transport.write(b"M104 S0\nM140 S0\n")  # heaters off, in case anyone still listens
