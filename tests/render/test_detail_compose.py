"""Detail textures composite like the grid-level colours: at the samples they are the same.

The grid-level colours come from the existing path (``recolour.colour_pyramid``:
``drape_colors``, dimming, ``color_pyramid``); the drapes are functions of world
coordinates, evaluated on whatever grid they are asked for, so a detail texture's texels
on the grid's samples must equal the grid-level texture there, whatever the stack (an
imagery drape half transparent and at 70 % opacity, a shaded drape above it, the sun's
light dimmed, a hole in the DEM).
"""

from __future__ import annotations

import numpy as np
import pytest

from twinscape.model import RasterGrid, TerrainStyle
from twinscape.render import terrain_lod as lod
from twinscape.render.detail_compose import (
    FinePaint,
    compose_detail,
    detail_shape,
    detail_transform,
    max_depth,
)
from twinscape.render.kinds import Drape, DrapeSource
from twinscape.render.kinds.imagery import ImagerySource
from twinscape.render.recolour import colour_pyramid

RES = 30.0


def grid_with_hole() -> RasterGrid:
    n = 65
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32)
    z = 100 + 30 * np.sin(xx / 9) * np.cos(yy / 7)
    z[40:46, 10:17] = np.nan
    return RasterGrid(values=z, transform=(RES, 0.0, 500_000.0, 0.0, -RES, 3_500_000.0),
                      crs="EPSG:32636")  # fmt: skip


def photo(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """RGBA of a smooth 'photo' at world points; transparent west of x = 500,600."""
    rgba = np.empty((*x.shape, 4), np.uint8)
    rgba[..., 0] = np.clip(128 + 100 * np.sin(x / 41.0), 0, 255)
    rgba[..., 1] = np.clip(128 + 100 * np.cos(y / 53.0), 0, 255)
    rgba[..., 2] = 90
    rgba[..., 3] = np.where(x < 500_600.0, 0, 255)
    return rgba


def on_cells(transform: tuple[float, ...], shape: tuple[int, int], what) -> np.ndarray:  # noqa: ANN001
    a, _, c, _, e, f = transform[:6]
    x = c + a * (np.arange(shape[1]) + 0.5)
    y = f + e * (np.arange(shape[0]) + 0.5)
    return what(*np.meshgrid(x, y))


def band(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """A half-transparent green band, north-east to south-west (an analysis result)."""
    rgba = np.zeros((*x.shape, 4), np.uint8)
    rgba[..., 1] = 200
    rgba[..., 3] = np.where(np.abs((x - 500_000) - (3_500_000 - y)) < 300, 160, 0)
    return rgba


def drapes() -> list[Drape]:
    def paint(grid: RasterGrid) -> np.ndarray:
        return on_cells(grid.transform, grid.shape, photo)

    fine = FinePaint(1.0, lambda t, shape, crs: on_cells(t, shape, photo))
    imagery = ImagerySource(key="photo", paint=paint, shaded=False, fine=fine)
    above = DrapeSource(key="band", paint=lambda g: on_cells(g.transform, g.shape, band))
    return [Drape(imagery, opacity=0.7), Drape(above, opacity=0.9)]


@pytest.mark.parametrize("level", [0, -1, -2])
def test_detail_texels_on_the_samples_equal_the_grid_colours(level: int) -> None:
    grid = grid_with_hole()
    style = TerrainStyle(hillshade_strength=0.6)
    pyramid = colour_pyramid(grid, style, 4, drapes(), light=0.8)
    recipe = pyramid.recipe
    assert recipe is not None and len(recipe.fine) == 1
    r0, c0, nrows, ncols = 16, 0, 33, 33  # around the hole and the photo's west edge
    shape = detail_shape(nrows, ncols, level)
    transform = detail_transform(recipe.transform, r0, c0, level)
    fine = {0: on_cells(transform, shape, photo)}
    rgb = compose_detail(recipe, (r0, c0, nrows, ncols), level, fine)
    assert rgb.shape == (*shape, 3)
    s = 1 << -level
    on_samples = rgb[::s, ::s].astype(int)
    expected = pyramid[0][r0 : r0 + nrows, c0 : c0 + ncols].astype(int)
    valid = np.isfinite(grid.values[r0 : r0 + nrows, c0 : c0 + ncols])
    assert np.abs(on_samples - expected)[valid].max() <= 1


def test_between_samples_the_photo_is_its_own_not_the_grids() -> None:
    grid = grid_with_hole()
    pyramid = colour_pyramid(grid, TerrainStyle(hillshade=False), 4, drapes()[:1])
    recipe = pyramid.recipe
    level = -3
    shape = detail_shape(33, 33, level)
    transform = detail_transform(recipe.transform, 0, 32, level)
    photo_fine = on_cells(transform, shape, photo)
    rgb = compose_detail(recipe, (0, 32, 33, 33), level, {0: photo_fine})
    # opaque photo at 70 %: colour = base + 0.7 (photo - base), base upsampled from the grid
    base = recipe.base[0:33, 32:65].astype(float)
    mid = rgb[4::8, 4::8].astype(float)  # texels half-way between samples
    base_mid = (base[:-1, :-1] + base[1:, :-1] + base[:-1, 1:] + base[1:, 1:]) / 4
    want = base_mid + 0.7 * (photo_fine[4::8, 4::8, :3].astype(float) - base_mid)
    assert np.abs(mid - want).max() <= 1.5


def test_detail_levels_follow_the_texel_rule_down_to_the_photo() -> None:
    assert max_depth(30.0, 1.0, 65) == 5  # 30 m -> 0.94 m texels
    assert max_depth(30.0, 1.0, 257) == 3  # capped: 2048 texels a side
    assert max_depth(30.0, 60.0, 65) == 0  # a coarser picture gets none
    # texels 30 m apart, 0.8 px wanted: 1 px/m wants 0.8 m texels, i.e. level -6 -> -5
    scale = np.array([1.0, 0.1, 0.001])
    levels = lod.texture_levels(RES, scale, 6, finest=np.array([-5, -5, -5]))
    assert list(levels) == [-5, -1, 5]
    assert list(lod.texture_levels(RES, scale, 6)) == [0, 0, 5]
