"""Analysis benchmark: Twinscape's viewshed and cumulative viewshed vs ``gdal_viewshed``.

``python -m benchmarks.analysis`` makes (or reuses) the 4096 x 4096, 10 m synthetic DEM of
:mod:`benchmarks.analysis_dem` in ``.bench/``, reads it once into a ``RasterGrid`` and, in
the same run:

- **single**: one viewshed of radius 20 km from the DEM's centre (30 m observer, 1.5 m
  target, curvature coefficient ``1 - 0.13``): ``gdal_viewshed`` as a subprocess (its
  process start, read of the radius window and GeoTIFF write included: what a user runs)
  against :func:`twinscape.geo.viewshed.viewshed` on the grid in memory (what the app
  runs), alternated ``--repeat`` times; medians of wall time, and CPU time (GDAL's from
  ``RUSAGE_CHILDREN``). Also ours end to end (read the same window with rasterio, compute,
  write a GeoTIFF), the numba load/compile time of the first call, and the agreement of
  the two rasters over the cells within the radius, for the default and for
  ``adjacent_visible=False`` (what GDAL before 3.10 computes next to the observer).
- **cumulative**: ``--towers`` (50) observers on a jittered grid, heights 20-60 m, same
  radius: one ``cumulative_viewshed`` call (two threads on this machine) against the
  ``gdal_viewshed`` runs one after another, whose outputs are summed to check the counts.

Targets (the brief): single viewshed wall time <= 2x GDAL's; cumulative < 1x the GDAL runs.
Results: tables on stdout and ``.bench/analysis.json``. The machine is shared: the load
average is recorded before and after; compare the CPU-time ratios when it is high.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.analysis_dem import SEED, dem_file
from benchmarks.terrain import BENCH_DIR

#: Observer and target heights (m), radius (m) and refraction of the single viewshed.
OBSERVER_HEIGHT = 30.0
TARGET_HEIGHT = 1.5
RADIUS = 20_000.0
REFRACTION = 0.13
#: Targets of the brief.
TARGET_SINGLE_VS_GDAL = 2.0  # our single viewshed / gdal_viewshed, at most
TARGET_CUMULATIVE_VS_GDAL = 1.0  # our cumulative / the GDAL runs, below


def _read_grid(path: Path) -> Any:
    import rasterio

    from twinscape.model.raster import RasterGrid

    with rasterio.open(path) as ds:
        values = ds.read(1, masked=True).astype(np.float32).filled(np.nan)
        t = ds.transform
        return RasterGrid(values, (t.a, t.b, t.c, t.d, t.e, t.f), ds.crs.to_string())


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_gdal(
    exe: str, dem: Path, xy: tuple[float, float], height: float, out: Path
) -> tuple[float, float]:
    """One ``gdal_viewshed`` run: (wall s, CPU s)."""
    from twinscape.geo.line_of_sight import curvature_coefficient

    cmd = [exe, "-q", "-ox", repr(xy[0]), "-oy", repr(xy[1]), "-oz", repr(height),
           "-tz", repr(TARGET_HEIGHT), "-md", repr(RADIUS),
           "-cc", repr(curvature_coefficient(True, REFRACTION)), str(dem), str(out)]
    cpu = _children_cpu()
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - start, _children_cpu() - cpu


def gdal_on_grid(path: Path, grid: Any) -> np.ndarray:
    """A gdal_viewshed output (the radius window) placed on the whole grid."""
    import rasterio

    with rasterio.open(path) as ds:
        win, t = ds.read(1), ds.transform
    full = np.zeros(grid.shape, np.uint8)
    a, _, c, _, e, f = grid.transform
    c0, r0 = round((t.c - c) / a), round((t.f - f) / e)
    full[r0:r0 + win.shape[0], c0:c0 + win.shape[1]] = win
    return full


def _within(grid: Any, xy: tuple[float, float]) -> np.ndarray:
    """Cells whose centre is within the radius of the observer's cell centre."""
    a, _, c, _, e, f = grid.transform
    col, row = int((xy[0] - c) / a), int((xy[1] - f) / e)
    rr = (np.arange(grid.shape[0]) - row)[:, None] * e
    cc = (np.arange(grid.shape[1]) - col)[None, :] * a
    return rr * rr + cc * cc <= RADIUS * RADIUS


