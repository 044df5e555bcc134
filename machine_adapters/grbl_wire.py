"""GRBL's wire format: replies, status reports, settings and build info, and every GRBL 1.1 error and alarm in
plain words. Pure functions, no I/O."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from enum import StrEnum

from machine_adapters.messages import N_

WAKE = b"\r\n\r\n"
STATUS_QUERY = b"?"
FEED_HOLD = b"!"
CYCLE_START = b"~"
SOFT_RESET = b"\x18"
JOG_CANCEL = b"\x85"
REALTIME = frozenset(b"?!~\x18\x84\x85\x90\x91\x92\x93\x94\x95\x96\x97\x99\x9a\x9b\x9c\x9d\x9e\xa0\xa1")

ERRORS: dict[int, str] = {
    1: N_("The machine got a command without a command letter."),
    2: N_("The machine got a number it could not read."),
    3: N_("The machine did not understand a settings command."),
    4: N_("The machine got a negative value where only positive ones are allowed."),
    5: N_("Homing is switched off on this machine."),
    6: N_("The machine's step pulse setting is too short."),
    7: N_("The machine's settings memory failed and was reset to defaults. Staff must check the settings."),
    8: N_("The machine can only change settings while it is idle."),
    9: N_("The machine is locked after an alarm. Staff must home or unlock it."),
    10: N_("Soft limits need homing to be switched on."),
    11: N_("A program line is too long for the machine."),
    12: N_("A step rate is too high for the machine."),
    13: N_("The safety door is open."),
    14: N_("A startup line is too long for the machine's memory."),
    15: N_("A jog move would leave the machine's travel."),
    16: N_("The machine got an invalid jog command."),
    17: N_("Laser mode needs the machine's PWM output."),
    20: N_("The machine does not support a command in the program."),
    21: N_("Two commands in one line conflict with each other."),
    22: N_("A move has no feed rate."),
    23: N_("A command needs a whole number."),
    24: N_("Two commands in one line both use the axes."),
    25: N_("A word is repeated in one line."),
    26: N_("A move has no target position."),
    27: N_("A line number is invalid."),
    28: N_("A command is missing a value."),
    29: N_("The machine does not support this work coordinate system."),
    30: N_("G53 is only allowed with G0 and G1."),
    31: N_("A line has axis words but no command to use them."),
    32: N_("An arc has no position in its plane."),
    33: N_("A move's target is invalid."),
    34: N_("An arc's radius is invalid."),
    35: N_("An arc has no centre offset in its plane."),
    36: N_("A line has values no command uses."),
    37: N_("The tool length offset is not on the tool's axis."),
    38: N_("The tool number is too high."),
}

ALARMS: dict[int, str] = {
    1: N_("A limit switch was hit. Staff must check the machine and home it."),
    2: N_("A move would have left the machine's travel. Staff must check the job and home the machine."),
    3: N_("The machine was reset while moving, so its position is lost. Staff must home it."),
    4: N_("The probe was already touching before probing. Staff must check the machine."),
    5: N_("The probe did not touch anything. Staff must check the machine."),
    6: N_("Homing was interrupted by a reset. Staff must home the machine again."),
    7: N_("The safety door was opened during homing. Staff must home the machine again."),
    8: N_("Homing could not leave the limit switch. Staff must check the machine."),
    9: N_("Homing did not find a limit switch. Staff must check the machine."),
    10: N_("Homing failed on a second motor of an axis. Staff must check the machine."),
}
UNKNOWN_ERROR = N_("The machine refused a program line. Staff must check it.")
UNKNOWN_ALARM = N_("The machine raised an alarm. Staff must check it.")


def error_text(code: int) -> str:
    return ERRORS.get(code, UNKNOWN_ERROR)


def alarm_text(code: int) -> str:
    return ALARMS.get(code, UNKNOWN_ALARM)


class ReplyKind(StrEnum):
    OK = "ok"
    ERROR = "error"
    ALARM = "alarm"
    STATUS = "status"
    WELCOME = "welcome"
    SETTING = "setting"
    MESSAGE = "message"  # [MSG:...], [VER:...], [OPT:...], [GC:...] and other bracketed feedback
    OTHER = "other"


@dataclass(frozen=True)
class Reply:
    kind: ReplyKind
    text: str
    code: int = 0


_WELCOME = re.compile(r"^(Grbl|GrblHAL)\s+(\S+)")
_SETTING = re.compile(r"^\$(\d+)=(-?[\d.]+)")


def parse_reply(raw: bytes) -> Reply:
    text = raw.decode("ascii", errors="replace").strip()
    if text == "ok":
        return Reply(ReplyKind.OK, text)
    if text.startswith("error:"):
        return Reply(ReplyKind.ERROR, text, _int(text[6:]))
    if text.startswith("ALARM:"):
        return Reply(ReplyKind.ALARM, text, _int(text[6:]))
    if text.startswith("<") and text.endswith(">"):
        return Reply(ReplyKind.STATUS, text)
    if _WELCOME.match(text):
        return Reply(ReplyKind.WELCOME, text)
    if _SETTING.match(text):
        return Reply(ReplyKind.SETTING, text)
    if text.startswith("["):
        return Reply(ReplyKind.MESSAGE, text)
    return Reply(ReplyKind.OTHER, text)


def _int(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        return 0


@dataclass(frozen=True)
class StatusReport:
    state: str  # Idle, Run, Hold, Jog, Alarm, Door, Check, Home, Sleep
    substate: int | None = None  # Hold:0 done / Hold:1 in progress; Door:0..3
    mpos: tuple[float, float, float] | None = None
    wpos: tuple[float, float, float] | None = None
    wco: tuple[float, float, float] | None = None
    feed: float = 0.0
    spindle: float = 0.0
    planner_free: int | None = None
    rx_free: int | None = None
    overrides: tuple[int, int, int] | None = None
    pins: str = ""
    accessories: str = ""
    fields: dict[str, str] = field(default_factory=dict)

    def work_position(self, wco: tuple[float, float, float] | None) -> tuple[float, float, float] | None:
        """WPos = MPos - WCO; GRBL reports one of the two, and WCO only now and then."""
        if self.wpos is not None:
            return self.wpos
        offset = self.wco or wco
        if self.mpos is None or offset is None:
            return self.mpos
        return (self.mpos[0] - offset[0], self.mpos[1] - offset[1], self.mpos[2] - offset[2])


def parse_status(text: str) -> StatusReport:
    """`<Run|MPos:1.000,2.000,0.000|FS:500,0|Bf:15,128|Ov:100,100,100|Pn:D|A:S>` into its parts."""
    parts = text.strip("<>").split("|")
    state, _, sub = parts[0].partition(":")
    fields = dict(p.split(":", 1) for p in parts[1:] if ":" in p)
    feed = spindle = 0.0
    if "FS" in fields:
        feed, spindle = ([*_floats(fields["FS"]), 0.0, 0.0])[:2]
    elif "F" in fields:
        feed = (_floats(fields["F"]) or [0.0])[0]
    planner = rx = None
    if "Bf" in fields:
        numbers = _floats(fields["Bf"])
        if len(numbers) == 2:
            planner, rx = int(numbers[0]), int(numbers[1])
    overrides = tuple(int(v) for v in _floats(fields.get("Ov", ""))) if "Ov" in fields else None
    return StatusReport(
        state=state,
        substate=_int(sub) if sub else None,
        mpos=_xyz(fields.get("MPos")),
        wpos=_xyz(fields.get("WPos")),
        wco=_xyz(fields.get("WCO")),
        feed=feed,
        spindle=spindle,
        planner_free=planner,
        rx_free=rx,
        overrides=overrides if overrides and len(overrides) == 3 else None,
        pins=fields.get("Pn", ""),
        accessories=fields.get("A", ""),
        fields=fields,
    )


def _floats(text: str) -> list[float]:
    values = []
    for part in text.split(","):
        with contextlib.suppress(ValueError):
            values.append(float(part))
    return values


def _xyz(text: str | None) -> tuple[float, float, float] | None:
    if not text:
        return None
    values = _floats(text)
    return (values[0], values[1], values[2]) if len(values) >= 3 else None


def parse_setting(text: str) -> tuple[int, float] | None:
    found = _SETTING.match(text)
    return (int(found.group(1)), float(found.group(2))) if found else None


def rx_buffer_from_options(text: str) -> int | None:
    """The serial RX buffer size from `[OPT:VL,15,128]` (GRBL 1.1 build info), or None."""
    if not text.startswith("[OPT:"):
        return None
    parts = text[5:].rstrip("]").split(",")
    return int(parts[2]) if len(parts) >= 3 and parts[2].isdigit() else None


def build_options(text: str) -> str | None:
    """The option letters of `[OPT:VL,15,128]` (report.c report_build_info), or None for another line."""
    if not text.startswith("[OPT:"):
        return None
    return text[5:].rstrip("]").split(",")[0]


def homing_enabled(settings: dict[int, float]) -> bool:
    """$22 is a bit field (grblHAL: 1 enable, 2 single axis commands, 4 homing required at start-up, 8 origin at
    zero, ...; Grbl 1.1 uses only bit 0): homing is on when bit 0 is set, whatever else is."""
    return int(settings.get(22, 0)) & 1 == 1


def locks_until_homed(settings: dict[int, float], options: str, hal: bool) -> bool:
    """Whether the controller itself refuses to move after a start until it is homed (or unlocked): Grbl 1.1
    unless built without HOMING_INIT_LOCK, which its `$I` options show as `L` (report.c); grblHAL when $22 has
    bit 2 (its settings.h homing flags: enabled, single_axis_commands, init_lock, ...)."""
    if not homing_enabled(settings):
        return False
    return int(settings.get(22, 0)) & 4 != 0 if hal else "L" not in options


HOMING_SEARCH_SCALAR = 1.5  # Grbl's config.h: the search runs up to 1.5 x the travel before ALARM:9
HOMING_LOCATE_SCALAR = 5.0  # config.h: the slow approach runs up to 5 x the pull-off
HOMING_CYCLES = ((2,), (0, 1))  # config.h: HOMING_CYCLE_0 is Z, HOMING_CYCLE_1 is X and Y together


def homing_seconds(settings: dict[int, float]) -> float:
    """The longest a homing cycle can take before the firmware itself gives up (limits.c limits_go_home): per
    cycle, a search of 1.5 x the longest travel at the seek rate $25 (each axis at that rate), two pull-offs of
    $27 at $25, a slow approach of up to 5 x $27 at the locate rate $24, and the debounce delay $26 after each."""
    seek = max(settings.get(25, 500.0), 1.0) / 60
    locate = max(settings.get(24, 25.0), 1.0) / 60
    pulloff = settings.get(27, 1.0)
    total = 0.0
    for axes in HOMING_CYCLES:
        total += max(HOMING_SEARCH_SCALAR * settings.get(130 + axis, 0.0) for axis in axes) / seek
        total += 2 * pulloff / seek + HOMING_LOCATE_SCALAR * pulloff / locate
        total += 4 * settings.get(26, 250.0) / 1000
    return total
