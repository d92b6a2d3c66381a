"""Detail textures of an in-memory terrain's tiles: drapes sharper than the grid, close up.

A terrain's colour pyramid has one texel per grid sample at its finest (level 0), so an
orthophoto of 0.5 m on a 30 m DEM would be drawn at 30 m. When a drape of the colours
shown offers its picture at any resolution (a ``fine``
:class:`~twinscape.render.detail_compose.FinePaint`, as imagery does) and is finer than
the grid, :class:`DetailTextures` gives the tiles it covers detail levels ``L < 0``
(texels ``resolution * 2**L`` apart), chosen by the rule of the grid levels
(:func:`~twinscape.render.terrain_lod.texture_levels`: the finest whose texels are at
least :data:`~twinscape.render.terrain_lod.TEXEL_PX` on screen), down to the picture's
own pixel size and at most :data:`~twinscape.render.detail_compose.MAX_DETAIL_TEXELS`
per tile side. The detail textures of one view take at most :data:`CACHE_SHARE` of the
texture cache's bytes (they coarsen together until they fit); they live in that cache.

After the grid levels of a frame are shown, :meth:`DetailTextures.update` swaps in the
detail textures wanted: in a screenshot (``wait``) they are painted now; otherwise on a
worker (:class:`~twinscape.render.tile_builder.TileBuilder`, nearest tile first) while
the tile keeps the texture it shows, and ``on_update`` asks for the frame that swaps them
in (at most :data:`ADOPT_PER_FRAME` a frame). New colours (a new pyramid) drop every
detail texture and painting starts again from them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from twinscape.render import terrain_lod as lod
from twinscape.render.detail_compose import max_depth, paint_detail
from twinscape.render.recolour import ColourRecipe
from twinscape.render.terrain_tiles import TerrainTiles
from twinscape.render.tile_builder import Job, TileBuilder

log = logging.getLogger(__name__)

#: Share of the texture cache's bytes that the detail textures of one view may take.
CACHE_SHARE = 0.5
#: Detail textures painted in the background that are wrapped in VTK per frame at most.
ADOPT_PER_FRAME = 4


@dataclass(frozen=True, eq=False)
class _Plan:
    """Which tiles of ``tiles`` get detail in the colours ``pyramid``, and how fine."""

    tiles: TerrainTiles
    pyramid: list[np.ndarray]
    recipe: ColourRecipe | None
    depth: np.ndarray  # per tile: halvings finer than the grid allowed (0: no detail)
    shapes: np.ndarray  # (tiles, 2) samples per tile
    failed: set[tuple[int, int]] = field(default_factory=set)  # (tile, level) not painted


def _plan(tiles: TerrainTiles) -> _Plan:
    """Detail depth per tile: where a fine drape of the colours shows, as fine as it is."""
    pyramid = tiles.colors
    recipe: ColourRecipe | None = getattr(pyramid, "recipe", None)
    depth = np.zeros(len(tiles.tiles), int)
    shapes = np.array([(t.nrows, t.ncols) for t in tiles.tiles], np.int64).reshape(-1, 2)
    if recipe is not None and recipe.values.shape == tiles.values.shape:  # not a thin grid
        res = max(tiles.resolution)
        for rgba, opacity, _, fine in recipe.layers:
            d = (
                0
                if fine is None or opacity <= 0
                else max_depth(res, fine.resolution, tiles.tile_size)
            )
            if d == 0:
                continue
            alpha = rgba[..., 3]
            for t in tiles.tiles:
                if depth[t.index] < d and alpha[t.r0 : t.r0 + t.nrows, t.c0 : t.c0 + t.ncols].any():
                    depth[t.index] = d
    return _Plan(tiles, pyramid, recipe, depth, shapes)


def try_paint(
    recipe: ColourRecipe, window: tuple[int, int, int, int], level: int
) -> tuple[np.ndarray, tuple[float, float, float, float]] | None:
    """:func:`paint_detail`, or None (logged) when it fails: the tile keeps its texture."""
    try:
        return paint_detail(recipe, window, level)
    except Exception:  # noqa: BLE001 - a picture that cannot be read must not stop the frame
        log.exception("painting a detail texture of tile window %s failed", window)
        return None


def detail_bytes(shapes: np.ndarray, levels: np.ndarray) -> int:
    """Bytes of the RGB detail textures of tiles of ``shapes`` (samples) at ``levels`` (<0)."""
    s = np.left_shift(1, np.maximum(-levels, 0))
    texels = ((shapes[:, 0] - 1) * s + 1) * ((shapes[:, 1] - 1) * s + 1)
    return int((3 * texels)[levels < 0].sum())


class DetailTextures:
    """The detail textures of one :class:`~twinscape.render.terrain_visual.TerrainVisual`.

    Parameters
    ----------
    visual
        The terrain visual (its tiles, cache, actors and the grid levels shown).
    on_update
        Called (from the worker, or the GUI thread) when painted textures wait for a render.
    """

    def __init__(self, visual: Any, on_update: Callable[[], None] | None = None) -> None:
        self.visual = visual
        self.on_update = on_update
        self.builder = TileBuilder(on_update)
        self._plan: _Plan | None = None
        self._shown: dict[int, tuple[int, Any]] = {}  # tile -> (level, vtkTexture) set
        self._behind = False

    @property
    def levels(self) -> np.ndarray:
        """Detail level shown per tile (0: the grid-level texture)."""
        v = self.visual
        out = np.zeros(len(v.actors), int)
        for i, (level, tex) in self._shown.items():
            if i < len(v.actors) and v.actors[i].GetTexture() is tex:
                out[i] = level
        return out

    def refining(self) -> bool:
        """True while detail textures in view are being painted or wait to be shown."""
        return self._behind or self.builder.pending()

    def close(self) -> None:
        """Stop the worker (without waiting for the texture it paints)."""
        self.builder.close()

    def _plan_for(self, tiles: TerrainTiles) -> _Plan:
        plan = self._plan
        if plan is None or plan.tiles is not tiles or plan.pyramid is not tiles.colors:
            self.builder.reset()  # paints of other tiles or colours are stale
            self._shown.clear()  # new tiles have new actors, new colours grid textures
            plan = self._plan = _plan(tiles)
        return plan

    def wanted(self, camera: Any, viewport_h_px: float) -> tuple[np.ndarray, np.ndarray]:
        """Detail level (<0, or 0 for none) every tile wants, and its pixels per metre."""
        v = self.visual
        tiles = v.tiles
        plan = self._plan_for(tiles)
        parallel = camera.GetParallelScale() if camera.GetParallelProjection() else None
        scale = tiles.pixels_per_metre(
            camera.GetPosition(), camera.GetViewAngle(), max(float(viewport_h_px), 1.0),
            ve=v.ve, parallel_scale=parallel,
        )  # fmt: skip
        drawn = (plan.depth > 0) & (v.levels >= 0) & ~v.culled
        levels = np.zeros(len(scale), int)
        if not drawn.any():
            return levels, scale
        res, limit = max(tiles.resolution), CACHE_SHARE * v.cache.textures.limit
        for k in range(16):  # coarser together until the view's textures fit the cache
            texel_px = lod.TEXEL_PX * 2.0**k
            chosen = lod.texture_levels(res, scale, 1, texel_px, finest=-plan.depth)
            levels = np.where(drawn, chosen, 0)
            if detail_bytes(plan.shapes, levels) <= limit:
                break
        return levels, scale

    def update(self, camera: Any, viewport_h_px: float, *, wait: bool, moving: bool = False) -> int:
        """Show the detail textures the view wants (after the grid levels); tiles changed.

        ``wait``: paint every missing one now (screenshots); else on the worker, the
        tiles keeping what they show until then. ``moving`` (a frame while the camera
        moves): only textures already made are shown; no paint starts and none waiting
        is taken in (the one on the worker finishes), so painting never competes with
        the moving frames; the first still frame asks for what is missing.
        """
        v = self.visual
        tiles = v.tiles
        if tiles is None or not v.layer.visible or not len(tiles.colors):
            self.builder.want([])
            self._behind = False
            return 0
        plan = self._plan_for(tiles)
        if not (wait or moving):
            self._adopt(plan, ADOPT_PER_FRAME)
        levels, scale = self.wanted(camera, viewport_h_px)
        jobs: list[Job] = []
        changed = 0
        for i in map(int, np.argsort(-scale, kind="stable")):  # nearest first
            changed += self._show_tile(plan, i, int(levels[i]), jobs, wait=wait)
        self.builder.want([] if moving else jobs)
        self._behind = bool(jobs)
        return changed

    def _show_tile(self, plan: _Plan, i: int, level: int, jobs: list[Job], *, wait: bool) -> int:
        """Give tile ``i`` its detail ``level`` (or queue it in ``jobs``); 1 if it changed."""
        v, cache = self.visual, self.visual.cache
        actor = v.actors[i]
        shown = self._shown.get(i)
        if shown is not None and actor.GetTexture() is not shown[1]:
            del self._shown[i]  # the grid levels replaced it (a new grid level)
            shown = None
        if level == 0:
            if shown is None or v.culled[i]:
                return 0  # culled tiles keep what they show, as their grid levels do
            del self._shown[i]
            if v.tex_levels[i] >= 0:
                actor.SetTexture(cache.texture(i, int(v.tex_levels[i])))
            return 1
        if shown is not None and shown[0] == level:
            cache.textures.get((i, level))  # drawn: the most recently used
            return 0
        if (i, level) in plan.failed:
            return 0
        tex = cache.textures.get((i, level))
        if tex is None and wait:
            t = plan.tiles.tiles[i]
            assert plan.recipe is not None
            painted = try_paint(plan.recipe, (t.r0, t.c0, t.nrows, t.ncols), level)
            if painted is None:
                plan.failed.add((i, level))
                return 0
            tex = cache.put_texture(i, level, *painted)
        if tex is None:
            jobs.append(self._job(plan, i, level))
            if shown is not None:
                cache.textures.get((i, shown[0]))  # still drawn: keep it cached
            return 0
        actor.SetTexture(tex)
        self._shown[i] = (level, tex)
        return 1

    def _job(self, plan: _Plan, i: int, level: int) -> Job:
        t, recipe, pyramid = plan.tiles.tiles[i], plan.recipe, plan.pyramid
        assert recipe is not None
        window = (t.r0, t.c0, t.nrows, t.ncols)
        return Job(("detail", i, level), lambda: (pyramid, try_paint(recipe, window, level)))

    def _adopt(self, plan: _Plan, limit: int) -> None:
        """Wrap painted textures of the colours shown in VTK (GUI thread) and cache them."""
        cache = self.visual.cache
        for key, (pyramid, painted) in self.builder.take(limit):
            _, i, level = key
            if pyramid is not plan.pyramid:
                continue
            if painted is None:
                plan.failed.add((i, level))
            elif (i, level) not in cache.textures:
                cache.put_texture(i, level, *painted)
        if self.builder.waiting and self.on_update is not None:
            self.on_update()  # more painted textures than one frame adopts
