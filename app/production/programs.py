"""A plan's program made ready for a machine: validated into a SafeProgram, with its layers found for the pages."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from pathlib import Path

from machine_adapters.gcode import SafeProgram, validate_program
from machine_adapters.profiles import MachineProfile

LAYER_MARK = ";LAYER_CHANGE"  # PrusaSlicer writes it before every layer
MAX_LAYER_POINTS = 3000  # a layer view on the kiosk needs its shape, not every point


@dataclass(frozen=True)
class RunnableProgram:
    program: SafeProgram
    layer_starts: tuple[int, ...]  # index of the first command of each layer

    @property
    def layers(self) -> int:
        return len(self.layer_starts)

    def layer_at(self, commands_done: int) -> int:
        """The layer being made once `commands_done` commands ran, counted from 1 (0 before the first layer)."""
        return bisect_right(self.layer_starts, max(0, commands_done - 1))

    def layer_points(self, layer: int) -> list[tuple[float, float, float]]:
        """Where the tool goes in one layer (at most MAX_LAYER_POINTS, evenly picked), for the live view."""
        if not 1 <= layer <= self.layers:
            return []
        begin = self.layer_starts[layer - 1]
        end = self.layer_starts[layer] if layer < self.layers else len(self.program)
        step = max(1, (end - begin) // MAX_LAYER_POINTS)
        points = (self.program.position_after(i) for i in range(begin, end, step))
        return [p for p in points if p is not None]


def load_program(path: Path, profile: MachineProfile, material: str | None = None) -> RunnableProgram:
    """Validate the program file against the machine and the material loaded in it now (raises ProgramRejected),
    and find where its layers begin."""
    text = path.read_text(encoding="ascii", errors="replace")
    program = validate_program(text, profile, material)
    marks = [number for number, line in enumerate(text.splitlines(), start=1) if line.startswith(LAYER_MARK)]
    starts = sorted({bisect_left(program.source_lines, mark) for mark in marks})
    return RunnableProgram(program, tuple(s for s in starts if s < len(program)))
