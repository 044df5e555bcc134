"""The engraver's and router's toolpaths on the sheet, as the personalise, price and running steps show them."""

from __future__ import annotations

from app.pipeline import QuoteResult
from app.production.toolpaths import MARGIN_MM
from app.services import Services
from ui_components.sheet_view import SheetView

LASER_SHEET_MM = 3.0  # how thick the engraver's sheet looks in the 3-D view


def toolpaths_view(result: QuoteResult, services: Services, width: int, height: int) -> SheetView:
    """The engraver's or router's toolpaths on the sheet, in 3-D (the sheet as thick as the material)."""
    assert result.plan.program_path is not None
    machine = services.machines[result.plan.machine_id]
    material = machine.materials.get(result.plan.material)
    stock = services.cnc_materials.get(result.plan.material)
    w, d, _ = result.part.size
    sheet = (w + 2 * MARGIN_MM, d + 2 * MARGIN_MM, stock.thickness_mm if stock else LASER_SHEET_MM)
    colour = material.colour_hex if material and material.colour_hex else "#e9d3a6"
    url = f"/media/toolpaths/{result.plan.program_path.stem}.svg"
    return SheetView(url, sheet, colour, width=width, height=height).mark("toolpaths")
