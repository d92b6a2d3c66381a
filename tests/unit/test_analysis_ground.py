"""Which window of a DEM read on demand an analysis runs on, checked against rasterio reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.shutil import copy as rio_copy
from rasterio.transform import from_origin
from rasterio.windows import Window

from twinscape.io.dem_source import open_dem_source
from twinscape.render.analysis_ground import dem_window, reach_bounds

N, RES, WEST, NORTH = 1024, 10.0, 500_000.0, 3_000_000.0


@pytest.fixture(scope="module")
def cog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1024 x 1024 COG (10 m cells, EPSG:32637) with GDAL's averaged overviews."""
    folder = tmp_path_factory.mktemp("analysis_ground")
    y, x = np.mgrid[0:N, 0:N].astype(np.float32)
    z = (500 + 200 * np.sin(x / 90) * np.cos(y / 70) + 0.01 * x * y).astype(np.float32)
    plain = folder / "plain.tif"
    with rasterio.open(
        plain, "w", driver="GTiff", height=N, width=N, count=1, dtype="float32",
        crs="EPSG:32637", transform=from_origin(WEST, NORTH, RES, RES), tiled=True,
    ) as dst:  # fmt: skip
        dst.write(z, 1)
    out = folder / "dem.tif"
    rio_copy(plain, out, driver="COG", overview_resampling="average")
    return out


def test_a_viewshed_reach_is_read_at_full_resolution(cog: Path) -> None:
    dem = open_dem_source(cog, target_crs="EPSG:32637")
    observer = (WEST + 4000.0, NORTH - 3000.0, 600.0)
    window = dem_window(dem, reach_bounds([observer], 1500.0))
    assert window.level == 0
    assert window.shape == (300, 300)  # 3 km across at 10 m
    grid = window.grid()
    with rasterio.open(cog) as src:
        truth = src.read(1, window=Window(window.col, window.row, 300, 300))
    np.testing.assert_array_equal(grid.values, truth)
    west, south, east, north = grid.bounds
    assert (west, north) == (WEST + 2500.0, NORTH - 1500.0)
    assert window.grid() is grid  # read once


def test_a_whole_dem_analysis_takes_the_finest_level_that_fits(cog: Path) -> None:
    dem = open_dem_source(cog, target_crs="EPSG:32637")
    assert dem_window(dem).level == 0  # 1M cells fit the default bound
    window = dem_window(dem, max_cells=300 * 300)
    assert window.level == 2 and window.shape == (256, 256)  # 512 x 512 would not fit
    with rasterio.open(cog) as src:  # GDAL's own 4 x 4 averaged overview
        truth = src.read(1, out_shape=(256, 256), resampling=rasterio.enums.Resampling.average)
    np.testing.assert_allclose(window.grid().values, truth, rtol=1e-5)


def test_a_reach_past_the_edge_is_clipped_and_equal_windows_are_one_key(cog: Path) -> None:
    dem = open_dem_source(cog, target_crs="EPSG:32637")
    corner = reach_bounds([(WEST + 100.0, NORTH - 100.0, 0.0)], 2000.0)
    window = dem_window(dem, corner)
    assert (window.row, window.col) == (0, 0) and window.shape == (210, 210)
    assert dem_window(dem, corner) == window and len({window, dem_window(dem, corner)}) == 1
