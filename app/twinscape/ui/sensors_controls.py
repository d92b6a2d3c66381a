"""Style controls of a sensors layer: quantity, glyphs, colours, thresholds, legend, live feed.

As in every panel (:class:`~twinscape.ui.controls_common.LayerControls`), widgets
write to the model and the model's events write back with writing switched off.
The thresholds table edits the alert levels of the shown quantity (level, value,
colour); double-click a colour to pick another. The live feed group
(:class:`~twinscape.ui.live_panel.LivePanel`) sets up and connects the layer's MQTT feed.
"""

from __future__ import annotations

import html
import logging
import math

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from twinscape.model.sensor_style import GLYPHS, SENSOR_RAMPS, Threshold
from twinscape.model.sensors import SensorsLayer
from twinscape.model.surfaces import DISTANCE_RANGE, SensorSurfaceLayer
from twinscape.render.sensor_colors import quantity_range
from twinscape.ui.controls_common import LayerControls, combo_box, form_group, spin_box
from twinscape.ui.live_feeds import LiveFeeds
from twinscape.ui.live_panel import LivePanel
from twinscape.ui.project_watch import ProjectWatcher

log = logging.getLogger(__name__)

_GLYPH_LABELS = {"mast": "Mast with a marker", "column": "Column (height = value)"}
_RAMP_LABELS = {"aqi": "Alert levels (thresholds)", "viridis": "Viridis", "heat": "Heat",
                "blues": "Blues"}  # fmt: skip
_NEW_LEVEL = Threshold("new level", 0.0, "#ff0000")


def legend_rows(layer: SensorsLayer) -> list[tuple[str, tuple[int, int, int]]]:
    """The layer's colour legend from render/sensor_colors.py, or none if it is missing."""
    try:
        from twinscape.render.sensor_colors import sensor_legend
    except ImportError:
        return []
    try:
        return [(str(label), tuple(int(c) for c in rgb)[:3]) for label, rgb in sensor_legend(layer)]
    except Exception:  # noqa: BLE001 - a legend must never break the panel
        log.exception("no legend for sensors layer %r", layer.name)
        return []


