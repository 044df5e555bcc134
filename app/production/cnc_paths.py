"""Router toolpaths from a 2-D design: what the design draws inside its board is engraved along its lines at a
fixed depth, then the board is cut out along its outline, the tool's radius outside it so the piece keeps its
size, in passes no deeper than the material allows, held to the sheet by tabs on the last passes.

Every travel happens at the tool's safe height; the spindle is switched on and given time to reach its speed
before the first cut, and off at the end. The program then goes through the validator like every other one.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from shapely.affinity import translate
from shapely.geometry import LineString, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient
from shapely.ops import substring

from app.production.cnc import CncMaterial
from app.production.toolpaths import (
    MARGIN_MM,
    Point,
    move_seconds,
    outer_outlines,
    same_direction,
    toolpath_picture,
    worked_inside,
)
from machine_adapters.profiles import MachineProfile

VERSION = "2"  # part of every program's cache name: a change here makes new programs
CLEARANCE_MM = 1.0  # rapid down to this height above the stock, then plunge at the tool's plunge rate

Point3 = tuple[float, float, float]


@dataclass(frozen=True)
class Move:
    start: Point3
    end: Point3
    feed_mm_s: float
    rapid: bool
    work: str  # "travel", "plunge", "engrave", "cut" (tabs are part of the cut, raised)


@dataclass(frozen=True)
class CncJob:
    gcode: str
    moves: tuple[Move, ...]
    dwell_s: float
    outline: tuple[Polygon, ...]  # the pieces as designed (filled), on the sheet: the cut runs a tool radius outside
    size: tuple[float, float]  # the design's width and height on the sheet, margins excluded
    tool_diameter_mm: float


def cnc_job(region: BaseGeometry, material: CncMaterial, profile: MachineProfile) -> CncJob:
    region = translate(region, MARGIN_MM, MARGIN_MM)
    outlines = outer_outlines(region)
    inside = worked_inside(region, outlines)
    tool = material.tool
    feeds = profile.limits.max_feed_mm_s
    plan = _Plan(
        safe_z=tool.safe_z_mm,
        feed=min(material.feed_mm_s, feeds.get("x", math.inf), feeds.get("y", math.inf)),
        plunge=min(tool.plunge_mm_s, feeds.get("z", math.inf)),
        rapid_xy=min(feeds.get("x", 100.0), feeds.get("y", 100.0)),
        rapid_z=feeds.get("z", 10.0),
    )
    for ring in _rings(inside):
        plan.ring(ring, _levels(material.engrave_depth_mm, material.step_down_mm), "engrave", None, 0.0)
    tab_top = -material.thickness_mm + material.tabs.height_mm
    for outline in outlines:
        around = orient(Polygon(outline.exterior).buffer(tool.radius_mm, quad_segs=8), sign=-1.0)  # clockwise
        ring = LineString(around.exterior.coords)
        tabs = _tab_spans(ring.length, material.tabs.count, material.tabs.width_mm + tool.diameter_mm)
        plan.ring(ring, _levels(material.cut_depth_mm, material.step_down_mm), "cut", tabs, tab_top)
    plan.travel((0.0, 0.0))
    gcode = _gcode(plan.moves, material, profile)
    min_x, min_y, max_x, max_y = region.bounds
    return CncJob(
        gcode,
        tuple(plan.moves),
        tool.spin_up_s,
        tuple(Polygon(o.exterior) for o in outlines),
        (max_x - min_x, max_y - min_y),
        tool.diameter_mm,
    )


def estimate_seconds(job: CncJob, profile: MachineProfile) -> float:
    acceleration = max(profile.limits.max_acceleration, 1.0)
    total, previous = job.dwell_s, None
    for move in job.moves:
        continues = (
            previous is not None
            and not previous.rapid
            and not move.rapid
            and previous.feed_mm_s == move.feed_mm_s
            and same_direction(previous.start, previous.end, move.start, move.end)
        )
        total += move_seconds(move.start, move.end, move.feed_mm_s, acceleration, continues)
        previous = move
    return total


def toolpath_svg(job: CncJob, sheet_hex: str = "#e9d3a6") -> str:
    """The router's paths over the sheet, each as wide as the tool: engraved grooves dark, the cut red."""
    engrave = [(m.start, m.end) for m in job.moves if m.work == "engrave"]
    cut = [(m.start, m.end) for m in job.moves if m.work == "cut"]
    return toolpath_picture(job.size, engrave, cut, sheet_hex, (job.tool_diameter_mm, job.tool_diameter_mm))


