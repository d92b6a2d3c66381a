"""Shared fixtures for unit tests: real rasters written by GDAL (through rasterio or its tools)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from affine import Affine

REPO = Path(__file__).resolve().parents[2]
#: Demo DEM: SRTM3 around the Dead Sea, EPSG:32636, 1085 x 1259, 90 m, nodata -32767 corners.
DEMO_UTM = REPO / "assets" / "dem" / "deadsea_n31e035_srtm3_utm36n_90m.tif"
#: The same SRTM3 tile as published: EPSG:4326, 1201 x 1201, 3 arc-seconds.
DEMO_WGS84 = REPO / "tests" / "data" / "deadsea_n31e035_srtm3_wgs84.tif"

#: Default georeferencing of test rasters: 30 m cells in UTM 36N near the Dead Sea.
UTM_ORIGIN = Affine(30.0, 0.0, 700_000.0, 0.0, -30.0, 3_500_000.0)

WriteRaster = Callable[..., Path]


@pytest.fixture
def demo_utm() -> Path:
    """Path of the demo DEM in UTM 36N."""
    assert DEMO_UTM.is_file(), f"missing demo DEM {DEMO_UTM}"
    return DEMO_UTM


@pytest.fixture
def demo_wgs84() -> Path:
    """Path of the demo SRTM tile in EPSG:4326."""
    assert DEMO_WGS84.is_file(), f"missing test DEM {DEMO_WGS84}"
    return DEMO_WGS84


@pytest.fixture
def write_geotiff(tmp_path: Path) -> WriteRaster:
    """Factory writing a raster with GDAL through rasterio; returns its path.

    Call as ``write_geotiff(array, name="dem.tif", crs="EPSG:32636",
    transform=UTM_ORIGIN, nodata=None, driver="GTiff", **creation_options)``.
    ``array`` is 2-D (one band) or 3-D (bands, rows, cols); ``crs=None`` writes
    no CRS.
    """

    def write(
        array: np.ndarray,
        *,
        name: str = "dem.tif",
        crs: str | None = "EPSG:32636",
        transform: Affine = UTM_ORIGIN,
        nodata: float | None = None,
        driver: str = "GTiff",
        **options: Any,
    ) -> Path:
        data = np.asarray(array)
        bands = data[np.newaxis] if data.ndim == 2 else data
        path = tmp_path / name
        profile: dict[str, Any] = dict(
            driver=driver,
            width=bands.shape[2],
            height=bands.shape[1],
            count=bands.shape[0],
            dtype=bands.dtype,
            transform=transform,
            nodata=nodata,
            **options,
        )
        if crs is not None:
            profile["crs"] = crs
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(bands)
        return path

    return write


@pytest.fixture
def gdal_tool() -> Callable[..., None]:
    """Run a GDAL command-line tool (``gdal_translate``, ``gdalbuildvrt``...) or skip."""

    def run(tool: str, *args: str | Path) -> None:
        exe = shutil.which(tool)
        if exe is None:
            pytest.skip(f"{tool} is not installed")
        done = subprocess.run(
            [exe, "-q", *map(str, args)], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, f"{tool} failed: {done.stderr}"

    return run
