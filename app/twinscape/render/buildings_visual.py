"""A buildings layer as a few VTK actors: the batched mesh cut into spatial chunks.

Each chunk is one ``vtkPolyData`` with the buildings whose centre falls in one cell
of a k x k grid over the layer's bounds (about :data:`CHUNK_TRIANGLES` triangles a
chunk), so VTK's frustum culling skips chunks off screen while the actor count stays
small: never one actor per building. Per cell the chunk carries the building's
table row (``"building"``, int32, for picking and styling), its surface class
(``"surface"``) and its colour (``"colors"``, uint8 RGB drawn directly, lighting off,
shading baked in by :mod:`~twinscape.render.building_colors`).

Points are world minus the origin, computed in float64 and only then cast to
float32; vertical exaggeration is the actors' z scale, the same transform the
terrain's actors use, so buildings stay on the ground at any exaggeration.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# The OpenGL implementations of the rendering classes and the default interactor
# style, as pyvista imports them (the all-modules ``vtk`` package is never loaded).
from vtkmodules import vtkInteractionStyle, vtkRenderingOpenGL2  # noqa: F401
from vtkmodules.util.numpy_support import numpy_to_vtk, numpy_to_vtkIdTypeArray, vtk_to_numpy
from vtkmodules.vtkCommonCore import vtkPoints
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData
from vtkmodules.vtkRenderingCore import vtkActor, vtkPolyDataMapper, vtkRenderer

from twinscape.geo.origin import LocalOrigin
from twinscape.model.buildings import BuildingMesh, BuildingsLayer
from twinscape.render.building_colors import building_colors, shading

#: Triangles a chunk (one actor) holds, roughly.
CHUNK_TRIANGLES = 100_000


@dataclass
class _Chunk:
    """One actor's share of the mesh."""

    actor: vtkActor
    polydata: vtkPolyData
    triangles: np.ndarray  # indices into mesh.triangles, in cell order
    vertices: np.ndarray  # indices into mesh.vertices, in point order
    bounds: np.ndarray  # (6,) render xmin, xmax, ymin, ymax, zmin, zmax (z not exaggerated)


def _renderer_of(renderer: Any) -> vtkRenderer:
    if isinstance(renderer, vtkRenderer):
        return renderer
    inner = getattr(renderer, "renderer", None)  # pyvista Plotter / QtInteractor
    if isinstance(inner, vtkRenderer):
        return inner
    raise TypeError(f"need a vtkRenderer or a pyvista Plotter, got {type(renderer).__name__}")


def chunk_of_buildings(
    mesh: BuildingMesh, chunk_triangles: int = CHUNK_TRIANGLES, owner: np.ndarray | None = None
) -> np.ndarray:
    """int (n,): chunk of each building, by its centre in a k x k grid over the bounds.

    ``owner`` is ``mesh.vertex_building`` if already computed.
    """
    n = mesh.count
    k = max(1, math.ceil(math.sqrt(len(mesh.triangles) / max(chunk_triangles, 1))))
    if n == 0 or k == 1:
        return np.zeros(n, int)
    owner = mesh.vertex_building if owner is None else owner
    used = owner >= 0
    xy = mesh.vertices[used, :2]
    count = np.bincount(owner[used], minlength=n)
    centre = (
        np.stack([np.bincount(owner[used], xy[:, i], minlength=n) for i in (0, 1)], axis=1)
        / np.maximum(count, 1)[:, None]
    )
    x0, y0 = centre.min(axis=0)
    x1, y1 = centre.max(axis=0)
    cx = np.clip(((centre[:, 0] - x0) / max(x1 - x0, 1e-9) * k).astype(int), 0, k - 1)
    cy = np.clip(((centre[:, 1] - y0) / max(y1 - y0, 1e-9) * k).astype(int), 0, k - 1)
    return cy * k + cx


