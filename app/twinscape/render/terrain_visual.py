"""A terrain layer as VTK actors: one actor per tile, mapper input swapped between levels.

Colours (hypsometric ramp x hillshade) are baked once into uint8 RGB and drawn as
one texture per tile, with lighting off, so what is drawn is exactly the baked
picture; the texture level follows the screen size of a texel, the mesh level the
screen-space error. Vertical exaggeration is the actors' scale (no rebuild).
Meshes and textures are built on demand and kept in bounded LRU caches; tiles of
the same shape share their connectivity and texture coordinates.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from typing import Any, Callable

import numpy as np
import vtkmodules.vtkRenderingOpenGL2  # noqa: F401 - the OpenGL implementations
from vtkmodules.util.numpy_support import numpy_to_vtk
from vtkmodules.vtkCommonCore import VTK_UNSIGNED_CHAR, vtkPoints
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkImageData, vtkPolyData
from vtkmodules.vtkCommonTransforms import vtkTransform
from vtkmodules.vtkRenderingCore import (
    vtkActor,
    vtkPolyDataMapper,
    vtkRenderer,
    vtkTexture,
)

from twinscape.geo.origin import LocalOrigin
from twinscape.model.layers import TerrainLayer
from twinscape.model.raster import RasterGrid
from twinscape.model.style import TerrainStyle
from twinscape.render.colormaps import baked_colors
from twinscape.render.terrain_tiles import TerrainTiles, TileMesh

#: Default bound of each cache (meshes, textures), in bytes of array data.
CACHE_BYTES = 128 * 2**20
_RECOLOUR = (
    "colormap",
    "elevation_range",
    "sea_ramp",
    "sea_level",
    "hillshade",
    "sun_azimuth",
    "sun_altitude",
    "hillshade_strength",
)


_PREPARED: weakref.WeakKeyDictionary[RasterGrid, tuple[tuple, TerrainTiles]] = (
    weakref.WeakKeyDictionary()
)
_PREPARED_LOCK = threading.Lock()


def _colour_key(style: TerrainStyle, origin: LocalOrigin) -> tuple:
    return (origin, *(getattr(style, name) for name in _RECOLOUR))


def prepare_tiles(
    grid: RasterGrid, style: TerrainStyle, origin: LocalOrigin, *, keep: bool = True
) -> TerrainTiles:
    """Tiles, errors and baked colours of ``grid`` (numpy only, thread-safe).

    The slow part of showing a terrain (about 1.5 s for 4096 x 4096 on 2 cores). A
    loader may call it on a worker thread before the layer is added to the project:
    with ``keep`` the result is kept (weakly, per grid) and the visual created for the
    layer adopts it instead of computing it again on the GUI thread, as long as the
    origin and the colour settings are still the same.
    """
    tiles = TerrainTiles(grid, origin)
    tiles.set_colors(baked_colors(grid.values, grid.resolution, style))
    if keep:
        with _PREPARED_LOCK:
            _PREPARED[grid] = (_colour_key(style, origin), tiles)
    return tiles


def _tiles_for(layer: TerrainLayer, origin: LocalOrigin) -> TerrainTiles | None:
    grid = layer.grid
    if grid is None:
        return None
    with _PREPARED_LOCK:
        key, tiles = _PREPARED.pop(grid, (None, None))
    if tiles is not None and key == _colour_key(layer.style, origin):
        return tiles
    return prepare_tiles(grid, layer.style, origin, keep=False)


def _renderer_of(renderer: Any) -> vtkRenderer:
    if isinstance(renderer, vtkRenderer):
        return renderer
    inner = getattr(renderer, "renderer", None)  # pyvista Plotter / QtInteractor
    if isinstance(inner, vtkRenderer):
        return inner
    raise TypeError(f"need a vtkRenderer or a pyvista Plotter, got {type(renderer).__name__}")


def _cell_array(faces: np.ndarray) -> vtkCellArray:
    offsets = np.arange(0, 3 * len(faces) + 1, 3, dtype=np.int32)
    cells = vtkCellArray()
    cells.SetData(numpy_to_vtk(offsets, deep=True), numpy_to_vtk(faces.ravel(), deep=True))
    return cells


class _LRU:
    """Values with a byte size, least recently used dropped beyond ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit, self.used = limit, 0
        self._items: OrderedDict[Any, tuple[Any, int]] = OrderedDict()

    def get(self, key: Any) -> Any:
        hit = self._items.get(key)
        if hit is None:
            return None
        self._items.move_to_end(key)
        return hit[0]

    def put(self, key: Any, value: Any, nbytes: int) -> None:
        self._items[key] = (value, nbytes)
        self.used += nbytes
        while self.used > self.limit and len(self._items) > 1:
            _, (_, old) = self._items.popitem(last=False)
            self.used -= old

    def clear(self) -> None:
        self._items.clear()
        self.used = 0


