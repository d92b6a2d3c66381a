"""The VTK side of a buildings layer's levels: numpy arrays wrapped, not copied (but for
the few points drawn, which are gathered per point size).

:class:`ChunkActors` draws the triangles of one chunk
(:class:`~twinscape.render.building_lod.ChunkLOD`), its mapper input swapped between
levels, each level a ``vtkPolyData`` over prefixes of the chunk's arrays.
:class:`PointActors` is what one point class
(:class:`~twinscape.render.building_points.PointClass`) shows, thinned to a prefix, and
:class:`PointBatches` draws all of them as one actor per point size. Arrays changed in
place are announced with :func:`touch`. Every object here is made and touched on the
GUI thread only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

# The OpenGL implementations of the rendering classes and the default interactor
# style, as pyvista imports them (the all-modules ``vtk`` package is never loaded).
from vtkmodules import vtkInteractionStyle, vtkRenderingOpenGL2  # noqa: F401
from vtkmodules.util.numpy_support import numpy_to_vtk, numpy_to_vtkIdTypeArray
from vtkmodules.vtkCommonCore import vtkPoints
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData
from vtkmodules.vtkRenderingCore import vtkActor, vtkPolyDataMapper

from twinscape.render.building_chunks import ChunkLOD
from twinscape.render.building_points import PointClass, thinned


def vtk_array(values: np.ndarray, name: str | None = None) -> Any:
    """A VTK array over ``values`` (no copy: it keeps the numpy array alive)."""
    arr = numpy_to_vtk(values, deep=False)
    if name:
        arr.SetName(name)
    return arr


def polydata(points: np.ndarray, offsets: np.ndarray, ids: np.ndarray, verts: bool) -> Any:
    """A ``vtkPolyData`` over ``points`` with cells ``offsets``/``ids`` (int64), as vertices
    (``verts``) or polygons, sharing the numpy arrays."""
    pd = vtkPolyData()
    pts = vtkPoints()
    pts.SetData(vtk_array(points))
    pd.SetPoints(pts)
    cells = vtkCellArray()
    cells.SetData(numpy_to_vtkIdTypeArray(offsets), numpy_to_vtkIdTypeArray(ids))
    if verts:
        pd.SetVerts(cells)
    else:
        pd.SetPolys(cells)
    return pd


def touch(pd: Any, *, points: bool = False, colours: bool = False) -> None:
    """Tell VTK that arrays under ``pd`` changed in place."""
    if points:
        pd.GetPoints().GetData().Modified()
        pd.GetPoints().Modified()
    if colours:
        for arr in (pd.GetCellData().GetScalars(), pd.GetPointData().GetScalars(),
                    pd.GetCellData().GetArray("building")):  # fmt: skip
            if arr is not None:
                arr.Modified()
    pd.Modified()


def _mapper() -> vtkPolyDataMapper:
    """A mapper drawing per-point uint8 RGB as they are."""
    mapper = vtkPolyDataMapper()
    mapper.SetScalarModeToUsePointData()
    mapper.SetColorModeToDirectScalars()
    mapper.ScalarVisibilityOn()
    mapper.StaticOn()  # plain data objects: no pipeline to update
    return mapper


class PointActors:
    """What one point class of one chunk shows: its thinning step, point size and whether
    it is shown (drawn by :class:`PointBatches`; chosen by
    :class:`~twinscape.render.building_point_state.LayerPoints`); ``version`` counts
    changes of its points' positions or colours."""

    def __init__(self, pc: PointClass) -> None:
        self.pc = pc
        self.step = -1
        self.count = 0  # points drawn
        self.size = 1
        self.shown = False
        self.version = 0

    def show(self, step: int) -> None:
        """Draw the points of thinning ``step`` (see building_points.thinned)."""
        self.step = step
        self.count = thinned(len(self.pc.rows), step) if step >= 0 else 0


