"""Run every case of the terrain benchmark in fresh subprocesses and report ratios.

``python -m benchmarks.terrain --help`` lists the options. Results go to stdout as
tables and to ``.bench/terrain.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.terrain import (
    BENCH_DIR,
    CASES,
    CLOSEUP_CASES,
    ORBIT_STEP_DEG,
    REPO_ROOT,
    WINDOW_SIZE,
    closeup_report,
    closeup_views,
    report,
)
from benchmarks.terrain.dems import DEM_KEYS, BenchDem, dem_for

#: DEMs the naive full-resolution case runs on (a 16384^2 or fBm 4096^2 naive mesh adds
#: nothing but minutes and gigabytes: ``large`` already shows the naive 4096^2 cost).
NAIVE_DEMS = ("demo", "large")

#: Set to 1 to skip the naive case on the 4096 x 4096 DEM (~1-2 min, ~5 GB).
SKIP_NAIVE_LARGE_ENV = "TWINSCAPE_BENCH_SKIP_NAIVE_LARGE"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.terrain",
        description="Terrain rendering: naive full-resolution mesh, near-empty scene, Twinscape.",
    )
    parser.add_argument("--frames", type=int, default=24, help="orbit frames per case (default 24)")
    parser.add_argument(
        "--naive-large-frames",
        type=int,
        default=3,
        help="orbit frames for the naive case on the large DEM (default 3; ~5-15 s each)",
    )
    parser.add_argument(
        "--skip-naive-large",
        action="store_true",
        default=os.environ.get(SKIP_NAIVE_LARGE_ENV, "") not in ("", "0"),
        help=f"skip the naive case on the large DEM (or set {SKIP_NAIVE_LARGE_ENV}=1)",
    )
    parser.add_argument(
        "--dems",
        default=",".join(DEM_KEYS),
        help=f"comma list of: {', '.join(DEM_KEYS)} (default all)",
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--closeup", action="store_true", help="only the close-up cases (and near-empty)"
    )
    which.add_argument(
        "--no-closeup", action="store_true", help="only the overview cases, no close-up ones"
    )
    parser.add_argument(
        "--closeup-frames",
        type=int,
        default=30,
        help="moving frames per close-up case (default 30: 4.5 km of flight, 90 degrees of turn)",
    )
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "terrain.json", help="results JSON")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per child process")
    return parser.parse_args(argv)


def twinscape_available() -> bool:
    """True once the app's scene module exists (it is built alongside this benchmark)."""
    return importlib.util.find_spec("twinscape.render.scene") is not None


def run_child(case: str, out: Path, extra: list[str], timeout: float) -> dict[str, Any]:
    """Run one case in a fresh interpreter; its JSON plus wall time and load averages."""
    out.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "benchmarks.terrain.child", case, "--out", str(out), *extra]
    load_before = os.getloadavg()
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout)
        stderr, returncode = proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as exc:
        stderr, returncode = f"timed out after {timeout:.0f} s: {exc}", -1
    wall = time.perf_counter() - start
    if out.exists():
        result: dict[str, Any] = json.loads(out.read_text())
    else:
        result = {"ok": False, "error": f"child exited {returncode} without results"}
    if not result.get("ok"):
        result["stderr_tail"] = stderr[-3000:]
    result.update(wall_s=wall, loadavg_before=load_before, loadavg_after=os.getloadavg())
    return result


