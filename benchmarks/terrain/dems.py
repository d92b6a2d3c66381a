"""The DEMs the benchmark renders, made and cached in ``.bench/`` on first use.

- ``demo``: the demo scene's DEM (SRTM, 90 m);
- ``large``: a 4096 x 4096 bilinear resampling of it (smooth: an upsample has no detail);
- ``fbm4096``: 4096 x 4096 cells of 10 m with detail at every scale (:mod:`.fbm`), a tiled
  DEFLATE GeoTIFF without overviews, as a user's DEM often is;
- ``cog16k``: 16384 x 16384 cells of the same terrain (it holds ``fbm4096`` at its centre)
  as a Cloud-Optimized GeoTIFF (DEFLATE, floating-point predictor, internal overviews),
  generated window by window in bounded memory.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from benchmarks.terrain import BENCH_DIR, DEMO_DEM, REPO_ROOT, fbm_files

#: Side of the large square DEM, in pixels.
LARGE_SIDE = 4096
#: Sides of the fBm DEMs.
FBM_SIDE = 4096
COG_SIDE = 16384
#: Every DEM key, in the order they are run.
DEM_KEYS = ("demo", "large", "fbm4096", "cog16k")


@dataclass(frozen=True)
class BenchDem:
    """One DEM to benchmark."""

    key: str
    path: Path
    rows: int
    cols: int

    @property
    def label(self) -> str:
        """Short human label, e.g. ``demo (1085 x 1259)``."""
        return f"{self.key} ({self.cols} x {self.rows})"

    def to_json(self) -> dict[str, object]:
        """Plain-data form for the results file."""
        return {"key": self.key, "path": str(self.path), "cols": self.cols, "rows": self.rows}


def demo_dem() -> BenchDem:
    """The demo scene's DEM, as shipped in assets/."""
    return _describe("demo", DEMO_DEM)


def large_dem(side: int = LARGE_SIDE, cache_dir: Path = BENCH_DIR) -> BenchDem:
    """A ``side`` x ``side`` bilinear resampling of the demo DEM, cached in ``cache_dir``.

    Uses ``gdalwarp -ts side side -r bilinear`` when the GDAL tools are installed,
    rasterio's WarpedVRT otherwise. The file is rebuilt when the demo DEM is newer.
    """
    out = cache_dir / f"deadsea_{side}x{side}.tif"
    if not _is_fresh(out, DEMO_DEM):
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.stem + ".partial.tif")
        tmp.unlink(missing_ok=True)
        if shutil.which("gdalwarp"):
            _warp_with_gdalwarp(DEMO_DEM, tmp, side)
        else:
            _warp_with_rasterio(DEMO_DEM, tmp, side)
        os.replace(tmp, out)
    return _describe("large", out)


def fbm_dem(side: int = FBM_SIDE, cache_dir: Path = BENCH_DIR) -> BenchDem:
    """``side`` x ``side`` cells of :mod:`.fbm` terrain (world centre), tiled DEFLATE GeoTIFF."""
    out = fbm_files.fbm_path(side, cache_dir)
    if not out.exists():
        _make_in_child("gtiff", side, cache_dir)
    return _describe(f"fbm{side}", out)


def cog_dem(side: int = COG_SIDE, cache_dir: Path = BENCH_DIR) -> BenchDem:
    """``side`` x ``side`` cells of :mod:`.fbm` terrain as a Cloud-Optimized GeoTIFF."""
    out = fbm_files.cog_path(side, cache_dir)
    if not out.exists():
        _make_in_child("cog", side, cache_dir)
    return _describe(f"cog{side // 1024}k", out)


def _make_in_child(kind: str, side: int, cache_dir: Path) -> None:
    """Write an fBm DEM in a child process with single-threaded BLAS.

    The matrix products are small: BLAS threads gain nothing on them and, spinning while
    other processes hold the cores, can make generation several times slower.
    """
    threads = {k: "1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    cmd = [sys.executable, "-m", "benchmarks.terrain.fbm_files", kind, str(side), str(cache_dir)]
    subprocess.run(cmd, check=True, cwd=REPO_ROOT, env=os.environ | threads)


def dem_for(key: str) -> BenchDem:
    """The DEM of one key of :data:`DEM_KEYS` (made and cached on first use)."""
    makers = {"demo": demo_dem, "large": large_dem, "fbm4096": fbm_dem, "cog16k": cog_dem}
    if key not in makers:
        raise ValueError(f"unknown DEM {key!r}; choose from {', '.join(DEM_KEYS)}")
    return makers[key]()


def _is_fresh(out: Path, source: Path) -> bool:
    """True when ``out`` exists and is not older than ``source``."""
    return out.exists() and out.stat().st_mtime >= source.stat().st_mtime


def _warp_with_gdalwarp(src: Path, dst: Path, side: int) -> None:
    """Resample with the GDAL command-line tool."""
    cmd = [
        "gdalwarp",
        "-q",
        "-overwrite",
        "-ts",
        str(side),
        str(side),
        "-r",
        "bilinear",
        "-co",
        "TILED=YES",
        str(src),
        str(dst),
    ]
    subprocess.run(cmd, check=True)


def _warp_with_rasterio(src: Path, dst: Path, side: int) -> None:
    """Resample with rasterio (the same bilinear warp, without the GDAL CLI)."""
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.transform import from_bounds
    from rasterio.vrt import WarpedVRT

    with rasterio.open(src) as source:
        transform = from_bounds(*source.bounds, side, side)
        with WarpedVRT(
            source,
            width=side,
            height=side,
            transform=transform,
            resampling=Resampling.bilinear,
        ) as vrt:
            profile = vrt.profile | {"driver": "GTiff", "tiled": True}
            with rasterio.open(dst, "w", **profile) as out:
                out.write(vrt.read())


def _describe(key: str, path: Path) -> BenchDem:
    """Read the size of ``path`` without reading its pixels."""
    import rasterio

    with rasterio.open(path) as src:
        return BenchDem(key=key, path=path, rows=src.height, cols=src.width)
