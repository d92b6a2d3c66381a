"""Sensors in a real window: the Time dock, the Sensor Chart, Alerts, identify, the panel.

The layer's data is a :class:`SensorData` built here by hand (8 stations around the demo
town, hourly for 3 days), so these tests depend on neither the sensor readers nor the
glyphs; checks of pixels and of identify by clicking run only when a visual is there.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from twinscape.geo.sampling import sample_elevation
from twinscape.model.clock import NS, to_ns
from twinscape.model.sensor_alerts import FLAG_STUCK
from twinscape.model.sensor_data import SensorData
from twinscape.model.sensors import SensorsLayer
from twinscape.model.terrain import TerrainLayer
from twinscape.render.scene import Hit
from twinscape.ui.time_dock import format_utc

from ui_helpers import process_events, settle, wait_until

pytestmark = pytest.mark.gui

T0 = datetime(2025, 5, 1, tzinfo=timezone.utc)
HOURS = 72
#: Station over the pm25 "unhealthy" level at this hour only (value 60 µg/m³).
HOT_STATION, HOT_HOUR, HOT_VALUE = 2, 30, 60.0
#: Station whose pm25 observation at this hour has the "stuck" flag.
FLAGGED_STATION, FLAGGED_HOUR = 5, 40
#: Station that stops reporting after this hour (stale 3 h later).
SILENT_STATION, SILENT_AFTER = 7, 50


def _at(hour: float) -> datetime:
    return T0 + timedelta(hours=hour)


def sensor_data(terrain: TerrainLayer) -> SensorData:
    """8 stations on the demo terrain around the new town, pm25 and temperature hourly."""
    xs, ys = np.meshgrid([746250.0, 747250.0, 748250.0, 749250.0], [3527000.0, 3528000.0])
    x, y = xs.ravel(), ys.ravel()
    assert terrain.grid is not None
    z = np.array([sample_elevation(terrain.grid, float(a), float(b)) for a, b in zip(x, y)])
    n = len(x)
    hours = np.arange(HOURS)
    times = to_ns(T0) + hours.astype(np.int64) * 3600 * NS
    st, qu, tt, vv, ff = [], [], [], [], []
    for s in range(n):
        keep = hours <= SILENT_AFTER if s == SILENT_STATION else np.ones(HOURS, bool)
        pm = 4.0 + 0.5 * s + 3.0 * np.sin(hours / 24 * 2 * np.pi)  # always below 15 µg/m³
        if s == HOT_STATION:
            pm[HOT_HOUR] = HOT_VALUE
        flags = np.zeros(HOURS, np.uint8)
        if s == FLAGGED_STATION:
            flags[FLAGGED_HOUR] = FLAG_STUCK
        temp = 25.0 + 8.0 * np.sin((hours - 9) / 24 * 2 * np.pi)
        for code, values, bits in ((0, pm, flags), (1, temp, np.zeros(HOURS, np.uint8))):
            st.append(np.full(keep.sum(), s))
            qu.append(np.full(keep.sum(), code))
            tt.append(times[keep])
            vv.append(values[keep])
            ff.append(bits[keep])
    return SensorData(
        station_ids=np.array([f"AQ{s:02d}" for s in range(n)], dtype=object),
        xyz=np.column_stack([x, y, z]),
        stations=pd.DataFrame({"name": [f"Station {s}" for s in range(n)], "provider": "test"}),
        quantities=("pm25", "temperature"),
        units={"pm25": "µg/m³", "temperature": "°C"},
        obs_station=np.concatenate(st).astype(np.int32),
        obs_quantity=np.concatenate(qu).astype(np.int16),
        obs_time=np.concatenate(tt),
        obs_value=np.concatenate(vv),
        flags=np.concatenate(ff),
    )


@pytest.fixture(scope="module")
def sensor_window(module_windows):  # noqa: ANN001, ANN201
    """The demo scene with a sensors layer of the tests' own instead of its simulated one."""
    window = module_windows()
    for demo in [la for la in window.project.layers if la.kind in ("sensors", "sensor_surface")]:
        window.project.layers.remove(demo)
    [terrain] = [la for la in window.project.layers if isinstance(la, TerrainLayer)]
    layer = SensorsLayer(name="Air quality", source=Path("/nonexistent/aq.csv"))
    layer.style.size = 60.0
    layer.data = sensor_data(terrain)
    window.project.layers.append(layer)
    process_events(0.2)
    return window, layer


