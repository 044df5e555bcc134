"""Marlin host protocol: handshake, numbered and checksummed lines, flow control, resends, and failing safe.

One thread per port owns the link: it sends, reads and keeps the protocol state, so the asyncio loop never
waits on serial I/O. Other threads hand it work through a queue; only the emergency stop is written at once.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from machine_adapters.base import (
    Clock,
    MachineAction,
    MachineState,
    Perform,
    StartJob,
    StopNow,
    Temperature,
)
from machine_adapters.clock import REAL_CLOCK
from machine_adapters.gcode import SafeProgram
from machine_adapters.linked import LinkedMachine
from machine_adapters.marlin_stream import BatchDone, LineStreamer, LinkFailed, ProgramTaken, StreamEvent
from machine_adapters.marlin_wire import Reply, ReplyKind, parse_reply
from machine_adapters.messages import N_, REASON_STOPPED
from machine_adapters.profiles import MachineProfile
from machine_adapters.recipes import HEATERS_OFF, Recipe, end_of_job, recipe_for
from machine_adapters.transport import LinkLost, Transport

log = logging.getLogger(__name__)

STATUS_EVERY_S = 0.25  # progress reaches the status at most this often, or every so many lines
STATUS_EVERY_LINES = 500

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
        self._stream = LineStreamer(self.clock.monotonic(), self.reply_timeout_s)
        self._paused_by: Recipe | None = None
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
        self._check_action(action)
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
            self._stream.fill()
            self._flush()
            raw = self._transport.readline(0.01 if self._stream.busy else 0.05)
            if raw:
                self._handle(parse_reply(raw))
                self._flush()  # a batch's end (paused, cancelled) counts before the timers look at the state
            self._watch_time()
            self._flush()

    def _close_link(self) -> None:
        if self._transport is not None:
            self._transport.close()
        self._transport = None

    def _flush(self) -> None:
        """Write what the streamer framed, then act on what it saw, in order, until neither is left."""
        assert self._transport is not None
        while self._running:
            writes, events = self._stream.take()
            if not writes and not events:
                return
            for data in writes:
                self._transport.write(data)
            for event in events:
                self._on_stream_event(event)

    def _on_stream_event(self, event: StreamEvent) -> None:
        if self._running:  # once failed, nothing more of this link counts
            match event:
                case BatchDone(done):
                    done()
                case ProgramTaken():
                    # the kind's safe end state, whatever the program's own end did; the job ends when acknowledged
                    self._queue_batch(list(end_of_job(self.profile)), lambda: self._end_job(True, ""))
                case LinkFailed(silent):
                    self._fail(MachineState.LINK_LOST, REASON_SILENT if silent else REASON_RESEND_LOOP)
                    self._running = False

    def _boot(self) -> None:
        deadline = self.clock.monotonic() + self.boot_wait_s
        assert self._transport is not None
        while self.clock.monotonic() < deadline:  # the firmware restarts on connect; skip its greeting (and any noise)
            if parse_reply(self._transport.readline(0.05)).kind is ReplyKind.START:
                break
        self._stream = LineStreamer(self.clock.monotonic(), self.reply_timeout_s)
        self._queue_batch(["M110 N0", "M115"], self._after_handshake)

    def _after_handshake(self) -> None:
        if not self.capabilities.get("THERMAL_PROTECTION"):
            self._fail(MachineState.HALTED, REASON_NO_THERMAL_PROTECTION)
            self._running = False
            return
        if self.capabilities.get("AUTOREPORT_TEMP"):
            self._queue_batch(["M155 S2"], lambda: None)
        self._update(state=MachineState.IDLE)
        self._connected.set()

    def _take_actions(self) -> None:
        for request in self._pending_actions():
            match request:
                case StartJob(program):
                    self._stream.feed(program)
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
        program, sent = self._stream.program, self._stream.sent_program
        if program is not None and sent > 0:
            # a recipe moves from where the last line sent leaves the machine (a pause waits for it: M400)
            self._update(position=program.position_after(sent - 1))
            modes = program.modes_after(sent - 1)  # for the resume to give back
        recipe = recipe_for(self.profile, action, self.status, self._paused_by, modes)
        self.idle_heaters.restart()  # someone acted: the idle and pause timers start again
        if recipe.stop_feeding:
            self._stream.feeding = False
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
        self._stream.feeding = True
        self._update(state=MachineState.RUNNING)

    def _stopped(self, recipe: Recipe) -> None:
        self._stream.halt(m112_in_line=not self.capabilities.get("EMERGENCY_PARSER"))
        writes, _ = self._stream.take()  # what was due before the stop is dropped with the rest
        if self._transport is not None:
            for data in writes:
                self._transport.write(data)
            for line in recipe.lines:  # then heaters off, unnumbered, for a firmware that still listens
                self._transport.write(f"{line}\n".encode("ascii"))
        self._fail(MachineState.HALTED, REASON_STOPPED, needs_staff=recipe.needs_staff)
        self._running = False

    def _queue_batch(self, lines: list[str], done: Callable[[], object]) -> None:
        self._stream.queue(lines, done)

    def _handle(self, reply: Reply) -> None:
        self._stream.receive(reply, self.clock.monotonic())
        if reply.temperatures:
            self._temperatures(reply.temperatures)
        kind = reply.kind
        if kind is ReplyKind.OK:
            self._progress()
        elif kind is ReplyKind.START and self.status.state is not MachineState.CONNECTING:
            self._fail(MachineState.HALTED, REASON_RESTARTED)
            self._running = False
        elif kind is ReplyKind.HALTED:
            self._fail(MachineState.HALTED, halt_reason(reply.text))
            self._running = False
        elif kind is ReplyKind.CAPABILITY:
            self.capabilities[reply.name] = reply.enabled
        elif kind is ReplyKind.FIRMWARE:
            self.firmware = reply.text

    def _heaters_off_when_quiet(self, now: float) -> None:
        if self.idle_heaters.due(self.status.state, now):
            self._queue_batch(list(HEATERS_OFF), lambda: None)
            hotend, bed = self.status.hotend, self.status.bed  # we set the targets to 0: say so at once
            self._update(
                hotend=Temperature(hotend.current, 0.0) if hotend else None,
                bed=Temperature(bed.current, 0.0) if bed else None,
            )

    def _watch_time(self) -> None:
        now = self.clock.monotonic()
        self._heaters_off_when_quiet(now)
        self._stream.tick(now, idle=self.status.state is MachineState.IDLE)

    def _progress(self) -> None:
        now, acked = self.clock.monotonic(), self._stream.acked_program
        if now - self._last_status >= STATUS_EVERY_S or acked - self.status.lines_done >= STATUS_EVERY_LINES:
            self._last_status = now
            self._update(lines_done=acked)

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
                "lines_done": self._stream.acked_program if completed else 0,
                "lines_total": self.status.lines_total if completed else 0,
            }
        super()._end_job(completed, reason, **changes)

    def _job_over(self) -> None:
        self._stream.forget_program()
        self._paused_by = None

    def _make_safe(self, state: MachineState) -> None:
        if state is MachineState.LINK_LOST and self._transport is not None:
            with contextlib.suppress(LinkLost):
                self._transport.write(b"M104 S0\nM140 S0\n")  # heaters off, in case anyone still listens
