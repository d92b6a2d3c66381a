"""File > Export Video: a sensor replay, a camera path or an orbit to MP4 or GIF.

VTK is touched only on the GUI thread, so :class:`VideoExport` renders one frame per
turn of the event loop (a zero-interval QTimer) into an off-screen plotter and feeds the
encoder as frames come: the window stays responsive and the progress dialog is not modal
(a modal QProgressDialog runs the event loop inside ``setValue``). Cancel stops at the
next frame and removes the partial file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QDateTime, QObject, Qt, QTimer, QTimeZone, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QSpinBox,
    QWidget,
)

from twinscape.model.bookmarks import CameraView
from twinscape.model.errors import TwinscapeError, error_line
from twinscape.model.layers import time_extent_of
from twinscape.model.project import Project
from twinscape.render.video import (
    MAX_DURATION_S,
    MAX_FPS,
    MAX_SIDE,
    MIN_SIDE,
    Frame,
    VideoInfo,
    VideoRecorder,
    check_video,
    orbit_frames,
    path_frames,
    replay_frames,
    replay_range,
)

log = logging.getLogger(__name__)

REPLAY, PATH, ORBIT = "replay", "path", "orbit"
MODES = ((REPLAY, "Sensor replay over a time range"), (PATH, "Camera path through bookmarks"),
         (ORBIT, "Orbit around the view's focal point"))  # fmt: skip
SUFFIXES = {"MP4 (H.264)": ".mp4", "GIF": ".gif"}
_UTC = QTimeZone.utc()

FrameSource = Sequence[Frame] | Callable[[CameraView], Sequence[Frame]]


def _spin(box: QSpinBox | QDoubleSpinBox, low: float, high: float, value: float, *,
          step: float = 1) -> Any:  # fmt: skip
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setValue(value)
    return box


def _qt_time(value: datetime) -> QDateTime:
    return QDateTime.fromMSecsSinceEpoch(round(value.timestamp() * 1000), _UTC)


def _py_time(value: QDateTime) -> datetime:
    return datetime.fromtimestamp(value.toMSecsSinceEpoch() / 1000, timezone.utc)


class VideoExport(QObject):
    """Renders ``frames`` into ``out`` one per event-loop turn, with a progress dialog.

    ``state`` goes from ``"running"`` to ``"finished"`` (``info`` set), ``"cancelled"``
    or ``"failed"`` (``error`` set); :attr:`done` is emitted then.
    """

    done = Signal(str)

    def __init__(
        self,
        project: Project,
        out: Path,
        frames: FrameSource,
        *,
        size: tuple[int, int],
        fps: float,
        view: CameraView | None,
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.state = "running"
        self.info: VideoInfo | None = None
        self.error: str | None = None
        self.recorder = VideoRecorder(project, out, size=size, fps=fps, view=view)
        self.frames = list(frames(self.recorder.start_view) if callable(frames) else frames)
        self.index = 0
        self.progress = QProgressDialog(
            f"Rendering {out.name}\u2026", "Cancel", 0, len(self.frames), parent
        )
        self.progress.setObjectName("videoProgress")
        self.progress.setWindowTitle("Export Video")
        self.progress.setWindowModality(Qt.WindowModality.NonModal)
        self.progress.setMinimumDuration(0)
        self.progress.setAutoClose(False)
        self.progress.setAutoReset(False)
        self.progress.setMinimumWidth(420)
        self.progress.canceled.connect(self.cancel)
        self.progress.setValue(0)
        self.timer = QTimer(self)
        self.timer.setInterval(0)
        self.timer.timeout.connect(self._step)
        self.timer.start()
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.cancel)

    def _step(self) -> None:
        """Render and encode the next frame; finish after the last."""
        if self.state != "running":
            return
        if self.progress.wasCanceled():  # closed or Escape, besides the Cancel button
            self.cancel()
            return
        try:
            if self.index < len(self.frames):
                self.recorder.add(self.frames[self.index])
                self.index += 1
                self.progress.setValue(self.index)
                self.progress.setLabelText(f"Frame {self.index} of {len(self.frames)}")
                return
            self.info = self.recorder.finish()
        except (TwinscapeError, OSError, ValueError) as err:
            self._end("failed", error_line(err))
            return
        self._end("finished")

    def cancel(self) -> None:
        """Stop and remove the partial file (nothing happens once it has ended)."""
        if self.state == "running":
            self._end("cancelled")

    def _end(self, state: str, error: str | None = None) -> None:
        self.timer.stop()
        self.state, self.error = state, error
        if state != "finished":
            self.recorder.cancel()
        self.progress.canceled.disconnect(self.cancel)
        self.progress.close()
        self.progress.deleteLater()
        self.done.emit(state)


class VideoDialog(QDialog):
    """Asks what to film (mode, time range, bookmarks), how (duration, rate, size) and where.

    Parameters
    ----------
    project
        The project to film.
    view
        The camera on screen: a replay's fixed view and an orbit's start.
    suggested
        The file the dialog starts with.
    """

    started = Signal(object)  # the VideoExport

    def __init__(
        self, project: Project, view: CameraView | None, suggested: Path, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.setObjectName("videoDialog")
        self.setWindowTitle("Export Video")
        self.setMinimumWidth(560)
        self.project, self.view = project, view
        self.export: VideoExport | None = None
        extent = time_extent_of(project.layers)
        self.mode = QComboBox()
        for key, label in MODES:
            self.mode.addItem(label, key)
        self.start, self.end = QDateTimeEdit(), QDateTimeEdit()
        first, last = extent or (project.clock.start, project.clock.end)
        for edit, value in ((self.start, first), (self.end, last)):
            edit.setTimeZone(_UTC)
            edit.setDisplayFormat("yyyy-MM-dd HH:mm 'UTC'")
            edit.setDateTime(_qt_time(value))
            self.run_clock = QCheckBox("Run the clock over the time range")
        self.run_clock.setEnabled(extent is not None)
        self.bookmarks = QListWidget()
        self.bookmarks.setMaximumHeight(110)
        for mark in project.bookmarks:
            item = QListWidgetItem(mark.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.bookmarks.addItem(item)
        self.duration = _spin(QDoubleSpinBox(), 0.5, MAX_DURATION_S, 10.0)
        self.duration.setDecimals(1)
        self.duration.setSuffix(" s")
        self.fps = _spin(QSpinBox(), 1, MAX_FPS, 30)
        self.width_box = _spin(QSpinBox(), MIN_SIDE, MAX_SIDE, 1280, step=2)
        self.height_box = _spin(QSpinBox(), MIN_SIDE, MAX_SIDE, 720, step=2)
        size_row = QHBoxLayout()
        size_row.addWidget(self.width_box)
        size_row.addWidget(self.height_box)
        self.format = QComboBox()
        self.format.addItems(list(SUFFIXES))
        self.path_edit = QLineEdit(str(suggested))
        browse = QPushButton("Browse\u2026")
        browse.clicked.connect(self._browse)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(browse)
        form = QFormLayout(self)
        form.addRow("Film", self.mode)
        form.addRow("From", self.start)
        form.addRow("To", self.end)
        form.addRow("", self.run_clock)
        form.addRow("Bookmarks", self.bookmarks)
        form.addRow("Duration", self.duration)
        form.addRow("Frames per second", self.fps)
        form.addRow("Size (pixels)", size_row)
        form.addRow("Format", self.format)
        form.addRow("File", file_row)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Save).setText("Export")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.mode.currentIndexChanged.connect(self._update)
        self.run_clock.toggled.connect(self._update)
        self.format.currentIndexChanged.connect(self._format_changed)
        self._timed = extent is not None
        items = self.mode.model()
        items.item(0).setEnabled(self._timed)  # type: ignore[attr-defined]
        items.item(1).setEnabled(len(project.bookmarks) >= 2)  # type: ignore[attr-defined]
        if not self._timed:
            self.mode.setCurrentIndex(2)
        self._update()

    def _update(self) -> None:
        mode = self.mode.currentData()
        self.run_clock.setVisible(mode != REPLAY)
        for edit in (self.start, self.end):
            edit.setEnabled(self._timed and (mode == REPLAY or self.run_clock.isChecked()))
        self.bookmarks.setEnabled(mode == PATH)

    def _format_changed(self) -> None:
        path = Path(self.path_edit.text().strip())
        suffix = SUFFIXES[self.format.currentText()]
        if path.name:
            self.path_edit.setText(str(path.with_suffix(suffix)))

    def _browse(self) -> None:
        suffix = SUFFIXES[self.format.currentText()]
        path, _ = QFileDialog.getSaveFileName(
            self, "Export Video", self.path_edit.text(), f"Video (*{suffix})"
        )
        if path:
            self.path_edit.setText(path)

    @property
    def path(self) -> Path:
        """The chosen file, with the format's suffix."""
        path = Path(self.path_edit.text().strip()).expanduser()
        suffix = SUFFIXES[self.format.currentText()]
        return path if path.suffix.lower() == suffix else path.with_name(path.name + suffix)

    def checked_views(self) -> list[CameraView]:
        """Views of the ticked bookmarks, in the project's order."""
        rows = range(self.bookmarks.count())
        ticked = [self.bookmarks.item(r).checkState() == Qt.CheckState.Checked for r in rows]
        return [mark.view for mark, on in zip(self.project.bookmarks, ticked) if on]

    def frames(self) -> FrameSource:
        """The frames asked for; raises TwinscapeError/ValueError with what is wrong."""
        mode, seconds, fps = self.mode.currentData(), self.duration.value(), self.fps.value()
        start = end = None
        if mode == REPLAY or (self._timed and self.run_clock.isChecked()):
            start, end = replay_range(
                self.project, _py_time(self.start.dateTime()), _py_time(self.end.dateTime())
            )
        if mode == REPLAY:
            return replay_frames(self.project, start, end, fps, duration_s=seconds, view=self.view)
        if mode == PATH:
            views = self.checked_views()
            if len(views) < 2:
                raise ValueError("tick two or more bookmarks for a camera path")
            return path_frames(views, seconds, fps, start=start, end=end)
        return lambda first: orbit_frames(first, seconds, fps, start=start, end=end)

    def accept(self) -> None:
        """Check the settings and start the export (errors are shown, the dialog stays)."""
        size = (self.width_box.value(), self.height_box.value())
        try:
            check_video(self.path, size, self.fps.value())
            frames = self.frames()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.export = VideoExport(
                self.project, self.path, frames, size=size, fps=self.fps.value(),
                view=self.view, parent=self.parentWidget() or self,
            )  # fmt: skip
        except (TwinscapeError, OSError, ValueError) as err:
            QMessageBox.critical(self, "Export Video", error_line(err))
            return
        self.started.emit(self.export)
        super().accept()


