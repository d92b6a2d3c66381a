"""A terrain as one mesh for export, numpy only: the whole grid at one level of its tile pyramid.

Level ``L`` keeps every ``2**L``-th sample of the grid (and its last row and column),
exactly the samples the tiles show at that level, since tiles start at multiples of
their size; level 0 is the full-resolution mesh. Cells are split along the same diagonal
as the tiles' and wound counter-clockwise seen from above (normals up); a triangle with
a nodata corner is left out, with no skirts and no rim refinement. Points are render
coordinates at true heights.

Colours are the terrain's baked colours (ramp x hillshade, drapes blended in: the
pyramid the tile textures are cut from): a texture of the whole grid (the finest pyramid
level no larger than :data:`MAX_TEXTURE_PX` a side) with texture coordinates on the
sample centres, and the full-resolution colour of each sample as vertex colours, for
formats without textures. A drape finer than the grid (an orthophoto) is exported as
sharp as the view shows it close up: the texture is then painted at a detail level
(:mod:`~twinscape.render.detail_compose`), as fine as the drape, within
:data:`MAX_TEXTURE_PX` a side.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from twinscape.geo.origin import LocalOrigin
from twinscape.model.raster import RasterGrid
from twinscape.render.detail_compose import detail_shape, max_depth
from twinscape.render.detail_textures import try_paint
from twinscape.render.export_mesh import TRIANGLES, ExportPart, compact
from twinscape.render.recolour import ColourRecipe
from twinscape.render.terrain_lod import level_indices
from twinscape.render.terrain_mesh import grid_faces

#: Largest side of the exported terrain texture, in pixels (what viewers commonly accept).
MAX_TEXTURE_PX = 8192


def _samples(grid: RasterGrid) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample x, y (world) and values, a grid one sample high or wide doubled onto its edges."""
    x, y = grid.cell_centers()
    values = grid.values
    west, south, east, north = grid.bounds
    if values.shape[0] < 2:
        y, values = np.array([north, south]), np.repeat(values, 2, axis=0)
    if values.shape[1] < 2:
        x, values = np.array([west, east]), np.repeat(values, 2, axis=1)
    return np.asarray(x, np.float64), np.asarray(y, np.float64), values


def level_triangles(grid: RasterGrid, n_levels: int) -> list[int]:
    """Triangles of the exported terrain at each level ``0 .. n_levels - 1``."""
    _, _, values = _samples(grid)
    counts = []
    for level in range(n_levels):
        rows = level_indices(values.shape[0], 1 << level)
        cols = level_indices(values.shape[1], 1 << level)
        ok = np.isfinite(values[np.ix_(rows, cols)])
        diag = ok[:-1, :-1] & ok[1:, 1:]
        counts.append(int((diag & ok[:-1, 1:]).sum() + (diag & ok[1:, :-1]).sum()))
    return counts


def texture_level(pyramid: list[np.ndarray], max_px: int = MAX_TEXTURE_PX) -> int:
    """The finest pyramid level whose image fits in ``max_px`` a side (else the coarsest)."""
    for level, image in enumerate(pyramid):
        if max(image.shape[:2]) <= max_px:
            return level
    return len(pyramid) - 1


def detail_level(recipe: ColourRecipe | None, max_px: int = MAX_TEXTURE_PX) -> int:
    """The detail level (<= 0) of the whole grid's export texture: as fine as the finest
    drape finer than the grid that shows anywhere, within ``max_px`` texels a side (0: none)."""
    if recipe is None:
        return 0
    res, size = max(recipe.resolution), max(recipe.values.shape)
    depths = [max_depth(res, f.resolution, size, max_px - 1)
              for rgba, opacity, _, f in recipe.layers
              if f is not None and opacity > 0 and rgba[..., 3].any()]  # fmt: skip
    return -max(depths, default=0)


def detail_texture(
    recipe: ColourRecipe | None, max_px: int = MAX_TEXTURE_PX
) -> tuple[np.ndarray, float] | None:
    """The whole grid painted at :func:`detail_level` (north row first) and its texels per
    sample interval; None when no drape is finer than the grid or painting failed (logged)."""
    level = detail_level(recipe, max_px)
    if recipe is None or level == 0:
        return None
    rows, cols = recipe.values.shape
    painted = try_paint(recipe, (0, 0, rows, cols), level)
    if painted is None:
        return None
    rgb = painted[0][::-1]  # painted in VTK's row order, south first
    assert rgb.shape[:2] == detail_shape(rows, cols, level)
    return np.ascontiguousarray(rgb), float(1 << -level)


