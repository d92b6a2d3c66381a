"""The "Issues" box of the Infrastructure dock: design-limit problems and the export.

:class:`IssuesBox` lists every placed asset that breaks a design limit, with the
reason (double-click flies to the asset and selects it), counts the assets per
status, and exports the placed assets to GeoPackage or GeoJSON, in the project CRS
or as longitude/latitude (EPSG:4326).
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from twinscape.geo.design_checks import assess_layer
from twinscape.io.placed_export import export_assets
from twinscape.model.placed import assets_of
from twinscape.render.scene_pick import Hit
from twinscape.ui.dialogs import show_error
from twinscape.ui.placement_tool import PlacementTool

#: Colours of the issue statuses in the list.
STATUS_COLORS = {"warn": "#c98a00", "fail": "#c62828"}
#: How close "fly to" frames an asset (metres around it, at least).
FLY_RADIUS_M = 400.0
_KEY = Qt.ItemDataRole.UserRole


class IssuesBox(QGroupBox):
    """The issues of the placed assets, their count per status, and Export.

    Parameters
    ----------
    window
        The main window (its project, status bar and ``fly_to``).
    tool
        The window's placement tool (its target layer and asset editor).
    """

    def __init__(self, window: Any, tool: PlacementTool) -> None:
        super().__init__("Issues")
        self._window = window
        self.tool = tool
        layout = QVBoxLayout(self)
        self.issues = QTreeWidget()
        self.issues.setObjectName("issuesList")
        self.issues.setHeaderLabels(["Asset", "Status", "Problem"])
        self.issues.setRootIsDecorated(False)
        self.issues.itemDoubleClicked.connect(lambda item, _c: self._fly_to(item))
        layout.addWidget(self.issues)
        row = QHBoxLayout()
        self.summary = QLabel("")
        self.summary.setObjectName("issuesSummary")
        self.export_button = QPushButton("Export\u2026")
        self.export_button.setObjectName("exportAssetsButton")
        self.export_button.setToolTip("Write the placed assets to a GeoPackage or GeoJSON file")
        self.export_button.clicked.connect(self.export_dialog)
        row.addWidget(self.summary, 1)
        row.addWidget(self.export_button)
        layout.addLayout(row)

    def refresh(self) -> None:
        """Rebuild the issues list and the summary from the project's placed assets."""
        self.issues.clear()
        counts = {"ok": 0, "warn": 0, "fail": 0}
        for layer in assets_of(self._window.project.layers):
            if layer.catalogue is None:
                continue
            reports = assess_layer(layer)
            for row, asset in enumerate(layer.assets):
                report = reports.get(asset.id)
                if report is None:
                    continue
                counts[report.status] += 1
                for issue in report.issues:
                    item = QTreeWidgetItem([layer.feature_label(row), report.status, issue])
                    item.setData(0, _KEY, (layer.id, asset.id))
                    item.setToolTip(2, issue)
                    color = STATUS_COLORS.get(report.status)
                    if color:
                        item.setForeground(1, QBrush(QColor(color)))
                    self.issues.addTopLevelItem(item)
        self.issues.resizeColumnToContents(0)
        total = sum(counts.values())
        self.summary.setText(
            f"{total} asset(s): {counts['ok']} ok, {counts['warn']} near a limit, "
            f"{counts['fail']} invalid"
            if total
            else "No assets placed"
        )
        self.export_button.setEnabled(total > 0)

    def _show_message(self, text: str) -> None:
        self._window.statusBar().showMessage(text, 8000)

    def _fly_to(self, item: QTreeWidgetItem) -> None:
        layer_id, asset_id = item.data(0, _KEY)
        try:
            layer = self._window.project.layer_by_id(layer_id)
            asset = layer.asset(asset_id)
        except KeyError:
            return
        xs, ys = [p[0] for p in asset.coords], [p[1] for p in asset.coords]
        radius = max(FLY_RADIUS_M, max(xs) - min(xs), max(ys) - min(ys))
        report = assess_layer(layer).get(asset_id)
        z = report.base_z if report is not None and math.isfinite(report.base_z) else 0.0
        if report is not None and report.ground_z:
            finite = [v for v in report.ground_z if math.isfinite(v)]
            z = sum(finite) / len(finite) if finite else z
        x, y = asset.centroid
        self._window.fly_to((x, y, z), radius)
        # the window's selection, as a click on it: Identify, the editor and the analyses follow
        row = next(i for i, a in enumerate(layer.assets) if a.id == asset_id)
        self._window.select(Hit(layer, row, (x, y, z)))

    def export_dialog(self) -> None:
        """Ask for a file and a CRS, then export every placed-assets layer's assets."""
        layers = [layer for layer in assets_of(self._window.project.layers) if layer.assets]
        if not layers:
            return
        layer = self.tool.layer if self.tool.layer in layers else layers[-1]
        path, chosen = QFileDialog.getSaveFileName(
            self,
            "Export placed assets",
            f"{layer.name}.gpkg",
            "GeoPackage (*.gpkg);;GeoJSON (*.geojson)",
        )
        if not path:
            return
        suffix = ".geojson" if "GeoJSON" in chosen else ".gpkg"
        if not path.lower().endswith((".gpkg", ".geojson", ".json")):
            path += suffix
        project_crs = self._window.project.crs
        choices = [f"Project CRS ({project_crs})", "EPSG:4326 (longitude, latitude)"]
        choice, ok = QInputDialog.getItem(
            self, "Export placed assets", "Coordinates:", choices, 0, False
        )
        if not ok:
            return
        crs = None if choice == choices[0] else "EPSG:4326"
        try:
            written = export_assets(layer, path, project_crs=project_crs, crs=crs)
        except (ValueError, OSError) as err:
            show_error(self._window, "Export failed", str(err))
            return
        self._show_message(f"Exported {len(layer.assets)} asset(s) to {written}")
