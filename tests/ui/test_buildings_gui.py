"""Buildings in a real window: identify on click, hover, styling panel, save and reopen."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from twinscape.model.buildings import BuildingsLayer
from twinscape.render.building_colors import HIGHLIGHT

from ui_helpers import process_events, settle, wait_for_task, wait_until

pytestmark = pytest.mark.gui

HELSINKI = Path(__file__).resolve().parents[1] / "data" / "buildings_helsinki_osm.gpkg"


def _buildings(window) -> BuildingsLayer:  # noqa: ANN001
    [layer] = [layer for layer in window.project.layers if isinstance(layer, BuildingsLayer)]
    return layer


def _roof_pixel(window, layer: BuildingsLayer, row: int) -> tuple[int, int]:  # noqa: ANN001
    """VTK display pixel (origin bottom-left) of the middle of building ``row``'s roof."""
    scene = window.viewport.scene
    mesh = layer.mesh
    centre = mesh.footprints[row].representative_point()
    top = layer.base[row] + float(mesh.table["height"].iloc[row])
    ren = scene.renderer
    x, y, z = scene.origin.point_to_render((centre.x, centre.y, top))
    ren.SetWorldPoint(x, y, z * scene.ground_exaggeration(), 1.0)
    ren.WorldToDisplay()
    dx, dy, _ = ren.GetDisplayPoint()
    return int(round(dx)), int(round(dy))


def _click(window, x: int, y: int) -> None:  # noqa: ANN001
    """A real left click on the 3D view at VTK display pixel (x, y)."""
    widget = window.viewport.plotter
    ratio = widget.devicePixelRatioF()
    pos = QPoint(int(round(x / ratio)), int(round(widget.height() - 1 - y / ratio)))
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
    process_events(0.1)


def _tallest_in_view(window, layer: BuildingsLayer) -> tuple[int, tuple[int, int]]:  # noqa: ANN001
    w, h = window.viewport.display_size()
    heights = layer.mesh.table["height"].to_numpy()
    for row in np.argsort(-heights):
        x, y = _roof_pixel(window, layer, int(row))
        if 10 < x < w - 10 and 10 < y < h - 10:
            return int(row), (x, y)
    raise AssertionError("no building in the view")


