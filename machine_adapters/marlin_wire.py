"""Marlin's wire format: framing with line numbers and checksums, and reading what the firmware says.

Pure functions, no I/O: tested with tables of real firmware replies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

MAX_FRAMED_LINE = 95  # Marlin's MAX_CMD_SIZE is 96 including the terminator


def checksum(payload: bytes) -> int:
    value = 0
    for byte in payload:
        value ^= byte
    return value


def frame(number: int, command: str) -> bytes:
    """`N<number> <command>*<checksum>\\n`, as Marlin expects on every line of a job."""
    payload = f"N{number} {command}".encode("ascii")
    line = payload + b"*" + str(checksum(payload)).encode("ascii")
    if len(line) > MAX_FRAMED_LINE:
        raise ValueError(f"framed line is {len(line)} bytes, more than Marlin's {MAX_FRAMED_LINE}")
    return line + b"\n"


class ReplyKind(StrEnum):
    OK = "ok"
    RESEND = "resend"
    BUSY = "busy"
    WAIT = "wait"
    START = "start"
    ERROR = "error"  # recoverable (checksum, line number): a Resend follows
    HALTED = "halted"  # the firmware stopped: thermal runaway, kill(), Printer stopped
    CAPABILITY = "capability"
    FIRMWARE = "firmware"
    TEMPERATURE = "temperature"
    OTHER = "other"


@dataclass(frozen=True)
class Reply:
    kind: ReplyKind
    text: str
    line: int | None = None  # for RESEND: the line asked for; for an ADVANCED_OK ok: the line acknowledged
    planner_free: int | None = None  # ADVANCED_OK's P
    buffer_free: int | None = None  # ADVANCED_OK's B
    name: str = ""  # CAPABILITY name
    enabled: bool = False  # CAPABILITY value
    temperatures: dict[str, tuple[float, float]] | None = None  # e.g. {"T": (205.1, 210.0), "B": (60, 60)}


_RESEND = re.compile(r"^(?:resend|rs)\s*:?\s*N?(\d+)", re.IGNORECASE)
_ADVANCED_OK = re.compile(r"\bN(\d+)\s+P(\d+)\s+B(\d+)")
_TEMPERATURE = re.compile(r"\b([TB]\d?|C):\s*(-?\d+(?:\.\d+)?)\s*/\s*(-?\d+(?:\.\d+)?)")
_CAPABILITY = re.compile(r"^Cap:([A-Z_0-9]+):([01])")
_HALT_WORDS = (
    "kill()",
    "printer halted",
    "printer stopped",
    "thermal runaway",
    "heating failed",
    "maxtemp",
    "mintemp",
    "thermal malfunction",
)


def parse_reply(raw: bytes) -> Reply:
    text = raw.decode("ascii", errors="replace").strip()
    lower = text.lower()
    temperatures = _temperatures(text)
    if lower.startswith("ok"):
        advanced = _ADVANCED_OK.search(text)
        if advanced:
            number, planner, buffer = (int(g) for g in advanced.groups())
            return Reply(ReplyKind.OK, text, number, planner, buffer, temperatures=temperatures)
        return Reply(ReplyKind.OK, text, temperatures=temperatures)
    resend = _RESEND.match(text)
    if resend:
        return Reply(ReplyKind.RESEND, text, int(resend.group(1)))
    if lower.startswith("error"):
        kind = ReplyKind.HALTED if any(word in lower for word in _HALT_WORDS) else ReplyKind.ERROR
        return Reply(kind, text)
    if lower.startswith("!!") or "kill() called" in lower:
        return Reply(ReplyKind.HALTED, text)
    if lower == "start":
        return Reply(ReplyKind.START, text)
    if "busy:" in lower:
        return Reply(ReplyKind.BUSY, text)
    if lower == "wait":
        return Reply(ReplyKind.WAIT, text)
    capability = _CAPABILITY.match(text)
    if capability:
        return Reply(ReplyKind.CAPABILITY, text, name=capability.group(1), enabled=capability.group(2) == "1")
    if text.startswith("FIRMWARE_NAME:"):
        return Reply(ReplyKind.FIRMWARE, text)
    if temperatures:
        return Reply(ReplyKind.TEMPERATURE, text, temperatures=temperatures)
    return Reply(ReplyKind.OTHER, text)


def _temperatures(text: str) -> dict[str, tuple[float, float]] | None:
    found = {name: (float(current), float(target)) for name, current, target in _TEMPERATURE.findall(text)}
    return found or None