def _viewshed(grid: Any, xy: tuple[float, float], **kw: Any) -> np.ndarray:
    from twinscape.geo.viewshed import viewshed

    return viewshed(grid, xy, observer_height=OBSERVER_HEIGHT, target_height=TARGET_HEIGHT,
                    radius=RADIUS, refraction=REFRACTION, **kw)


def ours_end_to_end(dem: Path, xy: tuple[float, float], out: Path) -> float:
    """Read the radius window with rasterio, compute, write a GeoTIFF: wall seconds."""
    import rasterio
    from rasterio.windows import Window

    from twinscape.model.raster import RasterGrid

    start = time.perf_counter()
    with rasterio.open(dem) as ds:
        t = ds.transform
        col, row = int((xy[0] - t.c) / t.a), int((xy[1] - t.f) / t.e)
        reach = int(RADIUS / t.a)
        c0, r0 = max(col - reach, 0), max(row - reach, 0)
        c1, r1 = min(col + reach + 1, ds.width), min(row + reach + 1, ds.height)
        window = Window(c0, r0, c1 - c0, r1 - r0)
        values = ds.read(1, window=window, out_dtype=np.float32)
        if ds.nodata is not None:
            values[values == np.float32(ds.nodata)] = np.nan
        wt = ds.window_transform(window)
        crs = ds.crs
    grid = RasterGrid(values, (wt.a, wt.b, wt.c, wt.d, wt.e, wt.f), crs.to_string())
    result = _viewshed(grid, xy)
    with rasterio.open(out, "w", driver="GTiff", width=grid.shape[1], height=grid.shape[0],
                       count=1, dtype="uint8", crs=crs, transform=wt) as dst:
        dst.write(result, 1)
    return time.perf_counter() - start


def single(exe: str, dem: Path, grid: Any, repeat: int, tmp: Path) -> dict[str, Any]:
    """The single-viewshed case."""
    xmin, ymin, xmax, ymax = grid.bounds
    xy = ((xmin + xmax) / 2 + 5.0, (ymin + ymax) / 2 - 5.0)
    start = time.perf_counter()
    ours = _viewshed(grid, xy)  # loads (or compiles) the numba kernels
    first_call = time.perf_counter() - start
    gdal_out = tmp / "single_gdal.tif"
    runs: dict[str, list[float]] = {k: [] for k in ("gdal", "gdal_cpu", "ours", "ours_cpu",
                                                      "ours_end_to_end")}
    for _ in range(repeat):
        wall, cpu = run_gdal(exe, dem, xy, OBSERVER_HEIGHT, gdal_out)
        runs["gdal"].append(wall)
        runs["gdal_cpu"].append(cpu)
        cpu0, start = _self_cpu(), time.perf_counter()
        ours = _viewshed(grid, xy)
        runs["ours"].append(time.perf_counter() - start)
        runs["ours_cpu"].append(_self_cpu() - cpu0)
        runs["ours_end_to_end"].append(ours_end_to_end(dem, xy, tmp / "single_ours.tif"))
    ref = gdal_on_grid(gdal_out, grid)
    within = _within(grid, xy) & np.isfinite(grid.values)
    legacy = _viewshed(grid, xy, adjacent_visible=False)
    med = {k: statistics.median(v) for k, v in runs.items()}
    return {
        "observer": list(xy), "cells_within_radius": int(within.sum()),
        "visible_fraction": float(np.mean(ours[within] == 255)),
        "first_call_s": first_call, "runs": runs, "median": med,
        "agreement": float(np.mean(ours[within] == ref[within])),
        "agreement_legacy": float(np.mean(legacy[within] == ref[within])),
        "outside_radius_nonzero": int(np.count_nonzero(ours[~_within(grid, xy)])),
        "ratio_wall": med["ours"] / med["gdal"],
        "ratio_cpu": med["ours_cpu"] / med["gdal_cpu"] if med["gdal_cpu"] else None,
        "ratio_end_to_end": med["ours_end_to_end"] / med["gdal"],
    }