class BuildingsVisual:
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
        self.renderer = _renderer_of(renderer)
        self.origin = origin
        self.chunk_triangles = chunk_triangles
        self._ve = 1.0
        self._highlight: tuple[int, ...] = ()
        self._chunks: list[_Chunk] = []
        self._shade: np.ndarray | None = None
        self._vertex_base = np.zeros(0)
        self._owner = np.zeros(0, np.int32)  # building of each mesh vertex
        self.culled = np.zeros(0, bool)
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
    def _connect(self, signal: Any, slot: Callable[..., Any], into: list | None = None) -> None:
        signal.connect(slot)
        (self._connections if into is None else into).append((signal, slot))

    def _connect_style(self) -> None:
        for signal, slot in self._style_connections:
            signal.disconnect(slot)
        self._style_connections.clear()
        self._connect(self.layer.style.events.all, self.recolour, self._style_connections)

    def _on_style_replaced(self, *_: Any) -> None:
        self._connect_style()
        self.recolour()

    # -- building -------------------------------------------------------------------
    @property
    def actors(self) -> list[vtkActor]:
        """One actor per chunk."""
        return [c.actor for c in self._chunks]

    def _base(self, mesh: BuildingMesh) -> np.ndarray:
        base = self.layer.base
        if base is None or np.shape(base) != (mesh.count,):
            return np.asarray(mesh.own_base, np.float64)
        return np.where(np.isfinite(base), base, mesh.own_base).astype(np.float64)

    def _render_points(self, mesh: BuildingMesh, vertices: np.ndarray) -> np.ndarray:
        """float32 (p, 3) render points of ``vertices`` (indices), on their buildings' base."""
        world = np.array(mesh.vertices[vertices], np.float64)
        world[:, 2] += self._vertex_base[vertices]
        return self.origin.to_render(world)

    def _update_vertex_base(self, mesh: BuildingMesh) -> None:
        owner = self._owner
        self._vertex_base = np.where(owner >= 0, self._base(mesh)[np.maximum(owner, 0)], 0.0)

    def _rebuild(self, *_: Any) -> None:
        """(Re)create the chunks and their actors from the layer's mesh."""
        self._detach()
        self._chunks = []
        mesh = self.layer.mesh
        self._shade = None
        if mesh is not None and len(mesh.triangles):
            self._shade = shading(mesh)
            self._owner = mesh.vertex_building
            self._update_vertex_base(mesh)
            chunk = chunk_of_buildings(mesh, self.chunk_triangles, self._owner)
            tri_chunk = chunk[mesh.triangle_building]
            order = np.argsort(tri_chunk, kind="stable")
            cuts = np.flatnonzero(np.diff(tri_chunk[order])) + 1
            for tris in np.split(order, cuts):
                self._chunks.append(self._make_chunk(mesh, tris))
        self.culled = np.zeros(len(self._chunks), bool)
        self.recolour()
        self._apply_scale()
        self._apply_names()
        self._apply_opacity()
        self._apply_visibility()
        self._attach()

    def _make_chunk(self, mesh: BuildingMesh, tris: np.ndarray) -> _Chunk:
        corners = np.asarray(mesh.triangles)[tris]
        vertices, local = np.unique(corners.ravel(), return_inverse=True)
        pts = self._render_points(mesh, vertices)
        points = vtkPoints()
        points.SetData(numpy_to_vtk(pts, deep=True))
        offsets = np.arange(0, 3 * len(tris) + 1, 3, dtype=np.int64)
        cells = vtkCellArray()
        cells.SetData(
            numpy_to_vtkIdTypeArray(offsets, deep=True),
            numpy_to_vtkIdTypeArray(local.astype(np.int64).ravel(), deep=True),
        )
        pd = vtkPolyData()
        pd.SetPoints(points)
        pd.SetPolys(cells)
        for name, values in (
            ("building", np.asarray(mesh.triangle_building, np.int32)[tris]),
            ("surface", np.asarray(mesh.triangle_surface, np.uint8)[tris]),
        ):
            arr = numpy_to_vtk(values, deep=True)
            arr.SetName(name)
            pd.GetCellData().AddArray(arr)
        colors = numpy_to_vtk(np.zeros((len(tris), 3), np.uint8), deep=True)
        colors.SetName("colors")
        pd.GetCellData().SetScalars(colors)
        mapper = vtkPolyDataMapper()
        mapper.SetInputData(pd)
        mapper.SetScalarModeToUseCellData()
        mapper.SetColorModeToDirectScalars()
        mapper.ScalarVisibilityOn()
        actor = vtkActor()
        actor.SetMapper(mapper)
        actor.GetProperty().LightingOff()
        box = np.array(pd.GetBounds(), np.float64)
        return _Chunk(actor, pd, tris, vertices, box)

    def _place(self, *_: Any) -> None:
        """Move the points to the buildings' (new) base elevations."""
        mesh = self.layer.mesh
        if mesh is None or not self._chunks:
            return
        self._update_vertex_base(mesh)
        for chunk in self._chunks:
            data = chunk.polydata.GetPoints().GetData()
            vtk_to_numpy(data)[:] = self._render_points(mesh, chunk.vertices)
            data.Modified()
            chunk.polydata.GetPoints().Modified()
            chunk.polydata.Modified()
            chunk.bounds = np.array(chunk.polydata.GetBounds(), np.float64)

    def set_origin(self, origin: LocalOrigin) -> None:
        """Move to a new project origin (re-places the points)."""
        self.origin = origin
        self._place()

    # -- colours --------------------------------------------------------------------
    def recolour(self, *_: Any) -> None:
        """Write the style's colours into the chunks' colour arrays in place."""
        if not self._chunks:
            return
        rgb = building_colors(self.layer, highlight=self._highlight, shade=self._shade)
        for chunk in self._chunks:
            arr = chunk.polydata.GetCellData().GetScalars()
            vtk_to_numpy(arr)[:] = rgb[chunk.triangles]
            arr.Modified()
            chunk.polydata.Modified()

    def set_highlight(self, rows: Sequence[int]) -> None:
        """Draw the buildings of these table rows in the selection colour (``()``: none)."""
        rows = tuple(int(r) for r in rows)
        if rows != self._highlight:
            self._highlight = rows
            self.recolour()

    @property
    def highlight(self) -> tuple[int, ...]:
        """Rows drawn in the selection colour."""
        return self._highlight

    def apply_pending_colours(self, *, wait: bool = False) -> bool:
        """Nothing is ever pending: colours are written synchronously."""
        return False

    # -- level of detail ------------------------------------------------------------
    def update_lod(self, camera: Any, viewport_h_px: float, tolerance_px: float) -> int:
        """No levels: note which chunks are outside the view (for :attr:`triangles`)."""
        if not self._chunks:
            return 0
        planes = [0.0] * 24
        camera.GetFrustumPlanes(self.renderer.GetTiledAspectRatio() or 1.0, planes)
        lo = np.array([c.bounds[0::2] for c in self._chunks])
        hi = np.array([c.bounds[1::2] for c in self._chunks])
        lo[:, 2] *= self._ve
        hi[:, 2] *= self._ve
        out = np.zeros(len(self._chunks), bool)
        for a, b, c, d in np.reshape(planes[:16], (4, 4)):  # side planes, inward normals
            n = np.array([a, b, c])
            out |= np.where(n >= 0, hi, lo) @ n + d < 0
        self.culled = out
        return 0

    @property
    def triangles(self) -> int:
        """Triangles of the chunks inside the view frustum (0 when hidden)."""
        if not self.layer.visible:
            return 0
        return sum(len(c.triangles) for c, out in zip(self._chunks, self.culled) if not out)

    # -- appearance -----------------------------------------------------------------
    @property
    def ve(self) -> float:
        """Vertical exaggeration (the actors' z scale)."""
        return self._ve

    def set_exaggeration(self, ve: float) -> None:
        """Scale render z by ``ve`` as the terrain does (nothing is rebuilt)."""
        self._ve = float(ve)
        self._apply_scale()

    def _apply_scale(self) -> None:
        for actor in self.actors:
            actor.SetScale(1.0, 1.0, self._ve)

    def _apply_visibility(self, *_: Any) -> None:
        for actor in self.actors:
            actor.SetVisibility(bool(self.layer.visible))

    def _apply_opacity(self, *_: Any) -> None:
        for actor in self.actors:
            actor.GetProperty().SetOpacity(float(self.layer.opacity))

    def _apply_names(self, *_: Any) -> None:
        for i, actor in enumerate(self.actors):
            actor.SetObjectName(f"{self.layer.name}/chunk{i}")

    def bounds_render(self) -> np.ndarray | None:
        """[xmin, xmax, ymin, ymax, zmin, zmax] as drawn (render coordinates, z exaggerated)."""
        if not self._chunks:
            return None
        b = np.array([c.bounds for c in self._chunks])
        z = np.array([b[:, 4].min(), b[:, 5].max()]) * self._ve
        return np.array([b[:, 0].min(), b[:, 1].max(), b[:, 2].min(), b[:, 3].max(),
                         z.min(), z.max()])  # fmt: skip

    # -- picking --------------------------------------------------------------------
    def row_of_cell(self, actor: Any, cell_id: int) -> int | None:
        """Table row of the building of cell ``cell_id`` of ``actor``; None if not ours."""
        for chunk in self._chunks:
            if chunk.actor is actor:
                if 0 <= cell_id < len(chunk.triangles):
                    arr = chunk.polydata.GetCellData().GetArray("building")
                    return int(arr.GetValue(int(cell_id)))
                return None
        return None

    # -- renderer membership --------------------------------------------------------
    def _attach(self) -> None:
        for actor in self.actors:
            self.renderer.AddActor(actor)

    def _detach(self) -> None:
        for actor in self.actors:
            self.renderer.RemoveActor(actor)

    def restack(self) -> None:
        """Re-add the actors at the end of the renderer's list (drawn after the others)."""
        self._detach()
        self._attach()

    def close(self) -> None:
        """Disconnect from the layer and remove the actors."""
        for signal, slot in self._connections + self._style_connections:
            signal.disconnect(slot)
        self._connections.clear()
        self._style_connections.clear()
        self._detach()
        self._chunks = []
        self.culled = np.zeros(0, bool)
