"""Marlin flow control as a pure line streamer: replies and lines to send go in, bytes to write and events come out.

No port, no thread, no clock of its own: the caller passes the time with every input, so tables of Marlin's reply
orders test it line by line. What it follows in Marlin's source (MarlinFirmware/Marlin, Marlin/src/gcode/):

- queue.cpp, `GCodeQueue::get_serial_commands`: a line whose number is not the last one plus one, or whose
  checksum is wrong, goes to `gcode_line_error`, which empties the RX buffer and calls
  `flush_and_request_resend`: `Resend: <last N + 1>`. Every later line already on the wire is refused the same
  way, each with its own request for the same line; lines before it were taken. Marlin 1.1 follows each
  request with an "ok", Marlin 2 sends none: the streamer waits a moment (`FOLLOWUP_S`) to learn which.
- queue.cpp, `RingBuffer::ok_to_send`: one "ok" per command taken, in order; with ADVANCED_OK it carries `N<line>
  P<planner free> B<buffer free>`, so the host may keep up to the reported free slots in flight.
- gcode.cpp, `GcodeSuite::host_keepalive`: `echo:busy: processing` every couple of seconds while a command runs
  (a long heat-up, G28): the firmware is alive, so deadlines start again.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from machine_adapters.gcode import SafeProgram
from machine_adapters.marlin_wire import Reply, ReplyKind, frame

HISTORY = 256  # lines kept for resends (SAFETY asks for at least 64)
MAX_RESENDS_OF_ONE_LINE = 10
RESEND_GRACE_S = 0.5  # how long the echoes of one request may take
FOLLOWUP_S = 0.1  # how long an "ok" that follows a resend request may take
TICKLE = b"M105\n"  # unnumbered: any answer shows the link lives

CHATTER = frozenset({ReplyKind.TEMPERATURE, ReplyKind.OTHER, ReplyKind.WAIT})
WAITS = ("M109 ", "M190 ", "M109*", "M190*")  # firmware without busy-keepalive reports temperatures while heating


@dataclass(frozen=True)
class BatchDone:
    """Every line of a batch was acknowledged: the caller's `done` may run now."""

    done: Callable[[], object]


@dataclass(frozen=True)
class ProgramTaken:
    """Every line of the program was acknowledged and nothing else is in flight; feeding stopped."""


@dataclass(frozen=True)
class LinkFailed:
    """The link cannot carry on: `silent` when the firmware stopped answering, else resends beyond repair."""

    silent: bool


StreamEvent = BatchDone | ProgramTaken | LinkFailed


