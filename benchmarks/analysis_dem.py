"""The synthetic DEM of the analysis benchmark: 4096 x 4096 cells of 10 m in UTM 36N.

Relief with detail at every scale: fractional Brownian motion by spectral synthesis
(amplitude ~ f**-1.8 from the whole 41 km tile down to one cell) plus ridged noise (sharp
crests from ``(1 - |n|)**2`` of a second fBm field) and a tilt toward a "coast" on the
west, from about 0 to 2,000 m. Written as a float32 tiled, compressed GeoTIFF with nodata
-9999 (none used) and cached in ``.bench/`` by seed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from benchmarks.terrain import BENCH_DIR

#: Cells per side and cell size (m).
SIZE = 4096
CELL = 10.0
#: Upper-left corner (UTM 36N, near the Gulf of Aqaba) and CRS.
ORIGIN = (650_000.0, 3_300_000.0)
CRS = "EPSG:32636"
#: Seed of the default DEM.
SEED = 7


def _fbm(size: int, slope: float, rng: np.random.Generator) -> np.ndarray:
    """Zero-mean unit-std fBm: random phases, amplitude ``f**-slope`` (float32)."""
    fy = np.fft.fftfreq(size)[:, None]
    fx = np.fft.rfftfreq(size)[None, :]
    f = np.hypot(fx, fy)
    f[0, 0] = 1.0
    amp = f**-slope
    amp[0, 0] = 0.0
    phase = rng.uniform(0.0, 2.0 * np.pi, amp.shape)
    field = np.fft.irfft2(amp * np.exp(1j * phase), s=(size, size))
    field -= field.mean()
    field /= field.std()
    return field.astype(np.float32)


def make_dem_values(size: int = SIZE, seed: int = SEED) -> np.ndarray:
    """The elevation array (float32 metres, row 0 north)."""
    rng = np.random.default_rng(seed)
    base = _fbm(size, 1.8, rng)
    ridged = (1.0 - np.minimum(np.abs(_fbm(size, 2.0, rng)), 1.0)) ** 2
    tilt = np.linspace(0.0, 1.0, size, dtype=np.float32)[None, :]
    z = 300.0 * base + 900.0 * ridged * (0.3 + tilt) + 500.0 * tilt
    z -= z.min()
    return z.astype(np.float32)


def dem_file(
    seed: int = SEED, size: int = SIZE, folder: Path = BENCH_DIR
) -> tuple[Path, float | None]:
    """The cached GeoTIFF; returns its path and the seconds spent making it (None if cached).

    Rebuilt when this module is newer than the file.
    """
    import rasterio
    from rasterio.transform import from_origin

    out = folder / f"analysis_dem_{size}_seed{seed}.tif"
    if out.exists() and out.stat().st_mtime >= Path(__file__).stat().st_mtime:
        return out, None
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    values = make_dem_values(size, seed)
    tmp = out.with_name(out.stem + ".partial.tif")
    profile = {
        "driver": "GTiff", "width": size, "height": size, "count": 1, "dtype": "float32",
        "crs": CRS, "transform": from_origin(ORIGIN[0], ORIGIN[1], CELL, CELL),
        "nodata": -9999.0, "tiled": True, "blockxsize": 256, "blockysize": 256,
        "compress": "deflate", "predictor": 3,
    }
    with rasterio.open(tmp, "w", **profile) as ds:
        ds.write(values, 1)
    os.replace(tmp, out)
    return out, time.perf_counter() - start
