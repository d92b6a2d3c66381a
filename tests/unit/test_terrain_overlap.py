"""Overlapping terrains in numbers: which one is finer, what is cut out, how deep skirts hang."""

from __future__ import annotations

import numpy as np
import pytest

from twinscape.geo.terrain_overlap import (
    FLOOR_MARGIN,
    cutout_mask,
    skirt_floor,
    terrain_overlaps,
)
from twinscape.model import RasterGrid


def flat(cell: float, west: float, north: float, n: int, z: float = 100.0) -> RasterGrid:
    values = np.full((n, n), z, np.float32)
    return RasterGrid(values=values, transform=(cell, 0, west, 0, -cell, north), crs="EPSG:32636")


COARSE = flat(90.0, 0.0, 9000.0, 100)  # 9 x 9 km
PATCH = flat(10.0, 3000.0, 6000.0, 300)  # 3 x 3 km in its middle, samples 3005 .. 5995


def test_the_finer_wins_and_of_equal_ones_the_upper() -> None:
    other = flat(90.0, 1000.0, 8000.0, 50)
    far = flat(10.0, 50000.0, 50000.0, 10)  # overlaps nothing
    overlaps = terrain_overlaps([PATCH, COARSE, other, far], [True] * 4)
    patch, coarse, upper, alone = overlaps
    assert patch.finer == () and {id(g) for g in patch.coarser} == {id(COARSE), id(other)}
    assert [id(g) for g in coarse.finer] == [id(PATCH), id(other)]  # other is the upper one
    assert [id(g) for g in upper.finer] == [id(PATCH)] and upper.coarser[0] is COARSE
    assert alone.plain
    hidden = terrain_overlaps([COARSE, PATCH], [True, False])
    assert hidden[0].plain and hidden[1].plain


def test_the_cut_out_lies_one_coarse_cell_inside_the_patch() -> None:
    mask = cutout_mask(COARSE, [PATCH])
    assert mask is not None
    xc, yc = COARSE.cell_centers()
    # analytic: a sample is cut when centre +- 90 m lies within the patch's samples
    cols = (xc - 90 >= 3005) & (xc + 90 <= 5995)
    rows = (yc - 90 >= 3005) & (yc + 90 <= 5995)
    assert np.array_equal(mask, rows[:, None] & cols[None, :])
    # the hole (every coarse cell touching a cut sample) stays inside the patch...
    r, c = np.nonzero(mask)
    assert xc[c].min() - 90 >= 3005 and xc[c].max() + 90 <= 5995
    # ...and the band where both are drawn is under two coarse cells wide
    assert xc[c].min() - 90 - 3005 < 180 and 5995 - (xc[c].max() + 90) < 180
    assert yc[r].min() - 90 - 3005 < 180 and 5995 - (yc[r].max() + 90) < 180


def test_nodata_in_the_patch_keeps_the_coarse_terrain_there() -> None:
    values = PATCH.values.copy()
    values[140:160, 140:160] = np.nan  # a 200 m hole around (4500, 4500)
    holed = RasterGrid(values=values, transform=PATCH.transform, crs=PATCH.crs)
    mask = cutout_mask(COARSE, [holed])
    full = cutout_mask(COARSE, [PATCH])
    assert mask is not None and full is not None
    xc, yc = COARSE.cell_centers()
    near = (np.abs(yc - 4500)[:, None] < 200) & (np.abs(xc - 4500)[None, :] < 200)
    assert not mask[near].any() and full[near].all()
    assert np.array_equal(mask[~near], full[~near])  # elsewhere the same cut-out


def test_nothing_is_cut_by_a_patch_narrower_than_two_coarse_cells() -> None:
    thin = flat(10.0, 3000.0, 6000.0, 15)  # 150 m wide
    assert cutout_mask(COARSE, [thin]) is None
    assert cutout_mask(COARSE, []) is None


def test_skirts_reach_below_every_coarser_terrain_under_the_edge() -> None:
    values = COARSE.values.copy()
    values[0, 0] = -50.0  # the coarse terrain's lowest point, far from the patch
    values[:, 60:] = np.nan  # no coarse data east of x = 5400 m
    coarse = RasterGrid(values=values, transform=COARSE.transform, crs=COARSE.crs)
    floor = skirt_floor(PATCH, [coarse])
    assert floor is not None
    north, south, west, east = floor
    assert west == pytest.approx(-50.0 - FLOOR_MARGIN)  # under every west sample
    xc, _ = PATCH.cell_centers()
    over = xc < 5400 - 45  # the coarse samples' bilinear support ends half a cell inside
    assert np.all(north[over] == -50.0 - FLOOR_MARGIN)
    assert np.isnan(north[xc > 5400]).all() and np.isnan(east).all()
    assert skirt_floor(PATCH, []) is None
    assert skirt_floor(PATCH, [flat(90.0, 20000.0, 9000.0, 10)]) is None  # nothing under
