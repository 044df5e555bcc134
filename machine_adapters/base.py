"""The machine interface: one status snapshot, one state enum, typed events, a closed vocabulary of actions.

The base class keeps the status and emits events; each protocol subclass calls `super()` and then does I/O,
so real and simulated machines cannot drift apart. Nothing here imports the UI.
"""

from __future__ import annotations

import asyncio
import dataclasses
import queue
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Generic, TypeVar

from machine_adapters.clock import REAL_CLOCK
from machine_adapters.clock import Clock as Clock  # adapters take their clock from here with the rest
from machine_adapters.gcode import SafeProgram
from machine_adapters.profiles import MachineProfile

if TYPE_CHECKING:
    from machine_adapters.recipes import Recipe

T = TypeVar("T")


class MachineState(StrEnum):
    OFFLINE = "offline"
    CONNECTING = "connecting"
    IDLE = "idle"
    HEATING = "heating"
    RUNNING = "running"
    PAUSING = "pausing"
    PAUSED = "paused"
    CANCELLING = "cancelling"
    FINISHING = "finishing"
    HALTED = "halted"
    ALARM = "alarm"
    LINK_LOST = "link_lost"


JOB_STATES = frozenset(
    {
        MachineState.HEATING,
        MachineState.RUNNING,
        MachineState.PAUSING,
        MachineState.PAUSED,
        MachineState.CANCELLING,
        MachineState.FINISHING,
    }
)
NEEDS_STAFF_STATES = frozenset({MachineState.HALTED, MachineState.ALARM, MachineState.LINK_LOST})
READY_STATES = frozenset({MachineState.IDLE})


class MachineAction(StrEnum):
    """Everything anyone may ask of a machine. Nobody, staff included, types G-code into fabkiosk."""

    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"
    STOP = "stop"
    HOME = "home"
    PREHEAT = "preheat"
    COOL_DOWN = "cool_down"
    FRAME = "frame"


# the states each action may be asked in, on every machine; the rest of the vocabulary (home, preheat, cool down,
# frame) waits for a ready machine, and STOP is never refused
ACTION_STATES: dict[MachineAction, frozenset[MachineState]] = {
    MachineAction.PAUSE: frozenset({MachineState.RUNNING, MachineState.HEATING}),
    MachineAction.RESUME: frozenset({MachineState.PAUSED}),
    MachineAction.CANCEL: frozenset(
        {MachineState.RUNNING, MachineState.HEATING, MachineState.PAUSING, MachineState.PAUSED}
    ),
}


class MachineError(Exception):
    """A machine cannot do what was asked; the message says why in plain words."""


class MachineOffline(MachineError):
    """The machine does not answer."""


class MachineBusy(MachineError):
    """The machine is doing something else (a job, an incident) and cannot take this now."""


@dataclass(frozen=True)
class Temperature:
    current: float
    target: float


@dataclass(frozen=True)
class MachineStatus:
    """Everything a page may show about a machine; replaced whole on every change, never mutated."""

    state: MachineState = MachineState.OFFLINE
    hotend: Temperature | None = None
    bed: Temperature | None = None
    position: tuple[float, float, float] | None = None
    job_id: str | None = None
    lines_done: int = 0
    lines_total: int = 0
    last_error: str = ""  # plain words for people; empty when all is well
    needs_staff: bool = False
    updated_at: float = 0.0

    @property
    def progress(self) -> float:
        return self.lines_done / self.lines_total if self.lines_total else 0.0


class Event(Generic[T]):
    """A typed event. Handlers run on the asyncio loop when one is attached, else in the emitting thread."""

    def __init__(self) -> None:
        self._handlers: list[Callable[[T], object]] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    def subscribe(self, handler: Callable[[T], object]) -> None:
        self._handlers.append(handler)

    def attach_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def emit(self, argument: T) -> None:
        for handler in list(self._handlers):
            if self._loop is not None and not self._loop.is_closed():
                self._loop.call_soon_threadsafe(handler, argument)
            else:
                handler(argument)


