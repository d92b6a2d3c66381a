"""geo/slope.py against ``gdaldem slope`` / ``gdaldem aspect`` on the real demo DEM."""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import rasterio

from twinscape.geo.slope import grid_slope_aspect, slope_aspect
from twinscape.model.errors import LoadCancelled
from twinscape.model.raster import RasterGrid

REPO = Path(__file__).resolve().parents[2]
DEM = Path("/work/shared/data/dem_deadsea_n31e035_srtm3_utm36n_90m.tif")
if not DEM.is_file():
    DEM = REPO / "assets" / "dem" / "deadsea_n31e035_srtm3_utm36n_90m.tif"


def read(path: Path) -> tuple[np.ndarray, tuple[float, float]]:
    """Band 1 as float64 with nodata as NaN, and the cell size."""
    with rasterio.open(path) as src:
        data = src.read(1, masked=True).astype(np.float64).filled(np.nan)
        return data, src.res


def gdal(tool: str, *args: str | Path) -> None:
    exe = shutil.which(tool)
    if exe is None:
        pytest.skip(f"{tool} is not installed")
    subprocess.run([exe, *map(str, args), "-q"], check=True, capture_output=True)


def circular_diff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs((a - b + 180.0) % 360.0 - 180.0)


def compare(dem: Path, tmp_path: Path, *flags: str, z_factor: float = 1.0) -> dict[str, float]:
    """Run gdaldem on ``dem`` with ``flags``; return the largest differences to ours."""
    values, res = read(dem)
    ours = slope_aspect(
        values.astype(np.float32),
        res,
        z_factor=z_factor,
        compute_edges="-compute_edges" in flags,
        flat=0.0 if "-zero_for_flat" in flags else math.nan,
    )
    stats: dict[str, float] = {}
    for name, mine in zip(("slope", "aspect"), ours):
        out = tmp_path / f"{name}.tif"
        extra = [f for f in flags if name == "aspect" or f != "-zero_for_flat"]
        if name == "slope" and z_factor != 1.0:
            extra += ["-s", str(1.0 / z_factor)]
        gdal("gdaldem", name, *extra, dem, out)
        ref, _ = read(out)
        assert mine.dtype == np.float32 and mine.shape == ref.shape
        if name == "aspect" and "-zero_for_flat" in flags:
            # gdaldem then sets no nodata value and writes 0 where the slope is nodata
            assert (ref[np.isnan(mine)] == 0).all()
            ref[np.isnan(mine)] = np.nan
        # the same cells are nodata (edges, rims of holes, flat aspect)
        assert np.array_equal(np.isnan(ref), np.isnan(mine)), name
        valid = ~np.isnan(ref)
        assert valid.sum() > 0.5 * valid.size
        diff = (
            circular_diff(ref[valid], mine[valid])
            if name == "aspect"
            else np.abs(ref[valid] - mine[valid])
        )
        stats[name] = float(diff.max())
    return stats


def test_matches_gdaldem_on_the_demo_dem(tmp_path: Path) -> None:
    stats = compare(DEM, tmp_path)
    assert stats["slope"] < 1e-3
    assert stats["aspect"] < 1e-3


def test_matches_gdaldem_compute_edges_and_zero_for_flat(tmp_path: Path) -> None:
    stats = compare(DEM, tmp_path, "-compute_edges", "-zero_for_flat")
    assert stats["slope"] < 1e-3
    assert stats["aspect"] < 1e-3


def test_matches_gdaldem_on_a_subset_with_a_scale(tmp_path: Path) -> None:
    # a mountainous window with nodata-free interior; -s 0.5 doubles the gradients
    subset = tmp_path / "subset.tif"
    gdal("gdal_translate", "-srcwin", "300", "200", "257", "181", DEM, subset)
    stats = compare(subset, tmp_path, z_factor=2.0)
    assert stats["slope"] < 1e-3
    assert stats["aspect"] < 1e-3


def test_analytic_plane() -> None:
    # rises 0.5 m/m to the north-east... i.e. dz/dx = 0.3, dz/dy = 0.4 (north)
    rows, cols, res = 7, 8, 10.0
    y, x = np.mgrid[0:rows, 0:cols].astype(np.float64)
    z = (0.3 * x * res + 0.4 * (rows - 1 - y) * res).astype(np.float32)
    slope, aspect = slope_aspect(z, (res, res))
    inner = (slice(1, -1), slice(1, -1))
    assert np.allclose(slope[inner], math.degrees(math.atan(0.5)), atol=1e-4)
    # downhill is to the south-west: atan2(-0.3, -0.4) -> 216.87 deg
    assert np.allclose(aspect[inner], math.degrees(math.atan2(-0.3, -0.4)) + 360, atol=1e-3)
    assert np.isnan(slope[0]).all() and np.isnan(aspect[:, -1]).all()
    flat_s, flat_a = slope_aspect(np.zeros((4, 4), np.float32), (res, res), flat=-1.0)
    assert (flat_s[1:-1, 1:-1] == 0).all() and (flat_a[1:-1, 1:-1] == -1.0).all()


def test_grid_wrapper_progress_and_cancel() -> None:
    z = np.random.default_rng(0).normal(size=(50, 40)).astype(np.float32)
    grid = RasterGrid(values=z, transform=(5.0, 0, 100.0, 0, -5.0, 900.0), crs="EPSG:32636")
    slope, aspect = grid_slope_aspect(grid)
    assert slope.transform == grid.transform and aspect.crs == grid.crs
    np.testing.assert_array_equal(slope.values, slope_aspect(z, (5.0, 5.0))[0])
    seen: list[float] = []
    slope_aspect(z, (5.0, 5.0), progress=seen.append)
    assert seen[-1] == 1.0 and seen == sorted(seen)
    with pytest.raises(LoadCancelled):
        slope_aspect(z, (5.0, 5.0), cancelled=lambda: True)
    with pytest.raises(ValueError):
        slope_aspect(z[0], (5.0, 5.0))
    with pytest.raises(ValueError):
        slope_aspect(z, (0.0, 5.0))
