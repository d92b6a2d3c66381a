"""VTK data of terrain tiles, built on demand and kept in bounded LRU caches.

Meshes become ``vtkPolyData`` per (tile, level, rim level) and colours a
``vtkTexture`` per (tile, texture level); tiles of the same shape share one
``vtkCellArray`` and one texture-coordinate array. Arrays built on a worker thread
(:mod:`~twinscape.render.tile_builder`) are wrapped here on the GUI thread
(:meth:`TileCache.put_mesh`, :meth:`TileCache.put_texture`).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np
from vtkmodules.util.numpy_support import numpy_to_vtk
from vtkmodules.vtkCommonCore import VTK_UNSIGNED_CHAR, vtkDataArray, vtkPoints
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkImageData, vtkPolyData
from vtkmodules.vtkCommonTransforms import vtkTransform
from vtkmodules.vtkRenderingCore import vtkTexture

from twinscape.render.terrain_mesh import TileMesh
from twinscape.render.terrain_tiles import TerrainTiles

#: Default bound of each cache (meshes, textures), in bytes of array data.
CACHE_BYTES = 128 * 2**20


class LRU:
    """Values with a byte size, least recently used dropped beyond ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit, self.used = limit, 0
        self._items: OrderedDict[Any, tuple[Any, int]] = OrderedDict()

    def __contains__(self, key: Any) -> bool:
        return key in self._items

    def keys(self) -> list[Any]:
        """The keys, least recently used first."""
        return list(self._items)

    def get(self, key: Any) -> Any:
        """The value of ``key`` (now the most recently used), or None."""
        hit = self._items.get(key)
        if hit is None:
            return None
        self._items.move_to_end(key)
        return hit[0]

    def put(self, key: Any, value: Any, nbytes: int) -> None:
        """Add ``value`` of ``nbytes``, dropping the least recently used beyond the limit."""
        self._items[key] = (value, nbytes)
        self.used += nbytes
        while self.used > self.limit and len(self._items) > 1:
            _, (_, old) = self._items.popitem(last=False)
            self.used -= old

    def clear(self) -> None:
        """Drop everything."""
        self._items.clear()
        self.used = 0


def _cell_array(faces: np.ndarray) -> vtkCellArray:
    offsets = np.arange(0, 3 * len(faces) + 1, 3, dtype=np.int32)
    cells = vtkCellArray()
    cells.SetData(numpy_to_vtk(offsets, deep=True), numpy_to_vtk(faces.ravel(), deep=True))
    return cells


class TileCache:
    """``vtkPolyData`` and ``vtkTexture`` of the tiles of one :class:`TerrainTiles`.

    Parameters
    ----------
    tiles
        The tiles the meshes and textures come from.
    cache_bytes
        Bound of the mesh cache and of the texture cache, each.
    """

    def __init__(self, tiles: TerrainTiles, cache_bytes: int = CACHE_BYTES) -> None:
        self.tiles = tiles
        self.meshes = LRU(cache_bytes)
        self.textures = LRU(cache_bytes)
        self._cells: dict[tuple[int, int, bool], vtkCellArray] = {}
        self._tcoords: dict[tuple[int, int, int, bool], vtkDataArray] = {}

    @property
    def nbytes(self) -> int:
        """Bytes of array data held by both caches (shared arrays not counted)."""
        return self.meshes.used + self.textures.used

    def mesh(
        self, index: int, level: int, rim: int, *, skirts: bool,
        stitch: tuple[int, int, int, int] | None = None,
    ) -> tuple[vtkPolyData, int]:  # fmt: skip
        """Polydata and triangle count of tile ``index`` at ``level`` (hole rims at ``rim``).

        Cached per (index, level, rim), and per ``stitch`` (the neighbours' levels, see
        :meth:`~twinscape.render.terrain_tiles.TerrainTiles.mesh`) when a neighbour is
        coarser: clear :attr:`meshes` when ``skirts`` changes.
        """
        if stitch is not None and max(stitch) <= level:
            stitch = None  # no coarser neighbour: the plain mesh
        key = (index, level, rim) if stitch is None else (index, level, rim, stitch)
        hit = self.meshes.get(key)
        if hit is None:
            mesh = self.tiles.mesh(index, level, rim=rim, skirts=skirts, stitch=stitch)
            hit = (self._polydata(mesh), mesh.n_triangles)
            self.meshes.put(key, hit, mesh.nbytes)
        return hit

    def put_mesh(self, index: int, level: int, rim: int, mesh: TileMesh) -> tuple[vtkPolyData, int]:
        """Wrap ``mesh`` (built elsewhere, e.g. on a worker) and keep it as :meth:`mesh` would."""
        hit = (self._polydata(mesh), mesh.n_triangles)
        self.meshes.put((index, level, rim), hit, mesh.nbytes)
        return hit

    def coarser_mesh(self, index: int, level: int) -> tuple[int, int] | None:
        """(level, rim) of the finest cached mesh of tile ``index`` coarser than ``level``."""
        found = [(k[1], k[2]) for k in self.meshes.keys() if k[0] == index and k[1] > level]
        return min(found) if found else None

    def coarser_texture(self, index: int, level: int) -> int | None:
        """The finest cached texture level of tile ``index`` coarser than ``level``."""
        found = [lv for i, lv in self.textures.keys() if i == index and lv > level]
        return min(found) if found else None

    def _polydata(self, mesh: TileMesh) -> vtkPolyData:
        pd = vtkPolyData()
        points = vtkPoints()
        points.SetData(numpy_to_vtk(mesh.points, deep=True))
        pd.SetPoints(points)
        if mesh.faces is None:
            cells = self._cells.get(mesh.template_key)
            if cells is None:
                cells = _cell_array(self.tiles.template(mesh.template_key))
                self._cells[mesh.template_key] = cells
            pd.SetPolys(cells)
        else:
            pd.SetPolys(_cell_array(mesh.faces))
        if mesh.tcoords is not None:
            tcoords = numpy_to_vtk(mesh.tcoords, deep=True)
        else:
            tcoords = self._tcoords.get(mesh.tcoords_key)
            if tcoords is None:
                tcoords = numpy_to_vtk(self.tiles.tcoords(mesh.tcoords_key), deep=True)
                self._tcoords[mesh.tcoords_key] = tcoords
        pd.GetPointData().SetTCoords(tcoords)
        return pd

    def texture(self, index: int, level: int) -> vtkTexture:
        """Texture of tile ``index`` at pyramid ``level``, mapped onto its texture coordinates."""
        tex = self.textures.get((index, level))
        if tex is None:
            tex = self.put_texture(index, level, *self.tiles.texture(index, level))
        return tex

    def put_texture(
        self, index: int, level: int, rgb: np.ndarray, mapping: tuple[float, float, float, float]
    ) -> vtkTexture:
        """Wrap colours ``rgb`` and their ``mapping`` (see :meth:`texture`) and keep them."""
        su, ou, sv, ov = mapping
        image = vtkImageData()
        image.SetDimensions(rgb.shape[1], rgb.shape[0], 1)
        colors = numpy_to_vtk(rgb.reshape(-1, 3), deep=True, array_type=VTK_UNSIGNED_CHAR)
        image.GetPointData().SetScalars(colors)
        tex = vtkTexture()
        tex.SetInputData(image)
        tex.InterpolateOn()
        tex.EdgeClampOn()
        tex.RepeatOff()
        transform = vtkTransform()
        transform.Translate(ou, ov, 0.0)
        transform.Scale(su, sv, 1.0)
        tex.SetTransform(transform)
        self.textures.put((index, level), tex, rgb.nbytes)
        return tex
