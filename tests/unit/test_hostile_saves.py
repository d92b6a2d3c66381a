"""Hostile saves: full disks, links and folders named like the backup, killed saves (issue 10).

Whatever fails, the project file and its previous backup stay as they were, the error is
one line, and nothing is written outside the project's own names (``<name>``,
``<name>.bak``, ``.<name>.<8 hex>.tmp`` while saving).
"""

from __future__ import annotations

import errno
import fcntl
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomli_w

from twinscape.io.project_file import (
    MAX_BOOKMARKS,
    MAX_LAYERS,
    load_project,
    project_to_toml,
    save_project,
    temp_name_pattern,
)
from twinscape.model import Bookmark, CameraView, Project, ProjectFileError, TerrainLayer

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX links, FIFOs and mounts")

REPO = Path(__file__).resolve().parents[2]
VIEW = CameraView(position=(700000.0, 3090000.0, 5000.0), focal_point=(700000.0, 3100000.0, 0.0))


def sample(tmp_path: Path, bookmarks: int = 3) -> Project:
    project = Project(name="Plan", crs="EPSG:32636", origin=(700000.0, 3100000.0, 0.0))
    project.layers.append(TerrainLayer(name="dem", source=tmp_path / "dem.tif"))
    for i in range(bookmarks):
        project.bookmarks.append(Bookmark(name=f"view {i}", view=VIEW))
    return project


def saved_twice(folder: Path, bookmarks: int = 3) -> tuple[Project, Path, bytes, bytes]:
    """A project saved twice: (project, path, file bytes, backup bytes)."""
    project = sample(folder, bookmarks)
    path = save_project(project, folder / "plan.toml")
    project.name = "Plan v2"
    save_project(project)
    project.name = "Plan v3 (unsaved)"
    return project, path, path.read_bytes(), (folder / "plan.toml.bak").read_bytes()


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def assert_one_line(err: ProjectFileError, path: Path) -> None:
    message = str(err)
    assert message.startswith(f"{path}:") and "\n" not in message and len(message) < 400


def failed_in(err: BaseException) -> list[str]:
    """Names of the functions the OSError behind ``err`` went through."""
    cause = err.__cause__
    assert cause is not None
    return [frame.name for frame in traceback.extract_tb(cause.__traceback__)]


# -- full disks ----------------------------------------------------------------------------
def _enospc_on(fd_number: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """``os.write`` to the ``fd_number``-th file written (1-based) fills the disk halfway."""
    real_write = os.write
    seen: list[int] = []

    def write(fd: int, data: bytes | memoryview) -> int:
        if fd not in seen:
            seen.append(fd)
        if seen.index(fd) + 1 != fd_number:
            return real_write(fd, data)
        if len(data) > 1 and not getattr(write, "half", False):
            write.half = True  # type: ignore[attr-defined]
            return real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", write)


@pytest.mark.parametrize("stage", [1, 2], ids=["writing-the-file", "copying-the-backup"])
def test_a_full_disk_leaves_file_and_backup_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage: int
) -> None:
    project, path, before, backup = saved_twice(tmp_path)
    _enospc_on(stage, monkeypatch)
    with pytest.raises(ProjectFileError, match="No space left on device") as info:
        save_project(project)
    assert_one_line(info.value, path)
    assert ("copy_from" in failed_in(info.value)) == (stage == 2)
    assert "nothing on disk was changed; free some disk space" in str(info.value)
    assert path.read_bytes() == before
    assert (tmp_path / "plan.toml.bak").read_bytes() == backup
    assert names(tmp_path) == ["plan.toml", "plan.toml.bak"]
    monkeypatch.undo()
    save_project(project)
    assert load_project(path)[0].name == "Plan v3 (unsaved)"
    assert (tmp_path / "plan.toml.bak").read_bytes() == before


def test_a_disk_full_at_fsync_leaves_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, path, before, backup = saved_twice(tmp_path)

    def fsync(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(ProjectFileError, match="No space left"):
        save_project(project)
    assert path.read_bytes() == before
    assert (tmp_path / "plan.toml.bak").read_bytes() == backup
    assert names(tmp_path) == ["plan.toml", "plan.toml.bak"]


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs mounted for the test (root only; skipped elsewhere)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True, check=False)


def _fill(disk: Path, leave: int) -> Path:
    """A file filling ``disk`` up to ``leave`` free bytes."""
    info = os.statvfs(disk)
    filler = disk / "filler"
    filler.write_bytes(b"\0" * max(info.f_bavail * info.f_frsize - leave, 0))
    return filler


