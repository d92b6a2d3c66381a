"""File actions in a real window: save and reopen, add data, bad files, cancel, drag and drop."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QInputDialog

from twinscape.io.project_file import project_to_toml

from ui_helpers import (
    DEMO_DEM,
    WGS84_DEM,
    is_warm,
    near_background,
    process_events,
    settle,
    wait_for_task,
    wait_until,
)

pytestmark = pytest.mark.gui


def snapshot(project) -> dict:  # noqa: ANN001
    """What a save must keep, in comparable form."""
    return {
        "name": project.name,
        "crs": project.crs,
        "origin": project.origin,
        # every layer as its project-file table, with absolute paths (the folder is "/")
        "layers": project_to_toml(project, Path("/"))["layers"],
        "bookmarks": [(m.name, m.view) for m in project.bookmarks],
    }


def test_save_as_then_reopen_keeps_layers_style_bookmarks_and_camera(
    make_main_window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_main_window()
    project = window.project
    layer = project.layers[0]
    layer.name = "Rift DEM"
    layer.opacity = 0.8
    layer.style.colormap = "mountain"
    layer.style.hillshade_strength = 0.5
    layer.style.vertical_exaggeration = 3.0
    layer.style.sea_level = -380.0
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("Saved view", True)))
    window.viewport.apply_view(project.bookmarks[1].view)
    window.bookmark_action.trigger()
    camera = window.viewport.current_view()
    assert window.is_dirty and window.windowTitle().endswith("* \u2014 Twinscape")

    target = tmp_path / "rift"  # no suffix: Save As adds .toml
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), PROJECT_FILTER))
    )
    window.save_as_action.trigger()
    saved = tmp_path / "rift.toml"
    assert saved.is_file()
    assert project.path == saved
    assert not window.is_dirty and "*" not in window.windowTitle()
    assert window.recent.paths()[0] == saved
    expected = snapshot(project)

    window.close()
    reopened = make_main_window(saved)
    again = reopened.project
    assert again is not project
    assert snapshot(again) == expected
    assert again.layers[0].grid is not None
    view = reopened.viewport.current_view()
    assert np.allclose(view.position, camera.position, atol=1e-3)
    assert np.allclose(view.focal_point, camera.focal_point, atol=1e-3)
    assert np.allclose(view.view_up, camera.view_up, atol=1e-6)
    assert view.view_angle == pytest.approx(camera.view_angle)
    reopened.layer_dock.select_layer(again.layers[0])  # the terrain (buildings are on top)
    controls = reopened.styling_dock.controls
    assert controls is not None and controls.colormap.currentData() == "mountain"
    assert controls.exaggeration.value() == pytest.approx(3.0)
    assert not reopened.is_dirty

    # Open Recent lists the file and opens it again
    reopened.recent_menu.aboutToShow.emit()
    entries = [a for a in reopened.recent_menu.actions() if a.text().endswith("rift.toml")]
    assert entries and entries[0].toolTip() == str(saved)
    # ... in this window, the top layer current: the panel shows the new project's layer
    # (the rows match the old ones by id, so the tree's selection did not change)
    top = again.layers[-1]
    reopened.layer_dock.select_layer(top)
    assert reopened.styling_dock.layer is top
    entries[0].trigger()
    wait_until(lambda: reopened.project is not again and not reopened.loader.busy, 30, "reopen")
    process_events(0.2)
    current = reopened.layer_dock.current_layer()
    assert current is not None and current is not top and current.id == top.id
    assert reopened.styling_dock.layer is current and reopened.styling_dock.controls is not None
    # the panel's Credit edits the layer's attribution (screenshots show it)
    credit = reopened.styling_dock.controls.attribution
    assert credit.text() == current.attribution == ""
    credit.setText("  PM2.5 interpolated by the town's air office  ")
    credit.editingFinished.emit()
    assert current.attribution == "PM2.5 interpolated by the town's air office"
    assert reopened.is_dirty
    reopened.mark_clean()


PROJECT_FILTER = "Twinscape projects (*.toml)"


def test_save_as_adds_the_suffix_instead_of_replacing_one(
    main_window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "rift.toml"  # another project, not the one named
    other.write_text("# someone else's project\n")
    target = tmp_path / "rift.v2"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), PROJECT_FILTER))
    )
    assert main_window.files.save_as()
    assert main_window.project.path == tmp_path / "rift.v2.toml"
    assert other.read_text() == "# someone else's project\n"
    assert not (tmp_path / "rift.toml.bak").exists()
    view = main_window.viewport.save_screenshot(tmp_path / "view.2x")
    assert view == tmp_path / "view.2x.png" and view.is_file()
    from twinscape.ui.screenshot_dialog import ScreenshotDialog

    dialog = ScreenshotDialog((640, 480), tmp_path / "view.2x", main_window)
    assert dialog.path == tmp_path / "view.2x.png"
    dialog.deleteLater()


def test_add_data_adds_a_second_layer_on_top(main_window, monkeypatch: pytest.MonkeyPatch) -> None:
    window = main_window
    project = window.project
    first = project.layers[0]
    before = list(project.layers)
    monkeypatch.setattr(
        QFileDialog, "getOpenFileNames", staticmethod(lambda *a, **k: ([str(WGS84_DEM)], ""))
    )
    window.add_data_action.trigger()
    task = window.loader.tasks[0]
    assert wait_for_task(task) == "finished", task.error
    assert list(project.layers)[:-1] == before and project.layers[0] is first
    added = project.layers[-1]
    assert added.grid is not None and added.grid.crs == project.crs == "EPSG:32636"
    assert added.source == WGS84_DEM.resolve()
    tree = window.layer_dock.tree
    assert tree.topLevelItemCount() == len(before) + 1
    assert tree.topLevelItem(0).text(0) == added.name  # topmost row = drawn last
    assert window.layer_dock.current_layer() is added
    assert window.styling_dock.layer is added
    assert window.is_dirty
    image = settle(window)
    h, w, _ = image.shape  # the added DEM, drawn on top with its default style (sea level 0 m)
    assert not near_background(window, image[h * 2 // 3, w // 2])

    # reorder and remove from the tree, and the model follows
    top = before[-1]  # the demo's topmost layer, now just under the added one
    rows = len(before) + 1
    window.layer_dock.down_action.trigger()
    assert list(project.layers) == [*before[:-1], added, top]
    assert tree.topLevelItem(0).text(0) == top.name
    window.layer_dock.up_action.trigger()
    assert list(project.layers) == [*before, added]
    tree.reorder_requested.emit(added.id, rows - 1)  # dragging the top row to the bottom
    assert list(project.layers) == [added, *before]
    names = [tree.topLevelItem(i).text(0) for i in range(rows)]
    assert names == [layer.name for layer in reversed([added, *before])]
    tree.reorder_requested.emit(added.id, 0)
    assert list(project.layers) == [*before, added]

    # Del on the focused tree removes the selected layer
    window.activateWindow()
    window.layer_dock.select_layer(added)
    tree.setFocus()
    wait_until(lambda: tree.hasFocus(), 5, "focus on the layer tree")
    QTest.keyClick(tree, Qt.Key.Key_Delete)
    assert list(project.layers) == before
    assert tree.topLevelItemCount() == len(before)
    assert window.styling_dock.layer is not added


def test_a_corrupt_dem_shows_one_line_and_changes_nothing(
    main_window, tmp_path: Path, critical_messages: list
) -> None:
    window = main_window
    project = window.project
    layers = list(project.layers)
    broken = tmp_path / "broken.tif"
    broken.write_bytes(b"\x00\x01garbage, not a GeoTIFF" * 40)

    task = window.files.add_paths([broken])
    assert wait_for_task(task) == "failed"
    assert len(critical_messages) == 1
    title, text = critical_messages[0]
    assert str(broken) in text and "\n" not in text and "Traceback" not in text
    assert window.project is project and list(project.layers) == layers
    assert not window.is_dirty

    # a broken project file: same story, the open project stays
    bad = tmp_path / "bad.toml"
    bad.write_text("schema_version = 1\n[project]\nname = 3\n")
    task = window.files.open_path(bad, ask=False)
    assert wait_for_task(task) == "failed"
    assert len(critical_messages) == 2 and str(bad) in critical_messages[1][1]
    assert window.project is project and list(project.layers) == layers

    # several files, one broken: the good one is added, the broken one is named
    task = window.files.add_paths([broken, WGS84_DEM])
    assert wait_for_task(task) == "finished"
    assert len(project.layers) == len(layers) + 1
    assert project.layers[-1].source == WGS84_DEM.resolve()
    title, text = critical_messages[2]
    assert title == "Could not add 1 of 2 files" and text.startswith(str(broken))


def test_cancelling_a_load_changes_nothing(main_window) -> None:
    window = main_window
    project = window.project
    layers = list(project.layers)
    task = window.files.add_paths([WGS84_DEM])
    assert task is not None and task.dialog is not None
    assert not window.add_data_action.isEnabled()  # one load at a time
    task.dialog.canceled.emit()  # what the dialog's Cancel button does
    assert wait_for_task(task) == "cancelled"
    assert window.project is project and list(project.layers) == layers
    assert not window.is_dirty
    assert window.add_data_action.isEnabled()

    # cancelling an Open keeps the current project too
    task = window.files.open_path(DEMO_DEM, ask=False)
    task.cancel()
    assert wait_for_task(task) == "cancelled"
    assert window.project is project


def _drop(target, paths: list[Path]) -> None:  # noqa: ANN001 - a widget
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = QPointF(target.width() / 2, target.height() / 2)
    enter = QDragEnterEvent(
        pos.toPoint(),  # Qt's QDragEnterEvent takes a QPoint (PySide6 < 6.12 insists)
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        pos,
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(target, drop)
    assert drop.isAccepted()
    process_events(0.02)


def test_drag_and_drop_adds_dems_opens_projects_and_rejects_others(
    main_window, tmp_path: Path, critical_messages: list
) -> None:
    window = main_window
    project = window.project
    demo_layers = len(project.layers)
    _drop(window, [DEMO_DEM])
    wait_until(
        lambda: len(project.layers) == demo_layers + 1 and not window.loader.busy,
        what="the drop",
    )
    assert project.layers[-1].source == DEMO_DEM.resolve()

    # onto the layer tree too, as in QGIS
    _drop(window.layer_dock.tree.viewport(), [WGS84_DEM])
    wait_until(
        lambda: len(project.layers) == demo_layers + 2 and not window.loader.busy,
        what="the tree drop",
    )
    assert project.layers[-1].source == WGS84_DEM.resolve()

    notes = tmp_path / "notes.docx"
    notes.write_text("not data")
    _drop(window, [notes])
    assert len(critical_messages) == 1 and str(notes) in critical_messages[0][1]
    assert len(project.layers) == demo_layers + 2

    # a dropped project replaces the scene (after "save your changes?")
    import twinscape.ui.file_actions as file_actions
    from twinscape.io.loading import DEMO_SCENE
    from twinscape.ui.dialogs import SaveChoice

    asked: list[str] = []

    def ask(_parent, name):  # noqa: ANN001, ANN202
        asked.append(name)
        return SaveChoice.DISCARD

    original = file_actions.ask_save_changes
    file_actions.ask_save_changes = ask
    try:
        _drop(window, [DEMO_SCENE])
        wait_until(
            lambda: window.project is not project and not window.loader.busy,
            what="the dropped project",
        )
    finally:
        file_actions.ask_save_changes = original
    assert asked == [project.name]
    assert len(window.project.layers) == demo_layers
    assert window.project.path == DEMO_SCENE.resolve()


def test_unsaved_changes_are_asked_about(main_window, monkeypatch: pytest.MonkeyPatch) -> None:
    import twinscape.ui.file_actions as file_actions
    from twinscape.ui.dialogs import SaveChoice

    window = main_window
    project = window.project
    project.layers[0].style.colormap = "sand"
    monkeypatch.setattr(file_actions, "ask_save_changes", lambda *a: SaveChoice.CANCEL)
    window.new_action.trigger()
    assert window.project is project  # Cancel keeps everything
    assert not window.close() and window.isVisible()

    monkeypatch.setattr(file_actions, "ask_save_changes", lambda *a: SaveChoice.DISCARD)
    window.new_action.trigger()
    assert window.project is not project and len(window.project.layers) == 0
    assert window.windowTitle() == "Untitled \u2014 Twinscape"
    assert window.layer_dock.tree.topLevelItemCount() == 0
    assert window.bookmarks_dock.list.count() == 0


def test_screenshot_is_larger_than_the_view(
    main_window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from twinscape.ui.screenshot_dialog import ScreenshotDialog

    window = main_window

    def answer(dialog: ScreenshotDialog) -> QDialog.DialogCode:
        dialog.path_edit.setText(str(tmp_path / "view"))
        width, height = dialog.view_size
        dialog.select_size((2 * width, 2 * height))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ScreenshotDialog, "exec", answer)
    window.screenshot_action.trigger()
    out = tmp_path / "view.png"
    assert out.is_file()
    width, height = window.viewport.display_size()
    with Image.open(out) as image:
        assert image.size == (2 * width, 2 * height)
        pixels = np.asarray(image.convert("RGB"))
    assert is_warm(pixels[pixels.shape[0] // 3 :]).mean() > 0.3
    # the same view as on screen, at twice the pixels: halve it and compare
    on_screen = window.viewport.image().astype(float)
    halved = pixels.reshape(height, 2, width, 2, 3).mean(axis=(1, 3))
    assert np.abs(halved - on_screen).mean() < 8.0


def test_a_project_with_a_moved_dem_opens_with_that_layer_unloaded(
    make_main_window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[list[str]] = []
    monkeypatch.setattr(
        "twinscape.ui.file_actions.show_warnings", lambda _p, _t, warnings: shown.append(warnings)
    )
    demo = DEMO_DEM.parent.parent.parent / "scenes" / "deadsea_demo.toml"
    text = demo.read_text() + (
        '\n[[layers]]\nkind = "terrain"\nname = "Survey (moved)"\nsource = "gone/survey.tif"\n'
    )
    text = text.replace("../assets/", str(DEMO_DEM.parent.parent) + "/")
    path = tmp_path / "moved.toml"
    path.write_text(text)
    window = make_main_window(path)
    project = window.project
    assert project.path == path
    loaded, *others, moved = project.layers
    assert loaded.grid is not None and all(layer.loaded for layer in others)
    assert moved.grid is None
    assert shown and "'Survey (moved)' is not loaded" in shown[0][0]
    assert "gone/survey.tif: file does not exist" in shown[0][0]
    # the layer keeps its place in the tree and survives a save
    assert window.files.save_to(path)
    assert "gone/survey.tif" in path.read_text()


def test_a_dem_without_crs_asks_which_crs_it_is_in(
    main_window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, critical_messages: list
) -> None:
    import rasterio

    window = main_window
    project = window.project
    with rasterio.open(DEMO_DEM) as src:  # a crop of the demo, its CRS stripped
        window_ = rasterio.windows.Window(400, 500, 200, 150)
        values = src.read(1, window=window_)
        transform = src.window_transform(window_)
    bare = tmp_path / "survey_no_crs.tif"
    with rasterio.open(
        bare, "w", driver="GTiff", width=200, height=150, count=1, dtype=values.dtype,
        transform=transform, nodata=-32767,
    ) as dst:  # fmt: skip
        dst.write(values, 1)

    asked: list[str] = []

    def answer(_parent, _title, label, **kwargs):  # noqa: ANN001, ANN003, ANN202
        asked.append(label)
        return (kwargs.get("text") or "", True)  # accept the suggestion: the project CRS

    monkeypatch.setattr(QInputDialog, "getText", staticmethod(answer))
    demo_layers = len(project.layers)
    task = window.files.add_paths([bare])
    assert wait_for_task(task) == "failed"
    assert asked and "survey_no_crs.tif" in asked[0] and not critical_messages
    wait_until(
        lambda: len(project.layers) == demo_layers + 1, 30, "the DEM added with the assumed CRS"
    )
    wait_until(lambda: not window.loader.busy, 30, "the loader to finish")
    added = project.layers[-1]
    assert added.assume_crs == "EPSG:32636" and added.grid is not None
    assert added.grid.bounds == pytest.approx(
        (transform.c, transform.f - 150 * 90, transform.c + 200 * 90, transform.f)
    )

    # declining leaves the project as it was
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("", False)))
    task = window.files.add_paths([bare])
    assert wait_for_task(task) == "failed"
    process_events(0.2)
    assert len(project.layers) == demo_layers + 1 and not critical_messages
    assert not window.loader.busy