def _reset(window, hour: float = 0.0) -> None:  # noqa: ANN001
    dock = window.time_dock
    dock.play_action.setChecked(False)
    dock.live_action.setChecked(False)
    dock.loop.setChecked(False)
    window.project.clock.set_time(_at(hour))
    process_events(0.02)


def _dock(window, name: str):  # noqa: ANN001, ANN202
    return next(d for d in window.kind_docks if d.objectName() == name)


def _visual(window, layer):  # noqa: ANN001, ANN202
    scene = window.viewport.scene
    return None if scene is None else scene.visuals.get(id(layer))


def _marker_pixel(window, layer: SensorsLayer, row: int) -> tuple[int, int]:  # noqa: ANN001
    """VTK display pixel (origin bottom-left) of the marker on station ``row``'s mast."""
    scene = window.viewport.scene
    x, y, z = layer.data.xyz[row]
    rx, ry, rz = scene.origin.point_to_render((x, y, z))
    ren = scene.renderer
    ren.SetWorldPoint(rx, ry, rz * scene.ground_exaggeration() + 4.0 * layer.style.size, 1.0)
    ren.WorldToDisplay()
    dx, dy, _ = ren.GetDisplayPoint()
    return int(round(dx)), int(round(dy))


# -- windows of their own (first: before the shared window exists, whose Qt-made popups
# -- would count as leaks of these windows) -----------------------------------------
def test_no_sensors_no_chart_content(make_main_window) -> None:
    window = make_main_window("")  # an empty project
    chart, alerts = _dock(window, "sensorChartDock"), _dock(window, "alertsDock")
    assert not chart.isVisible() and not alerts.isVisible()
    assert chart.entries == [] and alerts.alerts == []
    assert window.time_dock.isVisible()
    assert window.time_dock.label.text() == format_utc(window.project.clock.current)


def test_save_close_reopen_keeps_the_clock(make_main_window, tmp_path: Path) -> None:
    window = make_main_window()
    clock = window.project.clock
    window.time_dock.speed.setCurrentIndex(window.time_dock.speed.findData(600.0))
    clock.set_time(clock.start + timedelta(hours=3, minutes=20))
    assert window.is_dirty, "a new speed is an edit"
    path = tmp_path / "clock.toml"
    assert window.files.save_to(path)
    current, rate = clock.current, clock.rate
    window.close()
    reopened = make_main_window(path)
    assert reopened.project.clock.current == current
    assert reopened.project.clock.rate == rate == 600.0
    assert reopened.time_dock.speed.currentData() == 600.0
    assert reopened.time_dock.label.text() == format_utc(current)


# -- the Time dock -------------------------------------------------------------------
def test_the_clock_spans_the_data_and_the_slider_moves_it(sensor_window) -> None:
    window, _layer = sensor_window
    clock, dock = window.project.clock, window.time_dock
    assert clock.start == T0 and clock.end == _at(HOURS - 1), "the clock spans the data"
    _reset(window)
    dock.slider.setValue(int(5.5 * 3600))  # as a drag does
    assert clock.current == _at(5.5)
    assert dock.label.text() == "2025-05-01 05:30:00 UTC" == format_utc(clock.current)
    clock.set_time(_at(12))  # the model moves the widgets
    assert dock.slider.value() == 12 * 3600
    assert dock.label.text() == "2025-05-01 12:00:00 UTC"


def test_step_moves_by_the_data_interval_also_from_the_keyboard(sensor_window) -> None:
    window, _layer = sensor_window
    clock, dock = window.project.clock, window.time_dock
    _reset(window, 10)
    assert dock.step_seconds() == 3600.0
    dock.step_forward_action.trigger()
    assert clock.current == _at(11)
    dock.step_back_action.trigger()
    dock.step_back_action.trigger()
    assert clock.current == _at(9)
    window.activateWindow()
    view = window.viewport.plotter
    view.setFocus()
    wait_until(lambda: QApplication.activeWindow() is window, 5, "the window to be active")
    QTest.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    process_events(0.02)
    assert clock.current == _at(10), "Ctrl+Right steps forward"
    QTest.keyClick(view, Qt.Key.Key_Space)
    assert dock.playing, "Space in the 3D view plays"
    QTest.keyClick(view, Qt.Key.Key_Space)
    assert not dock.playing, "and pauses"


