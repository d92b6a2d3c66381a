"""The main window on the demo scene: picture, layer tree, status bar, bookmarks, title."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox

from ui_helpers import is_warm, near_background, process_events, settle, wait_until

pytestmark = pytest.mark.gui


def test_demo_scene_opens_with_terrain_in_the_view(demo_window) -> None:
    window = demo_window
    project = window.project
    assert project.name and project.crs == "EPSG:32636"
    kinds = [layer.kind for layer in project.layers]
    assert kinds == ["terrain", "buildings", "sensors", "sensor_surface"]
    assert project.layers[0].grid is not None and all(layer.loaded for layer in project.layers)
    assert project.layers[1].mesh.count == 350 and project.layers[2].data.count == 12
    assert window.windowTitle() == f"{project.name} \u2014 Twinscape"
    assert not window.is_dirty

    image = settle(window)
    h, w, _ = image.shape
    assert (h, w) == window.viewport.display_size()[::-1]
    centre = image[int(h * 0.3) : int(h * 0.7), int(w * 0.3) : int(w * 0.7)]
    assert is_warm(centre).mean() > 0.3, "the centre of the view should be sand and rock"
    assert not near_background(window, image[h // 2, w // 2], tolerance=12)
    for corner in (image[2, 2], image[2, w - 3]):
        assert near_background(window, corner), f"top corner {corner} is not sky"
        assert not is_warm(corner[None, :])[0]


def test_unchecking_the_layer_hides_the_terrain(demo_window) -> None:
    window = demo_window
    layer = window.project.layers[0]
    item = window.layer_dock.item_for(layer)
    assert item.checkState(0) == Qt.CheckState.Checked

    item.setCheckState(0, Qt.CheckState.Unchecked)  # what a click on the box does
    try:
        assert layer.visible is False
        image = settle(window)
        h, w, _ = image.shape
        assert near_background(window, image[h // 5, w // 10])  # mountains gone: sky
        assert near_background(window, image[h - 3, 2])  # the valley floor too
        # Only the sunlit building walls are left: the camera keeps its real place as the
        # town drops to exaggeration 1 with the ground gone, and sees more of its walls.
        assert is_warm(image).mean() < 0.02
    finally:
        item.setCheckState(0, Qt.CheckState.Checked)
    assert layer.visible is True
    image = settle(window)
    assert is_warm(image[image.shape[0] // 3 :]).mean() > 0.3


def test_model_changes_show_in_the_tree_and_mark_the_project_modified(demo_window) -> None:
    window = demo_window
    layer = window.project.layers[0]
    name = layer.name
    layer.visible = False
    layer.name = "Renamed by a script"
    try:
        item = window.layer_dock.item_for(layer)
        assert item.text(0) == "Renamed by a script"
        assert item.checkState(0) == Qt.CheckState.Unchecked
        assert window.is_dirty
        assert window.windowTitle() == f"{window.project.name}* \u2014 Twinscape"
    finally:
        layer.name, layer.visible = name, True
        window.mark_clean()
    assert window.windowTitle() == f"{window.project.name} \u2014 Twinscape"


def test_status_bar_reads_position_lonlat_and_dem_elevation(demo_window) -> None:
    window = demo_window
    window.viewport.zoom_to_all()
    settle(window)
    view = window.viewport.plotter
    status = window.status
    # a real mouse move over the centre of the 3D view goes through the event filter
    centre = QPointF(view.width() / 2, view.height() / 2)
    move = QMouseEvent(
        QEvent.Type.MouseMove,
        centre,
        view.mapToGlobal(centre),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(view, move)
    wait_until(lambda: "m (EPSG:32636)" in status.position_label.text(), 5, "the readout")

    text = status.readout()
    match = re.search(r"elev (\u2212?[\d ]+\.\d) m", text)
    assert match, text
    elevation = float(match.group(1).replace("\u2212", "-").replace(" ", ""))
    assert -430.0 <= elevation <= 1300.0
    assert re.search(r"E [\d ]+\.\d  N [\d ]+\.\d m \(EPSG:32636\)", text), text
    lat_lon = re.search(r"(\d+\.\d{4})\u00b0 N, (\d+\.\d{4})\u00b0 E", text)
    assert lat_lon, text
    assert 30.9 < float(lat_lon.group(1)) < 32.1 and 34.9 < float(lat_lon.group(2)) < 36.1
    assert "EPSG:32636" in status.crs_button.text()

    # the DEM value, not the mesh: the readout matches sampling the grid at the picked point
    from twinscape.geo.sampling import sample_elevation

    w, h = window.viewport.display_size()
    point = window.viewport.pick_world(w // 2, h // 2)
    assert point is not None
    expected = sample_elevation(window.project.layers[0].grid, point[0], point[1])
    status.update_at(w // 2, h // 2)
    assert status.elevation_label.text() == f"elev {expected:,.1f} m".replace(",", " ").replace(
        "-", "\u2212"
    )

    # background: the top-left corner of the view shows sky
    status.update_at(2, h - 3)
    assert status.readout() == "E \u2014  N \u2014 | \u2014 | elev \u2014"


def test_throttled_hover_updates_once(demo_window) -> None:
    status = demo_window.status
    calls: list[tuple[int, int]] = []
    original = status.update_at
    status.update_at = lambda x, y: calls.append((x, y))  # type: ignore[method-assign]
    try:
        for x in range(100, 140):
            status.hover_display(x, 300)
        process_events(0.1)
    finally:
        status.update_at = original  # type: ignore[method-assign]
    assert calls == [(139, 300)]


def test_bookmarks_add_and_restore(demo_window, monkeypatch: pytest.MonkeyPatch) -> None:
    window = demo_window
    dock = window.bookmarks_dock
    marks = window.project.bookmarks
    count = len(marks)
    asked: list[str] = []

    def get_text(_parent, _title, _label, _mode, default):  # noqa: ANN001, ANN202
        asked.append(default)
        return "Test view", True

    monkeypatch.setattr(QInputDialog, "getText", staticmethod(get_text))
    warnings: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "warning", staticmethod(lambda _p, _t, text, *a, **k: warnings.append(text))
    )
    window.viewport.zoom_to_all()
    before = window.viewport.current_view()
    window.bookmark_action.trigger()
    try:
        assert asked == [f"View {count + 1}"]
        assert len(marks) == count + 1 and marks[-1].name == "Test view"
        assert dock.list.count() == count + 1 and dock.list.item(count).text() == "Test view"
        assert np.allclose(marks[-1].view.position, before.position)
        assert window.is_dirty

        # fly somewhere else, then restore with a double-click
        window.viewport.apply_view(marks[0].view)
        assert not np.allclose(window.viewport.current_view().position, before.position)
        dock.list.setCurrentRow(count)
        dock.list.itemDoubleClicked.emit(dock.list.item(count))
        after = window.viewport.current_view()
        assert np.allclose(after.position, before.position, atol=1e-3)
        assert np.allclose(after.focal_point, before.focal_point, atol=1e-3)

        # rename in place, then delete
        dock.list.item(count).setText("Renamed view")
        assert marks[-1].name == "Renamed view"
        dock.list.item(count).setText(marks[0].name)  # a clash is refused
        assert marks[-1].name == "Renamed view"
        assert len(warnings) == 1 and marks[0].name in warnings[0]
        assert dock.list.item(count).text() == "Renamed view"
    finally:
        dock.list.setCurrentRow(count)
        dock.delete_action.trigger()
        window.mark_clean()
    assert len(marks) == count and dock.list.count() == count


def test_bookmarks_menu_lists_the_project_bookmarks(demo_window) -> None:
    window = demo_window
    window.bookmarks_menu.aboutToShow.emit()
    texts = [a.text() for a in window.bookmarks_menu.actions() if a.text()]
    for mark in window.project.bookmarks:
        assert mark.name in texts
    target = window.project.bookmarks[0]
    action = next(a for a in window.bookmarks_menu.actions() if a.text() == target.name)
    action.trigger()
    assert np.allclose(window.viewport.current_view().position, target.view.position, atol=1e-3)


def test_terrain_controls_follow_and_drive_the_model(demo_window) -> None:
    window = demo_window
    layer = window.project.layers[0]
    window.layer_dock.select_layer(layer)
    controls = window.styling_dock.controls
    assert controls is not None and controls.layer is layer
    style = layer.style
    saved = {
        name: getattr(style, name)
        for name in ("colormap", "hillshade", "sun_azimuth", "vertical_exaggeration", "sea_level")
    }
    saved_opacity = layer.opacity
    try:
        # the panel shows what the project file says
        assert controls.colormap.currentData() == style.colormap
        assert controls.exaggeration.value() == pytest.approx(style.vertical_exaggeration)
        assert controls.hillshade.isChecked() == style.hillshade
        assert controls.sea_level.value() == pytest.approx(style.sea_level)

        # widgets write to the model
        controls.colormap.setCurrentIndex(controls.colormap.findData("mountain"))
        assert style.colormap == "mountain"
        controls.exaggeration.setValue(3.5)
        assert style.vertical_exaggeration == pytest.approx(3.5)
        controls.hillshade.setChecked(False)
        assert style.hillshade is False
        controls.sea_level.setValue(-300.0)
        assert style.sea_level == pytest.approx(-300.0)
        controls.opacity.slider.setValue(40)
        assert layer.opacity == pytest.approx(0.4)
        settle(window)  # the scene re-renders without errors

        # the model writes to the widgets
        style.sun_azimuth = 90.0
        assert controls.sun_azimuth.value() == 90
        style.colormap = "gray"
        assert controls.colormap.currentData() == "gray"
        for value in (20.0, 0.05):  # the whole range a project file may hold
            style.vertical_exaggeration = value
            assert controls.exaggeration.value() == pytest.approx(value)
        layer.opacity = 0.75
        assert controls.opacity.slider.value() == 75
        assert window.is_dirty
    finally:
        for name, value in saved.items():
            setattr(style, name, value)
        layer.opacity = saved_opacity
        window.mark_clean()
    assert controls.exaggeration.value() == pytest.approx(saved["vertical_exaggeration"])
    assert math.isclose(controls.opacity.fraction(), saved_opacity)


def test_letter_keys_do_not_trigger_vtk_debug_modes(demo_window) -> None:
    """VTK's 'w' (wireframe), '3' (stereo), 'r' (reset camera), 'q'/'e' (exit) are off."""
    from PySide6.QtTest import QTest

    window = demo_window
    view = window.viewport.plotter
    before = window.viewport.current_view()
    for key in "w3rqe":
        QTest.keyClick(view, key)
    process_events(0.05)
    assert window.isVisible()
    assert not view.render_window.GetStereoRender()
    assert window.viewport.current_view() == before
    for actor in view.renderer.GetActors():
        assert actor.GetProperty().GetRepresentation() == 2  # surface


