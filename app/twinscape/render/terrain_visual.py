"""A terrain layer as VTK actors: one actor per tile, mapper input swapped between levels.

Colours (hypsometric ramp x hillshade) are baked once into uint8 RGB and drawn as
one texture per tile, with lighting off, so what is drawn is exactly the baked
picture; the texture level follows the screen size of a texel, the mesh level the
screen-space error. Vertical exaggeration is the actors' scale (no rebuild).
Rasters draped on the terrain (`set_drapes`, from SceneView) are
blended into those colours by the same background recolour, so they share the tiles'
texture pyramid and levels of detail; a drape finer than the grid (imagery) also gets
detail textures close up (render/detail_textures.py). With ``style.sun_from_clock``
the hillshade is lit by the sun at the project clock's time
(:meth:`TerrainVisual.set_time`, from SceneView; see render/sun_follow.py),
recoloured only when the light visibly moved. When colouring
fails, the visual says so (:func:`~twinscape.render.recolour.report_colour_problem`: the
status bar, or a warning when headless) and a screenshot of the out-of-date colours is
refused.
The VTK meshes and textures come from :class:`~twinscape.render.tile_cache.TileCache`.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

import numpy as np

# The OpenGL implementations of the rendering classes and the default interactor
# style, as pyvista imports them (the all-modules ``vtk`` package is never loaded).
from vtkmodules import vtkInteractionStyle, vtkRenderingOpenGL2  # noqa: F401
from vtkmodules.vtkRenderingCore import vtkActor

from twinscape.geo.origin import LocalOrigin
from twinscape.geo.terrain_overlap import Overlap
from twinscape.model.raster import RasterGrid
from twinscape.model.style import COLOUR_FIELDS, TerrainStyle
from twinscape.model.terrain import TerrainLayer
from twinscape.render import export_terrain
from twinscape.render.detail_textures import DetailTextures
from twinscape.render.grid_colors import baked_colors
from twinscape.render.recolour import (
    ColourError,
    ColourProblem,
    Recolourer,
    report_colour_problem,
)
from twinscape.render.terrain_common import TerrainBase
from twinscape.render.terrain_overlap import OverlapTiles, overlap_tiles, push_behind
from twinscape.render.terrain_refine import TerrainLod
from twinscape.render.terrain_tiles import TerrainTiles
from twinscape.render.tile_cache import CACHE_BYTES, TileCache
from twinscape.render.visual import renderer_of

_PREPARED: weakref.WeakKeyDictionary[RasterGrid, tuple[tuple, TerrainTiles]] = (
    weakref.WeakKeyDictionary()
)
_PREPARED_LOCK = threading.Lock()


def _colour_key(style: TerrainStyle, origin: LocalOrigin) -> tuple:
    return (origin, *(getattr(style, name) for name in COLOUR_FIELDS))


def prepare_tiles(
    grid: RasterGrid, style: TerrainStyle, origin: LocalOrigin, *, keep: bool = True,
    overlap: Overlap | None = None,
) -> TerrainTiles:  # fmt: skip
    """Tiles, errors and baked colours of ``grid`` (numpy only, thread-safe).

    The slow part of showing a terrain (about 1.5 s for 4096 x 4096 on 2 cores). A
    loader may call it on a worker thread before the layer is added to the project:
    with ``keep`` the result is kept (weakly, per grid) and the visual created for the
    layer adopts it instead of computing it again on the GUI thread, as long as the
    origin and the colour settings are still the same. With an ``overlap`` the tiles
    leave out what finer terrains draw (see :mod:`~twinscape.render.terrain_overlap`);
    such tiles are never kept.
    """
    if overlap is not None and not overlap.plain:
        tiles = overlap_tiles(grid, origin, overlap)
        tiles.set_colors(baked_colors(grid.values, grid.resolution, style))
        return tiles
    tiles = TerrainTiles(grid, origin)
    tiles.set_colors(baked_colors(grid.values, grid.resolution, style))
    if keep:
        with _PREPARED_LOCK:
            _PREPARED[grid] = (_colour_key(style, origin), tiles)
    return tiles


def _tiles_for(layer: TerrainLayer, origin: LocalOrigin, overlap: Overlap) -> TerrainTiles | None:
    grid = layer.grid
    if grid is None:
        return None
    with _PREPARED_LOCK:
        key, tiles = _PREPARED.pop(grid, (None, None))
    if tiles is not None and overlap.plain and key == _colour_key(layer.style, origin):
        return tiles
    return prepare_tiles(grid, layer.style, origin, keep=False, overlap=overlap)


class TerrainVisual(TerrainBase):
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
        self._overlap_tiles = OverlapTiles(colour_executor, on_update)  # see set_overlap
        self.lod = TerrainLod(self, on_update)  # levels shown, built in the background
        self.detail = DetailTextures(self, on_update)  # drapes finer than the grid, close up
        self.renderer = renderer_of(renderer)
        self.origin = origin
        self.cache: TileCache | None = None  # of the tiles shown, None without a grid
        self._cache_bytes = cache_bytes
        self.actors: list[vtkActor] = []
        self.levels = np.zeros(0, int)  # mesh level shown per tile, -1 = nothing
        self.tex_levels = np.zeros(0, int)  # texture level shown per tile, -1 = none
        self.rim_levels = np.zeros(0, int)  # level of the cells at nodata rims
        self.stitch = np.zeros((0, 4), int)  # neighbours' levels the edges meet (translucent)
        self.culled = np.zeros(0, bool)
        self._tri: dict[int, int] = {}
        self.colour_problem: ColourProblem | None = None  # why the colours shown may be wrong
        self._follow_layer()
        self._rebuild()

    # -- events ---------------------------------------------------------------------
    @property
    def tiles(self) -> TerrainTiles | None:
        """The tiles shown, None without a grid."""
        return None if self.cache is None else self.cache.tiles

    def _on_opacity(self, *_: Any) -> None:
        for actor in self.actors:
            actor.GetProperty().SetOpacity(float(self.layer.opacity))
        if self.cache is not None and self._skirts != self.skirts:
            self._skirts = self.skirts
            self.cache.meshes.clear()
            self._show(self.levels, self.tex_levels, self.rim_levels, force_mesh=True)

    # -- building -------------------------------------------------------------------
    def _rebuild(self, *_: Any) -> None:
        """(Re)create tiles (a new grid or origin) and one actor per tile."""
        self._recolourer.cancel()  # colours of the old grid
        self._recolourer.cache.clear()
        self._overlap_tiles.cancel()  # tiles of the old grid or origin
        self._install(_tiles_for(self.layer, self.origin, self._overlap_tiles.overlap))
        if self.colour_problem is not None and self.colour_problem.stale:
            self._set_problem(None)  # fresh colours of the new grid
        if self._drapes or self.sun.sun(self.layer) is not None:
            self._on_colours()  # prepared tiles carry the terrain's own colours and sun only

    def _install(self, tiles: TerrainTiles | None) -> None:
        """Show ``tiles`` (nothing shown yet: levels are chosen before the next render)."""
        self._detach()
        self._tri.clear()
        self.cache = None if tiles is None else TileCache(tiles, self._cache_bytes)
        n = 0 if tiles is None else len(tiles.tiles)
        self.levels, self.tex_levels, self.rim_levels = (np.full(n, -1) for _ in range(3))
        self.culled = np.zeros(n, bool)
        self._skirts = self.skirts
        self.actors = []
        for _ in range(n):
            actor = self._tile_actor()
            actor.SetVisibility(False)
            self.actors.append(actor)
        push_behind([a.GetMapper() for a in self.actors], len(self._overlap_tiles.overlap.finer))
        self._apply_scale()
        self._apply_names()
        self._attach()

    @property
    def overlap(self) -> Overlap:
        """The terrains over and under this one (see :meth:`set_overlap`)."""
        return self._overlap_tiles.overlap

    def set_overlap(self, overlap: Overlap) -> None:
        """Draw this terrain around the finer ones over it and down to the coarser ones under it.

        Called by SceneView (see :mod:`~twinscape.geo.terrain_overlap`): the samples
        finer visible terrains draw are left out (the layer's grid is not changed), the
        outer edges get skirts down to the coarser terrains under them, and the tiles
        are pushed back in depth one step per finer terrain. The tiles are rebuilt in
        the background when there is an executor (the old ones show until then, and
        :meth:`apply_pending_colours` adopts them); an unchanged overlap does nothing.
        """
        if overlap.key == self.overlap.key:
            return
        push_behind([a.GetMapper() for a in self.actors], len(overlap.finer))
        grid = self.layer.grid
        if grid is None:
            self._overlap_tiles.cancel()
            self._overlap_tiles.overlap = overlap
            return
        tiles = self._overlap_tiles.request(grid, self.origin, overlap)
        if tiles is not None:
            self._adopt_tiles(tiles)

    def _adopt_tiles(self, tiles: TerrainTiles) -> None:
        """Show ``tiles`` of the same grid built for a new overlap, in the colours shown."""
        old = self.tiles
        if old is not None and len(old.colors) and old.values.shape == tiles.values.shape:
            tiles.colors = old.colors
        else:
            grid = self.layer.grid
            assert grid is not None
            tiles.set_colors(baked_colors(grid.values, grid.resolution, self.layer.style))
        self._install(tiles)

    def set_origin(self, origin: LocalOrigin) -> None:
        """Move to a new project origin (rebuilds the tiles)."""
        self.origin = origin
        self._rebuild()

    def _on_colours(self, *_: Any) -> None:
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

    def apply_pending_colours(self, *, wait: bool = False) -> bool:
        """Show colours computed in the background, if any (``wait``: for a screenshot).

        A failed colouring is reported (:attr:`colour_problem`); the old colours stay,
        but with ``wait`` (a picture is being taken) :class:`ColourError` is raised
        rather than a picture in out-of-date colours.
        """
        tiles = self._overlap_tiles.take(wait=wait)
        if tiles is not None and tiles.grid is self.layer.grid:
            self._adopt_tiles(tiles)
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

        Every level chosen is built now (screenshots, export); see :meth:`refine_lod`
        for frames that must not wait.

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
        changed = self.lod.update(camera, viewport_h_px, tolerance_px, wait=True)
        return changed + self.detail.update(camera, viewport_h_px, wait=True)

    def refine_lod(
        self, camera: Any, viewport_h_px: float, tolerance_px: float, *,
        budget: int | None = None, moving: bool = False,
    ) -> int:  # fmt: skip
        """:meth:`update_lod` without waiting: missing levels are built in the background.

        Tiles keep what they show (or show a coarser level) until their level is built,
        then ``on_update`` asks for the render that swaps it in; ``budget`` bounds the
        triangles drawn (see :mod:`~twinscape.render.terrain_refine`); while ``moving``
        no detail texture is painted (they follow once the camera stops).
        """
        changed = self.lod.update(camera, viewport_h_px, tolerance_px, wait=False, budget=budget)
        return changed + self.detail.update(camera, viewport_h_px, wait=False, moving=moving)

    def refining(self) -> bool:
        """True while tile builds are pending or tiles in view wait for their levels."""
        return self.lod.refining() or self.detail.refining()

    @property
    def chosen_tolerance_px(self) -> float:
        """The tolerance the last frame's levels were chosen for (raised by a budget)."""
        return self.lod.tolerance_px

    def _show(
        self, levels: np.ndarray, tex: np.ndarray, rims: np.ndarray, *, force_mesh: bool = False
    ) -> int:
        return self.lod.show(levels, tex, rims, force_mesh=force_mesh)

    @property
    def triangles(self) -> int:
        """Triangles of the meshes shown in tiles inside the view frustum."""
        return sum(n for i, n in self._tri.items() if not self.culled[i])

    # -- appearance -----------------------------------------------------------------
    def _apply_visibility(self, *_: Any) -> None:
        """Show the tiles that have a level and lie in the view (all hidden with the layer)."""
        culled = self.culled if len(self.culled) == len(self.actors) else None
        for i, (actor, level) in enumerate(zip(self.actors, self.levels)):
            inside = culled is None or not culled[i]
            actor.SetVisibility(bool(self.layer.visible and level >= 0 and inside))

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

    def export_job(self, level: int = 0) -> Callable[[], list[Any]]:
        """The whole terrain at ``level`` as one export part, in the colours shown: a job
        for any thread (colours pending are waited for now)."""
        return export_terrain.job_of(self, level)

    # -- teardown -------------------------------------------------------------------
    def close(self) -> None:
        """Disconnect from the layer and remove the actors."""
        self._recolourer.cancel()
        self._overlap_tiles.cancel()
        self.lod.close()
        self.detail.close()
        self._set_problem(None)
        self._disconnect(self._connections)
        self._disconnect(self._style_connections)
        self._detach()
        self.actors = []
        self.cache = None
