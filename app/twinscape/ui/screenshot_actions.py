"""Screenshots from the window: capture with progress, and restoring a screenshot's view.

A picture larger than the window (or with a transparent sky) is rendered off-screen from
the view's camera, in tiles; between tiles a non-modal progress dialog is updated and
Qt's events are processed, so the window keeps painting and the capture can be cancelled
(VTK stays on the GUI thread). Opening a Twinscape PNG restores the camera and clock time
stored in its provenance chunks (io/png_provenance.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QProgressDialog

from twinscape.io.png_provenance import read_provenance
from twinscape.model.errors import TwinscapeError, quote_path
from twinscape.render.offscreen import RenderCancelled
from twinscape.render.overlays import OverlayOptions
from twinscape.ui.dialogs import error_text, show_error

if TYPE_CHECKING:
    from twinscape.ui.main_window import MainWindow


class _Progress:
    """A non-modal progress dialog fed by the renderer's ``progress(done, total)``.

    (A modal QProgressDialog crashed this app before: it runs a nested event loop.)
    """

    def __init__(self, window: MainWindow, label: str) -> None:
        self.dialog = QProgressDialog(label, "Cancel", 0, 1, window)
        self.dialog.setWindowTitle("Screenshot")
        self.dialog.setWindowModality(Qt.WindowModality.NonModal)
        self.dialog.setMinimumDuration(0)
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.dialog.setValue(0)
        self.dialog.show()
        QApplication.processEvents()

    def __call__(self, done: int, total: int) -> bool:
        self.dialog.setMaximum(total)
        self.dialog.setValue(done)
        QApplication.processEvents()
        return not self.dialog.wasCanceled()

    def close(self) -> None:
        self.dialog.close()
        self.dialog.deleteLater()


def take_screenshot(
    window: MainWindow,
    path: Path,
    *,
    size: tuple[int, int] | None = None,
    transparent: bool = False,
    overlays: OverlayOptions | None = None,
) -> Path | None:
    """Write a screenshot of ``window``'s view; errors are shown, not raised."""
    if window.property("_ts_capturing"):
        return None  # a capture is running (its progress processes events)
    offscreen = size is not None or transparent
    shown = f"{size[0]} \u00d7 {size[1]}" if size else "window-size"
    progress = _Progress(window, f"Rendering a {shown} picture\u2026") if offscreen else None
    window.setProperty("_ts_capturing", True)
    QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        written = window.viewport.save_screenshot(
            path, size=size, transparent=transparent, overlays=overlays, progress=progress
        )
    except RenderCancelled:
        window.statusBar().showMessage("Screenshot cancelled; nothing was written.", 5000)
        return None
    except (OSError, ValueError, RuntimeError) as err:
        message = error_text(err)
        if isinstance(err, TwinscapeError) or not isinstance(err, OSError):
            message = f"{quote_path(path)}: {message}"
        QGuiApplication.restoreOverrideCursor()
        show_error(window, "Could not save the screenshot", message)
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        window.statusBar().showMessage(f"The screenshot was not saved: {message}", 15000)
        return None
    finally:
        QGuiApplication.restoreOverrideCursor()
        window.setProperty("_ts_capturing", False)
        if progress is not None:
            progress.close()
    window.statusBar().showMessage(f"Saved screenshot {written}", 5000)
    return written


def restore_from_png(window: MainWindow, path: Path) -> bool:
    """Move the camera and clock to those a Twinscape PNG was taken with; True if done.

    A picture of another project still gives its camera (the status bar says so).
    """
    found = read_provenance(path)
    project = window.project
    camera = None if found is None else found.real_camera(project)
    if found is None or camera is None:
        show_error(window, "Could not open", f"{quote_path(path)}: carries no Twinscape camera")
        return False
    window.viewport.apply_view(camera)
    restored = "camera and time" if found.time is not None else "camera"
    if found.time is not None:
        project.show_time(found.time)
    message = f"Restored {restored} from {path.name}"
    if not found.same_project(project):
        message += f"; the picture was taken of {found.project}, not of this project"
    window.statusBar().showMessage(message, 10000)
    return True
