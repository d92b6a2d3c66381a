"""Export parts read from any visual's VTK actors: the generic path of the scene export.

Every kind is exported the way it is drawn, with no code of its own: for each actor in
``visual.actors`` that is a visible, pickable ``vtkActor`` (non-pickable actors are
helpers such as placement previews and sketches; 2-D actors such as labels are not
``vtkActor``), the mapper's input polydata is taken with the actor's transform (its
matrix, the user matrix included) applied, its triangles (polygons and strips are
triangulated by VTK) and line segments, and its colours as the mapper would draw them
(``vtkMapper.MapScalars``: direct RGB(A) arrays or values through the lookup table, per
point or per cell), else a texture sampled at the points, else the property's colour.
Vertices (point sprites) are left out. The z of the result is divided by the exaggeration
still applied (``ve``), so heights are true.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from vtkmodules.util.numpy_support import vtk_to_numpy
from vtkmodules.vtkCommonCore import reference
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData
from vtkmodules.vtkFiltersCore import vtkTriangleFilter
from vtkmodules.vtkRenderingCore import vtkActor

from twinscape.render.export_mesh import (
    LINES,
    TRIANGLES,
    ExportPart,
    compact,
    split_cell_colors,
)

#: ``MapScalars`` cell flags: the colours are per point, per cell.
_PER_POINT, _PER_CELL = 0, 1


def exportable(actor: Any) -> bool:
    """True for an actor whose geometry belongs in an export (see the module)."""
    return (
        isinstance(actor, vtkActor)
        and bool(actor.GetVisibility())
        and bool(actor.GetPickable())
        and actor.GetMapper() is not None
    )


def _cells(array: vtkCellArray) -> tuple[np.ndarray, np.ndarray]:
    """Offsets and connectivity (int64) of a ``vtkCellArray``."""
    offsets = vtk_to_numpy(array.GetOffsetsArray()).astype(np.int64)
    conn = vtk_to_numpy(array.GetConnectivityArray()).astype(np.int64)
    return offsets, conn


def _segments(offsets: np.ndarray, conn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Polylines as segments (m, 2) and the polyline of each segment."""
    sizes = np.diff(offsets)
    starts = np.arange(len(conn))
    last = np.zeros(len(conn), bool)
    last[offsets[1:][sizes > 0] - 1] = True  # the last point of a line starts nothing
    owner = np.repeat(np.arange(len(sizes)), sizes)
    keep = ~last
    return np.stack([conn[starts[keep]], conn[starts[keep] + 1]], axis=1), owner[keep]


def _matrix(actor: vtkActor) -> np.ndarray:
    m = actor.GetMatrix()
    return np.array([[m.GetElement(i, j) for j in range(4)] for i in range(4)])


def _texture_colours(actor: vtkActor, pd: vtkPolyData) -> np.ndarray | None:
    """uint8 (n, 4) of the actor's texture at the points' texture coordinates (nearest)."""
    texture = actor.GetTexture()
    tcoords = pd.GetPointData().GetTCoords()
    image = None if texture is None else texture.GetInput()
    if tcoords is None or image is None or image.GetPointData().GetScalars() is None:
        return None
    uv = vtk_to_numpy(tcoords)[:, :2].astype(np.float64)
    transform = texture.GetTransform()
    if transform is not None:
        m = transform.GetMatrix()
        t = np.array([[m.GetElement(i, j) for j in range(4)] for i in range(4)])
        uv = (np.c_[uv, np.zeros(len(uv)), np.ones(len(uv))] @ t.T)[:, :2]
    w, h, _ = image.GetDimensions()
    pixels = vtk_to_numpy(image.GetPointData().GetScalars()).reshape(h, w, -1)
    if pixels.dtype != np.uint8:
        pixels = np.clip(pixels, 0, 255).astype(np.uint8)
    wrap = np.mod if texture.GetRepeat() else lambda v, n: np.clip(v, 0, n - 1)
    col = wrap(np.floor(uv[:, 0] * w).astype(np.int64), w)
    row = wrap(np.floor(uv[:, 1] * h).astype(np.int64), h)
    rgb = pixels[row, col]
    if rgb.shape[1] == 1:
        rgb = np.repeat(rgb, 3, axis=1)
    if rgb.shape[1] == 3:
        rgb = np.c_[rgb, np.full(len(rgb), 255, np.uint8)]
    return np.ascontiguousarray(rgb[:, :4])


