"""geo/profile.py: against an analytic plane and rasterio's point samples of the real DEM."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import rasterio

from twinscape.geo.profile import profile
from twinscape.io.dem import read_dem
from twinscape.model.raster import RasterGrid

REPO = Path(__file__).resolve().parents[2]
DEM = Path("/work/shared/data/dem_deadsea_n31e035_srtm3_utm36n_90m.tif")
if not DEM.is_file():
    DEM = REPO / "assets" / "dem" / "deadsea_n31e035_srtm3_utm36n_90m.tif"

X0, Y0, RES = 700_000.0, 3_500_000.0, 10.0


def plane_grid(gx: float, gy: float, n: int = 120) -> RasterGrid:
    """z = 100 + gx * (x - X0) + gy * (y - Y0) sampled at cell centres."""
    x = X0 + (np.arange(n) + 0.5) * RES
    y = Y0 - (np.arange(n) + 0.5) * RES
    xx, yy = np.meshgrid(x, y)
    z = 100.0 + gx * (xx - X0) + gy * (yy - Y0)
    return RasterGrid(z.astype(np.float32), (RES, 0.0, X0, 0.0, -RES, Y0), "EPSG:32636")


def test_plane_profile_grades_and_lengths() -> None:
    gx, gy = 0.06, -0.02  # 6 % rising east, 2 % falling north
    grid = plane_grid(gx, gy)
    line = np.array([[X0 + 55, Y0 - 1105], [X0 + 655, Y0 - 1105], [X0 + 655, Y0 - 305.3]])
    prof = profile(grid, line, step=7.0)
    assert prof.length == pytest.approx(600 + 799.7)
    assert prof.distance[0] == 0 and prof.distance[-1] == pytest.approx(prof.length)
    assert (np.diff(prof.distance) > 0).all() and np.diff(prof.distance).max() <= 7.0 + 1e-9
    # vertices are samples
    np.testing.assert_allclose(np.column_stack([prof.x, prof.y])[prof.vertex_index], line)
    expected = 100 + gx * (prof.x - X0) + gy * (prof.y - Y0)
    np.testing.assert_allclose(prof.z, expected, atol=1e-3)
    # east leg climbs 6 %, north leg falls... gy < 0 and y grows north: -2 %
    np.testing.assert_allclose(prof.segment_grade_pct, [6.0, -2.0], atol=1e-4)
    np.testing.assert_allclose(np.unique(prof.sample_grade_pct.round(3)), [-2.0, 6.0])
    assert prof.max_grade_pct == pytest.approx(6.0, abs=1e-3)
    assert prof.max_segment_grade_pct == pytest.approx(6.0, abs=1e-4)
    assert prof.ascent == pytest.approx(36.0, abs=1e-2)
    assert prof.descent == pytest.approx(799.7 * 0.02, abs=1e-2)


def test_default_step_is_the_cell_size_and_diagonal_grade() -> None:
    grid = plane_grid(0.03, 0.04)  # 5 % up towards the north-east
    line = np.array([[X0 + 100, Y0 - 1000], [X0 + 700, Y0 - 200]])
    prof = profile(grid, line)
    assert len(prof.distance) == math.ceil(1000 / RES) + 1
    assert prof.segment_grade_pct[0] == pytest.approx(5.0, abs=1e-4)


def test_matches_rasterio_samples_at_cell_centres_of_the_real_dem() -> None:
    grid = read_dem(DEM, target_crs="EPSG:32636").grid
    a, _, c, _, e, f = grid.transform
    # along row 600 from column 100 to 900, then down column 900 to row 1000
    line = np.array(
        [
            [c + a * 100.5, f + e * 600.5],
            [c + a * 900.5, f + e * 600.5],
            [c + a * 900.5, f + e * 1000.5],
        ]
    )
    prof = profile(grid, line, step=a)
    with rasterio.open(DEM) as src:
        ref = np.array([v[0] for v in src.sample(zip(prof.x, prof.y))], dtype=np.float64)
        ref[ref == src.nodata] = np.nan
    assert len(ref) == 800 + 400 + 1
    np.testing.assert_array_equal(np.isnan(prof.z), np.isnan(ref))
    np.testing.assert_allclose(prof.z, ref, atol=1e-9, equal_nan=True)
    # grades between samples are differences of those samples over the cell size
    np.testing.assert_allclose(prof.sample_grade_pct, np.diff(ref) / a * 100, equal_nan=True)
    assert prof.max_grade_pct == pytest.approx(np.nanmax(np.abs(np.diff(ref))) / a * 100)


def test_outside_and_bad_lines() -> None:
    grid = plane_grid(0.01, 0.0)
    prof = profile(grid, np.array([[X0 - 100, Y0 - 500], [X0 + 100, Y0 - 500]]), step=10)
    assert np.isnan(prof.z[:10]).all() and np.isfinite(prof.z[-5:]).all()
    assert np.isnan(prof.segment_grade_pct[0])
    assert prof.max_grade_pct == pytest.approx(1.0, abs=1e-4)
    with pytest.raises(ValueError, match="N >= 2"):
        profile(grid, np.array([[X0, Y0]]))
    with pytest.raises(ValueError, match="repeats"):
        profile(grid, np.array([[X0, Y0], [X0, Y0]]))
    with pytest.raises(ValueError, match="step"):
        profile(grid, np.array([[X0, Y0], [X0 + 1, Y0]]), step=0)
