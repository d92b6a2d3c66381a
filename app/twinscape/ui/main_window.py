"""The Twinscape main window: menus, docks, the 3D view and the status bar.

Its menus are built in :mod:`twinscape.ui.menus` and its docks placed (and the layout
remembered) in :mod:`twinscape.ui.window_layout`, mixins of :class:`MainWindow`.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QGuiApplication,
    QIcon,
)
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMessageBox, QProgressDialog, QWidget

from twinscape import __version__
from twinscape.geo.ground import ground_grids
from twinscape.io.loading import DEMO_SCENE, new_project, reobstruct, restand
from twinscape.model.layers import Layer, identify_time
from twinscape.model.project import Project
from twinscape.render.measure_overlay import MeasureOverlay
from twinscape.render.scene import Hit
from twinscape.ui.clock_watch import ClockWatcher
from twinscape.ui.dialogs import show_error
from twinscape.ui.drop import FileDropMixin
from twinscape.ui.file_actions import FileActions
from twinscape.ui.icons import icon
from twinscape.ui.inspector_dock import hit_attributes
from twinscape.ui.kinds import kind_services
from twinscape.ui.loader import Loader
from twinscape.ui.menus import WindowMenus
from twinscape.ui.project_watch import ProjectWatcher
from twinscape.ui.status_bar import CoordinateStatus
from twinscape.ui.undo import UndoStack
from twinscape.ui.video_dialog import cancel_exports
from twinscape.ui.viewport import Viewport
from twinscape.ui.window_layout import WindowLayout

APP_NAME = "Twinscape"
APP_ICON = DEMO_SCENE.parents[1] / "assets" / "icons" / "twinscape.svg"
EMPTY_HINT = (
    "Drop a project, terrain or buildings here\nor use File \u203a Add Data\u2026 (Ctrl+Shift+A)"
)


def app_icon() -> QIcon:
    """The application icon (assets/icons/twinscape.svg, or a drawn one)."""
    if APP_ICON.is_file():
        loaded = QIcon(str(APP_ICON))
        if not loaded.pixmap(32, 32).isNull():  # needs Qt's SVG image plugin
            return loaded
    return icon("terrain")


class MainWindow(WindowMenus, WindowLayout, FileDropMixin, QMainWindow):
    """One project in a window: the 3D view in the centre, docks around it.

    Parameters
    ----------
    project
        The project to show; an empty new project when None.
    restore_layout
        Restore the window size and dock layout the user left last time.

    Signals
    -------
    identified(object, bool)
        A feature was identified or selected (a :class:`~twinscape.render.scene.Hit`, or
        None for nothing); the flag is True when it adds to the selection (Ctrl+click).
    """

    identified = Signal(object, bool)

    def __init__(
        self,
        project: Project | None = None,
        *,
        restore_layout: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        self._default_size()
        self._project: Project | None = None
        self._dirty = False
        self._closed = False
        #: The progress dialog of a scene export running (ui/export_dialog.py), else None.
        self.scene_export: QProgressDialog | None = None
        self._close_after_export = False
        self._selection: Hit | None = None
        self._ground: set[int] = set()  # ids of the grids layers stand on

        self.loader = Loader(self)
        self.watcher = ProjectWatcher(self)
        self.clock_watch = ClockWatcher(self.watcher, self)
        self.viewport = Viewport(self)
        self.setCentralWidget(self.viewport)
        self.files = FileActions(self)

        self._add_docks()
        #: Edit > Undo / Redo of model edits (placed assets, ...).
        self.undo = UndoStack(self)
        #: Lines tools draw over the scene (a profile being clicked, a line of sight).
        self.measure_overlay = MeasureOverlay(lambda: self.viewport.scene)
        #: ``handler(x_px, y_px) -> bool`` asked first about a click in the 3D view (a tool
        #: placing something); True means it was used and nothing is identified.
        self.click_handlers: list[Callable[[int, int], bool]] = []
        #: Objects layer kinds keep per window (by registered name), e.g. live feeds.
        self.services: dict[str, QObject] = {
            name: factory(self) for name, factory in kind_services()
        }
        self.kind_docks: list[QDockWidget] = []
        self._add_kind_docks()
        self.resizeDocks(
            [self.layer_dock, self.styling_dock], [300, 320], Qt.Orientation.Horizontal
        )
        self.resizeDocks(
            [self.layer_dock, self.bookmarks_dock], [560, 300], Qt.Orientation.Vertical
        )

        self.status = CoordinateStatus(
            self.statusBar(),
            self.viewport.plotter,
            self.viewport.pick_world,
            identify=self.viewport.identify,
        )
        self._build_actions()
        self._build_menus()

        self.watcher.modified.connect(self._modified)
        self.watcher.render_needed.connect(self.viewport.request_render)
        self.clock_watch.time_changed.connect(self.viewport.request_render)
        self.time_dock.edited.connect(self._modified)
        self.time_dock.install_shortcuts(self.viewport, self)
        self.watcher.project_changed.connect(self._project_field_changed)
        self.layer_dock.current_layer_changed.connect(self.styling_dock.show_layer)
        self.layer_dock.current_layer_changed.connect(lambda _layer: self.styling_dock.raise_())
        self.layer_dock.zoom_requested.connect(self.viewport.zoom_to_layer)
        self.layer_dock.properties_requested.connect(self.show_properties)
        self.layer_dock.files_dropped.connect(self.handle_dropped_paths)
        self.bookmarks_dock.go_requested.connect(self.viewport.apply_view)
        self.loader.busy_changed.connect(self._busy_changed)
        self.watcher.layers_changed.connect(self._update_hint)
        self.watcher.layers_changed.connect(self._forget_removed_selection)
        self.watcher.layers_changed.connect(self._follow_ground)
        self.watcher.layer_changed.connect(lambda layer, _field: self._follow_ground())
        self.watcher.layer_changed.connect(self._reload_if_needed)
        self.viewport.clicked.connect(self._clicked)
        self.watcher.layer_changed.connect(
            lambda _layer, field: field == "grid" and self._update_hint()
        )

        if restore_layout:
            self._restore_layout()
        self.set_project(project if project is not None else new_project())

    # -- the project -----------------------------------------------------------------
    @property
    def project(self) -> Project:
        """The project shown."""
        assert self._project is not None
        return self._project

    def set_project(self, project: Project) -> None:
        """Show ``project`` instead of the current one (no questions asked)."""
        self._project = project
        self.measure_overlay.clear()
        self.undo.clear()  # edits of another project cannot be undone here
        self.viewport.set_project(project)
        self.status.set_project(project)
        self._ground = {id(grid) for grid in ground_grids(project.layers)}
        self.watcher.watch(project)  # docks follow through project_replaced
        self._update_hint()
        self.mark_clean()

    def _update_hint(self) -> None:
        empty = self._project is None or self._project.bounds() is None
        self.viewport.set_hint(EMPTY_HINT if empty else None)

    @property
    def is_dirty(self) -> bool:
        """True when the project has changes that are not saved."""
        return self._dirty

    def mark_clean(self) -> None:
        """The project matches its file (just opened, created or saved)."""
        self._dirty = False
        self._update_title()

    def _modified(self) -> None:
        if not self._dirty:
            self._dirty = True
            self._update_title()

    def _update_title(self) -> None:
        name = self._project.name if self._project is not None else "Untitled"
        self.setWindowTitle(f"{name}{'*' if self._dirty else ''} \u2014 {APP_NAME}")

    def _project_field_changed(self, field: str) -> None:
        if field == "name":
            self._update_title()
        elif field == "crs":
            self.status.update_crs()

    def _busy_changed(self, busy: bool) -> None:
        for action in (
            self.new_action,
            self.open_action,
            self.add_data_action,
            self.recent_menu.menuAction(),
        ):
            action.setEnabled(not busy)

    # -- identify --------------------------------------------------------------------
    def _clicked(self, x_px: int, y_px: int) -> None:
        """A click in the 3D view: a tool's first (see :attr:`click_handlers`), else identify."""
        if not any(handler(x_px, y_px) for handler in self.click_handlers):
            self.identify_at(x_px, y_px)

    def identify_at(self, x_px: int, y_px: int, *, add: bool | None = None) -> Hit | None:
        """Identify what is drawn at VTK display (x, y): highlight it and list its attributes.

        ``add`` (default: Ctrl is held) tells listeners of :attr:`identified` to add the
        feature to what they show (e.g. a chart comparing sensors) instead of replacing it.
        """
        if add is None:
            add = bool(QGuiApplication.keyboardModifiers() & Qt.KeyboardModifier.ControlModifier)
        hit = self.viewport.identify(x_px, y_px)
        self.select(hit, add=add)
        return hit

    def select(self, hit: Hit | None, *, add: bool = False) -> None:
        """Make ``hit`` the selection: highlight it, list its attributes, tell the docks."""
        self._selection = hit
        if hit is None:
            self.viewport.set_highlight(None, [])
            self.inspector_dock.clear()
            self.identified.emit(None, add)
            return
        rows = [] if hit.row is None else [hit.row]
        self.viewport.set_highlight(hit.layer, rows)
        with identify_time(self.project.clock.current):  # time-dependent values: at the clock
            attributes = hit_attributes(self.project, hit)
        title = hit.layer.name
        if hit.row is not None:
            title = f"{hit.layer.name}: {hit.layer.feature_label(hit.row)}"
        self.inspector_dock.show_attributes(title, attributes)
        self.inspector_dock.show()
        self.inspector_dock.raise_()  # bring its tab to the front
        self.identified.emit(hit, add)

    def fly_to(self, point: tuple[float, float, float], radius: float = 300.0) -> None:
        """Frame the world ``point`` closely (``radius`` metres around it)."""
        scene = self.viewport.scene
        if scene is None:
            return
        x, y, z = (float(v) for v in point)
        z = (z if z == z else 0.0) * scene.ground_exaggeration()  # NaN: sea level
        r = float(radius)
        scene.frame((x - r, y - r, z - r / 3, x + r, y + r, z + r / 3))
        self.viewport.request_render()

    def _forget_removed_selection(self) -> None:
        hit = self._selection
        if hit is not None and hit.layer not in self.project.layers:
            self._selection = None
            self.inspector_dock.clear()

    def _follow_ground(self) -> None:
        """Re-base buildings and models when a grid they stood on is gone (layer removed),
        and check placed assets against the buildings there are now (removed, renamed).

        A layer added is handled where it is applied (io.loading.apply_load).
        """
        reobstruct(self.project)
        ground = {id(grid) for grid in ground_grids(self.project.layers)}
        gone = bool(self._ground - ground)
        self._ground = ground
        if gone:
            restand(self.project)

    def _reload_if_needed(self, layer: Layer, field: str) -> None:
        if field in layer.reload_fields and layer.loaded:
            self.files.reload_layer(layer)

    # -- small commands --------------------------------------------------------------
    def _zoom_to_current(self) -> None:
        layer = self.layer_dock.current_layer()
        if layer is not None:
            self.viewport.zoom_to_layer(layer)

    def show_properties(self, layer: Layer) -> None:
        """Show the styling panel of ``layer``."""
        self.styling_dock.show_layer(layer)
        self.styling_dock.show()
        self.styling_dock.raise_()

    def _open_recent(self, path) -> None:  # noqa: ANN001
        if not path.exists():
            show_error(
                self,
                "Could not open",
                f"{path}: the file no longer exists; it was removed from the recent files",
            )
            self.recent.remove(path)
            return
        self.files.open_path(path)

    def _about(self) -> None:
        QMessageBox.about(
            self,
            f"About {APP_NAME}",
            f"<h3>{APP_NAME} {__version__}</h3><p>A desktop 3D digital twin for "
            "planning cities and infrastructure in desert and mountain terrain.</p>"
            "<p>Elevation data: SRTM, courtesy of the U.S. Geological Survey.</p>",
        )

    # -- closing ---------------------------------------------------------------------
    def export_ended(self) -> None:
        """A scene export ended (ui/export_dialog.py): close now if that was asked meanwhile."""
        self.scene_export = None
        if self._close_after_export:
            self._close_after_export = False
            QTimer.singleShot(0, self.close)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        """Ask to save, stop loads, and free the GL context before the window goes."""
        if self._closed:
            event.accept()
            return
        if self.scene_export is not None:  # its jobs run while events are processed
            self.scene_export.cancel()  # it stops at its next step; the window closes then
            self._close_after_export = True
            event.ignore()
            return
        if not self.files.maybe_save():
            event.ignore()
            return
        self._closed = True
        self._save_layout()
        cancel_exports(self)  # a video being written: stop it, remove the partial file
        self.time_dock.stop()
        self.clock_watch.stop()
        for part in (*self.services.values(), *self.kind_docks):
            # services and docks of kinds may own what Qt does not stop (threads)
            shutdown = getattr(part, "shutdown", None)
            if shutdown is not None:
                shutdown()
        self.loader.shutdown()
        self.status.stop()
        self.watcher.unwatch()
        self.viewport.shutdown()
        event.accept()
        super().closeEvent(event)
