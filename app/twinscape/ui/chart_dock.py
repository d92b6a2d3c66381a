"""The "Sensor Chart" dock: one or more sensors' series of the shown quantity over time.

pyqtgraph draws the series on a UTC time axis, a cursor at the project clock's time
(drag it to move the clock), the quantity's threshold lines and the anomalies
(observations with flag bits) as symbols, one legend entry per flag kind. A click
on a sensor in the 3D view shows it; Ctrl+click, or a click while "Compare" is on,
adds it to the chart; the list removes them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from twinscape.model.clock import NS, from_ns, to_ns
from twinscape.model.layers import Layer
from twinscape.model.project import Project
from twinscape.model.sensor_alerts import FLAG_NAMES
from twinscape.model.sensors import SensorsLayer
from twinscape.render.scene import Hit

#: Series colours (Tableau 10), in the order sensors are added.
PALETTE = (
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
)  # fmt: skip
#: Symbol and colour of each anomaly flag kind.
FLAG_SYMBOLS: dict[int, tuple[str, str]] = {
    1: ("o", "#d62728"),
    2: ("s", "#9467bd"),
    4: ("t", "#8c564b"),
    8: ("d", "#e377c2"),
}
#: Fields of a sensors layer that change the chart.
_CHART_FIELDS = {"data", "quantity", "thresholds", "name"}
_HINT = "Click a sensor in the 3D view (Ctrl+click to compare) or pick one above"


def sensor_layers(project: Project | None) -> list[SensorsLayer]:
    """The loaded sensor layers of ``project``."""
    if project is None:
        return []
    return [la for la in project.layers if isinstance(la, SensorsLayer) and la.data is not None]


def sensor_title(layer: SensorsLayer, row: int) -> str:
    """``id name`` of a station."""
    data = layer.data
    if data is None:
        return layer.feature_label(row)
    name = data.stations.iloc[row].get("name") if "name" in data.stations.columns else None
    ident = str(data.station_ids[row])
    return ident if name is None or str(name) in ("", ident, "nan") else f"{ident} {name}"


class SensorChartDock(QDockWidget):
    """Charts the selected sensors; follows the clock and the window's identify clicks.

    Parameters
    ----------
    window
        The main window (``watcher``, ``clock_watch``, ``identified``).
    """

    def __init__(self, window: Any) -> None:
        super().__init__("Sensor Chart", window)
        self.setObjectName("sensorChartDock")
        self._window = window
        self._watcher = window.watcher
        self._had_sensors = False
        #: (layer, station row) of every charted sensor, in the order added.
        self.entries: list[tuple[SensorsLayer, int]] = []
        self.curves: list[pg.PlotDataItem] = []
        self.anomalies: dict[int, pg.ScatterPlotItem] = {}
        self.threshold_lines: list[pg.InfiniteLine] = []

        before = set(QApplication.topLevelWidgets())
        # pyqtgraph's menus have no parent (nothing deletes them with the window): no
        # view-box menu, and the plot's own menus are deleted in shutdown()
        self.plot = pg.PlotWidget(
            axisItems={"bottom": _dated(pg.DateAxisItem(utcOffset=0))}, enableMenu=False
        )
        self._orphans = [
            w for w in set(QApplication.topLevelWidgets()) - before if isinstance(w, QMenu)
        ]
        self.plot.setMinimumHeight(200)
        self.plot.setObjectName("sensorPlot")
        self.plot.setBackground("w")
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.plot.setLabel("bottom", "time (UTC)")
        self.legend = self.plot.addLegend(offset=(10, 10), labelTextColor="#333")
        item = self.plot.getPlotItem()
        item.setClipToView(True)
        item.setDownsampling(auto=True, mode="peak")
        self.cursor = pg.InfiniteLine(
            angle=90,
            movable=True,
            pen=pg.mkPen("#222", width=1.5),
            hoverPen=pg.mkPen("#c00", width=2),
        )
        self.cursor.setZValue(50)
        self.cursor.setToolTip("The project clock: drag to move it")
        self.cursor.sigDragged.connect(self._cursor_dragged)
        self.plot.addItem(self.cursor, ignoreBounds=True)

        self.picker = QComboBox()
        self.picker.setObjectName("sensorPicker")
        self.picker.setToolTip("Chart a sensor (added when Compare is on)")
        self.compare = QPushButton("Compare")
        self.compare.setObjectName("compareButton")
        self.compare.setCheckable(True)
        self.compare.setToolTip("Add clicked sensors to the chart instead of replacing it")
        self.list = QListWidget()
        self.list.setObjectName("chartSensors")
        self.list.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.remove = QPushButton("Remove")
        self.remove.setObjectName("removeSensor")
        self.remove.setToolTip("Take the selected sensors off the chart (Delete)")
        delete = QShortcut(QKeySequence.StandardKey.Delete, self.list, self.remove_selected)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)  # the list's Del, not the tree's
        side = QWidget()
        column = QVBoxLayout(side)
        column.setContentsMargins(4, 4, 4, 4)
        column.addWidget(self.picker)
        column.addWidget(self.list, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.compare)
        buttons.addWidget(self.remove)
        column.addLayout(buttons)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.plot)
        split.addWidget(side)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 1)
        self.setWidget(split)

        self.picker.activated.connect(self._picked)
        self.remove.clicked.connect(self.remove_selected)
        window.identified.connect(self._identified)
        window.clock_watch.time_changed.connect(self.move_cursor)
        # live values arrive without layer events: look for new ones once a second
        self._live_versions: dict[int, int] = {}
        self._live_timer = QTimer(self)
        self._live_timer.setInterval(1000)
        self._live_timer.timeout.connect(self._follow_live)
        self._live_timer.start()
        self._watcher.project_replaced.connect(lambda _p: self._project_replaced())
        self._watcher.layers_changed.connect(self._layers_changed)
        self._watcher.layer_changed.connect(self._layer_changed)
        self._project_replaced()

    def _follow_live(self) -> None:
        """Redraw when a charted layer received live values since the last look."""
        versions = {
            id(layer): layer.live_state.version
            for layer, _row in self.entries
            if layer.live_state is not None
        }
        if versions != self._live_versions:
            self._live_versions = versions
            self.redraw()

    def shutdown(self) -> None:
        """Free pyqtgraph's parentless widgets (the window closes)."""
        self._live_timer.stop()
        for orphan in self._orphans:
            if isValid(orphan):
                orphan.deleteLater()
        self._orphans = []

    # -- what is charted ---------------------------------------------------------------
    def show_sensor(self, layer: SensorsLayer, row: int, *, add: bool = False) -> None:
        """Chart station ``row`` of ``layer``; ``add`` keeps the sensors already shown."""
        if layer.data is None or not 0 <= row < layer.data.count:
            return
        entry = (layer, row)
        if add or self.compare.isChecked():
            if any(e[0] is layer and e[1] == row for e in self.entries):
                return
            self.entries.append(entry)
        else:
            self.entries = [entry]
        self.redraw()

    def remove_sensor(self, index: int) -> None:
        """Take the ``index``-th charted sensor off."""
        if 0 <= index < len(self.entries):
            del self.entries[index]
            self.redraw()

    def remove_selected(self) -> None:
        """Take the sensors selected in the list off."""
        rows = sorted((self.list.row(item) for item in self.list.selectedItems()), reverse=True)
        for index in rows:
            del self.entries[index]
        if rows:
            self.redraw()

    def clear(self) -> None:
        """Chart nothing."""
        self.entries = []
        self.redraw()

    def _identified(self, hit: Hit | None, add: bool) -> None:
        if hit is not None and isinstance(hit.layer, SensorsLayer) and hit.row is not None:
            self.show_sensor(hit.layer, hit.row, add=add)

    def _picked(self, index: int) -> None:
        choice = self.picker.itemData(index)
        if choice is not None:
            layer, row = choice
            self.show_sensor(layer, row)

    # -- following the project -------------------------------------------------------
    def _project(self) -> Project | None:
        return self._watcher.project

    def _project_replaced(self) -> None:
        self._had_sensors = False
        self.entries = []
        self._layers_changed()

    def _layers_changed(self) -> None:
        layers = sensor_layers(self._project())
        kept = [e for e in self.entries if e[0] in layers and e[0].data is not None]
        changed = len(kept) != len(self.entries)
        self.entries = kept
        self._fill_picker(layers)
        if layers and not self._had_sensors:
            self.show()  # sensors arrived: show their chart
        self._had_sensors = bool(layers)
        if changed or not self.curves:
            self.redraw()

    def _layer_changed(self, layer: Layer, field: str) -> None:
        if not isinstance(layer, SensorsLayer) or field not in _CHART_FIELDS:
            return
        if field == "data":
            count = 0 if layer.data is None else layer.data.count
            self.entries = [e for e in self.entries if e[0] is not layer or e[1] < count]
            self._layers_changed()
        if any(e[0] is layer for e in self.entries):
            self.redraw()
        elif field == "name":
            self._fill_picker(sensor_layers(self._project()))

    def _fill_picker(self, layers: list[SensorsLayer]) -> None:
        self.picker.blockSignals(True)
        self.picker.clear()
        self.picker.addItem("Chart a sensor\u2026", None)
        for layer in layers:
            assert layer.data is not None
            for row in range(layer.data.count):
                label = sensor_title(layer, row)
                self.picker.addItem(
                    label if len(layers) == 1 else f"{layer.name}: {label}", (layer, row)
                )
        self.picker.setCurrentIndex(0)
        self.picker.blockSignals(False)

    # -- drawing ---------------------------------------------------------------------
    def quantity(self) -> tuple[str | None, str]:
        """The quantity charted and its unit (those of the first sensor)."""
        if not self.entries:
            return None, ""
        layer = self.entries[0][0]
        quantity = layer.shown_quantity
        unit = layer.data.units.get(quantity, "") if layer.data is not None and quantity else ""
        return quantity, unit

    def redraw(self) -> None:
        """Draw the charted sensors again (series, anomalies, thresholds, cursor)."""
        for item in [*self.curves, *self.anomalies.values(), *self.threshold_lines]:
            self.plot.removeItem(item)
        self.legend.clear()
        self.curves, self.anomalies, self.threshold_lines = [], {}, []
        self.list.clear()
        quantity, unit = self.quantity()
        self.plot.setLabel("left", f"{quantity} ({unit})" if unit else quantity or "")
        self.plot.setTitle(None if self.entries else f"<span style='color:#777'>{_HINT}</span>")
        marks: dict[int, tuple[list[float], list[float], list[str]]] = {}
        for i, (layer, row) in enumerate(self.entries):
            colour = PALETTE[i % len(PALETTE)]
            title = sensor_title(layer, row)
            item = QListWidgetItem(title)
            item.setForeground(QColor(colour))
            item.setToolTip(f"{layer.name}: {title}")
            self.list.addItem(item)
            data, q = layer.data, layer.shown_quantity
            if data is None or q is None:
                continue
            live = layer.live_state
            if live is not None:
                live_times, live_values = live.series(row, q)
                if len(live_times):
                    self.curves.append(
                        self.plot.plot(
                            live_times / NS, live_values, name=f"{title} (live)",
                            pen=pg.mkPen(colour, width=2, style=Qt.PenStyle.DashLine),
                            symbol="o", symbolSize=5, symbolBrush=colour,
                        )  # fmt: skip
                    )
            if q not in data.quantities:  # live only: no history to draw
                continue
            span = data.series_slice(row, q)
            seconds = data.obs_time[span] / NS
            values = data.obs_value[span]
            curve = self.plot.plot(
                seconds, values, pen=pg.mkPen(colour, width=2), name=title, connect="finite"
            )
            self.curves.append(curve)
            flags = data.flags[span]
            for bit in FLAG_NAMES:
                hits = np.flatnonzero(flags & bit)
                xs, ys, tips = marks.setdefault(bit, ([], [], []))
                xs.extend(seconds[hits].tolist())
                ys.extend(values[hits].tolist())
                tips.extend(f"{title}: {FLAG_NAMES[bit]}" for _ in hits)
        for bit, (xs, ys, tips) in marks.items():
            if not xs:
                continue
            symbol, colour = FLAG_SYMBOLS.get(bit, ("x", "#000"))
            scatter = pg.ScatterPlotItem(
                x=np.asarray(xs), y=np.nan_to_num(np.asarray(ys)), data=tips, symbol=symbol,
                size=11, pen=pg.mkPen("#fff", width=1), brush=pg.mkBrush(colour),
                hoverable=True, tip=_flag_tip, name=f"anomaly: {FLAG_NAMES[bit]}",
            )  # fmt: skip
            scatter.setZValue(20)
            self.plot.addItem(scatter)
            self.anomalies[bit] = scatter
        if self.entries:
            self._draw_thresholds(self.entries[0][0], quantity)
        self._show_axes()
        self.move_cursor()

    def _show_axes(self) -> None:
        """With nothing charted, the plot shows its hint without axes, grid or cursor (an
        empty plot's 0..1 would read as times); the first sensor charted brings them back."""
        shown = bool(self.entries)
        item = self.plot.getPlotItem()
        for side in ("left", "bottom"):
            item.showAxis(side, shown)
        item.showGrid(x=shown, y=shown, alpha=0.25)
        self.cursor.setVisible(shown)

    def _draw_thresholds(self, layer: SensorsLayer, quantity: str | None) -> None:
        for i, level in enumerate(layer.thresholds_of(quantity)):
            line = pg.InfiniteLine(
                pos=level.value,
                angle=0,
                pen=pg.mkPen(level.color, width=1.5, style=Qt.PenStyle.DashLine),
                label=f"{level.level} ({level.value:g})",
                # neighbouring levels' labels alternate along the line: close levels
                # (15 and 35.5 in a 0..250 chart) would print over each other
                labelOpts={"position": 0.98 - 0.3 * (i % 2), "color": "#444",
                           "anchors": [(1, 1), (1, 1)]},  # fmt: skip
            )
            line.setZValue(5)
            self.plot.addItem(line, ignoreBounds=True)
            self.threshold_lines.append(line)

    def move_cursor(self) -> None:
        """Put the cursor at the project clock's time."""
        project = self._project()
        if project is not None:
            self.cursor.setValue(to_ns(project.clock.current) / NS)

    def _cursor_dragged(self, *_args: object) -> None:
        project = self._project()
        if project is not None:
            seconds = float(self.cursor.value())
            project.clock.set_time(from_ns(0) + timedelta(seconds=seconds))


def _dated(axis: pg.DateAxisItem) -> pg.DateAxisItem:
    """``axis`` with day ticks that name their month ("Thu 17 Apr", "14 Apr"): a week of
    data has no month tick of its own. (pyqtgraph's zoom levels are shared: idempotent.)"""
    for level in axis.zoomLevels.values():
        for spec in level.tickSpecs:
            if spec.format in ("%d", "%a %d"):
                spec.format += " %b"
    return axis


def _flag_tip(x: float, y: float, data: object) -> str:
    return f"{data}\n{from_ns(int(x * NS)):%Y-%m-%d %H:%M} UTC: {y:.4g}"
