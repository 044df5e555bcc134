"""The validator: raw G-code in, a SafeProgram out, or every reason it cannot run on this machine.

Tracks the state the firmware keeps, as the firmware's own source does (Marlin's `GCodeParser` and `gcode/`
handlers, GRBL's `gcode.c`): distance and extruder modes, feed rate, spindle and coolant, homed axes, position.
Each value is checked where the machine would really go, against the material loaded now. Nothing is clamped: a
program outside the limits is refused with the line, the command and the reason, and the pipeline that made it is
fixed. (Longer than 400 lines: one checker class per firmware state model reads better whole than split.)
"""

from __future__ import annotations

import math
import re
from array import array
from dataclasses import dataclass, field
from typing import Protocol

from machine_adapters.gcode.arcs import BadArc, arc_extremes, center_from_radius, sweep_of
from machine_adapters.gcode.parse import Line, LineRejected, parse_line
from machine_adapters.gcode.program import Finding, Maker, ProgramRejected, SafeProgram, claim_maker
from machine_adapters.gcode.rules import REFUSED_BECAUSE, allowed_for
from machine_adapters.profiles import MachineKind, MachineProfile

MAX_FINDINGS = 50
_NAN = float("nan")
MARLIN_COMMAND_MAX = 80  # leaves room for `N<line> ` and `*<checksum>` within Marlin's 96-byte buffer
GRBL_LINE_MAX = 70  # GRBL's line buffer is 80 characters
HOTEND_OVERSHOOT = 15.0  # a heater overshoots its target; stay that far below the firmware maximum
# longest pause per kind, in seconds: a printer may wait for its part to cool; a router dwells with the spindle
# turning in the stock, so only a spin-up's few seconds
LONGEST_DWELL_S = {MachineKind.FDM_PRINTER: 600.0, MachineKind.CNC_ROUTER: 30.0, MachineKind.LASER_ENGRAVER: 30.0}
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

# GRBL runs a line's commands in a fixed order whatever order they are written in (gcode.c, gc_execute_line,
# "STEP 4: EXECUTE"): spindle, coolant, dwell, plane, units, coordinate system, distance mode, motion, program end
_GRBL_ORDER = {
    "G94": 2,
    "M3": 7,
    "M4": 7,
    "M5": 7,
    "M8": 8,
    "M9": 8,
    "G4": 10,
    "G17": 11,
    "G21": 12,
    "G54": 15,
    "G90": 17,
    "G91": 17,
    "G0": 20,
    "G1": 20,
    "G2": 20,
    "G3": 20,
    "M2": 21,
    "M30": 21,
}

_AXIS_FLAGS = frozenset({"G28", "M18", "M84"})  # commands that take bare axis letters (`G28 X`, `M18 Z`)

_NUM = r"(-?[0-9]*\.?[0-9]+)"
_LEADING_COMMAND = re.compile(r"\s*(?:N\s*[0-9]+\s*)?([GMT])\s*([0-9]+(?:\.[0-9]+)?)")
_PLAIN_MOVE = re.compile(rf"G([01])(?: X{_NUM})?(?: Y{_NUM})?(?: Z{_NUM})?(?: E{_NUM})?(?: F([0-9]*\.?[0-9]+))?")


@dataclass
class _State:
    absolute: bool = True
    e_absolute: bool = True
    # None: not known. On a printer that means not homed (before G28, after M84/M18), and no move may use it.
    position: list[float | None] = field(default_factory=lambda: [None, None, None])
    e: float = 0.0
    feed: float | None = None  # mm/min
    motion: str | None = None  # GRBL's modal motion command
    spindle: str | None = None  # GRBL: "M3" or "M4" while the spindle or laser is on
    spindle_s: float = 0.0  # GRBL's S word, kept until the next S (M2/M30 do not reset it)
    coolant: bool = False


class _Refused(Exception):
    def __init__(self, rule: str, message: str) -> None:
        self.rule = rule
        self.message = message


class Validator(Protocol):
    def __call__(self, text: str, profile: MachineProfile, material: str | None = None) -> SafeProgram: ...


