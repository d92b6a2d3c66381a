"""File > Screenshot: sizes, transparency, overlays, provenance, and opening a screenshot."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QProgressDialog

from twinscape.model.bookmarks import CameraView
from twinscape.ui.screenshot_dialog import ScreenshotDialog

from ui_helpers import process_events


def test_a_capture_right_after_opening_is_complete(make_main_window) -> None:
    window = make_main_window()
    first, _ = window.viewport.capture()  # no event processing, no explicit settle
    process_events(0.3)
    window.viewport.scene.settle()
    again, _ = window.viewport.capture()
    differs = (np.abs(first.astype(int) - again.astype(int)).max(axis=2) > 40).mean()
    assert differs < 0.002


def _answer(path: Path, size: tuple[int, int] | None, seen: list):  # noqa: ANN202
    def answer(dialog: ScreenshotDialog) -> QDialog.DialogCode:
        dialog.path_edit.setText(str(path))
        dialog.select_size(size)
        dialog.transparent_check.setChecked(True)
        for name in ("scale", "north", "title", "time"):
            dialog.overlay_checks[name].setChecked(True)
        dialog.title_edit.setText("Report figure 1")
        seen.append(dialog.picture_size)
        return QDialog.DialogCode.Accepted

    return answer


def test_dialog_options_make_a_png_of_that_size_with_provenance(
    demo_window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = demo_window
    seen: list = []
    modalities: list = []
    real_show = QProgressDialog.show

    def show(dialog: QProgressDialog) -> None:
        modalities.append(dialog.windowModality())
        real_show(dialog)

    monkeypatch.setattr(QProgressDialog, "show", show)
    monkeypatch.setattr(ScreenshotDialog, "exec", _answer(tmp_path / "fig", (1000, 600), seen))
    window.screenshot_action.trigger()
    out = tmp_path / "fig.png"
    assert seen == [(1000, 600)] and out.is_file()
    assert modalities == [Qt.WindowModality.NonModal]
    with Image.open(out) as png:
        assert png.size == (1000, 600) and png.mode == "RGBA"
        text = dict(png.text)
        pixels = np.asarray(png)
    assert text["twinscape:crs"] == "EPSG:32636"
    assert text["twinscape:time"] == "2025-04-17T11:00:00Z"
    camera = json.loads(text["twinscape:camera"])
    view = window.viewport.current_view()
    assert camera["position"] == pytest.approx(list(view.position))
    assert (pixels[-50:, :, 3] == 255).all()  # ground opaque, overlays drawn on it
    assert "Saved screenshot" in window.statusBar().currentMessage()
    process_events(0.05)
    assert not window.findChildren(QProgressDialog) or all(
        not d.isVisible() for d in window.findChildren(QProgressDialog)
    )


def test_dialog_presets_and_the_window_size(demo_window) -> None:
    dialog = ScreenshotDialog((1200, 700), Path("/tmp/x"), demo_window, title="Demo")
    try:
        assert dialog.picture_size is None and not dialog.width_spin.isEnabled()
        dialog.select_size((7680, 4320))
        assert dialog.picture_size == (7680, 4320) and not dialog.width_spin.isEnabled()
        dialog.select_size((1234, 567))
        assert dialog.picture_size == (1234, 567) and dialog.width_spin.isEnabled()
        assert dialog.overlays.title == "Demo" and not dialog.overlays.show
    finally:
        dialog.deleteLater()


def test_opening_a_screenshot_restores_its_camera_and_time(
    demo_window, tmp_path: Path
) -> None:
    window = demo_window
    project = window.project
    shot = window.viewport.save_screenshot(tmp_path / "view.png")
    taken_view, taken_time = window.viewport.current_view(), project.clock.current
    other = CameraView(
        position=tuple(np.add(taken_view.position, (3000.0, -2000.0, 1500.0))),
        focal_point=taken_view.focal_point, view_up=(0.0, 0.0, 1.0), view_angle=35.0,
    )  # fmt: skip
    window.viewport.apply_view(other)
    project.clock.set_time(taken_time - timedelta(hours=30))
    assert project.clock.current != taken_time
    assert window.files.open_path(shot) is None  # no load: the view is restored at once
    restored = window.viewport.current_view()
    assert np.allclose(restored.position, taken_view.position, atol=1e-3)
    assert restored.view_angle == pytest.approx(taken_view.view_angle)
    assert project.clock.current == taken_time
    message = window.statusBar().currentMessage()
    assert message.startswith(f"Restored camera and time from {shot.name}")
    assert "not of this project" not in message
    # dropped, of another project: the camera still comes back, and the bar says so
    window.viewport.apply_view(other)
    foreign = tmp_path / "foreign.png"
    with Image.open(shot) as png:
        text = dict(png.text)
        text["twinscape:project"] = "/elsewhere/other.toml"
        from PIL.PngImagePlugin import PngInfo

        info = PngInfo()
        for key, value in text.items():
            info.add_text(key, value)
        png.save(foreign, pnginfo=info)
    window.handle_dropped_paths([foreign])
    process_events(0.05)
    assert np.allclose(window.viewport.current_view().position, taken_view.position, atol=1e-3)
    assert "not of this project" in window.statusBar().currentMessage()
