"""Writing :mod:`.fbm` terrain to GeoTIFF and COG files window by window, in bounded memory.

``python -m benchmarks.terrain.fbm_files {gtiff,cog} SIDE FOLDER`` writes the centred
``SIDE`` x ``SIDE`` window of the fBm world to FOLDER (``.bench/`` runs this in a child
process, see :func:`benchmarks.terrain.dems.fbm_dem`):

- ``gtiff``: a tiled DEFLATE GeoTIFF (floating-point predictor), no overviews;
- ``cog``: a Cloud-Optimized GeoTIFF: written window by window to an uncompressed tiled
  GeoTIFF, then copied by GDAL's COG driver (DEFLATE, floating-point predictor, 512 px
  tiles, averaged internal overviews); the intermediate file is removed.

Memory stays at a few windows whatever the side.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from benchmarks.terrain import fbm

#: The window (and tile) size the DEMs are generated and written in.
WINDOW = 512
#: Bump when the terrain of :mod:`.fbm` changes: cached files carry it in their names.
FBM_VERSION = 1


def fbm_path(side: int, folder: Path) -> Path:
    """Where the tiled GeoTIFF of ``side`` cells is cached."""
    return folder / f"fbm_{side}_seed{fbm.SEED}_v{FBM_VERSION}.tif"


def cog_path(side: int, folder: Path) -> Path:
    """Where the COG of ``side`` cells is cached."""
    return folder / f"fbm_{side}_seed{fbm.SEED}_v{FBM_VERSION}_cog.tif"


def write_gtiff(side: int, folder: Path) -> Path:
    """Write the tiled DEFLATE GeoTIFF (atomically: a partial file, then a rename)."""
    out = fbm_path(side, folder)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.stem + ".partial.tif")
    try:
        write_windows(tmp, side, {"compress": "deflate", "predictor": 3, "zlevel": 6})
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def write_cog(side: int, folder: Path) -> Path:
    """Write the Cloud-Optimized GeoTIFF through an uncompressed intermediate."""
    from rasterio.shutil import copy as gdal_copy

    out = cog_path(side, folder)
    folder.mkdir(parents=True, exist_ok=True)
    raw = out.with_name(out.stem + ".raw.tif")
    tmp = out.with_name(out.stem + ".partial.tif")
    try:
        write_windows(raw, side, {"compress": "none", "bigtiff": "yes"})
        gdal_copy(
            raw,
            tmp,
            driver="COG",
            compress="DEFLATE",
            predictor="YES",
            level=6,
            blocksize=WINDOW,
            overview_resampling="AVERAGE",
            num_threads="ALL_CPUS",
            bigtiff="IF_SAFER",
        )
        os.replace(tmp, out)
    finally:
        raw.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)
    return out


def write_windows(path: Path, side: int, options: dict[str, object]) -> None:
    """The centred ``side`` x ``side`` window of the fBm world, written window by window."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    offset = (fbm.WORLD_SIDE - side) // 2
    west = fbm.WORLD_ORIGIN[0] + offset * fbm.CELL
    north = fbm.WORLD_ORIGIN[1] - offset * fbm.CELL
    profile = {
        "driver": "GTiff",
        "width": side,
        "height": side,
        "count": 1,
        "dtype": "float32",
        "crs": fbm.CRS,
        "transform": from_origin(west, north, fbm.CELL, fbm.CELL),
        "nodata": fbm.NODATA,
        "tiled": True,
        "blockxsize": WINDOW,
        "blockysize": WINDOW,
        **options,
    }
    with rasterio.open(path, "w", **profile) as ds:
        for row in range(0, side, WINDOW):
            for col in range(0, side, WINDOW):
                rows, cols = min(WINDOW, side - row), min(WINDOW, side - col)
                z = fbm.elevation(offset + row, offset + col, rows, cols)
                z = np.where(np.isnan(z), np.float32(fbm.NODATA), z)
                ds.write(z, 1, window=Window(col, row, cols, rows))


def main(argv: list[str] | None = None) -> int:
    """Write one file; prints where and how long it took."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.terrain.fbm_files")
    parser.add_argument("kind", choices=("gtiff", "cog"))
    parser.add_argument("side", type=int)
    parser.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    write = write_cog if args.kind == "cog" else write_gtiff
    out = write(args.side, args.folder)
    print(f"{out} written in {time.perf_counter() - start:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
