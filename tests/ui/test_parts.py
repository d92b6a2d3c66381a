"""The parts on their own: the loader thread, readout formatting, drop routing, the app entry."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from twinscape.model.errors import LoadCancelled, ReaderError
from twinscape.ui.drop import plan_drop
from twinscape.ui.loader import Loader, progress_fraction
from twinscape.ui.status_bar import format_elevation, format_lonlat, format_position

from ui_helpers import DEMO_DEM, process_events, wait_for_task, wait_until

pytestmark = pytest.mark.gui


def test_readout_formats() -> None:
    assert (
        format_position(712345.24, 3512345.66, "EPSG:32636")
        == "E 712 345.2  N 3 512 345.7 m (EPSG:32636)"
    )
    assert format_lonlat(35.45211, 31.75123) == "31.7512\u00b0 N, 35.4521\u00b0 E"
    assert format_lonlat(-70.5, -33.25) == "33.2500\u00b0 S, 70.5000\u00b0 W"
    assert format_elevation(-398.04) == "elev \u2212398.0 m"
    assert format_elevation(1234.5) == "elev 1 234.5 m"
    assert format_elevation(float("nan")) == "elev \u2014"


def test_progress_fraction_accepts_the_usual_shapes() -> None:
    assert progress_fraction(0.25) == 0.25
    assert progress_fraction(3, 4) == 0.75
    assert progress_fraction(50) == 0.5
    assert progress_fraction(0.5, "reading") == 0.5
    assert progress_fraction("only words") is None


def test_loader_runs_off_the_gui_thread_and_reports(app: QApplication) -> None:
    loader = Loader()
    seen: dict[str, object] = {}

    def job(*, progress, cancelled):  # noqa: ANN001, ANN202
        seen["thread"] = threading.current_thread()
        for i in range(5):
            progress(i / 5)
        return 42

    progress: list[float] = []
    task = loader.submit(job, label="answer")
    task.progress.connect(progress.append)
    finished: list[object] = []
    task.finished.connect(finished.append)
    assert loader.busy
    assert wait_for_task(task) == "finished"
    assert finished == [42] and seen["thread"] is not threading.main_thread()
    assert progress and progress == sorted(progress)
    wait_until(lambda: not loader.busy, 5, "the thread to end")
    loader.deleteLater()


def test_loader_cancel_and_failure(app: QApplication) -> None:
    loader = Loader()
    started = threading.Event()

    def slow(*, progress, cancelled):  # noqa: ANN001, ANN202
        started.set()
        while not cancelled():
            time.sleep(0.005)
        raise LoadCancelled("stopped")

    task = loader.submit(slow, label="slow")
    assert started.wait(5)
    cancelled: list[bool] = []
    task.cancelled.connect(lambda: cancelled.append(True))
    task.cancel()
    assert wait_for_task(task) == "cancelled" and cancelled == [True]

    def broken(*, progress, cancelled):  # noqa: ANN001, ANN202
        raise ReaderError("/data/x.tif", "is not a raster", hint="check the file")

    failures: list[BaseException] = []
    task = loader.submit(broken, label="broken")
    task.failed.connect(failures.append)
    assert wait_for_task(task) == "failed"
    assert str(failures[0]) == "/data/x.tif: is not a raster; check the file"

    # a result arriving after Cancel is dropped
    gate = threading.Event()

    def late(*, progress, cancelled):  # noqa: ANN001, ANN202
        gate.wait(5)
        return "too late"

    task = loader.submit(late, label="late")
    task.cancel()
    gate.set()
    assert wait_for_task(task) == "cancelled" and task.result is None
    wait_until(lambda: not loader.busy, 5, "the threads to end")
    loader.deleteLater()


def test_plan_drop_routes_by_kind(tmp_path: Path) -> None:
    project = tmp_path / "a.toml"
    other = tmp_path / "b.toml"
    notes = tmp_path / "notes.docx"
    plan = plan_drop([DEMO_DEM, notes])
    assert plan.project is None and plan.data == [DEMO_DEM]
    assert len(plan.errors) == 1 and str(notes) in plan.errors[0]
    plan = plan_drop([project, other, DEMO_DEM])
    assert plan.project == project and plan.data == []
    assert len(plan.errors) == 2
    plan = plan_drop([tmp_path])
    assert plan.errors and "folder" in plan.errors[0]


def test_main_opens_a_dem_in_a_new_project_and_exits(app: QApplication) -> None:
    """``twinscape-gui DEM``: a throw-away project named after the file; exit code 0."""
    from twinscape.ui.app import main
    from twinscape.ui.main_window import MainWindow

    checks: dict[str, object] = {}

    def inspect_and_close() -> None:
        windows = [
            w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()
        ]
        if len(windows) != 1 or windows[0].loader.busy or not windows[0].project.layers:
            QTimer.singleShot(50, inspect_and_close)
            return
        window = windows[0]
        checks["title"] = window.windowTitle()
        checks["layers"] = [layer.name for layer in window.project.layers]
        checks["crs"] = window.project.crs
        window.close()
        window.deleteLater()
        QTimer.singleShot(0, QApplication.instance().quit)

    QTimer.singleShot(50, inspect_and_close)
    assert main([str(DEMO_DEM)]) == 0
    process_events(0.05)
    assert checks["layers"] == [DEMO_DEM.stem]
    assert checks["crs"] == "EPSG:32636"
    assert checks["title"] == f"{DEMO_DEM.stem} \u2014 Twinscape"


def test_load_jobs_build_terrain_tiles_on_the_worker_thread() -> None:
    from twinscape.render import terrain_visual
    from twinscape.ui.load_jobs import add_layers_job

    added = add_layers_job([DEMO_DEM], None, None)(
        progress=lambda *a: None, cancelled=lambda: False
    )
    [load] = added.loads
    grid = load.data.values["grid"]
    with terrain_visual._PREPARED_LOCK:
        assert grid in terrain_visual._PREPARED, "tiles were not prepared off the GUI thread"