def test_play_at_x3600_advances_about_an_hour_a_second_and_loops(sensor_window) -> None:
    window, _layer = sensor_window
    clock, dock = window.project.clock, window.time_dock
    _reset(window, 1)
    dock.speed.setCurrentIndex(dock.speed.findData(3600.0))
    assert clock.rate == 3600.0
    try:
        begin, real = clock.current, time.monotonic()
        dock.play_action.trigger()
        process_events(1.0)
        dock.play_action.trigger()
        elapsed = time.monotonic() - real
        simulated = (clock.current - begin).total_seconds()
        assert 0.6 * 3600 * elapsed < simulated < 1.3 * 3600 * elapsed, (simulated, elapsed)

        clock.set_time(clock.end - timedelta(minutes=10))  # no loop: stops at the end
        dock.play_action.trigger()
        wait_until(lambda: not dock.playing, 3, "play to stop at the end")
        assert clock.current == clock.end

        dock.loop.setChecked(True)  # loop: wraps to the start and plays on
        clock.set_time(clock.end - timedelta(minutes=10))
        dock.play_action.trigger()
        process_events(0.5)
        assert dock.playing
        assert clock.current < clock.start + timedelta(hours=2), clock.current
        assert window.isVisible()
    finally:
        _reset(window)
        clock.rate = 60.0


def test_live_follows_the_wall_clock_and_leaving_it_pauses(sensor_window) -> None:
    window, _layer = sensor_window
    clock, dock = window.project.clock, window.time_dock
    _reset(window)
    end = clock.end
    try:
        dock.live_action.trigger()
        now = datetime.now(timezone.utc)
        assert abs((clock.current - now).total_seconds()) < 5
        assert not dock.playing and dock.timer.isActive()
        dock.live_action.trigger()
        assert not dock.timer.isActive(), "leaving live pauses"
    finally:
        _reset(window)
        clock.end = end


# -- alerts --------------------------------------------------------------------------
def test_alerts_list_the_sensor_over_its_threshold_at_that_hour_only(sensor_window) -> None:
    window, layer = sensor_window
    dock = _dock(window, "alertsDock")
    assert dock.isVisible(), "sensors arrived: the Alerts dock shows itself"
    _reset(window, HOT_HOUR)
    process_events(0.05)
    alert = dock.find(layer, HOT_STATION)
    assert alert is not None and alert.kind == "threshold"
    assert alert.text == "unhealthy" and alert.value == HOT_VALUE and alert.unit == "µg/m³"
    item = dock.tree.topLevelItem(0)
    assert item.text(0) == "AQ02 Station 2" and item.text(1) == "unhealthy"
    assert item.text(2) == "60" and item.text(4) == "0 s"
    window.project.clock.set_time(_at(HOT_HOUR + 0.5))
    process_events(0.05)
    assert dock.tree.topLevelItem(0).text(4) == "30 min", "ages follow the clock"
    window.time_dock.step(1)
    process_events(0.05)
    assert dock.find(layer, HOT_STATION) is None, "an hour later the value is back down"

    window.project.clock.set_time(_at(FLAGGED_HOUR))
    process_events(0.05)
    flagged = dock.find(layer, FLAGGED_STATION)
    assert flagged is not None and flagged.kind == "anomaly" and "stuck" in flagged.text
    window.project.clock.set_time(_at(SILENT_AFTER + 5))
    process_events(0.05)
    stale = dock.find(layer, SILENT_STATION)
    assert stale is not None and stale.kind == "stale"
    assert [a.row for a in dock.alerts] == [SILENT_STATION]


