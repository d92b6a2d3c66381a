"""File > Export Scene… (ui/export_dialog.py) on the demo window: dialog, export, errors.

Exports read the scene on the GUI thread behind a non-modal progress dialog, their slow
jobs on a worker; the files are read back with trimesh.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import trimesh
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialog, QProgressDialog

from twinscape.render.scene_export import terrain_levels
from twinscape.ui import export_dialog
from twinscape.ui.export_dialog import ExportDialog, open_export_dialog, run_export

from ui_helpers import process_events

LAYERS = ["Dead Sea SRTM 90 m", "New town (plan)", "Town sensors (simulated)"]


# -- a window of its own (first: before the shared window's Qt-made popups exist)


def test_closing_the_window_during_an_export_cancels_it_then_closes(
    make_main_window, tmp_path: Path
) -> None:
    window = make_main_window()
    QTimer.singleShot(0, window.close)  # at the export's first look at events
    out = tmp_path / "closing.glb"
    assert run_export(window, out, "glb", 3) is None, "cancelled"
    assert not out.exists()
    process_events(0.2)
    assert not window.isVisible() and window.scene_export is None


# -- the shared demo window
def test_dialog_shows_levels_with_triangles_and_follows_the_format(
    demo_window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    levels = terrain_levels(demo_window.viewport.scene)
    dialog = ExportDialog(levels, tmp_path / "demo.glb", demo_window)
    try:
        assert dialog.fmt == "glb" and dialog.level == 0
        assert dialog.level_combo.count() == len(levels) > 3
        assert dialog.level_combo.itemText(0).startswith("Full detail: 2.6 M triangles")
        assert dialog.warning.text() == ""  # 2.6 M is under the limit
        dialog.format_combo.setCurrentIndex(2)
        assert dialog.fmt == "obj" and dialog.path == tmp_path / "demo.obj"
        dialog.level_combo.setCurrentIndex(2)
        assert dialog.level == 2
        monkeypatch.setattr(export_dialog, "MAX_TRIANGLES", levels[1])
        dialog.level_combo.setCurrentIndex(0)
        assert "slow to open" in dialog.warning.text()
    finally:
        dialog.deleteLater()


def test_export_runs_with_progress_and_gives_the_window_back(demo_window, tmp_path: Path) -> None:
    scene = demo_window.viewport.scene
    ve_before = {key: visual.ve for key, visual in scene.visuals.items()}
    out = tmp_path / "demo.glb"
    report = run_export(demo_window, out, "glb", 2)
    assert report is not None and report.paths == (out,)
    assert sorted(trimesh.load(out).geometry) == sorted(LAYERS)
    assert report.triangles > terrain_levels(scene)[2]
    assert demo_window.menuBar().isEnabled() and demo_window.centralWidget().isEnabled()
    assert "Exported 3 layer(s)" in demo_window.statusBar().currentMessage()
    assert {key: visual.ve for key, visual in scene.visuals.items()} == ve_before
    assert not [w for w in demo_window.findChildren(QProgressDialog) if w.isVisible()]


def test_open_export_dialog_exports_what_was_chosen(
    demo_window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "chosen.vtm"

    def accept(dialog: ExportDialog) -> int:
        dialog.format_combo.setCurrentIndex(3)
        dialog.path_edit.setText(str(out))
        dialog.level_combo.setCurrentIndex(3)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ExportDialog, "exec", accept)
    report = open_export_dialog(demo_window)
    assert report is not None and report.format == "vtm"
    assert out.is_file() and (tmp_path / "chosen").is_dir()
    monkeypatch.setattr(ExportDialog, "exec", lambda _d: QDialog.DialogCode.Rejected)
    assert open_export_dialog(demo_window) is None


def test_errors_are_one_line_and_cancel_writes_nothing(
    demo_window, tmp_path: Path, critical_messages: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_export(demo_window, tmp_path / "wrong.glb", "obj") is None
    ((title, text),) = critical_messages
    assert title == "Export Scene" and "obj files end in .obj" in text and "\n" not in text
    monkeypatch.setattr(QProgressDialog, "wasCanceled", lambda _self: True)
    assert run_export(demo_window, tmp_path / "cancelled.glb", "glb", 3) is None
    assert not (tmp_path / "cancelled.glb").exists()
    assert len(critical_messages) == 1  # cancelling is not an error
    assert demo_window.menuBar().isEnabled()


def test_the_slow_jobs_run_on_a_worker_while_the_window_keeps_answering(
    demo_window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from twinscape.render import export_terrain, scene_export

    ticked = threading.Event()
    timer = QTimer()  # the GUI thread's event loop: it ticks only while events are processed
    timer.setInterval(10)
    timer.timeout.connect(ticked.set)
    answered: dict[str, bool] = {}

    def waiting_for_a_tick(name: str, real):  # noqa: ANN001, ANN202
        def job(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            ticked.clear()
            off_gui = threading.current_thread() is not threading.main_thread()
            answered[name] = off_gui and ticked.wait(5)  # the GUI ticks meanwhile
            return real(*args, **kwargs)

        return job

    monkeypatch.setattr(
        export_terrain, "terrain_part", waiting_for_a_tick("terrain", export_terrain.terrain_part)
    )
    monkeypatch.setattr(
        scene_export, "write_scene", waiting_for_a_tick("write", scene_export.write_scene)
    )
    timer.start()
    try:
        report = run_export(demo_window, tmp_path / "demo.glb", "glb", 3)
    finally:
        timer.stop()
    assert answered == {"terrain": True, "write": True}
    assert report is not None and sorted(trimesh.load(report.paths[0]).geometry) == sorted(LAYERS)
