"""A buildings layer as a few VTK actors per spatial chunk, with levels of detail.

The numpy side (:mod:`~twinscape.render.building_lod`) cuts the batched mesh into
chunks of about :data:`~twinscape.render.building_lod.CHUNK_TRIANGLES` triangles and
sorts each chunk's cells by building size; :mod:`~twinscape.render.building_actors`
wraps those arrays, without copying, into ``vtkPolyData``. Per chunk one actor draws
triangles, its mapper input swapped between levels (the large buildings, or all of
them) as the terrain swaps tiles; the small buildings that span only a few pixels are
drawn as points, by one actor per point size for the whole layer
(:class:`~twinscape.render.building_actors.PointBatches`). Never one actor per building:
per cell (and per point) the data carries the building's table row (``"building"``,
int32, for picking and styling), triangles also their surface class (``"surface"``)
and every level its colour (``"colors"``, uint8 RGB drawn directly, lighting off,
shading baked in by :mod:`~twinscape.render.building_colors`).

Points are world minus the origin, computed in float64 and only then cast to
float32; vertical exaggeration is the actors' z scale, the same transform the
terrain's actors use, so buildings stay on the ground at any exaggeration.
Footprint-extruded buildings are closed to the eye, so their back faces are culled.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

# The OpenGL implementations of the rendering classes and the default interactor
# style, as pyvista imports them (the all-modules ``vtk`` package is never loaded).
from vtkmodules import vtkInteractionStyle, vtkRenderingOpenGL2  # noqa: F401
from vtkmodules.vtkRenderingCore import vtkActor

from twinscape.geo.origin import LocalOrigin
from twinscape.model.buildings import BuildingsLayer
from twinscape.render.building_actors import ChunkActors, PointBatches, touch
from twinscape.render.building_levels import (
    fit_levels,
    level_costs,
    min_point_px,
    select_levels,
)
from twinscape.render.building_lod import (
    CHUNK_TRIANGLES,
    BuildingLOD,
    building_base,
    style_key,
    take_prepared,
)
from twinscape.render.building_point_state import LayerPoints
from twinscape.render.terrain_lod import boxes_outside, pixels_per_metre
from twinscape.render.visual import ActorsInRenderer, Connections, ScaledWithGround, renderer_of

__all__ = ["CHUNK_TRIANGLES", "BuildingsVisual"]

#: Point colours are recomputed when the direction they are seen from turns this much;
#: while the camera moves on from the last frame, only past :data:`MOVING_RESHADE_DEG`,
#: and the first frame the camera stays put brings them all within ``RESHADE_DEG`` again.
#: Points are far buildings a few pixels wide: a colour a quarter turn old while the
#: view moves is not seen, and recolouring and gathering them again cost llvmpipe 10 of
#: the 56 ms of an orbit frame at the overview of 100,000 buildings at 24 degrees.
RESHADE_DEG = 8.0
MOVING_RESHADE_DEG = 90.0
_RESHADE_COS = math.cos(math.radians(RESHADE_DEG))
_MOVING_RESHADE_COS = math.cos(math.radians(MOVING_RESHADE_DEG))


class BuildingsVisual(Connections, ScaledWithGround, ActorsInRenderer):
    """Draws one :class:`~twinscape.model.buildings.BuildingsLayer` into a renderer.

    Parameters
    ----------
    layer
        The layer; its events drive every change.
    renderer
        A ``vtkRenderer`` or a pyvista ``Plotter``.
    origin
        Render coordinates are world minus this point.
    colour_executor, on_update
        Accepted for the visual interface; buildings recolour synchronously.
    chunk_triangles
        Triangles per chunk (actor), roughly.
    """

    draws_first = True  # a solid standing on the ground: drawn before the terrain

    def __init__(
        self,
        layer: BuildingsLayer,
        renderer: Any,
        origin: LocalOrigin,
        *,
        colour_executor: Any = None,
        on_update: Callable[[], None] | None = None,
        chunk_triangles: int = CHUNK_TRIANGLES,
    ) -> None:
        self.layer = layer
        self.renderer = renderer_of(renderer)
        self.origin = origin
        self.chunk_triangles = chunk_triangles
        self.lod: BuildingLOD | None = None
        self.adopted = False  # the last build used a preparation from a worker thread
        self._ve = 1.0
        self._highlight: tuple[int, ...] = ()
        self._chunks: list[ChunkActors] = []
        self._points = LayerPoints([])  # what the chunks show as points
        self._colour_version = 0
        self._last_camera: tuple = ()  # the camera of the last update_lod
        self._batches = PointBatches()
        self.culled = np.zeros(0, bool)
        self._costs = np.zeros((0, 1))  # building_levels.level_costs of the chunks
        self._connections: list[tuple[Any, Callable[..., Any]]] = []
        self._style_connections: list[tuple[Any, Callable[..., Any]]] = []
        ev = layer.events
        self._connect(ev.visible, self._apply_visibility)
        self._connect(ev.opacity, self._apply_opacity)
        self._connect(ev.base, self._place)
        self._connect(ev.mesh, self._rebuild)
        self._connect(ev.name, self._apply_names)
        self._connect(ev.style, self._on_style_replaced)
        self._connect_style()
        self._rebuild()

    # -- events ---------------------------------------------------------------------
    def _connect_style(self) -> None:
        self._disconnect(self._style_connections)
        self._connect(self.layer.style.events.all, self.recolour, self._style_connections)

    def _on_style_replaced(self, *_: Any) -> None:
        self._connect_style()
        self.recolour()

    # -- building -------------------------------------------------------------------
    @property
    def actors(self) -> list[vtkActor]:
        """The triangle actor of every chunk, then the point actors made so far."""
        return [c.actor for c in self._chunks] + list(self._batches.actors.values())

    def _rebuild(self, *_: Any) -> None:
        """(Re)create the chunks and their actors from the layer's mesh."""
        self._detach()
        self._chunks, self._points = [], LayerPoints([])
        self._batches = PointBatches()
        self.lod = None
        mesh = self.layer.mesh
        if mesh is not None and len(mesh.triangles):
            base = building_base(self.layer.base, mesh)
            lod = take_prepared(mesh)
            self.adopted = lod is not None and lod.chunk_triangles == self.chunk_triangles
            if not self.adopted:
                lod = BuildingLOD.build(mesh, base, self.origin, self.chunk_triangles)
            assert lod is not None
            if lod.origin != self.origin or not np.array_equal(lod.base, base):
                lod.place(mesh, base, self.origin)
            self.lod = lod
            self._chunks = [ChunkActors(data, lod.outward) for data in lod.chunks]
            self._points = LayerPoints(self._chunks)
            self._costs = level_costs(lod.chunks)
            if lod.colour_key != style_key(self.layer) or self._highlight:
                lod.colour(self.layer, self._highlight)
        self.culled = np.zeros(len(self._chunks), bool)
        self._apply_scale()
        self._apply_names()
        self._apply_opacity()
        self._apply_visibility()
        self._attach()

    def _place(self, *_: Any) -> None:
        """Move the points to the buildings' (new) base elevations."""
        mesh, lod = self.layer.mesh, self.lod
        if mesh is None or lod is None:
            return
        lod.place(mesh, building_base(self.layer.base, mesh), self.origin)
        for chunk in self._chunks:
            for pd in chunk.levels.values():
                touch(pd, points=True)
            for pts in chunk.points.values():
                pts.version += 1

    def set_origin(self, origin: LocalOrigin) -> None:
        """Move to a new project origin (re-places the points)."""
        self.origin = origin
        self._place()

    # -- colours --------------------------------------------------------------------
    def recolour(self, *_: Any) -> None:
        """Write the style's colours into every level's colour arrays in place."""
        if self.lod is not None:
            self.lod.colour(self.layer, self._highlight)
            self._touch_colours(range(len(self._chunks)))

    def _touch_colours(self, chunks: Any) -> None:
        for i in chunks:
            chunk = self._chunks[i]
            for pd in chunk.levels.values():
                touch(pd, colours=True)
            for pts in chunk.points.values():
                pts.version += 1
        self._colour_version += 1

    def set_highlight(self, rows: Sequence[int]) -> None:
        """Draw the buildings of these table rows in the selection colour (``()``: none).

        Only the buildings whose highlight changes are recoloured.
        """
        rows = tuple(int(r) for r in rows)
        if rows != self._highlight:
            old, self._highlight = self._highlight, rows
            if self.lod is not None:
                self._touch_colours(self.lod.highlight(old, rows))

    @property
    def highlight(self) -> tuple[int, ...]:
        """Rows drawn in the selection colour."""
        return self._highlight

    def apply_pending_colours(self, *, wait: bool = False) -> bool:
        """Nothing is ever pending: colours are written synchronously."""
        return False

    # -- level of detail ------------------------------------------------------------
    def update_lod(self, camera: Any, viewport_h_px: float, tolerance_px: float) -> int:
        """Per chunk, draw as points the size classes spanning few pixels; the rest as triangles.

        A class spanning at most ``tolerance_px - POINT_MARGIN_PX`` pixels at the point of
        the chunk's box nearest to the eye is drawn as points (see
        :mod:`~twinscape.render.building_levels`). Chunks outside the view keep what they
        show, hidden.

        Returns
        -------
        int
            Number of chunks whose triangles level changed.
        """
        return self._choose(camera, viewport_h_px, tolerance_px, None)[0]

    def fit_lod(
        self, camera: Any, viewport_h_px: float, tolerance_px: float, budget: float
    ) -> float:
        """:meth:`update_lod` at the least tolerance ``>= tolerance_px`` whose chunks in
        view draw at most ``budget`` triangles (a point counted as
        :data:`~twinscape.render.building_levels.POINT_TRIANGLES`); returns what they draw."""
        return self._choose(camera, viewport_h_px, tolerance_px, budget)[1]

    def _choose(
        self, camera: Any, viewport_h_px: float, tolerance_px: float, budget: float | None
    ) -> tuple[int, float]:
        """Choose and show the levels; returns the chunks changed and what they draw."""
        if not self._chunks or not self.layer.visible:
            return 0, 0.0
        ve, height = self._ve, max(float(viewport_h_px), 1.0)
        boxes = np.array([c.data.box for c in self._chunks])
        planes = [0.0] * 24
        camera.GetFrustumPlanes(self.renderer.GetTiledAspectRatio() or 1.0, planes)
        self.culled = boxes_outside(boxes, np.array(planes[:16]), ve)
        parallel = camera.GetParallelScale() if camera.GetParallelProjection() else None
        eye = np.array(camera.GetPosition(), np.float64)
        near = pixels_per_metre(boxes, eye, camera.GetViewAngle(), height, ve=ve,
                                parallel_scale=parallel)  # fmt: skip
        mid = (boxes[:, 0::2] + boxes[:, 1::2]) / 2 * [1.0, 1.0, ve]
        at_mid = pixels_per_metre(np.repeat(mid, 2, axis=1), eye, camera.GetViewAngle(), height,
                                  parallel_scale=parallel)  # fmt: skip
        extent = np.array([c.data.extent for c in self._chunks])
        tall = np.array([c.data.height for c in self._chunks])
        seen = ~self.culled
        levels = np.full(len(self._chunks), -1)
        if budget is None:
            levels[seen] = select_levels(extent[seen], tall[seen], near[seen], tolerance_px, ve)
        else:
            levels[seen] = fit_levels(extent[seen], tall[seen], near[seen], tolerance_px, ve,
                                      self._costs[seen], budget)[0]  # fmt: skip
        drawn = float(self._costs[seen, levels[seen]].sum())
        seen_from = (*eye, *camera.GetFocalPoint(), *camera.GetViewUp(), ve)
        moved, self._last_camera = seen_from != self._last_camera, seen_from
        reshade_cos = _MOVING_RESHADE_COS if moved else _RESHADE_COS
        if parallel is not None:
            sight = -np.array(camera.GetDirectionOfProjection())
            toward = np.tile(sight, (len(mid), 1))
        else:
            toward = eye - mid
            toward /= np.maximum(np.linalg.norm(toward, axis=1), 1e-9)[:, None]
        changed = 0
        for i, chunk in enumerate(self._chunks):
            if self.culled[i]:  # it keeps what it shows, hidden: VTK's own culling of
                chunk.actor.SetVisibility(False)  # an actor costs more on llvmpipe
                continue
            changed += chunk.show(int(levels[i]))
            chunk.actor.SetVisibility(bool(self.layer.visible and chunk.triangles))
        self._points.update(levels, seen, toward, at_mid, self._ve, self._colour_version,
                            reshade_cos, min_point_px(tolerance_px))  # fmt: skip
        shown = [p for c, out in zip(self._chunks, self.culled) if not out
                 for p in c.points.values() if p.shown]  # fmt: skip
        for actor in self._batches.update(shown, self.renderer, self.layer.name):
            actor.SetScale(1.0, 1.0, self._ve)
            actor.GetProperty().SetOpacity(float(self.layer.opacity))
        self._apply_point_visibility()
        return changed, drawn

    @property
    def triangles(self) -> int:
        """Triangles of the chunks inside the view frustum (0 when hidden)."""
        if not self.layer.visible:
            return 0
        return sum(c.triangles for c, out in zip(self._chunks, self.culled) if not out)

    @property
    def points(self) -> int:
        """Buildings drawn as points in the chunks inside the view frustum."""
        if not self.layer.visible:
            return 0
        return sum(p.count for c, out in zip(self._chunks, self.culled) if not out
                   for p in c.points.values() if p.shown)  # fmt: skip

    # -- appearance -----------------------------------------------------------------
    def _apply_visibility(self, *_: Any) -> None:
        visible = bool(self.layer.visible)
        for chunk, outside in zip(self._chunks, self.culled, strict=True):
            chunk.actor.SetVisibility(visible and chunk.triangles > 0 and not outside)
        self._apply_point_visibility()

    def _apply_point_visibility(self) -> None:
        shown = self._batches.shown()
        for actor in self._batches.actors.values():
            actor.SetVisibility(bool(self.layer.visible) and actor in shown)

    def _apply_opacity(self, *_: Any) -> None:
        for actor in self.actors:
            actor.GetProperty().SetOpacity(float(self.layer.opacity))

    def _apply_names(self, *_: Any) -> None:
        for i, chunk in enumerate(self._chunks):
            chunk.actor.SetObjectName(f"{self.layer.name}/chunk{i}")
        for size, actor in self._batches.actors.items():
            actor.SetObjectName(f"{self.layer.name}/points{size}px")

    def bounds_render(self) -> np.ndarray | None:
        """[xmin, xmax, ymin, ymax, zmin, zmax] as drawn (render coordinates, z exaggerated)."""
        if not self._chunks:
            return None
        b = np.array([c.data.box for c in self._chunks])
        z = np.array([b[:, 4].min(), b[:, 5].max()]) * self._ve
        return np.array([b[:, 0].min(), b[:, 1].max(), b[:, 2].min(), b[:, 3].max(),
                         z.min(), z.max()])  # fmt: skip

    # -- picking --------------------------------------------------------------------
    def row_of_cell(self, actor: Any, cell_id: int) -> int | None:
        """Table row of the building of cell ``cell_id`` of ``actor`` (whatever level or
        point class it shows); None if the actor is not ours."""
        if actor not in self.actors:
            return None
        shown = actor.GetMapper().GetInput()
        rows = None if shown is None else shown.GetCellData().GetArray("building")
        if rows is None or not 0 <= cell_id < rows.GetNumberOfTuples():
            return None
        return int(rows.GetValue(int(cell_id)))

    # -- teardown -------------------------------------------------------------------
    def close(self) -> None:
        """Disconnect from the layer and remove the actors."""
        self._disconnect(self._connections)
        self._disconnect(self._style_connections)
        self._detach()
        self._chunks, self._points = [], LayerPoints([])
        self.lod = None
        self.culled = np.zeros(0, bool)
