"""The VTK side of a buildings layer's levels: numpy arrays wrapped, never copied.

:class:`ChunkActors` draws the triangles of one chunk
(:class:`~twinscape.render.building_lod.ChunkLOD`), its mapper input swapped between
levels, each level a ``vtkPolyData`` over prefixes of the chunk's arrays.
:class:`PointActors` draws one point class
(:class:`~twinscape.render.building_points.PointClass`), thinned by swapping inputs
whose vertex lists are prefixes. Arrays changed in place are announced with
:func:`touch`. Every object here is made and touched on the GUI thread only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# The OpenGL implementations of the rendering classes and the default interactor
# style, as pyvista imports them (the all-modules ``vtk`` package is never loaded).
from vtkmodules import vtkInteractionStyle, vtkRenderingOpenGL2  # noqa: F401
from vtkmodules.util.numpy_support import numpy_to_vtk, numpy_to_vtkIdTypeArray
from vtkmodules.vtkCommonCore import vtkPoints
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData
from vtkmodules.vtkRenderingCore import vtkActor, vtkPolyDataMapper

from twinscape.render.building_lod import ChunkLOD
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


def _mapper(cell_scalars: bool) -> vtkPolyDataMapper:
    """A mapper drawing uint8 RGB as they are, per cell or per point."""
    mapper = vtkPolyDataMapper()
    mapper.SetScalarModeToUseCellData() if cell_scalars else mapper.SetScalarModeToUsePointData()
    mapper.SetColorModeToDirectScalars()
    mapper.ScalarVisibilityOn()
    mapper.StaticOn()  # plain data objects: no pipeline to update
    return mapper


class PointActors:
    """The actor drawing one point class of one chunk, thinned by swapping its input."""

    def __init__(self, pc: PointClass) -> None:
        self.pc = pc
        self.actor = vtkActor()
        self.actor.SetMapper(_mapper(cell_scalars=False))
        self.actor.GetProperty().LightingOff()
        self.variants: dict[int, Any] = {}
        self.step = -1
        self.direction: np.ndarray | None = None
        self.key: tuple = ()
        self.shaded = 0  # points whose colours are for ``direction`` and ``key``
        self.size = 1
        self.shown = False

    def show(self, step: int) -> None:
        """Draw the points of thinning ``step`` (see building_points.thinned)."""
        if step != self.step:
            if step not in self.variants:
                m = thinned(len(self.pc.rows), step)
                ids = np.arange(m + 1, dtype=np.int64)
                pd = polydata(self.pc.points, ids, ids[:m], verts=True)
                pd.GetPointData().SetScalars(vtk_array(self.pc.colors, "colors"))
                pd.GetCellData().AddArray(vtk_array(self.pc.rows[:m], "building"))
                self.variants[step] = pd
            self.actor.GetMapper().SetInputData(self.variants[step])
            self.step = step

    @property
    def count(self) -> int:
        """Points drawn."""
        return thinned(len(self.pc.rows), self.step) if self.step >= 0 else 0


class ChunkActors:
    """One chunk: a triangles actor whose input is the level shown, and point actors."""

    def __init__(self, data: ChunkLOD, cull: bool) -> None:
        self.data = data
        self.actor = vtkActor()
        self.actor.SetMapper(_mapper(cell_scalars=True))
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
            pd.GetCellData().SetScalars(vtk_array(d.colors[:t], "colors"))
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
