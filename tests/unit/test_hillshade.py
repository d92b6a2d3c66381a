"""geo/hillshade.py: Horn's method as gdaldem, NaN-aware, pure numpy."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from twinscape.geo.hillshade import hillshade

REPO = Path(__file__).resolve().parents[2]
DEMO_UTM = REPO / "assets" / "dem" / "deadsea_n31e035_srtm3_utm36n_90m.tif"


def plane(dzdx: float, dzdy: float, n: int = 9) -> np.ndarray:
    """A plane rising ``dzdx`` per metre east and ``dzdy`` per metre north (10 m cells)."""
    y, x = np.mgrid[0:n, 0:n].astype(np.float32)
    return (dzdx * x * 10 - dzdy * y * 10).astype(np.float32)  # row 0 is north


def test_flat_ground_is_lit_by_the_sine_of_the_altitude() -> None:
    for alt in (20.0, 45.0, 70.0):
        out = hillshade(np.zeros((5, 6), np.float32), (10.0, 10.0), altitude=alt)
        assert out.dtype == np.float32 and out.shape == (5, 6)
        assert np.allclose(out, np.sin(np.radians(alt)), atol=1e-6)


def test_slopes_facing_the_sun_are_brighter() -> None:
    # sun from the north-west (315): a slope falling to the north-west faces it
    facing = hillshade(plane(0.5, -0.5), (10.0, 10.0))[4, 4]
    away = hillshade(plane(-0.5, 0.5), (10.0, 10.0))[4, 4]
    flat = hillshade(plane(0.0, 0.0), (10.0, 10.0))[4, 4]
    assert facing > flat > away
    # the same slope lit from the south-east flips
    assert hillshade(plane(0.5, -0.5), (10.0, 10.0), azimuth=135)[4, 4] < flat
    # z_factor steepens
    steep = hillshade(plane(-0.2, 0.2), (10.0, 10.0), z_factor=3.0)[4, 4]
    assert steep < hillshade(plane(-0.2, 0.2), (10.0, 10.0))[4, 4]


def test_nodata_stays_nodata_without_dark_or_bright_rims() -> None:
    z = plane(0.1, 0.05, 40)
    z[10:20, 10:20] = np.nan
    out = hillshade(z, (10.0, 10.0))
    assert np.isnan(out[10:20, 10:20]).all()
    assert np.isfinite(out[~np.isnan(z)]).all()
    inner = out[25:35, 25:35].mean()
    rim = np.concatenate([out[9, 9:21], out[20, 9:21], out[9:21, 9], out[9:21, 20]])
    assert np.abs(rim - inner).max() < 0.03
    edges = np.concatenate([out[0], out[-1], out[:, 0], out[:, -1]])
    assert np.abs(edges - inner).max() < 0.03  # grid edges too


def test_bad_input_is_rejected() -> None:
    with pytest.raises(ValueError, match="2-D"):
        hillshade(np.zeros(5, np.float32), (1.0, 1.0))
    with pytest.raises(ValueError, match="positive"):
        hillshade(np.zeros((3, 3), np.float32), (0.0, 1.0))


@pytest.mark.skipif(shutil.which("gdaldem") is None, reason="gdaldem not installed")
def test_matches_gdaldem_on_the_demo_dem(tmp_path: Path) -> None:
    rasterio = pytest.importorskip("rasterio")
    out = tmp_path / "hs.tif"
    subprocess.run(
        ["gdaldem", "hillshade", "-q", "-compute_edges", str(DEMO_UTM), str(out)], check=True
    )
    with rasterio.open(DEMO_UTM) as ds:
        z = ds.read(1).astype(np.float32)
        z[z == ds.nodata] = np.nan
        res = ds.res
    with rasterio.open(out) as ds:
        ref = ds.read(1).astype(np.float32)
    ours = 1 + 254 * hillshade(z, res)
    # away from nodata and the grid edge, where gdaldem and we see the same 3x3 window
    finite = np.pad(np.isfinite(z), 1)
    interior = np.ones(z.shape, bool)
    for dr in (0, 1, 2):
        for dc in (0, 1, 2):
            interior &= finite[dr : dr + z.shape[0], dc : dc + z.shape[1]]
    diff = np.abs(ours[interior] - ref[interior])
    assert np.percentile(diff, 99.9) <= 1.0 and diff.max() <= 3.0