def test_window_layout_and_actions(demo_window) -> None:
    window = demo_window
    shortcuts = {
        window.new_action: "Ctrl+N",
        window.open_action: "Ctrl+O",
        window.save_action: "Ctrl+S",
        window.save_as_action: "Ctrl+Shift+S",
        window.add_data_action: "Ctrl+Shift+A",
        window.zoom_all_action: "Home",
        window.undo.undo_action: "Ctrl+Z",
        window.undo.redo_action: "Ctrl+Shift+Z",
    }
    for action, key in shortcuts.items():
        assert action.shortcut().toString() == key, action.text()
    titles = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert titles[:4] == ["File", "Edit", "View", "Bookmarks"]
    assert titles[-1] == "Help"
    for dock in (window.layer_dock, window.styling_dock, window.bookmarks_dock):
        assert dock.isVisible()
        dock.toggleViewAction().trigger()
        assert not dock.isVisible()
        dock.toggleViewAction().trigger()
        assert dock.isVisible()


def test_a_new_colour_ramp_is_computed_in_the_background_then_shown(
    demo_window, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from twinscape.render import recolour

    def slow(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - as slow as a 4096^2 DEM
        time.sleep(0.5)
        return original(*args, **kwargs)

    original = recolour.colour_pyramid
    monkeypatch.setattr(recolour, "colour_pyramid", slow)
    window = demo_window
    layer = window.project.layers[0]
    window.layer_dock.select_layer(layer)
    settle(window)
    controls = window.styling_dock.controls
    assert controls is not None

    def on_screen() -> np.ndarray:  # what the window shows now, without rendering again
        return np.asarray(window.viewport.plotter.screenshot(return_img=True))[..., :3]

    def centre_is_warm() -> float:  # the mountains behind the town: terrain only
        image = on_screen()
        h, w = image.shape[:2]
        return float(is_warm(image[h // 6 : h // 3, w // 6 : w // 3]).mean())

    assert centre_is_warm() > 0.5
    started = time.monotonic()
    controls.colormap.setCurrentIndex(controls.colormap.findData("gray"))
    assert layer.style.colormap == "gray"
    assert time.monotonic() - started < 0.45, "the GUI thread waited for the colours"
    wait_until(lambda: centre_is_warm() < 0.05, 30, "the grey ramp on screen")
    controls.colormap.setCurrentIndex(controls.colormap.findData("desert"))
    wait_until(lambda: centre_is_warm() > 0.5, 30, "the desert ramp back on screen")
    window.mark_clean()
