"""Laser toolpaths from a 2-D design: the filled area hatch-engraved, then the outermost outline cut (or scored).

Engraving comes first and the cut last, so the piece is still held by the sheet while it is engraved. Only `M4`
(dynamic power: the laser dims as the head slows and is off when it stands) and only the material's own power
and speed. The program then goes through the validator like every other program; nothing here is trusted.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from shapely.affinity import translate
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from app.production.laser import LaserMaterial, Pass
from app.production.toolpaths import (
    MARGIN_MM,
    move_seconds,
    outer_outlines,
    polygons_of,
    same_direction,
    toolpath_picture,
    worked_inside,
)
from machine_adapters.profiles import MachineProfile

VERSION = "5"  # part of every program's cache name: a change here makes new programs


@dataclass(frozen=True)
class Segment:
    start: tuple[float, float]
    end: tuple[float, float]
    burn: bool  # the laser is on along this move
    feed_mm_s: float
    rapid: bool = False  # a G0 travel (always with the laser off)


@dataclass(frozen=True)
class LaserJob:
    gcode: str
    segments: tuple[Segment, ...]
    hatch_lines: int
    hatch_segments: int  # the first so many non-travel moves engrave; the rest cut
    cut_length_mm: float
    size: tuple[float, float]  # the design's width and height on the sheet, margins excluded


def laser_job(region: BaseGeometry, material: LaserMaterial, profile: MachineProfile) -> LaserJob:
    """Engrave everything inside the outermost shapes, then cut those shapes out along their outlines.

    A hole of an outermost shape with nothing drawn inside it (a washer's, a frame's, the counter of an O) is a
    hole through the piece: it is cut too, before the outline around it, while the piece is still held."""
    region = translate(region, MARGIN_MM, MARGIN_MM)
    outlines = outer_outlines(region)
    inside = worked_inside(region, outlines)
    engrave, trace = (
        _within_machine(material.engrave, profile),
        _within_machine(material.cut or material.engrave, profile),
    )
    segments: list[Segment] = []
    position = (0.0, 0.0)
    lines = _hatch(inside, engrave.line_interval_mm)
    for index, spans in enumerate(lines):
        if index % 2:  # back and forth, no empty returns
            spans = [(b, a) for a, b in reversed(spans)]
        segments.append(Segment(position, spans[0][0], False, _travel(profile), rapid=True))
        for number, (a, b) in enumerate(spans):
            if number:  # across a gap in the same line at engraving speed, laser off: the head keeps its pace
                segments.append(Segment(segments[-1].end, a, False, engrave.speed_mm_s))
            segments.append(Segment(a, b, True, engrave.speed_mm_s))
        position = segments[-1].end
    cut_length = 0.0
    for ring in _cut_rings(outlines, inside):
        for _ in range(trace.passes):
            segments.append(Segment(position, ring[0], False, _travel(profile), rapid=True))
            for a, b in itertools.pairwise(ring):
                segments.append(Segment(a, b, True, trace.speed_mm_s))
                cut_length += math.dist(a, b)
            position = ring[-1]
    segments.append(Segment(position, (0.0, 0.0), False, _travel(profile), rapid=True))
    hatch_segments = sum(2 * len(spans) - 1 for spans in lines)  # each span, and the gaps between them
    gcode = _gcode(segments, engrave, trace, profile, hatch_segments)
    min_x, min_y, max_x, max_y = region.bounds
    return LaserJob(gcode, tuple(segments), len(lines), hatch_segments, cut_length, (max_x - min_x, max_y - min_y))


def _cut_rings(outlines: list[Polygon], inside: BaseGeometry) -> list[list[tuple[float, float]]]:
    """Each outermost shape's empty holes, then its outline: the rings the laser cuts, in that order."""
    rings: list[list[tuple[float, float]]] = []
    for outline in outlines:
        for hole in outline.interiors:
            if Polygon(hole).intersection(inside).area <= 0:
                rings.append([(x, y) for x, y, *_ in hole.coords])
        rings.append([(x, y) for x, y, *_ in outline.exterior.coords])
    return rings


def _within_machine(pass_: Pass, profile: MachineProfile) -> Pass:
    """A material's pass at no more than the machine's speed, with the power lowered in step (the same energy per
    millimetre), so a slower machine engraves the same depth."""
    fastest = _travel(profile)
    if pass_.speed_mm_s <= fastest:
        return pass_
    factor = fastest / pass_.speed_mm_s
    return Pass(fastest, pass_.power_pct * factor, pass_.passes, pass_.line_interval_mm)


def estimate_seconds(job: LaserJob, profile: MachineProfile) -> float:
    """Machine time with acceleration: a move starts and ends at rest unless it carries straight on from the one
    before at the same feed (how a hatch line runs through its gaps), then only its cruise counts."""
    acceleration = max(profile.limits.max_acceleration, 1.0)
    total = 0.0
    previous: Segment | None = None
    for segment in job.segments:
        total += move_seconds(
            segment.start, segment.end, segment.feed_mm_s, acceleration, _continues(previous, segment)
        )
        previous = segment
    return total


