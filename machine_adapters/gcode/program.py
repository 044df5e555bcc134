"""SafeProgram: the only thing an adapter streams. Only the validator can make one.

A SafeProgram object holds nothing itself: its lines live in a table that only this module's closure can
write to, and the one function that writes there is handed out once, to the validator, when the validator
module loads. So every public way of making one (calling the class, `__new__`, copying, unpickling, subclassing,
setting attributes on a bare object) gives either an error or an object that refuses to be read.
"""

from __future__ import annotations

import hashlib
import math
import weakref
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import NoReturn

_NAN = float("nan")
POSITION_FIELDS = 4  # per command: x, y, z after it and the feed rate in force (NaN: unknown)


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


@dataclass(frozen=True)
class ProgramModes:
    """The modes a program runs in at one point, which a pause and resume must give back to it."""

    absolute: bool  # G90 (True) or G91
    e_absolute: bool  # M82 (True) or M83
    feed: float | None  # mm/min in force, None before the program set one


@dataclass(frozen=True)
class _Contents:
    machine_id: str
    material: str
    lines: tuple[str, ...]
    source_lines: tuple[int, ...]
    positions: array[float]
    mode_changes: tuple[tuple[int, bool, bool], ...]  # (first command index, absolute, e_absolute)
    digest: str


def _refuse(*_args: object, **_kwargs: object) -> NoReturn:
    raise TypeError("a SafeProgram comes only from machine_adapters.gcode.validate_program")


class SafeProgram:
    """Canonical command lines checked against one machine's profile, ready to stream to that machine."""

    __slots__ = ("__weakref__",)

    def __new__(cls, *args: object, **kwargs: object) -> SafeProgram:
        _refuse()

    def __init_subclass__(cls, **kwargs: object) -> None:
        _refuse()

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("a SafeProgram cannot be changed")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("a SafeProgram cannot be changed")

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError("a SafeProgram cannot be pickled: validate the program where it runs")

    def __copy__(self) -> SafeProgram:
        return self  # nothing in it can change: a copy is the same program

    def __deepcopy__(self, memo: object) -> SafeProgram:
        return self

    @property
    def machine_id(self) -> str:
        return _read(self).machine_id

    @property
    def material(self) -> str:
        """The material the program was checked for (temperatures, laser power, depth)."""
        return _read(self).material

    @property
    def digest(self) -> str:
        return _read(self).digest

    @property
    def source_lines(self) -> tuple[int, ...]:
        """For each command, its line number in the file it came from."""
        return _read(self).source_lines

    def __len__(self) -> int:
        return len(_read(self).lines)

    def __iter__(self) -> Iterator[str]:
        return iter(_read(self).lines)

    def __getitem__(self, index: int) -> str:
        return _read(self).lines[index]

    def position_after(self, index: int) -> tuple[float, float, float] | None:
        """Where the machine is after command `index`, in mm; None while it is not known (before homing)."""
        contents = _read(self)
        if not 0 <= index < len(contents.lines):
            return None
        start = POSITION_FIELDS * index
        x, y, z = contents.positions[start : start + 3]
        return None if math.isnan(x) or math.isnan(y) or math.isnan(z) else (x, y, z)

    def modes_after(self, index: int) -> ProgramModes:
        """The distance and extrusion modes and the feed rate in force after command `index`."""
        contents = _read(self)
        changes = contents.mode_changes
        at = bisect_right(changes, (index, True, True)) - 1
        absolute, e_absolute = (changes[at][1], changes[at][2]) if at >= 0 else (True, True)
        feed = contents.positions[POSITION_FIELDS * index + 3] if 0 <= index < len(contents.lines) else _NAN
        return ProgramModes(absolute, e_absolute, None if math.isnan(feed) else feed)

    def __repr__(self) -> str:
        contents = _read(self)
        return f"SafeProgram({contents.machine_id!r}, {len(contents.lines)} lines, {contents.digest[:12]})"


Maker = Callable[
    [str, str, Sequence[str], Sequence[int], "array[float]", Sequence[tuple[int, bool, bool]]], SafeProgram
]


def _sealed() -> tuple[Callable[[SafeProgram], _Contents], Callable[[], Maker]]:
    """The table of genuine programs, a reader for it, and a one-time handover of the only writer."""
    table: weakref.WeakKeyDictionary[SafeProgram, _Contents] = weakref.WeakKeyDictionary()

    def read(program: SafeProgram) -> _Contents:
        try:
            return table[program]
        except (KeyError, TypeError):
            raise TypeError("this object was not made by the validator and cannot run") from None

    def make(
        machine_id: str,
        material: str,
        lines: Sequence[str],
        source_lines: Sequence[int],
        positions: array[float],
        mode_changes: Sequence[tuple[int, bool, bool]],
    ) -> SafeProgram:
        program: SafeProgram = object.__new__(SafeProgram)
        kept = tuple(lines)
        digest = hashlib.sha256("\n".join(kept).encode("ascii")).hexdigest()
        table[program] = _Contents(
            machine_id, material, kept, tuple(source_lines), positions, tuple(mode_changes), digest
        )
        return program

    handed: list[Maker] = [make]

    def hand_over() -> Maker:
        if not handed:
            raise RuntimeError("the validator already holds the only SafeProgram maker")
        return handed.pop()

    return read, hand_over


_read, claim_maker = _sealed()
