"""The legend of an analysis layer: a colour swatch and a label per class, as drawn."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QWidget

from twinscape.model.analysis import AnalysisLayer
from twinscape.render.analysis_colors import analysis_legend


def swatch(rgba: tuple[int, int, int, int], size: int = 16) -> QPixmap:
    """A square of ``rgba`` over white (as the colour shows over a pale terrain)."""
    r, g, b, a = rgba
    alpha = a / 255.0
    mixed = [round(c * alpha + 255 * (1 - alpha)) for c in (r, g, b)]
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(*mixed))
    return pixmap


class AnalysisLegend(QGroupBox):
    """The "Legend" group: swatches ("legendSwatch") and labels ("legendLabel")."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Legend", parent)
        self.setObjectName("legend")
        self._grid = QGridLayout(self)
        self.entries: list[tuple[str, tuple[int, int, int, int]]] = []

    def show_layer(self, layer: AnalysisLayer) -> None:
        """Show the classes of ``layer`` as it is drawn now."""
        while self._grid.count():
            item = self._grid.takeAt(0)
            widget = item.widget()
            if widget is not None:
                widget.setParent(None)  # gone from the panel now, deleted later
                widget.deleteLater()
        self.entries = analysis_legend(layer)
        for row, (label, rgba) in enumerate(self.entries):
            box = QLabel()
            box.setObjectName("legendSwatch")
            box.setPixmap(swatch(rgba))
            text = QLabel(label)
            text.setObjectName("legendLabel")
            self._grid.addWidget(box, row, 0)
            self._grid.addWidget(text, row, 1)
        self._grid.setColumnStretch(1, 1)