def test_clicking_a_building_highlights_it_and_lists_its_attributes(main_window) -> None:
    window = main_window
    layer = _buildings(window)
    settle(window)
    row, (x, y) = _tallest_in_view(window, layer)
    _click(window, x, y)
    inspector = window.inspector_dock
    record = layer.mesh.table.iloc[row]
    assert str(record["building_id"]) in inspector.title.text()
    assert float(inspector.value("height (m)")) == pytest.approx(record["height"], abs=0.01)
    assert inspector.value("height source") == record["height_source"]
    assert float(inspector.value("base elevation (m)")) == pytest.approx(layer.base[row], abs=0.01)
    assert float(inspector.value("footprint area (m²)")) == pytest.approx(
        layer.mesh.footprints[row].area, rel=1e-3
    )
    assert inspector.value("building") == str(record["building"])  # a source attribute
    image = settle(window)
    h = image.shape[0]
    pixel = image[h - 1 - y, x].astype(int)
    assert np.abs(pixel - np.array(HIGHLIGHT)).max() < 60, f"{pixel} is not the highlight"

    # hovering names the building in the status bar
    window.status.update_at(x, y)
    assert window.status.feature_label.text() == f"building {record['building_id']}"

    # the terrain: the point and its elevation, and the highlight is cleared
    w, h = window.viewport.display_size()
    _click(window, w // 2, h // 6)
    assert inspector.title.text() == window.project.layers[0].name
    assert -430 < float(inspector.value("ground elevation (m)").replace(" ", "")) < 1300
    pixel = settle(window)[h - 1 - y, x].astype(int)
    assert np.abs(pixel - np.array(HIGHLIGHT)).max() > 60


def test_styling_by_height_survives_save_close_and_reopen(
    make_main_window, tmp_path: Path
) -> None:
    window = make_main_window()
    layer = _buildings(window)
    window.layer_dock.select_layer(layer)
    controls = window.styling_dock.controls
    assert controls is not None and controls.legend.text().count("<tr>") == 2  # roofs, walls
    assert "124 height from levels" in controls.info.text()
    controls.column.setCurrentIndex(controls.column.findData("height"))
    controls.mode.setCurrentIndex(controls.mode.findData("graduated"))
    controls.classes.setValue(4)
    assert layer.style.color_mode == "graduated" and layer.style.color_by == "height"
    assert controls.legend.text().count("<tr>") == 4 and "\u2013" in controls.legend.text()
    controls.column.setCurrentIndex(controls.column.findData("use"))  # text: categorised
    assert (layer.style.color_mode, layer.style.color_by) == ("categorised", "use")
    assert controls.mode.currentData() == "categorised"
    assert str(layer.mesh.table["use"].mode()[0]) in controls.legend.text()
    controls.column.setCurrentIndex(controls.column.findData("height"))
    controls.mode.setCurrentIndex(controls.mode.findData("graduated"))
    assert layer.style.color_mode == "graduated" and layer.style.color_by == "height"
    before = settle(window)

    controls.storey.setValue(4.0)  # a height setting: the layer is read again
    wait_until(lambda: not window.loader.busy, 30, "the reload")
    process_events(0.1)
    levels = layer.mesh.table["height_source"] == "levels"
    assert levels.any()
    assert layer.mesh.table.loc[levels, "height"].min() >= 4.0
    after = settle(window)
    assert np.abs(after.astype(int) - before.astype(int)).max() > 30  # taller buildings

    path = tmp_path / "styled.toml"
    assert window.files.save_to(path)
    window.close()
    again = make_main_window(path)
    reread = _buildings(again)
    assert reread.loaded and reread.mesh.count == 350
    assert reread.style.color_mode == "graduated" and reread.style.color_by == "height"
    assert reread.style.classes == 4 and reread.storey_height == 4.0
    assert not again.is_dirty


def test_adding_buildings_in_another_crs_stands_them_on_z0(
    make_main_window, critical_messages: list
) -> None:
    window = make_main_window("")
    task = window.files.add_paths([HELSINKI])
    assert wait_for_task(task) == "finished", task.error
    layer = _buildings(window)
    assert window.project.crs == "EPSG:32635"  # the UTM zone of Helsinki
    assert layer.mesh.count == 479 and np.all(layer.base == 0.0)
    item = window.layer_dock.item_for(layer)
    assert "(Buildings)" in item.toolTip(0) and "479 buildings" in item.toolTip(0)
    assert not critical_messages
    image = settle(window)
    w, h = window.viewport.display_size()
    assert image.shape[:2] == (h, w)
    centre = image[h // 3 : 2 * h // 3, w // 3 : 2 * w // 3].astype(int)
    assert (np.abs(centre - centre[0, 0]).max(axis=2) > 30).mean() > 0.05  # buildings drawn


def test_a_broken_buildings_file_changes_nothing(
    main_window, tmp_path: Path, critical_messages: list
) -> None:
    window = main_window
    layers = list(window.project.layers)
    broken = tmp_path / "broken.gpkg"
    broken.write_bytes(HELSINKI.read_bytes()[:5000])
    task = window.files.add_paths([broken])
    assert wait_for_task(task) == "failed"
    assert list(window.project.layers) == layers
    [(title, text)] = critical_messages
    assert str(broken) in text and "\n" not in text


def test_removing_the_terrain_stands_the_buildings_on_their_own_base(main_window) -> None:
    window = main_window
    terrain = window.project.layers[0]
    layer = _buildings(window)
    assert layer.base.min() < -250  # on the Jordan valley floor
    window.layer_dock.select_layer(terrain)
    window.layer_dock.remove_current()
    process_events(0.1)
    assert terrain not in window.project.layers
    assert np.all(layer.base == 0.0)


def test_footprints_without_a_crs_ask_which_crs_they_are_in(
    main_window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, critical_messages: list
) -> None:
    import geopandas as gpd
    from PySide6.QtWidgets import QInputDialog
    from shapely.geometry import box

    window = main_window
    project = window.project
    town = _buildings(window)
    demo_layers = len(project.layers)
    x, y = town.mesh.footprints[0].centroid.coords[0]
    bare = tmp_path / "plan_no_crs.shp"  # a Shapefile without its .prj, as often shared
    frame = gpd.GeoDataFrame({"height": ["15 m"]}, geometry=[box(x + 300, y, x + 340, y + 30)])
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        frame.to_file(bare, engine="pyogrio")
    assert not bare.with_suffix(".prj").exists()
    asked: list[str] = []

    def answer(_parent, _title, label, **kwargs):  # noqa: ANN001, ANN003, ANN202
        asked.append(label)
        return (kwargs.get("text") or "", True)  # the suggestion: the project CRS

    monkeypatch.setattr(QInputDialog, "getText", staticmethod(answer))
    task = window.files.add_paths([bare])
    assert wait_for_task(task) == "failed"
    assert asked and "plan_no_crs.shp" in asked[0] and not critical_messages
    wait_until(
        lambda: len(project.layers) == demo_layers + 1 and not window.loader.busy, 30, "the retry"
    )
    added = project.layers[-1]
    assert isinstance(added, BuildingsLayer) and added.assume_crs == "EPSG:32636"
    assert added.mesh.count == 1 and added.mesh.table["height"].iloc[0] == pytest.approx(15.0)
    assert -300 < added.base[0] < -200  # on the valley floor, beside the town