def _continues(previous: Segment | None, segment: Segment) -> bool:
    if previous is None or previous.rapid or segment.rapid or previous.feed_mm_s != segment.feed_mm_s:
        return False
    return same_direction(previous.start, previous.end, segment.start, segment.end)


def _travel(profile: MachineProfile) -> float:
    return min(profile.limits.max_feed_mm_s.get("x", 100.0), profile.limits.max_feed_mm_s.get("y", 100.0))


def _hatch(region: BaseGeometry, interval: float) -> list[list[tuple[tuple[float, float], tuple[float, float]]]]:
    """For each hatch line with something to engrave: the spans to burn, left to right. A scanline fill: where each
    line crosses the region's outlines (outer and holes alike), sorted; inside lies between the 1st and 2nd
    crossing, the 3rd and 4th, and so on (even-odd, which a valid region's rings obey).

    Each edge is visited only for the lines it crosses (found by a sorted search), so the work grows with the
    crossings, not with lines times edges (a 100,000-point outline on 1,000 lines)."""
    edges = _edges(region)
    if not len(edges):
        return []
    _, min_y, _, max_y = region.bounds
    ys = min_y + interval / 2 + interval * np.arange(max(0, math.ceil((max_y - min_y) / interval - 0.5)))
    ys = ys[ys < max_y]
    x0, y0, x1, y1 = edges.T
    # half-open, so a vertex on a line counts once: an edge crosses line y when low <= y < high
    first = np.searchsorted(ys, np.minimum(y0, y1), side="left")
    counts = np.searchsorted(ys, np.maximum(y0, y1), side="left") - first
    edge = np.repeat(np.arange(len(edges)), counts)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    line = np.repeat(first, counts) + np.arange(len(edge)) - starts
    y = ys[line]
    x = x0[edge] + (y - y0[edge]) * (x1[edge] - x0[edge]) / (y1[edge] - y0[edge])
    order = np.lexsort((x, line))
    line, x = line[order], x[order]
    bounds = np.searchsorted(line, np.arange(len(ys) + 1))
    lines = []
    for k in range(len(ys)):
        xs = x[bounds[k] : bounds[k + 1]]
        spans = [
            ((float(a), float(ys[k])), (float(b), float(ys[k])))
            for a, b in zip(xs[0::2], xs[1::2], strict=True)
            if b - a > 1e-9
        ]
        if spans:
            lines.append(spans)
    return lines


def _edges(region: BaseGeometry) -> np.ndarray:
    """Every straight edge of every ring of the region: rows of x0, y0, x1, y1."""
    rings = [
        np.asarray(ring.coords)[:, :2]
        for polygon in polygons_of(region)
        for ring in (polygon.exterior, *polygon.interiors)
    ]
    return np.concatenate([np.hstack([ring[:-1], ring[1:]]) for ring in rings] or [np.zeros((0, 4))])


def _gcode(segments: list[Segment], engrave: Pass, trace: Pass, profile: MachineProfile, hatch_segments: int) -> str:
    full = profile.spindle_s_max
    out = ["G21", "G90", "G0 X0 Y0", "M4 S0"] + (["M8"] if profile.air_assist else [])  # M8: the air pump
    power: int | None = 0
    burning = 0  # segments after the first travel: hatch spans and gaps come first, the cut after them
    for segment in segments:
        x, y = segment.end
        if segment.rapid:
            out.append(f"G0 X{x:.3f} Y{y:.3f}")
            continue
        burning += 1
        pass_ = engrave if burning <= hatch_segments else trace
        wanted = round(full * pass_.power_pct / 100) if segment.burn else 0
        s_word = f" S{wanted}" if wanted != power else ""  # in laser mode an S change does not stop the motion
        power = wanted
        out.append(f"G1 X{x:.3f} Y{y:.3f}{s_word} F{segment.feed_mm_s * 60:.0f}")
    out += ["M5", "M9", "G0 X0 Y0"]  # laser and air off at the end of every job
    return "\n".join(out) + "\n"


def toolpath_svg(job: LaserJob, sheet_hex: str = "#e9d3a6") -> str:
    """The laser's paths over the sheet: what it engraves dark, the cut red."""
    engrave: list[tuple[tuple[float, float], tuple[float, float]]] = []
    cut: list[tuple[tuple[float, float], tuple[float, float]]] = []
    moves = 0
    for segment in job.segments:
        moves += 0 if segment.rapid else 1
        if segment.burn:
            (cut if moves > job.hatch_segments else engrave).append((segment.start, segment.end))
    return toolpath_picture(job.size, engrave, cut, sheet_hex)
