"""Controls of a 3D model layer: where it stands (position, rotation, scale, height), how
its file is read (up axis, units, anchor), opacity and facts about it.

As in the other panels, widgets write to the model and the model's events write
back to the widgets (ui/controls_common.py), so the panel always shows the model. The
placement is frozen: a widget replaces it as a whole, and the layer re-bases
itself on the ground when it moves (model/models3d.py). The up axis changes how
the file is read: the main window reloads the layer (``Layer.reload_fields``).
"""

from __future__ import annotations

import html
import math
from dataclasses import replace
from typing import Any

from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QWidget

from twinscape.model.models3d import SCALE_RANGE, ModelLayer
from twinscape.ui.controls_common import (
    LayerControls,
    breakable,
    combo_box,
    form_group,
    info_table,
    spin_box,
)
from twinscape.ui.project_watch import ProjectWatcher

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


class AngleSpinBox(QDoubleSpinBox):
    """Degrees 0..360 whose steps wrap around (350 + 15 is 5, not 360)."""

    def stepBy(self, steps: int) -> None:  # noqa: N802 - Qt override
        """Step modulo 360."""
        self.setValue((self.value() + steps * self.singleStep()) % 360.0)


class ModelControls(LayerControls):
    """The panel of one :class:`~twinscape.model.models3d.ModelLayer`."""

    layer: ModelLayer

    def __init__(
        self, layer: ModelLayer, watcher: ProjectWatcher, parent: QWidget | None = None
    ) -> None:
        super().__init__(layer, parent)
        self.x = spin_box("modelX", -1e8, 1e8, decimals=2, step=10.0, suffix=" m",
                          tip="Easting in the project CRS")  # fmt: skip
        self.y = spin_box("modelY", -1e8, 1e8, decimals=2, step=10.0, suffix=" m",
                          tip="Northing in the project CRS")  # fmt: skip
        self.rotation = spin_box(
            "modelRotation", 0.0, 360.0, decimals=1, step=15.0, suffix="\u00b0",
            tip="Turn clockwise from north, about the vertical", box_type=AngleSpinBox,
        )  # fmt: skip
        self.scale = spin_box(
            "modelScale", max(SCALE_RANGE[0], 0.001), min(SCALE_RANGE[1], 1000.0), decimals=3,
            step=0.1, suffix=" \u00d7", tip="Uniform scale of the model",
        )  # fmt: skip
        self.z_offset = spin_box(
            "modelZOffset", -10_000.0, 10_000.0, decimals=2, step=1.0, suffix=" m",
            tip="Height above the ground (snapped), or elevation of the model's foot",
        )  # fmt: skip
        self.snap = QCheckBox("Snap to ground")
        self.snap.setObjectName("snapToGround")
        self.snap.setToolTip("Stand on the lowest terrain point under the model's footprint")
        self.up_axis = combo_box("upAxis", _UP_AXES, "The file's up axis (re-reads the file)")
        self.units = combo_box("modelUnits", tuple((v, k) for k, v in UNITS),
                               "The unit the model was drawn in")  # fmt: skip
        self.anchor = combo_box("modelAnchor", _ANCHORS, "Which point of the model stands at X, Y")

        place = form_group("Placement", [
            ("X", self.x), ("Y", self.y), ("Rotation", self.rotation), ("Scale", self.scale),
            ("Z offset", self.z_offset), ("", self.snap),
        ])  # fmt: skip
        read = form_group("Model file", [
            ("Up axis", self.up_axis), ("Units", self.units), ("Anchor", self.anchor),
        ])  # fmt: skip
        self.arrange(place, read)

        self.x.valueChanged.connect(lambda v: self._place(x=float(v)))
        self.y.valueChanged.connect(lambda v: self._place(y=float(v)))
        self.rotation.valueChanged.connect(lambda v: self._place(rotation_deg=float(v) % 360.0))
        self.scale.valueChanged.connect(lambda v: self._place(scale=float(v)))
        self.z_offset.valueChanged.connect(lambda v: self._place(z_offset=float(v)))
        self.snap.toggled.connect(lambda on: self._place(snap_to_ground=bool(on)))
        self.up_axis.currentIndexChanged.connect(
            lambda _i: self.write_layer("up_axis", self.up_axis.currentData())
        )
        self.units.currentIndexChanged.connect(
            lambda _i: self.write_layer("unit_scale", self.units.currentData())
        )
        self.anchor.currentIndexChanged.connect(
            lambda _i: self.write_layer("anchor", self.anchor.currentData())
        )
        self.follow(watcher, style=False)

    # -- model -> widgets --------------------------------------------------------------
    def show_values(self) -> None:
        layer, p = self.layer, self.layer.placement
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

    def _show_units(self, unit_scale: float) -> None:
        for index in range(self.units.count()):
            if math.isclose(self.units.itemData(index), unit_scale):
                self.units.setCurrentIndex(index)
                return
        label = f"{unit_scale:g} m per unit"  # set in a project file: keep it selectable
        self.units.addItem(label, unit_scale)
        self.units.setCurrentIndex(self.units.count() - 1)

    def info_html(self) -> str:
        layer = self.layer
        rows = [("Source", breakable(layer.source.name)),
                ("Folder", breakable(str(layer.source.parent)))]  # fmt: skip
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
        return info_table(rows)

    # -- widgets -> model --------------------------------------------------------------
    def _place(self, **changes: Any) -> None:
        """Replace the placement with ``changes`` applied (the model re-bases itself)."""
        if self.syncing:
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
