"""Placing infrastructure in a real window: clicks, keys, drags, undo/redo, save, export."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog

from twinscape.geo.ground import ground_grids
from twinscape.io.project_file import save_project
from twinscape.model.placed import PlacedAssetsLayer
from twinscape.render.ground_pick import ray_to_ground, world_to_display
from twinscape.ui.placement_dock import PlacementDock
from twinscape.ui.profile_dock import ProfileDock

from ui_helpers import process_events, settle, wait_until

pytestmark = pytest.mark.gui


def _qt_pos(window, x: float, y: float) -> QPoint:  # noqa: ANN001
    widget = window.viewport.plotter
    ratio = widget.devicePixelRatioF()
    return QPoint(int(round(x / ratio)), int(round(widget.height() - 1 - y / ratio)))


def _click(window, x: float, y: float, button=Qt.MouseButton.LeftButton) -> None:  # noqa: ANN001
    QTest.mouseClick(
        window.viewport.plotter, button, Qt.KeyboardModifier.NoModifier, _qt_pos(window, x, y)
    )
    process_events(0.05)


def _ground(window, x: float, y: float) -> tuple[float, float]:  # noqa: ANN001
    scene = window.viewport.scene
    hit = ray_to_ground(
        scene.renderer,
        scene.origin,
        ground_grids(window.project.layers),
        x,
        y,
        exaggeration=scene.ground_exaggeration(),
    )
    assert hit is not None, f"no ground under pixel {x}, {y}"
    return hit[0], hit[1]


def _pixels(window, fractions) -> list[tuple[int, int]]:  # noqa: ANN001
    w, h = window.viewport.display_size()
    return [(int(w * fx), int(h * fy)) for fx, fy in fractions]


def _layer(window) -> PlacedAssetsLayer:  # noqa: ANN001
    [layer] = [layer for layer in window.project.layers if isinstance(layer, PlacedAssetsLayer)]
    return layer


def test_place_four_kinds_by_clicks_then_undo_redo_drag_save_reopen_export(
    make_main_window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_main_window()
    settle(window)
    dock = window.findChild(PlacementDock)
    tool = window.services["placement"]
    assert dock is not None and dock.catalogue_tree.topLevelItemCount() == 3  # points/lines/areas

    # a tower: one click
    tower_px = _pixels(window, [(0.45, 0.45)])[0]
    tool.start("telecom_tower")
    _click(window, *tower_px)
    layer = _layer(window)
    assert [a.entry for a in layer.assets] == ["telecom_tower"]
    expected = _ground(window, *tower_px)
    assert np.allclose(layer.assets[0].coords[0], expected, atol=1.0)

    # a road: three clicks and Enter; the mouse resting on the vertex just clicked adds
    # no zero-length segment to the preview's checks
    tool.start("road")
    road_px = _pixels(window, [(0.30, 0.35), (0.40, 0.40), (0.50, 0.38)])
    said: list[str] = []
    tool.message.connect(said.append)
    for x, y in road_px:
        _click(window, x, y)
        QTest.mouseMove(window.viewport.plotter, _qt_pos(window, x, y))
        process_events(0.15)  # the preview's timer
    tool.message.disconnect(said.append)
    assert said and not [m for m in said if "no length" in m], said
    QTest.keyClick(window.viewport.plotter, Qt.Key.Key_Return)
    process_events(0.05)
    # a railway: two clicks and a right click
    tool.start("railway")
    for x, y in _pixels(window, [(0.55, 0.30), (0.65, 0.35)]):
        _click(window, x, y)
    _click(window, *_pixels(window, [(0.65, 0.35)])[0], Qt.MouseButton.RightButton)
    # a solar farm: four clicks and the Finish button
    tool.start("solar_farm")
    for x, y in _pixels(window, [(0.60, 0.55), (0.70, 0.55), (0.70, 0.65), (0.60, 0.65)]):
        _click(window, x, y)
    dock.finish_button.click()
    process_events(0.1)
    assert tool.placing  # ready for the next solar farm, as a GIS digitizing tool stays
    QTest.keyClick(window.viewport.plotter, Qt.Key.Key_Escape)
    assert not tool.placing
    assert [a.entry for a in layer.assets] == ["telecom_tower", "road", "railway", "solar_farm"]
    assert [len(a.coords) for a in layer.assets] == [1, 3, 2, 4]
    road = layer.assets[1]
    for (x, y), vertex in zip(road_px, road.coords, strict=True):
        assert np.allclose(vertex, _ground(window, x, y), atol=1.0)
    placed = layer.assets
    summary = dock.issues_box.summary.text()
    assert "4 asset(s)" in summary

    # Ctrl+Z four times (the keyboard), then Edit > Redo four times
    window.activateWindow()
    window.viewport.plotter.setFocus()
    wait_until(lambda: QApplication.activeWindow() is window, 5, "the window to be active")
    for _ in range(4):
        QTest.keyClick(window.viewport.plotter, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        process_events(0.02)
    assert layer.assets == ()
    assert window.undo.undo_action.isEnabled() is False
    for _ in range(4):
        window.undo.redo_action.trigger()
    assert layer.assets == placed

    # drag the tower 10 % of the view to the right; undo puts it back
    tool.editor.select(layer, placed[0].id)
    settle(window)
    start = world_to_display(
        window.viewport.scene.renderer,
        window.viewport.scene.origin,
        np.array([[*placed[0].coords[0], _tower_base(layer)]]),
        exaggeration=window.viewport.scene.ground_exaggeration(),
    )[0]
    w, _h = window.viewport.display_size()
    target = (start[0] + 0.1 * w, start[1])
    plotter = window.viewport.plotter
    QTest.mousePress(
        plotter, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, _qt_pos(window, *start)
    )
    for step in np.linspace(0, 1, 6)[1:]:
        QTest.mouseMove(plotter, _qt_pos(window, start[0] + step * 0.1 * w, start[1]))
        process_events(0.02)
    QTest.mouseRelease(
        plotter, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, _qt_pos(window, *target)
    )
    process_events(0.05)
    moved = layer.assets[0]
    assert moved.id == placed[0].id and moved.coords != placed[0].coords
    shift = np.subtract(_ground(window, *target), _ground(window, *start))
    assert np.allclose(np.subtract(moved.coords[0], placed[0].coords[0]), shift, atol=1.0)
    window.undo.undo()
    assert layer.assets[0] == placed[0]

    # the Profile button charts the selected road; the dock then follows the selection
    profile_dock = window.findChild(ProfileDock)
    assert not profile_dock.isVisible()
    tool.editor.select(layer, placed[1].id)
    dock.profile_button.click()
    assert profile_dock.isVisible() and profile_dock.profile is not None
    assert profile_dock.profile.length == pytest.approx(_length(placed[1].coords), rel=1e-6)

    # save, reopen in another window: the same assets
    path = tmp_path / "placed.toml"
    save_project(window.project, path)
    reopened = make_main_window(path)
    assert _layer(reopened).assets == placed

    # export through the dock (file and CRS dialogs answered) and read back with geopandas
    out = tmp_path / "assets.gpkg"
    monkeypatch.setattr(
        QFileDialog,
        "getSaveFileName",
        staticmethod(lambda *a, **k: (str(out), "GeoPackage (*.gpkg)")),
    )
    monkeypatch.setattr(
        QInputDialog, "getItem", staticmethod(lambda _p, _t, _l, items, *a, **k: (items[1], True))
    )
    dock.issues_box.export_dialog()
    frame = gpd.read_file(out)
    assert frame.crs.to_epsg() == 4326
    assert list(frame["twinscape_entry"]) == ["telecom_tower", "road", "railway", "solar_farm"]
    assert list(frame.geometry.geom_type) == ["Point", "LineString", "LineString", "Polygon"]
    lon, lat = frame.geometry.iloc[0].x, frame.geometry.iloc[0].y
    assert 34.5 < lon < 36.5 and 30.5 < lat < 32.5  # the Dead Sea demo


def _tower_base(layer: PlacedAssetsLayer) -> float:
    from twinscape.render.ground_pick import ground_z

    x, y = layer.assets[0].coords[0]
    return float(ground_z(layer.ground, np.array([x]), np.array([y]))[0]) + 5.0


def _length(coords) -> float:  # noqa: ANN001
    xy = np.asarray(coords)
    return float(np.hypot(*np.diff(xy, axis=0).T).sum())


def test_escape_cancels_and_typed_coordinates_place(main_window) -> None:
    window = main_window
    dock = window.findChild(PlacementDock)
    tool = window.services["placement"]
    tool.start("road")
    _click(window, *_pixels(window, [(0.4, 0.4)])[0])
    assert len(tool.vertices) == 1
    QTest.keyClick(window.viewport.plotter, Qt.Key.Key_Escape)
    assert not tool.placing and tool.vertices == []
    # typed coordinates: a wind turbine at the middle of the terrain
    grid = ground_grids(window.project.layers)[0]
    xmin, ymin, xmax, ymax = grid.bounds
    x, y = (xmin + xmax) / 2, (ymin + ymax) / 2
    tool.start("wind_turbine")
    dock.x_edit.setText(f"{x:.1f}")
    dock.y_edit.setText(f"{y:.1f}")
    dock.add_vertex_button.click()
    layer = _layer(window)
    assert layer.assets[-1].entry == "wind_turbine"
    assert layer.assets[-1].coords[0] == pytest.approx((round(x, 1), round(y, 1)))
    # the inspector lists the asset and its assessment once it is identified
    attributes = layer.identify(len(layer.assets) - 1, (x, y, 0.0))
    assert attributes["type"] == "Wind turbine" and attributes["status"] in ("ok", "warn", "fail")


def test_double_clicking_an_issue_selects_its_asset_as_a_click_does(main_window) -> None:
    from twinscape.io.catalogue import load_catalogue
    from twinscape.model.placed import PlacedAsset

    window = main_window
    dock = window.findChild(PlacementDock)
    grid = next(la.grid for la in window.project.layers if la.provides_ground)
    x0, y0, x1, y1 = grid.bounds
    x, y = (x0 + x1) / 2, (y0 + y1) / 2
    layer = PlacedAssetsLayer(
        name="plan", catalogue=load_catalogue(), ground=ground_grids(window.project.layers),
        assets=(PlacedAsset("telecom_tower", ((x, y),), id="t1"),
                PlacedAsset("road", ((x, y), (x, y), (x + 500.0, y)), id="r1")),
    )  # fmt: skip
    window.project.layers.append(layer)
    process_events(0.2)
    dock.issues_box.refresh()
    issues = dock.issues_box.issues
    [item] = [issues.topLevelItem(i) for i in range(issues.topLevelItemCount())
              if "no length" in issues.topLevelItem(i).text(2)]  # fmt: skip
    issues.itemDoubleClicked.emit(item, 0)
    process_events(0.1)
    assert window.inspector_dock.title.text() == f"plan: {layer.feature_label(1)}"
    assert window.services["placement"].editor.selected == (layer, "r1")
    assert window.services["analysis"].selected == (layer.id, "r1")


def test_a_road_typed_through_the_demo_town_is_reported_crossing_its_buildings(
    main_window,  # noqa: ANN001
) -> None:
    from twinscape.model.buildings import BuildingsLayer

    window = main_window
    dock = window.findChild(PlacementDock)
    tool = window.services["placement"]
    [town] = [layer for layer in window.project.layers if isinstance(layer, BuildingsLayer)]
    assert town.mesh is not None
    centre = town.mesh.footprints[0].centroid  # a retail block of the planned town
    said: list[str] = []
    tool.message.connect(said.append)
    tool.start("road")
    for x in (centre.x - 60.0, centre.x + 60.0):
        dock.x_edit.setText(f"{x:.1f}")
        dock.y_edit.setText(f"{centre.y:.1f}")
        dock.add_vertex_button.click()
    dock.finish_button.click()
    QTest.keyClick(window.viewport.plotter, Qt.Key.Key_Escape)
    tool.message.disconnect(said.append)
    layer = _layer(window)
    assert layer.obstacles == (town.occupied_ground(),)

    def listed() -> list[tuple[str, str, str]]:
        dock.issues_box.refresh()
        issues = dock.issues_box.issues
        return [tuple(issues.topLevelItem(i).text(c) for c in range(3))
                for i in range(issues.topLevelItemCount())]  # fmt: skip

    crossing = [row for row in listed() if row[2].startswith("crosses ")]
    assert len(crossing) == 1, listed()
    label, status, text = crossing[0]
    assert label == layer.feature_label(0) and status == "fail"
    assert f"of layer {town.name!r}: 1" in text  # building 1 is the first one named
    assert any("crosses" in message for message in said), said
    assert "1 invalid" in dock.issues_box.summary.text()

    # the town removed from the project, the road no longer runs into anything
    window.layer_dock.select_layer(town)
    window.layer_dock.remove_current()
    process_events(0.2)
    assert town not in window.project.layers and layer.obstacles == ()
    assert not [row for row in listed() if row[2].startswith("crosses ")]
