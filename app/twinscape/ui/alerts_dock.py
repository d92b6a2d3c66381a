"""The "Alerts" dock: sensors over a threshold, flagged as anomalous, or stale, at the clock time.

The list is recomputed when the clock moves (once per event-loop turn, however many
clock events came): :meth:`SensorData.latest` is vectorised, so this is cheap; a live
value newer than the history counts (:func:`~twinscape.model.sensor_live.latest_merged`). A
double-click (or "Fly to") frames the sensor in the 3D view and selects it, which
also charts it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from twinscape.model.clock import NS, to_ns
from twinscape.model.layers import Layer
from twinscape.model.project import Project
from twinscape.model.sensor_alerts import alert_levels, flag_names, format_age
from twinscape.model.sensor_live import NO_TIME, latest_merged
from twinscape.model.sensors import SensorsLayer
from twinscape.render.scene import Hit
from twinscape.ui.chart_dock import sensor_layers, sensor_title

COLUMNS = ("Sensor", "Alert", "Value", "Unit", "Age")
#: Colours of the non-threshold alerts.
ANOMALY_COLOR = "#9467bd"
STALE_COLOR = "#9e9e9e"
#: How close "Fly to" frames a sensor (metres around it).
FLY_RADIUS_M = 300.0
_FIELDS = {"data", "live_state", "quantity", "thresholds", "staleness_s", "name", "visible"}


@dataclass(frozen=True)
class Alert:
    """One listed sensor at the clock time.

    Parameters
    ----------
    layer, row
        The sensor.
    kind
        ``"threshold"``, ``"anomaly"`` or ``"stale"``.
    text
        What is wrong (the level's name, the flag names, "stale").
    value, unit, age_s
        Its latest value (NaN if none) and how old it is.
    color
        Colour of the level (or of the kind of alert).
    rank
        Sort key: more severe first.
    """

    layer: SensorsLayer
    row: int
    kind: str
    text: str
    value: float
    unit: str
    age_s: float
    color: str
    rank: float


def alerts_at(layers: list[SensorsLayer], time_ns: int) -> list[Alert]:
    """Sensors over a threshold, flagged, or stale at ``time_ns``, most severe first."""
    found: list[Alert] = []
    for layer in layers:
        data, quantity = layer.data, layer.shown_quantity
        if data is None or quantity is None or quantity not in layer.known_quantities:
            continue
        shown = latest_merged(data, layer.live_state, quantity, time_ns)  # history or live
        values, index = shown.values, shown.index
        has = shown.times != NO_TIME
        ages = np.where(has, (time_ns - shown.times) / NS, np.inf)
        unit = data.units.get(quantity, "")
        stale = has & (ages > layer.staleness_s)
        fresh = has & ~stale
        levels = layer.thresholds_of(quantity)
        reached = alert_levels(levels, np.where(fresh, values, np.nan))
        bits = np.zeros(data.count, np.uint8)
        observed = index >= 0  # anomaly flags belong to the history's observations
        bits[observed] = data.flags[index[observed]]
        order = np.argsort([t.value for t in levels]) if levels else np.array([], int)
        rank_of = {int(i): r for r, i in enumerate(order)}
        for row in np.flatnonzero((reached >= 0) | (fresh & (bits != 0)) | stale):
            row = int(row)
            common = {"layer": layer, "row": row, "value": float(values[row]), "unit": unit}
            common["age_s"] = float(ages[row])
            if reached[row] >= 0:
                level = levels[int(reached[row])]
                extra = flag_names(int(bits[row]))
                text = level.level + (f"; anomaly: {', '.join(extra)}" if extra else "")
                rank = 100.0 + rank_of[int(reached[row])]
                found.append(
                    Alert(kind="threshold", text=text, color=level.color, rank=rank, **common)
                )
            elif stale[row]:
                text = f"stale (older than {format_age(layer.staleness_s)})"
                found.append(Alert(kind="stale", text=text, color=STALE_COLOR, rank=0.0, **common))
            else:
                text = "anomaly: " + ", ".join(flag_names(int(bits[row])))
                found.append(
                    Alert(kind="anomaly", text=text, color=ANOMALY_COLOR, rank=50.0, **common)
                )
    found.sort(key=lambda a: (-a.rank, -np.nan_to_num(a.value, nan=-np.inf)))
    return found


def _swatch(colour: str) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(colour))
    return QIcon(pixmap)


class AlertsDock(QDockWidget):
    """Lists :func:`alerts_at` the project clock's time.

    Parameters
    ----------
    window
        The main window (``watcher``, ``clock_watch``, ``fly_to``, ``select``).
    """

    def __init__(self, window: Any) -> None:
        super().__init__("Alerts", window)
        self.setObjectName("alertsDock")
        self._window = window
        self._watcher = window.watcher
        self._had_sensors = False
        self.alerts: list[Alert] = []
        self.summary = QLabel()
        self.summary.setObjectName("alertsSummary")
        self.summary.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setObjectName("alertsList")
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.fly = QPushButton("Fly to")
        self.fly.setObjectName("flyToSensor")
        self.fly.setToolTip("Show the selected sensor in the 3D view and chart it")
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.fly)
        layout.addLayout(top)
        layout.addWidget(self.tree, 1)
        self.setWidget(body)

        self._timer = QTimer(self)  # coalesce clock ticks: one refresh per event-loop turn
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.refresh)
        self.tree.itemDoubleClicked.connect(lambda item, _col: self.fly_to(self._index(item)))
        self.fly.clicked.connect(lambda: self.fly_to(self._index(self.tree.currentItem())))
        window.clock_watch.time_changed.connect(self._timer.start)
        self._watcher.project_replaced.connect(lambda _p: self._layers_changed(replaced=True))
        self._watcher.layers_changed.connect(self._layers_changed)
        self._watcher.layer_changed.connect(self._layer_changed)
        self._layers_changed(replaced=True)

    # -- following the model -------------------------------------------------------
    def _project(self) -> Project | None:
        return self._watcher.project

    def _layers_changed(self, replaced: bool = False) -> None:
        has = bool(sensor_layers(self._project()))
        if has and (replaced or not self._had_sensors):
            self.show()  # sensors arrived: show their alerts
        self._had_sensors = has
        self.refresh()

    def _layer_changed(self, layer: Layer, field: str) -> None:
        if isinstance(layer, SensorsLayer) and field in _FIELDS:
            self._layers_changed()

    def refresh(self) -> None:
        """Recompute the alerts at the clock's time and show them."""
        project = self._project()
        layers = [la for la in sensor_layers(project) if la.visible]
        now = to_ns(project.clock.current) if project is not None else 0
        alerts = alerts_at(layers, now)
        same = [(a.layer, a.row, a.text) for a in alerts] == [
            (a.layer, a.row, a.text) for a in self.alerts
        ]
        current = self._index(self.tree.currentItem())
        keep = None if current is None else (self.alerts[current].layer, self.alerts[current].row)
        self.alerts = alerts
        if same and self.tree.topLevelItemCount() == len(alerts):
            for i, alert in enumerate(alerts):  # only values and ages moved
                item = self.tree.topLevelItem(i)
                item.setText(2, _value_text(alert.value))
                item.setText(4, format_age(alert.age_s))
        else:
            self._rebuild(keep)
        counts = {kind: sum(a.kind == kind for a in alerts) for kind in ("threshold", "stale")}
        # a sensor over a threshold may be flagged too: count every flagged one
        counts["anomaly"] = sum(a.kind == "anomaly" or "anomaly:" in a.text for a in alerts)
        if not layers:
            self.summary.setText("No sensor layer.")
        else:
            self.summary.setText(
                f"<b>{counts['threshold']}</b> over a threshold, <b>{counts['anomaly']}</b> "
                f"anomalous, <b>{counts['stale']}</b> stale"
            )
            self.summary.setToolTip(f"At {project.clock.current:%Y-%m-%d %H:%M:%S} UTC")
        self.fly.setEnabled(bool(alerts))

    def _rebuild(self, keep: tuple[SensorsLayer, int] | None) -> None:
        """List :attr:`alerts` again, keeping the current sensor current."""
        self.tree.setUpdatesEnabled(False)
        try:
            self.tree.clear()
            for i, alert in enumerate(self.alerts):
                item = QTreeWidgetItem(
                    [
                        sensor_title(alert.layer, alert.row),
                        alert.text,
                        _value_text(alert.value),
                        alert.unit,
                        format_age(alert.age_s),
                    ]
                )
                item.setIcon(1, _swatch(alert.color))
                item.setData(0, Qt.ItemDataRole.UserRole, i)
                item.setToolTip(0, f"{alert.layer.name}: {alert.layer.feature_label(alert.row)}")
                item.setToolTip(1, alert.text)
                item.setTextAlignment(
                    2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                )
                self.tree.addTopLevelItem(item)
                if keep is not None and alert.layer is keep[0] and alert.row == keep[1]:
                    self.tree.setCurrentItem(item)
            for column in range(len(COLUMNS)):
                self.tree.resizeColumnToContents(column)
        finally:
            self.tree.setUpdatesEnabled(True)

    def _index(self, item: QTreeWidgetItem | None) -> int | None:
        if item is None:
            return None
        index = item.data(0, Qt.ItemDataRole.UserRole)
        return int(index) if index is not None and 0 <= int(index) < len(self.alerts) else None

    # -- actions -------------------------------------------------------------------
    def fly_to(self, index: int | None) -> None:
        """Frame the ``index``-th listed sensor in the 3D view and select it."""
        if index is None:
            return
        alert = self.alerts[index]
        data = alert.layer.data
        if data is None or alert.row >= data.count:
            return
        point = tuple(float(v) for v in data.xyz[alert.row])
        self._window.fly_to(point, FLY_RADIUS_M)
        self._window.select(Hit(alert.layer, alert.row, point))

    def find(self, layer: SensorsLayer, row: int) -> Alert | None:
        """The alert listed for station ``row`` of ``layer``, or None."""
        return next((a for a in self.alerts if a.layer is layer and a.row == row), None)


def _value_text(value: float) -> str:
    return "\u2014" if not math.isfinite(value) else f"{value:.4g}"
