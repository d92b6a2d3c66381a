"""``twinscape``: the entry point of the command line, and its open, render, validate
and simulate-sensors commands (analyze, export and video live in cli_analyze.py,
cli_export.py and cli_video.py; their shared parsers and checks in cli_args.py).

Every failure prints one line, ``twinscape: error: <problem>``, and exits with code 2:
a wrong command line (no usage block), a file that cannot be read, an ``--out`` that
cannot be written (checked before anything is loaded) and, as a last resort, any
unexpected exception (its traceback goes to a log file the line names). Messages are
kept to one line of bounded length, with odd file names quoted
(:func:`~twinscape.model.errors.one_line`). Python warnings of libraries, log records
and VTK's output never reach stderr during headless commands; Twinscape's own warnings
print as ``twinscape: warning: ...`` once the command succeeded (cli_errors.py).
Headless commands (all but open) never import Qt.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from twinscape import __version__
from twinscape.cli_analyze import add_analyze_parser, run_analyze
from twinscape.cli_args import (
    CliError,
    add_inputs_and_out,
    check_out,
    instant_arg,
    load_inputs,
    positive_arg,
    print_warnings,
    size_arg,
)
from twinscape.cli_errors import (
    EXIT_ERROR,
    Quiet,
    describe,
    report_error,
    write_crash_log,
)
from twinscape.cli_export import add_export_parser, run_export
from twinscape.cli_render import add_render_options, check_render_options, check_time
from twinscape.cli_video import add_video_parser, run_video
from twinscape.model.errors import TwinscapeError, one_line, quote_path


class UsageError(CliError):
    """The arguments do not parse (argparse's complaint, with a hint where help is)."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, raised instead of printed with usage."""

    def error(self, message: str) -> NoReturn:
        """Raise :class:`UsageError`; :func:`main` prints it as one line and returns 2."""
        raise UsageError(f"{message}; see {self.prog} --help")


def _broker(text: str) -> tuple[str, int]:
    host, sep, port = text.strip().rpartition(":")
    if not sep or "]" in port:  # no port given ("host" or "[::1]")
        host, port = text.strip(), "1883"
    host = host.strip("[]")
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"broker must look like HOST:PORT, got {text!r}")
    return host, int(port)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with its sub-commands."""
    parser = _Parser(
        prog="twinscape",
        description="Twinscape: a 3D digital twin for desert and mountain terrain.",
    )
    parser.add_argument("--version", action="version", version=f"twinscape {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    open_cmd = commands.add_parser("open", help="open the desktop app (demo scene by default)")
    open_cmd.add_argument("paths", nargs="*", type=Path, help="a project file or data files")

    render = commands.add_parser("render", help="render a project or data files to a PNG")
    add_inputs_and_out(render, "PNG file to write")
    render.add_argument("--size", type=size_arg, default=(1920, 1080), help="WIDTHxHEIGHT pixels")
    render.add_argument("--camera", help="name of a camera bookmark in the project")
    render.add_argument(
        "--time", type=instant_arg, help="project clock time to show, e.g. 2025-09-15T12:00Z"
    )
    add_render_options(render)

    validate = commands.add_parser("validate", help="check a project file and its data")
    validate.add_argument("project", type=Path, help="the project file (.toml)")

    simulate = commands.add_parser(
        "simulate-sensors", help="publish simulated sensors of the demo town to an MQTT broker"
    )
    simulate.add_argument("--broker", type=_broker, required=True, help="HOST:PORT of the broker")
    simulate.add_argument("--rate", type=positive_arg, default=1.0,
                          help="messages per second from each station (default 1)")
    simulate.add_argument("--duration", type=positive_arg, default=None,
                          help="seconds to run (default: until Ctrl-C)")
    simulate.add_argument("--stations", type=int, default=12, help="how many stations (default 12)")
    simulate.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    add_analyze_parser(commands)
    add_export_parser(commands)
    add_video_parser(commands)
    return parser


def _render(args: argparse.Namespace) -> int:
    problem = check_render_options(args)
    if problem is not None:
        raise CliError(problem)
    width, height = args.size
    need = width * height * 3 + 2**20  # an incompressible picture
    check_out(args.out, what="PNG", suffixes=(".png",), need_bytes=need, example="render.png")
    os.environ.setdefault("PYVISTA_OFF_SCREEN", "true")
    from twinscape.render.offscreen import render_to_png, view_from_points
    from twinscape.render.offscreen_window import check_render_size, silence_vtk_output
    from twinscape.render.overlays import OverlayOptions

    silence_vtk_output()
    check_render_size(args.size)

    project, notes = load_inputs(args.paths)
    print_warnings(notes)
    where = quote_path(project.path or args.paths[0])
    if args.camera is not None:
        try:
            project.bookmark(args.camera)
        except KeyError as err:
            raise CliError(f"{where}: {err.args[0]}") from None
    if args.time is not None:
        problem = check_time(project, args.time)
        if problem is not None:
            raise CliError(f"{where}: {problem}")
        project.show_time(args.time)
    view = None
    if args.camera_position is not None:
        view = view_from_points(args.camera_position, args.look_at)
    overlays = OverlayOptions(show=args.overlays, title=args.title)
    out = render_to_png(project, args.out, size=args.size, camera=args.camera, view=view,
                        transparent=args.transparent, overlays=overlays)  # fmt: skip
    print(f"wrote {quote_path(out)} ({args.size[0]}x{args.size[1]})")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from twinscape.io.formats import is_project_path
    from twinscape.io.loading import open_project

    if not is_project_path(args.project):
        raise CliError(
            f"{quote_path(args.project)}: not a project file (.toml); validate checks projects"
        )
    project, notes = open_project(args.project)
    print_warnings(notes)
    print(
        f"{quote_path(project.path)}: ok: {len(project.layers)} layer(s), {len(project.bookmarks)} "
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


HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "open": _open,
    "render": _render,
    "validate": _validate,
    "simulate-sensors": _simulate_sensors,
    "analyze": run_analyze,
    "export": run_export,
    "video": run_video,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (2 for every error, one line on stderr)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    quiet = Quiet()
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            args = parser.parse_args(["open"])
        handler = HANDLERS[args.command]
        if args.command == "open":  # the desktop app reports in its own windows
            return handler(args)
        with quiet.active():
            code = handler(args)
        quiet.report()
        return code
    except (TwinscapeError, OSError, ValueError, MemoryError) as err:
        return report_error(describe(err))
    except KeyboardInterrupt:
        print("twinscape: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except Exception as err:  # noqa: BLE001 - the last resort: one line and a log, no traceback
        log = write_crash_log(err, argv, quiet.noted())
        where = f"; the details are in {quote_path(log)}" if log else ""
        problem = one_line(f"unexpected {type(err).__name__}: {describe(err)}", 300)
        return report_error(f"{problem}{where}; please report this")
