"""Twinscape's exceptions: one root, mixed with builtins so callers can catch either.

Messages read ``<path>: <problem>; <hint>`` so that one line tells the user
which file, what is wrong and what to do.
"""

from __future__ import annotations

from os import PathLike


class TwinscapeError(Exception):
    """Root of every error Twinscape raises on purpose."""


class ReaderError(TwinscapeError, OSError):
    """A data file could not be read.

    Parameters
    ----------
    path
        The file that failed.
    problem
        What is wrong, in words a user understands.
    hint
        What the user can do about it, if anything.
    reader
        Name of the reader that failed, if one was chosen.
    """

    def __init__(
        self,
        path: str | PathLike[str],
        problem: str,
        *,
        hint: str | None = None,
        reader: str | None = None,
    ) -> None:
        self.path = str(path)
        self.problem = problem
        self.hint = hint
        self.reader = reader
        message = f"{self.path}: {problem}"
        if hint:
            message += f"; {hint}"
        super().__init__(message)

    def __str__(self) -> str:
        return self.args[0]


class NoReaderError(ReaderError):
    """No reader knows this kind of file."""


class CRSError(ReaderError, ValueError):
    """A file has no CRS, or one that cannot be used."""


class MissingCRSError(CRSError):
    """A file states no CRS (a reader may retry with one the user assumes)."""


class ProjectFileError(TwinscapeError, ValueError):
    """A project file is invalid.

    Parameters
    ----------
    path
        The project file.
    key
        Dotted key of the offending entry (``layers[2].style.opacity``), or ``""``.
    problem
        What is wrong with it.
    """

    def __init__(self, path: str | PathLike[str], key: str, problem: str) -> None:
        self.path = str(path)
        self.key = key
        self.problem = problem
        where = f" [{key}]" if key else ""
        super().__init__(f"{self.path}:{where} {problem}")


class LoadCancelled(TwinscapeError):
    """The user cancelled a load; nothing was changed."""
