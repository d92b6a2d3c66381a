"""The "Profile" dock: the ground along a road, a railway or a drawn line; lines of sight.

* The elevation profile of the selected line asset (it follows the selection) or of a
  line drawn with "Draw Profile Line": the ground (grey), the design grade line joining
  the vertices (coloured per segment green, amber or red against the asset's maximum
  grade) and each segment's grade in percent.
* "Line of Sight": two clicks, observer then target, at the heights set here; the sight
  line is drawn in the 3D view (green where seen, red from where the terrain blocks it)
  and in the chart over the ground.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from twinscape.geo.design_checks import assess_layer
from twinscape.geo.ground import ground_grids
from twinscape.geo.line_of_sight import LineOfSight, line_of_sight
from twinscape.geo.profile import Profile, profile
from twinscape.model.placed import WARN_FRACTION, PlacedAsset, PlacedAssetsLayer
from twinscape.render.placed_colors import STATUS_RGB
from twinscape.ui.placement_tool import Measure, PlacementTool

GROUND_PEN = pg.mkPen("#8d8d8d", width=2)
SIGHT_PENS = {True: pg.mkPen("#26a641", width=2), False: pg.mkPen("#d32f2f", width=2)}


def _status_pen(status: str) -> Any:
    return pg.mkPen(STATUS_RGB[status], width=3)


class ProfileDock(QDockWidget):
    """Elevation profiles and lines of sight over the project's ground."""

    def __init__(self, window: Any) -> None:
        super().__init__("Profile", window)
        self.setObjectName("profileDock")
        self._window = window
        self.tool: PlacementTool = window.services["placement"]
        body = QWidget(self)
        layout = QVBoxLayout(body)
        row = QHBoxLayout()
        self.draw_button = QPushButton("Draw Profile Line")
        self.draw_button.setObjectName("drawProfileButton")
        self.draw_button.setToolTip("Click vertices in the 3D view; Enter finishes")
        self.draw_button.clicked.connect(self.draw_profile_line)
        self.sight_button = QPushButton("Line of Sight")
        self.sight_button.setObjectName("lineOfSightButton")
        self.sight_button.setToolTip("Click the observer, then the target")
        self.sight_button.clicked.connect(self.draw_sight_line)
        self.observer_spin = self._height_spin("Observer height above the ground", 2.0)
        self.target_spin = self._height_spin("Target height above the ground", 0.0)
        row.addWidget(self.draw_button)
        row.addWidget(self.sight_button)
        row.addWidget(QLabel("Eye"))
        row.addWidget(self.observer_spin)
        row.addWidget(QLabel("Target"))
        row.addWidget(self.target_spin)
        row.addStretch(1)
        layout.addLayout(row)
        before = set(QApplication.topLevelWidgets())
        # pyqtgraph's menus have no parent (nothing deletes them with the window): no
        # view-box menu, and what it still makes is deleted in shutdown()
        self.plot = pg.PlotWidget(background="w", enableMenu=False)
        self._orphans = [
            w for w in set(QApplication.topLevelWidgets()) - before if isinstance(w, QMenu)
        ]
        self.plot.setObjectName("profilePlot")
        self.plot.setLabel("bottom", "Distance", units="m")
        self.plot.setLabel("left", "Elevation", units="m")
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        layout.addWidget(self.plot, 1)
        self.summary = QLabel("Select a road or railway, or draw a profile line.")
        self.summary.setObjectName("profileSummary")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.setWidget(body)
        #: What the chart shows: the last profile and line of sight (for tests and export).
        self.profile: Profile | None = None
        self.sight: LineOfSight | None = None
        self.tool.editor.selection_changed.connect(lambda _sel: self.show_selected())
        window.watcher.layer_changed.connect(self._layer_changed)

    @staticmethod
    def _height_spin(tip: str, value: float) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(0.0, 1000.0)
        spin.setDecimals(1)
        spin.setSuffix(" m")
        spin.setValue(value)
        spin.setToolTip(tip)
        return spin

    def _grid(self) -> Any:
        grids = ground_grids(self._window.project.layers)
        return grids[0] if grids else None

    # -- profiles ------------------------------------------------------------------------
    def draw_profile_line(self) -> None:
        """Click a line in the 3D view and chart the ground along it."""
        self.tool.start_measure(Measure("profile line", None, self.show_line_profile))
        self._window.viewport.plotter.setFocus()

    def show_selected(self, *, reveal: bool = False) -> None:
        """Chart the selected asset when it is a line (``reveal``: also show the dock).

        A hidden dock is not opened by a selection: the view must not shrink under the
        cursor while the user places a road.
        """
        if not (reveal or self.isVisible()):
            return
        asset = self.tool.editor.selected_asset()
        if asset is None or self.tool.editor.selected is None or len(asset.coords) < 2:
            return
        layer = self.tool.editor.selected[0]
        if layer.catalogue is None or asset.entry not in layer.catalogue:
            return
        if layer.catalogue.get(asset.entry).geometry != "line":
            return
        self.show_asset_profile(layer, asset)

    def show_asset_profile(self, layer: PlacedAssetsLayer, asset: PlacedAsset) -> None:
        """The profile of a placed line asset with its design grades and limit."""
        report = assess_layer(layer).get(asset.id)
        statuses = list(report.segment_status) if report is not None else []
        limit = asset.param("max_grade_pct", layer.catalogue) if layer.catalogue else math.nan
        title = asset.name or layer.entry_of(asset)
        self.show_line_profile(list(asset.coords), statuses=statuses, limit_pct=limit,
                               title=title)

    def show_line_profile(
        self,
        vertices: list[tuple[float, float]],
        *,
        statuses: list[str] | None = None,
        limit_pct: float = math.nan,
        title: str = "Drawn line",
    ) -> None:
        """Chart the ground along ``vertices`` and the grade of each segment."""
        grid = self._grid()
        if grid is None:
            self.summary.setText("Add a terrain to see profiles.")
            return
        try:
            result = profile(grid, np.asarray(vertices, np.float64))
        except ValueError as err:
            self.summary.setText(str(err))
            return
        self.profile, self.sight = result, None
        self._window.measure_overlay.show_sight(None)
        self.plot.clear()
        self.plot.plot(result.distance, result.z, pen=GROUND_PEN, name="ground",
                       connect="finite")
        grades = result.segment_grade_pct
        for i in range(len(result.vertex_index) - 1):
            a, b = int(result.vertex_index[i]), int(result.vertex_index[i + 1])
            status = (statuses[i] if statuses and i < len(statuses)
                      else _grade_status(grades[i], limit_pct))
            xs = [result.distance[a], result.distance[b]]
            ys = [result.z[a], result.z[b]]
            self.plot.plot(xs, ys, pen=_status_pen(status))
            if math.isfinite(grades[i]):
                label = pg.TextItem(f"{grades[i]:+.1f} %", color=(40, 40, 40), anchor=(0.5, 1.2))
                label.setPos((xs[0] + xs[1]) / 2, (ys[0] + ys[1]) / 2)
                self.plot.addItem(label)
        self.plot.enableAutoRange()
        limit = f", limit {limit_pct:g} %" if math.isfinite(limit_pct) else ""
        self.summary.setText(
            f"{title}: {result.length:,.0f} m, climb {result.ascent:,.0f} m, drop "
            f"{result.descent:,.0f} m; steepest segment {result.max_segment_grade_pct:.1f} %"
            f", steepest sample {result.max_grade_pct:.1f} %{limit}"
        )
        self.show()
        self.raise_()

    # -- lines of sight ------------------------------------------------------------------
    def draw_sight_line(self) -> None:
        """Click observer and target in the 3D view and show whether the target is seen."""
        self.tool.start_measure(Measure("line of sight", 2, self.show_sight))
        self._window.viewport.plotter.setFocus()

    def show_sight(self, vertices: list[tuple[float, float]]) -> None:
        """Compute and draw the line of sight between the first two ``vertices``."""
        grid = self._grid()
        if grid is None or len(vertices) < 2:
            self.summary.setText("Add a terrain to test lines of sight.")
            return
        try:
            sight = line_of_sight(grid, vertices[0], vertices[1],
                                  observer_height=self.observer_spin.value(),
                                  target_height=self.target_spin.value())
        except ValueError as err:
            self.summary.setText(str(err))
            return
        self.sight, self.profile = sight, None
        self._window.measure_overlay.show_sight(sight.visible_segment(), sight.blocked_segment())
        self.plot.clear()
        self.plot.plot(sight.distance, sight.terrain, pen=GROUND_PEN, connect="finite")
        end = sight.length if sight.obstruction_distance is None else sight.obstruction_distance
        seen = sight.distance <= end
        self.plot.plot(sight.distance[seen], sight.sight[seen], pen=SIGHT_PENS[True])
        if not sight.visible:
            self.plot.plot(sight.distance[~seen], sight.sight[~seen], pen=SIGHT_PENS[False])
        self.plot.enableAutoRange()
        if sight.visible:
            self.summary.setText(f"Target visible over {sight.length:,.0f} m")
        else:
            self.summary.setText(
                f"Target hidden: the terrain blocks the view {sight.obstruction_distance:,.0f} m "
                f"from the observer (of {sight.length:,.0f} m)"
            )
        self._window.viewport.request_render()
        self.show()
        self.raise_()

    def shutdown(self) -> None:
        """Free pyqtgraph's parentless widgets (the window closes)."""
        for orphan in self._orphans:
            if isValid(orphan):
                orphan.deleteLater()
        self._orphans = []

    def _layer_changed(self, layer: Any, field: str) -> None:
        if isinstance(layer, PlacedAssetsLayer) and field in ("assets", "ground"):
            self.show_selected()


def _grade_status(grade: float, limit: float) -> str:
    """ok / warn / fail of a grade against a limit (ok without one)."""
    if not (math.isfinite(grade) and math.isfinite(limit) and limit > 0):
        return "ok"
    if abs(grade) > limit:
        return "fail"
    return "warn" if abs(grade) > WARN_FRACTION * limit else "ok"
