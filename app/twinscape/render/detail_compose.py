"""Detail textures of terrain tiles, numpy only: colours finer than the grid, painted per tile.

A terrain's colours are baked on its grid (one texel per sample, see
:mod:`~twinscape.render.recolour`). A drape that is finer than that grid (an orthophoto)
offers a :class:`FinePaint`: its picture on any north-up grid. A tile close to the camera
then gets a *detail* texture at level ``L < 0``, texels ``resolution * 2**L`` apart with
every ``2**-L``-th texel on a sample, composited exactly as the grid-level colours are
(:func:`compose_detail`): the terrain's baked colours, the hillshade and the drapes that
are not fine are bilinearly upsampled from the grid (what the texture filter shows between
samples anyway), the fine drapes are painted at the detail resolution, and they are blended
in the same order with the same formula (:func:`~twinscape.render.grid_colors.drape_colors`),
then dimmed by the same light. At level 0 the result equals the grid-level texture.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from twinscape.render.grid_colors import blend_drape
from twinscape.render.parallel import on_all_cores
from twinscape.render.recolour import ColourRecipe, dim_colours
from twinscape.render.texture_pyramid import fill_rim

#: Texel intervals per side of a detail texture at most (2049 x 2049 texels, 12 MiB).
MAX_DETAIL_TEXELS = 2048


@dataclass(frozen=True, eq=False)
class FinePaint:
    """A drape's picture at any resolution (see the module).

    Parameters
    ----------
    resolution
        About how many metres of the project CRS one pixel of the source spans.
    paint
        ``paint(transform, shape, crs) -> uint8 (rows, cols, 4)`` RGBA over a north-up
        grid (affine ``transform`` of 6 numbers, ``(rows, cols)``, CRS); any thread.
    """

    resolution: float
    paint: Callable[[tuple[float, ...], tuple[int, int], str], np.ndarray]


def max_depth(
    grid_resolution: float, fine_resolution: float, tile_size: int,
    max_texels: int = MAX_DETAIL_TEXELS,
) -> int:  # fmt: skip
    """How many halvings finer than the grid a detail texture goes (0: none).

    As many as bring the texels to about the source's pixel size, but no more than
    keeps a tile of ``tile_size`` samples within ``max_texels`` texel intervals a side.
    """
    if not (fine_resolution > 0 and grid_resolution > fine_resolution):
        return 0
    depth = round(math.log2(grid_resolution / fine_resolution))
    cap = int(math.floor(math.log2(max_texels / max(tile_size - 1, 1))))
    return max(0, min(depth, cap))


def detail_shape(nrows: int, ncols: int, level: int) -> tuple[int, int]:
    """(rows, cols) texels of a tile of ``nrows x ncols`` samples at detail ``level`` <= 0."""
    s = 1 << -level
    return (nrows - 1) * s + 1, (ncols - 1) * s + 1


def detail_transform(
    transform: tuple[float, ...], r0: int, c0: int, level: int
) -> tuple[float, ...]:
    """Affine transform of the texel cells of a tile at sample ``(r0, c0)`` at ``level`` <= 0.

    ``transform`` is the grid's (north-up) affine; the texel centres of the result lie
    ``2**level`` samples apart, the first on the tile's first sample.
    """
    a, _, c, _, e, f = transform[:6]
    s = 1 << -level
    x = c + (c0 + 0.5) * a - 0.5 * a / s
    y = f + (r0 + 0.5) * e - 0.5 * e / s
    return (a / s, 0.0, x, 0.0, e / s, y)


def detail_mapping(height: int, width: int, level: int) -> tuple[float, float, float, float]:
    """Texture-coordinate map ``(su, ou, sv, ov)`` of a detail texture (see ``tile_texture``)."""
    s = float(1 << -level)
    return (s / width, 0.5 / width, -s / height, (height - 0.5) / height)


def _upsample_rows(a: np.ndarray, s: int, j0: int, j1: int) -> np.ndarray:
    """Bilinear upsampling by ``s`` of ``a`` (rows, cols[, ch]): output rows ``j0:j1``, float32.

    Output texel ``(j, i)`` lies at input position ``(j / s, i / s)``.
    """
    a = a.astype(np.float32, copy=False)
    if s == 1:
        return a[j0:j1].copy()
    rows, cols = a.shape[:2]
    pos = np.arange(j0, j1) / s
    k = np.minimum(pos.astype(int), max(rows - 2, 0))
    f = (pos - k).astype(np.float32)
    k1 = np.minimum(k + 1, rows - 1)
    shape = (-1,) + (1,) * (a.ndim - 1)
    r = a[k] * (1 - f).reshape(shape) + a[k1] * f.reshape(shape)
    pos = np.arange((cols - 1) * s + 1) / s
    k = np.minimum(pos.astype(int), max(cols - 2, 0))
    f = (pos - k).astype(np.float32)
    k1 = np.minimum(k + 1, cols - 1)
    shape = (1, -1) + (1,) * (a.ndim - 2)
    return r[:, k] * (1 - f).reshape(shape) + r[:, k1] * f.reshape(shape)


def compose_detail(
    recipe: ColourRecipe,
    window: tuple[int, int, int, int],
    level: int,
    fine: dict[int, np.ndarray],
    *,
    rows_per_chunk: int = 256,
) -> np.ndarray:
    """uint8 (rows, cols, 3) colours of a tile at detail ``level`` <= 0, north row first.

    Parameters
    ----------
    recipe
        How the grid-level colours were made.
    window
        ``(r0, c0, nrows, ncols)``: the tile's samples in the grid.
    level
        The detail level (texels ``2**level`` samples apart).
    fine
        RGBA (rows, cols, 4) at the detail resolution (:func:`detail_shape`) per index of
        ``recipe.layers``; the other layers are upsampled from the grid.
    """
    r0, c0, nrows, ncols = window
    s = 1 << -level
    height, width = detail_shape(nrows, ncols, level)
    win = (slice(r0, r0 + nrows), slice(c0, c0 + ncols))
    base = np.array(recipe.base[win])
    valid = np.isfinite(recipe.values[win])
    if not valid.all():
        fill_rim(base, valid)  # as the pyramid does: no nodata colour bleeds into the rim
    shade = None if recipe.shade is None else recipe.shade[win]
    style = recipe.style
    out = np.empty((height, width, 3), np.uint8)

    def strip(j0: int) -> None:
        j1 = min(height, j0 + rows_per_chunk)
        acc = _upsample_rows(base, s, j0, j1)
        light = None
        for k, (rgba, opacity, shaded, _) in enumerate(recipe.layers):
            part = fine[k][j0:j1] if k in fine else _upsample_rows(rgba[win], s, j0, j1)
            if shaded and shade is not None and light is None:
                light = _upsample_rows(shade, s, j0, j1) * np.float32(1 / 255)
            blend_drape(acc, part, opacity, style, light if shaded else None)
        out[j0:j1] = np.clip(acc + 0.5, 0, 255).astype(np.uint8)

    on_all_cores(strip, range(0, height, rows_per_chunk))
    if recipe.light < 1.0:
        dim_colours(out, recipe.light)
    return out


def paint_detail(
    recipe: ColourRecipe, window: tuple[int, int, int, int], level: int
) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """A tile's detail texture (VTK row order: south first) and its texture-coordinate map.

    Reads every fine drape for the tile's footprint at the detail resolution
    (:attr:`FinePaint.paint`), then :func:`compose_detail`; any thread.
    """
    r0, c0, nrows, ncols = window
    shape = detail_shape(nrows, ncols, level)
    transform = detail_transform(recipe.transform, r0, c0, level)
    fine = {
        k: np.asarray(f.paint(transform, shape, recipe.crs))
        for k, (*_, f) in enumerate(recipe.layers)
        if f is not None
    }
    rgb = compose_detail(recipe, window, level, fine)
    return np.ascontiguousarray(rgb[::-1]), detail_mapping(*shape, level)
