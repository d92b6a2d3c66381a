"""``twinscape``: open, render and validate projects from the command line.

Errors print one line naming the file and the problem and exit with code 2.
Headless commands (render, validate) never import Qt.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from twinscape import __version__
from twinscape.model.errors import TwinscapeError
from twinscape.model.project import Project

EXIT_ERROR = 2


class CliError(TwinscapeError):
    """A problem with the command line itself."""


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1920x1080, got {text!r}") from None
    if not (16 <= width <= 16384 and 16 <= height <= 16384):
        raise argparse.ArgumentTypeError(f"size {width}x{height} is outside 16..16384 pixels")
    return width, height


def _broker(text: str) -> tuple[str, int]:
    host, sep, port = text.strip().rpartition(":")
    if not sep or "]" in port:  # no port given ("host" or "[::1]")
        host, port = text.strip(), "1883"
    host = host.strip("[]")
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"broker must look like HOST:PORT, got {text!r}")
    return host, int(port)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"time must look like 2025-09-15T12:00Z, got {text!r}"
        ) from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"time {text!r} has no timezone; add Z or +hh:mm")
    return value.astimezone(timezone.utc)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with its sub-commands."""
    parser = argparse.ArgumentParser(
        prog="twinscape",
        description="Twinscape: a 3D digital twin for desert and mountain terrain.",
    )
    parser.add_argument("--version", action="version", version=f"twinscape {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    open_cmd = commands.add_parser("open", help="open the desktop app (demo scene by default)")
    open_cmd.add_argument("paths", nargs="*", type=Path, help="a project file or data files")

    render = commands.add_parser("render", help="render a project or data files to a PNG")
    render.add_argument("paths", nargs="+", type=Path, help="a project file or data files")
    render.add_argument("--out", "-o", type=Path, required=True, help="PNG file to write")
    render.add_argument("--size", type=_size, default=(1920, 1080), help="WIDTHxHEIGHT pixels")
    render.add_argument("--camera", help="name of a camera bookmark in the project")
    render.add_argument(
        "--time", type=_instant, help="project clock time to show, e.g. 2025-09-15T12:00Z"
    )

    validate = commands.add_parser("validate", help="check a project file and its data")
    validate.add_argument("project", type=Path, help="the project file (.toml)")

    simulate = commands.add_parser(
        "simulate-sensors", help="publish simulated sensors of the demo town to an MQTT broker"
    )
    simulate.add_argument("--broker", type=_broker, required=True, help="HOST:PORT of the broker")
    simulate.add_argument("--rate", type=_positive, default=1.0,
                          help="messages per second from each station (default 1)")
    simulate.add_argument("--duration", type=_positive, default=None,
                          help="seconds to run (default: until Ctrl-C)")
    simulate.add_argument("--stations", type=int, default=12, help="how many stations (default 12)")
    simulate.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    return parser


def load_for_cli(paths: Sequence[Path]) -> tuple[Project, list[str]]:
    """A project from one project file, or a throw-away project from data files."""
    from twinscape.io.formats import classify_path
    from twinscape.io.loading import open_data_files, open_project

    kinds = [classify_path(path) for path in paths]
    if "project" in kinds:
        if len(paths) != 1:
            raise CliError("give either one project file or data files, not both")
        return open_project(paths[0])
    return open_data_files(paths)


def _render(args: argparse.Namespace) -> int:
    if args.out.suffix.lower() != ".png":  # say so before minutes of loading, naming the file
        raise CliError(f"{args.out}: --out must name a PNG file (.png)")
    os.environ.setdefault("PYVISTA_OFF_SCREEN", "true")
    from twinscape.render.offscreen import render_to_png

    project, warnings = load_for_cli(args.paths)
    for warning in warnings:
        print(f"twinscape: warning: {warning}", file=sys.stderr)
    if args.camera is not None:
        try:
            project.bookmark(args.camera)
        except KeyError as err:
            raise CliError(f"{project.path or args.paths[0]}: {err.args[0]}") from None
    if args.time is not None:
        project.show_time(args.time)
    out = render_to_png(project, args.out, size=args.size, camera=args.camera)
    print(f"wrote {out} ({args.size[0]}x{args.size[1]})")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from twinscape.io.formats import is_project_path
    from twinscape.io.loading import open_project

    if not is_project_path(args.project):
        raise CliError(f"{args.project}: not a project file (.toml); validate checks projects")
    project, warnings = open_project(args.project)
    for warning in warnings:
        print(f"twinscape: warning: {warning}", file=sys.stderr)
    print(
        f"{project.path}: ok: {len(project.layers)} layer(s), {len(project.bookmarks)} "
        f"bookmark(s), CRS {project.crs}"
    )
    return 0


def _simulate_sensors(args: argparse.Namespace) -> int:
    from twinscape.io.sensor_simulator import simulate

    if not 1 <= args.stations <= 10_000:
        raise CliError(f"--stations {args.stations} is outside 1..10000")
    host, port = args.broker
    until = f"for {args.duration:g} s" if args.duration else "until Ctrl-C"
    print(f"publishing {args.stations} simulated station(s) to {host}:{port} at {args.rate:g} "
          f"message(s)/s each, {until}", flush=True)
    try:
        sent = simulate(host, port, rate_hz=args.rate, stations=args.stations,
                        duration_s=args.duration, seed=args.seed)
    except KeyboardInterrupt:
        print("stopped", flush=True)
        return 0
    print(f"published {sent} message(s)")
    return 0


def _open(args: argparse.Namespace) -> int:
    from twinscape.ui.app import run

    return run(args.paths)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {
        "open": _open,
        "render": _render,
        "validate": _validate,
        "simulate-sensors": _simulate_sensors,
    }
    if args.command is None:
        args = parser.parse_args(["open"])
    try:
        return handlers[args.command](args)
    except (TwinscapeError, OSError, ValueError) as err:
        print(f"twinscape: error: {err}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("twinscape: interrupted", file=sys.stderr)
        return EXIT_ERROR
