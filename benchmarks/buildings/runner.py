"""Run every case of the buildings benchmark in fresh subprocesses and print the tables.

``python -m benchmarks.buildings --help`` lists the options. Results go to stdout and to
``.bench/buildings.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.buildings import CASES, COUNTS, DEMO_SCENE, NAIVE_BUDGET_S, SEED
from benchmarks.buildings.child import child_main
from benchmarks.buildings.report import _ok, case_table, ratio_table, ratios, target_table, targets
from benchmarks.buildings.town import district_file
from benchmarks.terrain import BENCH_DIR, DEMO_DEM, ORBIT_STEP_DEG, REPO_ROOT, WINDOW_SIZE


def run_child(case: str, out: Path, extra: list[str], timeout: float) -> dict[str, Any]:
    """One case in a fresh interpreter: its JSON plus wall time and load averages."""
    out.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "benchmarks.buildings", "--child", case, "--out", str(out), *extra]
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


def bench_count(count: int, args: argparse.Namespace) -> dict[str, Any]:
    """All cases for one building count."""
    gpkg, generated = district_file(count, args.seed)
    note = f"generated in {generated:.1f} s" if generated is not None else "cached"
    print(f"{count:,} buildings: {gpkg} ({note})")
    results: dict[str, Any] = {"file": str(gpkg), "generate_s": generated}
    views = None
    for case in CASES:
        if case == "naive" and args.skip_naive:
            print("  naive: skipped (--skip-naive)")
            continue
        if case != "twinscape" and views is None:
            print(f"  {case}: skipped (no cameras: the twinscape case failed)")
            continue
        extra = [
            "--dem",
            str(args.dem),
            "--frames",
            str(args.frames),
            "--scene",
            str(args.scene),
            "--png-prefix",
            str(BENCH_DIR / f"buildings_{count}_{case}"),
        ]
        if case != "terrain":
            extra += ["--gpkg", str(gpkg)]
        if views is not None:
            extra += ["--views", json.dumps(views)]
        if case == "naive":
            extra[3] = str(args.naive_frames)
            extra += ["--naive-budget", str(args.naive_budget)]
        print(f"  {case} ...", end="", flush=True)
        result = run_child(
            case, BENCH_DIR / "tmp" / f"buildings_{count}_{case}.json", extra, args.timeout
        )
        print(f" {result['wall_s']:.1f} s" if result.get("ok") else " FAILED")
        if not result.get("ok"):
            print(f"    {result.get('error')}", file=sys.stderr)
            print(result.get("traceback") or result.get("stderr_tail"), file=sys.stderr)
        results[case] = result
        if case == "twinscape" and result.get("ok"):
            views = result["views"]
    return results


def metadata(started: float) -> dict[str, Any]:
    """Date, commit, machine, versions and load of this run (``started``: perf_counter)."""

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


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options (the hidden ones run one case as a child process)."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.buildings",
        description="Buildings on the demo terrain: Twinscape vs one PyVista mesh per building "
        "vs terrain alone.",
    )
    parser.add_argument(
        "--counts",
        default=",".join(str(c) for c in COUNTS),
        help="comma list of building counts (default 10000,100000)",
    )
    parser.add_argument("--frames", type=int, default=24, help="orbit frames per view (default 24)")
    parser.add_argument(
        "--naive-frames",
        type=int,
        default=3,
        help="orbit frames per view for the naive case (default 3)",
    )
    parser.add_argument(
        "--naive-budget",
        type=float,
        default=NAIVE_BUDGET_S,
        help="seconds the naive case may spend adding meshes before it "
        "measures a subset and extrapolates (default 120)",
    )
    parser.add_argument("--skip-naive", action="store_true", help="skip the naive case")
    parser.add_argument("--seed", type=int, default=SEED, help="seed of the generated towns")
    parser.add_argument(
        "--scene",
        type=Path,
        default=DEMO_SCENE,
        help="project file with the terrain (default: the demo scene)",
    )
    parser.add_argument(
        "--dem",
        type=Path,
        default=DEMO_DEM,
        help="the scene's DEM, sampled by the naive case (default: demo DEM)",
    )
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "buildings.json")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per child process")
    # one case in this process (used by the runner)
    parser.add_argument("--child", choices=CASES, help=argparse.SUPPRESS)
    parser.add_argument("--gpkg", help=argparse.SUPPRESS)
    parser.add_argument("--views", help=argparse.SUPPRESS)
    parser.add_argument("--png-prefix", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help="with --child: generate/cache this town")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run every case, print tables, write JSON; exit 1 when a case failed."""
    args = parse_args(argv)
    if args.child:
        if args.gpkg is None and args.count and args.child != "terrain":
            args.gpkg = str(district_file(args.count, args.seed)[0])
        return child_main(args)
    started = time.perf_counter()
    counts = [int(c) for c in args.counts.split(",") if c.strip()]
    print(
        f"Buildings benchmark on {args.scene.name}, {WINDOW_SIZE[0]} x {WINDOW_SIZE[1]} "
        f"offscreen, load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    all_results = {count: bench_count(count, args) for count in counts}
    doc = {
        "meta": metadata(started),
        "results": {str(c): r for c, r in all_results.items()},
        "ratios": {str(c): ratios(r) for c, r in all_results.items()},
        "targets": targets(all_results),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2))
    for count, results in all_results.items():
        print()
        print(case_table(count, results))
        naive = _ok(results, "naive")
        if naive and naive.get("extrapolated"):
            print(
                f"~ naive: extrapolated linearly from the first {naive['measured_buildings']:,} "
                f"of {naive['buildings']:,} buildings ({naive['stop_reason']})"
            )
    print()
    print(ratio_table(all_results))
    print()
    print(target_table(doc["targets"]))
    print(
        "\nnaive draws the buildings alone (no terrain), twinscape draws terrain + buildings;"
        "\nnaive orbit ratios compare with twinscape's interactive orbit."
        f"\nload average at end {doc['meta']['loadavg_end'][0]:.2f} on {doc['meta']['cpus']} "
        f"CPUs; total {doc['meta']['total_wall_s']:.0f} s.\nResults: {args.out}  "
        f"(images: {BENCH_DIR}/buildings_*.png)"
    )
    failed = [
        f"{c}/{k}"
        for c, r in all_results.items()
        for k, v in r.items()
        if isinstance(v, dict) and "ok" in v and not v["ok"]
    ]
    return 1 if failed else 0
