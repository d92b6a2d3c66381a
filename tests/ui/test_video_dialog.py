"""File > Export Video: the dialog writes a short MP4 with progress; cancel leaves no file."""

from __future__ import annotations

from pathlib import Path

import imageio.v2 as imageio
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QPushButton

from twinscape.ui.video_dialog import VideoDialog, VideoExport, open_video_dialog

from ui_helpers import process_events, wait_until


def _dialog(window, path: Path, *, mode: int = 0, seconds: float = 0.5) -> VideoDialog:  # noqa: ANN001
    dialog = open_video_dialog(window)
    dialog.mode.setCurrentIndex(mode)
    dialog.duration.setValue(seconds)
    dialog.fps.setValue(10)
    dialog.width_box.setValue(320)
    dialog.height_box.setValue(240)
    dialog.path_edit.setText(str(path))
    return dialog


def _start(dialog: VideoDialog) -> VideoExport:
    dialog.accept()
    assert dialog.export is not None
    return dialog.export


def test_replay_writes_an_mp4_with_progress(demo_window, tmp_path: Path) -> None:  # noqa: ANN001
    window = demo_window
    clock = window.project.clock
    export = _start(_dialog(window, tmp_path / "replay.mp4"))
    progress = export.progress
    assert not progress.isModal() and progress.maximum() == 5
    ticks: list[int] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(export.index))
    timer.start(0)  # the event loop turns between frames: the window stays responsive
    wait_until(lambda: export.state != "running", 60, "the video")
    timer.stop()
    assert export.state == "finished", export.error
    assert len(set(ticks)) >= 4
    with imageio.get_reader(tmp_path / "replay.mp4", format="FFMPEG") as reader:
        frames = [frame for frame in reader]
    assert len(frames) == 5 and frames[0].shape == (240, 320, 3)
    assert window.project.clock is clock  # the window's clock did not move
    process_events(0.05)
    assert "replay.mp4" in window.statusBar().currentMessage()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["replay.mp4"]


def test_cancel_leaves_no_file(demo_window, tmp_path: Path) -> None:  # noqa: ANN001
    export = _start(_dialog(demo_window, tmp_path / "orbit.mp4", mode=2, seconds=5.0))
    wait_until(lambda: export.index >= 2, 60, "two frames")
    export.progress.findChild(QPushButton).click()  # the Cancel button
    process_events(0.05)
    assert export.state == "cancelled"
    assert export.index < 50
    assert not list(tmp_path.iterdir())


def test_bad_settings_are_shown_and_keep_the_dialog(
    demo_window,
    tmp_path: Path,
    critical_messages: list[tuple[str, str]],  # noqa: ANN001
) -> None:
    dialog = _dialog(demo_window, tmp_path / "odd.mp4")
    dialog.width_box.setValue(321)
    dialog.accept()
    assert dialog.export is None and dialog.isVisible()
    assert "even width and height" in critical_messages[-1][1]
    dialog.format.setCurrentIndex(1)  # GIF takes odd sizes
    assert dialog.path.suffix == ".gif"
    dialog.mode.setCurrentIndex(1)
    for row in range(1, dialog.bookmarks.count()):
        dialog.bookmarks.item(row).setCheckState(dialog.bookmarks.item(0).checkState().Unchecked)
    dialog.accept()
    assert "two or more bookmarks" in critical_messages[-1][1]
    dialog.close()
    process_events(0.05)
    assert not list(tmp_path.iterdir())