def terrain_part(
    grid: RasterGrid, pyramid: list[np.ndarray], origin: LocalOrigin, level: int, *,
    opacity: float = 1.0, max_texture_px: int = MAX_TEXTURE_PX,
    detail: tuple[np.ndarray, float] | None = None,
) -> ExportPart:  # fmt: skip
    """The terrain at ``level`` as one triangle part (see the module).

    ``pyramid`` is the baked colour pyramid of the grid (level 0 full resolution, as
    :attr:`TerrainTiles.colors`); points carry ``"elevation"`` (world metres).
    ``detail`` (:func:`detail_texture`) replaces the pyramid's texture.
    """
    x, y, values = _samples(grid)
    rows = level_indices(values.shape[0], 1 << level)
    cols = level_indices(values.shape[1], 1 << level)
    z = values[np.ix_(rows, cols)]
    nr, nc = len(rows), len(cols)
    points = np.empty((nr, nc, 3), np.float32)
    points[..., 0] = (x[cols] - origin.x)[None, :]
    points[..., 1] = (y[rows] - origin.y)[:, None]
    points[..., 2] = np.nan_to_num(z, nan=0.0) - np.float32(origin.z)
    faces = grid_faces(nr, nc, skirts=False)[:, ::-1].astype(np.int64)  # up, not down
    valid = np.isfinite(z).ravel()
    faces = faces[valid[faces].all(axis=1)]
    rr, cc = np.meshgrid(rows, cols, indexing="ij")
    part = ExportPart(
        kind=TRIANGLES, points=points.reshape(-1, 3), cells=faces, opacity=float(opacity),
        point_data={"elevation": z.ravel().astype(np.float32)},
    )  # fmt: skip
    if pyramid:
        full = pyramid[0]
        rgb = full[np.minimum(rr, full.shape[0] - 1), np.minimum(cc, full.shape[1] - 1)]
        part.colors = np.concatenate(
            [rgb.reshape(-1, 3), np.full((nr * nc, 1), 255, np.uint8)], axis=1
        )
        if detail is None:
            t = texture_level(pyramid, max_texture_px)
            detail = pyramid[t], 1.0 / (1 << t)
        image, per_sample = detail  # texels per sample interval
        h, w = image.shape[:2]
        uv = np.empty((nr * nc, 2), np.float32)
        uv[:, 0] = ((cc * per_sample + 0.5) / w).ravel()
        uv[:, 1] = ((rr * per_sample + 0.5) / h).ravel()
        part.uv, part.texture = uv, np.ascontiguousarray(image)
    return compact(part)


def levels_of(visual: Any) -> list[int]:
    """Triangles per export level of a terrain visual (``[]`` without a grid)."""
    grid, tiles = visual.layer.grid, visual.tiles
    if grid is None or tiles is None:
        return []
    return level_triangles(grid, tiles.n_levels)


def job_of(visual: Any, level: int = 0) -> Callable[[], list[ExportPart]]:
    """A terrain visual's whole grid at ``level`` (clipped to its levels) in the colours
    it shows, as a job for any thread: colours still being computed (a drape, the sun)
    are waited for here, on the caller's thread; the job builds the mesh and paints the
    detail texture from what it was given (replaced, never changed, by later colours)."""
    grid, tiles = visual.layer.grid, visual.tiles
    if grid is None or tiles is None:
        return list
    visual.apply_pending_colours(wait=True)
    level = min(max(int(level), 0), tiles.n_levels - 1)
    recipe = getattr(tiles.colors, "recipe", None)
    if recipe is not None and recipe.values.shape != grid.values.shape:
        recipe = None  # a grid one sample high or wide: its tiles double that sample
    pyramid, origin, opacity = list(tiles.colors), visual.origin, float(visual.layer.opacity)

    def job() -> list[ExportPart]:
        return [terrain_part(grid, pyramid, origin, level, opacity=opacity,
                             detail=detail_texture(recipe))]  # fmt: skip

    return job