def towers(grid: Any, count: int, seed: int) -> list[tuple[float, float, float]]:
    """``count`` observers on a jittered square grid over the DEM, 20-60 m high."""
    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = grid.bounds
    side = int(np.ceil(np.sqrt(count)))
    out = []
    for i in range(count):
        gx, gy = (i % side + 0.5) / side, (i // side + 0.5) / side
        jx, jy = rng.uniform(-0.3, 0.3, 2) / side
        out.append((float(xmin + (gx + jx) * (xmax - xmin)),
                    float(ymin + (gy + jy) * (ymax - ymin)),
                    float(rng.uniform(20.0, 60.0))))
    return out


def cumulative(exe: str, dem: Path, grid: Any, count: int, seed: int, tmp: Path
               ) -> dict[str, Any]:
    """The cumulative case: one call against ``count`` GDAL runs."""
    from twinscape.geo.viewshed_coverage import cumulative_viewshed

    obs = towers(grid, count, seed)
    summed = np.zeros(grid.shape, np.uint16)
    gdal_wall = gdal_cpu = 0.0
    out = tmp / "tower.tif"
    for x, y, h in obs:
        wall, cpu = run_gdal(exe, dem, (x, y), h, out)
        gdal_wall += wall
        gdal_cpu += cpu
        summed += (gdal_on_grid(out, grid) // 255).astype(np.uint16)
    cpu0, start = _self_cpu(), time.perf_counter()
    counts = cumulative_viewshed(grid, obs, target_height=TARGET_HEIGHT, radius=RADIUS,
                                 refraction=REFRACTION)
    ours_wall, ours_cpu = time.perf_counter() - start, _self_cpu() - cpu0
    legacy = cumulative_viewshed(grid, obs, target_height=TARGET_HEIGHT, radius=RADIUS,
                                 refraction=REFRACTION, adjacent_visible=False)
    valid = np.isfinite(grid.values)
    return {
        "towers": count, "workers": os.cpu_count(), "gdal_s": gdal_wall, "gdal_cpu_s": gdal_cpu,
        "ours_s": ours_wall, "ours_cpu_s": ours_cpu,
        "ratio_wall": ours_wall / gdal_wall, "ratio_cpu": ours_cpu / gdal_cpu,
        "count_agreement": float(np.mean(counts[valid] == summed[valid])),
        "count_agreement_legacy": float(np.mean(legacy[valid] == summed[valid])),
        "max_count": int(counts.max()),
        "covered_fraction": float(np.mean(counts[valid] > 0)),
    }


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in rows)


def report(res: dict[str, Any]) -> str:
    """Tables of one run."""
    s, c = res.get("single"), res.get("cumulative")
    rows = [["case", "twinscape", "gdal_viewshed", "ratio", "target", "verdict"]]
    if s:
        m = s["median"]
        ok = s["ratio_wall"] <= TARGET_SINGLE_VS_GDAL
        rows.append(["viewshed 20 km (wall)", f"{m['ours']:.3f} s", f"{m['gdal']:.3f} s",
                     f"{s['ratio_wall']:.2f}x", f"<= {TARGET_SINGLE_VS_GDAL:g}x",
                     "PASS" if ok else "MISS"])
        if s["ratio_cpu"] is not None:
            rows.append(["viewshed 20 km (CPU)", f"{m['ours_cpu']:.3f} s",
                         f"{m['gdal_cpu']:.3f} s", f"{s['ratio_cpu']:.2f}x", "", ""])
        rows.append(["viewshed read+compute+write", f"{m['ours_end_to_end']:.3f} s",
                     f"{m['gdal']:.3f} s", f"{s['ratio_end_to_end']:.2f}x", "", ""])
    if c:
        ok = c["ratio_wall"] < TARGET_CUMULATIVE_VS_GDAL
        rows.append([f"cumulative {c['towers']} towers (wall)", f"{c['ours_s']:.2f} s",
                     f"{c['gdal_s']:.2f} s", f"{c['ratio_wall']:.2f}x",
                     f"< {TARGET_CUMULATIVE_VS_GDAL:g}x", "PASS" if ok else "MISS"])
        rows.append([f"cumulative {c['towers']} towers (CPU)", f"{c['ours_cpu_s']:.2f} s",
                     f"{c['gdal_cpu_s']:.2f} s", f"{c['ratio_cpu']:.2f}x", "", ""])
    lines = [_table(rows), ""]
    if s:
        lines.append(
            f"single: {s['cells_within_radius']:,} cells within the radius, "
            f"{s['visible_fraction']:.1%} visible; agreement with gdal_viewshed "
            f"{s['agreement']:.4%} (adjacent_visible=False: {s['agreement_legacy']:.4%}); "
            f"first call (numba load/compile) {s['first_call_s']:.2f} s"
        )
    if c:
        lines.append(
            f"cumulative: counts equal to the sum of the GDAL runs on "
            f"{c['count_agreement']:.4%} of cells (adjacent_visible=False: "
            f"{c['count_agreement_legacy']:.4%}); max count {c['max_count']}, "
            f"{c['covered_fraction']:.1%} of cells seen; {c['workers']} CPUs"
        )
    lines.append(f"load average before {res['loadavg_before']}, after {res['loadavg_after']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.analysis", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="single viewshed runs (5)")
    parser.add_argument("--towers", type=int, default=50, help="cumulative observers (50)")
    parser.add_argument("--skip-cumulative", action="store_true")
    parser.add_argument("--seed", type=int, default=SEED, help="DEM and towers seed")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "analysis.json")
    args = parser.parse_args(argv)
    exe = shutil.which("gdal_viewshed")
    if exe is None:
        print("gdal_viewshed not found (Debian's gdal-bin): nothing to compare with",
              file=sys.stderr)
        return 2
    dem, made = dem_file(args.seed)
    if made is not None:
        print(f"made {dem} in {made:.1f} s")
    start = time.perf_counter()
    grid = _read_grid(dem)
    read_s = time.perf_counter() - start
    version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.strip()
    import numba

    res: dict[str, Any] = {
        "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "dem": str(dem), "shape": list(grid.shape), "read_s": read_s,
        "radius_m": RADIUS, "observer_height_m": OBSERVER_HEIGHT,
        "target_height_m": TARGET_HEIGHT, "refraction": REFRACTION,
        "versions": {"python": platform.python_version(), "numpy": np.__version__,
                     "numba": numba.__version__, "gdal_viewshed": version},
        "loadavg_before": [round(v, 2) for v in os.getloadavg()],
    }
    with tempfile.TemporaryDirectory(prefix="twinscape_bench_analysis_") as tmp:
        res["single"] = single(exe, dem, grid, args.repeat, Path(tmp))
        if not args.skip_cumulative:
            res["cumulative"] = cumulative(exe, dem, grid, args.towers, args.seed, Path(tmp))
    res["loadavg_after"] = [round(v, 2) for v in os.getloadavg()]
    s = res["single"]
    res["targets"] = {
        "single_vs_gdal": {"value": s["ratio_wall"], "limit": TARGET_SINGLE_VS_GDAL,
                           "met": s["ratio_wall"] <= TARGET_SINGLE_VS_GDAL},
    }
    if "cumulative" in res:
        c = res["cumulative"]["ratio_wall"]
        res["targets"]["cumulative_vs_gdal"] = {
            "value": c, "limit": TARGET_CUMULATIVE_VS_GDAL, "met": c < TARGET_CUMULATIVE_VS_GDAL
        }
    print(report(res))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
