"""The "Identify" dock: attributes of what was clicked in the 3D view.

A click (press and release without dragging) on a building shows its computed
height, height source, footprint area, base elevation and every source attribute;
on the terrain, the point and its elevation. The clicked building is highlighted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from twinscape.geo.crs import LonLatTransformer
from twinscape.model.project import Project
from twinscape.render.scene import Hit
from twinscape.ui.status_bar import elevation_at


def format_value(value: object) -> str:
    """A readable cell: numbers trimmed, missing values as a dash."""
    if value is None:
        return "\u2014"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "\u2014"
        return f"{value:,.3f}".rstrip("0").rstrip(".").replace(",", " ")
    text = str(value)
    return "\u2014" if text in ("", "nan", "None", "<NA>") else text


def hit_attributes(project: Project, hit: Hit) -> dict[str, object]:
    """What the inspector lists for ``hit``: the layer's attributes, then where it is."""
    info: dict[str, object] = {"layer": hit.layer.name}
    info.update(hit.layer.identify(hit.row, hit.point))
    x, y, _z = hit.point
    info["clicked at (x, y)"] = f"{x:.2f}, {y:.2f}"
    if project.crs:
        try:
            lon, lat = LonLatTransformer(project.crs).to_lonlat(x, y)
            info["longitude, latitude"] = f"{float(lon):.6f}, {float(lat):.6f}"
        except Exception:  # noqa: BLE001 - a CRS pyproj cannot invert: no lon/lat
            pass
    ground = elevation_at(project, x, y)
    info["ground elevation (m)"] = None if ground is None else round(ground, 2)
    return info


class InspectorDock(QDockWidget):
    """Lists the attributes of the identified feature."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Identify Results", parent)
        self.setObjectName("inspectorDock")
        self.title = QLabel("Click a building or the terrain in the 3D view.")
        self.title.setObjectName("inspectorTitle")
        self.title.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setObjectName("inspectorTree")
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Attribute", "Value"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.tree, 1)
        self.setWidget(body)

    def show_attributes(self, title: str, attributes: Mapping[str, object]) -> None:
        """List ``attributes`` under ``title``."""
        self.title.setText(title)
        self.tree.clear()
        for key, value in attributes.items():
            item = QTreeWidgetItem([str(key), format_value(value)])
            item.setToolTip(1, format_value(value))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsSelectable)
            self.tree.addTopLevelItem(item)
        self.tree.resizeColumnToContents(0)

    def clear(self) -> None:
        """Nothing identified."""
        self.show_attributes("Nothing here: click a building or the terrain.", {})

    def value(self, key: str) -> str | None:
        """The shown value of attribute ``key`` (for scripts and tests)."""
        for row in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(row)
            if item.text(0) == key:
                return item.text(1)
        return None