def _sealed(make: Maker) -> Validator:
    """validate_program, holding the only SafeProgram maker in its closure: no module attribute reaches it."""

    def validate_program(text: str, profile: MachineProfile, material: str | None = None) -> SafeProgram:
        """Check every line against the machine's profile and the material loaded now (the profile's own when
        not given); return the SafeProgram or raise ProgramRejected."""
        loaded = material or profile.loaded_material
        if loaded not in profile.materials:
            finding = Finding(0, "", "unknown_material", f"{profile.id} has no material {loaded}")
            raise ProgramRejected(profile.id, [finding])
        checker = _Checker(profile, loaded)
        lines: list[str] = []
        sources: list[int] = []
        positions: array[float] = array("f")
        mode_changes: list[tuple[int, bool, bool]] = []
        findings: list[Finding] = []
        state = checker.state
        position = state.position
        modes = (True, True)
        number = 0
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
                if (state.absolute, state.e_absolute) != modes:
                    modes = (state.absolute, state.e_absolute)
                    mode_changes.append((len(lines), *modes))
                lines.append(canonical)
                sources.append(number)
                x, y, z = position
                feed = state.feed
                positions.extend(
                    (
                        _NAN if x is None else x,
                        _NAN if y is None else y,
                        _NAN if z is None else z,
                        _NAN if feed is None else feed,
                    )
                )
        if not findings:
            try:
                checker.finish()
            except _Refused as refused:
                findings.append(Finding(number, "", refused.rule, refused.message))
        if findings:
            raise ProgramRejected(profile.id, findings)
        if not lines:
            raise ProgramRejected(profile.id, [Finding(0, "", "empty_program", "the program contains no commands")])
        return make(profile.id, loaded, lines, sources, positions, mode_changes)

    return validate_program


validate_program = _sealed(claim_maker())