class LineStreamer:
    """Numbered, checksummed lines within Marlin's window, resent from history when the firmware asks."""

    def __init__(self, now: float, reply_timeout_s: float) -> None:
        self.reply_timeout_s = reply_timeout_s
        self.line = -1  # the number of the last line framed; the handshake's M110 is line 0
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
        # Until the reply after a "Resend:" shows whether this firmware follows it with an "ok" (or a moment
        # passes), nothing is sent, so that "ok" is not taken for another line's.
        self._followup_due: float | None = None
        self._resend_sends_ok: bool | None = None
        self.program: SafeProgram | None = None
        self.sent_program = 0  # program lines framed so far
        self.acked_program = 0  # program lines acknowledged so far
        self._program_lines: dict[int, int] = {}  # line number -> program index
        self.feeding = False
        self.advanced = False
        self._window = 1
        self._free_slots: int | None = None
        self._last_rx = now
        self.tickled = False
        self._writes: list[bytes] = []
        self._events: list[StreamEvent] = []

    # --- inputs ------------------------------------------------------------------------------------------

    def queue(self, commands: Sequence[str], done: Callable[[], object]) -> None:
        """Send these ahead of the program; `BatchDone(done)` once the last is acknowledged."""
        if not commands:
            self._events.append(BatchDone(done))
            return
        self._priority.extend(commands)
        self._batches.append((self.line + len(self._priority), done))

    def feed(self, program: SafeProgram) -> None:
        self.program, self.sent_program, self.acked_program, self.feeding = program, 0, 0, True

    def forget_program(self) -> None:
        self.program, self.feeding = None, False

    def fill(self) -> None:
        """Frame what fits in the window: resends first, then queued commands, then the program."""
        if self._rewind_to is not None:
            return
        while len(self._inflight) < self._window and (self._free_slots is None or self._free_slots > 0):
            if self._resend_queue:
                number = self._resend_queue.popleft()
                data = self._history[number]
            elif self._priority:
                number = self._next_line()
                data = frame(number, self._priority.popleft())
            elif self.feeding and self.program is not None and self.sent_program < len(self.program):
                number = self._next_line()
                data = frame(number, self.program[self.sent_program])
                self._program_lines[number] = self.sent_program
                self.sent_program += 1
            else:
                return
            self._history[number] = data
            while len(self._history) > HISTORY:
                old, _ = self._history.popitem(last=False)
                self._program_lines.pop(old, None)
            self._writes.append(data)
            self._inflight.append(number)
            if self._free_slots is not None:
                self._free_slots -= 1

    def receive(self, reply: Reply, now: float) -> None:
        # temperature reports alone do not show that commands move on, except during a wait for heat
        if reply.kind not in CHATTER or self._waiting_for_heat():
            self._last_rx = now
            self.tickled = False
        if self._followup_due is not None:
            self._followup_due = None
            self._resend_sends_ok = reply.kind is ReplyKind.OK
            self._maybe_rewind()
            if reply.kind is ReplyKind.OK:
                return  # the "ok" for a refused line: it took no place in the firmware's buffer
        if reply.kind is ReplyKind.OK:
            self._acknowledged(reply)
        elif reply.kind is ReplyKind.RESEND and reply.line is not None:
            self._resend(reply.line, now)
        elif reply.kind is ReplyKind.WAIT and self._inflight and not self.tickled:
            self._tickle(now)  # idle, yet a line of ours is unanswered: its "ok" was lost, or the line was

    def tick(self, now: float, idle: bool) -> None:
        """Time passed: resend grace periods end, silence is tickled then given up on, a taken program ends."""
        if self._followup_due is not None and now > self._followup_due:
            self._followup_due = None
            self._resend_sends_ok = False  # no "ok" followed the request: this firmware sends none
            self._maybe_rewind()
        if self._rewind_to is not None and now > self._echo_deadline:
            self._followup_due = None
            self._rewind()  # some echoes never came (a firmware that answers fewer): carry on
        if (self._inflight or idle) and now - self._last_rx > self.reply_timeout_s:
            if self.tickled:
                self._events.append(LinkFailed(silent=True))
                return
            self._tickle(now)
        program = self.program
        taken = self.feeding and program is not None and self.acked_program >= len(program)
        if taken and not self._inflight and not self._priority:
            self.feeding = False
            self._events.append(ProgramTaken())

    def halt(self, m112_in_line: bool) -> None:
        """STOP: forget everything queued; without an emergency parser M112 goes next in line, the best there is."""
        if m112_in_line:
            self._writes.append(frame(self._next_line(), "M112"))
        self.feeding = False
        self._inflight.clear()
        self._priority.clear()
        self._batches.clear()

    # --- outputs -----------------------------------------------------------------------------------------

    def take(self) -> tuple[list[bytes], list[StreamEvent]]:
        """The bytes to write and the events since the last call, oldest first."""
        writes, events = self._writes, self._events
        self._writes, self._events = [], []
        return writes, events

    @property
    def busy(self) -> bool:
        """Lines are in flight or queued."""
        return bool(self._inflight or self._priority)

    # --- inside ------------------------------------------------------------------------------------------

    def _next_line(self) -> int:
        self.line += 1
        return self.line

    def _waiting_for_heat(self) -> bool:
        framed = self._history.get(self._inflight[0], b"") if self._inflight else b""
        return any(f" {c}".encode() in framed for c in WAITS)

    def _tickle(self, now: float) -> None:
        """Ask for temperatures, unnumbered: any answer shows the link lives, and its "ok" stands in for a lost one.

        If the lost "ok" was only late, the spare one lets one more line into the firmware's buffer early, which
        the buffer holds; line numbers keep every line in order either way.
        """
        self._writes.append(TICKLE)
        self.tickled = True
        self._last_rx = now

    def _acknowledged(self, reply: Reply) -> None:
        if reply.buffer_free is not None:
            if not self.advanced:
                self.advanced = True
                self._window = max(1, reply.buffer_free)
            self._free_slots = reply.buffer_free
        if not self._inflight:
            return
        number = self._inflight.popleft()
        if number in self._program_lines:
            self.acked_program = self._program_lines[number] + 1
        while self._batches and self._batches[0][0] <= number:
            self._events.append(BatchDone(self._batches.popleft()[1]))

    def _resend(self, number: int, now: float) -> None:
        """The firmware refused a line and asks for it again.

        Marlin reads in order: the line it asks for and every later line in flight are refused, each with its
        own request for the same line. Lines before it were taken; their "ok" comes when they run. So: forget
        the refused lines, let the echoes pass, then send again from there.
        """
        if self._resend_sends_ok is not False:
            self._followup_due = now + FOLLOWUP_S
        if number == self._rewind_to and self._echoes_due > 0:
            self._echoes_due -= 1
            self._maybe_rewind()
            return
        if number not in self._history or number > self.line:
            self._events.append(LinkFailed(silent=False))
            return
        self._resend_counts[number] = self._resend_counts.get(number, 0) + 1
        if self._resend_counts[number] >= MAX_RESENDS_OF_ONE_LINE:
            self._events.append(LinkFailed(silent=False))
            return
        refused = [n for n in self._inflight if n >= number]
        self._inflight = deque(n for n in self._inflight if n < number)
        self._rewind_to = number
        self._echoes_due = max(0, len(refused) - 1)
        self._echo_deadline = now + RESEND_GRACE_S
        self._maybe_rewind()

    def _maybe_rewind(self) -> None:
        if self._rewind_to is not None and self._echoes_due == 0 and self._followup_due is None:
            self._rewind()

    def _rewind(self) -> None:
        assert self._rewind_to is not None
        self._resend_queue = deque(n for n in self._history if n >= self._rewind_to)
        self._rewind_to = None
        self._echoes_due = 0
        if self.advanced:
            self._free_slots = max(0, self._window - len(self._inflight))