def test_double_clicking_an_alert_flies_there_and_charts_it(sensor_window) -> None:
    window, layer = sensor_window
    alerts, chart = _dock(window, "alertsDock"), _dock(window, "sensorChartDock")
    saved = window.viewport.current_view()
    _reset(window, HOT_HOUR)
    process_events(0.05)
    try:
        item = alerts.tree.topLevelItem(0)
        alerts.tree.scrollToItem(item)
        rect = alerts.tree.visualItemRect(item)
        view, left, none = (
            alerts.tree.viewport(),
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
        QTest.mouseClick(view, left, none, rect.center())
        QTest.mouseDClick(view, left, none, rect.center())
        process_events(0.1)
        focal = np.array(window.viewport.current_view().focal_point[:2])
        station = layer.data.xyz[HOT_STATION, :2]
        assert np.hypot(*(focal - station)) < 500, (focal, station)
        assert chart.entries == [(layer, HOT_STATION)], "the flown-to sensor is charted"
        assert window.inspector_dock.value("station id") == "AQ02"
        assert window.inspector_dock.value("alert level") == "unhealthy"
    finally:
        window.viewport.apply_view(saved)


# -- the chart -----------------------------------------------------------------------
def test_the_chart_shows_series_anomalies_thresholds_and_follows_the_clock(sensor_window) -> None:
    window, layer = sensor_window
    chart = _dock(window, "sensorChartDock")
    assert chart.isVisible(), "sensors arrived: the chart shows itself"
    _reset(window, 20)
    chart.clear()
    window.select(Hit(layer, 0, tuple(layer.data.xyz[0])))  # as a click in the 3D view
    assert chart.entries == [(layer, 0)]
    [curve] = chart.curves
    xs, ys = curve.getData()
    assert len(xs) == HOURS and xs[0] == to_ns(T0) / NS
    assert chart.cursor.value() == pytest.approx(to_ns(_at(20)) / NS)
    window.project.clock.set_time(_at(33))
    assert chart.cursor.value() == pytest.approx(to_ns(_at(33)) / NS), "the cursor follows"
    assert "µg/m³" in chart.plot.getAxis("left").labelText
    assert len(chart.threshold_lines) == 5  # the pm25 levels
    assert not chart.anomalies

    window.select(Hit(layer, FLAGGED_STATION, tuple(layer.data.xyz[FLAGGED_STATION])), add=True)
    assert [row for _l, row in chart.entries] == [0, FLAGGED_STATION]
    assert len(chart.curves) == 2 and chart.list.count() == 2
    [stuck] = chart.anomalies.values()
    sx, _sy = stuck.getData()
    assert sx.tolist() == [to_ns(_at(FLAGGED_HOUR)) / NS]
    chart.list.item(0).setSelected(True)
    chart.remove.click()
    assert [row for _l, row in chart.entries] == [FLAGGED_STATION]
    chart.compare.setChecked(True)  # Compare on: a plain click adds
    window.select(Hit(layer, 1, tuple(layer.data.xyz[1])))
    assert [row for _l, row in chart.entries] == [FLAGGED_STATION, 1]
    chart.compare.setChecked(False)
    chart.cursor.setValue(to_ns(_at(3)) / NS)
    chart.cursor.sigDragged.emit(chart.cursor)  # dragging the cursor moves the clock
    assert window.project.clock.current == _at(3)


def test_an_empty_chart_shows_its_hint_without_axes_until_a_sensor_is_charted(
    sensor_window,
) -> None:
    window, layer = sensor_window
    chart = _dock(window, "sensorChartDock")
    _reset(window, 10)
    chart.clear()
    process_events(0.05)
    item = chart.plot.getPlotItem()
    shown = (item.getAxis("left"), item.getAxis("bottom"), chart.cursor)
    assert not any(part.isVisible() for part in shown), "no 0..1 axes read as times"
    assert "Click a sensor" in item.titleLabel.text
    window.select(Hit(layer, 0, tuple(layer.data.xyz[0])))
    process_events(0.05)
    assert all(part.isVisible() for part in shown) and not item.titleLabel.isVisible()
    xs, _ys = chart.curves[0].getData()
    (x0, x1), _y = chart.plot.getViewBox().viewRange()
    assert len(xs) == HOURS and x0 <= xs[0] and xs[-1] <= x1, "auto-range frames the series"
    axis = item.getAxis("bottom")  # three days of May: the day ticks name the month
    labels = [text for spacing, values in axis.tickValues(x0, x1, axis.width())
              for text in axis.tickStrings(values, 1.0, spacing)]  # fmt: skip
    assert any("May" in text for text in labels), labels
    chart.clear()


# -- identify ------------------------------------------------------------------------
def test_identify_lists_the_station_at_the_clock_time(sensor_window) -> None:
    window, layer = sensor_window
    _reset(window, HOT_HOUR)
    window.select(Hit(layer, HOT_STATION, tuple(layer.data.xyz[HOT_STATION])))
    inspector = window.inspector_dock
    assert inspector.value("station id") == "AQ02"
    assert inspector.value("name") == "Station 2" and inspector.value("provider") == "test"
    assert inspector.value("pm25 (µg/m³)") == "60"
    assert inspector.value("age") == "0 s" and inspector.value("flags") == "none"
    assert inspector.value("at (UTC)") == "2025-05-02 06:00:00"

    if _visual(window, layer) is None:
        pytest.skip("no visual for SensorsLayer in render/kinds yet: identify by click skipped")
    window.viewport.scene.frame(layer.bounds)
    window.viewport.request_render()
    settle(window)
    x, y = _marker_pixel(window, layer, FLAGGED_STATION)
    width, height = window.viewport.display_size()
    assert 0 < x < width and 0 < y < height
    hit = window.identify_at(x, y, add=False)
    assert hit is not None and hit.layer is layer and hit.row == FLAGGED_STATION
    assert inspector.value("station id") == "AQ05"
    chart = _dock(window, "sensorChartDock")
    assert chart.entries == [(layer, FLAGGED_STATION)], "the chart follows the click"
    x, y = _marker_pixel(window, layer, HOT_STATION)  # a real Ctrl+click adds to the chart
    widget = window.viewport.plotter
    ratio = widget.devicePixelRatioF()
    pos = QPoint(int(round(x / ratio)), int(round(widget.height() - 1 - y / ratio)))
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier, pos)
    process_events(0.1)
    assert chart.entries == [(layer, FLAGGED_STATION), (layer, HOT_STATION)]
    assert inspector.value("alert level") == "unhealthy"


