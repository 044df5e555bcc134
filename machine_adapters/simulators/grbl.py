"""A GRBL 1.1h (or grblHAL) firmware simulator speaking the wire protocol: for the demo engraver and for tests.

Longer than 400 lines because it is one state machine (serial, $ commands, G-code, motion, homing, status
reports), each part following the firmware closely enough to cite it; its pure parts (line reading, move
timing, homing moves) live in grbl_motion.py.

Character-counting semantics are real: bytes beyond the RX buffer are lost, as on the firmware, and bytes reach
it at the serial rate (`baud`, 10 bits a byte), so check mode is limited by the wire. Real-time commands act on
arrival. Motion takes simulated time (distance over feed, plus acceleration, each limited by the slowest axis
taking part, as GRBL's planner does), and the reported position moves smoothly along each block. Everything is
scaled by `time_factor` (real seconds per simulated second; 0 = instant). Machine coordinates are GRBL's
default ones, all negative: the travel is [-$13x, 0] (limits.c, no HOMING_FORCE_SET_ORIGIN); homing searches
toward the switches given by $23 at the $25 rate and locates at $24 (limits_go_home) and leaves the machine
$27 off its switches. `work_zero` is where staff set the work zero (G54), measured from the lower front left
corner of the travel; programs run and every executed block is recorded in work coordinates.
`reply_latency_s` delays each line the controller sends, as a slow USB-serial bridge would.
"""

from __future__ import annotations

import math
import queue
import re
import threading
import time
from dataclasses import dataclass, field

from machine_adapters.clock import REAL_CLOCK, Clock
from machine_adapters.simulators.grbl_motion import (
    Block,
    HomingPhase,
    axis_limited,
    continues_straight,
    home_machine_position,
    homing_phases,
    motion_seconds,
    read_line,
)
from machine_adapters.transport import LinkLost

__all__ = ["Block", "GrblSimulator"]

