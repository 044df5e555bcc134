"""The GRBL simulator's pure parts: how protocol.c keeps a line, how long the planner takes for a move, and the
moves of a homing cycle (limits.c). No state, no I/O."""

from __future__ import annotations

import math
from dataclasses import dataclass

LINE_LIMIT = 80  # LINE_BUFFER_SIZE (protocol.c): at most 79 characters of a line are kept
HOMING_CYCLES = ((2,), (0, 1))  # config.h: HOMING_CYCLE_0 is Z, HOMING_CYCLE_1 is X and Y together


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
class HomingPhase:
    """One move of a homing cycle, in machine coordinates."""

    start: list[float]
    target: list[float]
    seconds: float
    left: float


def read_line(raw: bytes) -> tuple[str, bool]:
    """One line as protocol_main_loop keeps it: spaces and control characters dropped, `(...)` and `;` comments
    and block delete `/` skipped, lower case raised; (kept text, overflowed past LINE_BUFFER_SIZE - 1)."""
    kept: list[str] = []
    parenthesis = semicolon = overflow = False
    for byte in raw:
        char = chr(byte)
        if parenthesis or semicolon or overflow:
            if char == ")" and parenthesis:
                parenthesis = False  # a ')' ends the comment; an overflow or ';' lasts to the end of the line
        elif byte <= 0x20 or char == "/":
            continue
        elif char == "(":
            parenthesis = True
        elif char == ";":
            semicolon = True
        elif len(kept) >= LINE_LIMIT - 1:
            overflow = True
        else:
            kept.append(char.upper())
    return "".join(kept), overflow


def home_machine_position(settings: dict[int, float]) -> list[float]:
    """limits_go_home: toward the switch at the minimum ($23 bit set) or the maximum, then $27 off it."""
    pulloff, mask = settings[27], int(settings[23])
    return [-settings[130 + i] + pulloff if mask & (1 << i) else -pulloff for i in range(3)]


def homing_phases(settings: dict[int, float], machine: list[float]) -> list[HomingPhase]:
    """limits_go_home per cycle: search at $25 until the switch, pull off $27 at $25, approach again at $24,
    pull off at $25 (N_HOMING_LOCATE_CYCLE 1); each axis moves at the homing rate itself."""
    seek, locate = max(settings[25], 1e-3) / 60, max(settings[24], 1e-3) / 60
    pulloff, mask, home = settings[27], int(settings[23]), home_machine_position(settings)
    phases: list[HomingPhase] = []
    for axes in HOMING_CYCLES:
        switch, off = list(machine), list(machine)
        for axis in axes:
            switch[axis] = -settings[130 + axis] if mask & (1 << axis) else 0.0
            off[axis] = home[axis]
        search = max(abs(switch[a] - machine[a]) for a in axes) / seek
        for start, target, seconds in (
            (machine, switch, search),
            (switch, off, pulloff / seek),
            (off, switch, pulloff / locate),
            (switch, off, pulloff / seek),
        ):
            phases.append(HomingPhase(list(start), list(target), seconds, seconds))
        machine = off
    return phases


def continues_straight(last: tuple[str, tuple[float, ...], float], direction: tuple[float, ...], speed: float) -> bool:
    """The planner joins a move to the one before without slowing down when it carries straight on."""
    motion, before, before_speed = last
    length, before_length = math.hypot(*direction), math.hypot(*before)
    if motion == "G0" or abs(before_speed - speed) > 1e-6 * speed or length == 0 or before_length == 0:
        return False
    return sum(a * b for a, b in zip(direction, before, strict=True)) / (length * before_length) > 0.9999


def axis_limited(settings: dict[int, float], direction: tuple[float, ...], first_setting: int) -> float:
    """The most a move in this direction may have (rate $110-$112 in mm/min, or acceleration $120-$122) so
    that no axis exceeds its own limit."""
    length = math.hypot(*direction)
    scale = 60.0 if first_setting == 110 else 1.0
    limits = [settings[first_setting + i] / scale * length / abs(d) for i, d in enumerate(direction) if abs(d) > 1e-9]
    return max(min(limits, default=settings[first_setting] / scale), 1e-3)


def motion_seconds(settings: dict[int, float], direction: tuple[float, ...], speed: float, continues: bool) -> float:
    """Trapezoid from rest to rest (a triangle if the move is short), or cruise only when it continues."""
    distance = math.hypot(*direction)
    acceleration = axis_limited(settings, direction, 120)
    if distance == 0:
        return 0.0
    if continues:
        return distance / speed
    if distance >= speed * speed / acceleration:
        return distance / speed + speed / acceleration
    return 2 * math.sqrt(distance / acceleration)
