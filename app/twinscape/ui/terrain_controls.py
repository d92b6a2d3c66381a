"""Style controls of a terrain layer: colour ramp, hillshade, exaggeration, opacity.

Widgets write to the model (``layer.style.<field> = value``); the model's
events (through :class:`~twinscape.ui.project_watch.ProjectWatcher`) write
back to the widgets, with their signals blocked, so the panel always shows
the model: after a project is loaded, a script changed a value, or another
widget did.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from twinscape.model.layers import Layer
from twinscape.model.style import COLORMAPS
from twinscape.model.terrain import TerrainLayer
from twinscape.render.colormaps import RAMPS, ramp_lut
from twinscape.ui.project_watch import ProjectWatcher

MINUS = "\u2212"


def ramp_icon(name: str, width: int = 72, height: int = 14) -> QIcon:
    """A swatch of the colour ramp ``name`` for the ramp combo box."""
    stops = RAMPS.get(name)
    if not stops:
        return QIcon()
    lut = ramp_lut(stops, width)
    rgb = np.ascontiguousarray(np.repeat(lut[None, :, :], height, axis=0).astype(np.uint8))
    image = QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()
    pixmap = QPixmap.fromImage(image)
    painter = QPainter(pixmap)
    painter.setPen(QColor(0, 0, 0, 90))
    painter.drawRect(0, 0, width - 1, height - 1)
    painter.end()
    return QIcon(pixmap)


def _breakable(text: str) -> str:
    """Let long paths wrap in a label (zero-width spaces after separators)."""
    for sep in ("/", "\\", "_", "-", "."):
        text = text.replace(sep, sep + "\u200b")
    return text


def _metres(value: float) -> str:
    text = f"{abs(value):,.0f}".replace(",", " ")
    return f"{MINUS if value < 0 else ''}{text} m"


class PercentSlider(QWidget):
    """A 0–100 % slider with its value shown beside it.

    With ``live=False`` the value is applied when the handle is released, for settings
    whose every step is expensive (a recolour of a large terrain); the label still follows.
    """

    def __init__(self, parent: QWidget | None = None, *, live: bool = True) -> None:
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setPageStep(10)
        self.slider.setTracking(live)
        self.label = QLabel("100 %")
        self.label.setMinimumWidth(self.label.fontMetrics().horizontalAdvance("100 %") + 4)
        self.label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.label)
        self.slider.valueChanged.connect(lambda v: self.label.setText(f"{v} %"))
        self.slider.sliderMoved.connect(lambda v: self.label.setText(f"{v} %"))

    def set_fraction(self, value: float) -> None:
        self.slider.setValue(int(round(value * 100)))
        self.label.setText(f"{self.slider.value()} %")

    def fraction(self) -> float:
        return self.slider.value() / 100.0


class TerrainControls(QWidget):
    """The styling panel of one :class:`TerrainLayer`."""

    def __init__(
        self, layer: TerrainLayer, watcher: ProjectWatcher, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.layer = layer
        self._syncing = False

        self.colormap = QComboBox()
        self.colormap.setObjectName("colormap")
        self.colormap.setIconSize(QSize(72, 14))
        for name in COLORMAPS:
            self.colormap.addItem(ramp_icon(name), name.capitalize(), name)
        self.sea_ramp = QCheckBox("Water colours below sea level")
        self.sea_ramp.setObjectName("seaRamp")
        self.sea_level = QDoubleSpinBox()
        self.sea_level.setObjectName("seaLevel")
        self.sea_level.setRange(-11000.0, 9000.0)
        self.sea_level.setDecimals(1)
        self.sea_level.setSingleStep(5.0)
        self.sea_level.setSuffix(" m")
        self.sea_level.setKeyboardTracking(False)
        self.sea_level.setToolTip(
            "Water level: 0 m for the open sea, \u2212405 m for the Dead Sea, "
            "a reservoir's full-supply level for a dam study"
        )

        self.hillshade = QGroupBox("Hillshade")
        self.hillshade.setObjectName("hillshade")
        self.hillshade.setCheckable(True)
        self.sun_azimuth = QSpinBox()
        self.sun_azimuth.setObjectName("sunAzimuth")
        self.sun_azimuth.setRange(0, 360)
        self.sun_azimuth.setWrapping(True)
        self.sun_azimuth.setSingleStep(15)
        self.sun_azimuth.setSuffix("\u00b0")
        self.sun_azimuth.setKeyboardTracking(False)
        self.sun_azimuth.setToolTip("Direction the light comes from, clockwise from north")
        self.sun_altitude = QSpinBox()
        self.sun_altitude.setObjectName("sunAltitude")
        self.sun_altitude.setRange(0, 90)
        self.sun_altitude.setSingleStep(5)
        self.sun_altitude.setSuffix("\u00b0")
        self.sun_altitude.setKeyboardTracking(False)
        self.sun_altitude.setToolTip("Height of the sun above the horizon")
        self.strength = PercentSlider(live=False)  # each step recolours the terrain
        self.strength.setObjectName("hillshadeStrength")

        self.exaggeration = QDoubleSpinBox()
        self.exaggeration.setObjectName("verticalExaggeration")
        self.exaggeration.setRange(0.01, 100.0)  # what TerrainStyle accepts
        self.exaggeration.setDecimals(2)
        self.exaggeration.setSingleStep(0.5)
        self.exaggeration.setSuffix(" \u00d7")
        self.exaggeration.setKeyboardTracking(False)
        self.exaggeration.setToolTip("Heights are drawn this many times taller (display only)")
        self.opacity = PercentSlider()
        self.opacity.setObjectName("opacity")

        colour = QGroupBox("Colour")
        form = QFormLayout(colour)
        form.addRow("Colour ramp", self.colormap)
        form.addRow("", self.sea_ramp)
        form.addRow("Sea level", self.sea_level)
        shade = QFormLayout(self.hillshade)
        shade.addRow("Sun azimuth", self.sun_azimuth)
        shade.addRow("Sun altitude", self.sun_altitude)
        shade.addRow("Strength", self.strength)
        look = QGroupBox("Rendering")
        form = QFormLayout(look)
        form.addRow("Exaggeration", self.exaggeration)
        form.addRow("Opacity", self.opacity)
        self.info = QLabel()
        self.info.setObjectName("layerInfo")
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.info.setWordWrap(True)
        about = QGroupBox("Information")
        QVBoxLayout(about).addWidget(self.info)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        for box in (colour, self.hillshade, look, about):
            layout.addWidget(box)
        layout.addStretch(1)

        self.colormap.currentIndexChanged.connect(
            lambda _i: self._write("colormap", self.colormap.currentData())
        )
        self.sea_ramp.toggled.connect(lambda on: self._write("sea_ramp", bool(on)))
        self.sea_ramp.toggled.connect(self.sea_level.setEnabled)
        self.sea_level.valueChanged.connect(lambda v: self._write("sea_level", float(v)))
        self.hillshade.toggled.connect(lambda on: self._write("hillshade", bool(on)))
        self.sun_azimuth.valueChanged.connect(lambda v: self._write("sun_azimuth", float(v)))
        self.sun_altitude.valueChanged.connect(lambda v: self._write("sun_altitude", float(v)))
        self.strength.slider.valueChanged.connect(
            lambda _v: self._write("hillshade_strength", self.strength.fraction())
        )
        self.exaggeration.valueChanged.connect(
            lambda v: self._write("vertical_exaggeration", float(v))
        )
        self.opacity.slider.valueChanged.connect(lambda _v: self._write_opacity())
        watcher.style_changed.connect(self._model_changed)
        watcher.layer_changed.connect(self._model_changed)
        self.sync()

    # -- model -> widgets --------------------------------------------------------------
    @contextmanager
    def _quiet(self) -> Iterator[None]:
        self._syncing = True
        try:
            yield
        finally:
            self._syncing = False

    def _model_changed(self, layer: Layer, _field: str) -> None:
        if layer is self.layer:
            self.sync()

    def sync(self) -> None:
        """Show the layer's current values."""
        style = self.layer.style
        with self._quiet():
            index = self.colormap.findData(style.colormap)
            self.colormap.setCurrentIndex(max(index, 0))
            self.sea_ramp.setChecked(style.sea_ramp)
            self.sea_level.setValue(getattr(style, "sea_level", 0.0))
            self.sea_level.setEnabled(style.sea_ramp)
            self.hillshade.setChecked(style.hillshade)
            self.sun_azimuth.setValue(int(round(style.sun_azimuth)))
            self.sun_altitude.setValue(int(round(style.sun_altitude)))
            self.strength.set_fraction(style.hillshade_strength)
            self.exaggeration.setValue(style.vertical_exaggeration)
            self.opacity.set_fraction(self.layer.opacity)
        self.info.setText(self._info_text())

    def _info_text(self) -> str:
        layer = self.layer
        rows = [
            ("Source", _breakable(layer.source.name)),
            ("Folder", _breakable(str(layer.source.parent))),
        ]
        if layer.source_crs:
            rows.append(("Source CRS", layer.source_crs))
        grid = layer.grid
        if grid is None:
            rows.append(("Status", "not loaded"))
        else:
            h, w = grid.shape
            rx, ry = grid.resolution
            rows.append(("Size", f"{w} \u00d7 {h} cells"))
            rows.append(("Cell size", f"{rx:g} \u00d7 {ry:g} m"))
            try:
                low, high = grid.elevation_range()
                rows.append(("Elevation", f"{_metres(low)} to {_metres(high)}"))
            except ValueError:
                rows.append(("Elevation", "no valid cells"))
        cells = "".join(
            f"<tr><td style='color:#666;padding-right:8px'>{k}</td><td>{v}</td></tr>"
            for k, v in rows
        )
        return f"<table>{cells}</table>"

    # -- widgets -> model --------------------------------------------------------------
    def _write(self, field: str, value: object) -> None:
        if self._syncing or value is None:
            return
        style = self.layer.style
        current = getattr(style, field)
        if isinstance(value, float) and isinstance(current, float) and math.isclose(value, current):
            return
        if current != value:
            setattr(style, field, value)

    def _write_opacity(self) -> None:
        if not self._syncing and not math.isclose(self.opacity.fraction(), self.layer.opacity):
            self.layer.opacity = self.opacity.fraction()