class PointBatches:
    """The point classes shown, drawn as one actor per point size.

    One actor per chunk and class cost llvmpipe about 25 us each a frame: 431 of them
    at the overview of a 100,000-building town, 11 ms. A size's arrays are gathered
    again (copies of the shown prefixes, in class order) only when what it shows
    changed. Cells carry the building's table row (``"building"``) for picking.
    """

    def __init__(self) -> None:
        self.actors: dict[int, vtkActor] = {}
        self._shows: dict[int, tuple] = {}

    def update(self, shown: Sequence[PointActors], renderer: Any, name: str) -> list[vtkActor]:
        """Draw ``shown`` (grouped by point size); returns the actors made now (added to
        ``renderer``, to be given the layer's scale, opacity and visibility)."""
        groups: dict[int, list[PointActors]] = {}
        for pa in shown:
            groups.setdefault(pa.size, []).append(pa)
        made = []
        for size in sorted(set(self.actors) | set(groups)):
            members = groups.get(size, [])
            shows = tuple((id(pa), pa.count, pa.version) for pa in members)
            if shows == self._shows.get(size):
                continue
            self._shows[size] = shows
            actor = self.actors.get(size)
            if actor is None:
                actor = self.actors[size] = vtkActor()
                actor.SetMapper(_mapper())
                actor.GetProperty().LightingOff()
                actor.GetProperty().SetPointSize(size)
                actor.SetObjectName(f"{name}/points{size}px")
                renderer.AddActor(actor)
                made.append(actor)
            actor.GetMapper().SetInputData(_gathered(members))
        return made

    def shown(self) -> list[vtkActor]:
        """The actors drawing any point."""
        return [a for size, a in self.actors.items() if self._shows.get(size)]

    def touch_all(self) -> None:
        """Gather every size again at the next :meth:`update`."""
        self._shows.clear()


def _gathered(members: Sequence[PointActors]) -> Any:
    """One vertex polydata of the shown prefixes of ``members``."""
    if members:
        points = np.concatenate([pa.pc.points[: pa.count] for pa in members])
        colors = np.concatenate([pa.pc.colors[: pa.count] for pa in members])
        rows = np.concatenate([pa.pc.rows[: pa.count] for pa in members])
    else:
        points, colors = np.zeros((0, 3), np.float32), np.zeros((0, 3), np.uint8)
        rows = np.zeros(0, np.int32)
    ids = np.arange(len(points) + 1, dtype=np.int64)
    pd = polydata(points, ids, ids[:-1], verts=True)
    pd.GetPointData().SetScalars(vtk_array(colors, "colors"))
    pd.GetCellData().AddArray(vtk_array(rows, "building"))
    return pd


class ChunkActors:
    """One chunk: a triangles actor whose input is the level shown, and point actors."""

    def __init__(self, data: ChunkLOD, cull: bool) -> None:
        self.data = data
        self.actor = vtkActor()
        self.actor.SetMapper(_mapper())
        self.actor.GetProperty().LightingOff()
        if cull:
            self.actor.GetProperty().BackfaceCullingOn()
        self.levels: dict[int, Any] = {}
        self.points: dict[int, PointActors] = {}
        self.level = -1
        # levels drawing the same cells share one polydata (the first of them)
        counts = data.level_triangles
        self.canonical = [int(np.argmax(counts == n)) for n in counts]
        self.show(0)

    def polydata(self, level: int) -> Any:
        """The level's polydata (views of the chunk's arrays), wrapped on first use."""
        if level not in self.levels:
            d = self.data
            t, p = int(d.level_triangles[level]), int(d.level_points[level])
            pd = polydata(d.points[:p], d.offsets[: t + 1], d.connectivity[: 3 * t], verts=False)
            pd.GetCellData().AddArray(vtk_array(d.building[:t], "building"))
            pd.GetCellData().AddArray(vtk_array(d.surface[:t], "surface"))
            pd.GetPointData().SetScalars(vtk_array(d.point_colors[:p], "colors"))
            self.levels[level] = pd
        return self.levels[level]

    def show(self, level: int) -> bool:
        """Draw ``level`` (the classes from it on as triangles); True when it changed."""
        level = self.canonical[level]
        if level == self.level:
            return False
        self.actor.GetMapper().SetInputData(self.polydata(level))
        self.level = level
        return True

    @property
    def triangles(self) -> int:
        """Triangles of the level shown."""
        return int(self.data.level_triangles[self.level])
