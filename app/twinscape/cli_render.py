"""The screenshot options of ``twinscape render``: camera from points, overlays, transparency.

Kept apart from cli.py so that the render command's parser and checks stay in one place;
nothing here imports VTK or Qt (render/ is imported only when the picture is made).
"""

from __future__ import annotations

import argparse
import math
from datetime import datetime

from twinscape.model.layers import time_extent_of
from twinscape.model.project import Project

#: The names ``--overlays`` accepts besides ``all`` and ``none`` (render/overlays.py).
OVERLAYS = ("scale", "north", "legend", "attribution", "title", "time")


def point(text: str) -> tuple[float, float, float]:
    """``X,Y,Z`` in metres (project CRS): three finite numbers."""
    parts = [p.strip() for p in text.split(",")]
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != 3 or not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(
            f"a point must look like 747250,3527500,400 (X,Y,Z in metres), got {text!r}"
        )
    return values  # type: ignore[return-value]


def overlay_names(text: str) -> frozenset[str]:
    """``all``, ``none`` or a comma list of :data:`OVERLAYS`."""
    words = {w.strip().lower() for w in text.split(",") if w.strip()}
    if words == {"all"}:
        return frozenset(OVERLAYS)
    if words == {"none"}:
        return frozenset()
    unknown = sorted(words - set(OVERLAYS))
    if unknown or not words:
        raise argparse.ArgumentTypeError(
            f"unknown overlay {','.join(unknown) or repr(text)}; use all, none or a comma list "
            f"of {','.join(OVERLAYS)}"
        )
    return frozenset(words)


def add_render_options(render: argparse.ArgumentParser) -> None:
    """The screenshot options of the render sub-command."""
    render.add_argument(
        "--transparent", action="store_true", help="transparent background (PNG alpha)"
    )
    render.add_argument(
        "--overlays", type=overlay_names, default=frozenset(), metavar="LIST",
        help=f"all, or a comma list of {','.join(OVERLAYS)}",
    )  # fmt: skip
    render.add_argument("--title", help="title overlay text (default: the project's name)")
    render.add_argument(
        "--camera-position", type=point, metavar="X,Y,Z",
        help="camera position in world coordinates (project CRS, metres; Z is the real "
        "height, not exaggerated: the picture shows the same place at any vertical "
        "exaggeration); needs --look-at",
    )  # fmt: skip
    render.add_argument(
        "--look-at", type=point, metavar="X,Y,Z",
        help="point the camera looks at (project CRS, metres, real height; e.g. a point on "
        "the ground); needs --camera-position",
    )  # fmt: skip


def check_render_options(args: argparse.Namespace) -> str | None:
    """A problem of the options taken together (one line), or None."""
    if (args.camera_position is None) != (args.look_at is None):
        return "--camera-position and --look-at go together; give both or neither"
    if args.camera_position is not None and args.camera is not None:
        return "give either --camera or --camera-position with --look-at, not both"
    if args.camera_position is not None and args.camera_position == args.look_at:
        return "--camera-position and --look-at are the same point"
    if args.title is not None and "title" not in args.overlays:
        args.overlays = args.overlays | {"title"}  # a title asked for is shown
    return None


def check_time(project: Project, when: datetime) -> str | None:
    """Why ``when`` cannot be shown (outside the time range of the data), or None."""
    extent = time_extent_of(project.layers)
    if extent is None or extent[0] <= when <= extent[1]:
        return None

    def stamp(t: datetime) -> str:
        return t.strftime("%Y-%m-%dT%H:%MZ")

    return (
        f"--time {stamp(when)} is outside the data, which spans {stamp(extent[0])} to "
        f"{stamp(extent[1])}; choose a time within it"
    )
