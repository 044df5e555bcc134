"""2-D designs for the engraver: an uploaded or rendered SVG, checked and turned into closed regions in mm."""

from __future__ import annotations

import io
from dataclasses import dataclass

import svgelements
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as parse_xml_safely
from shapely import Polygon
from shapely.affinity import translate
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from app.config import UploadLimits
from app.designs.problems import reject
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


def read_svg(data: bytes, limits: UploadLimits) -> SvgDesign:
    if not data.strip():
        raise reject("file.empty", t("The file is empty."), _ACTION)
    try:
        root = parse_xml_safely(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as e:
        raise reject("svg.unsafe_xml", t("This SVG file contains XML constructs that are not allowed."), _ACTION) from e
    except Exception as e:
        raise reject("svg.bad_xml", t("This SVG file is damaged and cannot be read."), _ACTION) from e
    if not str(root.tag).endswith("svg"):
        raise reject("svg.not_svg", t("This is not an SVG drawing."), _ACTION)
    try:
        drawing = svgelements.SVG.parse(io.BytesIO(data), reify=True, ppi=96.0)
        rings = list(_rings(drawing, limits))
    except (ValueError, TypeError, IndexError, ZeroDivisionError) as e:
        raise reject("svg.bad_geometry", t("The drawing in this SVG file cannot be read."), _ACTION) from e
    if not rings:
        raise reject("svg.no_geometry", t("The SVG file contains nothing to engrave or cut."), _ACTION)
    region = _even_odd(rings)
    if region.is_empty:
        raise reject("svg.no_geometry", t("The SVG file contains nothing to engrave or cut."), _ACTION)
    min_x, min_y, max_x, max_y = region.bounds
    width, height = max_x - min_x, max_y - min_y
    if max(width, height) > limits.max_extent_mm:
        raise reject("svg.too_large", t("The drawing is larger than any machine can make."), _ACTION)
    return SvgDesign(translate(region, -min_x, -min_y), width, height)


def _rings(drawing: svgelements.SVG, limits: UploadLimits) -> list[list[tuple[float, float]]]:
    rings: list[list[tuple[float, float]]] = []
    points_budget = limits.max_triangles
    for element in drawing.elements():
        if not isinstance(element, svgelements.Shape) or isinstance(element, svgelements.Text):
            continue
        path = svgelements.Path(element)
        for sub in path.as_subpaths():
            sub_path = svgelements.Path(sub)
            length = sub_path.length(error=1e-3, min_depth=2)
            if not length:
                continue
            steps = max(4, min(2000, int(length / (0.2 * PX_PER_MM))))
            points_budget -= steps
            if points_budget < 0:
                raise reject("svg.too_complex", t("The drawing is too detailed."), _ACTION)
            # SVG has Y down; machines have Y up
            ring = [(p.x / PX_PER_MM, -p.y / PX_PER_MM) for p in (sub_path.point(i / steps) for i in range(steps + 1))]
            if len(ring) >= 3:
                rings.append(ring)
    return rings


def _even_odd(rings: list[list[tuple[float, float]]]) -> BaseGeometry:
    region: BaseGeometry = Polygon()
    polygons = [Polygon(r).buffer(0) for r in rings]
    for polygon in polygons:
        region = region.symmetric_difference(polygon)
    return unary_union([region])