def _colours(actor: vtkActor, pd: vtkPolyData) -> tuple[np.ndarray | None, int]:
    """The colours drawn (uint8 (k, 4)) and whether they are per point or per cell."""
    mapper = actor.GetMapper()
    if mapper.GetScalarVisibility():
        flag = reference(0)
        mapped = mapper.MapScalars(pd, 1.0, flag)
        if mapped is not None and mapped.GetNumberOfTuples() and int(flag) in (0, 1):
            rgba = vtk_to_numpy(mapped).reshape(mapped.GetNumberOfTuples(), -1).copy()
            if rgba.shape[1] == 4:
                return rgba.astype(np.uint8), int(flag)
    textured = _texture_colours(actor, pd)
    return (textured, _PER_POINT) if textured is not None else (None, _PER_POINT)


def _cell_arrays(pd: vtkPolyData) -> dict[str, np.ndarray]:
    """Named cell arrays of ``pd`` (numpy copies), in VTK's cell order."""
    data = pd.GetCellData()
    out = {}
    for i in range(data.GetNumberOfArrays()):
        array = data.GetArray(i)
        if array is not None and array.GetName():
            values = vtk_to_numpy(array)
            if values.ndim == 2 and values.shape[1] == 1:
                values = values[:, 0]
            out[array.GetName()] = values.copy()
    return out


def _triangulated(pd: vtkPolyData) -> vtkPolyData:
    """``pd`` with polygons and strips as triangles (VTK's triangle filter), lines kept."""
    polys = _cells(pd.GetPolys())
    if pd.GetNumberOfStrips() == 0 and bool((np.diff(polys[0]) == 3).all()):
        return pd
    tri = vtkTriangleFilter()
    tri.SetInputData(pd)
    tri.PassVertsOff()
    tri.PassLinesOn()
    tri.Update()
    return tri.GetOutput()


def actor_parts(actor: Any, ve: float = 1.0) -> list[ExportPart]:
    """Triangle and line parts of one actor as drawn (see the module); [] if none.

    ``ve`` is the vertical exaggeration still in the actor's geometry or transform; the
    z of the result is divided by it.
    """
    if not exportable(actor):
        return []
    pd = actor.GetMapper().GetInput()
    if not isinstance(pd, vtkPolyData) or pd.GetNumberOfPoints() == 0:
        return []
    pd = _triangulated(pd)
    points = vtk_to_numpy(pd.GetPoints().GetData()).astype(np.float64)
    m = _matrix(actor)
    points = points @ m[:3, :3].T + m[:3, 3]
    points[:, 2] /= ve if ve else 1.0
    colours, per = _colours(actor, pd)
    arrays = _cell_arrays(pd)
    prop = actor.GetProperty()
    color = (*(float(c) for c in prop.GetColor()), 1.0)
    n_verts, n_lines = pd.GetNumberOfVerts(), pd.GetNumberOfLines()
    parts = []
    line_off, line_conn = _cells(pd.GetLines())
    tri_off, tri_conn = _cells(pd.GetPolys())
    lines, owner = _segments(line_off, line_conn)
    pieces = (
        (TRIANGLES, tri_conn.reshape(-1, 3), n_verts + n_lines + np.arange(len(tri_off) - 1)),
        (LINES, lines, n_verts + owner),
    )
    for kind, cells, cell_ids in pieces:
        if not len(cells):
            continue
        part = ExportPart(kind=kind, points=points.astype(np.float32), cells=cells,
                          color=color, opacity=float(prop.GetOpacity()),
                          cell_data={k: v[cell_ids] for k, v in arrays.items()})  # fmt: skip
        if colours is not None and per == _PER_POINT:
            part.colors = colours
        elif colours is not None:
            source, part.cells, part.colors = split_cell_colors(cells, colours[cell_ids])
            part.points = part.points[source]
        parts.append(compact(part))
    return parts