def test_the_sensors_are_drawn(sensor_window) -> None:
    window, layer = sensor_window
    if _visual(window, layer) is None:
        pytest.skip("no visual for SensorsLayer in render/kinds yet: pixel check skipped")
    _reset(window, HOT_HOUR)
    window.viewport.scene.frame(layer.bounds)
    shown = settle(window)
    layer.visible = False
    try:
        hidden = settle(window)
    finally:
        layer.visible = True
    x, y = _marker_pixel(window, layer, HOT_STATION)
    row = shown.shape[0] - 1 - y
    patch = (slice(row - 3, row + 4), slice(x - 3, x + 4))
    diff = np.abs(shown[patch].astype(int) - hidden[patch].astype(int)).max()
    assert diff > 40, "no glyph where the hot station stands"


# -- the styling panel ---------------------------------------------------------------
def test_the_panel_changes_quantity_glyph_and_thresholds(sensor_window) -> None:
    window, layer = sensor_window
    window.show_properties(layer)
    controls = window.styling_dock.controls
    assert controls.quantity.count() == 2
    assert controls.thresholds.rowCount() == 5
    ramp = layer.style.ramp
    try:
        controls.glyph.setCurrentIndex(controls.glyph.findData("column"))
        assert layer.style.glyph == "column"
        controls.ramp.setCurrentIndex(controls.ramp.findData("aqi"))
        assert not controls.auto_range.isEnabled() and not controls.high.isEnabled(), "levels"
        controls.ramp.setCurrentIndex(controls.ramp.findData("viridis"))
        assert controls.auto_range.isEnabled() and not controls.high.isEnabled()
        controls.auto_range.setChecked(False)  # a fixed range: the one the colours fitted
        low, high = layer.style.value_range
        pm25 = layer.data.obs_value[layer.data.obs_quantity == 0]
        assert (low, high) == pytest.approx(tuple(np.percentile(pm25, [2, 98])), abs=0.006)
        assert controls.high.isEnabled()
        controls.high.setValue(50.0)
        assert layer.style.value_range == (low, 50.0)
        controls.auto_range.setChecked(True)
        assert layer.style.value_range is None
        controls.size.setValue(80.0)
        controls.labels.setChecked(True)
        assert layer.style.size == 80.0 and layer.style.labels
        controls.set_threshold_color(1, "#00ff00")
        assert layer.thresholds["pm25"][1].color == "#00ff00"
        controls.thresholds.item(0, 1).setText("20")  # WHO guideline 15 -> 20
        assert layer.thresholds["pm25"][0].value == 20.0
        controls.thresholds.item(0, 1).setText("not a number")
        assert layer.thresholds["pm25"][0].value == 20.0, "a bad cell is refused"
        assert controls.thresholds.item(0, 1).text() == "20"
        controls.staleness.setValue(6.0)
        assert layer.staleness_s == 6 * 3600.0
        controls.quantity.setCurrentIndex(controls.quantity.findData("temperature"))
        assert layer.quantity == "temperature"
        assert controls.thresholds.rowCount() == 0, "no levels for temperature"
        layer.style.glyph = "mast"  # the model moves the panel
        assert controls.glyph.currentData() == "mast"
        assert "8 stations" in controls.info.text()
        try:
            import twinscape.render.sensor_colors  # noqa: F401
        except ImportError:
            pass
        else:
            assert "no data" in controls.legend.text()
    finally:
        from twinscape.model.sensor_style import DEFAULT_THRESHOLDS

        layer.quantity = None
        layer.style.glyph, layer.style.ramp = "mast", ramp
        layer.style.size, layer.style.labels = 60.0, False
        layer.staleness_s = 3 * 3600.0
        layer.thresholds = dict(DEFAULT_THRESHOLDS)
    assert controls.quantity.currentData() == "pm25"


