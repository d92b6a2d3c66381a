"""The generated town the buildings benchmark loads, cached as a GeoPackage in ``.bench/``."""

from __future__ import annotations

import os
import time
from pathlib import Path

from benchmarks.buildings import SEED
from benchmarks.terrain import BENCH_DIR


def district_file(
    count: int, seed: int = SEED, folder: Path = BENCH_DIR
) -> tuple[Path, float | None]:
    """The cached GeoPackage of a ``count``-building town on the demo DEM.

    Returns the path and the seconds spent generating it (None when cached). The file is
    rebuilt when a module of ``benchmarks/district/`` is newer.
    """
    from benchmarks import district

    out = folder / f"buildings_{count}_seed{seed}.gpkg"
    source = max(p.stat().st_mtime for p in Path(district.__file__).parent.glob("*.py"))
    if out.exists() and out.stat().st_mtime >= source:
        return out, None
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    gdf = district.generate_district(district.DEMO_CENTER, count=count, seed=seed)
    tmp = out.with_name(out.stem + ".partial.gpkg")
    tmp.unlink(missing_ok=True)
    gdf.to_file(tmp, layer="buildings", driver="GPKG", engine="pyogrio")
    os.replace(tmp, out)
    return out, time.perf_counter() - start
