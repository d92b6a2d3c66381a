"""Style controls of a buildings layer: colour scheme, legend, heights, opacity.

As in the terrain panel, widgets write to the model and the model's events write
back to the widgets (signals blocked), so the panel always shows the model.
Height settings (storey height, default height) change how the file is read: the
main window reloads the layer when they change (``Layer.reload_fields``).
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from twinscape.model.buildings import BUILDING_RAMPS, BuildingsLayer
from twinscape.model.layers import Layer
from twinscape.render.building_colors import building_legend
from twinscape.ui.project_watch import ProjectWatcher
from twinscape.ui.terrain_controls import PercentSlider

_MODES = (("single", "Single colour"), ("graduated", "Graduated"), ("categorised", "Categorised"))


def _swatch(rgb: tuple[int, int, int], size: int = 14) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(*rgb))
    return QIcon(pixmap)


class BuildingsControls(QWidget):
    """The styling panel of one :class:`~twinscape.model.buildings.BuildingsLayer`."""

    def __init__(
        self, layer: BuildingsLayer, watcher: ProjectWatcher, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.layer = layer
        self._syncing = False

        self.mode = QComboBox()
        self.mode.setObjectName("colorMode")
        for value, label in _MODES:
            self.mode.addItem(label, value)
        self.color = QPushButton()
        self.color.setObjectName("buildingColor")
        self.color.setToolTip("Colour of the buildings (single colour)")
        self.column = QComboBox()
        self.column.setObjectName("colorBy")
        self.column.setToolTip("Attribute that drives the colour")
        self.ramp = QComboBox()
        self.ramp.setObjectName("buildingRamp")
        for name in BUILDING_RAMPS:
            self.ramp.addItem(name.capitalize(), name)
        self.classes = QSpinBox()
        self.classes.setObjectName("classes")
        self.classes.setRange(2, 12)
        self.semantic = QCheckBox("Roofs, walls and ground apart")
        self.semantic.setObjectName("semanticColors")
        self.legend = QLabel()
        self.legend.setObjectName("legend")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)

        self.storey = QDoubleSpinBox()
        self.storey.setObjectName("storeyHeight")
        self.storey.setRange(0.5, 20.0)
        self.storey.setDecimals(1)
        self.storey.setSingleStep(0.1)
        self.storey.setSuffix(" m")
        self.storey.setKeyboardTracking(False)
        self.storey.setToolTip("Height of one storey, for buildings whose height comes from levels")
        self.default = QDoubleSpinBox()
        self.default.setObjectName("defaultHeight")
        self.default.setRange(0.5, 1000.0)
        self.default.setDecimals(1)
        self.default.setSuffix(" m")
        self.default.setKeyboardTracking(False)
        self.default.setToolTip("Height of buildings with no height, levels or known type")
        self.opacity = PercentSlider()
        self.opacity.setObjectName("opacity")
        self.info = QLabel()
        self.info.setObjectName("layerInfo")
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        colour = QGroupBox("Colour")
        form = QFormLayout(colour)
        form.addRow("Style", self.mode)
        form.addRow("Colour", self.color)
        form.addRow("Attribute", self.column)
        form.addRow("Ramp", self.ramp)
        form.addRow("Classes", self.classes)
        form.addRow("", self.semantic)
        form.addRow("Legend", self.legend)
        heights = QGroupBox("Heights")
        form = QFormLayout(heights)
        form.addRow("Storey height", self.storey)
        form.addRow("Default height", self.default)
        look = QGroupBox("Rendering")
        QFormLayout(look).addRow("Opacity", self.opacity)
        about = QGroupBox("Information")
        QVBoxLayout(about).addWidget(self.info)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        for box in (colour, heights, look, about):
            layout.addWidget(box)
        layout.addStretch(1)

        self.mode.currentIndexChanged.connect(lambda _i: self._write_mode())
        self.color.clicked.connect(self._pick_color)
        self.column.currentIndexChanged.connect(lambda _i: self._write_mode())
        self.ramp.currentIndexChanged.connect(
            lambda _i: self._write("ramp", self.ramp.currentData())
        )
        self.classes.valueChanged.connect(lambda v: self._write("classes", int(v)))
        self.semantic.toggled.connect(lambda on: self._write("semantic_colors", bool(on)))
        self.storey.valueChanged.connect(lambda v: self._write_layer("storey_height", float(v)))
        self.default.valueChanged.connect(lambda v: self._write_layer("default_height", float(v)))
        self.opacity.slider.valueChanged.connect(
            lambda _v: self._write_layer("opacity", self.opacity.fraction())
        )
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

    def columns(self) -> list[str]:
        """Attributes of the building table a style can use."""
        mesh = self.layer.mesh
        if mesh is None:
            return [self.layer.style.color_by] if self.layer.style.color_by else []
        return [str(c) for c in mesh.table.columns]

    def sync(self) -> None:
        """Show the layer's current values."""
        layer, style = self.layer, self.layer.style
        with self._quiet():
            self.mode.setCurrentIndex(max(0, self.mode.findData(style.color_mode)))
            self.color.setIcon(_swatch(_hex(style.color), 16))
            self.color.setText(style.color)
            self.column.clear()
            for name in self.columns():
                self.column.addItem(name, name)
            pick = style.color_by or ("height" if "height" in self.columns() else None)
            self.column.setCurrentIndex(max(0, self.column.findData(pick)))
            self.ramp.setCurrentIndex(max(0, self.ramp.findData(style.ramp)))
            self.classes.setValue(style.classes)
            self.semantic.setChecked(style.semantic_colors)
            self.storey.setValue(layer.storey_height)
            self.default.setValue(layer.default_height)
            self.opacity.set_fraction(layer.opacity)
            single = style.color_mode == "single"
            self.color.setEnabled(single)
            self.column.setEnabled(not single)
            self.ramp.setEnabled(style.color_mode == "graduated")
            self.classes.setEnabled(style.color_mode == "graduated")
        self.legend.setText(self._legend_html())
        self.info.setText(self._info_html())

    def _legend_html(self) -> str:
        rows = []
        for label, rgb in building_legend(self.layer):
            colour = "#{:02x}{:02x}{:02x}".format(*rgb)
            rows.append(
                f"<tr><td style='background:{colour};width:18px'>&nbsp;</td>"
                f"<td style='padding-left:6px'>{html.escape(str(label))}</td></tr>"
            )
        return f"<table cellspacing='2'>{''.join(rows)}</table>"

    def _info_html(self) -> str:
        lines = [html.escape(line) for line in self.layer.describe()]
        return "<br>".join(lines)

    # -- widgets -> model --------------------------------------------------------------
    def _write(self, field: str, value: object) -> None:
        if self._syncing or value is None:
            return
        if getattr(self.layer.style, field) != value:
            setattr(self.layer.style, field, value)

    def _write_layer(self, field: str, value: float) -> None:
        if self._syncing:
            return
        if not math.isclose(getattr(self.layer, field), value):
            setattr(self.layer, field, value)

    def _write_mode(self) -> None:
        """Change mode and column together (a graduated style needs a column)."""
        if self._syncing:
            return
        mode = self.mode.currentData()
        column = self.column.currentData()
        style = self.layer.style
        if mode != "single" and not column:
            return
        if mode == "graduated" and column and not _numeric(self.layer, column):
            mode = "categorised"  # text columns can only be categorised
        if mode != "single" and style.color_by != column:
            style.color_by = column
        if style.color_mode != mode:
            style.color_mode = mode

    def _pick_color(self) -> None:
        current = QColor(self.layer.style.color)
        chosen = QColorDialog.getColor(current, self, "Building colour")
        if chosen.isValid():
            self._write("color", chosen.name())


def _hex(text: str) -> tuple[int, int, int]:
    return int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16)


def _numeric(layer: BuildingsLayer, column: str) -> bool:
    """True when most values of ``column`` are numbers."""
    if layer.mesh is None or column not in layer.mesh.table.columns:
        return False
    values = pd.to_numeric(layer.mesh.table[column], errors="coerce")
    return bool(np.isfinite(values.to_numpy(dtype=float)).mean() > 0.5) if len(values) else False