def test_panels_menu_toggles_the_new_docks(sensor_window) -> None:
    window, _layer = sensor_window
    [view] = [a.menu() for a in window.menuBar().actions() if a.text() == "&View"]
    [panels] = [a.menu() for a in view.actions() if a.text() == "&Panels"]
    toggles = panels.actions()
    for dock in (window.time_dock, *window.kind_docks):
        assert dock.toggleViewAction() in toggles, dock.windowTitle()
        toggle = dock.toggleViewAction()
        was = dock.isVisible()
        toggle.trigger()
        assert dock.isVisible() is not was
        toggle.trigger()
        assert dock.isVisible() is was
    assert window.time_dock.toggleViewAction().shortcut().toString() == "Ctrl+5"


def test_the_panel_adds_an_interpolated_surface_draped_on_the_terrain(sensor_window) -> None:
    from twinscape.io.kinds import kind_of
    from twinscape.model.surfaces import SensorSurfaceLayer

    window, layer = sensor_window
    _reset(window, 30.0)
    window.layer_dock.select_layer(layer)
    controls = window.styling_dock.controls
    before = settle(window)
    controls.add_surface.click()
    process_events(0.1)
    [surface] = [la for la in window.project.layers if isinstance(la, SensorSurfaceLayer)]
    try:
        assert surface.sensors_layer_id == layer.id and surface.quantity == layer.shown_quantity
        assert window.project.layers.index(surface) == window.project.layers.index(layer) + 1
        item = window.layer_dock.item_for(surface)
        assert item is not None and f"({kind_of(surface).title})" in item.toolTip(0)
        window.layer_dock.select_layer(surface)
        assert window.styling_dock.controls.objectName() != "noControls"
        wait_until(
            lambda: np.abs(settle(window).astype(int) - before.astype(int)).max() > 40,
            30,
            "the surface draped on the terrain",
        )
        panel = window.styling_dock.controls
        panel.ramp.setCurrentIndex(panel.ramp.findData("aqi"))
        process_events(0.05)
        assert not any(w.isEnabled() for w in (panel.fit, panel.low, panel.high)), "AQI: levels"
        panel.ramp.setCurrentIndex(panel.ramp.findData("viridis"))
        process_events(0.05)
        assert panel.fit.isEnabled() and panel.fit.isChecked() and not panel.low.isEnabled()
        # fitted: the boxes show the span the colours use, the 2nd..98th percentile of
        # every pm25 observation (numpy here, not the app's cached range)
        pm25 = layer.data.obs_value[layer.data.obs_quantity == 0]
        low, high = np.percentile(pm25, [2, 98])
        assert (panel.low.value(), panel.high.value()) == pytest.approx((low, high), abs=0.06)
        panel.fit.setChecked(False)  # unfitting keeps the colours: the range is written as shown
        process_events(0.05)
        assert panel.low.isEnabled()
        assert surface.value_range == pytest.approx((low, high), abs=0.06)
    finally:
        window.project.layers.remove(surface)
        process_events(0.1)
