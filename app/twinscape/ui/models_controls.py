"""Controls of a 3D model layer: where it stands (position, rotation, scale, height), how
its file is read (up axis, units, anchor), opacity and facts about it.

As in the other panels, widgets write to the model and the model's events write
back to the widgets (signals blocked), so the panel always shows the model. The
placement is frozen: a widget replaces it as a whole, and the layer re-bases
itself on the ground when it moves (model/models3d.py). The up axis changes how
the file is read: the main window reloads the layer (``Layer.reload_fields``).
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from twinscape.model.layers import Layer
from twinscape.model.models3d import SCALE_RANGE, ModelLayer
from twinscape.ui.project_watch import ProjectWatcher
from twinscape.ui.terrain_controls import PercentSlider

#: Model units offered, metres per unit.
UNITS: tuple[tuple[str, float], ...] = (
    ("Metres", 1.0),
    ("Centimetres", 0.01),
    ("Millimetres", 0.001),
    ("Feet", 0.3048),
    ("Inches", 0.0254),
)
_UP_AXES = (("y", "Y up (glTF, most OBJ)"), ("z", "Z up (CAD, STL, PLY)"))
_ANCHORS = (("centre", "Centre of its footprint"), ("origin", "Its own origin (0, 0)"))


def _breakable(text: str) -> str:
    """Let long paths wrap in a label (zero-width spaces after separators)."""
    for sep in ("/", "\\", "_", "-", "."):
        text = text.replace(sep, sep + "\u200b")
    return html.escape(text)


class AngleSpinBox(QDoubleSpinBox):
    """Degrees 0..360 whose steps wrap around (350 + 15 is 5, not 360)."""

    def stepBy(self, steps: int) -> None:  # noqa: N802 - Qt override
        """Step modulo 360."""
        self.setValue((self.value() + steps * self.singleStep()) % 360.0)


def _spin(name: str, low: float, high: float, decimals: int, step: float, suffix: str,
          tip: str, cls: type[QDoubleSpinBox] = QDoubleSpinBox) -> QDoubleSpinBox:  # fmt: skip
    box = cls()
    box.setObjectName(name)
    box.setRange(low, high)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    box.setSuffix(suffix)
    box.setKeyboardTracking(False)
    box.setToolTip(tip)
    return box


def _combo(name: str, items: tuple[tuple[Any, str], ...], tip: str) -> QComboBox:
    box = QComboBox()
    box.setObjectName(name)
    for value, label in items:
        box.addItem(label, value)
    box.setToolTip(tip)
    return box


class ModelControls(QWidget):
    """The panel of one :class:`~twinscape.model.models3d.ModelLayer`."""

    def __init__(
        self, layer: ModelLayer, watcher: ProjectWatcher, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.layer = layer
        self._syncing = False

        self.x = _spin("modelX", -1e8, 1e8, 2, 10.0, " m", "Easting in the project CRS")
        self.y = _spin("modelY", -1e8, 1e8, 2, 10.0, " m", "Northing in the project CRS")
        self.rotation = _spin(
            "modelRotation", 0.0, 360.0, 1, 15.0, "\u00b0",
            "Turn clockwise from north, about the vertical", AngleSpinBox,
        )  # fmt: skip
        self.scale = _spin(
            "modelScale", max(SCALE_RANGE[0], 0.001), min(SCALE_RANGE[1], 1000.0), 3, 0.1,
            " \u00d7", "Uniform scale of the model",
        )  # fmt: skip
        self.z_offset = _spin(
            "modelZOffset", -10_000.0, 10_000.0, 2, 1.0, " m",
            "Height above the ground (snapped), or elevation of the model's foot",
        )  # fmt: skip
        self.snap = QCheckBox("Snap to ground")
        self.snap.setObjectName("snapToGround")
        self.snap.setToolTip("Stand on the lowest terrain point under the model's footprint")
        self.up_axis = _combo("upAxis", _UP_AXES, "The file's up axis (re-reads the file)")
        self.units = _combo("modelUnits", tuple((v, k) for k, v in UNITS),
                            "The unit the model was drawn in")  # fmt: skip
        self.anchor = _combo("modelAnchor", _ANCHORS, "Which point of the model stands at X, Y")
        self.opacity = PercentSlider()
        self.opacity.setObjectName("opacity")
        self.info = QLabel()
        self.info.setObjectName("layerInfo")
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        place = QGroupBox("Placement")
        form = QFormLayout(place)
        form.addRow("X", self.x)
        form.addRow("Y", self.y)
        form.addRow("Rotation", self.rotation)
        form.addRow("Scale", self.scale)
        form.addRow("Z offset", self.z_offset)
        form.addRow("", self.snap)
        read = QGroupBox("Model file")
        form = QFormLayout(read)
        form.addRow("Up axis", self.up_axis)
        form.addRow("Units", self.units)
        form.addRow("Anchor", self.anchor)
        look = QGroupBox("Rendering")
        QFormLayout(look).addRow("Opacity", self.opacity)
        about = QGroupBox("Information")
        QVBoxLayout(about).addWidget(self.info)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        for box in (place, read, look, about):
            layout.addWidget(box)
        layout.addStretch(1)

        self.x.valueChanged.connect(lambda v: self._place(x=float(v)))
        self.y.valueChanged.connect(lambda v: self._place(y=float(v)))
        self.rotation.valueChanged.connect(lambda v: self._place(rotation_deg=float(v) % 360.0))
        self.scale.valueChanged.connect(lambda v: self._place(scale=float(v)))
        self.z_offset.valueChanged.connect(lambda v: self._place(z_offset=float(v)))
        self.snap.toggled.connect(lambda on: self._place(snap_to_ground=bool(on)))
        self.up_axis.currentIndexChanged.connect(
            lambda _i: self._write("up_axis", self.up_axis.currentData())
        )
        self.units.currentIndexChanged.connect(
            lambda _i: self._write("unit_scale", self.units.currentData())
        )
        self.anchor.currentIndexChanged.connect(
            lambda _i: self._write("anchor", self.anchor.currentData())
        )
        self.opacity.slider.valueChanged.connect(
            lambda _v: self._write("opacity", self.opacity.fraction())
        )
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
        layer, p = self.layer, self.layer.placement
        with self._quiet():
            placed = p.placed
            for box in (self.x, self.y):
                box.setEnabled(placed)
            if placed:
                self.x.setValue(float(p.x))  # type: ignore[arg-type]
                self.y.setValue(float(p.y))  # type: ignore[arg-type]
            self.rotation.setValue(p.rotation_deg)
            self.scale.setValue(p.scale)
            self.z_offset.setValue(p.z_offset)
            self.snap.setChecked(p.snap_to_ground)
            self.up_axis.setCurrentIndex(max(0, self.up_axis.findData(layer.up_axis)))
            self._show_units(layer.unit_scale)
            self.anchor.setCurrentIndex(max(0, self.anchor.findData(layer.anchor)))
            self.opacity.set_fraction(layer.opacity)
        self.info.setText(self._info_html())

    def _show_units(self, unit_scale: float) -> None:
        for index in range(self.units.count()):
            if math.isclose(self.units.itemData(index), unit_scale):
                self.units.setCurrentIndex(index)
                return
        label = f"{unit_scale:g} m per unit"  # set in a project file: keep it selectable
        self.units.addItem(label, unit_scale)
        self.units.setCurrentIndex(self.units.count() - 1)

    def _info_html(self) -> str:
        layer = self.layer
        rows = [("Source", _breakable(layer.source.name)),
                ("Folder", _breakable(str(layer.source.parent)))]  # fmt: skip
        mesh = layer.mesh
        if mesh is None:
            rows.append(("Status", "not loaded"))
        else:
            w, d, h = layer.size_m  # type: ignore[misc]
            rows += [
                ("Model", html.escape(mesh.name)),
                ("Triangles", f"{mesh.count:,}".replace(",", "\u2009")),
                ("Size", f"{w:.1f} \u00d7 {d:.1f} \u00d7 {h:.1f} m"),
                ("Ground", "no terrain under it" if layer.base is None
                 else f"{layer.base:.1f} m"),
                ("Foot at", f"{layer.elevation:.1f} m"),
            ]  # fmt: skip
        cells = "".join(
            f"<tr><td style='color:#666;padding-right:8px'>{k}</td><td>{v}</td></tr>"
            for k, v in rows
        )
        return f"<table>{cells}</table>"

    # -- widgets -> model --------------------------------------------------------------
    def _place(self, **changes: Any) -> None:
        """Replace the placement with ``changes`` applied (the model re-bases itself)."""
        if self._syncing:
            return
        old = self.layer.placement
        if "x" in changes or "y" in changes:
            if not old.placed:
                return
        try:
            new = replace(old, **changes)
        except ValueError:
            self.sync()  # out of range: show the model's value again
            return
        if new != old:
            self.layer.placement = new

    def _write(self, field: str, value: Any) -> None:
        if self._syncing or value is None:
            return
        current = getattr(self.layer, field)
        if isinstance(value, float) and math.isclose(value, current):
            return
        if current != value:
            try:
                setattr(self.layer, field, value)
            except ValueError:
                self.sync()
