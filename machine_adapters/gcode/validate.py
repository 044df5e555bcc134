"""The validator: raw G-code in, a SafeProgram out, or every reason it cannot run on this machine.

Tracks the modal state the firmware keeps (absolute or relative moves, extruder mode, units, feed rate,
position) so each value is checked where the machine would really go. Nothing is clamped: a program outside
the limits is refused with the line, the command and the reason, and the pipeline that made it is fixed.
"""

from __future__ import annotations

import math
import re
from array import array
from dataclasses import dataclass, field

from machine_adapters.gcode.parse import Line, LineRejected, parse_line
from machine_adapters.gcode.program import Finding, ProgramRejected, SafeProgram, _make
from machine_adapters.gcode.rules import REFUSED_BECAUSE, allowed_for
from machine_adapters.profiles import MachineKind, MachineProfile

MAX_FINDINGS = 50
_NAN = float("nan")
MARLIN_COMMAND_MAX = 80  # leaves room for `N<line> ` and `*<checksum>` within Marlin's 96-byte buffer
GRBL_LINE_MAX = 70  # GRBL's line buffer is 80 characters
HOTEND_OVERSHOOT = 15.0  # a heater overshoots its target; stay that far below the firmware maximum
LONGEST_DWELL_S = 600.0
EPSILON = 1e-6

_PARSE_REASONS = {
    "line_too_long": "the line is longer than any firmware accepts",
    "non_ascii": "the line contains characters outside plain ASCII",
    "control_character": "the line contains a control character (such as a carriage return) a firmware would act on",
    "unbalanced_comment": "a comment in parentheses is not closed",
    "bad_checksum": "the line's checksum is wrong",
    "bad_line_number": "the line number is malformed",
    "not_gcode": "the line contains something that is not G-code",
    "command_without_number": "a command letter has no number",
    "repeated_parameter": "a parameter is given twice",
    "bad_command_number": "a command number is malformed",
    "system_command": "GRBL system commands ($) are never part of a program",
}


_NUM = r"(-?[0-9]*\.?[0-9]+)"
_LEADING_COMMAND = re.compile(r"\s*(?:N\s*[0-9]+\s*)?([GMT])\s*([0-9]+(?:\.[0-9]+)?)")
_PLAIN_MOVE = re.compile(rf"G([01])(?: X{_NUM})?(?: Y{_NUM})?(?: Z{_NUM})?(?: E{_NUM})?(?: F([0-9]*\.?[0-9]+))?")


@dataclass
class _State:
    absolute: bool = True
    e_absolute: bool = True
    inches: bool = False
    position: list[float | None] = field(default_factory=lambda: [None, None, None])
    e: float = 0.0
    feed: float | None = None  # mm/min
    motion: str | None = None  # GRBL's modal motion command


class _Refused(Exception):
    def __init__(self, rule: str, message: str) -> None:
        self.rule = rule
        self.message = message


def validate_program(text: str, profile: MachineProfile) -> SafeProgram:
    """Check every line against the machine's profile; return the SafeProgram or raise ProgramRejected."""
    checker = _Checker(profile)
    lines: list[str] = []
    sources: list[int] = []
    positions: array[float] = array("f")
    findings: list[Finding] = []
    position = checker.state.position
    for number, raw in enumerate(text.split("\n"), start=1):
        if raw.endswith("\r"):
            raw = raw[:-1]  # a CRLF line ending; any other carriage return is refused by the parser
        try:
            canonical = checker.check(raw)
        except _Refused as refused:
            findings.append(Finding(number, raw[:200], refused.rule, refused.message))
            if len(findings) >= MAX_FINDINGS:
                break
            continue
        if canonical is not None:
            lines.append(canonical)
            sources.append(number)
            x, y, z = position
            positions.extend((_NAN if x is None else x, _NAN if y is None else y, _NAN if z is None else z))
    if findings:
        raise ProgramRejected(profile.id, findings)
    if not lines:
        raise ProgramRejected(profile.id, [Finding(0, "", "empty_program", "the program contains no commands")])
    return _make(profile.id, lines, sources, positions)


