"""``twinscape video`` through the real ``twinscape`` entry point (cli.main)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import imageio.v2 as imageio
import pytest
from PIL import Image

from twinscape.cli import main

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "scenes" / "deadsea_demo.toml"
DEM = REPO / "assets" / "dem" / "deadsea_n31e035_srtm3_utm36n_90m.tif"
SMALL = ["--size", "160x120", "--fps", "10"]

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def video_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """``run(*argv) -> (code, stdout, stderr)`` of ``twinscape video *argv``."""
    monkeypatch.setenv("PYVISTA_OFF_SCREEN", "true")

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(["video", *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _frames(path: Path) -> list:
    with imageio.get_reader(path, format="FFMPEG") as reader:
        return [frame for frame in reader]  # list() asks its length: inf


def test_replay_mp4(video_cli: Run, tmp_path: Path) -> None:
    out = tmp_path / "deep" / "replay.mp4"
    code, stdout, stderr = video_cli(str(DEMO), "--out", str(out), "--duration", "0.5", *SMALL)
    assert code == 0, stderr
    assert "5 frames, 160x120, 10 fps" in stdout
    frames = _frames(out)
    assert len(frames) == 5 and frames[0].shape == (120, 160, 3)
    assert sorted(p.name for p in out.parent.iterdir()) == ["replay.mp4"]


def test_path_with_clock_and_orbit_gif(video_cli: Run, tmp_path: Path) -> None:
    out = tmp_path / "path.mp4"
    code, _, stderr = video_cli(
        str(DEMO), "--out", str(out), "--path", "Rift from the south, Wadi Mujib canyon",
        "--from", "2025-04-16T00:00Z", "--to", "2025-04-18T00:00Z", "--duration", "0.4", *SMALL,
    )  # fmt: skip
    assert code == 0, stderr
    assert len(_frames(out)) == 4
    gif = tmp_path / "orbit.gif"
    code, _, stderr = video_cli(str(DEMO), "--out", str(gif), "--orbit", "--duration", "0.3",
                                "--camera", "New town plan", *SMALL)  # fmt: skip
    assert code == 0, stderr
    with Image.open(gif) as image:
        assert image.n_frames == 3 and image.size == (160, 120)


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--size", "0x0"], "outside 16..16384"),
        (["--size", "100000x100000"], "outside 16..16384"),
        (["--size", "16000x16000"], "outside 16..8192"),
        (["--size", "161x120"], "even width and height"),
        (["--fps", "0"], "fps must be"),
        (["--fps", "60", "--out", "{tmp}/x.gif"], "outside 1..50 for GIF"),
        (["--out", "{tmp}/x.avi"], "an .mp4 (H.264) or a .gif"),
        (["--out", "{tmp}/file.txt/x.mp4"], "is a file, not a folder"),
        (["--out", "{tmp}/dir.mp4"], "--out is a folder"),
        (["--from", "2025-04-18T00:00Z", "--to", "2025-04-17T00:00Z"], "is not before --to"),
        (["--from", "2025-04-17"], "has no timezone"),
        (["--from", "2024-01-01T00:00Z", "--to", "2025-04-17T00:00Z"], "is outside the data"),
        (["--path", "New town plan,Nowhere"], "no camera bookmark named 'Nowhere'"),
        (["--path", "New town plan"], "two or more bookmarks"),
        (["--orbit", "--from", "2030-01-01T00:00Z"], "is outside the data"),
        (["--camera", "Nowhere"], "known: 'New town plan'"),
        (["--duration", "0"], "positive number"),
        (["--duration", "100000"], "duration"),
    ],
)
def test_bad_arguments_are_one_line_and_write_nothing(
    video_cli: Run, tmp_path: Path, extra: list[str], needle: str
) -> None:
    (tmp_path / "file.txt").write_text("not a folder")
    (tmp_path / "dir.mp4").mkdir()
    argv = ["--out", str(tmp_path / "v.mp4"), "--duration", "0.2", *SMALL]
    argv += [arg.format(tmp=tmp_path) for arg in extra]
    code, stdout, stderr = video_cli(str(DEMO), *argv)
    assert code == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("twinscape: error: "), stderr
    assert needle in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.mp4", "file.txt"]


def test_replay_needs_time_dependent_data(video_cli: Run, tmp_path: Path) -> None:
    code, _, stderr = video_cli(str(DEM), "--out", str(tmp_path / "v.mp4"), *SMALL)
    assert code == 2 and "nothing to replay" in stderr
    assert not list(tmp_path.iterdir())


def test_unwritable_folder(video_cli: Run, tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o500)
    if os.access(folder, os.W_OK):  # root writes into read-only folders, not into /sys
        folder = Path("/sys")
    code, _, stderr = video_cli(str(DEMO), "--out", str(folder / "v.mp4"), *SMALL)
    assert code == 2 and "cannot write into the folder" in stderr, stderr
