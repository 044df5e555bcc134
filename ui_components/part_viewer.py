"""Part viewer: the part's decimated preview in 3-D (loaded over HTTP), with progress and the current layer on it."""

from __future__ import annotations

from collections.abc import Sequence

from nicegui import ui


class PartViewer(ui.scene):
    def __init__(
        self,
        preview_url: str,
        size: tuple[float, float, float],
        colour_hex: str = "#f28c28",
        width: int = 560,
        height: int = 420,
    ) -> None:
        """Part viewer

        A three.js scene showing one part (a GLB centred over the origin, standing on z = 0, as the pipeline writes
        it). `show_progress` fills the part from the bottom as it is made; `show_layer` draws where the tool goes
        in the current layer.

        :param preview_url: URL of the GLB
        :param size: the part's size in mm (x, y, z)
        :param colour_hex: the material's colour
        :param width: canvas width in px
        :param height: canvas height in px
        """
        super().__init__(width=width, height=height, grid=(200, 20), background_color="#f4f4f4")
        self.size = size
        sx, sy, sz = (max(s, 1.0) for s in size)
        with self:
            self.part = self.gltf(preview_url).material(colour_hex)
            self.made = self.box(sx * 1.04, sy * 1.04, 0.001).material(colour_hex, opacity=0.35).move(z=0)
            self.made.visible(False)
            self.layer_points = self.point_cloud([], point_size=1.2).material("#c62828")
        reach = max(sx, sy, sz)
        self.move_camera(x=reach * 0.6, y=-reach * 0.9, z=reach * 0.8, look_at_z=sz / 3, duration=0)

    def show_progress(self, share: float) -> None:
        """Fill the part up to the height made so far (0 to 1)."""
        height = max(self.size[2], 1.0) * min(max(share, 0.0), 1.0)
        self.made.visible(share > 0)
        self.made.scale(1, 1, max(height, 0.001) / 0.001).move(z=height / 2)

    def show_layer(self, points: Sequence[tuple[float, float, float]], centre: tuple[float, float]) -> None:
        """Draw where the tool goes in the current layer, in the preview's coordinates (machine XY minus `centre`)."""
        cx, cy = centre
        self.layer_points.set_points([[x - cx, y - cy, z] for x, y, z in points])