@dataclass(frozen=True)
class StartJob:
    """Run this validated program as the current job."""

    program: SafeProgram


@dataclass(frozen=True)
class FrameJob:
    """Trace this program's outline (a laser's frame), no job."""

    program: SafeProgram


@dataclass(frozen=True)
class Perform:
    """Carry out one action of the closed vocabulary (never STOP: that is `StopNow`)."""

    action: MachineAction


@dataclass(frozen=True)
class StopNow:
    """The stop that went out of band a moment ago: finish it on the port (the recipe's remaining lines)."""

    recipe: Recipe | None = None


Request = StartJob | FrameJob | Perform | StopNow  # what callers hand to a machine's own I/O thread


@dataclass(frozen=True)
class JobEnded:
    job_id: str
    completed: bool  # False when it was cancelled, stopped or held
    reason: str = ""


class Machine(ABC):
    """One machine. Subclasses implement the protocol; the base keeps the status and emits the events."""

    def __init__(self, profile: MachineProfile, clock: Clock = REAL_CLOCK) -> None:
        self.profile = profile
        self.clock = clock
        self._status = MachineStatus(updated_at=clock.monotonic())
        self._status_lock = threading.Lock()
        self.status_changed: Event[MachineStatus] = Event()
        """the machine's new status"""
        self.job_ended: Event[JobEnded] = Event()
        """how a job ended"""
        # what callers asked for, handed to the adapter's own I/O thread
        self._actions: queue.SimpleQueue[Request] = queue.SimpleQueue()

    @property
    def status(self) -> MachineStatus:
        return self._status

    def attach_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        self.status_changed.attach_loop(loop)
        self.job_ended.attach_loop(loop)

    def _pending_actions(self) -> Iterator[Request]:
        """The actions queued so far, oldest first, for the I/O thread to carry out."""
        while True:
            try:
                yield self._actions.get_nowait()
            except queue.Empty:
                return

    def _forget_actions(self) -> None:
        """A new link starts clean: what was asked of the last one (a stop that already halted it) is dropped."""
        for _ in self._pending_actions():
            pass

    def _update(self, **changes: object) -> MachineStatus:
        with self._status_lock:
            self._status = dataclasses.replace(self._status, updated_at=self.clock.monotonic(), **changes)  # type: ignore[arg-type]
            status = self._status
        self.status_changed.emit(status)
        return status

    def _require(self, allowed: frozenset[MachineState], doing: str) -> None:
        state = self._status.state
        if state not in allowed:
            raise MachineBusy(f"cannot {doing} while the machine is {state.value.replace('_', ' ')}")

    def _check_action(self, action: MachineAction) -> None:
        """Refuse at once an action the machine's state does not allow now (see ACTION_STATES)."""
        if action is not MachineAction.STOP:
            self._require(ACTION_STATES.get(action, READY_STATES), action.value.replace("_", " "))

    @abstractmethod
    def connect(self) -> None:
        """Open the link and check the firmware; the status says the outcome."""

    @abstractmethod
    def disconnect(self) -> None:
        """Close the link (after making the machine safe where it still answers)."""

    def start(self, program: SafeProgram, job_id: str) -> None:
        """Run a validated program. Presence at the machine was confirmed before this is called."""
        if program.machine_id != self.profile.id:
            raise MachineError(f"this program was checked for {program.machine_id}, not for {self.profile.id}")
        self._require(READY_STATES, "start a job")
        self._update(state=MachineState.RUNNING, job_id=job_id, lines_done=0, lines_total=len(program), last_error="")

    def frame(self, program: SafeProgram) -> None:
        """Trace a job's outline without working (see recipes.frame_program); only machines that can, when ready."""
        raise MachineBusy(f"a {self.profile.kind.value} cannot frame")

    @abstractmethod
    def perform(self, action: MachineAction) -> None:
        """Carry out one action of the closed vocabulary with the machine kind's fixed recipe."""
