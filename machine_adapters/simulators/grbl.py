"""A GRBL 1.1 firmware simulator speaking the wire protocol: for the demo engraver and for tests.

Character-counting semantics are real: bytes beyond the RX buffer are lost, as on the firmware. Real-time
commands act on arrival. Motion takes simulated time (distance over feed, plus acceleration, each limited by
the slowest axis taking part, as GRBL's planner does), scaled by `time_factor` (real seconds per simulated
second; 0 = instant). Homing puts machine zero at the lower left (GRBL's HOMING_FORCE_SET_ORIGIN), so the travel
is [0, $13x] on each axis. Programs run in work coordinates: `work_zero` is where staff set the work zero (G54)
in machine coordinates; status reports give MPos and WCO. Every executed block is recorded in work coordinates.
`reply_latency_s` delays each line the controller sends, as a slow USB-serial bridge would.
"""

from __future__ import annotations

import math
import queue
import re
import threading
import time
from dataclasses import dataclass, field

from machine_adapters.transport import LinkLost

VERSION = "1.1h.20190825"
LINE_LIMIT = 80
PLANNER_BLOCKS = 15
DEFAULT_SETTINGS: dict[int, float] = {
    0: 10, 1: 25, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0, 10: 1, 11: 0.010, 12: 0.002, 13: 0,
    20: 1, 21: 0, 22: 1, 23: 0, 24: 25, 25: 500, 26: 250, 27: 1, 30: 1000, 31: 0, 32: 1,
    100: 80, 101: 80, 102: 400, 110: 6000, 111: 6000, 112: 600, 120: 800, 121: 800, 122: 100,
    130: 400, 131: 300, 132: 50,
}  # fmt: skip
REALTIME_BYTES = frozenset(b"?!~\x18\x85")  # acted on as they arrive, never buffered
_WORD = re.compile(r"([A-Z])([-+]?\d*\.?\d+)")


@dataclass
class Block:
    """One motion or setting the firmware executed."""

    command: str  # "G0", "G1", "G2", "G3", "G4", "M3", "M4", "M5", ...
    target: tuple[float, float, float] = (0.0, 0.0, 0.0)
    feed: float = 0.0
    spindle: str = "M5"
    power: float = 0.0
    seconds: float = 0.0


@dataclass
class _Machine:
    position: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])  # the parser's, ahead of the motion
    motion: str = "G0"
    absolute: bool = True
    inches: bool = False
    feed: float = 0.0
    spindle: str = "M5"
    power: float = 0.0
    coolant: str = "M9"


