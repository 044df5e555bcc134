"""Laser materials and the time a 2-D design takes: cut along its outline, hatch-engrave its filled area."""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

from app.designs.svg import DrawingMeasures

TURNAROUND_S = 0.04  # deceleration and acceleration at the end of each hatch line
TRAVEL_MM_S = 150.0


@dataclass(frozen=True)
class Pass:
    speed_mm_s: float
    power_pct: float
    passes: int = 1
    line_interval_mm: float = 0.1


@dataclass(frozen=True)
class LaserMaterial:
    name: str
    label: dict[str, str]
    engrave: Pass
    cut: Pass | None  # None: the material cannot be cut through (e.g. metal cards)


def load_laser_materials(path: Path) -> dict[str, LaserMaterial]:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    materials = {}
    for name, entry in raw.items():
        cut = Pass(**entry["cut"]) if "cut" in entry else None
        materials[name] = LaserMaterial(name, dict(entry["label"]), Pass(**entry["engrave"]), cut)
    return materials


def estimate_seconds(design: DrawingMeasures, material: LaserMaterial) -> int:
    """Machine time: outline traced once (cut where the material allows, else scored), area hatched."""
    outline = design.outline_length_mm
    trace = material.cut or material.engrave
    trace_s = outline / trace.speed_mm_s * trace.passes
    interval = material.engrave.line_interval_mm
    hatch_lines = design.height_mm / interval
    hatch_s = design.area_mm2 / interval / material.engrave.speed_mm_s + hatch_lines * TURNAROUND_S
    travel_s = math.hypot(design.width_mm, design.height_mm) * 2 / TRAVEL_MM_S
    return max(1, round(trace_s + hatch_s + travel_s))