class _Plan:
    """The moves of the job, from the machine's park position at safe height."""

    def __init__(self, safe_z: float, feed: float, plunge: float, rapid_xy: float, rapid_z: float) -> None:
        self.safe_z, self.feed, self.plunge, self.rapid_xy, self.rapid_z = safe_z, feed, plunge, rapid_xy, rapid_z
        self.position: Point3 = (0.0, 0.0, safe_z)
        self.moves: list[Move] = []

    def _to(self, end: Point3, feed: float, rapid: bool, work: str) -> None:
        if end != self.position:
            self.moves.append(Move(self.position, end, feed, rapid, work))
            self.position = end

    def travel(self, xy: Point) -> None:
        x, y, z = self.position
        if z < self.safe_z:
            self._to((x, y, self.safe_z), self.rapid_z, True, "travel")
        self._to((xy[0], xy[1], self.safe_z), self.rapid_xy, True, "travel")

    def plunge_to(self, z: float) -> None:
        x, y, here = self.position
        if here > CLEARANCE_MM and z < CLEARANCE_MM:
            self._to((x, y, CLEARANCE_MM), self.rapid_z, True, "travel")
        self._to((x, y, z), self.plunge, False, "plunge")

    def ring(
        self,
        ring: LineString,
        levels: Sequence[float],
        work: str,
        tabs: Sequence[tuple[float, float]] | None,
        tab_top: float,
    ) -> None:
        self.travel(ring.coords[0])
        for z in levels:
            self.plunge_to(z)
            raised = tabs if tabs and z < tab_top else ()
            for start, end, over_tab in _pieces(ring.length, raised):
                piece = substring(ring, start, end)
                if piece.length <= 0:
                    continue
                level = tab_top if over_tab else z
                if self.position[2] != level:
                    self._to((self.position[0], self.position[1], level), self.plunge, False, "plunge")
                for x, y in list(piece.coords)[1:]:
                    self._to((x, y, level), self.feed, False, work)
            if self.position[2] != z:
                self._to((self.position[0], self.position[1], z), self.plunge, False, "plunge")
        self.travel(ring.coords[0])


def _rings(area: BaseGeometry) -> Iterator[LineString]:
    for polygon in getattr(area, "geoms", [area]):
        if isinstance(polygon, Polygon) and not polygon.is_empty:
            yield LineString(polygon.exterior.coords)
            for interior in polygon.interiors:
                yield LineString(interior.coords)


def _levels(depth: float, step: float) -> list[float]:
    """The pass depths down to `depth` (negative Z), each at most `step` below the one before."""
    passes = max(1, math.ceil(depth / step - 1e-9))
    return [-round(depth * k / passes, 4) for k in range(1, passes + 1)]


def _tab_spans(length: float, count: int, width: float) -> list[tuple[float, float]]:
    if count <= 0 or length < count * width * 3:
        return []  # too small a piece for tabs: it is cut free on the last pass
    return [((i + 0.5) * length / count - width / 2, (i + 0.5) * length / count + width / 2) for i in range(count)]


def _pieces(length: float, tabs: Sequence[tuple[float, float]]) -> Iterator[tuple[float, float, bool]]:
    """The ring from 0 to its length as pieces, each flagged whether it runs over a tab."""
    at = 0.0
    for start, end in tabs:
        yield at, start, False
        yield start, end, True
        at = end
    yield at, length, False


def _gcode(moves: Sequence[Move], material: CncMaterial, profile: MachineProfile) -> str:
    tool = material.tool
    out = ["G21", "G90", f"G0 Z{tool.safe_z_mm:.3f}", f"M3 S{material.rpm:.0f}", f"G4 P{tool.spin_up_s:g}"]
    for move in moves:
        changed = [f"{a}{v:.3f}" for a, v, before in zip("XYZ", move.end, move.start, strict=True) if v != before]
        if move.rapid:
            out.append("G0 " + " ".join(changed))
        else:
            out.append("G1 " + " ".join(changed) + f" F{move.feed_mm_s * 60:.0f}")
    out += ["M5", f"G0 Z{tool.safe_z_mm:.3f}", "G0 X0 Y0"]  # spindle off at the end of every job
    return "\n".join(out) + "\n"