class _Checker:
    def __init__(self, profile: MachineProfile, material: str) -> None:
        self.profile = profile
        self.material = profile.materials[material]
        self.marlin = profile.kind is MachineKind.FDM_PRINTER
        self.laser = profile.kind is MachineKind.LASER_ENGRAVER
        self.allowed = allowed_for(profile.kind)
        self.state = _State()
        self.max_length = MARLIN_COMMAND_MAX if self.marlin else GRBL_LINE_MAX
        env = profile.envelope
        z_low, z_high = profile.z_range  # routers: work coordinates from the stock's top, within the work range
        if profile.kind is MachineKind.CNC_ROUTER:
            # Z0 is the stock's top: a cut goes through the sheet and at most the allowance into the spoil board
            z_low = max(z_low, -((self.material.stock_mm or 0.0) + profile.limits.spoilboard_allowance_mm))
        self.ranges = ((0.0, env.x), (0.0, env.y), (z_low, z_high))
        self.max_extrusion = profile.limits.max_extrusion_per_move + EPSILON
        feeds = profile.limits.max_feed_mm_s
        self.max_feed = tuple(feeds.get(axis, math.inf) + EPSILON for axis in "xyze")
        self.longest_dwell = LONGEST_DWELL_S[profile.kind]
        # lasers: the most S per mm/s of feed, from the material's full power at its slowest allowed feed
        cap = min(profile.limits.laser_power_max_pct, self.material.laser_power_max_pct or 0.0)
        self.laser_s_max = cap / 100.0 * profile.spindle_s_max
        self.laser_cap_pct = cap
        self.energy_max = self.laser_s_max / (self.material.laser_min_feed_mm_s or math.inf)

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
            self._check_words(command, line)
        if not self.marlin:
            self._grbl_words(line.params)
            commands = tuple(sorted(commands, key=lambda c: _GRBL_ORDER.get(c, 20)))
        for command in commands:
            handler = getattr(self, "_" + command.replace(".", "_"), None)
            if handler is not None:
                handler(command, line.params)
        return line.canonical

    def finish(self) -> None:
        """The state the program leaves the machine in: never with the spindle, laser or coolant still on."""
        if not self.marlin and (self.state.spindle is not None or self.state.coolant):
            raise _Refused("ends_running", "the program ends with the spindle, laser or coolant still on (add M5, M9)")

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

    def _check_words(self, command: str, line: Line) -> None:
        allowed_params = self.allowed.get(command)
        if allowed_params is None:
            reason = REFUSED_BECAUSE.get(command, f"is not a command fabkiosk sends to a {self.profile.kind.value}")
            raise _Refused("command_not_allowed", f"{command} {reason}")
        extra = set(line.params) - allowed_params
        if extra:
            raise _Refused("parameter_not_allowed", f"{command} may not carry {', '.join(sorted(extra))}")
        for letter, value in line.params.items():
            if math.isnan(value) and not (command in _AXIS_FLAGS and letter in "XYZE"):
                raise _Refused("missing_value", f"{letter} has no value")
            if math.isinf(value) or abs(value) > 1e7:
                raise _Refused("value_out_of_range", f"{letter} is out of range")

    def _grbl_words(self, params: dict[str, float]) -> None:
        """GRBL takes F and S from any line that carries them, before its commands (gcode.c STEP 4, items 3 and 4):
        an F on a G0 line is the feed of the next G1."""
        if "F" in params:
            self._feed(params["F"])
        if "S" in params:
            self._spindle_or_laser(params["S"])
            self.state.spindle_s = params["S"]

    # --- modes ---------------------------------------------------------------------------------

    def _G90(self, _c: str, _p: dict[str, float]) -> None:
        self.state.absolute = True
        if self.marlin:
            self.state.e_absolute = True  # Marlin's G90 clears every relative bit, E's too (gcode.h set_relative_mode)

    def _G91(self, _c: str, _p: dict[str, float]) -> None:
        self.state.absolute = False
        if self.marlin:
            self.state.e_absolute = False

    def _M82(self, _c: str, _p: dict[str, float]) -> None:
        self.state.e_absolute = True

    def _M83(self, _c: str, _p: dict[str, float]) -> None:
        self.state.e_absolute = False

    def _G92(self, _c: str, params: dict[str, float]) -> None:
        # Marlin's G92 sets only the axes it names (gcode/geometry/G92.cpp): a bare G92 changes nothing
        if "E" in params:
            self.state.e = params["E"]

    def _G28(self, _c: str, params: dict[str, float]) -> None:
        axes = [i for i, a in enumerate("XYZ") if a in params] or [0, 1, 2]
        for axis in axes:
            self.state.position[axis] = 0.0  # homed to the minimum endstops: the origin of the envelope

    def _motors_off(self, _c: str, params: dict[str, float]) -> None:
        """M84/M18: with S only the idle timeout is set; otherwise the named axes (all without any) lose power and
        can be pushed by hand, so Marlin stops trusting them (gcode/control/M17_M18_M84.cpp): home again first."""
        if "S" in params:
            return
        named = [i for i, a in enumerate("XYZ") if a in params]
        for axis in named if named or "E" in params else [0, 1, 2]:
            self.state.position[axis] = None

    _M84 = _motors_off
    _M18 = _motors_off

    # --- program end, spindle and coolant (GRBL) -------------------------------------------------

    def _program_end(self, _c: str, _p: dict[str, float]) -> None:
        # gcode.c "[21. Program flow]": M2/M30 reset motion to G1, plane G17, G90, G94, G54, spindle and coolant
        # off; units, F and S stay as they were
        state = self.state
        state.motion = "G1"
        state.absolute = True
        state.spindle = None
        state.coolant = False

    _M2 = _program_end
    _M30 = _program_end

    def _spindle_on(self, command: str, _p: dict[str, float]) -> None:
        self.state.spindle = command

    _M3 = _spindle_on
    _M4 = _spindle_on

    def _M5(self, _c: str, _p: dict[str, float]) -> None:
        self.state.spindle = None

    def _M8(self, _c: str, _p: dict[str, float]) -> None:
        self.state.coolant = True

    def _M9(self, _c: str, _p: dict[str, float]) -> None:
        self.state.coolant = False

    # --- motion --------------------------------------------------------------------------------

    def _G0(self, command: str, params: dict[str, float]) -> None:
        self._linear(command, params)

    def _G1(self, command: str, params: dict[str, float]) -> None:
        self._linear(command, params)

    def _G2(self, command: str, params: dict[str, float]) -> None:
        self._arc(command, params, clockwise=True)

    def _G3(self, command: str, params: dict[str, float]) -> None:
        self._arc(command, params, clockwise=False)

    def _target(self, x: float | None, y: float | None, z: float | None) -> tuple[list[float], int]:
        """Move to the target, checking it lies in the envelope: the distance per axis in mm, and a bit per axis
        whose start is not known (its distance then unknown)."""
        state = self.state
        position = state.position
        absolute = state.absolute
        deltas = [0.0, 0.0, 0.0]
        unknown = 0
        for axis, value in ((0, x), (1, y), (2, z)):
            if value is None:
                continue
            current = position[axis]
            if current is not None:
                target = value if absolute else current + value
                deltas[axis] = target - current
            elif self.marlin:
                # Marlin moves an unhomed axis from wherever it assumes it is: a Z move could drive into the bed
                raise _Refused("not_homed", f"a {'XYZ'[axis]} move before that axis was homed (G28)")
            elif not absolute:
                raise _Refused("position_unknown", f"a relative {'XYZ'[axis]} move before the position is known")
            else:
                target = value
                unknown |= 1 << axis
            low, high = self.ranges[axis]
            if target < low - EPSILON or target > high + EPSILON:
                self._inside(axis, target)
            position[axis] = target
        return deltas, unknown

    def _inside(self, axis: int, value: float) -> None:
        low, high = self.ranges[axis]
        if not low - EPSILON <= value <= high + EPSILON:
            raise _Refused(
                "outside_envelope", f"{'XYZ'[axis]}{value:.3f} is outside the machine's travel ({low:g} to {high:g} mm)"
            )

    def _linear(self, command: str, params: dict[str, float]) -> None:
        g = params.get
        self._move(command, g("X"), g("Y"), g("Z"), g("E"), g("F") if self.marlin else None)

    def _move(
        self, command: str, x: float | None, y: float | None, z: float | None, e: float | None, f: float | None
    ) -> None:
        """A straight move: feed rate, travel, extrusion and speed per axis, all checked."""
        self.state.motion = command
        rapid = command == "G0" and not self.marlin  # GRBL rapids run at the machine's own rapid rate
        if f is not None:
            self._feed(f)
        if not rapid and self.state.feed is None:
            raise _Refused("no_feed_rate", "a move before any feed rate (F) was set")
        delta, unknown = self._target(x, y, z)
        extrusion = self._extrusion(e)
        if rapid:
            return
        dx, dy, dz = delta
        self._check_speeds(delta, unknown, extrusion, math.sqrt(dx * dx + dy * dy + dz * dz))

    def _arc(self, command: str, params: dict[str, float], clockwise: bool) -> None:
        self.state.motion = command
        if self.marlin and "F" in params:
            self._feed(params["F"])
        if self.state.feed is None:
            raise _Refused("no_feed_rate", "a move before any feed rate (F) was set")
        if self.state.position[0] is None or self.state.position[1] is None:
            raise _Refused("position_unknown", f"{command} before the machine knows where it is")
        start = [p if p is not None else 0.0 for p in self.state.position]
        delta, unknown = self._target(params.get("X"), params.get("Y"), params.get("Z"))
        end = [s + d for s, d in zip(start, delta, strict=True)]
        try:
            if "R" in params:
                center = center_from_radius(start, end, params["R"], clockwise)
            else:
                if "I" not in params and "J" not in params:
                    raise _Refused("arc_without_center", f"{command} needs I and J, or R")
                center = (start[0] + params.get("I", 0.0), start[1] + params.get("J", 0.0))
        except BadArc as e:
            raise _Refused("bad_arc", str(e)) from e
        sweep = sweep_of(start, end, center, clockwise)
        for x, y in arc_extremes(start, end, center, clockwise, sweep):
            self._inside(0, x)
            self._inside(1, y)
        extrusion = self._extrusion(params.get("E"))
        # an arc turns through every direction: its feed may not exceed the slower of X and Y
        limits = self.profile.limits.max_feed_mm_s
        slowest = min(limits.get("x", math.inf), limits.get("y", math.inf))
        feed = self.state.feed
        if feed / 60.0 > slowest + EPSILON:
            raise _Refused("feed_too_fast", f"arc at {feed / 60.0:.1f} mm/s; this machine allows {slowest:g}")
        planar = math.hypot(start[0] - center[0], start[1] - center[1]) * sweep
        # the arc's own length: Z (a helix) and E share the feed along it, not along the chord
        self._check_speeds([0.0, 0.0, delta[2]], unknown, extrusion, math.hypot(planar, delta[2]))

    def _feed(self, f: float) -> None:
        if f <= 0:
            raise _Refused("bad_feed_rate", "the feed rate must be positive")
        self.state.feed = f

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

    def _check_speeds(self, delta: list[float], unknown: int, extrusion: float, length: float) -> None:
        feed = self.state.feed
        if feed is None:
            return
        speed = feed / 60.0
        if unknown:
            # the start is not known, so this axis may carry the whole move at the full feed
            for axis in range(3):
                if unknown >> axis & 1 and speed > self.max_feed[axis]:
                    self._too_fast(axis, speed)
        if self.laser:
            self._check_energy(length, speed)
        if length <= EPSILON:
            if extrusion and speed > self.max_feed[3]:
                self._too_fast(3, speed)
            return
        ratio = speed / length  # mm/s per mm of this axis' share of the move
        dx, dy, dz = delta
        for axis, component in enumerate((dx, dy, dz, extrusion)):
            if component and abs(component) * ratio > self.max_feed[axis]:
                self._too_fast(axis, abs(component) * ratio)

    def _too_fast(self, axis: int, speed: float) -> None:
        letter = "XYZE"[axis]
        raise _Refused(
            "feed_too_fast", f"moves {letter} at {speed:.1f} mm/s; this machine allows {self.max_feed[axis]:g} mm/s"
        )

    def _check_energy(self, length: float, speed: float) -> None:
        """Laser energy per millimetre is power over speed: at the material's full power the beam moves at least
        its minimum feed, at lower power proportionally slower (M4 fires only while moving, so a standstill or a
        G0 burns nothing)."""
        s = self.state.spindle_s
        if self.state.spindle is None or s <= 0 or length <= EPSILON:
            return
        if s / speed > self.energy_max + EPSILON:
            slowest = s / self.energy_max
            raise _Refused(
                "laser_energy_too_high",
                f"S{s:g} at {speed:.2f} mm/s burns more per mm than {self.material.name} takes; "
                f"at this power move at least {slowest:.1f} mm/s",
            )

    # --- temperatures, fans, factors, limits ---------------------------------------------------

    def _hotend(self, command: str, params: dict[str, float]) -> None:
        ceiling = self.profile.limits.hotend_max - HOTEND_OVERSHOOT
        self._temperature(command, params, "nozzle", self.material.hotend, ceiling)

    _M104 = _hotend
    _M109 = _hotend

    def _bed(self, command: str, params: dict[str, float]) -> None:
        self._temperature(command, params, "bed", self.material.bed, self.profile.limits.bed_max)

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
                raise _Refused(
                    "temperature_out_of_range",
                    f"{heater} {value:g} °C is outside {low:g} to {high:g} °C for {self.material.name}",
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
        if not self.marlin:
            seconds = params.get("P", 0.0)  # GRBL: P in seconds (gcode.c, mc_dwell(gc_block.values.p))
        elif "S" in params:
            seconds = params["S"]  # Marlin gcode/motion/G4.cpp: S in seconds wins over P
        else:
            seconds = params.get("P", 0.0) / 1000.0  # Marlin: P in milliseconds
        if not 0 <= seconds <= self.longest_dwell:
            raise _Refused("value_out_of_range", f"a pause of {seconds:g} s; at most {self.longest_dwell:g} s")

    def _motion_limit(self, command: str, params: dict[str, float], unit: str) -> None:
        limits = self.profile.limits
        for letter, value in params.items():
            if command == "M203":
                limit = limits.max_feed_mm_s.get(letter.lower(), 0.0)
            elif command == "M201":
                # one limit per axis (Marlin M201 sets planner.settings.max_acceleration_mm_per_s2[axis]); without
                # the machine's own value for an axis, a program may not set it
                per_axis = limits.max_acceleration_per_axis
                limit = per_axis.get(letter.lower(), limits.max_acceleration if letter in "XY" else 0.0)
            else:
                limit = limits.max_acceleration
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

    def _spindle_or_laser(self, s: float) -> None:
        limits = self.profile.limits
        if self.laser:
            highest = self.laser_s_max
            if not 0 <= s <= highest + EPSILON:
                raise _Refused(
                    "laser_power_too_high", f"laser power S{s:g} is above {highest:g} ({self.laser_cap_pct:g} %)"
                )
        elif limits.spindle_rpm is not None:
            low, high = limits.spindle_rpm
            if s != 0 and not low <= s <= high:
                raise _Refused("spindle_out_of_range", f"spindle S{s:g} rpm is outside {low:g} to {high:g} rpm")