class TerrainVisual:
    """Draws one :class:`~twinscape.model.TerrainLayer` into a renderer.

    Parameters
    ----------
    layer
        The layer; its events drive every change.
    renderer
        A ``vtkRenderer`` or a pyvista ``Plotter``.
    origin
        Render coordinates are world minus this point.
    cache_bytes
        Bound of the mesh cache and of the texture cache, each.
    """

    def __init__(
        self,
        layer: TerrainLayer,
        renderer: Any,
        origin: LocalOrigin,
        *,
        cache_bytes: int = CACHE_BYTES,
    ) -> None:
        self.layer = layer
        self.renderer = _renderer_of(renderer)
        self.origin = origin
        self.tiles: TerrainTiles | None = None
        self.actors: list[vtkActor] = []
        self.levels = np.zeros(0, int)  # mesh level shown per tile, -1 = nothing
        self.tex_levels = np.zeros(0, int)  # texture level shown per tile, -1 = none
        self.rim_levels = np.zeros(0, int)  # level of the cells at nodata rims
        self.culled = np.zeros(0, bool)
        self._meshes = _LRU(cache_bytes)
        self._textures = _LRU(cache_bytes)
        self._shared: dict[Any, Any] = {}  # vtkCellArray / tcoords per shape
        self._tri: dict[int, int] = {}
        self._connections: list[tuple[Any, Callable[..., Any]]] = []
        self._style_connections: list[tuple[Any, Callable[..., Any]]] = []
        ev = layer.events
        self._connect(ev.visible, self._apply_visibility)
        self._connect(ev.opacity, self._on_opacity)
        self._connect(ev.grid, self._rebuild)
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
        ev = self.layer.style.events
        for name in _RECOLOUR:
            self._connect(getattr(ev, name), self._recolour, self._style_connections)
        self._connect(ev.vertical_exaggeration, self._apply_scale, self._style_connections)

    def _on_style_replaced(self, *_: Any) -> None:
        self._connect_style()
        self._recolour()
        self._apply_scale()

    @property
    def skirts(self) -> bool:
        """Skirts hide cracks on opaque terrain; translucent terrain would show them."""
        return self.layer.opacity >= 0.999

    def _on_opacity(self, *_: Any) -> None:
        for actor in self.actors:
            actor.GetProperty().SetOpacity(float(self.layer.opacity))
        if self.tiles is not None and self._skirts != self.skirts:
            self._skirts = self.skirts
            self._meshes.clear()
            self._show(self.levels, self.tex_levels, self.rim_levels, force_mesh=True)

    # -- building -------------------------------------------------------------------
    def _rebuild(self, *_: Any, tiles: TerrainTiles | None = None) -> None:
        """(Re)create tiles and one actor per tile."""
        self._detach()
        self._meshes.clear()
        self._textures.clear()
        self._shared.clear()
        self._tri.clear()
        self.tiles = tiles if tiles is not None else _tiles_for(self.layer, self.origin)
        n = 0 if self.tiles is None else len(self.tiles.tiles)
        self.levels, self.tex_levels, self.rim_levels = (np.full(n, -1) for _ in range(3))
        self.culled = np.zeros(n, bool)
        self._skirts = self.skirts
        self.actors = []
        for _ in range(n):
            mapper = vtkPolyDataMapper()
            mapper.ScalarVisibilityOff()
            actor = vtkActor()
            actor.SetMapper(mapper)
            actor.GetProperty().LightingOff()
            actor.GetProperty().SetOpacity(float(self.layer.opacity))
            actor.SetVisibility(False)
            self.actors.append(actor)
        self._apply_scale()
        self._apply_names()
        self._attach()

    def set_origin(self, origin: LocalOrigin) -> None:
        """Move to a new project origin (rebuilds the tiles)."""
        self.origin = origin
        self._rebuild()

    def _recolour(self, *_: Any) -> None:
        grid = self.layer.grid
        if self.tiles is None or grid is None:
            return
        self.tiles.set_colors(baked_colors(grid.values, grid.resolution, self.layer.style))
        self._textures.clear()
        shown, self.tex_levels = self.tex_levels, np.full(len(self.tex_levels), -1)
        self._show(self.levels, shown, self.rim_levels)

    def _mesh(self, index: int, level: int, rim: int) -> tuple[vtkPolyData, int]:
        key = (index, level, rim)
        hit = self._meshes.get(key)
        if hit is None:
            assert self.tiles is not None
            mesh = self.tiles.mesh(index, level, rim=rim, skirts=self._skirts)
            hit = (self._polydata(mesh), mesh.n_triangles)
            self._meshes.put(key, hit, mesh.nbytes)
        return hit

    def _polydata(self, mesh: TileMesh) -> vtkPolyData:
        assert self.tiles is not None
        pd = vtkPolyData()
        points = vtkPoints()
        points.SetData(numpy_to_vtk(mesh.points, deep=True))
        pd.SetPoints(points)
        if mesh.faces is None:
            cells = self._shared.get(mesh.template_key)
            if cells is None:
                cells = _cell_array(self.tiles.template(mesh.template_key))
                self._shared[mesh.template_key] = cells
            pd.SetPolys(cells)
        else:
            pd.SetPolys(_cell_array(mesh.faces))
        tcoords = self._shared.get(mesh.tcoords_key) if mesh.tcoords is None else None
        if tcoords is None:
            own = mesh.tcoords is not None
            tcoords = numpy_to_vtk(
                mesh.tcoords if own else self.tiles.tcoords(mesh.tcoords_key), deep=True
            )
            if not own:
                self._shared[mesh.tcoords_key] = tcoords
        pd.GetPointData().SetTCoords(tcoords)
        return pd

    def _texture(self, index: int, level: int) -> vtkTexture:
        key = (index, level)
        tex = self._textures.get(key)
        if tex is None:
            assert self.tiles is not None
            rgb, (su, ou, sv, ov) = self.tiles.texture(index, level)
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
            self._textures.put(key, tex, rgb.nbytes)
        return tex

    # -- level of detail ------------------------------------------------------------
    def update_lod(self, camera: Any, viewport_h_px: float, tolerance_px: float) -> int:
        """Show per tile the coarsest mesh within ``tolerance_px`` of screen-space error.

        Parameters
        ----------
        camera
            The renderer's ``vtkCamera`` (render coordinates).
        viewport_h_px
            Height of the viewport in pixels.
        tolerance_px
            Largest screen-space error allowed.

        Returns
        -------
        int
            Number of tiles whose mesh or texture changed.
        """
        tiles = self.tiles
        if tiles is None or not self.layer.visible:
            return 0
        parallel = camera.GetParallelScale() if camera.GetParallelProjection() else None
        planes = [0.0] * 24
        camera.GetFrustumPlanes(self.renderer.GetTiledAspectRatio() or 1.0, planes)
        scale = tiles.pixels_per_metre(
            camera.GetPosition(), camera.GetViewAngle(), max(float(viewport_h_px), 1.0),
            ve=self.ve, parallel_scale=parallel,
        )  # fmt: skip
        # Side planes only: near/far follow the (possibly stale) clipping range.
        self.culled = tiles.outside(np.array(planes[:16]), self.ve) & ~tiles.empty
        levels = tiles.select_levels(scale, tolerance_px, ve=self.ve)
        rims = np.minimum(tiles.rim_levels(scale, tolerance_px), np.maximum(levels, 0))
        tex = tiles.texture_levels(scale)
        # Culled tiles keep what they show (VTK culls them); coarsest if never shown.
        never = self.culled & (self.levels < 0)
        levels = np.where(self.culled, self.levels, levels)
        rims = np.where(self.culled, self.rim_levels, rims)
        tex = np.where(self.culled, self.tex_levels, tex)
        levels[never], tex[never] = tiles.n_levels - 1, len(tiles.colors) - 1
        rims[never] = tiles.n_levels - 1
        tex[levels < 0] = -1
        return self._show(levels, tex, rims)

    def _show(
        self, levels: np.ndarray, tex: np.ndarray, rims: np.ndarray, *, force_mesh: bool = False
    ) -> int:
        new_mesh = (levels != self.levels) | (rims != self.rim_levels) | force_mesh
        changed = new_mesh | (tex != self.tex_levels)
        for i in np.flatnonzero(changed):
            i = int(i)
            actor = self.actors[i]
            if levels[i] < 0:
                actor.SetVisibility(False)
                self._tri.pop(i, None)
                continue
            if new_mesh[i]:
                pd, self._tri[i] = self._mesh(i, int(levels[i]), int(rims[i]))
                actor.GetMapper().SetInputData(pd)
            if tex[i] != self.tex_levels[i]:
                actor.SetTexture(self._texture(i, int(tex[i])))
            actor.SetVisibility(bool(self.layer.visible))
        self.levels, self.tex_levels, self.rim_levels = levels.copy(), tex.copy(), rims.copy()
        return int(changed.sum())

    @property
    def triangles(self) -> int:
        """Triangles of the meshes shown in tiles inside the view frustum."""
        return sum(n for i, n in self._tri.items() if not self.culled[i])

    # -- appearance -----------------------------------------------------------------
    @property
    def ve(self) -> float:
        """Vertical exaggeration of the layer's style."""
        return float(self.layer.style.vertical_exaggeration)

    def _apply_scale(self, *_: Any) -> None:
        for actor in self.actors:
            actor.SetScale(1.0, 1.0, self.ve)

    def _apply_visibility(self, *_: Any) -> None:
        for actor, level in zip(self.actors, self.levels):
            actor.SetVisibility(bool(self.layer.visible) and level >= 0)

    def _apply_names(self, *_: Any) -> None:
        for i, actor in enumerate(self.actors):
            actor.SetObjectName(f"{self.layer.name}/tile{i}")

    def bounds_render(self) -> tuple[float, float, float, float, float, float] | None:
        """(xmin, xmax, ymin, ymax, zmin, zmax) as drawn (render coordinates, z exaggerated)."""
        if self.tiles is None or self.tiles.empty.all():
            return None
        box = self.tiles.bbox[~self.tiles.empty]
        lo, hi = box.min(axis=0), box.max(axis=0)
        ve = self.ve
        return (lo[0], hi[1], lo[2], hi[3], lo[4] * ve, hi[5] * ve)

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
        self.actors = []
        self._meshes.clear()
        self._textures.clear()
        self._shared.clear()
        self.tiles = None
