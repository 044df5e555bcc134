"""Time, injected: adapters and simulators read and wait through a `Clock`, so tests move time instead of sleeping.

`RealClock` is the wall and the monotonic clock of the machine fabkiosk runs on. `TestClock` stands still until a
test calls `forward(seconds)`: a heater's ten idle minutes, a reply timeout or a homing cycle pass in one call, and
a timer that fires one second too early is caught, which no sleep in a test can do.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds that only ever grow, for deadlines and intervals."""
        ...

    def sleep(self, seconds: float) -> None:
        """Let `seconds` pass on this clock (on a test clock: until a test moves it that far)."""
        ...

    def wall(self) -> float:
        """Seconds since the epoch, for what people read (timestamps), never for intervals."""
        ...


class RealClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def wall(self) -> float:
        return time.time()


REAL_CLOCK = RealClock()

# How long a thread sleeping on a test clock waits for the next forward() before it looks around again: port and
# simulator loops keep answering the wire (their reads have real timeouts) while their timers wait for the test.
_TEST_SLICE_S = 0.005


class TestClock:
    """A clock that moves only when told, shared by the machine under test and its simulated firmware.

    `running=True` makes it also follow real time, for tests against a program that runs in real time anyway (a
    real OctoPrint, a simulator paced in real time): the test still skips minutes with `forward`. `looks(thread)`
    counts how often a thread read the time, so a test can wait until a port thread has seen a forwarded time (and
    gone round its loop) instead of sleeping through a window.
    """

    __test__ = False  # a helper, not a test class, for pytest's collection

    def __init__(self, start: float = 1000.0, wall_start: float = 1_767_225_600.0, *, running: bool = False) -> None:
        self._now = start
        self._wall_offset = wall_start - start
        self._changed = threading.Condition()
        self._real_start = time.monotonic() if running else None
        self._looks: dict[str, int] = {}

    def monotonic(self) -> float:
        name = threading.current_thread().name
        self._looks[name] = self._looks.get(name, 0) + 1  # each thread writes only its own count
        if self._real_start is not None:
            return self._now + time.monotonic() - self._real_start
        return self._now

    def wall(self) -> float:
        return self.monotonic() + self._wall_offset

    def sleep(self, seconds: float) -> None:
        """Return once the clock reached now + `seconds`, or after a short real wait: callers loop on deadlines
        read from this clock, so waking early only costs them one more look."""
        with self._changed:
            if seconds > 0:
                self._changed.wait(min(seconds, _TEST_SLICE_S))

    def looks(self, thread: str) -> int:
        """How often threads whose name starts with `thread` read the time so far."""
        return sum(n for name, n in list(self._looks.items()) if name.startswith(thread))

    def forward(self, seconds: float) -> None:
        """Move time on by `seconds`; everything reading this clock sees the new time at once."""
        if seconds < 0:
            raise ValueError("time does not run backwards")
        with self._changed:
            self._now += seconds
            self._changed.notify_all()
