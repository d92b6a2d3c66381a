"""Analysis layers in the window: Add Analysis, the panel's legend and numbers, recomputation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QLabel

from ui_helpers import process_events, settle, wait_until

pytestmark = pytest.mark.gui

OUT = Path(__file__).resolve().parent / "out"


def _save(window, name: str) -> None:  # noqa: ANN001 - MainWindow
    OUT.mkdir(exist_ok=True)
    window.grab().save(str(OUT / f"{name}.png"))


def _green_fraction(image: np.ndarray) -> float:
    rgb = image[..., :3].astype(int)
    return float(np.mean((rgb[..., 1] > rgb[..., 0] + 40) & (rgb[..., 1] > rgb[..., 2] + 40)))


def test_add_slope_from_the_menu_shows_its_legend_and_range(demo_window) -> None:  # noqa: ANN001
    from twinscape.model.analysis import AnalysisLayer
    from twinscape.ui.analysis_controls import AnalysisControls

    window = demo_window
    service = window.services["analysis"]
    menu_titles = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert "Analysis" in menu_titles and menu_titles.index("Analysis") < menu_titles.index("Help")
    assert service.menu_action in window.layer_dock.toolbar.actions()
    before = settle(window)
    service.actions["slope"].trigger()
    process_events(0.1)
    [layer] = [la for la in window.project.layers if isinstance(la, AnalysisLayer)]
    try:
        assert layer.analysis == "slope" and window.project.layers[-1] is layer
        controls = window.styling_dock.controls
        assert isinstance(controls, AnalysisControls) and controls.layer is layer
        labels = [w.text() for w in controls.legend.findChildren(QLabel, "legendLabel")]
        assert len(labels) == 7 and labels[0] == "0\u20135\u00b0"
        assert labels[-1] == "45\u201390\u00b0"
        assert len(controls.legend.findChildren(QLabel, "legendSwatch")) == 7
        wait_until(lambda: "max_deg" in layer.summary, 60, "the slope result")
        process_events(0.4)
        assert "Slope 0.0.." in controls.result.text()
        wait_until(
            lambda: np.abs(settle(window).astype(int) - before.astype(int)).max() > 60,
            30, "the slope draped on the terrain",
        )  # fmt: skip
        controls.breaks.setText("0, 10, 30, 90")
        controls.breaks.editingFinished.emit()
        assert layer.breaks == (0.0, 10.0, 30.0, 90.0)
        process_events(0.1)
        labels = [w.text() for w in controls.legend.findChildren(QLabel, "legendLabel")]
        assert labels == ["0\u201310\u00b0", "10\u201330\u00b0", "30\u201390\u00b0"]
        controls.breaks.setText("0, 50, 10")
        controls.breaks.editingFinished.emit()
        assert layer.breaks == (0.0, 10.0, 30.0, 90.0), "bad breaks are refused"
        process_events(0.3)
        _save(window, "analysis_slope_window")
    finally:
        window.project.layers.remove(layer)
        process_events(0.1)


def test_a_viewshed_recomputes_when_its_radius_changes(demo_window) -> None:  # noqa: ANN001
    from twinscape.geo.sampling import sample_elevation
    from twinscape.model.analysis import AnalysisLayer
    from twinscape.ui.analysis_inputs import placed_observers

    window = demo_window
    service = window.services["analysis"]
    if not placed_observers(window.project):  # no tower to see from: say so, add nothing
        assert service.add_tower_viewshed() is None
        assert "Select a placed tower" in window.statusBar().currentMessage()
    service.actions["viewshed"].trigger()
    process_events(0.1)
    [layer] = [la for la in window.project.layers if isinstance(la, AnalysisLayer)]
    try:
        assert layer.analysis == "viewshed" and layer.observer is not None
        controls = window.styling_dock.controls
        labels = [w.text() for w in controls.legend.findChildren(QLabel, "legendLabel")]
        assert labels == ["Visible", "Hidden (within range)"]
        wait_until(lambda: "visible_km2" in layer.summary, 60, "the viewshed result")
        first = layer.summary["visible_km2"]
        assert controls.radius.value() == pytest.approx(20.0)
        controls.radius.setValue(5.0)
        assert layer.radius_m == pytest.approx(5_000.0)
        wait_until(lambda: layer.summary.get("visible_km2") != first, 60, "the recomputation")
        assert layer.summary["visible_km2"] < first
        assert layer.summary["visible_km2"] <= 1.05 * np.pi * 5.0**2  # whole cells
        process_events(0.4)
        assert "Visible area" in controls.result.text()
        wait_until(lambda: "Visible area" in window.layer_dock.item_for(layer).toolTip(0), 10,
                   "the tooltip with the visible area")  # fmt: skip
        x0 = controls.observer_x.value()
        controls.observer_x.setValue(x0 + 3_000.0)
        assert layer.observer[0] == pytest.approx(x0 + 3_000.0)
        grid = next(la.grid for la in window.project.layers if la.provides_ground)
        x, y = layer.observer
        window.fly_to((x, y, float(sample_elevation(grid, x, y))), radius=7_000.0)
        wait_until(lambda: _green_fraction(settle(window)) > 0.02, 60, "visible cells in green")
        process_events(0.5)  # the panel's result line follows within its poll interval
        assert "Computing" not in controls.result.text()
        _save(window, "analysis_viewshed_window")
    finally:
        window.project.layers.remove(layer)
        process_events(0.1)


def test_a_viewshed_from_a_tower_names_the_tower_in_its_panel(demo_window) -> None:  # noqa: ANN001
    from twinscape.model.analysis import AnalysisLayer
    from twinscape.model.catalogue import Catalogue, CatalogueEntry
    from twinscape.model.placed import PlacedAsset, PlacedAssetsLayer

    window = demo_window
    grid = next(la.grid for la in window.project.layers if la.provides_ground)
    x0, y0, x1, y1 = grid.bounds
    catalogue = Catalogue({
        "tower": CatalogueEntry("tower", "Telecom tower", "point", "tower",
                                params={"antenna_height_m": 40.0, "height_m": 45.0}),
    })  # fmt: skip
    towers = PlacedAssetsLayer(
        name="towers", catalogue=catalogue, ground=(),
        assets=(PlacedAsset("tower", (((x0 + x1) / 2, (y0 + y1) / 2),), id="t1"),),
    )  # fmt: skip
    # the observer as a project file gives it: an equal tuple, not the panel's own object
    view = AnalysisLayer(name="from the tower", analysis="viewshed",
                         observer_asset=tuple([towers.id, "t1"]), radius_m=2_000.0)  # fmt: skip
    window.project.layers.extend([towers, view])
    try:
        process_events(0.1)
        window.layer_dock.select_layer(view)
        process_events(0.1)
        source = window.styling_dock.controls.source
        assert source.currentText().startswith("towers: ")
        assert "(missing asset)" not in [source.itemText(i) for i in range(source.count())]
    finally:
        window.project.layers.remove(view)
        window.project.layers.remove(towers)
        process_events(0.1)


def test_a_viewshed_from_a_point_looks_from_the_view_then_from_the_click(demo_window) -> None:  # noqa: ANN001
    from twinscape.geo.ground import ground_grids
    from twinscape.model.analysis import AnalysisLayer
    from twinscape.render.ground_pick import ray_to_ground

    window = demo_window
    service = window.services["analysis"]
    service.clicked = None
    scene = window.viewport.scene
    width, height = window.viewport.display_size()
    added: list[AnalysisLayer] = []
    try:
        # nothing clicked: the ground at the centre of the view (a roof there is within
        # its parallax of the terrain the centre's ray meets), not the DEM's centre
        added.append(service.add_viewshed())
        expected = ray_to_ground(scene.renderer, scene.origin, ground_grids(window.project.layers),
                                 width // 2, height // 2,
                                 exaggeration=scene.ground_exaggeration())  # fmt: skip
        assert expected is not None
        assert np.hypot(*np.subtract(added[-1].observer, expected[:2])) < 150.0
        assert "centre of the view" in window.statusBar().currentMessage()
        # a click in the view: the viewshed looks from there
        hit = window.identify_at(int(width * 0.3), int(height * 0.4))
        assert hit is not None
        added.append(service.add_viewshed())
        assert added[-1].observer == pytest.approx(hit.point[:2])
        assert "last clicked" in window.statusBar().currentMessage()
    finally:
        for layer in added:
            window.project.layers.remove(layer)
        window.select(None)
        service.clicked = None
        process_events(0.1)
