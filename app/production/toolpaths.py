"""What laser and router toolpaths share: where the design sits on the sheet, which outlines free the piece, which
area is worked inside it, the motion-time model both machines' planners follow, and the picture of the paths."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from shapely import STRtree
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

MARGIN_MM = 5.0  # from the work zero (the sheet's corner) to the design
PICTURE_PX = 2048  # the longer side of a toolpath picture, in pixels

Point = tuple[float, ...]


def outer_outlines(region: BaseGeometry) -> list[Polygon]:
    """The outermost shapes of the region: their outlines are where the piece is cut from the sheet."""
    polygons = [g for g in getattr(region, "geoms", [region]) if isinstance(g, Polygon) and not g.is_empty]
    hulls = [Polygon(p.exterior) for p in polygons]
    # a spatial index finds which shape lies within which: n log n, not every pair (a dot pattern of 3,000 dots)
    inside, around = STRtree(hulls).query(hulls, predicate="within")
    enclosed = set(inside[inside != around].tolist())
    return [polygon for i, polygon in enumerate(polygons) if i not in enclosed]


def worked_inside(region: BaseGeometry, outlines: Sequence[Polygon]) -> BaseGeometry:
    """What the design draws inside the holes of its outermost shapes (a name inside a board): engraved.

    Only areas count: a hole's own edge is shared with the shape around it, so the intersection also holds that
    edge as lines (for a washer it holds nothing else), and lines have nothing to engrave."""
    holes = unary_union([Polygon(r) for o in outlines for r in o.interiors]).buffer(0)
    return MultiPolygon(polygons_of(region.intersection(holes)))


def polygons_of(geometry: BaseGeometry) -> list[Polygon]:
    """The non-empty polygons in a geometry of any type (collections flattened, points and lines left out)."""
    if isinstance(geometry, Polygon):
        return [] if geometry.is_empty else [geometry]
    return [p for part in getattr(geometry, "geoms", []) for p in polygons_of(part)]


def move_seconds(start: Point, end: Point, speed: float, acceleration: float, continues: bool) -> float:
    """One move: trapezoid (or triangle) from rest to rest, or plain cruise when it continues the previous move."""
    distance = math.dist(start, end)
    if distance <= 0:
        return 0.0
    if continues:
        return distance / speed
    if distance >= speed * speed / acceleration:
        return distance / speed + speed / acceleration
    return 2 * math.sqrt(distance / acceleration)


def same_direction(a0: Point, a1: Point, b0: Point, b1: Point) -> bool:
    """The second move carries straight on from the first (the planner then keeps the speed)."""
    da, db = [q - p for p, q in zip(a0, a1, strict=True)], [q - p for p, q in zip(b0, b1, strict=True)]
    la, lb = math.hypot(*da), math.hypot(*db)
    if la == 0 or lb == 0:
        return False
    return sum(x * y for x, y in zip(da, db, strict=True)) / (la * lb) > 0.9999


def toolpath_picture(
    size: tuple[float, float],
    worked: Iterable[tuple[Point, Point]],
    cut: Iterable[tuple[Point, Point]],
    sheet_hex: str = "#e9d3a6",
    widths: tuple[float, float] = (0.12, 0.5),
) -> str:
    """The toolpaths drawn over the sheet as SVG: engraving in dark lines, the cut in red (machine Y up, SVG Y down).
    `size` is the design's, without the margins around it; `widths` are the engraved and the cut lines' in mm."""
    width, height = size[0] + 2 * MARGIN_MM, size[1] + 2 * MARGIN_MM
    px = PICTURE_PX / max(width, height)  # an intrinsic size, so a 3-D view's texture is sharp

    def path(moves: Iterable[tuple[Point, Point]]) -> str:
        return "".join(f"M{a[0]:.2f} {height - a[1]:.2f}L{b[0]:.2f} {height - b[1]:.2f}" for a, b in moves)

    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.1f} {height:.1f}"'
        f' width="{width * px:.0f}" height="{height * px:.0f}">'
        f'<rect width="{width:.1f}" height="{height:.1f}" fill="{sheet_hex}"/>'
        f'<path d="{path(worked)}" stroke="#3b2a1a" stroke-width="{widths[0]:g}" fill="none" stroke-linecap="round"/>'
        f'<path d="{path(cut)}" stroke="#d32f2f" stroke-width="{widths[1]:g}" fill="none" stroke-linecap="round"/>'
        "</svg>"
    )