@pytest.mark.parametrize("stage", ["writing-the-file", "copying-the-backup"])
def test_a_real_full_disk_leaves_file_and_backup_intact(tiny_disk: Path, stage: str) -> None:
    project, path, before, backup = saved_twice(tiny_disk, bookmarks=120)
    size = len(tomli_w.dumps(project_to_toml(project, tiny_disk)).encode())
    page = os.statvfs(tiny_disk).f_frsize
    pages = -(-size // page)
    filler = _fill(tiny_disk, page if stage == "writing-the-file" else (pages + 1) * page)
    with pytest.raises(ProjectFileError, match="No space left on device") as info:
        save_project(project)
    assert_one_line(info.value, path)
    assert ("copy_from" in failed_in(info.value)) == (stage == "copying-the-backup")
    assert path.read_bytes() == before
    assert (tiny_disk / "plan.toml.bak").read_bytes() == backup
    assert names(tiny_disk) == ["filler", "plan.toml", "plan.toml.bak"]
    filler.unlink()
    save_project(project)
    assert (tiny_disk / "plan.toml.bak").read_bytes() == before


def test_a_read_only_place_leaves_everything(tiny_disk: Path) -> None:
    project, path, before, backup = saved_twice(tiny_disk)
    remount = ["mount", "-o", "remount,ro", str(tiny_disk)]
    if subprocess.run(remount, capture_output=True, check=False).returncode != 0:
        pytest.skip("cannot remount read-only")
    with pytest.raises(ProjectFileError, match="Read-only file system") as info:
        save_project(project)
    assert_one_line(info.value, path)
    assert "not writable; use Save As" in str(info.value)
    assert path.read_bytes() == before
    assert (tiny_disk / "plan.toml.bak").read_bytes() == backup


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_leaves_everything(tmp_path: Path) -> None:
    project, path, before, backup = saved_twice(tmp_path)
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(ProjectFileError, match="not writable") as info:
            save_project(project)
    finally:
        tmp_path.chmod(0o755)
    assert_one_line(info.value, path)
    assert path.read_bytes() == before
    assert (tmp_path / "plan.toml.bak").read_bytes() == backup


# -- things named like the backup ----------------------------------------------------------
def test_a_link_named_like_the_backup_is_replaced_not_followed(tmp_path: Path) -> None:
    project, path, before, _backup = saved_twice(tmp_path)
    outside = tmp_path.parent / f"{tmp_path.name}-precious.txt"
    outside.write_text("the user's own file\n", encoding="utf-8")
    bak = tmp_path / "plan.toml.bak"
    bak.unlink()
    bak.symlink_to(outside)
    try:
        save_project(project)
        assert outside.read_text(encoding="utf-8") == "the user's own file\n"
        assert not bak.is_symlink() and bak.read_bytes() == before
        dangling = tmp_path / "nowhere.txt"
        bak.unlink()
        bak.symlink_to(dangling)
        save_project(project)
        assert not dangling.exists() and not bak.is_symlink()
    finally:
        outside.unlink()


@pytest.mark.parametrize("thing", ["folder", "fifo"])
def test_a_folder_or_pipe_named_like_the_backup_refuses_the_save(
    tmp_path: Path, thing: str
) -> None:
    project, path, before, _backup = saved_twice(tmp_path)
    bak = tmp_path / "plan.toml.bak"
    bak.unlink()
    if thing == "folder":
        bak.mkdir()
        (bak / "notes.txt").write_text("kept", encoding="utf-8")
    else:
        os.mkfifo(bak)
    with pytest.raises(ProjectFileError, match="rename or remove it, or use Save As") as info:
        save_project(project)
    assert_one_line(info.value, path)
    assert str(bak) in str(info.value)
    assert path.read_bytes() == before
    if thing == "folder":
        assert names(bak) == ["notes.txt"]
    assert names(tmp_path) == ["plan.toml", "plan.toml.bak"]


def test_a_save_target_that_is_not_a_file_is_refused(tmp_path: Path) -> None:
    project = sample(tmp_path)
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    with pytest.raises(ProjectFileError, match="is a folder"):
        save_project(project, folder)
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    with pytest.raises(ProjectFileError, match="not a regular file"):
        save_project(project, fifo)
    loop = tmp_path / "loop.toml"
    loop.symlink_to(loop)
    with pytest.raises(ProjectFileError, match="loops"):
        save_project(project, loop)
    assert loop.is_symlink() and names(tmp_path) == ["folder.toml", "loop.toml", "pipe.toml"]


def test_a_linked_project_file_is_saved_where_it_lives(tmp_path: Path) -> None:
    real = tmp_path / "shared"
    real.mkdir()
    project = sample(tmp_path)
    target = save_project(project, real / "plan.toml")
    link = tmp_path / "plan.toml"
    link.symlink_to(target)
    save_project(project, link)
    assert link.is_symlink() and names(real) == ["plan.toml", "plan.toml.bak"]


def test_too_many_layers_or_bookmarks_are_not_saved(tmp_path: Path) -> None:
    project, path, before, _backup = saved_twice(tmp_path)
    project.bookmarks.extend(Bookmark(name=f"extra {i}", view=VIEW) for i in range(MAX_BOOKMARKS))
    with pytest.raises(ProjectFileError, match=r"\[bookmarks\]"):
        save_project(project)
    del project.bookmarks[:]
    for i in range(MAX_LAYERS + 1 - len(project.layers)):
        project.layers.append(TerrainLayer(name=f"dem {i}", source=tmp_path / "dem.tif"))
    with pytest.raises(ProjectFileError, match=r"\[layers\]"):
        save_project(project)
    assert path.read_bytes() == before


# -- temporary files -----------------------------------------------------------------------
def _age(path: Path, seconds: float = 600.0) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past), follow_symlinks=False)


