"""What a reader checks before a library opens a file: a regular file, not empty, not too big.

A FIFO opened for reading blocks until someone writes to it, ``/dev/zero`` never ends and
a folder is not a file, so such paths are refused by their ``stat`` before GDAL, pyogrio,
trimesh or ``json`` sees them, each with a one-line :class:`ReaderError` naming the file.
Sniffers peek at a file's first bytes with :func:`read_head`, which never blocks either.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from twinscape.model.errors import ReaderError

#: The problem said of a path with nothing behind it.
DOES_NOT_EXIST = "file does not exist"

#: The problem said of a symbolic link that points back at itself (directly or in a cycle).
SYMLINK_LOOP = "is a symbolic link that loops (it points back at itself)"
#: What to do about it.
SYMLINK_LOOP_HINT = "point the link at a real file"


def resolve_path(path: str | os.PathLike[str]) -> Path:
    """``path`` made absolute with its symbolic links resolved, never raising.

    :meth:`Path.resolve` raises ``RuntimeError`` (Python < 3.13) or ``OSError`` (ELOOP)
    on a symbolic-link loop; such a path, or one that cannot be resolved for any other
    reason, is made absolute without resolving, so the reader that opens it reports the
    problem as a one-line :class:`ReaderError`.
    """
    try:
        return Path(path).resolve()
    except (RuntimeError, OSError, ValueError):
        return Path(os.path.abspath(path))


def os_problem(err: OSError) -> tuple[str, str | None]:
    """``(problem, hint)`` for an ``OSError`` met opening or ``stat``-ing a file."""
    if err.errno == errno.ELOOP:
        return SYMLINK_LOOP, SYMLINK_LOOP_HINT
    if err.errno in (errno.EACCES, errno.EPERM):
        return "cannot be read: permission denied", "check the file's permissions"
    if err.errno == errno.ENOTDIR:
        return "does not exist (a part of its folder path is a file)", None
    if err.errno == errno.ENAMETOOLONG:
        return "has a name too long for the file system", None
    return f"cannot be read: {err.strerror or err}", None


def format_size(count: int) -> str:
    """Bytes as ``"12.3 MB"``, or ``"2.1 GB"`` from 100 MB up."""
    return f"{count / 1e9:.1f} GB" if count >= 1e8 else f"{count / 1e6:.1f} MB"


def check_regular_file(
    path: Path,
    *,
    hint: str | None = None,
    max_bytes: int | None = None,
    limit_hint: str | None = None,
    folder_suffixes: tuple[str, ...] = (),
    missing: str = DOES_NOT_EXIST,
) -> os.stat_result:
    """The ``stat`` of ``path`` when it is a regular, non-empty file of at most ``max_bytes``.

    Parameters
    ----------
    path
        The file a reader is about to open.
    hint
        What to give instead, said when ``path`` is a folder, pipe, socket or device.
    max_bytes, limit_hint
        Largest size read (None: any) and what to do with a larger file.
    folder_suffixes
        Lower-case suffixes of folders that are datasets (``.gdb``); such a folder passes.
    missing
        The problem said when nothing is at ``path``.

    Raises
    ------
    ReaderError
        One line naming the file and the problem.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ReaderError(path, missing) from None
    except OSError as err:
        problem, fix = os_problem(err)
        raise ReaderError(path, problem, hint=fix) from err
    except ValueError as err:  # a NUL character in the name
        raise ReaderError(path, "is not a valid file name (it holds a NUL character)") from err
    if stat.S_ISDIR(info.st_mode) and path.suffix.lower() in folder_suffixes:
        return info
    check_stat(path, info, hint=hint, max_bytes=max_bytes, limit_hint=limit_hint)
    return info


def check_stat(
    path: Path,
    info: os.stat_result,
    *,
    hint: str | None = None,
    max_bytes: int | None = None,
    limit_hint: str | None = None,
) -> None:
    """Raise :class:`ReaderError` unless ``info`` is of a regular, non-empty, small-enough file.

    The checks of :func:`check_regular_file` once the ``stat`` is known (e.g. an ``fstat``
    of a file just opened); the parameters are the same.
    """
    if stat.S_ISDIR(info.st_mode):
        raise ReaderError(path, "is not a regular file but a folder (directory)", hint=hint)
    if not stat.S_ISREG(info.st_mode):
        raise ReaderError(path, "is not a regular file (a pipe, socket or device)", hint=hint)
    if info.st_size == 0:
        raise ReaderError(path, "is empty (0 bytes)")
    if max_bytes is not None and info.st_size > max_bytes:
        raise ReaderError(
            path,
            f"is {format_size(info.st_size)}, over the {format_size(max_bytes)} limit",
            hint=limit_hint,
        )


def open_regular_file(
    path: Path,
    *,
    hint: str | None = None,
    max_bytes: int | None = None,
    limit_hint: str | None = None,
) -> BinaryIO:
    """Open a file for reading after :func:`check_regular_file`, without ever blocking.

    The file is opened non-blocking and checked again through its descriptor, so a FIFO
    swapped in after the first check is refused too; the parameters are as there.
    """
    check_regular_file(path, hint=hint, max_bytes=max_bytes, limit_hint=limit_hint)
    try:  # O_NONBLOCK: a FIFO swapped in after the stat must not block the open
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as err:
        problem, fix = os_problem(err)
        raise ReaderError(path, problem, hint=fix) from err
    try:
        check_stat(path, os.fstat(fd), hint=hint, max_bytes=max_bytes, limit_hint=limit_hint)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def read_regular_file(
    path: Path, *, max_bytes: int, hint: str | None = None, limit_hint: str | None = None
) -> bytes:
    """The whole content of a regular file of at most ``max_bytes``, read without blocking.

    The file is opened as :func:`open_regular_file` does, and no more than ``max_bytes``
    are read even when it grows while being read; the parameters are as there.
    """
    with open_regular_file(path, hint=hint, max_bytes=max_bytes, limit_hint=limit_hint) as handle:
        try:
            data = handle.read(max_bytes + 1)
        except OSError as err:
            problem, fix = os_problem(err)
            raise ReaderError(path, problem, hint=fix) from err
    if len(data) > max_bytes:
        raise ReaderError(
            path, f"grew past the {format_size(max_bytes)} limit while read", hint=limit_hint
        )
    return data


def read_head(path: str | os.PathLike[str], size: int = 4096) -> bytes | None:
    """The first ``size`` bytes of a regular file; None for anything else or on any error.

    Only regular files are opened (non-blocking), so sniffing a FIFO or a device never hangs.
    """
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
            return handle.read(size)
    except (OSError, ValueError):
        return None
