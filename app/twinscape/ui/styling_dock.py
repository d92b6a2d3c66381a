"""The "Layer Styling" dock: the controls panel of the selected layer.

Panels are found by layer type through ui/kinds (walking the MRO, as napari
does), so a new layer kind registers its panel there and changes nothing here.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QLabel, QScrollArea, QStackedWidget, QVBoxLayout, QWidget

from twinscape.model.layers import Layer
from twinscape.model.project import Project
from twinscape.ui.kinds import controls_for
from twinscape.ui.project_watch import ProjectWatcher


class LayerStylingDock(QDockWidget):
    """Shows the styling panel of one layer at a time."""

    def __init__(self, watcher: ProjectWatcher, parent: QWidget | None = None) -> None:
        super().__init__("Layer Styling", parent)
        self.setObjectName("stylingDock")
        self._watcher = watcher
        self.layer: Layer | None = None
        self.controls: QWidget | None = None

        self.title = QLabel()
        self.title.setObjectName("stylingTitle")
        self.title.setContentsMargins(10, 8, 10, 0)
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.title.setFont(font)
        self.placeholder = QLabel("Select a layer in the Layers panel\nto change how it looks.")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("color: #777;")
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(self.scroll)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.stack, 1)
        self.setWidget(body)
        watcher.project_replaced.connect(lambda _p: self._layers_changed())
        watcher.layer_changed.connect(self._layer_changed)
        watcher.layers_changed.connect(self._layers_changed)
        self.show_layer(None)

    def show_layer(self, layer: Layer | None) -> None:
        """Show the controls of ``layer`` (None: the placeholder)."""
        if layer is self.layer and (layer is None or self.controls is not None):
            return
        old = self.scroll.takeWidget()
        if old is not None:
            old.deleteLater()
        self.layer, self.controls = layer, None
        if layer is None:
            self.title.setText("")
            self.title.hide()
            self.stack.setCurrentWidget(self.placeholder)
            return
        try:
            self.controls = controls_for(layer, self._watcher)
        except TypeError:  # a kind with no settings of its own: say so, don't fail
            self.controls = QLabel(f"\u201c{layer.name}\u201d has no style settings.")
            self.controls.setObjectName("noControls")
        self.scroll.setWidget(self.controls)
        self.title.setText(layer.name)
        self.title.show()
        self.stack.setCurrentWidget(self.scroll)

    def _layer_changed(self, layer: Layer, field: str) -> None:
        if layer is self.layer and field == "name":
            self.title.setText(layer.name)

    def _layers_changed(self) -> None:
        project: Project | None = self._watcher.project
        if self.layer is not None and (project is None or self.layer not in project.layers):
            self.show_layer(None)