class _Checker:
    def __init__(self, profile: MachineProfile) -> None:
        self.profile = profile
        self.marlin = profile.kind is MachineKind.FDM_PRINTER
        self.allowed = allowed_for(profile.kind)
        self.state = _State()
        self.max_length = MARLIN_COMMAND_MAX if self.marlin else GRBL_LINE_MAX
        env = profile.envelope
        self.ranges = ((0.0, env.x), (0.0, env.y), profile.z_range)  # routers cut below the stock's top
        self.max_extrusion = profile.limits.max_extrusion_per_move + EPSILON
        feeds = profile.limits.max_feed_mm_s
        self.max_feed = tuple(feeds.get(axis, math.inf) + EPSILON for axis in "xyze")

    def check(self, raw: str) -> str | None:
        fast = _PLAIN_MOVE.fullmatch(raw) if self.marlin and len(raw) <= self.max_length else None
        if fast is not None:
            # the shape slicers write on almost every line: checked without the general parser, same rules
            code, x, y, z, e, f = fast.groups()
            self._move(
                "G" + code,
                None if x is None else float(x),
                None if y is None else float(y),
                None if z is None else float(z),
                None if e is None else float(e),
                None if f is None else float(f),
            )
            return raw
        try:
            line = parse_line(raw)
        except LineRejected as e:
            self._refuse_named_command(raw)  # a forbidden command is named as such, whatever follows it
            raise _Refused(e.rule, _PARSE_REASONS.get(e.rule, e.rule)) from e
        if line is None:
            return None
        if len(line.canonical) > self.max_length:
            raise _Refused("line_too_long", f"the command is longer than the firmware's {self.max_length} characters")
        commands = line.commands
        if self.marlin and len(commands) != 1:
            raise _Refused("one_command_per_line", "a printer line must hold exactly one command")
        if not commands:
            if self.state.motion is None:
                raise _Refused("no_command", "the line has no command and no motion mode is active")
            commands = (self.state.motion,)
        for command in commands:
            self._check_command(command, line)
        return line.canonical

    def _refuse_named_command(self, raw: str) -> None:
        match = _LEADING_COMMAND.match(raw.split(";", 1)[0].upper())
        if match is None:
            return
        letter, number = match.groups()
        whole, _, fraction = number.partition(".")
        fraction = fraction.rstrip("0")
        command = f"{letter}{int(whole)}" + (f".{fraction}" if fraction else "")
        if command not in self.allowed:
            reason = REFUSED_BECAUSE.get(command, f"is not a command fabkiosk sends to a {self.profile.kind.value}")
            raise _Refused("command_not_allowed", f"{command} {reason}")

    def _check_command(self, command: str, line: Line) -> None:
        allowed_params = self.allowed.get(command)
        if allowed_params is None:
            reason = REFUSED_BECAUSE.get(command, f"is not a command fabkiosk sends to a {self.profile.kind.value}")
            raise _Refused("command_not_allowed", f"{command} {reason}")
        extra = set(line.params) - allowed_params
        if extra:
            raise _Refused("parameter_not_allowed", f"{command} may not carry {', '.join(sorted(extra))}")
        for letter, value in line.params.items():
            if math.isnan(value) and not (command == "G28" and letter in "XYZ"):
                raise _Refused("missing_value", f"{letter} has no value")
            if math.isinf(value) or abs(value) > 1e7:
                raise _Refused("value_out_of_range", f"{letter} is out of range")
        handler = getattr(self, "_" + command.replace(".", "_"), None)
        if handler is not None:
            handler(command, line.params)

    # --- modes ---------------------------------------------------------------------------------

    def _G90(self, _c: str, _p: dict[str, float]) -> None:
        self.state.absolute = True
        if self.marlin:
            self.state.e_absolute = True  # Marlin's G90 resets the extruder to absolute as well

    def _G91(self, _c: str, _p: dict[str, float]) -> None:
        self.state.absolute = False
        if self.marlin:
            self.state.e_absolute = False

    def _M82(self, _c: str, _p: dict[str, float]) -> None:
        self.state.e_absolute = True

    def _M83(self, _c: str, _p: dict[str, float]) -> None:
        self.state.e_absolute = False

    def _G20(self, _c: str, _p: dict[str, float]) -> None:
        self.state.inches = True

    def _G21(self, _c: str, _p: dict[str, float]) -> None:
        self.state.inches = False

    def _G92(self, _c: str, params: dict[str, float]) -> None:
        self.state.e = params.get("E", 0.0)

    def _G28(self, _c: str, params: dict[str, float]) -> None:
        axes = [i for i, a in enumerate("XYZ") if a in params] or [0, 1, 2]
        for axis in axes:
            self.state.position[axis] = 0.0  # homed to the minimum endstops: the origin of the envelope

    # --- motion --------------------------------------------------------------------------------

    def _G0(self, command: str, params: dict[str, float]) -> None:
        self._linear(command, params)

    def _G1(self, command: str, params: dict[str, float]) -> None:
        self._linear(command, params)

    def _G2(self, command: str, params: dict[str, float]) -> None:
        self._arc(command, params, clockwise=True)

    def _G3(self, command: str, params: dict[str, float]) -> None:
        self._arc(command, params, clockwise=False)

    def _target(self, x: float | None, y: float | None, z: float | None) -> list[float]:
        """Move to the target, checking it lies in the envelope; the distance per axis in mm.

        Refuses relative moves from an unknown position (before homing).
        """
        state = self.state
        position = state.position
        absolute = state.absolute
        scale = 25.4 if state.inches else 1.0
        deltas = [0.0, 0.0, 0.0]
        for axis, value in ((0, x), (1, y), (2, z)):
            if value is None:
                continue
            current = position[axis]
            if absolute:
                target = value * scale
            elif current is None:
                raise _Refused("position_unknown", f"a relative {'XYZ'[axis]} move before the position is known")
            else:
                target = current + value * scale
            low, high = self.ranges[axis]
            if target < low - EPSILON or target > high + EPSILON:
                self._inside(axis, target)
            if current is not None:
                deltas[axis] = target - current
            position[axis] = target
        return deltas

    def _inside(self, axis: int, value: float) -> None:
        low, high = self.ranges[axis]
        if not low - EPSILON <= value <= high + EPSILON:
            raise _Refused(
                "outside_envelope", f"{'XYZ'[axis]}{value:.3f} is outside the machine's travel ({low:g} to {high:g} mm)"
            )

    def _linear(self, command: str, params: dict[str, float]) -> None:
        g = params.get
        self._move(command, g("X"), g("Y"), g("Z"), g("E"), g("F"))
        self._check_power(params)

    def _move(
        self, command: str, x: float | None, y: float | None, z: float | None, e: float | None, f: float | None
    ) -> None:
        """A straight move: feed rate, travel, extrusion and speed per axis, all checked."""
        self.state.motion = command
        rapid = command == "G0" and not self.marlin  # GRBL rapids run at the machine's own rapid rate
        if not rapid:
            self._feed(f)
        delta = self._target(x, y, z)
        extrusion = self._extrusion(e)
        if rapid:
            return
        self._check_speeds(delta, extrusion)

    def _arc(self, command: str, params: dict[str, float], clockwise: bool) -> None:
        self.state.motion = command
        self._feed(params.get("F"))
        scale = 25.4 if self.state.inches else 1.0
        if self.state.position[0] is None or self.state.position[1] is None:
            raise _Refused("position_unknown", f"{command} before the machine knows where it is")
        start = [p if p is not None else 0.0 for p in self.state.position]
        delta = self._target(params.get("X"), params.get("Y"), params.get("Z"))
        end = [s + d for s, d in zip(start, delta, strict=True)]
        if "R" in params:
            center = _center_from_radius(start, end, params["R"] * scale, clockwise)
        else:
            if "I" not in params and "J" not in params:
                raise _Refused("arc_without_center", f"{command} needs I and J, or R")
            center = (start[0] + params.get("I", 0.0) * scale, start[1] + params.get("J", 0.0) * scale)
        for x, y in _arc_extremes(start, end, center, clockwise):
            self._inside(0, x)
            self._inside(1, y)
        self._extrusion(params.get("E"))
        # an arc turns through every direction: its feed may not exceed the slower of X and Y
        limits = self.profile.limits.max_feed_mm_s
        slowest = min(limits.get("x", math.inf), limits.get("y", math.inf))
        if self.state.feed is not None and self.state.feed / 60.0 > slowest + EPSILON:
            raise _Refused(
                "feed_too_fast", f"arc at {self.state.feed / 60.0:.1f} mm/s; this machine allows {slowest:g}"
            )
        self._check_power(params)

    def _feed(self, f: float | None) -> None:
        if f is not None:
            feed = f * (25.4 if self.state.inches else 1.0)
            if feed <= 0:
                raise _Refused("bad_feed_rate", "the feed rate must be positive")
            self.state.feed = feed
        elif self.state.feed is None:
            raise _Refused("no_feed_rate", "a move before any feed rate (F) was set")

    def _extrusion(self, value: float | None) -> float:
        if value is None:
            return 0.0
        state = self.state
        amount = value - state.e if state.e_absolute else value
        if state.e_absolute:
            state.e = value
        if abs(amount) > self.max_extrusion:
            raise _Refused(
                "extrusion_too_long", f"extrudes {amount:.2f} mm in one move; at most {self.max_extrusion:g} mm"
            )
        return amount

    def _check_speeds(self, delta: list[float], extrusion: float) -> None:
        feed = self.state.feed
        if feed is None:
            return
        dx, dy, dz = delta
        length = math.sqrt(dx * dx + dy * dy + dz * dz)
        if length <= EPSILON:
            if extrusion and feed / 60.0 > self.max_feed[3]:
                self._too_fast(3, feed / 60.0)
            return
        ratio = feed / 60.0 / length  # mm/s per mm of this axis' share of the move
        for axis, component in enumerate((dx, dy, dz, extrusion)):
            if component and abs(component) * ratio > self.max_feed[axis]:
                self._too_fast(axis, abs(component) * ratio)

    def _too_fast(self, axis: int, speed: float) -> None:
        letter = "XYZE"[axis]
        raise _Refused(
            "feed_too_fast", f"moves {letter} at {speed:.1f} mm/s; this machine allows {self.max_feed[axis]:g} mm/s"
        )

    def _check_power(self, params: dict[str, float]) -> None:
        if "S" in params and not self.marlin:
            self._spindle_or_laser(params["S"])

    # --- temperatures, fans, factors, limits ---------------------------------------------------

    def _hotend(self, command: str, params: dict[str, float]) -> None:
        ceiling = self.profile.limits.hotend_max - HOTEND_OVERSHOOT
        self._temperature(command, params, "nozzle", self.profile.material.hotend, ceiling)

    _M104 = _hotend
    _M109 = _hotend

    def _bed(self, command: str, params: dict[str, float]) -> None:
        self._temperature(command, params, "bed", self.profile.material.bed, self.profile.limits.bed_max)

    def _temperature(
        self, command: str, params: dict[str, float], heater: str, allowed: tuple[float, float] | None, ceiling: float
    ) -> None:
        """A target of 0 (off) or within the loaded material's range and below the firmware's maximum."""
        if "S" not in params and "R" not in params:
            raise _Refused("missing_value", f"{command} needs a temperature (S)")
        low, high = allowed or (0.0, 0.0)
        high = min(high, ceiling)
        for letter in ("S", "R"):
            value = params.get(letter, 0.0)
            if value != 0 and not low <= value <= high:
                material = self.profile.material.name
                raise _Refused(
                    "temperature_out_of_range",
                    f"{heater} {value:g} °C is outside {low:g} to {high:g} °C for {material}",
                )

    _M140 = _bed
    _M190 = _bed

    def _M106(self, _c: str, params: dict[str, float]) -> None:
        if not 0 <= params.get("S", 255) <= 255 or params.get("P", 0) != 0:
            raise _Refused("value_out_of_range", "fan speed must be 0 to 255 on fan 0")

    def _factor(self, command: str, params: dict[str, float]) -> None:
        if not 50 <= params.get("S", 100) <= 150:
            raise _Refused("value_out_of_range", f"{command} factor must be 50 to 150 %")

    _M220 = _factor
    _M221 = _factor

    def _M73(self, _c: str, params: dict[str, float]) -> None:
        if not 0 <= params.get("P", 0) <= 100:
            raise _Refused("value_out_of_range", "progress must be 0 to 100 %")

    def _G4(self, _c: str, params: dict[str, float]) -> None:
        seconds = params.get("S", 0.0) + params.get("P", 0.0) / 1000.0
        if not 0 <= seconds <= LONGEST_DWELL_S:
            raise _Refused("value_out_of_range", f"a pause of {seconds:g} s; at most {LONGEST_DWELL_S:g} s")

    def _motion_limit(self, command: str, params: dict[str, float], unit: str) -> None:
        for letter, value in params.items():
            if command == "M203":
                limit = self.profile.limits.max_feed_mm_s.get(letter.lower(), 0.0)
            else:
                limit = self.profile.limits.max_acceleration
            if not 0 < value <= limit + EPSILON:
                raise _Refused(
                    "above_machine_limit", f"{command} {letter}{value:g} {unit} is above this machine's {limit:g}"
                )

    def _M201(self, command: str, params: dict[str, float]) -> None:
        self._motion_limit(command, params, "mm/s²")

    def _M203(self, command: str, params: dict[str, float]) -> None:
        self._motion_limit(command, params, "mm/s")

    def _M204(self, command: str, params: dict[str, float]) -> None:
        self._motion_limit(command, params, "mm/s²")

    # --- spindles and lasers (GRBL) --------------------------------------------------------------

    def _M3(self, _c: str, params: dict[str, float]) -> None:
        if "S" in params:
            self._spindle_or_laser(params["S"])

    _M4 = _M3

    def _spindle_or_laser(self, s: float) -> None:
        limits = self.profile.limits
        if self.profile.kind is MachineKind.LASER_ENGRAVER:
            cap = min(limits.laser_power_max_pct, self.profile.material.laser_power_max_pct or 0.0)
            highest = cap / 100.0 * self.profile.spindle_s_max
            if not 0 <= s <= highest + EPSILON:
                raise _Refused("laser_power_too_high", f"laser power S{s:g} is above {highest:g} ({cap:g} %)")
        elif limits.spindle_rpm is not None:
            low, high = limits.spindle_rpm
            if s != 0 and not low <= s <= high:
                raise _Refused("spindle_out_of_range", f"spindle S{s:g} rpm is outside {low:g} to {high:g} rpm")


