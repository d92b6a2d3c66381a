"""Colour ramps and baked colours (render/colormaps.py, ramp_shading.py, grid_colors.py,
texture_pyramid.py): desert looks like a desert."""

from __future__ import annotations

import numpy as np
import pytest

from twinscape.model import COLORMAPS, RasterGrid, TerrainStyle
from twinscape.render.colormaps import RAMPS, ramp_lut, stretch
from twinscape.render.grid_colors import baked_colors
from twinscape.render.ramp_shading import terrain_rgb
from twinscape.render.texture_pyramid import color_pyramid


def hue_class(rgb: np.ndarray) -> str:
    r, g, b = (int(v) for v in rgb)
    if b > r + 20:
        return "blue"  # blue to turquoise
    if g > r + 8 and g > b:
        return "green"
    if abs(r - g) < 14 and abs(g - b) < 14:
        return "grey"
    return "warm" if r >= g >= b - 5 else "other"


def test_every_model_colormap_has_a_ramp() -> None:
    assert set(RAMPS) == set(COLORMAPS)
    for name in COLORMAPS:
        lut = ramp_lut(RAMPS[name], 64)
        assert lut.shape == (64, 3) and lut.min() >= 0 and lut.max() <= 255


def test_desert_runs_from_sand_through_rock_to_snow() -> None:
    style = TerrainStyle(colormap="desert")
    z = np.linspace(0, 2000, 11, dtype=np.float32)
    rgb = terrain_rgb(z, style)
    classes = [hue_class(c) for c in rgb]
    assert "green" not in classes
    assert classes[:6] == ["warm"] * 6  # sand, ochre, brown
    assert rgb[0].sum() > rgb[5].sum()  # pale sand is lighter than brown rock
    assert rgb[-1].min() > 240  # snow at the very top


def test_mountain_starts_green() -> None:
    rgb = terrain_rgb(np.array([0.0, 2000.0], np.float32), TerrainStyle(colormap="mountain"))
    assert hue_class(rgb[0]) == "green" and rgb[1].min() > 240


def test_sea_ramp_colours_below_zero_from_deep_to_light() -> None:
    z = np.array([-400, -200, -5, 0, 500], np.float32)
    rgb = terrain_rgb(z, TerrainStyle(sea_ramp=True)).astype(int)
    assert [hue_class(c) for c in rgb[:3]] == ["blue"] * 3
    assert rgb[0].sum() < rgb[1].sum() < rgb[2].sum()  # deep blue -> light turquoise
    assert rgb[2, 1] > 180 and rgb[2, 2] > 180
    off = terrain_rgb(z, TerrainStyle(sea_ramp=False))
    assert all(hue_class(c) in ("warm", "grey") for c in off)


def test_sea_level_moves_the_shore() -> None:
    z = np.array([-420, -410, -300, 0, 600], np.float32)
    style = TerrainStyle(sea_level=-405.0)  # the Dead Sea
    rgb = terrain_rgb(z, style, data_range=(-420.0, 1300.0))
    assert [hue_class(c) for c in rgb] == ["blue", "blue", "warm", "warm", "warm"]
    assert stretch(style, (-420.0, 1300.0)) == (-405.0, 1300.0, -420.0)


def test_stretch_follows_the_style_and_the_data() -> None:
    assert stretch(TerrainStyle(), (-400.0, 1300.0)) == (0.0, 1300.0, -400.0)
    assert stretch(TerrainStyle(sea_ramp=False), (-400.0, 1300.0)) == (-400.0, 1300.0, None)
    assert stretch(TerrainStyle(), (-400.0, -10.0)) == (-400.0, -10.0, None)  # all below 0
    style = TerrainStyle(elevation_range=(100.0, 900.0))
    assert stretch(style, (-400.0, 1300.0))[:2] == (100.0, 900.0)


def test_hillshade_keeps_flat_colour_and_shades_slopes() -> None:
    style = TerrainStyle(hillshade_strength=0.8)
    z = np.full(3, 300.0, np.float32)
    flat = np.sin(np.radians(style.sun_altitude))
    shade = np.array([flat, 0.1, 1.0], np.float32)
    plain = terrain_rgb(z, style).astype(int)
    lit = terrain_rgb(z, style, hillshade=shade).astype(int)
    assert np.abs(lit[0] - plain[0]).max() <= 2  # flat ground keeps its colour
    assert lit[1].sum() < plain[1].sum() - 100  # facing away: darker
    assert lit[2].sum() > plain[2].sum() + 20  # facing the sun: lighter
    nan_shade = terrain_rgb(z, style, hillshade=np.full(3, np.nan, np.float32))
    assert np.array_equal(nan_shade, terrain_rgb(z, style))
    off = terrain_rgb(z, TerrainStyle(hillshade=False), hillshade=shade)
    assert np.array_equal(off, terrain_rgb(z, TerrainStyle()))


@pytest.mark.parametrize("chunk", [7, 64, 1000])
def test_baked_colours_do_not_depend_on_the_strip_size(chunk: int) -> None:
    rng = np.random.default_rng(3)
    z = np.cumsum(rng.normal(0, 5, (90, 70)), axis=0).astype(np.float32)
    z[:10, :10] = np.nan
    style = TerrainStyle()
    whole = baked_colors(z, (30.0, 30.0), style, rows_per_chunk=10_000)
    assert np.array_equal(baked_colors(z, (30.0, 30.0), style, rows_per_chunk=chunk), whole)


def test_pyramid_fills_hole_rims_and_halves(demo_grid: RasterGrid) -> None:
    values = demo_grid.values[:300, :300]
    rgb = baked_colors(values, demo_grid.resolution, TerrainStyle())
    valid = np.isfinite(values)
    pyramid = color_pyramid(rgb.copy(), valid, 4)
    assert [p.shape[:2] for p in pyramid] == [(300, 300), (150, 150), (75, 75), (38, 38)]
    # next to the data, nodata texels take their neighbours' colour (no dark rim when filtered)
    rim = ~valid & np.pad(valid, 1)[2:, 1:-1]
    assert rim.any()
    assert pyramid[0][rim].mean() > 120
