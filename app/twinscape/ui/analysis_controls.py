"""The panel of an analysis layer: its settings, legend and headline numbers.

:class:`AnalysisControls` edits the settings of its analysis (slope classes; the
viewshed's observer, typed or a placed tower, heights, radius, curvature; coverage
observers, area; solar limits, exclusions), shows the legend as drawn
(ui/analysis_legend.py) and the result's headline numbers (visible area, percentage
covered, suitable area), and how far a computation is. Add Analysis is in
ui/analysis_actions.py.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from twinscape.model.analysis import (
    ANALYSIS_TITLES,
    ASPECT_TOLERANCE_RANGE,
    HEIGHT_RANGE,
    RADIUS_RANGE,
    REFRACTION_RANGE,
    SLOPE_RAMPS,
    SOLAR_SLOPE_RANGE,
    YEAR_RANGE,
    AnalysisLayer,
    summary_lines,
)
from twinscape.model.layers import Layer
from twinscape.model.placed import PlacedAssetsLayer
from twinscape.render.analysis_drape import computing
from twinscape.render.analysis_plan import ground_below, layer_observers
from twinscape.ui.analysis_inputs import parse_breaks, parse_points, placed_observers, points_text
from twinscape.ui.analysis_legend import AnalysisLegend
from twinscape.ui.controls_common import (
    LayerControls,
    combo_box,
    form_group,
    index_of,
    info_table,
    spin_box,
)
from twinscape.ui.project_watch import ProjectWatcher

#: Largest world coordinate typed (UTM northings are below 10,000 km).
_COORD = 1e8
#: How often a running computation's progress is shown (ms).
_POLL_MS = 300


class AnalysisControls(LayerControls):
    """The panel of one :class:`~twinscape.model.analysis.AnalysisLayer`."""

    layer: AnalysisLayer

    def __init__(
        self, layer: AnalysisLayer, watcher: ProjectWatcher, parent: QWidget | None = None
    ) -> None:
        super().__init__(layer, parent)
        self._watcher = watcher
        kind = layer.analysis
        groups: list[QGroupBox] = []
        if kind == "slope":
            groups.append(self._slope_group())
        if kind == "viewshed":
            groups.append(self._viewshed_group())
        if kind == "coverage":
            groups.append(self._coverage_group())
        if kind in ("viewshed", "coverage"):
            groups.append(self._reach_group())
        if kind == "solar":
            groups.append(self._solar_group())
        self.legend = AnalysisLegend()
        self.result = QLabel()
        self.result.setObjectName("analysisResult")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        result_box = QGroupBox("Result")
        form_group(result_box, [("", self.result)])
        self.arrange(*groups, self.legend, result_box)
        self._timer = QTimer(self)
        self._timer.setInterval(_POLL_MS)
        self._timer.timeout.connect(self._show_result)
        self._timer.start()
        self.follow(watcher, style=False)

    # -- building ------------------------------------------------------------------------
    def _slope_group(self) -> QGroupBox:
        self.ramp = combo_box("slopeRamp", [(r, r.capitalize()) for r in SLOPE_RAMPS])
        self.breaks = QLineEdit()
        self.breaks.setObjectName("slopeBreaks")
        self.breaks.setToolTip("Class breaks in degrees, from 0 to 90, separated by commas")
        self.ramp.currentIndexChanged.connect(
            lambda _i: self.write_layer("ramp", self.ramp.currentData())
        )
        self.breaks.editingFinished.connect(self._write_breaks)
        return form_group("Slope classes", [("Ramp", self.ramp), ("Breaks (deg)", self.breaks)])

    def _coordinate(self, name: str, tip: str) -> Any:
        return spin_box(name, -_COORD, _COORD, step=10.0, decimals=1, suffix=" m", tip=tip)

    def _height(self, name: str, tip: str) -> Any:
        return spin_box(name, *HEIGHT_RANGE, step=1.0, decimals=1, suffix=" m", tip=tip)

    def _viewshed_group(self) -> QGroupBox:
        self.source = combo_box("observerSource", [], "Where the viewshed is seen from")
        self.observer_x = self._coordinate("observerX", "Observer easting (project CRS)")
        self.observer_y = self._coordinate("observerY", "Observer northing (project CRS)")
        self.observer_height = self._height(
            "observerHeight", "Eye height above the ground (a tower's antenna height wins)"
        )
        self.source.currentIndexChanged.connect(lambda _i: self._write_source())
        self.observer_x.valueChanged.connect(lambda _v: self._write_observer())
        self.observer_y.valueChanged.connect(lambda _v: self._write_observer())
        self.observer_height.valueChanged.connect(
            lambda v: self.write_layer("observer_height_m", float(v))
        )
        return form_group(
            "Observer",
            [("From", self.source), ("X", self.observer_x), ("Y", self.observer_y),
             ("Height", self.observer_height)],
        )  # fmt: skip

    def _coverage_group(self) -> QGroupBox:
        self.observers_layer = combo_box("observersLayer", [], "Its towers and turbines observe")
        self.observers = QPlainTextEdit()
        self.observers.setObjectName("observersText")
        self.observers.setPlaceholderText("x, y, height per line")
        self.observers.setFixedHeight(70)
        self.area = QPlainTextEdit()
        self.area.setObjectName("coverageArea")
        self.area.setPlaceholderText("x, y per line: the area whose coverage is reported")
        self.area.setFixedHeight(70)
        self.observers_layer.currentIndexChanged.connect(
            lambda _i: self._write_optional("observers_layer", self.observers_layer.currentData())
        )
        self._points_timer = QTimer(self)
        self._points_timer.setSingleShot(True)
        self._points_timer.setInterval(600)
        self._points_timer.timeout.connect(self._write_points)
        self.observers.textChanged.connect(self._points_edited)
        self.area.textChanged.connect(self._points_edited)
        return form_group(
            "Observers",
            [("Placed layer", self.observers_layer), ("Typed", self.observers),
             ("Area", self.area)],
        )  # fmt: skip

    def _reach_group(self) -> QGroupBox:
        self.target_height = self._height("targetHeight", "Height of what is seen above the ground")
        self.radius = spin_box(
            "radius", RADIUS_RANGE[0] / 1000, RADIUS_RANGE[1] / 1000, step=1.0, decimals=2,
            suffix=" km", tip="Cells farther than this from the observer are not seen",
        )  # fmt: skip
        self.curvature = QCheckBox("Earth curvature")
        self.curvature.setObjectName("curvature")
        self.refraction = spin_box(
            "refraction", *REFRACTION_RANGE, step=0.01, decimals=3,
            tip="Atmospheric refraction coefficient (0.13 is usual)",
        )  # fmt: skip
        self.target_height.valueChanged.connect(
            lambda v: self.write_layer("target_height_m", float(v))
        )
        self.radius.valueChanged.connect(lambda v: self.write_layer("radius_m", v * 1000.0))
        self.curvature.toggled.connect(lambda on: self.write_layer("curvature", bool(on)))
        self.refraction.valueChanged.connect(lambda v: self.write_layer("refraction", float(v)))
        return form_group(
            "Visibility",
            [("Target height", self.target_height), ("Radius", self.radius),
             ("", self.curvature), ("Refraction", self.refraction)],
        )  # fmt: skip

    def _solar_group(self) -> QGroupBox:
        self.max_slope = spin_box(
            "maxSlope", *SOLAR_SLOPE_RANGE, step=1.0, decimals=1, suffix=" \u00b0",
            tip="Steepest ground a solar farm may stand on",
        )  # fmt: skip
        self.aspect_tolerance = spin_box(
            "aspectTolerance", *ASPECT_TOLERANCE_RANGE, step=5.0, decimals=0, suffix=" \u00b0",
            tip="How far the slope may face away from the equator",
        )  # fmt: skip
        self.year = spin_box("solarYear", *YEAR_RANGE, step=1, tip="Year of the sun's path")
        self.exclusions_layer = combo_box(
            "exclusionsLayer", [], "Polygons of this layer are excluded (placed areas, buildings)"
        )
        self.exclusions_count = QLabel()
        self.exclusions_count.setObjectName("exclusionsCount")
        self.max_slope.valueChanged.connect(lambda v: self.write_layer("max_slope_deg", float(v)))
        self.aspect_tolerance.valueChanged.connect(
            lambda v: self.write_layer("aspect_tolerance_deg", float(v))
        )
        self.year.valueChanged.connect(lambda v: self.write_layer("year", int(v)))
        self.exclusions_layer.currentIndexChanged.connect(
            lambda _i: self._write_optional(
                "exclusions_layer", self.exclusions_layer.currentData()
            )
        )  # fmt: skip
        return form_group(
            "Suitability",
            [("Max slope", self.max_slope), ("Aspect tolerance", self.aspect_tolerance),
             ("Year", self.year), ("Exclusions layer", self.exclusions_layer),
             ("Typed exclusions", self.exclusions_count)],
        )  # fmt: skip

    # -- model -> widgets --------------------------------------------------------------
    def _layers(self) -> list[Layer]:
        project = self._watcher.project
        return list(project.layers) if project is not None else []

    def show_values(self) -> None:
        """The layer's settings into the widgets, the legend and the result."""
        layer, kind = self.layer, self.layer.analysis
        if kind == "slope":
            self.ramp.setCurrentIndex(max(0, self.ramp.findData(layer.ramp)))
            if not self.breaks.hasFocus():
                self.breaks.setText(", ".join(f"{b:g}" for b in layer.breaks))
        if kind == "viewshed":
            self._show_observer()
            self.observer_height.setValue(layer.observer_height_m)
        if kind == "coverage":
            self._fill_layers(self.observers_layer, "None", layer.observers_layer, placed=True)
            if not self.observers.hasFocus():
                self.observers.setPlainText(points_text(layer.observers))
            if not self.area.hasFocus():
                self.area.setPlainText(points_text(layer.area))
        if kind in ("viewshed", "coverage"):
            self.target_height.setValue(layer.target_height_m)
            self.radius.setValue(layer.radius_m / 1000.0)
            self.curvature.setChecked(layer.curvature)
            self.refraction.setValue(layer.refraction)
            self.refraction.setEnabled(layer.curvature)
        if kind == "solar":
            self.max_slope.setValue(layer.max_slope_deg)
            self.aspect_tolerance.setValue(layer.aspect_tolerance_deg)
            self.year.setValue(int(layer.year))
            self._fill_layers(self.exclusions_layer, "None", layer.exclusions_layer, placed=False)
            self.exclusions_count.setText(f"{len(layer.exclusions)} polygons")
        self.legend.show_layer(self.layer)
        self._show_result()

    def _fill_layers(self, box: QComboBox, none: str, current: str | None, *, placed: bool) -> None:
        box.clear()
        box.addItem(none, None)
        for other in self._layers():
            if other is self.layer:
                continue
            if isinstance(other, PlacedAssetsLayer) or (
                not placed and getattr(other, "mesh", None) is not None
            ):
                box.addItem(other.name, other.id)
        index = box.findData(current)
        if index < 0 and current is not None:
            box.addItem(f"(missing layer {current})", current)
            index = box.count() - 1
        box.setCurrentIndex(max(0, index))

    def _show_observer(self) -> None:
        layer = self.layer
        self.source.clear()
        self.source.addItem("Typed point", None)
        for ids, label in placed_observers(self._watcher.project):
            self.source.addItem(label, ids)
        index = index_of(self.source, layer.observer_asset)
        if layer.observer_asset is not None and index < 0:
            self.source.addItem("(missing asset)", layer.observer_asset)
            index = self.source.count() - 1
        self.source.setCurrentIndex(max(0, index))
        typed = layer.observer_asset is None
        x, y = layer.observer if layer.observer is not None else (0.0, 0.0)
        if not typed:
            for other in self._layers():
                if isinstance(other, PlacedAssetsLayer) and other.id == layer.observer_asset[0]:
                    try:
                        x, y = other.asset(layer.observer_asset[1]).centroid
                    except KeyError:
                        pass
        self.observer_x.setValue(x)
        self.observer_y.setValue(y)
        self.observer_x.setEnabled(typed)
        self.observer_y.setEnabled(typed)

    def _show_result(self) -> None:
        layer = self.layer
        fraction = computing(layer, self._layers())
        lines = summary_lines(layer.analysis, layer.summary)
        if layer.problem:
            lines.append(f"Not computed: {layer.problem}")
        if fraction is not None:
            lines.insert(0, f"Computing\u2026 {100 * fraction:.0f} %")
        elif not lines:
            lines = ["Not computed yet (the layer must be visible over a terrain)"]
        text = "<br>".join(lines)
        if self.result.text() != text:
            self.result.setText(text)

    def info_html(self) -> str:
        """What the analysis is computed on."""
        ground = ground_below(self.layer, self._layers())
        terrain = "the terrain below" if ground is not None else "none (add a terrain below)"
        rows = [("Analysis", ANALYSIS_TITLES[self.layer.analysis]), ("Computed on", terrain)]
        if ground is not None:
            rows.append(("Cells", f"{ground.shape[1]} \u00d7 {ground.shape[0]} at "
                                  f"{ground.resolution[0]:g} m"))  # fmt: skip
        if self.layer.analysis == "coverage" and self.layer.observers_layer is not None:
            placed = next((o for o in self._layers() if o.id == self.layer.observers_layer), None)
            if isinstance(placed, PlacedAssetsLayer):
                rows.append(("Placed observers", str(len(layer_observers(placed)))))
        return info_table(rows)

    # -- widgets -> model --------------------------------------------------------------
    def _write_breaks(self) -> None:
        if self.syncing:
            return
        try:
            breaks = parse_breaks(self.breaks.text())
        except ValueError as err:
            self.breaks.setToolTip(str(err).partition(": ")[2])
            self.breaks.setStyleSheet("color: #b00020;")
            return
        self.breaks.setStyleSheet("")
        self.write_layer("breaks", breaks)

    def _write_source(self) -> None:
        if self.syncing:
            return
        ids = self.source.currentData()
        if ids is None:
            if self.layer.observer is None:
                self.layer.observer = (self.observer_x.value(), self.observer_y.value())
            self.layer.observer_asset = None
        else:
            self.layer.observer_asset = tuple(ids)  # type: ignore[assignment]

    def _write_observer(self) -> None:
        if not self.syncing and self.layer.observer_asset is None:
            self.write_layer("observer", (self.observer_x.value(), self.observer_y.value()))

    def _write_optional(self, field: str, value: Any) -> None:
        if not self.syncing and getattr(self.layer, field) != value:
            setattr(self.layer, field, value)

    def _points_edited(self) -> None:
        if not self.syncing:
            self._points_timer.start()

    def _write_points(self) -> None:
        if self.syncing:
            return
        try:
            typed = parse_points(self.observers.toPlainText(), 3)
            area = parse_points(self.area.toPlainText(), 2)
        except ValueError as err:
            self.result.setText(f"Not applied: {err}")
            return
        if area and len(area) < 3:
            self.result.setText("Not applied: an area needs at least 3 vertices")
            return
        if typed != self.layer.observers:
            self.layer.observers = typed  # type: ignore[assignment]
        new_area = area if area else None
        if new_area != self.layer.area:
            self.layer.area = new_area  # type: ignore[assignment]
