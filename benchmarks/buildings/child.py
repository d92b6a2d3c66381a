"""Run one case of the buildings benchmark in this (fresh) process and write its JSON.

The runner starts ``python -m benchmarks.buildings --child CASE --out FILE ...`` per case
so that peak memory (``ru_maxrss``) belongs to that case alone.
"""

from __future__ import annotations

import argparse
import json
import os
import traceback
from pathlib import Path
from typing import Any

from benchmarks.buildings.naive_case import run_naive
from benchmarks.buildings.twinscape_case import run_twinscape_like


def _prefer_headless_window() -> None:
    """Without a display, ask VTK for EGL instead of failing over from X.

    As :func:`twinscape.render.offscreen_window.prefer_headless_window`.
    """
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")


def child_main(args: argparse.Namespace) -> int:
    """Run one case in this process and write its JSON (errors included)."""
    _prefer_headless_window()
    try:
        import pyvista  # noqa: F401  (imports before any timer)

        views = json.loads(args.views) if args.views else None
        gpkg = Path(args.gpkg) if args.gpkg else None
        png = Path(args.png_prefix) if args.png_prefix else None
        if args.child == "twinscape":
            data = run_twinscape_like(args.scene, gpkg, args.frames, views=views, png_prefix=png)
        elif args.child == "terrain":
            if views is None:
                raise SystemExit("terrain needs --views")
            data = run_twinscape_like(args.scene, None, args.frames, views=views, png_prefix=png)
        else:
            if views is None or gpkg is None:
                raise SystemExit("naive needs --views and --gpkg")
            data = run_naive(
                args.dem, gpkg, args.frames, views=views, png_prefix=png, budget_s=args.naive_budget
            )
        result: dict[str, Any] = {"ok": True, **data}
        code = 0
    except Exception as exc:
        result = {
            "ok": False,
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(),
        }
        code = 1
    result["pid"] = os.getpid()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    return code