def test_stale_temporary_files_of_the_project_are_removed(tmp_path: Path) -> None:
    project, path, _before, _backup = saved_twice(tmp_path)
    stale = [tmp_path / ".plan.toml.deadbeef.tmp", tmp_path / ".plan.toml.0123abcd.tmp"]
    for item in stale:
        item.write_text("half a proj", encoding="utf-8")
        _age(item)
    outside = tmp_path.parent / f"{tmp_path.name}-target.txt"
    outside.write_text("keep", encoding="utf-8")
    kept = {
        ".plan.toml.tmp": "file",  # not the pattern
        ".plan.toml.DEADBEEF.tmp": "file",  # upper case: not ours
        ".plan.toml.deadbee.tmp": "file",  # 7 hex digits
        ".plan.toml.bak.deadbeef.tmp": "file",  # another name's pattern
        ".other.toml.deadbeef.tmp": "file",  # another project
        "plan.toml.deadbeef.tmp": "file",  # no leading dot
        ".plan.toml.cafef00d.tmp": "young",  # may be a save under way
        ".plan.toml.feedface.tmp": "locked",  # a save under way in another process
        ".plan.toml.abcdef01.tmp": "folder",
        ".plan.toml.abcdef02.tmp": "link",
    }
    lock_fd = -1
    for name, what in kept.items():
        item = tmp_path / name
        if what == "folder":
            item.mkdir()
        elif what == "link":
            item.symlink_to(outside)
        else:
            item.write_text("x", encoding="utf-8")
        if what == "locked":
            lock_fd = os.open(item, os.O_RDONLY)
            fcntl.flock(lock_fd, fcntl.LOCK_EX)
        if what != "young":
            _age(item)
    try:
        save_project(project)
    finally:
        os.close(lock_fd)
        outside_text = outside.read_text(encoding="utf-8")
        outside.unlink()
    assert outside_text == "keep"
    assert not any(item.exists() for item in stale)
    assert names(tmp_path) == sorted(["plan.toml", "plan.toml.bak", *kept])


def test_a_killed_save_leaves_a_temporary_file_the_next_save_removes(tmp_path: Path) -> None:
    project, path, before, backup = saved_twice(tmp_path)
    script = (
        "import os, sys, time\n"
        "from twinscape.io.project_file import load_project, save_project\n"
        "def hang(*args):\n"
        "    print('writing', flush=True)\n"
        "    time.sleep(60)\n"
        "os.replace = hang\n"
        "project, _ = load_project(sys.argv[1])\n"
        "save_project(project)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "writing"
        left = [p for p in tmp_path.iterdir() if temp_name_pattern(path).fullmatch(p.name)]
        assert len(left) == 2  # the new file and the backup copy, both locked
        save_project(project)  # the child still holds them: they are left alone
        assert all(p.exists() for p in left)
    finally:
        child.kill()
        child.wait()
    assert path.read_bytes() != before and (tmp_path / "plan.toml.bak").read_bytes() != backup
    for item in left:
        _age(item, 5.0)
    save_project(project)
    assert names(tmp_path) == ["plan.toml", "plan.toml.bak"]


def test_saves_write_nothing_but_the_project_names(tmp_path: Path) -> None:
    (tmp_path / "neighbour.toml").write_text("x = 1\n", encoding="utf-8")
    project = sample(tmp_path)
    for round_ in range(3):
        project.name = f"round {round_}"
        save_project(project, tmp_path / "plan.toml")
    assert names(tmp_path) == ["neighbour.toml", "plan.toml", "plan.toml.bak"]
    assert (tmp_path / "neighbour.toml").read_text(encoding="utf-8") == "x = 1\n"
    assert load_project(tmp_path / "plan.toml.bak")[0].name == "round 1"
