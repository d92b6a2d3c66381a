"""The "Bookmarks" dock: named camera views saved with the project.

Bookmarks hold real heights (metres, not exaggerated), so one shows the same place at
any vertical exaggeration; each item's tooltip says where its eye is and what it looks at.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QInputDialog,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from twinscape.model.bookmarks import Bookmark, CameraView
from twinscape.model.project import Project
from twinscape.ui.icons import icon
from twinscape.ui.project_watch import ProjectWatcher


def next_bookmark_name(project: Project) -> str:
    """``View N`` with the lowest N not taken."""
    taken = {mark.name for mark in project.bookmarks}
    n = len(project.bookmarks) + 1
    while f"View {n}" in taken:
        n += 1
    return f"View {n}"


def view_tooltip(view: CameraView) -> str:
    """Where a view's eye is and the point it looks at: world x, y and real height."""

    def where(point: tuple[float, float, float]) -> str:
        return f"{point[0]:,.0f} E, {point[1]:,.0f} N, {point[2]:,.0f} m"

    return f"Eye at {where(view.position)}\nlooking at {where(view.focal_point)}"


class BookmarksDock(QDockWidget):
    """List of the project's bookmarks with Add, Go, Rename and Delete.

    Parameters
    ----------
    watcher
        Model events of the current project.
    current_view
        Returns the camera now (``SceneView.current_view``: world, real heights), or None
        without a scene.

    Signals
    -------
    go_requested(object)
        The user asked to fly to a :class:`CameraView`.
    """

    go_requested = Signal(object)

    def __init__(
        self,
        watcher: ProjectWatcher,
        current_view: Callable[[], CameraView | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Bookmarks", parent)
        self.setObjectName("bookmarksDock")
        self._current_view = current_view
        self._project: Project | None = None
        self._syncing = False

        self.list = QListWidget()
        self.list.setObjectName("bookmarkList")
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self.list.setAlternatingRowColors(True)

        self.add_action = QAction(icon("bookmark"), "New Bookmark\u2026", self)
        self.add_action.setToolTip("Save the current view as a bookmark")
        self.go_action = QAction(icon("go"), "Go to Bookmark", self)
        self.rename_action = QAction(icon("rename"), "Rename Bookmark", self)
        self.rename_action.setShortcut(QKeySequence(Qt.Key.Key_F2))
        self.delete_action = QAction(icon("remove"), "Delete Bookmark", self)
        self.delete_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        for action in (self.rename_action, self.delete_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.list.addAction(action)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.list.insertAction(self.rename_action, self.go_action)

        toolbar = QToolBar()
        toolbar.setObjectName("bookmarksToolbar")
        toolbar.setIconSize(toolbar.iconSize() * 0.75)
        for action in (self.add_action, self.go_action, self.rename_action, self.delete_action):
            toolbar.addAction(action)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(toolbar)
        layout.addWidget(self.list)
        self.setWidget(body)

        self.add_action.triggered.connect(self.add_bookmark)
        self.go_action.triggered.connect(self.go_current)
        self.rename_action.triggered.connect(self.rename_current)
        self.delete_action.triggered.connect(self.delete_current)
        self.list.itemDoubleClicked.connect(lambda _item: self.go_current())
        self.list.itemActivated.connect(lambda _item: self.go_current())
        self.list.itemChanged.connect(self._renamed)
        self.list.currentRowChanged.connect(lambda _row: self._update_actions())
        watcher.project_replaced.connect(self.set_project)
        watcher.bookmarks_changed.connect(self.rebuild)
        self._update_actions()

    # -- model -> list ---------------------------------------------------------------
    def set_project(self, project: Project) -> None:
        """Show ``project``'s bookmarks."""
        self._project = project
        self.rebuild()

    def rebuild(self) -> None:
        """Redraw the list from the model, keeping the selected row."""
        row = self.list.currentRow()
        self._syncing = True
        try:
            self.list.clear()
            for mark in self._project.bookmarks if self._project is not None else []:
                item = QListWidgetItem(icon("bookmark"), mark.name)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
                item.setToolTip(view_tooltip(mark.view))
                self.list.addItem(item)
            if self.list.count():
                self.list.setCurrentRow(min(max(row, 0), self.list.count() - 1))
        finally:
            self._syncing = False
        self._update_actions()

    def _update_actions(self) -> None:
        has_view = self._project is not None
        selected = self.current_bookmark() is not None
        self.add_action.setEnabled(has_view)
        for action in (self.go_action, self.rename_action, self.delete_action):
            action.setEnabled(selected)

    def current_bookmark(self) -> Bookmark | None:
        """The selected bookmark, or None."""
        row = self.list.currentRow()
        if self._project is None or not 0 <= row < len(self._project.bookmarks):
            return None
        return self._project.bookmarks[row]

    # -- actions ---------------------------------------------------------------------
    def add_bookmark(self) -> Bookmark | None:
        """Ask a name (default ``View N``) and store the current camera."""
        if self._project is None:
            return None
        view = self._current_view()
        if view is None:
            return None
        name, ok = QInputDialog.getText(
            self,
            "New Bookmark",
            "Name of the bookmark:",
            QLineEdit.EchoMode.Normal,
            next_bookmark_name(self._project),
        )
        name = name.strip()
        if not ok or not name:
            return None
        if any(mark.name == name for mark in self._project.bookmarks):
            QMessageBox.warning(
                self, "New Bookmark", f"A bookmark named \u201c{name}\u201d exists."
            )
            return None
        mark = Bookmark(name=name, view=view)
        self._project.bookmarks.append(mark)
        self.list.setCurrentRow(len(self._project.bookmarks) - 1)
        return mark

    def go_current(self) -> None:
        """Restore the selected bookmark's camera."""
        mark = self.current_bookmark()
        if mark is not None:
            self.go_requested.emit(mark.view)

    def rename_current(self) -> None:
        """Edit the selected bookmark's name in place."""
        item = self.list.currentItem()
        if item is not None:
            self.list.editItem(item)

    def delete_current(self) -> None:
        """Delete the selected bookmark."""
        mark = self.current_bookmark()
        if mark is not None and self._project is not None:
            self._project.bookmarks.remove(mark)

    def _renamed(self, item: QListWidgetItem) -> None:
        if self._syncing or self._project is None:
            return
        row = self.list.row(item)
        mark = self._project.bookmarks[row]
        name = item.text().strip()
        clash = any(m.name == name for m in self._project.bookmarks if m is not mark)
        if not name or clash:
            if clash:
                QMessageBox.warning(
                    self, "Rename Bookmark", f"A bookmark named \u201c{name}\u201d exists."
                )
            self._syncing = True
            item.setText(mark.name)
            self._syncing = False
            return
        if name != mark.name:
            mark.name = name
