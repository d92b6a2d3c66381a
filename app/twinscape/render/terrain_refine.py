"""Which level each terrain tile shows this frame: a frame budget and background builds.

:class:`TerrainLod` picks per tile the coarsest level within the tolerance (see
:mod:`~twinscape.render.terrain_lod`) and swaps it into the tile's actor. Two ways:

* ``wait`` (screenshots, ``SceneView.settle``, export, headless renders): every
  level chosen is built now, on the calling thread, as before.
* in the background (moving frames, and settled frames when somebody asks for a
  render as builds land): a level that is not cached is built on a worker
  (:class:`~twinscape.render.tile_builder.TileBuilder`) while the tile keeps what it
  shows; a tile that shows nothing yet is drawn at once at the nearest cached
  coarser level, or the coarsest (a few triangles, built at once). Cheap levels
  (at most :data:`SYNC_TRIANGLES` triangles, :data:`SYNC_TEXELS` texels) and
  coarser ones are built at once, up to :data:`SYNC_TRIANGLES_PER_FRAME` a frame; a tile
  that should coarsen beyond that shows its cached coarser or coarsest level rather
  than keep a fine mesh the frame cannot afford. Finished
  arrays are wrapped in VTK objects on the GUI thread, at most
  :data:`ADOPT_PER_FRAME` a frame. The nearest tiles outside the view are built
  too, last (:data:`PREFETCH_TILES`).

A :class:`~twinscape.render.frame_pacing.FrameBudget` (steered by the drawing time of
recent frames) bounds the triangles drawn: the tolerance grows (never below the interactive
one) until the tiles in view fit it
(:func:`budget_tolerance`; the triangles of every tile and level follow from the
tile shapes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from twinscape.render.terrain_mesh import stitch_levels, tile_texture
from twinscape.render.terrain_tiles import TerrainTiles
from twinscape.render.tile_builder import Job, TileBuilder

#: A mesh of at most this many triangles is built at once rather than on the worker.
SYNC_TRIANGLES = 8192
#: A texture of at most this many texels is built at once rather than on the worker.
SYNC_TEXELS = 129 * 129
#: Cheap or coarser levels are built at once up to this many triangles in one frame.
SYNC_TRIANGLES_PER_FRAME = 262_144
#: At most this many finished arrays are wrapped in VTK objects in one frame.
ADOPT_PER_FRAME = 32
#: Tiles outside the view, nearest first, whose levels are built in the background.
PREFETCH_TILES = 8


def level_triangles(tiles: TerrainTiles) -> np.ndarray:
    """(tiles, levels) int64: triangles of every tile at every level, skirts included."""
    shape = np.array([(t.nrows, t.ncols) for t in tiles.tiles], np.int64).reshape(-1, 2)
    stride = 1 << np.arange(tiles.n_levels, dtype=np.int64)
    rows = (shape[:, :1] - 2) // stride + 2  # samples per side at each level
    cols = (shape[:, 1:] - 2) // stride + 2
    return 2 * (rows - 1) * (cols - 1) + 4 * (rows - 1) + 4 * (cols - 1)


def level_texels(tiles: TerrainTiles) -> np.ndarray:
    """(tiles, texture levels) int64: texels of every tile's texture at every level."""
    shape = np.array([(t.nrows, t.ncols) for t in tiles.tiles], np.int64).reshape(-1, 2)
    stride = 1 << np.arange(max(len(tiles.colors), 1), dtype=np.int64)
    return ((shape[:, :1] - 1) // stride + 1) * ((shape[:, 1:] - 1) // stride + 1)


def budget_tolerance(
    screen_errors: np.ndarray, triangles: np.ndarray, in_view: np.ndarray,
    tolerance_px: float, budget: int,
) -> float:  # fmt: skip
    """The smallest tolerance (``tolerance_px * sqrt(2)**k``) whose levels fit ``budget``.

    ``screen_errors`` and ``triangles`` are (tiles, levels); only tiles ``in_view``
    count. Returns the coarsest tried when nothing fits.
    """
    errors, tris = screen_errors[in_view], triangles[in_view]
    rows = np.arange(len(tris))
    tol = tolerance_px
    for k in range(25):
        tol = tolerance_px * 2.0 ** (k / 2)
        levels = np.maximum((errors <= tol).sum(axis=1) - 1, 0)
        if tris[rows, levels].sum() <= budget:
            break
    return tol


class TerrainLod:
    """The levels one :class:`~twinscape.render.terrain_visual.TerrainVisual` shows.

    Parameters
    ----------
    visual
        The terrain visual (its tiles, cache, actors and shown levels).
    on_update
        Called (from the worker, or the GUI thread) when a build waits for a render.
    """

    def __init__(self, visual: Any, on_update: Callable[[], None] | None = None) -> None:
        self.visual = visual
        self.on_update = on_update
        self.builder = TileBuilder(on_update)
        self.tolerance_px = 0.0  # the tolerance the last frame chose its levels for
        self._for: tuple[Any, bool] | None = None  # (cache, skirts) the builds are for
        self._tables: tuple[TerrainTiles, int, np.ndarray, np.ndarray] | None = None
        self._behind = False  # tiles in view show other levels than they want

    def refining(self) -> bool:
        """True while builds are pending or tiles in view wait for their levels."""
        return self._behind or self.builder.pending()

    def close(self) -> None:
        """Stop the worker (without waiting for the build it is on)."""
        self.builder.close()

    # -- per frame --------------------------------------------------------------------
    def update(
        self, camera: Any, viewport_h_px: float, tolerance_px: float,
        *, wait: bool = True, budget: int | None = None,
    ) -> int:  # fmt: skip
        """Choose and show the levels for ``camera``; the number of tiles changed.

        ``wait``: build every level chosen now; else in the background (see the
        module). ``budget``: the triangles the tiles in view may draw (the tolerance
        grows until they fit), None for no bound.
        """
        v = self.visual
        v.apply_pending_colours()
        tiles = v.tiles
        if tiles is None or not v.layer.visible:
            self._behind = False
            self.builder.want([])
            return 0
        if self._for is None or self._for[0] is not v.cache or self._for[1] != v._skirts:
            self.builder.reset()  # a new grid, origin or skirts: older builds are stale
            self._for = (v.cache, v._skirts)
        self._adopt(None if wait else ADOPT_PER_FRAME)
        parallel = camera.GetParallelScale() if camera.GetParallelProjection() else None
        planes = [0.0] * 24
        camera.GetFrustumPlanes(v.renderer.GetTiledAspectRatio() or 1.0, planes)
        scale = tiles.pixels_per_metre(
            camera.GetPosition(), camera.GetViewAngle(), max(float(viewport_h_px), 1.0),
            ve=v.ve, parallel_scale=parallel,
        )  # fmt: skip
        # Side planes only: near/far follow the (possibly stale) clipping range.
        culled = tiles.outside(np.array(planes[:16]), v.ve) & ~tiles.empty
        v.culled = culled
        tris, texels = self._level_tables(tiles)
        if budget is not None:
            in_view = ~culled & ~tiles.empty
            errors = tiles.screen_errors(scale, v.ve)
            tolerance_px = budget_tolerance(errors, tris, in_view, tolerance_px, budget)
        self.tolerance_px = tolerance_px
        want = self._select(tiles, scale, tolerance_px)
        levels, rims, tex = self._keep_culled(tiles, *want)
        if wait:
            self.builder.want([])
            self._behind = False
            return self.show(levels, tex, rims)
        order = np.argsort(-scale, kind="stable")  # nearest first
        show, jobs = self._plan(tiles, (levels, rims, tex), order, tris, texels)
        jobs += self._prefetch(tiles, want, order, tris, texels)
        self.builder.want(jobs)
        changed = self.show(show[0], show[2], show[1])
        behind = (show[0] != levels) | (show[1] != rims) | (show[2] != tex)
        self._behind = bool((behind & ~culled).any())
        if self.builder.waiting and self.on_update is not None:
            self.on_update()  # more finished builds than one frame adopts
        return changed

    def _select(
        self, tiles: TerrainTiles, scale: np.ndarray, tolerance_px: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mesh, rim and texture level every tile wants (-1: nothing to draw)."""
        levels = tiles.select_levels(scale, tolerance_px, ve=self.visual.ve)
        rims = np.minimum(tiles.rim_levels(scale, tolerance_px), np.maximum(levels, 0))
        tex = tiles.texture_levels(scale)
        tex[levels < 0] = -1
        return levels, rims, tex

    def _keep_culled(
        self, tiles: TerrainTiles, levels: np.ndarray, rims: np.ndarray, tex: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Culled tiles keep what they show (VTK culls them); the coarsest if never shown."""
        v = self.visual
        culled = v.culled
        never = culled & (v.levels < 0)
        levels = np.where(culled, v.levels, levels)
        rims = np.where(culled, v.rim_levels, rims)
        tex = np.where(culled, v.tex_levels, tex)
        levels[never], tex[never] = tiles.n_levels - 1, len(tiles.colors) - 1
        rims[never] = tiles.n_levels - 1
        tex[levels < 0] = -1
        return levels, rims, tex

    def _level_tables(self, tiles: TerrainTiles) -> tuple[np.ndarray, np.ndarray]:
        if (
            self._tables is None
            or self._tables[0] is not tiles
            or self._tables[1] != len(tiles.colors)
        ):
            self._tables = (tiles, len(tiles.colors), level_triangles(tiles), level_texels(tiles))
        return self._tables[2], self._tables[3]

    # -- background builds ------------------------------------------------------------
    def _mesh_job(self, tiles: TerrainTiles, i: int, level: int, rim: int) -> Job:
        skirts = bool(self.visual._skirts)
        return Job(("mesh", i, level, rim), lambda: tiles.mesh(i, level, rim=rim, skirts=skirts))

    def _texture_job(self, tiles: TerrainTiles, i: int, level: int) -> Job:
        pyramid, tile = tiles.colors, tiles.tiles[i]

        def build() -> tuple[list[np.ndarray], np.ndarray, tuple[float, ...]]:
            rgb, mapping = tile_texture(pyramid, tile.r0, tile.c0, tile.nrows, tile.ncols, level)
            return pyramid, rgb, mapping

        return Job(("tex", i, level, id(pyramid)), build)

    def _adopt(self, limit: int | None) -> None:
        """Wrap finished arrays in VTK objects (GUI thread) and cache them."""
        cache = self.visual.cache
        for key, value in self.builder.take(limit):
            if key[0] == "mesh":
                _, i, level, rim = key
                if (i, level, rim) not in cache.meshes:
                    cache.put_mesh(i, level, rim, value)
                continue
            pyramid, rgb, mapping = value
            if pyramid is cache.tiles.colors and key[1:3] not in cache.textures:
                cache.put_texture(key[1], key[2], rgb, mapping)

    def _plan(
        self, tiles: TerrainTiles, want: tuple[np.ndarray, np.ndarray, np.ndarray],
        order: np.ndarray, tris: np.ndarray, texels: np.ndarray,
    ) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], list[Job]]:  # fmt: skip
        """What to show now for the levels ``want`` ed, and the builds to queue."""
        v, cache = self.visual, self.visual.cache
        levels, rims, tex = want
        show = (levels.copy(), rims.copy(), tex.copy())
        jobs: list[Job] = []
        allowance = SYNC_TRIANGLES_PER_FRAME  # triangles still built at once this frame
        tex_allowance = 64 * SYNC_TEXELS
        coarsest = tiles.n_levels - 1
        changed = (levels != v.levels) | (rims != v.rim_levels) | (tex != v.tex_levels)
        for i in order[changed[order] & (levels[order] >= 0)]:
            i = int(i)
            lv, rim, t = int(levels[i]), int(rims[i]), int(tex[i])
            shown, shown_rim, shown_tex = (
                int(v.levels[i]),
                int(v.rim_levels[i]),
                int(v.tex_levels[i]),
            )
            if (lv, rim) != (shown, shown_rim) and (i, lv, rim) not in cache.meshes:
                coarsen = 0 <= shown < lv
                if tris[i, lv] <= allowance and (tris[i, lv] <= SYNC_TRIANGLES or coarsen):
                    allowance -= tris[i, lv]  # built in show()
                else:
                    jobs.append(self._mesh_job(tiles, i, lv, rim))
                    keep = (shown, shown_rim) if shown >= 0 and not coarsen else None
                    fallback = cache.coarser_mesh(i, lv) or (coarsest, rim)  # rims: no gaps
                    show[0][i], show[1][i] = keep or fallback
            if t >= 0 and t != shown_tex and (i, t) not in cache.textures:
                if texels[i, t] <= tex_allowance and (
                    texels[i, t] <= SYNC_TEXELS or 0 <= shown_tex < t
                ):
                    tex_allowance -= texels[i, t]  # built in show()
                else:
                    jobs.append(self._texture_job(tiles, i, t))
                    if shown_tex >= 0:
                        show[2][i] = shown_tex
                    else:
                        show[2][i] = cache.coarser_texture(i, t) or len(tiles.colors) - 1
        return show, jobs

    def _prefetch(
        self, tiles: TerrainTiles, want: tuple[np.ndarray, np.ndarray, np.ndarray],
        order: np.ndarray, tris: np.ndarray, texels: np.ndarray,
    ) -> list[Job]:  # fmt: skip
        """Builds for the nearest tiles outside the view, whose levels they would want."""
        cache, culled = self.visual.cache, self.visual.culled
        levels, rims, tex = want
        near = order[culled[order] & (levels[order] >= 0)][:PREFETCH_TILES]
        jobs: list[Job] = []
        for i in map(int, near):
            lv, rim, t = int(levels[i]), int(rims[i]), int(tex[i])
            if tris[i, lv] > SYNC_TRIANGLES and (i, lv, rim) not in cache.meshes:
                jobs.append(self._mesh_job(tiles, i, lv, rim))
            if texels[i, t] > SYNC_TEXELS and (i, t) not in cache.textures:
                jobs.append(self._texture_job(tiles, i, t))
        return jobs

    # -- showing ----------------------------------------------------------------------
    def show(
        self, levels: np.ndarray, tex: np.ndarray, rims: np.ndarray, *, force_mesh: bool = False
    ) -> int:
        """Swap the actors' meshes and textures to these levels (built now when missing)."""
        v = self.visual
        new_mesh = (levels != v.levels) | (rims != v.rim_levels) | force_mesh
        stitch = None
        if not v._skirts and v.cache is not None:  # translucent: edges meet exactly instead
            stitch = stitch_levels(levels, v.cache.tiles.neighbours)
            if v.stitch.shape == stitch.shape:
                new_mesh |= (stitch != v.stitch).any(axis=1)
            else:
                new_mesh[:] = True
        changed = new_mesh | (tex != v.tex_levels)
        cache = v.cache
        for i in np.flatnonzero(changed):  # changes imply tiles, hence a cache
            i = int(i)
            actor = v.actors[i]
            if levels[i] < 0:
                actor.SetVisibility(False)
                v._tri.pop(i, None)
                continue
            if new_mesh[i]:
                sides = None if stitch is None else tuple(int(k) for k in stitch[i])
                pd, v._tri[i] = cache.mesh(
                    i, int(levels[i]), int(rims[i]), skirts=v._skirts, stitch=sides
                )
                actor.GetMapper().SetInputData(pd)
            if tex[i] != v.tex_levels[i]:
                actor.SetTexture(cache.texture(i, int(tex[i])))
        v.levels, v.tex_levels, v.rim_levels = levels.copy(), tex.copy(), rims.copy()
        v.stitch = np.zeros((0, 4), int) if stitch is None else stitch
        v._apply_visibility()  # tiles outside the view are hidden: VTK's own culling costs
        return int(changed.sum())