def _center_from_radius(start: list[float], end: list[float], radius: float, clockwise: bool) -> tuple[float, float]:
    dx, dy = end[0] - start[0], end[1] - start[1]
    chord = math.hypot(dx, dy)
    if chord < EPSILON or abs(radius) < chord / 2 - EPSILON:
        raise _Refused("bad_arc", "the arc's radius is too small for its end point")
    h = math.sqrt(max(radius * radius - chord * chord / 4, 0.0))
    # G2 with positive R takes the short way round; the sign of R picks the long way
    sign = -1.0 if clockwise == (radius > 0) else 1.0
    mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
    return (mx - sign * h * dy / chord, my + sign * h * dx / chord)


def _arc_extremes(
    start: list[float], end: list[float], center: tuple[float, float], clockwise: bool
) -> list[tuple[float, float]]:
    """The end point and every axis-extreme point the arc passes through."""
    cx, cy = center
    radius = math.hypot(start[0] - cx, start[1] - cy)
    a0 = math.atan2(start[1] - cy, start[0] - cx)
    a1 = math.atan2(end[1] - cy, end[0] - cx)
    sweep = (a0 - a1) if clockwise else (a1 - a0)
    sweep %= 2 * math.pi
    if sweep < EPSILON:
        sweep = 2 * math.pi  # same start and end: a full circle
    points = [(end[0], end[1])]
    for quadrant in range(4):
        angle = quadrant * math.pi / 2
        offset = ((a0 - angle) if clockwise else (angle - a0)) % (2 * math.pi)
        if offset <= sweep:
            points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points
