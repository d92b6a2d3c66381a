"""Picking in the scene: the world point, layer and feature under a pixel, and the selection.

:class:`ScenePicking` is a mixin of :class:`~twinscape.render.scene.SceneView`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vtkmodules.vtkRenderingCore import vtkRenderer

from twinscape.geo.origin import LocalOrigin
from twinscape.model.layers import Layer
from twinscape.render.picking import pick_cells_near

#: Identify looks this far (device pixels) around the pixel for a feature, so a road, a
#: mast or a building's edge a few pixels wide is hit without pixel-exact aim (the search
#: radius of a GIS identify tool); the ground under the pixel is the answer without one.
PICK_RADIUS_PX = 5


@dataclass(frozen=True)
class Hit:
    """What a click hit: the layer, the feature row (None for a surface) and the world point."""

    layer: Layer
    row: int | None
    point: tuple[float, float, float]


class ScenePicking:
    """Picking and highlighting of :class:`~twinscape.render.scene.SceneView`."""

    renderer: vtkRenderer
    origin: LocalOrigin
    visuals: dict[int, Any]

    def pick_world(self, x_px: float, y_px: float) -> tuple[float, float, float] | None:
        """World point under display pixel (x, y) (origin bottom-left), or None over background.

        Reads the depth buffer of the last rendered frame; z is divided by the vertical
        exaggeration of the terrain under the point.
        """
        ren = self.renderer
        z = ren.GetZ(int(x_px), int(y_px))
        if z >= 0.999999:
            return None
        ren.SetDisplayPoint(float(x_px), float(y_px), z)
        ren.DisplayToWorld()
        hx, hy, hz, hw = ren.GetWorldPoint()
        if hw == 0:
            return None
        px, py, pz = hx / hw, hy / hw, hz / hw
        ve = 1.0
        for visual in self.visuals.values():
            if not getattr(getattr(visual, "layer", None), "visible", True):
                continue  # not drawn: the point is on another layer
            b = visual.bounds_render()
            if b is not None and b[0] <= px <= b[1] and b[2] <= py <= b[3]:
                ve = getattr(visual, "ve", 1.0)
                break
        return self.origin.point_to_world((px, py, pz / ve))

    def identify(self, x_px: float, y_px: float, *, refresh: bool = True) -> Hit | None:
        """The layer, feature row and world point under display pixel (x, y), or None.

        The topmost drawn surface decides: a building in front of the terrain is the
        building; a feature within :data:`PICK_RADIUS_PX` beats the ground under the
        pixel, the nearest first. Terrain hits have no row. ``refresh`` renders first so
        the depth buffer is the frame on screen (a click); hovering reads the last frame.
        """
        if refresh:
            self.renderer.GetRenderWindow().Render()
        first: Hit | None = None
        cells = pick_cells_near(self.renderer, int(x_px), int(y_px), PICK_RADIUS_PX,
                                prefer=self._feature_actor)  # fmt: skip
        try:
            for (actor, cell), (x, y) in cells:
                hit = self._hit(actor, cell, x, y)
                if hit is not None and hit.row is not None:
                    return hit  # a feature (a building, a road) beats the ground around it
                if first is None and (x, y) == (int(x_px), int(y_px)):
                    first = hit  # the surface under the pixel itself, should no feature be near
        finally:
            cells.close()
        return first

    def _feature_actor(self, actor: Any) -> bool:
        """True for an actor of a layer with features (not the ground under them)."""
        return any(actor in v.actors and not v.layer.provides_ground for v in self.visuals.values())

    def _hit(self, actor: Any, cell: int, x_px: int, y_px: int) -> Hit | None:
        point = self.pick_world(x_px, y_px)
        if point is None:
            return None
        for visual in self.visuals.values():
            if actor in visual.actors:
                return Hit(visual.layer, visual.row_of_cell(actor, cell), point)
        return None

    def set_highlight(self, layer: Layer | None, rows: list[int]) -> None:
        """Draw ``rows`` of ``layer`` as selected and clear the selection elsewhere."""
        for visual in self.visuals.values():
            visual.set_highlight(rows if visual.layer is layer else [])