class SensorsControls(LayerControls):
    """The styling panel of one :class:`~twinscape.model.sensors.SensorsLayer`."""

    def __init__(
        self, layer: SensorsLayer, watcher: ProjectWatcher, parent: QWidget | None = None
    ) -> None:
        super().__init__(layer, parent)
        self.layer: SensorsLayer = layer
        self.quantity = combo_box("sensorQuantity", [], "The quantity glyphs show")
        self.staleness = spin_box(
            "staleness", 0.1, 8760.0, step=1.0, decimals=1, suffix=" h",
            tip="An observation older than this at the clock time counts as no data",
        )  # fmt: skip
        self.glyph = combo_box("sensorGlyph", [(g, _GLYPH_LABELS.get(g, g)) for g in GLYPHS])
        self.ramp = combo_box("sensorRamp", [(r, _RAMP_LABELS.get(r, r)) for r in SENSOR_RAMPS])
        self.auto_range = QCheckBox("Fit the data")
        self.auto_range.setObjectName("autoRange")
        self.low = spin_box("rangeLow", -1e9, 1e9, step=1.0, decimals=2, tip="Ramp start")
        self.high = spin_box("rangeHigh", -1e9, 1e9, step=1.0, decimals=2, tip="Ramp end")
        self.size = spin_box("glyphSize", 0.1, 10_000.0, step=5.0, decimals=1, suffix=" m",
                             tip="Marker diameter; a mast is 4 times as tall")  # fmt: skip
        self.labels = QCheckBox("Names and values")
        self.labels.setObjectName("sensorLabels")
        self.thresholds = QTableWidget(0, 3)
        self.thresholds.setObjectName("thresholds")
        self.thresholds.setHorizontalHeaderLabels(["Level", "From", "Colour"])
        header = self.thresholds.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.thresholds.verticalHeader().hide()
        self.thresholds.setMinimumHeight(150)
        self.add_level = QPushButton("Add")
        self.add_level.setObjectName("addThreshold")
        self.remove_level = QPushButton("Remove")
        self.remove_level.setObjectName("removeThreshold")
        self.add_surface = QPushButton("Add Interpolated Surface")
        self.add_surface.setObjectName("addSurface")
        self.add_surface.setToolTip(
            "Drape an inverse-distance-weighted surface of the shown quantity on the terrain, "
            "following the clock"
        )
        self._watcher = watcher
        self.legend = QLabel()
        self.legend.setObjectName("legend")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        self.live = LivePanel(layer, watcher, LiveFeeds.of(watcher))
        self._known_quantities = layer.known_quantities
        if self.live.feeds is not None:  # quantities that only the feed brings
            self.live.feeds.status_changed.connect(self._feed_status)

        value_range = QWidget()
        row = QHBoxLayout(value_range)
        row.setContentsMargins(0, 0, 0, 0)
        for widget in (self.auto_range, self.low, QLabel("to"), self.high):
            row.addWidget(widget)
        levels = QWidget()
        column = QVBoxLayout(levels)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.thresholds)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.add_level)
        buttons.addWidget(self.remove_level)
        column.addLayout(buttons)
        self.arrange(
            form_group(
                "Data",
                [
                    ("Quantity", self.quantity),
                    ("Stale after", self.staleness),
                    ("", self.add_surface),
                ],
            ),
            form_group(
                "Glyphs",
                [
                    ("Shape", self.glyph),
                    ("Colours", self.ramp),
                    ("Values", value_range),
                    ("Size", self.size),
                    ("Labels", self.labels),
                    ("Legend", self.legend),
                ],
            ),  # fmt: skip
            form_group("Alert levels", [("", levels)]),
            self.live,
        )

        self.quantity.currentIndexChanged.connect(
            lambda _i: self.write_layer("quantity", self.quantity.currentData())
        )
        self.staleness.valueChanged.connect(lambda h: self.write_layer("staleness_s", h * 3600.0))
        self.glyph.currentIndexChanged.connect(
            lambda _i: self.write_style("glyph", self.glyph.currentData())
        )
        self.ramp.currentIndexChanged.connect(
            lambda _i: self.write_style("ramp", self.ramp.currentData())
        )
        self.auto_range.toggled.connect(lambda _on: self._write_range())
        self.low.valueChanged.connect(lambda _v: self._write_range())
        self.high.valueChanged.connect(lambda _v: self._write_range())
        self.size.valueChanged.connect(lambda v: self.write_style("size", float(v)))
        self.labels.toggled.connect(lambda on: self.write_style("labels", bool(on)))
        self.thresholds.itemChanged.connect(lambda _item: self._write_thresholds())
        self.thresholds.cellDoubleClicked.connect(self._cell_double_clicked)
        self.add_level.clicked.connect(self._add_level)
        self.remove_level.clicked.connect(self._remove_level)
        self.add_surface.clicked.connect(self.add_interpolated_surface)
        self.follow(watcher)

    def add_interpolated_surface(self) -> SensorSurfaceLayer | None:
        """Add a surface of the shown quantity just above this layer (undo: remove it)."""
        project = self._watcher.project
        quantity = self.layer.shown_quantity
        if project is None or quantity is None:
            return None
        surface = SensorSurfaceLayer(
            name=f"{quantity.upper()} surface of {self.layer.name}",
            sensors_layer_id=self.layer.id,
            quantity=quantity,
            ramp=self.layer.style.ramp,
            max_distance_m=_reach(self.layer),
        )
        project.layers.insert(project.layers.index(self.layer) + 1, surface)
        return surface

    # -- model -> widgets --------------------------------------------------------------
    def show_values(self) -> None:
        """Set the widgets from the layer and its style."""
        layer, style, data = self.layer, self.layer.style, self.layer.data
        self.quantity.clear()
        self._known_quantities = layer.known_quantities
        quantities = list(self._known_quantities)
        if layer.quantity is not None and layer.quantity not in quantities:
            quantities.append(layer.quantity)
        for q in quantities:
            unit = data.units.get(q, "") if data is not None else ""
            self.quantity.addItem(f"{q} ({unit})" if unit else q, q)
        self.quantity.setCurrentIndex(max(0, self.quantity.findData(layer.shown_quantity)))
        self.staleness.setValue(layer.staleness_s / 3600.0)
        self.glyph.setCurrentIndex(max(0, self.glyph.findData(style.glyph)))
        self.ramp.setCurrentIndex(max(0, self.ramp.findData(style.ramp)))
        self.auto_range.setChecked(style.value_range is None)
        low, high = style.value_range or self._data_range()
        self.low.setValue(low)
        self.high.setValue(high)
        self._enable_range()
        self.size.setValue(style.size)
        self.labels.setChecked(style.labels)
        self._show_thresholds()
        self.legend.setText(self._legend_html())
        self.live.show_values()

    def _feed_status(self, layer_id: str) -> None:
        if layer_id == self.layer.id and self.layer.known_quantities != self._known_quantities:
            self.sync()  # the feed brought a quantity the history has not

    def _data_range(self) -> tuple[float, float]:
        """The span the ramp fits to the data (as the markers are coloured)."""
        return quantity_range(self.layer.data, self.layer.shown_quantity) or (0.0, 100.0)

    def _enable_range(self) -> None:
        """The range is the user's unless fitted; the AQI ramp colours by the alert levels,
        so no range applies to it."""
        classed = self.layer.style.ramp == "aqi"
        tip = "The AQI ramp colours by the quantity's alert levels" if classed else ""
        self.auto_range.setEnabled(not classed)
        self.auto_range.setToolTip(tip)
        for box, own in ((self.low, "Ramp start"), (self.high, "Ramp end")):
            box.setEnabled(not classed and not self.auto_range.isChecked())
            box.setToolTip(tip or own)

    def _show_thresholds(self) -> None:
        table = self.thresholds
        table.blockSignals(True)
        try:
            levels = self.layer.thresholds_of(self.layer.shown_quantity)
            table.setRowCount(len(levels))
            for row, level in enumerate(levels):
                table.setItem(row, 0, QTableWidgetItem(level.level))
                value = QTableWidgetItem(f"{level.value:g}")
                value.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                table.setItem(row, 1, value)
                colour = QTableWidgetItem(level.color)
                colour.setBackground(QBrush(QColor(level.color)))
                light = QColor(level.color).lightness() > 140
                colour.setForeground(QBrush(QColor("#000" if light else "#fff")))
                colour.setToolTip("Double-click to pick a colour")
                table.setItem(row, 2, colour)
        finally:
            table.blockSignals(False)
        enabled = self.layer.shown_quantity is not None
        for widget in (table, self.add_level, self.remove_level):
            widget.setEnabled(enabled)

    def _legend_html(self) -> str:
        rows = "".join(
            f"<tr><td style='background:#{r:02x}{g:02x}{b:02x};width:18px'>&nbsp;</td>"
            f"<td style='padding-left:6px'>{html.escape(label)}</td></tr>"
            for label, (r, g, b) in legend_rows(self.layer)
        )
        return f"<table cellspacing='2'>{rows}</table>" if rows else "\u2014"

    def info_html(self) -> str:
        """The layer's description, one line each."""
        return "<br>".join(html.escape(line) for line in self.layer.describe())

    # -- widgets -> model --------------------------------------------------------------
    def _write_range(self) -> None:
        if self.syncing:
            return
        self._enable_range()
        if self.auto_range.isChecked():
            if self.layer.style.value_range is not None:
                self.layer.style.value_range = None  # write_style skips None
            return
        low, high = float(self.low.value()), float(self.high.value())
        if low < high:
            self.write_style("value_range", (low, high))

    def read_thresholds(self) -> tuple[Threshold, ...] | None:
        """The table's levels sorted by value, or None when a cell is not valid."""
        levels = []
        for row in range(self.thresholds.rowCount()):
            cells = [self.thresholds.item(row, c) for c in range(3)]
            if any(cell is None for cell in cells):
                return None
            name, value, colour = (cell.text().strip() for cell in cells)  # type: ignore[union-attr]
            try:
                number = float(value)
            except ValueError:
                return None
            if not name or not math.isfinite(number) or not QColor.isValidColorName(colour):
                return None
            levels.append(Threshold(name, number, QColor(colour).name()))
        return tuple(sorted(levels, key=lambda t: t.value))

    def _write_thresholds(self) -> None:
        quantity = self.layer.shown_quantity
        if self.syncing or quantity is None:
            return
        levels = self.read_thresholds()
        if levels is None:
            self.sync()  # not valid: show the model's levels again
            return
        if levels != self.layer.thresholds_of(quantity):
            self.layer.thresholds = {**self.layer.thresholds, quantity: levels}

    def set_threshold_color(self, row: int, colour: str) -> None:
        """Give level ``row`` of the table ``colour`` (``#rrggbb``) and write it."""
        item = self.thresholds.item(row, 2)
        if item is not None and QColor.isValidColorName(colour):
            item.setText(QColor(colour).name())  # itemChanged writes

    def _cell_double_clicked(self, row: int, column: int) -> None:
        if column != 2:
            return
        item = self.thresholds.item(row, 2)
        current = QColor(item.text()) if item is not None else QColor("#ff0000")
        chosen = QColorDialog.getColor(current, self, "Alert level colour")
        if chosen.isValid():
            self.set_threshold_color(row, chosen.name())

    def _add_level(self) -> None:
        quantity = self.layer.shown_quantity
        if quantity is None:
            return
        levels = self.layer.thresholds_of(quantity)
        top = levels[-1].value if levels else 0.0
        new = Threshold(_NEW_LEVEL.level, top * 1.5 if top > 0 else top + 1.0, _NEW_LEVEL.color)
        self.layer.thresholds = {**self.layer.thresholds, quantity: (*levels, new)}

    def _remove_level(self) -> None:
        quantity = self.layer.shown_quantity
        row = self.thresholds.currentRow()
        levels = self.layer.thresholds_of(quantity)
        if quantity is None or not 0 <= row < len(levels):
            return
        kept = tuple(level for i, level in enumerate(levels) if i != row)
        self.layer.thresholds = {**self.layer.thresholds, quantity: kept}


def _reach(layer: SensorsLayer) -> float:
    """A reach that covers the stations' area: its diagonal, within the model's limits."""
    bounds = layer.bounds
    if bounds is None:
        return 20_000.0
    diagonal = ((bounds[2] - bounds[0]) ** 2 + (bounds[3] - bounds[1]) ** 2) ** 0.5
    return min(max(diagonal, 500.0, DISTANCE_RANGE[0]), DISTANCE_RANGE[1])