def bench_dem(dem: BenchDem, args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """All cases for one DEM: twinscape first (its default view is reused by naive)."""
    results: dict[str, dict[str, Any]] = {}
    view: dict[str, Any] | None = None
    for case in ("near_empty",) if args.closeup else CASES:
        extra = [
            "--frames",
            str(args.frames),
            "--png",
            str(BENCH_DIR / f"terrain_{dem.key}_{case}.png"),
        ]
        if case == "twinscape":
            if not twinscape_available():
                print("  twinscape: twinscape.render.scene not found, skipped")
                continue
            extra += ["--dem", str(dem.path)] + (["--fidelity"] if dem.key == "demo" else [])
        elif case == "naive":
            if dem.key not in NAIVE_DEMS:
                continue
            if dem.key == "large" and args.skip_naive_large:
                print("  naive: skipped on the large DEM (--skip-naive-large)")
                continue
            frames = args.naive_large_frames if dem.key == "large" else args.frames
            extra[1] = str(frames)
            extra += ["--dem", str(dem.path)]
            if view is not None:
                extra += ["--view", json.dumps(view)]
        results[case] = _run_and_show(case, dem, extra, args.timeout)
        if case == "twinscape" and results[case].get("ok"):
            view = results[case].get("view")
    if not args.no_closeup and twinscape_available():
        results.update(bench_closeup(dem, args))
    return results


def bench_closeup(dem: BenchDem, args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """The close-up cases of one DEM, all from the same start view (chosen here)."""
    view = closeup_views.start_view(dem.path, closeup_views.FLY_STEP_M * args.closeup_frames)
    print(
        f"  close-up start: {view['height_above_median_m']:.0f} m above the median ground "
        f"({view['median_ground_m']:.0f} m), {view['clearance_m']:.0f} m over the corridor's "
        f"highest ground"
    )
    results = {}
    for case in CLOSEUP_CASES:
        extra = [
            "--frames",
            str(args.closeup_frames),
            "--dem",
            str(dem.path),
            "--view",
            json.dumps(view),
            "--png",
            str(BENCH_DIR / f"terrain_{dem.key}_{case}.png"),
        ] + (["--fidelity"] if case == "closeup_settled" else [])
        results[case] = _run_and_show(case, dem, extra, args.timeout)
    return results


def _run_and_show(case: str, dem: BenchDem, extra: list[str], timeout: float) -> dict[str, Any]:
    """Run one case in its child process, printing its wall time or its error."""
    print(f"  {case} ...", end="", flush=True)
    result = run_child(case, BENCH_DIR / "tmp" / f"{dem.key}_{case}.json", extra, timeout)
    print(f" {result['wall_s']:.1f} s" if result.get("ok") else " FAILED")
    if not result.get("ok"):
        print(f"    {result.get('error')}", file=sys.stderr)
        print(result.get("traceback") or result["stderr_tail"], file=sys.stderr)
    return result


def metadata(started: float) -> dict[str, Any]:
    """Machine, versions and load, to read the numbers in context."""

    def version(module: str) -> str | None:
        try:
            return __import__(module).__version__
        except Exception:
            return None

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "date_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "git_commit": commit or None,
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "pyvista": version("pyvista"),
        "vtk": version("vtk"),
        "window_size": list(WINDOW_SIZE),
        "orbit_step_deg": ORBIT_STEP_DEG,
        "loadavg_end": os.getloadavg(),
        "total_wall_s": time.perf_counter() - started,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print tables, write JSON; exit 1 if a case failed."""
    args = parse_args(argv)
    started = time.perf_counter()
    wanted = [k.strip() for k in args.dems.split(",") if k.strip()]
    unknown = [k for k in wanted if k not in DEM_KEYS]
    if unknown:
        raise SystemExit(f"--dems: unknown {', '.join(unknown)}; choose from {', '.join(DEM_KEYS)}")
    print(
        f"Terrain benchmark, {WINDOW_SIZE[0]} x {WINDOW_SIZE[1]} offscreen, load average "
        f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    dems: list[BenchDem] = []
    for key in wanted:
        t = time.perf_counter()
        dems.append(dem_for(key))
        if time.perf_counter() - t > 1.0:
            print(f"{key} DEM made in {time.perf_counter() - t:.1f} s: {dems[-1].path}")
    all_results: dict[str, dict[str, dict[str, Any]]] = {}
    for dem in dems:
        print(f"{dem.label}: {dem.path}")
        all_results[dem.key] = bench_dem(dem, args)
    doc = {
        "meta": metadata(started),
        "dems": {d.key: d.to_json() for d in dems},
        "results": all_results,
        "ratios": {
            k: report.ratios(r, k) | closeup_report.closeup_ratios(r)
            for k, r in all_results.items()
        },
        "targets": report.targets(all_results) | closeup_report.closeup_targets(all_results),
        "twinscape_orbit_metric": {
            k: ".".join(report.orbit_key(r)) for k, r in all_results.items()
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2))
    print_report(dems, all_results, doc)
    print(f"\nResults: {args.out}  (images: {BENCH_DIR}/terrain_*.png)")
    failed = [f"{k}/{c}" for k, r in all_results.items() for c, v in r.items() if not v.get("ok")]
    return 1 if failed else 0


def print_report(dems: list[BenchDem], all_results: dict[str, Any], doc: dict[str, Any]) -> None:
    """The human-readable part: one table per DEM, then ratios and targets."""
    for dem in dems:
        results = all_results[dem.key]
        tables = [
            report.case_table(dem.label, results, CASES),
            report.fidelity_table(results),
            closeup_report.closeup_table(dem.label, results),
            closeup_report.settled_details(results),
        ]
        for table in tables:
            if table:
                print()
                print(table)
    if any("twinscape" in r for r in all_results.values()):
        print()
        print(report.ratio_table(all_results))
    print()
    print(report.target_table(doc["targets"]))
    meta = doc["meta"]
    print(
        f"\nload average at end {meta['loadavg_end'][0]:.2f} on {meta['cpus']} CPUs; "
        f"total {meta['total_wall_s']:.0f} s. Other processes on this machine add noise."
    )
