"""Videos of the demo scene rendered off-screen and read back with imageio (ffmpeg) and Pillow."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import imageio.v2 as imageio
import numpy as np
import pytest
from PIL import Image

import twinscape.render.video as video
from twinscape.io.loading import DEMO_SCENE, open_project
from twinscape.model.project import Project
from twinscape.render.video import (
    Frame,
    VideoCancelled,
    VideoError,
    orbit_frames,
    render_video,
    replay_frames,
    replay_range,
)

SIZE = (320, 240)


@pytest.fixture(scope="module")
def demo() -> Project:
    project, _notes = open_project(DEMO_SCENE)
    return project


def _read_mp4(path: Path) -> list[np.ndarray]:
    with imageio.get_reader(path, format="FFMPEG") as reader:
        return [frame for frame in reader]


def test_replay_of_the_sensor_week(
    demo: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plotters: list[object] = []
    make = video.pv.Plotter
    monkeypatch.setattr(video.pv, "Plotter", lambda *a, **k: plotters.append(1) or make(*a, **k))
    clock = demo.clock
    frames = replay_frames(demo, None, None, 8, duration_s=1.0)
    assert len(frames) == 8
    assert frames[0].time == clock.start and frames[-1].time == clock.end
    calls: list[tuple[int, int]] = []
    out = tmp_path / "replay.mp4"
    info = render_video(
        demo, out, frames=frames, size=SIZE, fps=8, progress=lambda *a: calls.append(a)
    )
    assert len(plotters) == 1  # one plotter for every frame
    assert calls == [(i, 8) for i in range(1, 9)]
    assert (info.frames, info.size, info.bytes) == (8, SIZE, out.stat().st_size)
    assert demo.clock is clock  # the project's clock was left alone
    read = _read_mp4(out)
    assert len(read) == 8 and read[0].shape == (240, 320, 3)
    assert read[0].mean() > 60  # terrain and sky, not black
    # the sensor glyphs change colour over the week (a dust event on the 17th)
    changed = [(np.abs(f.astype(int) - read[0].astype(int)).max(axis=2) > 40).sum() for f in read]
    assert max(changed) > 20, changed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["replay.mp4"]


def test_orbit_gif_from_the_start_view(demo: Project, tmp_path: Path) -> None:
    gif = tmp_path / "orbit.gif"
    info = render_video(demo, gif, frames=lambda v: orbit_frames(v, 0.3, 10), size=SIZE, fps=10)
    with Image.open(gif) as image:
        assert image.n_frames == 3 == info.frames and image.size == SIZE
        image.seek(0)
        first = np.asarray(image.convert("RGB"))
        image.seek(1)
        assert np.abs(np.asarray(image.convert("RGB")).astype(int) - first).mean() > 1.0


def test_cancel_removes_the_partial_file(demo: Project, tmp_path: Path) -> None:
    asked: list[int] = []

    def cancelled() -> bool:
        asked.append(1)
        return len(asked) > 2

    frames = [Frame(time=demo.clock.start)] * 6
    with pytest.raises(VideoCancelled):
        render_video(
            demo, tmp_path / "v.mp4", frames=frames, size=SIZE, fps=10, cancelled=cancelled
        )
    assert len(asked) == 3
    assert not list(tmp_path.iterdir())


def test_bad_requests(demo: Project, tmp_path: Path) -> None:
    frames = [Frame()] * 2
    for size, needle in (((321, 240), "even width"), ((0, 0), "outside 16"),
                         ((100000, 100000), "outside 16")):  # fmt: skip
        with pytest.raises(VideoError, match=needle):
            render_video(demo, tmp_path / "v.mp4", frames=frames, size=size, fps=10)
    with pytest.raises(VideoError, match="outside the data"):
        replay_range(demo, datetime(2020, 1, 1, tzinfo=timezone.utc), None)
    with pytest.raises(VideoError, match="start before it ends"):
        replay_range(demo, demo.clock.end, demo.clock.start)
    with pytest.raises(VideoError, match="no layer has time-dependent data"):
        replay_range(Project(), None, None)
    assert not list(tmp_path.iterdir())
