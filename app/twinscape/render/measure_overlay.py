"""Lines drawn over the scene while measuring: the line being clicked, a line of sight.

These are not layers: they show what a tool is doing (the vertices clicked so far, the
visible and blocked parts of a sight line) and go when the tool is done. Lines are
drawn a little above the ground, thick and unlit, so they read over any terrain colour.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyvista as pv
from vtkmodules.vtkRenderingCore import vtkActor

#: Colours of the sketch line, the visible and the blocked part of a sight line.
SKETCH_RGB = (1.0, 0.85, 0.1)
VISIBLE_RGB = (0.15, 0.8, 0.25)
BLOCKED_RGB = (0.9, 0.12, 0.1)
#: Metres lines are lifted above the ground (before exaggeration).
LIFT_M = 2.0

Point3 = tuple[float, float, float]


class MeasureOverlay:
    """The overlay lines of the current scene (``scene()`` returns it, or None)."""

    def __init__(self, scene: Callable[[], Any]) -> None:
        self._scene = scene
        self._actors: dict[str, tuple[Any, vtkActor]] = {}  # name -> (renderer, actor)

    def show_line(self, points: np.ndarray | None) -> None:
        """Draw world points (N, 3) as the sketch line; None removes it."""
        self._set("sketch", None if points is None else [(points, SKETCH_RGB)])

    def show_sight(
        self,
        visible: tuple[Point3, Point3] | None,
        blocked: tuple[Point3, Point3] | None = None,
    ) -> None:
        """Draw a sight line: its ``visible`` part green, its ``blocked`` part red.

        Each part is (start, end) in world coordinates (the sight line itself, not the
        ground); None for both removes it.
        """
        parts = [(np.asarray(seg, np.float64), rgb)
                 for seg, rgb in ((visible, VISIBLE_RGB), (blocked, BLOCKED_RGB))
                 if seg is not None]
        self._set("sight", parts or None, lift=0.0)

    def clear(self) -> None:
        """Remove every overlay line."""
        for name in list(self._actors):
            self._set(name, None)

    def _set(
        self, name: str, parts: list[tuple[np.ndarray, tuple]] | None, *, lift: float = LIFT_M
    ) -> None:
        old = self._actors.pop(name, None)
        if old is not None:
            old[0].RemoveActor(old[1])
        scene = self._scene()
        if scene is None or not parts:
            return
        ve = scene.ground_exaggeration()
        ox, oy, oz = scene.origin.point_to_world((0.0, 0.0, 0.0))
        meshes = []
        for points, rgb in parts:
            pts = np.asarray(points, np.float64)
            if len(pts) < 2:
                continue
            render = np.column_stack([pts[:, 0] - ox, pts[:, 1] - oy,
                                      (pts[:, 2] + lift - oz) * ve]).astype(np.float32)
            line = pv.lines_from_points(render)
            line.cell_data["rgb"] = np.tile(np.asarray(rgb) * 255, (line.n_cells, 1)).astype(
                np.uint8)
            meshes.append(line)
        if not meshes:
            return
        merged = pv.merge(meshes) if len(meshes) > 1 else meshes[0]
        mapper = pv.DataSetMapper(merged)
        mapper.SetColorModeToDirectScalars()
        mapper.SelectColorArray("rgb")
        mapper.SetScalarModeToUseCellFieldData()
        actor = vtkActor()
        actor.SetMapper(mapper)
        prop = actor.GetProperty()
        prop.SetLineWidth(4.0)
        prop.SetLighting(False)
        prop.SetRenderLinesAsTubes(True)
        actor.PickableOff()
        scene.renderer.AddActor(actor)
        self._actors[name] = (scene.renderer, actor)
