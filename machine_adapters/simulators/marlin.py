"""A Marlin firmware simulator that speaks the wire protocol: line numbers, checksums, resends, ok/ADVANCED_OK,
a command buffer and planner with simulated time, heating, busy, reset, halts and the emergency parser.

It runs on its own thread. `time_factor` is real seconds per simulated second: 1 runs in real time, 0.01 a
hundred times faster, 0 as fast as possible. It records every command it executed, in order.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
import re
import threading
import time
from collections import deque
from dataclasses import dataclass

from machine_adapters.clock import REAL_CLOCK, Clock
from machine_adapters.marlin_wire import checksum
from machine_adapters.transport import LinkLost

_NUMBERED = re.compile(r"^N(\d+)\s*(.*?)\s*\*(\d+)\s*$")
_WORDS = re.compile(r"([A-Z])\s*(-?\d*\.?\d+)")
AMBIENT = 22.0


@dataclass
class _Heater:
    current: float = AMBIENT
    target: float = 0.0
    rate: float = 2.5  # °C per simulated second when heating at full power

    def step(self, seconds: float) -> None:
        if self.target > self.current:
            self.current = min(self.target, self.current + self.rate * seconds)
        else:
            goal = max(self.target, AMBIENT)
            self.current = goal + (self.current - goal) * math.exp(-seconds / 60.0)

    def reached(self) -> bool:
        return self.target <= 0 or abs(self.current - self.target) <= 1.0


class MarlinSimulator:
    def __init__(
        self,
        *,
        time_factor: float = 0.0,
        ok_latency_s: float = 0.0,
        advanced_ok: bool = False,
        bufsize: int = 4,
        planner_size: int = 16,
        resend_with_ok: bool = True,
        corrupt_rate: float = 0.0,
        seed: int = 1,
        thermal_protection: bool = True,
        emergency_parser: bool = True,
        auto_report: bool = True,
        busy_interval_s: float = 2.0,
        clock: Clock = REAL_CLOCK,
    ) -> None:
        self.clock = clock  # simulated time follows it; the port's read timeouts stay real
        self.time_factor = time_factor
        self.ok_latency_s = ok_latency_s
        self.advanced_ok = advanced_ok
        self.bufsize = bufsize
        self.planner_size = planner_size
        self.resend_with_ok = resend_with_ok
        self.corrupt_rate = corrupt_rate
        self.thermal_protection = thermal_protection
        self.emergency_parser = emergency_parser
        self.auto_report = auto_report
        self.busy_interval_s = busy_interval_s
        self.executed: list[str] = []
        self.received_lines = 0
        self.silent = False
        self.resend_beyond_history_at: int | None = None  # answer this line with a Resend for line 1
        self.always_resend: int | None = None  # ask for this line again and again
        self._random = random.Random(seed)
        self._rx = b""
        self._commands: deque[tuple[int | None, str]] = deque()
        self._out: list[tuple[float, int, bytes]] = []
        self._order = itertools.count()
        self._lock = threading.Condition()
        self._halted = False
        self._last_line = 0
        self._planner: deque[float] = deque()  # simulated end times of queued moves
        self._position = [0.0, 0.0, 0.0, 0.0]
        self._feed = 1500.0
        self._absolute = True
        self._e_absolute = True
        self._hotend = _Heater(rate=2.5)
        self._bed = _Heater(rate=0.8)
        self._sim_now = 0.0
        self._real_last = clock.monotonic()
        self._waiting_since: float | None = None
        self._last_busy = 0.0
        self._report_interval = 0.0
        self._last_report = 0.0
        self._closed = False
        self._unplugged = False
        self._thread = threading.Thread(target=self._run, name="marlin-simulator", daemon=True)
        self._thread.start()
        self._emit_boot()

    # --- the wire ------------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Bytes from the host, as they arrive on the firmware's serial RX."""
        if self._unplugged:
            raise LinkLost("the simulated port was unplugged")
        with self._lock:
            if self.emergency_parser and b"M112" in data and not self._halted:
                self._kill("Printer halted. kill() called!")  # the emergency parser acts on arrival
            self._rx += data
            self._lock.notify_all()

    def readline(self, timeout: float) -> bytes:
        """The next line the firmware sends, or b"" after `timeout` seconds."""
        deadline = time.monotonic() + timeout  # a port's timeout is real time, whatever the clock
        with self._lock:
            while True:
                if self._unplugged:
                    raise LinkLost("the simulated port was unplugged")
                now = self.clock.monotonic()
                if self._out and self._out[0][0] <= now:
                    return heapq.heappop(self._out)[2]
                wait = deadline - time.monotonic()
                if self._out:
                    wait = min(wait, self._out[0][0] - now)
                if wait <= 0:
                    return b""
                self._lock.wait(wait)

    def close(self) -> None:
        """The host closed its end; the firmware keeps running (a later connect talks to it again)."""

    def shut_down(self) -> None:
        with self._lock:
            self._closed = True
            self._lock.notify_all()

    def unplug(self) -> None:
        """The cable is pulled: every further read or write fails."""
        with self._lock:
            self._unplugged = True
            self._lock.notify_all()

    # --- faults on demand ------------------------------------------------------------------------

    def reset(self, garbage: bytes = b"") -> None:
        """The firmware restarts (a brown-out, a watchdog, someone pressed reset): state and position lost."""
        with self._lock:
            self._rx = b""
            self._commands.clear()
            self._planner.clear()
            self._halted = False
            self._last_line = 0
            self._hotend, self._bed = _Heater(rate=2.5), _Heater(rate=0.8)
            self._report_interval = 0.0
            if garbage:
                self._send(garbage)
            self._emit_boot()

    def thermal_runaway(self) -> None:
        with self._lock:
            self._send(b"Error:Thermal Runaway, system stopped! Heater_ID: 0\n")
            self._kill("Printer halted. kill() called!")

    @property
    def halted(self) -> bool:
        return self._halted

    @property
    def temperatures(self) -> tuple[float, float]:
        return (self._hotend.current, self._bed.current)

    # --- the firmware's loop ---------------------------------------------------------------------

    def _emit_boot(self) -> None:
        with self._lock:
            self._send(b"start\n")
            self._send(b"echo:Marlin 2.1.2 (fabkiosk simulator)\n")
            self._send(b"echo: Last Updated: 2024-01-01 | Author: (simulator)\n")

    def _send(self, data: bytes, delay: float = 0.0) -> None:
        if self.silent:
            return
        heapq.heappush(self._out, (self.clock.monotonic() + delay, next(self._order), data))
        self._lock.notify_all()

    def _ok(self) -> None:
        if self.advanced_ok:
            planner_free = self.planner_size - len(self._planner)
            buffer_free = self.bufsize - len(self._commands)
            self._send(f"ok N{self._last_line} P{planner_free} B{buffer_free}\n".encode(), self.ok_latency_s)
        else:
            self._send(b"ok\n", self.ok_latency_s)

    def _kill(self, reason: str) -> None:
        self._halted = True
        self._commands.clear()
        self._planner.clear()
        self._hotend.target = self._bed.target = 0.0
        self._send(f"Error:{reason}\n".encode())

    def _run(self) -> None:
        with self._lock:
            while not self._closed:
                self._advance_time()
                progressed = self._read_commands()
                progressed = self._execute() or progressed
                self._auto_report()
                if not progressed:
                    self._lock.wait(0.002 if self._commands or self._planner else 0.02)

    def _advance_time(self) -> None:
        now = self.clock.monotonic()
        real = now - self._real_last
        self._real_last = now
        seconds = real / self.time_factor if self.time_factor > 0 else 0.0
        self._sim_now += seconds
        if self.time_factor > 0:
            self._hotend.step(seconds)
            self._bed.step(seconds)
        while self._planner and self._planner[0] <= self._sim_now:
            self._planner.popleft()

    def _read_commands(self) -> bool:
        progressed = False
        while not self._halted and len(self._commands) < self.bufsize and b"\n" in self._rx:
            raw, _, self._rx = self._rx.partition(b"\n")
            progressed = True
            text = raw.replace(b"\r", b"").decode("ascii", errors="replace").strip()
            if text:
                self.received_lines += 1
                self._accept(text)
        return progressed

    def _accept(self, text: str) -> None:
        if not text.startswith("N"):
            self._commands.append((None, text.upper()))
            return
        match = _NUMBERED.match(text)
        if match is None:
            self._reject("No Checksum with line number", self._last_line + 1)
            return
        number, command, given = int(match.group(1)), match.group(2), int(match.group(3))
        payload = text[: text.rindex("*")].encode()
        if checksum(payload) != given or self._random.random() < self.corrupt_rate:
            self._reject("checksum mismatch", self._last_line + 1)
            return
        if command.upper().startswith("M110"):
            words = dict(_WORDS.findall(command.upper()[4:]))
            self._last_line = int(float(words.get("N", number)))
            self._commands.append((number, command.upper()))
            return
        if number != self._last_line + 1:
            self._reject("Line Number is not Last Line Number+1", self._last_line + 1)
            return
        if self.always_resend == number:
            self._reject("checksum mismatch", number)
            return
        if self.resend_beyond_history_at == number:
            self.resend_beyond_history_at = None
            self._reject("checksum mismatch", 1)
            return
        self._last_line = number
        self._commands.append((number, command.upper()))

    def _reject(self, why: str, resend: int) -> None:
        self._send(f"Error:{why}, Last Line: {self._last_line}\n".encode())
        self._send(f"Resend: {resend}\n".encode())
        if self.resend_with_ok:
            self._ok()

    def _execute(self) -> bool:
        if self._halted or not self._commands:
            return False
        _, command = self._commands[0]
        words = command.split(None, 1)
        code = words[0]
        params = {k: float(v) for k, v in _WORDS.findall(words[1])} if len(words) > 1 else {}
        done = self._run_command(code, params)
        if done:
            self._commands.popleft()
            if not self._halted:
                self.executed.append(command)
                self._reply(code)
            self._waiting_since = None
        return done

    def _reply(self, code: str) -> None:
        if code == "M105":
            self._send(f"ok {self._temperature_report()}\n".encode(), self.ok_latency_s)
        elif code == "M115":
            self._send(
                b"FIRMWARE_NAME:Marlin 2.1.2 (fabkiosk simulator) SOURCE_CODE_URL:local PROTOCOL_VERSION:1.0 "
                b"MACHINE_TYPE:fabkiosk EXTRUDER_COUNT:1\n"
            )
            for name, on in (
                ("THERMAL_PROTECTION", self.thermal_protection),
                ("EMERGENCY_PARSER", self.emergency_parser),
                ("AUTOREPORT_TEMP", self.auto_report),
                ("EEPROM", True),
                ("PROMPT_SUPPORT", False),
            ):
                self._send(f"Cap:{name}:{int(on)}\n".encode())
            self._ok()
        else:
            self._ok()

    def _temperature_report(self) -> str:
        h, b = self._hotend, self._bed
        return f"T:{h.current:.2f} /{h.target:.2f} B:{b.current:.2f} /{b.target:.2f} @:0 B@:0"

    def _run_command(self, code: str, params: dict[str, float]) -> bool:
        """Carry out one command; False while it must wait (planner full, heating, dwelling)."""
        if code in ("G0", "G1"):
            if len(self._planner) >= self.planner_size:
                return False
            self._move(params)
            return True
        if code in ("M104", "M109"):
            self._hotend.target = params.get("S", params.get("R", self._hotend.target))
            if code == "M109":
                return self._wait_for(self._hotend)
            return True
        if code in ("M140", "M190"):
            self._bed.target = params.get("S", params.get("R", self._bed.target))
            if code == "M190":
                return self._wait_for(self._bed)
            return True
        if code == "G28":
            if self._planner:
                return False
            self._position[:3] = [0.0, 0.0, 0.0]
            return True
        if code in ("M400", "G4"):
            if self._planner:
                return False
            if code == "G4":
                self._planner.append(self._sim_now + params.get("S", 0.0) + params.get("P", 0.0) / 1000)
            return True
        if code in ("G90", "G91"):
            self._absolute = code == "G90"
            self._e_absolute = self._absolute
        elif code in ("M82", "M83"):
            self._e_absolute = code == "M82"
        elif code == "G92":
            self._position[3] = params.get("E", self._position[3])
        elif code == "M155":
            self._report_interval = params.get("S", 0.0)
        elif code == "M112":
            self._kill("Printer halted. kill() called!")
        return True

    def _move(self, params: dict[str, float]) -> None:
        if "F" in params:
            self._feed = params["F"]
        start = list(self._position)
        for axis, letter in enumerate("XYZE"):
            if letter in params:
                absolute = self._e_absolute if letter == "E" else self._absolute
                self._position[axis] = params[letter] if absolute else self._position[axis] + params[letter]
        distance = math.dist(start[:3], self._position[:3]) or abs(self._position[3] - start[3])
        seconds = distance / (self._feed / 60.0) if self._feed > 0 else 0.0
        begin = self._planner[-1] if self._planner else self._sim_now
        self._planner.append(max(begin, self._sim_now) + (seconds if self.time_factor > 0 else 0.0))

    def _wait_for(self, heater: _Heater) -> bool:
        if self.time_factor == 0:
            heater.current = max(heater.target, AMBIENT)
        if heater.reached():
            return True
        if self._sim_now - self._last_busy >= self.busy_interval_s:
            self._last_busy = self._sim_now
            self._send(f" {self._temperature_report()} W:?\n".encode())
            self._send(b"echo:busy: processing\n")
        return False

    def _auto_report(self) -> None:
        if self._report_interval > 0 and self._sim_now - self._last_report >= self._report_interval:
            self._last_report = self._sim_now
            self._send(f" {self._temperature_report()}\n".encode())
