"""geo/solar.py irradiance against pvlib's own full-year sums, geo/horizon.py against geometry."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
import pytest
import rasterio
from shapely.geometry import box

from twinscape.geo.horizon import horizon_angles
from twinscape.geo.solar import solar_suitability, sun_samples
from twinscape.model.errors import LoadCancelled
from twinscape.model.raster import RasterGrid

REPO = Path(__file__).resolve().parents[2]
DEM = Path("/work/shared/data/dem_deadsea_n31e035_srtm3_utm36n_90m.tif")
if not DEM.is_file():
    DEM = REPO / "assets" / "dem" / "deadsea_n31e035_srtm3_utm36n_90m.tif"

# a 3 km square near the Dead Sea in UTM 36N
X0, Y0, RES, N = 735_000.0, 3_490_000.0, 50.0, 60


def grid_of(values: np.ndarray) -> RasterGrid:
    return RasterGrid(values.astype(np.float32), (RES, 0.0, X0, 0.0, -RES, Y0), "EPSG:32636")


def tilted(slope_deg: float, facing_deg: float) -> RasterGrid:
    """A plane of ``slope_deg`` whose downhill direction is ``facing_deg`` from north."""
    rows, cols = np.mgrid[0:N, 0:N].astype(np.float64)
    east, north = cols * RES, -rows * RES
    g = math.tan(math.radians(slope_deg))
    fx, fy = math.sin(math.radians(facing_deg)), math.cos(math.radians(facing_deg))
    return grid_of(300.0 - g * (east * fx + north * fy))


def pvlib_year(lat: float, lon: float, tilt: float, azimuth: float, altitude: float) -> float:
    """Clear-sky annual irradiation (kWh/m2) on a plane, pvlib, every 10 minutes of 2025."""
    times = pd.date_range("2025-01-01 00:05", "2025-12-31 23:55", freq="10min", tz="UTC")
    loc = pvlib.location.Location(lat, lon, altitude=altitude)
    pos = loc.get_solarposition(times)
    sky = loc.get_clearsky(times, model="ineichen", solar_position=pos)
    poa = pvlib.irradiance.get_total_irradiance(
        tilt,
        azimuth,
        pos["apparent_zenith"],
        pos["azimuth"],
        sky["dni"],
        sky["ghi"],
        sky["dhi"],
        albedo=0.25,
        model="isotropic",
    )
    up = pos["apparent_elevation"] > 0
    return float(poa["poa_global"].fillna(0)[up].sum() / 6.0 / 1000.0)


def test_flat_ground_matches_pvlib_full_year() -> None:
    grid = grid_of(np.full((N, N), 300.0))
    result = solar_suitability(grid, horizon_m=2000.0)
    ref = pvlib_year(result.latitude, result.longitude, 0.0, 180.0, 300.0)
    inner = result.irradiance[5:-5, 5:-5]
    assert np.allclose(inner, inner.mean(), rtol=1e-5)
    assert inner.mean() == pytest.approx(ref, rel=0.01)
    assert 1500 < ref < 2800
    assert result.mask.all()
    assert result.area_km2 == pytest.approx(N * N * RES * RES / 1e6)
    assert 31.0 < result.latitude < 32.0 and 35.0 < result.longitude < 36.0


@pytest.mark.parametrize(("slope", "facing"), [(20.0, 180.0), (20.0, 0.0), (30.0, 90.0)])
def test_tilted_planes_match_pvlib_transposition(slope: float, facing: float) -> None:
    grid = tilted(slope, facing)
    result = solar_suitability(grid, horizon_m=2000.0, max_slope_deg=45.0, altitude_m=300.0)
    ref = pvlib_year(result.latitude, result.longitude, slope, facing, 300.0)
    inner = result.irradiance[8:-8, 8:-8]
    assert float(inner.std()) < 1e-3 * float(inner.mean())
    assert float(inner.mean()) == pytest.approx(ref, rel=0.02)


def test_south_faces_beat_north_faces_and_masks_follow_slope_and_aspect() -> None:
    south = solar_suitability(tilted(8.0, 180.0), horizon_m=1000.0)
    north = solar_suitability(tilted(8.0, 0.0), horizon_m=1000.0)
    assert np.nanmean(south.irradiance) > 1.05 * np.nanmean(north.irradiance)
    assert south.mask.all()
    assert not north.mask.any()  # faces away from the sun
    assert solar_suitability(tilted(8.0, 0.0), aspect_tolerance_deg=180.0).mask.all()
    steep = solar_suitability(tilted(15.0, 180.0), max_slope_deg=10.0, horizon_m=1000.0)
    assert not steep.mask.any()
    gentle = solar_suitability(tilted(2.0, 0.0), horizon_m=1000.0)  # below aspect_min_slope
    assert gentle.mask.all()
    rich = solar_suitability(tilted(8.0, 180.0), min_irradiance=1e6, horizon_m=1000.0)
    assert not rich.mask.any()


def test_horizon_of_a_wall_and_its_shadow() -> None:
    z = np.zeros((N, N))
    z[10, :] = 100.0  # an east-west wall 100 m high along row 10
    angles = horizon_angles(z, (RES, RES), directions=16, horizon_m=3000.0)
    assert angles.shape == (16, N, N) and angles.dtype == np.float32
    # from row 12 (100 m south of the wall) looking north (direction 0): atan(100 / 100)
    assert angles[0, 12, 30] == pytest.approx(45.0, abs=0.01)
    assert angles[0, 20, 30] == pytest.approx(math.degrees(math.atan(100 / 500)), abs=0.01)
    # looking south from the same cell: flat ground, the earth's curvature dips it
    assert -0.1 < angles[8, 12, 30] <= 0.0
    # earth curvature: 16 km away a 30 m mast is lowered by 17.5 m (k = 0.13)
    far = np.zeros((3, 12))
    far[1, 8] = 30.0
    h = horizon_angles(far, (2000.0, 2000.0), directions=4, horizon_m=20_000.0)[1, 1, 0]
    drop = (1 - 0.13) * 16_000.0**2 / (2 * 6_371_000.0)
    assert math.tan(math.radians(h)) == pytest.approx((30.0 - drop) / 16_000.0, rel=1e-5)
    # the cells in the wall's winter shadow get less sun than open ground
    result = solar_suitability(grid_of(z), horizon_m=3000.0, aspect_tolerance_deg=180.0)
    shaded = result.irradiance[12, 20:40].mean()
    open_ground = result.irradiance[40, 20:40].mean()
    assert shaded < 0.97 * open_ground


def test_exclusions_nodata_progress_and_cancel() -> None:
    values = np.full((N, N), 300.0)
    values[:5, :5] = np.nan
    grid = grid_of(values)
    lake = box(X0 + 1000, Y0 - 2000, X0 + 2000, Y0 - 1000)  # 20 x 20 cells
    seen: list[float] = []
    result = solar_suitability(grid, exclusions=[lake], horizon_m=500.0, progress=seen.append)
    assert not result.mask[20:40, 20:40].any()
    assert result.mask.sum() == N * N - 25 - 400
    assert np.isnan(result.irradiance[:5, :5]).all()
    assert np.isfinite(result.irradiance[5:, 5:]).all()
    assert seen and seen[-1] == 1.0
    with pytest.raises(LoadCancelled):
        solar_suitability(grid, cancelled=lambda: True)
    with pytest.raises(ValueError):
        solar_suitability(grid, max_slope_deg=-1.0)


def test_sun_samples_cover_the_year() -> None:
    sun = sun_samples(31.5, 35.5, 2025)
    assert (sun.elevation > 0).all()
    # daylight hours add up to about half the year
    assert 4300 < sun.hours.sum() < 4500
    assert sun.azimuth.min() < 70 and sun.azimuth.max() > 290  # summer sunrise/sunset


def test_demo_dem_within_seconds() -> None:
    with rasterio.open(DEM) as src:
        z = src.read(1, masked=True).astype(np.float32).filled(np.nan)
        grid = RasterGrid(z, tuple(src.transform)[:6], src.crs.to_string())
    sun_samples(31.5, 35.5, 2025)  # pvlib's first call loads its tables
    start = time.perf_counter()
    result = solar_suitability(grid)
    elapsed = time.perf_counter() - start
    assert elapsed < 30.0  # ~4 s on one free core
    valid = np.isfinite(z)
    assert np.array_equal(np.isfinite(result.irradiance), valid)
    assert 500 < np.nanmin(result.irradiance) and np.nanmax(result.irradiance) < 2600
    assert 0.2 < result.mask.sum() / valid.sum() < 0.9
