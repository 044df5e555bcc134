"""2-D designs for the engraver: an uploaded or rendered SVG, checked and turned into closed regions in mm."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from xml.etree.ElementTree import Element

import numpy as np
import svgelements
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as parse_xml_safely
from shapely import LineString, Polygon
from shapely.affinity import translate
from shapely.geometry.base import BaseGeometry
from shapely.ops import polygonize, unary_union

from app.config import UploadLimits
from app.designs.budget import Budget, over_budget
from app.designs.problems import DesignRejected, reject
from app.i18n import t

PX_PER_MM = 96 / 25.4  # CSS pixels, what svgelements reports lengths in
_ACTION = t("Save the drawing again as plain SVG (paths and shapes), or pick a design from the catalog.")


@dataclass(frozen=True)
class DrawingMeasures:
    """What time and material estimates need of a drawing, in millimetres."""

    width_mm: float
    height_mm: float
    outline_length_mm: float
    area_mm2: float


@dataclass(frozen=True)
class SvgDesign:
    """The drawing's filled region in millimetres, origin at the bottom left, Y up (machine coordinates)."""

    region: BaseGeometry
    width_mm: float
    height_mm: float

    @property
    def outline_length_mm(self) -> float:
        return float(self.region.boundary.length)

    @property
    def area_mm2(self) -> float:
        return float(self.region.area)

    @property
    def measures(self) -> DrawingMeasures:
        return DrawingMeasures(self.width_mm, self.height_mm, self.outline_length_mm, self.area_mm2)


_SVG_NS = "{http://www.w3.org/2000/svg}"
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_NUMBERS = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
SAMPLE_MM = 0.2  # curves are followed in steps about this long


