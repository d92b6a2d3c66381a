"""Where the main window's docks go and how big it is (a mixin of :class:`MainWindow`).

The panels around the 3D view (layers, bookmarks, styling, inspector, time), the docks
layer kinds contribute, the window's first size, and the size and dock layout
remembered between sessions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtWidgets import QDockWidget

from twinscape.ui.bookmarks_dock import BookmarksDock
from twinscape.ui.inspector_dock import InspectorDock
from twinscape.ui.kinds import kind_docks
from twinscape.ui.layer_tree import LayerTreeDock
from twinscape.ui.recent_files import app_settings
from twinscape.ui.styling_dock import LayerStylingDock
from twinscape.ui.time_dock import TimeDock

if TYPE_CHECKING:
    from twinscape.ui.main_window import MainWindow


class WindowLayout:
    """Builds and places the window's docks; restores and saves its layout."""

    def _add_docks(self: MainWindow) -> None:
        """Layers and bookmarks on the left, styling and inspector tabbed on the right.

        Also makes the Time dock, which :meth:`_add_kind_docks` places.
        """
        self.layer_dock = LayerTreeDock(self.watcher, self)
        self.styling_dock = LayerStylingDock(self.watcher, self)
        self.inspector_dock = InspectorDock(self)
        self.bookmarks_dock = BookmarksDock(self.watcher, self.viewport.current_view, self)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.layer_dock)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.bookmarks_dock)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.styling_dock)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.inspector_dock)
        self.tabifyDockWidget(self.styling_dock, self.inspector_dock)  # as QGIS's panels
        self.styling_dock.raise_()
        self.splitDockWidget(self.layer_dock, self.bookmarks_dock, Qt.Orientation.Vertical)
        self.time_dock = TimeDock(self.watcher, self.clock_watch, self)

    def _add_kind_docks(self: MainWindow) -> None:
        """The Time dock along the bottom, and the docks layer kinds contribute.

        Bottom docks of kinds sit side by side above the Time dock; right docks are
        tabs beside the Styling panel.
        """
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        row: list[QDockWidget] = []
        for spec in kind_docks():
            dock = spec.factory(self)
            self.kind_docks.append(dock)
            if spec.area == bottom and row:
                self.splitDockWidget(row[-1], dock, Qt.Orientation.Horizontal)
            elif spec.area == Qt.DockWidgetArea.RightDockWidgetArea:
                self.tabifyDockWidget(self.styling_dock, dock)  # a tab beside Styling
            else:
                self.addDockWidget(spec.area, dock)
            if spec.area == bottom:
                row.append(dock)
            dock.setVisible(spec.visible)
        self.addDockWidget(bottom, self.time_dock, Qt.Orientation.Vertical)
        self.styling_dock.raise_()
        if len(row) > 1:  # the first (a chart) wide, the others narrower
            sizes = [900] + [380] * (len(row) - 1)
            self.resizeDocks(row, sizes, Qt.Orientation.Horizontal)

    def _default_size(self: MainWindow) -> None:
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        width, height = 1600, 1000
        if screen is not None:
            width, height = (
                min(width, int(screen.width() * 0.92)),
                min(height, int(screen.height() * 0.92)),
            )
        self.resize(width, height)

    def _restore_layout(self: MainWindow) -> None:
        settings = app_settings()
        geometry = settings.value("mainWindow/geometry")
        state = settings.value("mainWindow/state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            self.restoreState(state)

    def _save_layout(self: MainWindow) -> None:
        settings = app_settings()
        settings.setValue("mainWindow/geometry", self.saveGeometry())
        settings.setValue("mainWindow/state", self.saveState())
