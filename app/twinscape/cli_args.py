"""Argument parsers and checks the ``twinscape`` sub-commands share (no Qt, no VTK).

Each parser raises :class:`argparse.ArgumentTypeError` with one line; the checks (the one
``--out`` check, :func:`check_out`, and :func:`load_inputs`) raise :class:`CliError` (a
:class:`~twinscape.model.errors.TwinscapeError`) or a sub-command's subclass of it, which
the command line prints as ``twinscape: error: ...`` and exits with code 2. Nothing here
imports the ``twinscape.cli*`` modules: they import it.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path

from twinscape.model.errors import TwinscapeError, one_line, quote_path
from twinscape.model.project import Project


class CliError(TwinscapeError):
    """A problem with the command line itself."""


def size_arg(text: str) -> tuple[int, int]:
    """``WIDTHxHEIGHT`` in pixels, each side 16..16384 (what is drawable is checked later)."""
    parts = [p.strip() for p in text.strip().lower().split("x")]
    if len(parts) != 2 or not all(p.isascii() and p.isdigit() and len(p) <= 6 for p in parts):
        raise argparse.ArgumentTypeError(f"size must look like 1920x1080, got {text!r}")
    width, height = (int(p) for p in parts)
    if not (16 <= width <= 16384 and 16 <= height <= 16384):
        raise argparse.ArgumentTypeError(f"size {width}x{height} is outside 16..16384 pixels")
    return width, height


def instant_arg(text: str) -> datetime:
    """An ISO 8601 instant with a timezone (``2025-09-15T12:00Z``), as UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"time must look like 2025-09-15T12:00Z, got {text!r}"
        ) from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"time {text!r} has no timezone; add Z or +hh:mm")
    return value.astimezone(timezone.utc)


def positive_arg(text: str) -> float:
    """A finite number above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def names_arg(text: str) -> list[str]:
    """A comma-separated list of names (bookmarks), blanks trimmed, none empty."""
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"expected NAME,NAME,... with no empty name, got {text!r}")
    return names


def add_inputs_and_out(cmd: argparse.ArgumentParser, out_help: str) -> None:
    """The ``paths`` (a project file or data files) and the ``--out`` of a sub-command."""
    cmd.add_argument("paths", nargs="+", type=Path, help="a project file or data files")
    cmd.add_argument("--out", "-o", type=Path, required=True, help=out_help)


def load_inputs(paths: Sequence[Path]) -> tuple[Project, list[str]]:
    """A project from one project file, or a throw-away project from data files."""
    from twinscape.io.formats import classify_path
    from twinscape.io.loading import open_data_files, open_project

    kinds = [classify_path(path) for path in paths]
    if "project" in kinds:
        if len(paths) != 1:
            raise CliError("give either one project file or data files, not both")
        return open_project(paths[0])
    return open_data_files(paths)


def print_warnings(lines: Iterable[str]) -> None:
    """Print each of ``lines`` as one ``twinscape: warning:`` line on stderr."""
    for line in lines:
        print(f"twinscape: warning: {one_line(line)}", file=sys.stderr)


def existing_folder(folder: Path) -> Path:
    """``folder`` or its nearest ancestor that exists (where missing folders would be made)."""
    folder = folder.absolute()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def check_out(
    out: Path,
    *,
    what: str = "file",
    suffixes: Sequence[str] = (),
    need_bytes: int = 0,
    companions: Sequence[Path] = (),
    example: str | None = None,
    make_folders: bool = True,
    error: type[CliError] = CliError,
) -> None:
    """Refuse an ``--out`` that cannot take a ``what`` of about ``need_bytes``, before loading.

    ``suffixes`` are the endings allowed (any when empty), ``companions`` the files written
    beside ``out`` (an OBJ's .mtl), ``example`` a file name suggested when ``out`` is a
    folder. Missing folders are fine when ``make_folders`` (they are made); a folder given
    as the file, a file that is not a regular file, a read-only file or folder and a disk
    too full are refused with what to do, as ``error``.
    """
    shown = quote_path(out)
    if suffixes and out.suffix.lower() not in suffixes:  # say so before minutes of loading
        raise error(f"{shown}: --out must name a {what} file ({', '.join(suffixes)})")
    if out.is_dir():
        hint = f", e.g. {quote_path(out / example)}" if example else ""
        raise error(f"{shown}: --out is a folder; name a file in it{hint}")
    paths = [out, *companions]
    for path in paths:
        if path.exists() and not path.is_file():
            raise error(f"{quote_path(path)}: not a regular file; choose another --out")
    folder = existing_folder(out.parent) if make_folders else out.parent.absolute()
    if not folder.exists():
        raise error(f"{shown}: --out's folder does not exist")
    if not folder.is_dir():
        raise error(f"{shown}: {quote_path(folder)} is a file, not a folder; choose another --out")
    for path in paths:
        if path.exists() and not os.access(path, os.W_OK):
            raise error(f"{quote_path(path)}: the file is read-only; make it writable or choose "
                        "another --out")  # fmt: skip
    probe = folder / f".twinscape-probe-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        with open(probe, "xb"):
            pass
        probe.unlink()
    except OSError as err:
        reason = (err.strerror or "not writable").lower()
        raise error(
            f"{shown}: cannot write into the folder {quote_path(folder)} ({reason}); choose "
            "another --out or change the folder's permissions"
        ) from None
    if need_bytes and (free := shutil.disk_usage(folder).free) < need_bytes:
        raise error(
            f"{shown}: only {free / 1e6:.1f} MB free on the disk of {quote_path(folder)}, the "
            f"{what} may need {need_bytes / 1e6:.0f} MB; free some space or choose another --out"
        )
