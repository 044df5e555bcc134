"""SafeProgram: the only thing an adapter streams. Only the validator can make one."""

from __future__ import annotations

import hashlib
import math
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

_VALIDATOR_KEY = object()


@dataclass(frozen=True)
class Finding:
    """Why one line was refused: its number in the file, the text as given, the rule and a plain message."""

    line: int
    text: str
    rule: str
    message: str


class ProgramRejected(ValueError):
    """The program breaks the machine's rules; nothing of it may run."""

    def __init__(self, machine_id: str, findings: Sequence[Finding]) -> None:
        first = findings[0]
        super().__init__(
            f"{len(findings)} problem(s) for {machine_id}; first at line {first.line} ({first.rule}): {first.message}"
        )
        self.machine_id = machine_id
        self.findings = list(findings)


class SafeProgram:
    """Canonical command lines checked against one machine's profile, ready to stream to that machine."""

    __slots__ = ("_lines", "_positions", "digest", "machine_id", "source_lines")

    def __init__(
        self,
        key: object,
        machine_id: str,
        lines: tuple[str, ...],
        source_lines: tuple[int, ...],
        positions: array[float],
    ) -> None:
        if key is not _VALIDATOR_KEY:
            raise TypeError("a SafeProgram comes only from machine_adapters.gcode.validate_program")
        self.machine_id = machine_id
        self._lines = lines
        self.source_lines = source_lines  # for each command, its line number in the file it came from
        self._positions = positions  # x, y, z after each command, as the validator tracked them (NaN: unknown)
        self.digest = hashlib.sha256("\n".join(lines).encode("ascii")).hexdigest()

    def __len__(self) -> int:
        return len(self._lines)

    def __iter__(self) -> Iterator[str]:
        return iter(self._lines)

    def __getitem__(self, index: int) -> str:
        return self._lines[index]

    def __setattr__(self, name: str, value: object) -> None:
        if hasattr(self, "digest"):
            raise AttributeError("a SafeProgram cannot be changed")
        object.__setattr__(self, name, value)

    def position_after(self, index: int) -> tuple[float, float, float] | None:
        """Where the machine is after command `index`, in mm; None while it is not known (before homing)."""
        if not 0 <= index < len(self._lines):
            return None
        x, y, z = self._positions[3 * index : 3 * index + 3]
        return None if math.isnan(x) or math.isnan(y) or math.isnan(z) else (x, y, z)

    def __repr__(self) -> str:
        return f"SafeProgram({self.machine_id!r}, {len(self._lines)} lines, {self.digest[:12]})"


def _make(machine_id: str, lines: Sequence[str], source_lines: Sequence[int], positions: array[float]) -> SafeProgram:
    return SafeProgram(_VALIDATOR_KEY, machine_id, tuple(lines), tuple(source_lines), positions)
