"""How the ``twinscape`` command line reports: one error line, crash logs, quiet warnings.

Every failure is one line, ``twinscape: error: <problem>`` (:func:`report_error`), with exit
code :data:`EXIT_ERROR`; an unexpected exception also writes its traceback to a log file
(:func:`write_crash_log`). While a headless command runs, :class:`Quiet` holds back Python
warnings and log records, then prints Twinscape's own warnings as ``twinscape: warning:``
lines. No Qt, no VTK.
"""

from __future__ import annotations

import contextlib
import logging
import os
import platform
import sys
import tempfile
import traceback
import warnings
from collections import deque
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path

from twinscape import __version__
from twinscape.model.errors import error_line, one_line

EXIT_ERROR = 2
#: At most this many warnings are printed after a command (the rest are counted).
MAX_WARNINGS = 10
_PACKAGE = Path(__file__).resolve().parent


def describe(err: BaseException) -> str:
    """One line for ``err`` (:func:`~twinscape.model.errors.error_line`), odd names quoted."""
    if isinstance(err, MemoryError):
        return "out of memory; try a smaller --size or fewer, smaller files"
    return error_line(err)


def report_error(message: str) -> int:
    """Print ``twinscape: error: message`` to stderr; returns :data:`EXIT_ERROR`."""
    print(f"twinscape: error: {message}", file=sys.stderr)
    return EXIT_ERROR


def log_folder() -> Path:
    """Where crash logs go: the user log folder (platformdirs), else the temporary folder."""
    try:
        from platformdirs import user_log_dir
    except ImportError:
        return Path(tempfile.gettempdir())
    return Path(user_log_dir("twinscape", appauthor=False))


def write_crash_log(err: BaseException, argv: Sequence[str], notes: Sequence[str]) -> Path | None:
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


class Quiet:
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
