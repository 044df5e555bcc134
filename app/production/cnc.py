"""The router's tool table and stock materials (`assets/cnc_materials.toml`), checked when loaded."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class CncTableError(ValueError):
    """The tool table cannot be used; the message names the key."""


@dataclass(frozen=True)
class Tool:
    name: str
    label: dict[str, str]
    diameter_mm: float
    safe_z_mm: float
    plunge_mm_s: float
    spin_up_s: float

    @property
    def radius_mm(self) -> float:
        return self.diameter_mm / 2


@dataclass(frozen=True)
class Tabs:
    count: int
    width_mm: float
    height_mm: float


@dataclass(frozen=True)
class CncMaterial:
    name: str
    label: dict[str, str]
    tool: Tool
    thickness_mm: float
    cut_depth_mm: float
    step_down_mm: float
    feed_mm_s: float
    rpm: float
    engrave_depth_mm: float
    tabs: Tabs


def load_cnc_materials(path: Path) -> dict[str, CncMaterial]:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    tools = {name: _tool(name, entry) for name, entry in raw.get("tools", {}).items()}
    return {name: _material(name, entry, tools) for name, entry in raw.get("materials", {}).items()}


def _tool(name: str, entry: dict[str, Any]) -> Tool:
    where = f"tools.{name}"
    return Tool(
        name,
        dict(entry["label"]),
        _number(entry, "diameter_mm", where, 0.1, 25),
        _number(entry, "safe_z_mm", where, 1, 50),
        _number(entry, "plunge_mm_s", where, 0.1, 50),
        _number(entry, "spin_up_s", where, 0, 30),
    )


def _material(name: str, entry: dict[str, Any], tools: dict[str, Tool]) -> CncMaterial:
    where = f"materials.{name}"
    tool = tools.get(entry.get("tool", ""))
    if tool is None:
        raise CncTableError(f"{where}.tool: name one of the tools: {', '.join(tools)}")
    thickness = _number(entry, "thickness_mm", where, 0.5, 100)
    cut_depth = _number(entry, "cut_depth_mm", where, thickness, thickness + 2)
    tabs = entry.get("tabs", {})
    material = CncMaterial(
        name,
        dict(entry["label"]),
        tool,
        thickness,
        cut_depth,
        _number(entry, "step_down_mm", where, 0.1, tool.diameter_mm),
        _number(entry, "feed_mm_s", where, 0.5, 200),
        _number(entry, "rpm", where, 1000, 60000),
        _number(entry, "engrave_depth_mm", where, 0.1, thickness / 2),
        Tabs(
            int(_number(tabs, "count", f"{where}.tabs", 0, 12)),
            _number(tabs, "width_mm", f"{where}.tabs", 1, 30),
            _number(tabs, "height_mm", f"{where}.tabs", 0.3, thickness / 2),
        ),
    )
    return material


def _number(raw: dict[str, Any], key: str, where: str, low: float, high: float) -> float:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise CncTableError(f"{where}.{key}: give a number from {low:g} to {high:g}")
    return float(value)