def open_video_dialog(window: Any) -> VideoDialog:
    """File > Export Video for ``window`` (a MainWindow): show the dialog, non-modal.

    When the export ends, the status bar says where the video went, or a message box
    why it failed.
    """
    project: Project = window.project
    scene = window.viewport.scene
    view = scene.current_view() if scene is not None else project.view
    folder = project.path.parent if project.path is not None else Path.home()
    stem = project.path.stem if project.path is not None else "twinscape"
    dialog = VideoDialog(project, view, folder / f"{stem}.mp4", window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def started(export: VideoExport) -> None:
        export.done.connect(lambda state: _report(window, export, state))

    dialog.started.connect(started)
    dialog.show()
    return dialog


def cancel_exports(window: QObject) -> None:
    """Cancel the video exports running for ``window`` (call it when the window closes)."""
    for export in window.findChildren(VideoExport):
        export.cancel()


def _report(window: Any, export: VideoExport, state: str) -> None:
    info = export.info
    if state == "finished" and info is not None:
        window.statusBar().showMessage(
            f"Wrote {info.path} ({info.frames} frames, {info.size[0]}\u00d7{info.size[1]}, "
            f"{info.bytes / 1e6:.1f} MB)", 10000,
        )  # fmt: skip
    elif state == "failed":
        QMessageBox.critical(window, "Export Video", export.error or "the video failed")
    elif state == "cancelled":
        window.statusBar().showMessage("Video export cancelled; no file was written", 5000)
    export.deleteLater()
