"""``twinscape``: open, render and validate projects from the command line.

Every failure prints one line, ``twinscape: error: <problem>``, and exits with code 2:
a wrong command line (no usage block), a file that cannot be read, an ``--out`` that
cannot be written (checked before anything is loaded) and, as a last resort, any
unexpected exception (its traceback goes to a log file the line names). Messages are
kept to one line of bounded length, with odd file names quoted
(:func:`~twinscape.model.errors.one_line`). Python warnings of libraries, log records
and VTK's output never reach stderr during headless commands; Twinscape's own warnings
print as ``twinscape: warning: ...`` once the command succeeded.
Headless commands (render, validate) never import Qt.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import platform
import secrets
import shutil
import sys
import tempfile
import traceback
import warnings
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import NoReturn

from twinscape import __version__
from twinscape.cli_analyze import add_analyze_parser, run_analyze
from twinscape.model.errors import TwinscapeError, error_line, one_line, quote_path
from twinscape.model.project import Project

EXIT_ERROR = 2
#: At most this many warnings are printed after a command (the rest are counted).
MAX_WARNINGS = 10
_PACKAGE = Path(__file__).resolve().parent


class CliError(TwinscapeError):
    """A problem with the command line itself."""


class UsageError(CliError):
    """The arguments do not parse (argparse's complaint, with a hint where help is)."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, raised instead of printed with usage."""

    def error(self, message: str) -> NoReturn:
        """Raise :class:`UsageError`; :func:`main` prints it as one line and returns 2."""
        raise UsageError(f"{message}; see {self.prog} --help")


def _size(text: str) -> tuple[int, int]:
    """``WIDTHxHEIGHT``; what the graphics driver can draw is checked before rendering."""
    parts = text.strip().lower().split("x")
    digits = [p.strip() for p in parts]
    if len(parts) != 2 or not all(d.isascii() and d.isdigit() and len(d) <= 6 for d in digits):
        raise argparse.ArgumentTypeError(f"size must look like 1920x1080, got {text!r}")
    width, height = (int(d) for d in digits)
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
    parser = _Parser(
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
    add_analyze_parser(commands)
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


def _existing_folder(folder: Path) -> Path:
    """``folder`` or its nearest ancestor that exists (where missing folders would be made)."""
    folder = folder.absolute()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def check_out_path(out: Path, size: tuple[int, int]) -> None:
    """Refuse an ``--out`` that cannot take a ``size`` PNG, before anything is loaded.

    Missing folders are fine (they are made); a folder given as the file, a file that is
    not a regular file, a read-only file or folder and a disk too full for the picture
    are refused with what to do.
    """
    shown = quote_path(out)
    if out.suffix.lower() != ".png":  # say so before minutes of loading, naming the file
        raise CliError(f"{shown}: --out must name a PNG file (.png)")
    if out.is_dir():
        raise CliError(
            f"{shown}: --out is a folder; name a file in it, e.g. {quote_path(out / 'render.png')}"
        )
    if out.exists() and not out.is_file():
        raise CliError(f"{shown}: --out is not a regular file; choose a file name for the PNG")
    folder = _existing_folder(out.parent)
    if not folder.is_dir():
        raise CliError(
            f"{shown}: {quote_path(folder)} is a file, not a folder; choose another --out"
        )
    if out.exists() and not os.access(out, os.W_OK):
        raise CliError(f"{shown}: the file is read-only; make it writable or choose another --out")
    probe = folder / f".twinscape-probe-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        with open(probe, "xb"):
            pass
        probe.unlink()
    except OSError as err:
        reason = (err.strerror or "not writable").lower()
        raise CliError(
            f"{shown}: cannot write into the folder {quote_path(folder)} ({reason}); choose "
            "another --out or change the folder's permissions"
        ) from None
    need = size[0] * size[1] * 3 + 2**20  # an incompressible picture
    free = shutil.disk_usage(folder).free
    if free < need:
        raise CliError(
            f"{shown}: only {free / 1e6:.1f} MB free on the disk of {quote_path(folder)}, a "
            f"{size[0]}x{size[1]} PNG may need {need / 1e6:.0f} MB; free some space or choose "
            "another --out"
        )


def _render(args: argparse.Namespace) -> int:
    check_out_path(args.out, args.size)
    os.environ.setdefault("PYVISTA_OFF_SCREEN", "true")
    from twinscape.render.offscreen import check_render_size, render_to_png, silence_vtk_output

    silence_vtk_output()
    check_render_size(args.size)

    project, notes = load_for_cli(args.paths)
    for note in notes:
        print(f"twinscape: warning: {one_line(note)}", file=sys.stderr)
    if args.camera is not None:
        try:
            project.bookmark(args.camera)
        except KeyError as err:
            where = quote_path(project.path or args.paths[0])
            raise CliError(f"{where}: {err.args[0]}") from None
    if args.time is not None:
        project.show_time(args.time)
    out = render_to_png(project, args.out, size=args.size, camera=args.camera)
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
    for note in notes:
        print(f"twinscape: warning: {one_line(note)}", file=sys.stderr)
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


def describe(err: BaseException) -> str:
    """One line for ``err`` (:func:`~twinscape.model.errors.error_line`), odd names quoted."""
    if isinstance(err, MemoryError):
        return "out of memory; try a smaller --size or fewer, smaller files"
    return error_line(err)


def log_folder() -> Path:
    """Where crash logs go: the user log folder (platformdirs), else the temporary folder."""
    try:
        from platformdirs import user_log_dir
    except ImportError:
        return Path(tempfile.gettempdir())
    return Path(user_log_dir("twinscape", appauthor=False))


def _write_crash_log(err: BaseException, argv: Sequence[str], notes: Sequence[str]) -> Path | None:
    """Write the traceback of ``err`` (and what led to it) to a new log file; its path or None."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    lines = [
        f"twinscape {__version__} on Python {platform.python_version()} ({platform.platform()})",
        f"command: {' '.join(repr(a) for a in argv)}",
        "",
        *traceback.format_exception(err),
    ]
    if notes:
        lines += ["", "warnings and log records before it:", *notes]
    text = "\n".join(line.rstrip("\n") for line in lines) + "\n"
    for folder in (log_folder(), Path(tempfile.gettempdir())):
        path = folder / f"twinscape-crash-{stamp}-{os.getpid()}.log"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", errors="backslashreplace")
        except OSError:
            continue
        return path
    return None


class _Notes(logging.Handler):
    """Keeps the last log records of a headless command (for a crash log), prints none."""

    def __init__(self, notes: deque[str]) -> None:
        super().__init__(logging.DEBUG)
        self.notes = notes

    def emit(self, record: logging.LogRecord) -> None:
        """Keep one line of the record, with its traceback if it has one."""
        try:
            self.notes.append(f"{record.levelname} {record.name}: {self.format(record)}")
        except Exception:  # noqa: BLE001 - a record that cannot be formatted is dropped
            pass


class _Quiet:
    """Holds back Python warnings, log records and VTK output while a command runs."""

    def __init__(self) -> None:
        self.caught: list[warnings.WarningMessage] = []
        self.notes: deque[str] = deque(maxlen=200)

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        """Collect warnings and log records instead of printing them."""
        root = logging.getLogger()
        handler = _Notes(self.notes)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            root.addHandler(handler)
            try:
                yield
            finally:
                root.removeHandler(handler)
                self.caught = list(caught)

    def noted(self) -> list[str]:
        """Every warning and log record, one line each (for a crash log)."""
        shown = [f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})"
                 for w in self.caught]  # fmt: skip
        return [*shown, *self.notes]

    def ours(self) -> list[str]:
        """The distinct warnings Twinscape itself issued, one line each.

        Library warnings (rasterio's NotGeoreferencedWarning, numpy's overflow or
        ComplexWarning) are left out: what they mean is reported by the code that saw them.
        """
        seen: dict[str, None] = {}
        for w in self.caught:
            if not issubclass(w.category, UserWarning):
                continue
            try:
                inside = Path(w.filename).resolve().is_relative_to(_PACKAGE)
            except (OSError, ValueError):
                inside = False
            if inside:
                seen.setdefault(one_line(w.message), None)
        return list(seen)

    def report(self) -> None:
        """Print Twinscape's warnings as ``twinscape: warning:`` lines."""
        lines = self.ours()
        for line in lines[:MAX_WARNINGS]:
            print(f"twinscape: warning: {line}", file=sys.stderr)
        if len(lines) > MAX_WARNINGS:
            print(f"twinscape: warning: and {len(lines) - MAX_WARNINGS} more warning(s)",
                  file=sys.stderr)  # fmt: skip


def _error(message: str) -> int:
    print(f"twinscape: error: {message}", file=sys.stderr)
    return EXIT_ERROR


HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "open": _open,
    "render": _render,
    "validate": _validate,
    "simulate-sensors": _simulate_sensors,
    "analyze": run_analyze,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (2 for every error, one line on stderr)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    quiet = _Quiet()
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
        return _error(describe(err))
    except KeyboardInterrupt:
        print("twinscape: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except Exception as err:  # noqa: BLE001 - the last resort: one line and a log, no traceback
        log = _write_crash_log(err, argv, quiet.noted())
        where = f"; the details are in {quote_path(log)}" if log else ""
        problem = one_line(f"unexpected {type(err).__name__}: {describe(err)}", 300)
        return _error(f"{problem}{where}; please report this")
