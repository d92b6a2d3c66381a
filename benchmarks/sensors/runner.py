"""Run the live sensors benchmark: ingest cases against a fresh broker each, then frame cases.

``python -m benchmarks.sensors --help`` lists the options. Every case runs in its own
subprocess (``benchmarks.sensors.ingest`` / ``benchmarks.sensors.frames``); each ingest
case gets its own mosquitto (temp folder, free loopback port), stopped right after it.
Results: tables on stdout, ``.bench/sensors.json``, PNGs in ``.bench/``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.sensors import (
    BENCH_DIR,
    FRAME_CASES,
    INGEST_CASES,
    REPO_ROOT,
    SENSORS,
    WINDOW_SIZE,
    report,
)
from benchmarks.sensors.broker import Broker, mosquitto_version

#: Baselines: a paho client that only counts, per MQTT version, at the highest rate.
BARE_CASES: tuple[tuple[str, int, str], ...] = (
    ("paho_100k_v5", 100_000, "5"),
    ("paho_100k_v311", 100_000, "3.1.1"),
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.sensors",
        description="Live sensors: MQTT ingest through the app's feed, and frame time of "
        "10,000 stations updated live vs static vs a naive rebuild.",
    )
    parser.add_argument("--duration", type=float, default=5.0,
                        help="seconds the publisher publishes per ingest case (default 5)")
    parser.add_argument("--tail", type=float, default=60.0,
                        help="seconds an ingest case waits for the last messages after the "
                        "publishing time (default 60)")
    parser.add_argument("--frames", type=int, default=30, help="timed frames per frame case")
    parser.add_argument("--skip-ingest", action="store_true", help="frame cases only")
    parser.add_argument("--skip-frames", action="store_true", help="ingest cases only")
    parser.add_argument("--skip-baseline", action="store_true",
                        help="skip the paho-only ingest baselines")
    parser.add_argument("--no-record", action="store_true",
                        help="the feed does not record to Parquet (the app always does)")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "sensors.json")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per child")
    return parser.parse_args(argv)


def _child(cmd: list[str], out: Path, timeout: float) -> dict[str, Any]:
    """Run one case's process; its JSON plus wall time and load averages."""
    out.unlink(missing_ok=True)
    env = dict(os.environ)
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        env.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    load_before = os.getloadavg()
    start = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-m", *cmd, "--out", str(out)], cwd=REPO_ROOT,
                              capture_output=True, text=True, timeout=timeout, env=env)
        stderr, code = proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as exc:
        stderr, code = f"timed out after {timeout:.0f} s: {exc}", -1
    wall = time.perf_counter() - start
    result: dict[str, Any] = (json.loads(out.read_text()) if out.exists()
                              else {"ok": False, "error": f"exited {code} without results"})
    if not result.get("ok"):
        result["stderr_tail"] = stderr[-3000:]
    result.update(wall_s=wall, loadavg_before_case=load_before, loadavg_after=os.getloadavg())
    return result


def _report_failure(result: dict[str, Any]) -> None:
    print(" FAILED")
    print(f"    {result.get('error')}", file=sys.stderr)
    print(result.get("traceback") or result.get("stderr_tail"), file=sys.stderr)


def run_ingest(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Every ingest case (then the baselines), each against its own broker."""
    cases = [(name, rate, version, False) for name, rate, version in INGEST_CASES]
    if not args.skip_baseline:
        cases += [(name, rate, version, True) for name, rate, version in BARE_CASES]
    results: dict[str, dict[str, Any]] = {}
    for name, rate, version, bare in cases:
        print(f"  ingest {name} ({rate:,} msg/s target, MQTT {version}"
              f"{', paho only' if bare else ''}) ...", end="", flush=True)
        with tempfile.TemporaryDirectory(prefix="twinscape-bench-mosquitto-") as folder:
            broker = Broker(Path(folder))
            broker.start()
            try:
                cmd = ["benchmarks.sensors.ingest", "--case", name, "--port", str(broker.port),
                       "--rate", str(rate), "--mqtt-version", version,
                       "--duration", str(args.duration), "--tail", str(args.tail),
                       "--sensors", str(SENSORS), "--broker-pid", str(broker.pid)]
                cmd += (["--bare"] if bare else []) + (["--no-record"] if args.no_record else [])
                result = _child(cmd, BENCH_DIR / "tmp" / f"sensors_ingest_{name}.json",
                                args.timeout)
            finally:
                broker.stop()
        if result.get("ok"):
            print(f" {result['wall_s']:.1f} s: {result['ingest_rate']:,.0f} msg/s, "
                  f"lost {result['lost']:,}")
        else:
            _report_failure(result)
        results[name] = result
    return results


def run_frames(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Every frame case in a fresh process; the first (and last) image of each in .bench/."""
    results: dict[str, dict[str, Any]] = {}
    for case in FRAME_CASES:
        print(f"  frames {case} ...", end="", flush=True)
        cmd = ["benchmarks.sensors.frames", case, "--frames", str(args.frames),
               "--png", str(BENCH_DIR / f"sensors_frame_{case}.png")]
        result = _child(cmd, BENCH_DIR / "tmp" / f"sensors_frames_{case}.json", args.timeout)
        if result.get("ok"):
            print(f" {result['wall_s']:.1f} s: {result['frame']['median_s'] * 1000:.0f} ms/frame")
        else:
            _report_failure(result)
        results[case] = result
    return results


def metadata(started: float) -> dict[str, Any]:
    """Machine, versions and load, to read the numbers in context."""

    def version(module: str) -> str | None:
        try:
            return str(__import__(module).__version__)
        except Exception:
            return None

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT,
                            capture_output=True, text=True).stdout.strip()
    import paho.mqtt

    return {
        "date_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "git_commit": commit or None,
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": version("numpy"),
        "pyvista": version("pyvista"),
        "vtk": version("vtk"),
        "paho_mqtt": paho.mqtt.__version__,
        "mosquitto": mosquitto_version(),
        "window_size": list(WINDOW_SIZE),
        "sensors": SENSORS,
        "loadavg_end": os.getloadavg(),
        "total_wall_s": time.perf_counter() - started,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print tables, write JSON; exit 1 if a case failed."""
    args = parse_args(argv)
    started = time.perf_counter()
    if shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").is_file():
        print("mosquitto is missing: the ingest cases are skipped", file=sys.stderr)
        args.skip_ingest = True
    print(f"Live sensors benchmark, {SENSORS:,} stations, load average "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    ingest = {} if args.skip_ingest else run_ingest(args)
    frames = {} if args.skip_frames else run_frames(args)
    doc = {
        "meta": metadata(started),
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "ingest": ingest,
        "frames": frames,
        "ratios": report.ratios(ingest, frames),
        "targets": report.targets(ingest, frames),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2))
    if ingest:
        print()
        print(report.ingest_table(ingest))
    if frames:
        print()
        print(report.frame_table(frames))
    print()
    print(report.ratio_table(doc["ratios"]))
    print()
    print(report.target_table(doc["targets"]))
    meta = doc["meta"]
    print(f"\nload average at end {meta['loadavg_end'][0]:.2f} on {meta['cpus']} CPUs; "
          f"total {meta['total_wall_s']:.0f} s.\nResults: {args.out}  "
          f"(images: {BENCH_DIR}/sensors_frame_*.png)")
    failed = [k for block in (ingest, frames) for k, v in block.items() if not v.get("ok")]
    return 1 if failed else 0
