"""A terrain layer as VTK actors: one actor per tile, mapper input swapped between levels.

Colours (hypsometric ramp x hillshade) are baked once into uint8 RGB and drawn as
one texture per tile, with lighting off, so what is drawn is exactly the baked
picture; the texture level follows the screen size of a texel, the mesh level the
screen-space error. Vertical exaggeration is the actors' scale (no rebuild).
Rasters draped on the terrain (:meth:`TerrainVisual.set_drapes`, from SceneView) are
blended into those colours by the same background recolour, so they share the tiles'
texture pyramid and levels of detail. With ``style.sun_from_clock`` the hillshade is lit
by the sun at the project clock's time (:meth:`TerrainVisual.set_time`, from SceneView;
see render/sun_follow.py), recoloured only when the light visibly moved. When colouring
fails, the visual says so (:func:`~twinscape.render.recolour.report_colour_problem`: the
status bar, or a warning when headless) and a screenshot of the out-of-date colours is
refused.
The VTK meshes and textures come from :class:`~twinscape.render.tile_cache.TileCache`.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import Any

import numpy as np

# The OpenGL implementations of the rendering classes and the default interactor
# style, as pyvista imports them (the all-modules ``vtk`` package is never loaded).
from vtkmodules import vtkInteractionStyle, vtkRenderingOpenGL2  # noqa: F401
from vtkmodules.vtkRenderingCore import vtkActor, vtkPolyDataMapper

from twinscape.geo.origin import LocalOrigin
from twinscape.model.raster import RasterGrid
from twinscape.model.style import COLOUR_FIELDS, TerrainStyle
from twinscape.model.terrain import TerrainLayer
from twinscape.render import export_terrain
from twinscape.render.colormaps import baked_colors
from twinscape.render.recolour import (
    ColourError,
    ColourProblem,
    Recolourer,
    report_colour_problem,
)
from twinscape.render.sun_follow import SunFollower
from twinscape.render.terrain_tiles import TerrainTiles
from twinscape.render.tile_cache import CACHE_BYTES, TileCache
from twinscape.render.visual import ActorsInRenderer, Connections, renderer_of

_PREPARED: weakref.WeakKeyDictionary[RasterGrid, tuple[tuple, TerrainTiles]] = (
    weakref.WeakKeyDictionary()
)
_PREPARED_LOCK = threading.Lock()


def _colour_key(style: TerrainStyle, origin: LocalOrigin) -> tuple:
    return (origin, *(getattr(style, name) for name in COLOUR_FIELDS))


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


class TerrainVisual(Connections, ActorsInRenderer):
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
    colour_executor
        Where colour changes are computed; None recolours synchronously.
    on_update
        Called from a worker thread when new colours wait for the next render.
    """

    def __init__(
        self,
        layer: TerrainLayer,
        renderer: Any,
        origin: LocalOrigin,
        *,
        cache_bytes: int = CACHE_BYTES,
        colour_executor: Executor | None = None,
        on_update: Callable[[], None] | None = None,
    ) -> None:
        self.layer = layer
        self._recolourer = Recolourer(colour_executor, on_update)
        self.renderer = renderer_of(renderer)
        self.origin = origin
        self.cache: TileCache | None = None  # of the tiles shown, None without a grid
        self._cache_bytes = cache_bytes
        self.actors: list[vtkActor] = []
        self.levels = np.zeros(0, int)  # mesh level shown per tile, -1 = nothing
        self.tex_levels = np.zeros(0, int)  # texture level shown per tile, -1 = none
        self.rim_levels = np.zeros(0, int)  # level of the cells at nodata rims
        self.culled = np.zeros(0, bool)
        self._tri: dict[int, int] = {}
        self._drapes: tuple[Any, ...] = ()  # render.kinds.Drape, bottom first
        self.sun = SunFollower()  # the clock's sun when the style follows it
        self.colour_problem: ColourProblem | None = None  # why the colours shown may be wrong
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
    def _connect_style(self) -> None:
        self._disconnect(self._style_connections)
        ev = self.layer.style.events
        for name in COLOUR_FIELDS:
            self._connect(getattr(ev, name), self._recolour, self._style_connections)
        self._connect(ev.vertical_exaggeration, self._apply_scale, self._style_connections)

    def _on_style_replaced(self, *_: Any) -> None:
        self._connect_style()
        self._recolour()
        self._apply_scale()

    @property
    def tiles(self) -> TerrainTiles | None:
        """The tiles shown, None without a grid."""
        return None if self.cache is None else self.cache.tiles

    @property
    def skirts(self) -> bool:
        """Skirts hide cracks on opaque terrain; translucent terrain would show them."""
        return self.layer.opacity >= 0.999

    def _on_opacity(self, *_: Any) -> None:
        for actor in self.actors:
            actor.GetProperty().SetOpacity(float(self.layer.opacity))
        if self.cache is not None and self._skirts != self.skirts:
            self._skirts = self.skirts
            self.cache.meshes.clear()
            self._show(self.levels, self.tex_levels, self.rim_levels, force_mesh=True)

    # -- building -------------------------------------------------------------------
    def _rebuild(self, *_: Any) -> None:
        """(Re)create tiles and one actor per tile."""
        self._recolourer.cancel()  # colours of the old grid
        self._recolourer.cache.clear()
        self._detach()
        self._tri.clear()
        tiles = _tiles_for(self.layer, self.origin)
        self.cache = None if tiles is None else TileCache(tiles, self._cache_bytes)
        n = 0 if tiles is None else len(tiles.tiles)
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
        if self.colour_problem is not None and self.colour_problem.stale:
            self._set_problem(None)  # fresh colours of the new grid
        if self._drapes or self.sun.sun(self.layer) is not None:
            self._recolour()  # prepared tiles carry the terrain's own colours and sun only

    def set_origin(self, origin: LocalOrigin) -> None:
        """Move to a new project origin (rebuilds the tiles)."""
        self.origin = origin
        self._rebuild()

    def _recolour(self, *_: Any) -> None:
        grid = self.layer.grid
        if self.cache is None or grid is None:
            return
        style, light = self.sun.colours(self.layer)
        pyramid = self._recolourer.request(
            grid, style, self.cache.tiles.n_levels, self._drapes, light=light
        )
        if pyramid is not None:
            self._use_colours(pyramid)
            self._take_outcome()

    def _take_outcome(self) -> None:
        """Tell the listeners when the newest colouring failed, or went well after a failure."""
        outcome = self._recolourer.take_outcome()
        if outcome is not None:
            self._set_problem(outcome.problem)

    def _set_problem(self, problem: ColourProblem | None) -> None:
        if problem != self.colour_problem:
            self.colour_problem = problem
            report_colour_problem(self.layer, problem)

    def set_time(self, time_ns: int) -> None:
        """Follow the project clock (int64 ns, UTC): relight when the style's sun follows it.

        Recolours only when the light moved visibly since the colours drawn (see
        :class:`~twinscape.render.sun_follow.SunFollower`).
        """
        if self.sun.set_time(self.layer, time_ns):
            self._recolour()

    @property
    def daylight(self) -> float | None:
        """Brightness of the clock's sun (night 0.28 .. day 1), None when not following it."""
        sun = self.sun.sun(self.layer)
        return None if sun is None else sun.light

    @property
    def drapes(self) -> tuple[Any, ...]:
        """The rasters draped on this terrain (:class:`~twinscape.render.kinds.Drape`)."""
        return self._drapes

    def set_drapes(self, drapes: Sequence[Any]) -> bool:
        """Blend ``drapes`` (bottom first) over the terrain's colours; True if they changed.

        Unchanged drapes (same keys and opacities) recolour nothing; a change is baked
        in the background like any colour change (see :class:`Recolourer`).
        """
        drapes = tuple(drapes)
        if [d.signature for d in drapes] == [d.signature for d in self._drapes]:
            self._drapes = drapes
            return False
        self._drapes = drapes
        self._recolour()
        return True

    def apply_pending_colours(self, *, wait: bool = False) -> bool:
        """Show colours computed in the background, if any (``wait``: for a screenshot).

        A failed colouring is reported (:attr:`colour_problem`); the old colours stay,
        but with ``wait`` (a picture is being taken) :class:`ColourError` is raised
        rather than a picture in out-of-date colours.
        """
        pyramid = self._recolourer.wait() if wait else self._recolourer.take()
        self._take_outcome()
        if wait and self.colour_problem is not None and self.colour_problem.stale:
            raise ColourError(
                f"terrain {self.layer.name!r}: {self.colour_problem.message}; the picture "
                "would show out-of-date colours, change its colour settings and try again"
            )
        if pyramid is None or self.cache is None:
            return False
        self._use_colours(pyramid)
        return True

    def _use_colours(self, pyramid: list[np.ndarray]) -> None:
        assert self.cache is not None
        self.cache.tiles.colors = pyramid
        self.cache.textures.clear()
        shown, self.tex_levels = self.tex_levels, np.full(len(self.tex_levels), -1)
        self._show(self.levels, shown, self.rim_levels)

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
        self.apply_pending_colours()
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
        cache = self.cache
        for i in np.flatnonzero(changed):  # changes imply tiles, hence a cache
            assert cache is not None
            i = int(i)
            actor = self.actors[i]
            if levels[i] < 0:
                actor.SetVisibility(False)
                self._tri.pop(i, None)
                continue
            if new_mesh[i]:
                pd, self._tri[i] = cache.mesh(i, int(levels[i]), int(rims[i]), skirts=self._skirts)
                actor.GetMapper().SetInputData(pd)
            if tex[i] != self.tex_levels[i]:
                actor.SetTexture(cache.texture(i, int(tex[i])))
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

    def set_exaggeration(self, ve: float) -> None:
        """A terrain is ground: it follows its own style's exaggeration only."""

    def row_of_cell(self, actor: Any, cell_id: int) -> int | None:
        """A terrain has no features: picking it gives a point, not a row."""
        return None

    def set_highlight(self, rows: list[int]) -> None:
        """A terrain has no features to highlight."""

    def _apply_scale(self, *_: Any) -> None:
        for actor in self.actors:
            actor.SetScale(1.0, 1.0, self.ve)

    def _apply_visibility(self, *_: Any) -> None:
        for actor, level in zip(self.actors, self.levels):
            actor.SetVisibility(bool(self.layer.visible and level >= 0))

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

    # -- export (render/export_terrain.py) -------------------------------------------
    def export_levels(self) -> list[int]:
        """Triangles of the exported terrain per level of detail (index 0: full resolution)."""
        return export_terrain.levels_of(self)

    def export_meshes(self, level: int = 0) -> list[Any]:
        """The whole terrain at ``level`` as one export part, in the colours shown."""
        return export_terrain.parts_of(self, level)

    # -- teardown -------------------------------------------------------------------
    def close(self) -> None:
        """Disconnect from the layer and remove the actors."""
        self._recolourer.cancel()
        self._set_problem(None)
        self._disconnect(self._connections)
        self._disconnect(self._style_connections)
        self._detach()
        self.actors = []
        self.cache = None
