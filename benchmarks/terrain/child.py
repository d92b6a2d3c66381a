"""Run one benchmark case in this (fresh) process and write its numbers as JSON.

``python -m benchmarks.terrain.child CASE --out result.json [--dem PATH] [--frames N]
[--view JSON] [--png PATH] [--fidelity]``. CASE is ``naive``, ``near_empty``,
``twinscape`` or a close-up case (``closeup_fly``, ``closeup_turn``, ``closeup_settled``,
which need ``--dem`` and ``--view``). The runner starts one of these per case so
that peak memory (``ru_maxrss``) belongs to that case alone.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

from benchmarks.terrain import CLOSEUP_CASES


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line arguments of one child run."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.terrain.child")
    parser.add_argument("case", choices=("naive", "near_empty", "twinscape", *CLOSEUP_CASES))
    parser.add_argument("--out", type=Path, required=True, help="JSON file to write")
    parser.add_argument("--dem", type=Path, help="DEM to render (naive, twinscape)")
    parser.add_argument("--frames", type=int, default=24, help="orbit frames")
    parser.add_argument("--view", help="camera as JSON (world coordinates)")
    parser.add_argument("--png", type=Path, help="save the first frame here")
    parser.add_argument("--fidelity", action="store_true", help="compare against full detail")
    return parser.parse_args(argv)


def run_case(args: argparse.Namespace) -> dict[str, Any]:
    """Dispatch to the case function; imports happen here, before any timer starts."""
    from benchmarks.terrain import cases

    if args.case == "near_empty":
        return cases.run_near_empty(args.frames, png=args.png)
    if args.dem is None:
        raise SystemExit(f"{args.case} needs --dem")
    view = json.loads(args.view) if args.view else None
    if args.case == "naive":
        return cases.run_naive(args.dem, args.frames, view=view, png=args.png)
    if args.case in CLOSEUP_CASES:
        from benchmarks.terrain import closeup_case

        if view is None:
            raise SystemExit(f"{args.case} needs --view")
        return closeup_case.run_closeup(
            args.case, args.dem, view, args.frames, png=args.png, fidelity=args.fidelity
        )
    from benchmarks.terrain import twinscape_case

    return twinscape_case.run_twinscape(args.dem, args.frames, png=args.png, fidelity=args.fidelity)


def main(argv: list[str] | None = None) -> int:
    """Run the case; on failure write the error into the JSON and exit 1."""
    args = parse_args(argv)
    try:
        result: dict[str, Any] = {"ok": True, **run_case(args)}
        code = 0
    except Exception as exc:  # reported to the runner, which prints it
        result = {
            "ok": False,
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(),
        }
        code = 1
    result["pid"] = os.getpid()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    sys.stdout.flush()
    return code


if __name__ == "__main__":
    raise SystemExit(main())