VERSION = "1.1h.20190825"
HAL_VERSION = "1.1f.20230610"
PLANNER_BLOCKS = 15  # BLOCK_BUFFER_SIZE - 1, as $I reports it
DEFAULT_SETTINGS: dict[int, float] = {
    0: 10, 1: 25, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0, 10: 1, 11: 0.010, 12: 0.002, 13: 0,
    20: 1, 21: 0, 22: 1, 23: 0, 24: 25, 25: 500, 26: 250, 27: 1, 30: 1000, 31: 0, 32: 1,
    100: 80, 101: 80, 102: 400, 110: 6000, 111: 6000, 112: 600, 120: 800, 121: 800, 122: 100,
    130: 400, 131: 300, 132: 50,
}  # fmt: skip
REALTIME_BYTES = frozenset(b"?!~\x18\x85")  # acted on as they arrive, never buffered
WCO_EVERY = (10, 30)  # config.h REPORT_WCO_REFRESH_IDLE_COUNT / _BUSY_COUNT
OVERRIDES_EVERY = (10, 20)  # config.h REPORT_OVR_REFRESH_IDLE_COUNT / _BUSY_COUNT
BUSY_STATES = frozenset({"Home", "Run", "Hold", "Jog", "Door"})
_WORD = re.compile(r"([A-Z])([-+]?\d*\.?\d+)")
_NUMBER = re.compile(r"[-+]?\d*\.?\d+")


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
        coolant: bool = True,  # builds without the flood coolant pin answer M8 with error:20
        homed: bool = False,  # start as if staff had homed the machine when the store opened (the demo)
        work_zero: tuple[float, float, float] = (0.0, 0.0, 0.0),
        reply_latency_s: float = 0.0,
        hal: bool = False,  # greet and behave as grblHAL does
        auto_reset: bool = True,  # an Arduino-based board: opening its port (DTR) reboots it
        homing_lock: bool = True,  # Grbl's HOMING_INIT_LOCK (on by default); grblHAL takes it from $22 bit 2
        mist: bool = False,  # ENABLE_M7: off in default builds, which answer M7 with error:20
        baud: int | None = 115200,  # None: bytes arrive at once, however many
        clock: Clock = REAL_CLOCK,  # simulated time (motion, homing, the wire's bit rate) follows it
    ):
        self.clock = clock
        self.time_factor = time_factor
        self.rx_size = rx_buffer
        self.settings = dict(DEFAULT_SETTINGS) | (settings or {})
        self.coolant = coolant
        self.work_zero = work_zero
        self.reply_latency_s = reply_latency_s
        self.hal = hal
        self.auto_reset = auto_reset
        self.mist = mist
        self.baud = baud
        self._homing_lock = homing_lock
        self._refuse_next: int | None = None
        self.planner_emptied = 0  # times the motion ran out of blocks: once per program when the host keeps up
        self.executed: list[Block] = []
        self.accepted: list[str] = []  # every G-code line answered `ok` outside check mode, as the parser read it
        self.lost_bytes = 0
        self.door_open = False
        self.homing_seconds = 0.0  # simulated duration of the last homing cycle
        self._out: queue.SimpleQueue[tuple[float, bytes]] = queue.SimpleQueue()  # (when it may be read, line)
        self._wire = bytearray()  # sent by the host, not yet arrived at the serial rate
        self._wire_credit = 0.0
        self._wire_since = 0.0  # when the bytes now on the wire began to travel
        self._rx = bytearray()
        self._planner: list[tuple[Block, float]] = []  # block, simulated seconds still to run
        self._lock = threading.Lock()
        self._m = _Machine()
        self._last_motion: tuple[str, tuple[float, ...], float] = ("G0", (0.0, 0.0, 0.0), 0.0)
        self._hold_left = 0.0  # simulated seconds of deceleration left after a feed hold (Hold:1)
        self._homing: list[HomingPhase] = []  # the homing moves still to run
        self._locked = False  # after a hard or soft limit: nothing but a reset is heard (protocol.c)
        self._wco_countdown = self._overrides_countdown = 0
        self._check = False
        self._homed = homed
        self._alive = True
        self._state = "Idle" if homed else self._boot_state()
        centre = [-self.settings[130 + i] / 2 for i in range(3)]
        start = home_machine_position(self.settings) if homed else centre
        self._actual = [m - o for m, o in zip(start, self._wco, strict=True)]  # in work coordinates
        self._segment_start = list(self._actual)
        self._m.position = list(self._actual)
        self._thread = threading.Thread(target=self._run, name="grbl-simulator", daemon=True)
        self._boot()
        self._thread.start()

    # --- the wire (the transport interface) -------------------------------------------------------------

    def write(self, data: bytes) -> None:
        if not self._alive:
            raise LinkLost("the simulated controller is unplugged")
        with self._lock:
            if self.baud is None or self.time_factor <= 0:
                self._arrive(data)
            else:
                if not self._wire:  # an idle line: the first byte starts now, not at the thread's last tick
                    self._wire_since = self.clock.monotonic()
                self._wire += data

    def readline(self, timeout: float) -> bytes:
        if not self._alive:
            raise LinkLost("the simulated controller is unplugged")
        try:
            due, line = self._out.get(timeout=timeout)
        except queue.Empty:
            return b""
        wait = due - self.clock.monotonic()
        if wait > 0:
            self.clock.sleep(wait)
        return line

    def open(self) -> GrblSimulator:
        """The host opens the port: what the controller said before is gone, and a board that auto-resets
        (DTR on an Arduino) reboots; a 32-bit board or grblHAL just keeps going and says nothing."""
        while not self._out.empty():
            self._out.get_nowait()
        if self.auto_reset:
            self.reboot()
        return self

    def close(self) -> None:
        pass

    def reboot(self) -> None:
        """The controller restarts (power or DTR): motion, buffers and homing are lost; with homing enabled and
        the homing lock it starts in Alarm, waiting for $H. The machine itself stays where it stood."""
        with self._lock:
            self._planner.clear()
            self._rx.clear()
            self._wire.clear()
            self._homing.clear()
            self._check = self._homed = self._locked = False
            self._hold_left = 0.0
            self._m = _Machine(position=list(self._actual))
            self._segment_start = list(self._actual)
            self._state = self._boot_state()
            self._wco_countdown = self._overrides_countdown = 0
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
    def homed(self) -> bool:
        return self._homed

    @property
    def position(self) -> tuple[float, float, float]:
        x, y, z = self._actual
        return (x, y, z)

    @property
    def machine_position(self) -> tuple[float, float, float]:
        x, y, z = (a + o for a, o in zip(self._actual, self._wco, strict=True))
        return (x, y, z)

    @property
    def spindle(self) -> str:
        """M3, M4 or M5 as the controller has it now."""
        return self._m.spindle

    @property
    def coolant_state(self) -> str:
        """M7, M8 or M9 as the controller has it now."""
        return self._m.coolant

    # --- inside the controller -----------------------------------------------------------------------------

    @property
    def _wco(self) -> tuple[float, float, float]:
        """The work zero in machine coordinates: measured from the travel's corner at [-$130, -$131, -$132]."""
        x, y, z = (w - self.settings[130 + i] for i, w in enumerate(self.work_zero))
        return (x, y, z)

    def _boot_state(self) -> str:
        """main.c: with homing enabled and HOMING_INIT_LOCK the controller starts locked in Alarm."""
        lock = int(self.settings[22]) & 4 if self.hal else self._homing_lock
        return "Alarm" if int(self.settings[22]) & 1 and lock else "Idle"

    def _send(self, text: str) -> None:
        self._out.put((self.clock.monotonic() + self.reply_latency_s, text.encode("ascii") + b"\r\n"))

    def _boot(self) -> None:
        self._send("")  # report_init_message starts with a line break
        self._send(
            f"GrblHAL {HAL_VERSION[:4]} ['$' or '$HELP' for help]" if self.hal else f"Grbl {VERSION[:4]} ['$' for help]"
        )
        if self._state == "Alarm":
            self._send("[MSG:'$H'|'$X' to unlock]")  # protocol_main_loop: MESSAGE_ALARM_LOCK after every start

    def _arrive(self, data: bytes) -> None:
        """serial.c's receive interrupt: real-time bytes act at once, others fill the buffer or are lost."""
        for byte in data:
            if self._locked and byte != 0x18:
                if byte not in REALTIME_BYTES and len(self._rx) < self.rx_size:
                    self._rx.append(byte)  # still received, never read: the reset flushes it
                continue
            if byte in REALTIME_BYTES:
                self._realtime(byte)
            elif len(self._rx) < self.rx_size:
                self._rx.append(byte)
            else:
                self.lost_bytes += 1  # what the real firmware does with an overflowing buffer

    def _reset(self) -> None:
        """mc_reset: a reset while anything moves (cycle, homing, a hold still decelerating) loses the position:
        ALARM:6 during homing, else ALARM:3. Then main.c starts again; an Alarm state survives the reset."""
        homing = self._state == "Home"
        moving = self._state in ("Run", "Jog") or (self._state == "Hold" and self._hold_left > 0)
        self._planner.clear()
        self._homing.clear()
        self._m.position = list(self._actual)  # the parser starts again from where the machine is
        self._segment_start = list(self._actual)
        self._rx.clear()
        self._hold_left = 0.0
        self._check = self._locked = False
        self._m.spindle, self._m.power, self._m.coolant = "M5", 0.0, "M9"
        if homing or moving:
            self._send("ALARM:6" if homing else "ALARM:3")
            self._homed = False
            self._state = "Alarm"
        elif self._state != "Alarm":
            self._state = "Idle"
        self._wco_countdown = self._overrides_countdown = 0
        self._boot()

    def _alarm(self, code: int) -> None:
        self._planner.clear()
        self._homing.clear()
        self._m.position = list(self._actual)
        self._segment_start = list(self._actual)
        self._rx.clear()
        self._m.spindle, self._m.power = "M5", 0.0
        self._state = "Alarm"
        self._check = False
        self._homed = False
        self._send(f"ALARM:{code}")
        if code in (1, 2):  # protocol_exec_rt_system: hard and soft limits block everything until a reset
            self._send("[MSG:Reset to continue]")
            self._locked = True

    def _realtime(self, byte: int) -> None:
        if byte == ord("?"):
            self._send(self._status())
        elif byte == ord("!"):
            if self._state in ("Run", "Jog"):
                speed = self._planner[0][0].feed / 60 if self._planner else 0.0
                self._hold_left = speed / max(self.settings[120], 1e-3)  # decelerating: Hold:1
                self._state = "Hold"
        elif byte == ord("~"):
            if self._state == "Door" and not self.door_open:
                self._state = "Hold"
            if self._state == "Hold" and self._hold_left <= 0:  # only a completed hold resumes (protocol.c)
                self._state = "Run" if self._planner else "Idle"
        elif byte == 0x18:
            self._reset()
        elif byte == 0x85 and self._state == "Jog":
            self._planner.clear()
            self._state = "Idle"

    def _status(self) -> str:
        """report_realtime_status: $10 bit 0 MPos (else WPos), bit 1 Bf; WCO and Ov only every few reports, A
        only with Ov; grblHAL adds its homed state H with the WCO."""
        mask = int(self.settings[10])
        machine = self.machine_position
        if self._state == "Door":
            state = "Door:1" if self.door_open else "Door:0"  # 0: closed again, ready to resume
        elif self._state == "Hold":
            state = "Hold:1" if self._hold_left > 0 else "Hold:0"
        else:
            state = self._state
        parts = [state, ("MPos:" if mask & 1 else "WPos:") + _axes(machine if mask & 1 else self._actual)]
        if mask & 2:
            parts.append(f"Bf:{PLANNER_BLOCKS - len(self._planner)},{self.rx_size - len(self._rx)}")
        feed = self._planner[0][0].feed if self._planner and self._state == "Run" else 0.0
        parts.append(f"FS:{feed:.0f},{self._m.power:.0f}")
        if self.door_open:
            parts.append("Pn:D")
        busy = int(self._state in BUSY_STATES)
        if self._wco_countdown > 0:
            self._wco_countdown -= 1
        else:
            self._wco_countdown = WCO_EVERY[busy] - 1
            self._overrides_countdown = self._overrides_countdown or 1  # overrides on the next report
            parts.append("WCO:" + _axes(self._wco))
            if self.hal:
                parts.append(f"H:{int(self._homed)}")
        if self._overrides_countdown > 0:
            self._overrides_countdown -= 1
        else:
            self._overrides_countdown = OVERRIDES_EVERY[busy] - 1
            parts.append("Ov:100,100,100")
            accessories = {"M3": "S", "M4": "C"}.get(self._m.spindle, "")
            accessories += {"M8": "F", "M7": "M"}.get(self._m.coolant, "")
            if accessories:
                parts.append(f"A:{accessories}")
        return "<" + "|".join(parts) + ">"

    def _run(self) -> None:
        last = self.clock.monotonic()
        while self._alive:
            time.sleep(0.001)  # the thread's pace is real; how much simulated time passed is the clock's
            now = self.clock.monotonic()
            elapsed, last = now - last, now
            simulated = elapsed / self.time_factor if self.time_factor > 0 else math.inf
            with self._lock:
                if self._wire:
                    travelling = min(now - self._wire_since, elapsed) / self.time_factor
                    self._wire_credit += min(travelling, 1.0) * (self.baud or 0) / 10  # 8N1: ten bits a byte
                    arrived = int(self._wire_credit)
                    self._wire_credit -= arrived
                    chunk = bytes(self._wire[:arrived])
                    del self._wire[:arrived]
                    self._arrive(chunk)
                if self._locked:
                    continue
                self._advance(simulated)
                self._read_lines()

    def _advance(self, seconds: float) -> None:
        if self._state == "Home":
            self._advance_homing(seconds)
            return
        if self._state == "Hold" and self._hold_left > 0:
            spent = min(seconds, self._hold_left)
            self._hold_left -= spent
            self._move_along(spent / 2)  # slowing down to a stop: half the speed on average
            return
        if self._state not in ("Run", "Jog"):
            return
        self._move_along(seconds)
        if not self._planner:
            self.planner_emptied += 1
            self._state = "Idle"

    def _move_along(self, seconds: float) -> None:
        while self._planner and seconds > 0:
            block, left = self._planner[0]
            if left > seconds:
                self._planner[0] = (block, left - seconds)
                done = 1 - (left - seconds) / block.seconds
                self._actual = [s + (t - s) * done for s, t in zip(self._segment_start, block.target, strict=True)]
                return
            seconds -= left
            self._planner.pop(0)
            self._actual = list(block.target)
            self._segment_start = list(block.target)
            self.executed.append(block)

    def _start_homing(self) -> None:
        self._homing = homing_phases(self.settings, list(self.machine_position))
        self.homing_seconds = sum(phase.seconds for phase in self._homing)
        self._state = "Home"

    def _advance_homing(self, seconds: float) -> None:
        wco = self._wco
        while self._homing and seconds > 0:
            phase = self._homing[0]
            spent = min(seconds, phase.left)
            seconds -= spent
            phase.left -= spent
            done = 1 - phase.left / phase.seconds if phase.seconds > 0 else 1.0
            self._actual = [s + (t - s) * done - o for s, t, o in zip(phase.start, phase.target, wco, strict=True)]
            if phase.left > 0:
                return
            self._homing.pop(0)
        self._homed, self._state = True, "Idle"
        self._m.position = list(self._actual)
        self._segment_start = list(self._actual)
        self._wco_countdown = 0  # grblHAL reports its new homed state at once
        self._send("ok")  # $H is answered when the cycle is over

    def _read_lines(self) -> None:
        while self._state not in ("Door", "Home") and len(self._planner) < PLANNER_BLOCKS and not self._locked:
            ends = [i for i in (self._rx.find(b"\n"), self._rx.find(b"\r")) if i >= 0]
            if not ends:
                return
            end = min(ends)  # protocol.c: '\n' and '\r' each end a line
            raw = bytes(self._rx[:end])
            del self._rx[: end + 1]
            line, overflow = read_line(raw)
            if overflow:
                self._send("error:11")
            else:
                self._line(line)

    def _line(self, line: str) -> None:
        if not line:
            self._send("ok")  # an empty or comment-only line: for syncing, protocol.c says
            return
        if line.startswith("$"):
            code = self._dollar(line)
            if code is not None:
                self._send("ok" if code == 0 else f"error:{code}")
            return
        if self._state in ("Alarm", "Jog"):
            self._send("error:9")
            return
        if self._refuse_next is not None and not self._check:
            self._send(f"error:{self._refuse_next}")
            self._refuse_next = None
            return
        code = self._gcode(line)
        if code == 0 and not self._check:
            self.accepted.append(line)
        if not self._locked:
            self._send("ok" if code == 0 else f"error:{code}")

    def _dollar(self, line: str) -> int | None:
        """system_execute_line: the status code to answer, or None when the answer comes later or not at all."""
        body = line[1:]
        if body == "":
            self._send("[HLP:$$ $# $G $I $N $x=val $Nx=line $J=line $SLP $C $X $H ~ ! ? ctrl-x]")
            return 0
        if body[0] in "$GCX":
            if len(body) != 1:
                return 3
            if body == "$":
                if self._state in ("Run", "Hold"):
                    return 8
                for key in sorted(self.settings):
                    self._send(f"${key}={self.settings[key]:g}")
            elif body == "G":
                self._send(f"[GC:G{self._m.motion[1:]} G54 G17 {'G20' if self._m.inches else 'G21'} "
                           f"{'G90' if self._m.absolute else 'G91'} G94 {self._m.spindle} {self._m.coolant} T0 "
                           f"F{self._m.feed:g} S{self._m.power:g}]")  # fmt: skip
            elif body == "C":
                if self._check:
                    self._send("[MSG:Disabled]")
                    self._send("ok")
                    self._reset()  # leaving check mode resets the controller (mc_reset)
                    return None
                if self._state != "Idle":
                    return 8  # "Requires no alarm mode": only from Idle
                self._check, self._state = True, "Check"
                self._send("[MSG:Enabled]")
            elif self._state == "Alarm":  # $X
                if self.door_open:
                    return 13
                self._state = "Idle"
                self._send("[MSG:Caution: Unlocked]")
            return 0
        if self._state not in ("Idle", "Alarm"):
            return 8  # EEPROM, homing and the rest only when Idle or Alarm
        if body == "I":
            self._send(f"[VER:{HAL_VERSION if self.hal else VERSION}:]")
            options = "V" + ("M" if self.mist else "") + ("" if self._homing_lock or self.hal else "L")
            self._send(f"[OPT:{options},{PLANNER_BLOCKS},{self.rx_size}]")  # L: *no* homing lock (report.c)
            if self.hal:
                self._send("[FIRMWARE:grblHAL]")
            return 0
        if body == "H":
            if not int(self.settings[22]) & 1:
                return 5
            if self.door_open:
                return 13
            self._start_homing()
            return None
        found = re.fullmatch(r"(\d+)=([-+]?\d*\.?\d+)", body)
        if found is None:
            return 2 if _NUMBER.match(body) is None else 3  # read_float fails on $Q: error 2
        key, value = int(found.group(1)), float(found.group(2))
        if key > 255 or key not in self.settings:
            return 3
        if value < 0:
            return 4
        self.settings[key] = value  # EEPROM write
        return 0

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
            elif command in ("M7", "M8", "M9"):
                if (command == "M7" and not self.mist) or (command == "M8" and not self.coolant):
                    return 20  # gcode.c: M7 only with ENABLE_M7
                m.coolant = command
            elif command in ("M2", "M30"):  # gcode.c program end: modes back to their defaults
                m.spindle, m.power, m.coolant = "M5", 0.0, "M9"
                m.absolute, m.motion = True, "G1"
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
        machine = [t + o for t, o in zip(target, self._wco, strict=True)]
        # limits.c: the travel is [-$13x, 0]; grblHAL checks soft limits only once the axes are homed
        enforced = self.settings[20] and (self._homed or not self.hal)
        if enforced and not all(-self.settings[130 + i] - 1e-6 <= t <= 1e-6 for i, t in enumerate(machine)):
            self._alarm(2)  # soft limit: even in check mode, GRBL raises the alarm (mc_line)
            return 0
        direction = tuple(t - p for t, p in zip(target, m.position, strict=True))
        fastest = axis_limited(self.settings, direction, 110)
        speed = fastest if motion == "G0" else min(m.feed / 60, fastest)
        joined = motion != "G0" and continues_straight(self._last_motion, direction, speed)
        seconds = motion_seconds(self.settings, direction, speed, joined)
        self._last_motion = (motion, direction, speed)
        block = Block(motion, (target[0], target[1], target[2]), m.feed, m.spindle, m.power, seconds)
        m.position = target  # the parser's position runs ahead of the machine's, as in GRBL
        self._queue(block)
        return 0

    def _queue(self, block: Block) -> None:
        if self._check:
            return
        if not self._planner:
            self._segment_start = list(self._actual)
        self._planner.append((block, block.seconds))
        if self._state == "Idle":
            self._state = "Run"


def _axes(values: tuple[float, float, float] | list[float]) -> str:
    return ",".join(f"{v:.3f}" for v in values)