def read_svg(data: bytes, limits: UploadLimits, fit: tuple[float, float] | None = None) -> SvgDesign:
    """The drawing's region; `fit` (width, height in mm), when given, refuses a drawing larger than that before
    the region is worked out (the slow part)."""
    budget = Budget(limits)
    if not data.strip():
        raise reject("file.empty", t("The file is empty."), _ACTION)
    try:
        root = parse_xml_safely(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as e:
        raise reject("svg.unsafe_xml", t("This SVG file contains XML constructs that are not allowed."), _ACTION) from e
    except Exception as e:
        raise reject("svg.bad_xml", t("This SVG file is damaged and cannot be read."), _ACTION) from e
    if root.tag not in (f"{_SVG_NS}svg", "svg"):  # an element called svg in another namespace is something else
        raise reject("svg.not_svg", t("This is not an SVG drawing."), _ACTION)
    _charge_elements(root, budget)
    try:
        drawing = svgelements.SVG.parse(io.BytesIO(data), reify=True, ppi=96.0)
        if not isinstance(drawing, svgelements.SVG):
            raise reject("svg.not_svg", t("This is not an SVG drawing."), _ACTION)
        rings = _rings(drawing, budget)
    # svgelements' own errors on numbers it cannot use (1e300 in a size or a transform overflows), translated here
    except (ValueError, TypeError, IndexError, ZeroDivisionError, OverflowError, AttributeError) as e:
        raise reject("svg.bad_geometry", t("The drawing in this SVG file cannot be read."), _ACTION) from e
    if not rings:
        raise reject("svg.no_geometry", t("The SVG file contains nothing to engrave or cut."), _ACTION)
    every_point = np.concatenate(rings)
    if not np.isfinite(every_point).all():
        raise reject("svg.bad_geometry", t("The drawing in this SVG file cannot be read."), _ACTION)
    low, high = every_point.min(axis=0), every_point.max(axis=0)
    width, height = (float(v) for v in high - low)
    if max(width, height) > limits.max_extent_mm:
        raise reject("svg.too_large", t("The drawing is larger than any machine can make."), _ACTION)
    if fit is not None and not (width <= fit[0] and height <= fit[1]):
        raise drawing_does_not_fit(width, height, fit)
    region = _even_odd(rings, budget)
    if region.is_empty or region.area <= 0:
        raise reject("svg.no_geometry", t("The SVG file contains nothing to engrave or cut."), _ACTION)
    min_x, min_y, max_x, max_y = region.bounds
    return SvgDesign(translate(region, -min_x, -min_y), max_x - min_x, max_y - min_y)


def drawing_does_not_fit(width: float, height: float, room: tuple[float, float]) -> DesignRejected:
    """The refusal for a drawing (its size on the sheet) larger than the room a machine has for it."""
    return reject(
        "size.does_not_fit",
        t(
            "The drawing ({x} × {y} mm) does not fit this machine ({ex} × {ey} mm).",
            x=f"{width:.0f}",
            y=f"{height:.0f}",
            ex=f"{room[0]:.0f}",
            ey=f"{room[1]:.0f}",
        ),
        t("Make the drawing smaller."),
    )


def _charge_elements(root: Element, budget: Budget) -> None:
    """Count the elements (and corners) the drawing has once every `<use>` is expanded, and how deep they nest,
    before anything is expanded: a `<use>` that refers to itself (directly or round a circle) is refused, and a
    small file whose references fan out to millions of shapes is refused by the count."""
    by_id = {element.get("id"): element for element in root.iter() if element.get("id")}
    known: dict[int, tuple[int, int, int]] = {}  # element -> (elements when expanded, levels below it, points)
    open_now: set[int] = set()
    most_points = budget.limits.max_path_points

    def expanded(element: Element, depth: int) -> tuple[int, int, int]:
        budget.check_depth(depth)
        key = id(element)
        if key in known:
            count, below, points = known[key]
            budget.check_depth(depth + below)
            return count, below, points
        if key in open_now:
            raise reject(
                "svg.circular_reference",
                t("This SVG file contains a shape that refers to itself."),
                t("Save the drawing again as plain SVG (paths and shapes), or pick a design from the catalog."),
            )
        open_now.add(key)
        children = list(element)
        if str(element.tag).endswith("use"):
            href = str(element.get(_XLINK_HREF) or element.get("href") or "")
            target = by_id.get(href[1:]) if href.startswith("#") else None
            if target is not None:
                children.append(target)
        # corners written out in the file (two numbers each); curves may add more, charged as they are followed
        count, below, points = (
            1,
            0,
            sum(len(_NUMBERS.findall(element.get(name) or "")) // 2 for name in ("d", "points")),
        )
        for child in children:
            child_count, child_below, child_points = expanded(child, depth + 1)
            count, below, points = count + child_count, max(below, child_below + 1), points + child_points
            if count > budget.limits.max_svg_elements:
                raise over_budget("elements", count, budget.limits.max_svg_elements)
            if points > most_points:
                raise over_budget("points", points, most_points)
        if points > most_points:
            raise over_budget("points", points, most_points)
        open_now.discard(key)
        known[key] = (count, below, points)
        return count, below, points

    total, _, _ = expanded(root, 1)
    budget.charge("elements", total)


def _rings(drawing: svgelements.SVG, budget: Budget) -> list[np.ndarray]:
    """Every closed-off subpath as an (n, 2) array of points in mm, Y up; straight edges kept as they are, curves
    followed in short steps. Every point is charged before it is made."""
    rings: list[np.ndarray] = []
    for element in drawing.elements():
        if not isinstance(element, svgelements.Shape) or isinstance(element, svgelements.Text):
            continue
        for sub in svgelements.Path(element).as_subpaths():
            points: list[np.ndarray] = []
            for segment in sub:
                if isinstance(segment, svgelements.Move | svgelements.Line | svgelements.Close):
                    if segment.end is not None:
                        budget.charge("points")
                        points.append(np.array([[segment.end.x, segment.end.y]], dtype=np.float64))
                    continue
                length_mm = _length_bound(segment) / PX_PER_MM
                steps = int(min(500, max(4, length_mm / SAMPLE_MM))) if np.isfinite(length_mm) else 4
                budget.charge("points", steps)
                points.append(np.asarray(segment.npoint(np.linspace(0, 1, steps + 1)[1:]), dtype=np.float64))
            if len(points) >= 3 or sum(len(p) for p in points) >= 3:
                ring = np.concatenate(points) / PX_PER_MM
                ring[:, 1] = -ring[:, 1]  # SVG has Y down; machines have Y up
                rings.append(ring)  # a degenerate one (a line, a point) encloses no face below: no harm
    return rings


def _length_bound(segment: svgelements.PathSegment) -> float:
    """At least the curve's length, cheaply (px): the control polygon of a Bézier curve, the larger radius
    times the angle swept for an arc; sampling a curve to measure it costs as much as sampling it."""
    if isinstance(segment, svgelements.Arc):
        return float(abs(segment.sweep) * max(abs(segment.rx), abs(segment.ry)))
    corners = [
        segment.start,
        *(getattr(segment, name, None) for name in ("control", "control1", "control2")),
        segment.end,
    ]
    points = [(p.x, p.y) for p in corners if p is not None]
    return float(np.linalg.norm(np.diff(np.asarray(points, dtype=np.float64), axis=0), axis=1).sum())


def _even_odd(rings: list[np.ndarray], budget: Budget) -> BaseGeometry:
    """The area inside an odd number of rings (SVG's even-odd rule over the whole drawing), in O(n log n) for n
    separate shapes: the rings' lines are cut where they cross into faces, and each face is kept when a point
    inside it lies inside an odd number of rings."""
    lines = [LineString(np.vstack([ring, ring[:1]])) for ring in rings]
    faces = list(polygonize(unary_union(lines)))
    budget.check_time()
    if not faces:
        return Polygon()
    inside = np.array([face.representative_point().coords[0] for face in faces])
    parity = np.zeros(len(faces), dtype=bool)
    for ring in rings:
        low, high = ring.min(axis=0), ring.max(axis=0)
        candidates = np.flatnonzero(((inside >= low) & (inside <= high)).all(axis=1))
        for chunk in np.array_split(candidates, max(1, len(candidates) * len(ring) // 2_000_000 + 1)):
            parity[chunk] ^= _inside_ring(inside[chunk], ring)
        budget.check_time()
    kept = [face for face, odd in zip(faces, parity, strict=True) if odd]
    return unary_union(kept) if kept else Polygon()


def _inside_ring(points: np.ndarray, ring: np.ndarray) -> np.ndarray:
    """Which points a ray to the right crosses the ring an odd number of times from (inside, even-odd)."""
    if not len(points):
        return np.zeros(0, dtype=bool)
    x0, y0 = ring[:, 0], ring[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    px, py = points[:, :1], points[:, 1:]
    straddles = (y0 <= py) != (y1 <= py)
    with np.errstate(divide="ignore", invalid="ignore"):
        crossing_x = x0 + (py - y0) * (x1 - x0) / (y1 - y0)
    return np.asarray(((straddles & (crossing_x > px)).sum(axis=1) % 2) == 1)
