"""The DEMs the benchmark renders: the demo DEM and a large one resampled from it."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from benchmarks.terrain import BENCH_DIR, DEMO_DEM

#: Side of the large square DEM, in pixels.
LARGE_SIDE = 4096


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