class GrblSimulator:
    def __init__(
        self,
        time_factor: float = 0.0,
        rx_buffer: int = 128,
        settings: dict[int, float] | None = None,
        coolant: bool = True,  # builds without the coolant pins answer M8 with error:20
        homed: bool = False,  # start as if staff had homed the machine when the store opened (the demo)
        work_zero: tuple[float, float, float] = (0.0, 0.0, 0.0),
        reply_latency_s: float = 0.0,
        hal: bool = False,  # greet as grblHAL does
    ):
        self.time_factor = time_factor
        self.rx_size = rx_buffer
        self.settings = dict(DEFAULT_SETTINGS) | (settings or {})
        self.coolant = coolant
        self.work_zero = work_zero
        self.reply_latency_s = reply_latency_s
        self.hal = hal
        self._refuse_next: int | None = None
        self.planner_emptied = 0  # times the motion ran out of blocks: once per program when the host keeps up
        self.executed: list[Block] = []
        self.lost_bytes = 0
        self.door_open = False
        self._out: queue.SimpleQueue[tuple[float, bytes]] = queue.SimpleQueue()  # (when it may be read, line)
        self._rx = bytearray()
        self._planner: list[tuple[Block, float]] = []  # block, simulated seconds still to run
        self._lock = threading.Lock()
        self._m = _Machine()
        self._actual = [0.0, 0.0, 0.0]  # where the machine is, in work coordinates
        self._last_motion: tuple[str, tuple[float, ...], float] = ("G0", (0.0, 0.0, 0.0), 0.0)
        self._state = "Alarm" if self.settings[22] else "Idle"
        self._hold = False
        self._check = False
        self._homed = False
        self._alive = True
        self._sim_now = 0.0
        if homed:
            self._state, self._homed = "Idle", True
        self._thread = threading.Thread(target=self._run, name="grbl-simulator", daemon=True)
        self._boot()
        self._thread.start()

    # --- the wire (the transport interface) -------------------------------------------------------------

    def write(self, data: bytes) -> None:
        if not self._alive:
            raise LinkLost("the simulated controller is unplugged")
        with self._lock:
            for byte in data:
                if byte in REALTIME_BYTES:
                    self._realtime(byte)
                elif len(self._rx) < self.rx_size:
                    self._rx.append(byte)
                else:
                    self.lost_bytes += 1  # what the real firmware does with an overflowing buffer

    def readline(self, timeout: float) -> bytes:
        if not self._alive:
            raise LinkLost("the simulated controller is unplugged")
        try:
            due, line = self._out.get(timeout=timeout)
        except queue.Empty:
            return b""
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        return line

    def close(self) -> None:
        pass

    def reboot(self) -> None:
        """The controller restarts (its port opened again resets an Arduino-based board): motion, buffers and
        homing are lost; with homing enabled it starts in Alarm, waiting for $H."""
        with self._lock:
            self._planner.clear()
            self._rx.clear()
            self._hold = self._check = self._homed = False
            self._m = _Machine()
            self._actual = [0.0, 0.0, 0.0]
            self._state = "Alarm" if self.settings[22] else "Idle"
            self._boot()

    def shut_down(self) -> None:
        self._alive = False

    # --- the world around the controller (tests) -------------------------------------------------------

    def open_door(self) -> None:
        with self._lock:
            self.door_open = True
            self._m.spindle, self._m.power = "M5", 0.0  # the door input parks the spindle and laser
            if self._state in ("Run", "Hold", "Idle", "Jog"):
                self._state = "Door"

    def close_door(self) -> None:
        with self._lock:
            self.door_open = False

    def refuse_next_line(self, code: int) -> None:
        """The next G-code line is answered `error:code` (what a controller says to a line it cannot run, e.g.
        after its settings were changed behind the host's back)."""
        with self._lock:
            self._refuse_next = code

    def hit_limit(self) -> None:
        with self._lock:
            self._alarm(1)

    @property
    def state(self) -> str:
        return self._state

    @property
    def position(self) -> tuple[float, float, float]:
        x, y, z = self._actual
        return (x, y, z)

    # --- inside the controller -----------------------------------------------------------------------------

    def _send(self, text: str) -> None:
        self._out.put((time.monotonic() + self.reply_latency_s, text.encode("ascii") + b"\r\n"))

    def _boot(self) -> None:
        self._send("")
        self._send(
            f"GrblHAL {VERSION[:4]} ['$' or '$HELP' for help]" if self.hal else f"Grbl {VERSION[:4]} ['$' for help]"
        )
        if self._state == "Alarm":
            self._send("[MSG:'$H'|'$X' to unlock]")

    def _reset(self) -> None:
        moving = self._state in ("Run", "Jog", "Home")  # a feed hold has already stopped the motion: no alarm
        self._planner.clear()
        self._m.position = list(self._actual)  # the parser starts again from where the machine is
        self._rx.clear()
        self._hold = False
        self._check = False
        self._m.spindle, self._m.power, self._m.coolant = "M5", 0.0, "M9"
        if moving:
            self._send("ALARM:3")
            self._homed = False
            self._state = "Alarm"
        elif self._state != "Alarm":
            self._state = "Idle"
        self._boot()

    def _alarm(self, code: int) -> None:
        self._planner.clear()
        self._m.position = list(self._actual)
        self._rx.clear()
        self._m.spindle, self._m.power = "M5", 0.0
        self._state = "Alarm"
        self._homed = False
        self._send(f"ALARM:{code}")

    def _realtime(self, byte: int) -> None:
        if byte == ord("?"):
            self._send(self._status())
        elif byte == ord("!"):
            if self._state in ("Run", "Jog"):
                self._hold = True
                self._state = "Hold"
        elif byte == ord("~"):
            if self._state == "Door" and not self.door_open:
                self._state = "Hold"
            if self._state == "Hold":
                self._hold = False
                self._state = "Run" if self._planner else "Idle"
        elif byte == 0x18:
            self._reset()
        elif byte == 0x85 and self._state == "Jog":
            self._planner.clear()
            self._state = "Idle"

    def _status(self) -> str:
        x, y, z = (a + o for a, o in zip(self._actual, self.work_zero, strict=True))
        if self._state == "Door":
            state = "Door:1" if self.door_open else "Door:0"  # 0: closed again, ready to resume
        elif self._state == "Hold":
            state = "Hold:0"
        else:
            state = self._state
        accessories = {"M3": "S", "M4": "C"}.get(self._m.spindle, "") + ("F" if self._m.coolant == "M8" else "")
        feed = self._planner[0][0].feed if self._planner and self._state == "Run" else 0.0
        parts = [
            state,
            f"MPos:{x:.3f},{y:.3f},{z:.3f}",
            "WCO:" + ",".join(f"{o:.3f}" for o in self.work_zero),
            f"Bf:{PLANNER_BLOCKS - len(self._planner)},{self.rx_size - len(self._rx)}",
            f"FS:{feed:.0f},{self._m.power:.0f}",
            "Ov:100,100,100",
        ]
        if self.door_open:
            parts.append("Pn:D")
        if accessories:
            parts.append(f"A:{accessories}")
        return "<" + "|".join(parts) + ">"

    def _run(self) -> None:
        last = time.monotonic()
        while self._alive:
            time.sleep(0.001)
            now = time.monotonic()
            elapsed, last = now - last, now
            with self._lock:
                self._advance(elapsed / self.time_factor if self.time_factor > 0 else math.inf)
                self._read_lines()

    def _advance(self, seconds: float) -> None:
        if self._state not in ("Run", "Jog"):
            return
        while self._planner and seconds > 0:
            block, left = self._planner[0]
            if left > seconds:
                self._planner[0] = (block, left - seconds)
                return
            seconds -= left
            self._planner.pop(0)
            self._actual = list(block.target)
            self.executed.append(block)
        if not self._planner:
            self.planner_emptied += 1
            self._state = "Idle"

    def _read_lines(self) -> None:
        while b"\n" in self._rx and len(self._planner) < PLANNER_BLOCKS and self._state not in ("Door",):
            end = self._rx.index(b"\n")
            raw = bytes(self._rx[:end]).replace(b"\r", b"")
            del self._rx[: end + 1]
            if len(raw) > LINE_LIMIT:
                self._send("error:11")
                continue
            self._line(raw.decode("ascii", errors="replace").strip())

    def _line(self, line: str) -> None:
        if not line:
            self._send("ok")
            return
        if line.startswith("$"):
            self._dollar(line)
            return
        if self._state == "Alarm":
            self._send("error:9")
            return
        if self._refuse_next is not None and not self._check:
            self._send(f"error:{self._refuse_next}")
            self._refuse_next = None
            return
        code = self._gcode(line.upper().replace(" ", ""))
        self._send("ok" if code == 0 else f"error:{code}")

    def _dollar(self, line: str) -> None:
        if line == "$$":
            for key in sorted(self.settings):
                self._send(f"${key}={self.settings[key]:g}")
        elif line == "$I":
            self._send(f"[VER:{VERSION}:]")
            self._send(f"[OPT:VL,{PLANNER_BLOCKS},{self.rx_size}]")
        elif line == "$X":
            if self._state == "Alarm":
                self._state = "Idle"
                self._send("[MSG:Caution: Unlocked]")
        elif line == "$H":
            if not self.settings[22]:
                self._send("error:5")
                return
            if self.door_open:
                self._alarm(7)
                return
            home = (0.0, 0.0, float(self.settings[132]))  # machine coordinates: lower left, Z up
            self._m.position = [h - o for h, o in zip(home, self.work_zero, strict=True)]
            self._actual = list(self._m.position)
            self._homed, self._state = True, "Idle"
        elif line == "$C":
            if self._check:
                self._send("[MSG:Disabled]")
                self._send("ok")
                self._reset()  # leaving check mode resets the controller, as GRBL does
                return
            if self._state not in ("Idle", "Alarm"):
                self._send("error:8")
                return
            self._check, self._state = True, "Check"
            self._send("[MSG:Enabled]")
        elif (found := re.fullmatch(r"\$(\d+)=(-?[\d.]+)", line)) is not None:
            if self._state not in ("Idle", "Alarm"):
                self._send("error:8")
                return
            self.settings[int(found.group(1))] = float(found.group(2))  # EEPROM write
        else:
            self._send("error:3")
            return
        self._send("ok")

    def _gcode(self, line: str) -> int:
        if line.startswith("N"):
            line = re.sub(r"^N\d+", "", line)
        words = _WORD.findall(line)
        if "".join(f"{letter}{number}" for letter, number in words) != line.replace("+", ""):
            return 1 if line and not line[0].isalpha() else 20
        values = {letter: float(number) for letter, number in words if letter not in "GM"}
        commands = [f"{letter}{float(number):g}" for letter, number in words if letter in "GM"]
        m = self._m
        motion = None
        for command in commands:
            if command in ("G90", "G91"):
                m.absolute = command == "G90"
            elif command in ("G20", "G21"):
                m.inches = command == "G20"
            elif command in ("G0", "G1", "G2", "G3"):
                motion = m.motion = command
            elif command == "G4":
                self._last_motion = ("G0", (0.0, 0.0, 0.0), 0.0)  # a dwell stops the motion
                dwell = Block("G4", tuple(m.position), 0.0, m.spindle, m.power, values.get("P", 0.0))  # type: ignore[arg-type]
                self._queue(dwell)
            elif command in ("M3", "M4", "M5"):
                m.spindle = command
                if command == "M5":
                    m.power = 0.0
            elif command in ("M8", "M9"):
                if not self.coolant:
                    return 20
                m.coolant = command
            elif command in ("M2", "M30"):
                m.spindle, m.power, m.coolant = "M5", 0.0, "M9"
            elif command not in ("G17", "G94", "G54"):
                return 20
        if "S" in values:
            if values["S"] < 0:
                return 4
            m.power = min(values["S"], self.settings[30])
        if "F" in values:
            m.feed = values["F"] * (25.4 if m.inches else 1.0)
        if motion is None and any(a in values for a in "XYZ"):
            motion = m.motion
        if motion is None:
            return 0
        if motion != "G0" and m.feed <= 0:
            return 22
        scale = 25.4 if m.inches else 1.0
        target = list(m.position)
        for index, axis in enumerate("XYZ"):
            if axis in values:
                value = values[axis] * scale
                target[index] = value if m.absolute else m.position[index] + value
        machine = [t + o for t, o in zip(target, self.work_zero, strict=True)]
        if self.settings[20] and not all(-1e-6 <= t <= self.settings[130 + i] + 1e-6 for i, t in enumerate(machine)):
            self._alarm(2)  # soft limit: even in check mode, GRBL raises the alarm
            return 0
        direction = tuple(t - p for t, p in zip(target, m.position, strict=True))
        fastest = self._axis_limited(direction, 110)
        speed = fastest if motion == "G0" else min(m.feed / 60, fastest)
        seconds = self._motion_seconds(direction, speed, continues=motion != "G0" and self._continues(direction, speed))
        self._last_motion = (motion, direction, speed)
        block = Block(motion, (target[0], target[1], target[2]), m.feed, m.spindle, m.power, seconds)
        m.position = target  # the parser's position runs ahead of the machine's, as in GRBL
        self._queue(block)
        return 0

    def _continues(self, direction: tuple[float, ...], speed: float) -> bool:
        """The planner joins a move to the one before without slowing down when it carries straight on."""
        motion, before, before_speed = self._last_motion
        length, before_length = math.hypot(*direction), math.hypot(*before)
        if motion == "G0" or abs(before_speed - speed) > 1e-6 * speed or length == 0 or before_length == 0:
            return False
        return sum(a * b for a, b in zip(direction, before, strict=True)) / (length * before_length) > 0.9999

    def _axis_limited(self, direction: tuple[float, ...], first_setting: int) -> float:
        """The most a move in this direction may have (rate $110-$112 in mm/min, or acceleration $120-$122) so
        that no axis exceeds its own limit."""
        length = math.hypot(*direction)
        scale = 60.0 if first_setting == 110 else 1.0
        limits = [
            self.settings[first_setting + i] / scale * length / abs(d) for i, d in enumerate(direction) if abs(d) > 1e-9
        ]
        return max(min(limits, default=self.settings[first_setting] / scale), 1e-3)

    def _motion_seconds(self, direction: tuple[float, ...], speed: float, continues: bool) -> float:
        """Trapezoid from rest to rest (a triangle if the move is short), or cruise only when it continues."""
        distance = math.hypot(*direction)
        acceleration = self._axis_limited(direction, 120)
        if distance == 0:
            return 0.0
        if continues:
            return distance / speed
        if distance >= speed * speed / acceleration:
            return distance / speed + speed / acceleration
        return 2 * math.sqrt(distance / acceleration)

    def _queue(self, block: Block) -> None:
        if self._check:
            return
        self._planner.append((block, block.seconds))
        if self._state == "Idle":
            self._state = "Run"
