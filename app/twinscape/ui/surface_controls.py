"""The panel of an interpolated sensor surface: quantity, IDW power, reach, colours."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QWidget

from twinscape.model.sensor_style import SENSOR_RAMPS
from twinscape.model.sensors import SensorsLayer
from twinscape.model.surfaces import DISTANCE_RANGE, POWER_RANGE, SensorSurfaceLayer
from twinscape.render.sensor_colors import quantity_range
from twinscape.ui.controls_common import (
    LayerControls,
    combo_box,
    form_group,
    info_table,
    spin_box,
)
from twinscape.ui.project_watch import ProjectWatcher


class SurfaceControls(LayerControls):
    """The panel of one :class:`~twinscape.model.surfaces.SensorSurfaceLayer`."""

    layer: SensorSurfaceLayer

    def __init__(
        self, layer: SensorSurfaceLayer, watcher: ProjectWatcher, parent: QWidget | None = None
    ) -> None:
        super().__init__(layer, parent)
        self._watcher = watcher
        self.quantity = combo_box("surfaceQuantity", [], "The quantity interpolated")
        self.power = spin_box(
            "idwPower", *POWER_RANGE, step=0.5, decimals=1,
            tip="Weights fall as distance to this power: higher keeps each station's value closer",
        )  # fmt: skip
        self.reach = spin_box(
            "maxDistance", DISTANCE_RANGE[0] / 1000, DISTANCE_RANGE[1] / 1000, step=0.5,
            decimals=1, suffix=" km", tip="Cells farther than this from every station stay clear",
        )  # fmt: skip
        self.ramp = combo_box("surfaceRamp", [(name, name.upper()) for name in SENSOR_RAMPS])
        self.fit = QCheckBox("Fit the range to the data")
        self.fit.setObjectName("fitRange")
        self.low = spin_box("rangeLow", -1e6, 1e6, step=1.0, decimals=1)
        self.high = spin_box("rangeHigh", -1e6, 1e6, step=1.0, decimals=1)
        field = form_group(
            "Interpolation (inverse distance weighting)",
            [("Quantity", self.quantity), ("Power", self.power), ("Reach", self.reach)],
        )
        colour = form_group(
            "Colour", [("Ramp", self.ramp), ("", self.fit), ("Low", self.low), ("High", self.high)]
        )
        self.arrange(field, colour)
        self.quantity.currentIndexChanged.connect(
            lambda _i: self.write_layer("quantity", self.quantity.currentData())
        )
        self.power.valueChanged.connect(lambda v: self.write_layer("power", float(v)))
        self.reach.valueChanged.connect(lambda v: self.write_layer("max_distance_m", v * 1000.0))
        self.ramp.currentIndexChanged.connect(
            lambda _i: self.write_layer("ramp", self.ramp.currentData())
        )
        self.fit.toggled.connect(lambda _on: self._write_range())
        self.low.valueChanged.connect(lambda _v: self._write_range())
        self.high.valueChanged.connect(lambda _v: self._write_range())
        self.follow(watcher, style=False)

    def sensors(self) -> SensorsLayer | None:
        """The sensors layer the surface interpolates, if it is in the project."""
        project = self._watcher.project
        if project is None:
            return None
        try:
            found = project.layer_by_id(self.layer.sensors_layer_id)
        except KeyError:
            return None
        return found if isinstance(found, SensorsLayer) else None

    def show_values(self) -> None:
        """The layer's settings into the widgets."""
        layer, sensors = self.layer, self.sensors()
        self.quantity.clear()
        self.quantity.addItem("As the sensors show", None)
        if sensors is not None and sensors.data is not None:
            for name in sensors.data.quantities:
                self.quantity.addItem(name, name)
        self.quantity.setCurrentIndex(max(0, self.quantity.findData(layer.quantity)))
        self.power.setValue(layer.power)
        self.reach.setValue(layer.max_distance_m / 1000.0)
        self.ramp.setCurrentIndex(max(0, self.ramp.findData(layer.ramp)))
        fitted = layer.value_range is None
        self.fit.setChecked(fitted)
        low, high = layer.value_range or self.fitted_range()
        self.low.setValue(low)
        self.high.setValue(high)
        self._enable_range()

    def fitted_range(self) -> tuple[float, float]:
        """The (low, high) the ramp spans when fitted to the data: the robust range of
        every observation of the quantity, as the surface is coloured."""
        sensors = self.sensors()
        if sensors is None or sensors.data is None:
            return 0.0, 1.0
        quantity = self.layer.quantity or sensors.shown_quantity
        return quantity_range(sensors.data, quantity) or (0.0, 1.0)

    def _enable_range(self) -> None:
        """Low and high are the user's to set unless fitted; the AQI ramp colours by the
        alert levels, so no range applies to it."""
        classed = self.layer.ramp == "aqi"
        tip = "The AQI ramp colours by the quantity's alert levels" if classed else ""
        self.fit.setEnabled(not classed)
        for box in (self.fit, self.low, self.high):
            box.setToolTip(tip)
        for box in (self.low, self.high):
            box.setEnabled(not classed and not self.fit.isChecked())

    def _write_range(self) -> None:
        if self.syncing:
            return
        fitted = self.fit.isChecked()
        self._enable_range()
        if fitted:
            if self.layer.value_range is not None:
                self.layer.value_range = None
        elif self.low.value() < self.high.value():
            self.write_layer("value_range", (self.low.value(), self.high.value()))

    def info_html(self) -> str:
        """What the surface interpolates."""
        sensors = self.sensors()
        source = sensors.name if sensors is not None else "missing (removed from the project?)"
        return info_table(
            [
                ("Sensors", source),
                ("Drawn", "as colours over the terrain, following the project clock"),
            ]
        )
