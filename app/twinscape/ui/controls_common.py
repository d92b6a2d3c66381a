"""What the styling panels of all layer kinds share (ui/<kind>_controls.py).

:class:`LayerControls` is the base of a panel: widgets write to the model
(``layer.<field>``, ``layer.style.<field>``), and the model's events (through
:class:`~twinscape.ui.project_watch.ProjectWatcher`) write back to the widgets with
writing switched off, so the panel always shows the model: after a project is loaded,
a script changed a value, or another widget did. Every panel has an opacity slider
and an information box; the widget factories here give the panels one look.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from twinscape.model.layers import Layer
from twinscape.ui.project_watch import ProjectWatcher


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


def spin_box(
    name: str,
    low: float,
    high: float,
    *,
    step: float,
    suffix: str = "",
    tip: str = "",
    decimals: int | None = None,
    wrapping: bool = False,
    box_type: type[QSpinBox] | type[QDoubleSpinBox] | None = None,
) -> Any:
    """A spin box named ``name`` that writes its value when editing ends, not per keystroke.

    Parameters
    ----------
    decimals
        None: a whole-number :class:`QSpinBox`; else a :class:`QDoubleSpinBox` with as
        many decimals.
    wrapping
        Step from the top of the range to the bottom (an azimuth).
    box_type
        A subclass of the spin box to build instead.
    """
    box = (box_type or (QSpinBox if decimals is None else QDoubleSpinBox))()
    box.setObjectName(name)
    if decimals is None:
        box.setRange(int(low), int(high))
        box.setSingleStep(int(step))
    else:
        box.setRange(low, high)
        box.setDecimals(decimals)
        box.setSingleStep(step)
    box.setWrapping(wrapping)
    box.setSuffix(suffix)
    box.setKeyboardTracking(False)
    box.setToolTip(tip)
    return box


def combo_box(name: str, items: Sequence[tuple[Any, str]], tip: str = "") -> QComboBox:
    """A combo box named ``name`` offering ``(value, label)`` items."""
    box = QComboBox()
    box.setObjectName(name)
    for value, label in items:
        box.addItem(label, value)
    box.setToolTip(tip)
    return box


def index_of(box: QComboBox, value: Any) -> int:
    """Index of the item whose data equals ``value`` (-1: none). ``QComboBox.findData``
    compares Python objects such as tuples by identity, so an equal copy is not found."""
    return next((i for i in range(box.count()) if box.itemData(i) == value), -1)


def form_group(box: str | QGroupBox, rows: Sequence[tuple[str, QWidget]]) -> QGroupBox:
    """A group box (a title, or a box made already) holding ``(label, widget)`` rows."""
    group = QGroupBox(box) if isinstance(box, str) else box
    form = QFormLayout(group)
    for label, widget in rows:
        form.addRow(label, widget)
    return group


def breakable(text: str) -> str:
    """``text`` as HTML that may wrap after path separators (zero-width spaces)."""
    for sep in ("/", "\\", "_", "-", "."):
        text = text.replace(sep, sep + "\u200b")
    return html.escape(text)


def info_table(rows: Sequence[tuple[str, str]]) -> str:
    """An HTML table of ``(name, value)`` rows for an information box; values are HTML."""
    cells = "".join(
        f"<tr><td style='color:#666;padding-right:8px'>{k}</td><td>{v}</td></tr>"
        for k, v in rows
    )
    return f"<table>{cells}</table>"


class LayerControls(QWidget):
    """Base of a layer's styling panel: widgets write the model, model events write back.

    A subclass builds its widgets, lays them out with :meth:`arrange`, connects their
    signals to :meth:`write_layer` / :meth:`write_style` (or to writers of its own that
    do nothing while :attr:`syncing`), and ends with :meth:`follow`. It implements
    :meth:`show_values` (the model into the widgets) and :meth:`info_html`.

    Attributes
    ----------
    opacity
        The layer's opacity slider (object name ``opacity``).
    info
        The information box (object name ``layerInfo``).
    attribution
        The credit for the layer's data (object name ``attribution``), under Information.
    """

    def __init__(self, layer: Layer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layer = layer
        self._syncing = False
        self.opacity = PercentSlider()
        self.opacity.setObjectName("opacity")
        self.opacity.slider.valueChanged.connect(
            lambda _v: self.write_layer("opacity", self.opacity.fraction())
        )
        self.info = QLabel()
        self.info.setObjectName("layerInfo")
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.attribution = QLineEdit()
        self.attribution.setObjectName("attribution")
        self.attribution.setPlaceholderText("the source file's name")
        self.attribution.setToolTip("Credit for the data, shown on screenshots and videos")
        self.attribution.editingFinished.connect(
            lambda: self.write_layer("attribution", self.attribution.text().strip())
        )

    def arrange(self, *groups: QGroupBox, rendering: Sequence[tuple[str, QWidget]] = ()) -> None:
        """Lay out ``groups``, then Rendering (``rendering`` rows and Opacity), then Information."""
        look = form_group("Rendering", [*rendering, ("Opacity", self.opacity)])
        about = QGroupBox("Information")
        column = QVBoxLayout(about)
        column.addWidget(self.info)
        credit = QFormLayout()
        credit.addRow("Credit", self.attribution)
        column.addLayout(credit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        for box in (*groups, look, about):
            layout.addWidget(box)
        layout.addStretch(1)

    def follow(self, watcher: ProjectWatcher, *, style: bool = True) -> None:
        """Show the model now and whenever the layer (and with ``style``, its style) changes."""
        if style:
            watcher.style_changed.connect(self._model_changed)
        watcher.layer_changed.connect(self._model_changed)
        self.sync()

    # -- model -> widgets --------------------------------------------------------------
    @property
    def syncing(self) -> bool:
        """True while the widgets are being set from the model (they must not write)."""
        return self._syncing

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
        with self._quiet():
            self.show_values()
            self.opacity.set_fraction(self.layer.opacity)
            if not self.attribution.hasFocus():
                self.attribution.setText(self.layer.attribution)
        self.info.setText(self.info_html())

    def show_values(self) -> None:
        """Set the kind's widgets from the layer (writing is off meanwhile)."""
        raise NotImplementedError

    def info_html(self) -> str:
        """The information box's text (HTML)."""
        raise NotImplementedError

    # -- widgets -> model --------------------------------------------------------------
    def write_layer(self, field: str, value: Any) -> None:
        """Set ``layer.<field>`` from a widget, unless syncing or unchanged."""
        self._write(self.layer, field, value)

    def write_style(self, field: str, value: Any) -> None:
        """Set ``layer.style.<field>`` from a widget, unless syncing or unchanged."""
        self._write(self.layer.style, field, value)  # type: ignore[attr-defined]

    def _write(self, target: Any, field: str, value: Any) -> None:
        if self._syncing or value is None:
            return
        current = getattr(target, field)
        if isinstance(value, float) and isinstance(current, float) and math.isclose(value, current):
            return
        if current != value:
            try:
                setattr(target, field, value)
            except ValueError:  # refused by the model: show its value again
                self.sync()
