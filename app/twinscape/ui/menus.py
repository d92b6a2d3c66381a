"""The main window's actions, menus and toolbar (a mixin of :class:`MainWindow`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar

from twinscape.ui.export_dialog import open_export_dialog
from twinscape.ui.icons import icon
from twinscape.ui.recent_files import RecentFiles
from twinscape.ui.video_dialog import open_video_dialog

if TYPE_CHECKING:
    from twinscape.ui.main_window import MainWindow


class WindowMenus:
    """Builds File, View, Bookmarks and Help, and the project toolbar.

    Every action is an attribute of the window (``window.save_action`` ...), so
    scripts and tests can trigger them as a user would.
    """

    def _action(
        self: MainWindow,
        text: str,
        slot: Callable[[], Any],
        shortcut: Any = None,
        icon_name: str = "",
        tip: str = "",
    ) -> QAction:
        action = QAction(icon(icon_name), text, self) if icon_name else QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(f"{tip} ({action.shortcut().toString()})" if shortcut else tip)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _build_actions(self: MainWindow) -> None:
        f, keys = self.files, QKeySequence.StandardKey
        self.new_action = self._action("&New", f.new_project, keys.New, "new", "New empty project")
        self.open_action = self._action(
            "&Open\u2026", f.open_dialog, keys.Open, "open", "Open a project or an elevation file"
        )
        self.save_action = self._action("&Save", f.save, keys.Save, "save", "Save the project")
        self.save_as_action = self._action(
            "Save &As\u2026", f.save_as, "Ctrl+Shift+S", "save-as", "Save the project to a new file"
        )
        self.add_data_action = self._action(
            "&Add Data\u2026",
            f.add_data_dialog,
            "Ctrl+Shift+A",
            "add-data",
            "Add terrain, buildings and other data files as layers",
        )
        self.screenshot_action = self._action(
            "Scree&nshot\u2026",
            f.screenshot_dialog,
            "Ctrl+Alt+P",
            "screenshot",
            "Save a PNG of the 3D view",
        )
        self.export_scene_action = self._action(
            "Export &Scene\u2026", lambda: open_export_dialog(self), "Ctrl+Alt+E", "",
            "Write the 3D scene to glTF/GLB, OBJ or VTK for other tools",
        )
        self.export_video_action = self._action(
            "Export &Video\u2026", lambda: open_video_dialog(self), "Ctrl+Alt+V", "",
            "Record a sensor replay, a flight through bookmarks or an orbit as MP4 or GIF",
        )
        self.quit_action = self._action("&Quit", self.close, keys.Quit, "quit", "Quit Twinscape")
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.zoom_all_action = self._action(
            "&Zoom to All", self.viewport.zoom_to_all, "Home", "zoom-all", "Show every layer"
        )
        self.zoom_layer_action = self._action(
            "Zoom to &Layer", self._zoom_to_current, "Ctrl+Shift+L", "", "Show the selected layer"
        )
        self.bookmark_action = self.bookmarks_dock.add_action
        self.bookmark_action.setShortcut(QKeySequence("Ctrl+B"))
        self.about_action = self._action("&About Twinscape", self._about)
        for action in (self.zoom_all_action, self.zoom_layer_action):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.layer_dock.add_toolbar_action(self.add_data_action)

    def _build_menus(self: MainWindow) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.new_action, self.open_action])
        self.recent_menu = QMenu("Open &Recent", file_menu)
        file_menu.addMenu(self.recent_menu)
        self.recent = RecentFiles(self.recent_menu, self)
        self.recent.open_requested.connect(self._open_recent)
        file_menu.addSeparator()
        file_menu.addActions([self.save_action, self.save_as_action])
        file_menu.addSeparator()
        file_menu.addAction(self.add_data_action)
        file_menu.addSeparator()
        file_menu.addActions(
            [self.screenshot_action, self.export_scene_action, self.export_video_action]
        )
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

        edit_menu = bar.addMenu("&Edit")
        edit_menu.addActions([self.undo.undo_action, self.undo.redo_action])
        self.addActions([self.undo.undo_action, self.undo.redo_action])  # shortcuts everywhere
        self.edit_menu = edit_menu

        view_menu = bar.addMenu("&View")
        view_menu.addActions([self.zoom_all_action, self.zoom_layer_action])
        view_menu.addSeparator()
        panels = view_menu.addMenu("&Panels")
        docks = [
            self.layer_dock,
            self.styling_dock,
            self.bookmarks_dock,
            self.inspector_dock,
            self.time_dock,
            *self.kind_docks,
        ]
        for number, dock in enumerate(docks, start=1):
            toggle = dock.toggleViewAction()
            if number <= 9:
                toggle.setShortcut(QKeySequence(f"Ctrl+{number}"))
            panels.addAction(toggle)
        view_menu.addSeparator()
        time_menu = view_menu.addMenu("&Time")
        time = self.time_dock
        time_menu.addActions([time.play_action, time.step_back_action, time.step_forward_action])
        time_menu.addSeparator()
        time_menu.addAction(time.live_action)

        self.bookmarks_menu = bar.addMenu("&Bookmarks")
        self.bookmarks_menu.aboutToShow.connect(self._fill_bookmarks_menu)
        self._fill_bookmarks_menu()
        for service in self.services.values():  # menus layer kinds contribute (Analysis)
            menu = getattr(service, "menu", None)
            if isinstance(menu, QMenu):
                bar.addMenu(menu)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.about_action)

        toolbar = QToolBar("Project")
        toolbar.setObjectName("projectToolbar")
        toolbar.setMovable(False)
        toolbar.addActions([self.new_action, self.open_action, self.save_action])
        toolbar.addSeparator()
        toolbar.addAction(self.add_data_action)
        toolbar.addSeparator()
        toolbar.addActions([self.zoom_all_action, self.bookmark_action, self.screenshot_action])
        self.addToolBar(toolbar)
        panels.addSeparator()
        panels.addAction(toolbar.toggleViewAction())

    def _fill_bookmarks_menu(self: MainWindow) -> None:
        menu = self.bookmarks_menu
        menu.clear()
        menu.addAction(self.bookmark_action)
        menu.addAction(self.bookmarks_dock.toggleViewAction())
        marks = list(self.project.bookmarks) if self._project is not None else []
        if marks:
            menu.addSeparator()
        for mark in marks:
            action = menu.addAction(icon("bookmark"), mark.name)
            action.triggered.connect(lambda _c=False, v=mark.view: self.viewport.apply_view(v))
