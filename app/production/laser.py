"""Laser materials: the power, speed and passes the engraver may use on each sheet material."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path


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
