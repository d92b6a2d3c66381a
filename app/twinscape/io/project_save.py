"""Atomic saves of a project file: a temporary file, fsync, rename, and a backup.

Temporary files of a save that was killed are removed; nothing is written under any
other name. The TOML document itself is made in io/project_file.py.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
import stat
import time
from collections.abc import Callable
from pathlib import Path

from twinscape.io.file_checks import SYMLINK_LOOP, SYMLINK_LOOP_HINT
from twinscape.model.errors import ProjectFileError, quote_path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

#: Suffix of the backup of the previous project file.
BACKUP_SUFFIX = ".bak"


def write_atomically(target: Path, content: Callable[[], bytes]) -> None:
    """Write ``content()`` to ``target`` atomically; the previous file is kept as ``<file>.bak``.

    The document goes to a temporary file ``.<file>.<random>.tmp`` in the same folder, is
    flushed and fsynced, then renamed over the target, so a crash never leaves half a
    file. The backup is written the same way (a copy in a temporary file, renamed over
    ``<file>.bak``): a full disk leaves the previous backup whole, and a symbolic link
    named ``<file>.bak`` is replaced itself, never the file it points to. Temporary files
    of this project left by a save that was killed are removed. ``content`` is called
    once the target and its backup are checked.

    Raises
    ------
    ProjectFileError
        The target or ``<file>.bak`` is a folder or another non-regular file (the save is
        refused, so that no backup is lost), or the write failed (read-only folder, full
        disk). The project file and its backup are then as they were.
    """
    backup = target.with_name(target.name + BACKUP_SUFFIX)
    existing = _regular_or_missing(target, target, "the project file")
    if existing:
        _regular_or_missing(target, backup, "its backup")
    payload = content()
    try:
        _remove_stale_temps(target)
        with _TempFile(target) as new:
            new.write(payload)
            new.sync()  # a full disk fails here, before the backup is touched
            if existing:
                os.chmod(new.name, stat.S_IMODE(os.stat(target).st_mode))  # shared stays shared
                with _TempFile(target) as copy:
                    copy.copy_from(target)
                    copy.sync()
                    shutil.copystat(target, copy.name)
                    copy.commit(backup)  # replaces a link named .bak, never its target
            new.commit(target)
        _fsync_folder(target.parent)
    except OSError as err:
        raise ProjectFileError(target, "", _save_problem(err, target)) from err


def temp_name_pattern(target: Path) -> re.Pattern[str]:
    """Names of the temporary files a save of ``target`` makes (``.<name>.<8 hex>.tmp``)."""
    return re.compile(rf"\.{re.escape(target.name)}\.[0-9a-f]{{8}}\.tmp")


def save_target(target: Path) -> Path:
    """The absolute file a save writes: symbolic links to the project file followed."""
    target = Path(os.path.abspath(target))
    try:
        return target.resolve()
    except (RuntimeError, OSError):  # a symbolic-link loop
        raise ProjectFileError(
            target, "", f"{SYMLINK_LOOP}, so it cannot be saved; {SYMLINK_LOOP_HINT}, or "
            "use Save As"
        ) from None  # fmt: skip


def _regular_or_missing(target: Path, path: Path, what: str) -> bool:
    """True when ``path`` is a regular file, False when nothing is there; else refuse.

    A symbolic link (at the backup) counts as a file: it is replaced, not followed.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    except OSError as err:
        raise ProjectFileError(target, "", _save_problem(err, target)) from err
    if stat.S_ISREG(info.st_mode) or (stat.S_ISLNK(info.st_mode) and path != target):
        return True
    kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
    raise ProjectFileError(
        target, "", f"was not saved: {what} {quote_path(path)} is {kind}; rename or remove "
        "it, or use Save As"
    )  # fmt: skip


def _save_problem(err: OSError, target: Path) -> str:
    """One line saying why a save failed and what to do; nothing was changed."""
    reason = err.strerror or str(err)
    if err.errno == errno.ENOSPC or err.errno == getattr(errno, "EDQUOT", -1):
        fix = "free some disk space, or use Save As on another disk"
    elif err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        fix = f"the folder {quote_path(target.parent)} is not writable; use Save As"
    else:
        fix = "use Save As to save elsewhere"
    return f"could not be saved ({reason}); nothing on disk was changed; {fix}"


class _TempFile:
    """A new temporary file beside a project file, removed unless committed.

    It is created exclusively (never through an existing file or link), with the
    permissions a plain create gives (unlike :func:`tempfile.mkstemp`, always 0600, the
    user's umask applies), and locked while open so that another save sees it is in use.
    """

    def __init__(self, target: Path) -> None:
        self.fd, self.name = _create_temp(target)
        _lock(self.fd, blocking=False)  # a new file: nobody else can hold it
        self._committed = False

    def __enter__(self) -> _TempFile:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        if not self._committed:
            with contextlib.suppress(OSError):
                os.unlink(self.name)

    def write(self, data: bytes) -> None:
        """Write all of ``data`` (a short write, as on a full disk, raises)."""
        view = memoryview(data)
        while view:
            written = os.write(self.fd, view)
            if written <= 0:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), self.name)
            view = view[written:]

    def copy_from(self, source: Path) -> None:
        """Write the content of the regular file ``source``."""
        fd = os.open(source, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            while chunk := os.read(fd, _COPY_CHUNK):
                self.write(chunk)
        finally:
            os.close(fd)

    def sync(self) -> None:
        """Flush what was written to the disk (where a full disk may yet be reported)."""
        os.fsync(self.fd)

    def commit(self, path: Path) -> None:
        """Rename the synced file to ``path``, replacing a file or a link there.

        On POSIX the file is renamed while still open and locked, so a stale-file sweep
        of another save never takes it for left over; Windows renames only closed files.
        """
        if os.name != "posix":
            os.close(self.fd)
            self.fd = -1
        os.replace(self.name, path)
        self._committed = True


_COPY_CHUNK = 1 << 20


def _create_temp(target: Path) -> tuple[int, str]:
    """A new, empty file ``.<name>.<8 hex>.tmp`` beside ``target``: (descriptor, path)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    flags |= getattr(os, "O_NOFOLLOW", 0)
    for _ in range(100):
        name = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(name, flags, 0o666), str(name)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(target.parent))


#: A temporary file younger than this may belong to a save under way (no locks on Windows).
_STALE_AFTER_S = 2.0 if fcntl is not None else 3600.0


def _remove_stale_temps(target: Path) -> None:
    """Remove temporary files a killed save of ``target`` left: its own name pattern only.

    A file is stale when it is a regular file matching :func:`temp_name_pattern`, is not
    locked by a save under way, and is older than a few seconds; anything else is left.
    """
    pattern = temp_name_pattern(target)
    try:
        names = [name for name in os.listdir(target.parent) if pattern.fullmatch(name)]
    except OSError:
        return
    now = time.time()
    for name in names:
        path = target.parent / name
        with contextlib.suppress(OSError):
            info = os.lstat(path)
            if not stat.S_ISREG(info.st_mode) or now - info.st_mtime < _STALE_AFTER_S:
                continue
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            try:
                if _lock(fd, blocking=False) and os.path.samestat(os.fstat(fd), info):
                    os.unlink(path)
            finally:
                os.close(fd)


def _lock(fd: int, *, blocking: bool) -> bool:
    """Take an exclusive advisory lock on ``fd``; False when another process holds one."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    except OSError:  # a file system without locks: the age alone decides
        return True
    return True


def _fsync_folder(folder: Path) -> None:
    """Flush the folder's entries (the rename) to disk; best effort, the file is saved."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
