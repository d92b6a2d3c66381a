"""Picking in the scene: the world point, layer and feature under a pixel, and the selection.

:class:`ScenePicking` is a mixin of :class:`~twinscape.render.scene.SceneView`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vtkmodules.vtkRenderingCore import vtkRenderer

from twinscape.geo.origin import LocalOrigin
from twinscape.model.layers import Layer
from twinscape.render.picking import pick_cell


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
        building. Terrain hits have no row. ``refresh`` renders first so the depth buffer
        is the frame on screen (a click); hovering reads the last frame as it is.
        """
        if refresh:
            self.renderer.GetRenderWindow().Render()
        point = self.pick_world(x_px, y_px)
        if point is None:
            return None
        picked = pick_cell(self.renderer, int(x_px), int(y_px))
        if picked is not None:
            actor, cell = picked
            for visual in self.visuals.values():
                if actor in visual.actors:
                    return Hit(visual.layer, visual.row_of_cell(actor, cell), point)
        return None

    def set_highlight(self, layer: Layer | None, rows: list[int]) -> None:
        """Draw ``rows`` of ``layer`` as selected and clear the selection elsewhere."""
        for visual in self.visuals.values():
            visual.set_highlight(rows if visual.layer is layer else [])
