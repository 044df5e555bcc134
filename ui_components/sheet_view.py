"""Sheet view: the engraver's or router's toolpaths drawn on the sheet material, in 3-D."""

from __future__ import annotations

from nicegui import ui


class SheetView(ui.scene):
    def __init__(
        self,
        toolpaths_url: str,
        sheet_mm: tuple[float, float, float],
        sheet_hex: str = "#e9d3a6",
        width: int = 560,
        height: int = 400,
    ) -> None:
        """Sheet view

        A three.js scene with the sheet as a slab of its real thickness and the toolpaths (an SVG picture from the
        pipeline: engraving dark, the cut red) laid on its top face, centred over the origin.

        :param toolpaths_url: URL of the toolpaths picture (SVG, the sheet's size)
        :param sheet_mm: the sheet's width, depth and thickness in mm
        :param sheet_hex: the sheet material's colour, for the slab's sides
        :param width: canvas width in px
        :param height: canvas height in px
        """
        super().__init__(width=width, height=height, grid=False, background_color="#f4f4f4")
        w, d, thickness = sheet_mm
        top = 0.02  # just above the slab, so the picture never flickers into it
        with self:
            self.box(w, d, thickness).material(sheet_hex).move(z=-thickness / 2)
            self.picture = self.texture(
                toolpaths_url,
                [[[-w / 2, d / 2, top], [w / 2, d / 2, top]], [[-w / 2, -d / 2, top], [w / 2, -d / 2, top]]],
            )
        reach = max(w, d)
        self.move_camera(x=0, y=-reach * 0.55, z=reach * 0.75, duration=0)
