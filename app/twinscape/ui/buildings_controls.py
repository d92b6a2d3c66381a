"""Style controls of a buildings layer: colour scheme, legend, heights, opacity.

As in the terrain panel, widgets write to the model and the model's events write
back to the widgets (ui/controls_common.py), so the panel always shows the model.
Height settings (storey height, default height) change how the file is read: the
main window reloads the layer when they change (``Layer.reload_fields``).
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QComboBox,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

from twinscape.model.buildings import BUILDING_RAMPS, BuildingsLayer
from twinscape.render.building_colors import building_legend
from twinscape.ui.controls_common import LayerControls, combo_box, form_group, spin_box
from twinscape.ui.project_watch import ProjectWatcher

_MODES = (("single", "Single colour"), ("graduated", "Graduated"), ("categorised", "Categorised"))


def _swatch(rgb: tuple[int, int, int], size: int = 14) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(*rgb))
    return QIcon(pixmap)


class BuildingsControls(LayerControls):
    """The styling panel of one :class:`~twinscape.model.buildings.BuildingsLayer`."""

    layer: BuildingsLayer

    def __init__(
        self, layer: BuildingsLayer, watcher: ProjectWatcher, parent: QWidget | None = None
    ) -> None:
        super().__init__(layer, parent)
        self.mode = combo_box("colorMode", _MODES)
        self.color = QPushButton()
        self.color.setObjectName("buildingColor")
        self.color.setToolTip("Colour of the buildings (single colour)")
        self.column = QComboBox()
        self.column.setObjectName("colorBy")
        self.column.setToolTip("Attribute that drives the colour")
        self.ramp = combo_box("buildingRamp", [(n, n.capitalize()) for n in BUILDING_RAMPS])
        self.classes = QSpinBox()
        self.classes.setObjectName("classes")
        self.classes.setRange(2, 12)
        self.semantic = QCheckBox("Roofs, walls and ground apart")
        self.semantic.setObjectName("semanticColors")
        self.legend = QLabel()
        self.legend.setObjectName("legend")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)

        self.storey = spin_box(
            "storeyHeight", 0.5, 20.0, decimals=1, step=0.1, suffix=" m",
            tip="Height of one storey, for buildings whose height comes from levels",
        )  # fmt: skip
        self.default = spin_box(
            "defaultHeight", 0.5, 1000.0, decimals=1, step=1.0, suffix=" m",
            tip="Height of buildings with no height, levels or known type",
        )  # fmt: skip

        colour = form_group("Colour", [
            ("Style", self.mode), ("Colour", self.color), ("Attribute", self.column),
            ("Ramp", self.ramp), ("Classes", self.classes), ("", self.semantic),
            ("Legend", self.legend),
        ])  # fmt: skip
        heights = form_group("Heights", [
            ("Storey height", self.storey), ("Default height", self.default),
        ])  # fmt: skip
        self.arrange(colour, heights)

        self.mode.currentIndexChanged.connect(lambda _i: self._write_mode())
        self.color.clicked.connect(self._pick_color)
        self.column.currentIndexChanged.connect(lambda _i: self._write_mode())
        self.ramp.currentIndexChanged.connect(
            lambda _i: self.write_style("ramp", self.ramp.currentData())
        )
        self.classes.valueChanged.connect(lambda v: self.write_style("classes", int(v)))
        self.semantic.toggled.connect(lambda on: self.write_style("semantic_colors", bool(on)))
        self.storey.valueChanged.connect(lambda v: self.write_layer("storey_height", float(v)))
        self.default.valueChanged.connect(lambda v: self.write_layer("default_height", float(v)))
        self.follow(watcher)

    # -- model -> widgets --------------------------------------------------------------
    def columns(self) -> list[str]:
        """Attributes of the building table a style can use."""
        mesh = self.layer.mesh
        if mesh is None:
            return [self.layer.style.color_by] if self.layer.style.color_by else []
        return [str(c) for c in mesh.table.columns]

    def sync(self) -> None:
        """Show the layer's current values and legend."""
        super().sync()
        self.legend.setText(self._legend_html())

    def show_values(self) -> None:
        layer, style = self.layer, self.layer.style
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
        single = style.color_mode == "single"
        self.color.setEnabled(single)
        self.column.setEnabled(not single)
        self.ramp.setEnabled(style.color_mode == "graduated")
        self.classes.setEnabled(style.color_mode == "graduated")

    def _legend_html(self) -> str:
        rows = []
        for label, rgb in building_legend(self.layer):
            colour = "#{:02x}{:02x}{:02x}".format(*rgb)
            rows.append(
                f"<tr><td style='background:{colour};width:18px'>&nbsp;</td>"
                f"<td style='padding-left:6px'>{html.escape(str(label))}</td></tr>"
            )
        return f"<table cellspacing='2'>{''.join(rows)}</table>"

    def info_html(self) -> str:
        lines = [html.escape(line) for line in self.layer.describe()]
        return "<br>".join(lines)

    # -- widgets -> model --------------------------------------------------------------
    def _write_mode(self) -> None:
        """Change mode and column together (a graduated style needs a column)."""
        if self.syncing:
            return
        mode = self.mode.currentData()
        column = self.column.currentData()
        style = self.layer.style
        if mode != "single" and not column:
            return
        if mode == "graduated" and column and not _numeric(self.layer, column):
            mode = "categorised"  # text columns can only be categorised
        # each write redraws: never show a graduated style of a text column in between
        if mode == "categorised" and style.color_mode != mode:
            style.color_mode = mode
        if mode != "single" and style.color_by != column:
            style.color_by = column
        if style.color_mode != mode:
            style.color_mode = mode

    def _pick_color(self) -> None:
        current = QColor(self.layer.style.color)
        chosen = QColorDialog.getColor(current, self, "Building colour")
        if chosen.isValid():
            self.write_style("color", chosen.name())


def _hex(text: str) -> tuple[int, int, int]:
    return int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16)


def _numeric(layer: BuildingsLayer, column: str) -> bool:
    """True when most values of ``column`` are numbers."""
    if layer.mesh is None or column not in layer.mesh.table.columns:
        return False
    values = pd.to_numeric(layer.mesh.table[column], errors="coerce")
    return bool(np.isfinite(values.to_numpy(dtype=float)).mean() > 0.5) if len(values) else False
