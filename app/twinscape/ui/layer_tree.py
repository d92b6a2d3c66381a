"""The "Layers" dock: visibility, order, removal and the selected layer.

The tree shows the drawing order the GIS way: the topmost row is drawn last
(``project.layers[-1]``). Every edit goes to the model; the tree redraws from
the model's events, so a project loaded from file or changed by a script
shows up the same way.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QBrush,
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QIcon,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QMenu,
    QToolBar,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from twinscape.io.kinds import kind_of
from twinscape.model.layers import Layer
from twinscape.model.project import Project
from twinscape.ui.icons import icon
from twinscape.ui.project_watch import ProjectWatcher

_ID = Qt.ItemDataRole.UserRole


def layer_tooltip(layer: Layer) -> str:
    """Kind, source, CRS and size of a layer, for the tree's tooltip."""
    lines = [f"<b>{html.escape(layer.name)}</b> ({_kind_title(layer)})"]
    lines += [html.escape(line) for line in layer.describe()]
    return "<br>".join(lines)


def _kind_title(layer: Layer) -> str:
    try:
        return kind_of(layer).title
    except TypeError:
        return type(layer).__name__


def _kind_icon(layer: Layer) -> str:
    try:
        return kind_of(layer).icon
    except TypeError:
        return "layer"


class _Tree(QTreeWidget):
    """A tree whose internal drags reorder the model instead of the items."""

    reorder_requested = Signal(str, int)  # layer id, target tree row
    files_dropped = Signal(list)  # list[Path]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
            event.acceptProposedAction()
            self.files_dropped.emit(paths)
            return
        item = self.currentItem()
        if event.source() is not self or item is None:
            event.ignore()
            return
        row_from = self.indexOfTopLevelItem(item)
        target = self.itemAt(event.position().toPoint())
        if target is None:
            row_to = self.topLevelItemCount() - 1
        else:
            row_to = self.indexOfTopLevelItem(target)
            if self.dropIndicatorPosition() == QAbstractItemView.DropIndicatorPosition.BelowItem:
                row_to += 1
            if row_to > row_from:
                row_to -= 1
        event.setDropAction(Qt.DropAction.IgnoreAction)  # the model moves, then we redraw
        event.accept()
        if row_to != row_from:
            self.reorder_requested.emit(item.data(0, _ID), row_to)


class LayerTreeDock(QDockWidget):
    """Dock with the layer tree and its tool buttons.

    Signals
    -------
    current_layer_changed(object)
        The selected layer, or None.
    zoom_requested(object)
        Zoom to Layer was asked for a layer.
    properties_requested(object)
        Properties was asked for a layer.
    files_dropped(list)
        Data files were dropped on the tree.
    """

    current_layer_changed = Signal(object)
    zoom_requested = Signal(object)
    properties_requested = Signal(object)
    files_dropped = Signal(list)

    def __init__(self, watcher: ProjectWatcher, parent: QWidget | None = None) -> None:
        super().__init__("Layers", parent)
        self.setObjectName("layersDock")
        self._watcher = watcher
        self._project: Project | None = None
        self._syncing = False

        self.tree = _Tree()
        self.tree.setObjectName("layerTree")
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.tree.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setEditTriggers(
            QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

        self.zoom_action = self._action("Zoom to Layer", "zoom-all", self._zoom_current)
        self.properties_action = self._action("Properties\u2026", "", self._properties_current)
        self.up_action = self._action("Move Up", "move-up", lambda: self.move_current(+1))
        self.down_action = self._action("Move Down", "move-down", lambda: self.move_current(-1))
        self.remove_action = self._action("Remove Layer", "remove", self.remove_current)
        self.remove_action.setShortcuts(
            [QKeySequence(QKeySequence.StandardKey.Delete), QKeySequence(Qt.Key.Key_Backspace)]
        )
        self.remove_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.tree.addAction(self.remove_action)

        self.toolbar = QToolBar()
        self.toolbar.setObjectName("layersToolbar")
        self.toolbar.setIconSize(self.toolbar.iconSize() * 0.75)
        for action in (self.up_action, self.down_action, self.zoom_action, self.remove_action):
            self.toolbar.addAction(action)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.tree)
        self.setWidget(body)

        self.tree.itemChanged.connect(self._item_edited)
        self.tree.currentItemChanged.connect(self._selection_changed)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.tree.itemDoubleClicked.connect(lambda *_: self._properties_current())
        self.tree.reorder_requested.connect(self._reorder)
        self.tree.files_dropped.connect(self.files_dropped)
        watcher.project_replaced.connect(self.set_project)
        watcher.layers_changed.connect(self.rebuild)
        watcher.layer_changed.connect(self._layer_changed)
        self._update_actions()

    def _action(self, text: str, icon_name: str, slot) -> QAction:  # noqa: ANN001
        action = QAction(icon(icon_name) if icon_name else QIcon(), text, self)
        action.triggered.connect(slot)
        return action

    def add_toolbar_action(self, action: QAction) -> None:
        """Put a window action (e.g. Add Data) first on the dock's toolbar."""
        first = self.toolbar.actions()[0] if self.toolbar.actions() else None
        self.toolbar.insertAction(first, action)
        if first is not None:
            self.toolbar.insertSeparator(first)

    # -- model -> tree ---------------------------------------------------------------
    def set_project(self, project: Project) -> None:
        """Show ``project``'s layers, the top one current, and say so (the rows may match
        the last project's by id, so Qt's own signal may not come)."""
        self._project = project
        self.rebuild()
        if self.tree.topLevelItemCount():
            self.tree.setCurrentItem(self.tree.topLevelItem(0))
        self.current_layer_changed.emit(self.current_layer())

    def rebuild(self) -> None:
        """Redraw every row from the model, keeping the selection."""
        current = self.current_layer()
        self._syncing = True
        try:
            self.tree.clear()
            layers = list(self._project.layers) if self._project is not None else []
            for layer in reversed(layers):
                item = QTreeWidgetItem()
                item.setData(0, _ID, layer.id)
                item.setFlags(
                    Qt.ItemFlag.ItemIsSelectable
                    | Qt.ItemFlag.ItemIsEnabled
                    | Qt.ItemFlag.ItemIsUserCheckable
                    | Qt.ItemFlag.ItemIsEditable
                    | Qt.ItemFlag.ItemIsDragEnabled
                )
                self._fill(item, layer)
                self.tree.addTopLevelItem(item)
                if current is not None and layer is current:
                    self.tree.setCurrentItem(item)
        finally:
            self._syncing = False
        if self.current_layer() is not current:
            self._selection_changed()
        self._update_actions()

    def _fill(self, item: QTreeWidgetItem, layer: Layer) -> None:
        item.setText(0, layer.name)
        item.setCheckState(0, Qt.CheckState.Checked if layer.visible else Qt.CheckState.Unchecked)
        item.setIcon(0, icon(_kind_icon(layer)))
        item.setToolTip(0, layer_tooltip(layer))
        loaded = layer.loaded
        font = item.font(0)
        font.setItalic(not loaded)
        item.setFont(0, font)
        item.setForeground(0, QBrush() if loaded else QBrush(QColor("#8a8a8a")))

    def _layer_changed(self, layer: Layer, field: str) -> None:
        if field not in ("name", "visible", *layer.data_fields):
            return
        item = self.item_for(layer)
        if item is not None:
            self._syncing = True
            try:
                self._fill(item, layer)
            finally:
                self._syncing = False

    # -- lookups ---------------------------------------------------------------------
    def item_for(self, layer: Layer) -> QTreeWidgetItem | None:
        """The tree row showing ``layer``."""
        for row in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(row)
            if item.data(0, _ID) == layer.id:
                return item
        return None

    def _layer_of(self, item: QTreeWidgetItem | None) -> Layer | None:
        if item is None or self._project is None:
            return None
        try:
            return self._project.layer_by_id(item.data(0, _ID))
        except KeyError:
            return None

    def current_layer(self) -> Layer | None:
        """The selected layer, or None."""
        return self._layer_of(self.tree.currentItem())

    def select_layer(self, layer: Layer) -> None:
        """Select the row of ``layer``."""
        item = self.item_for(layer)
        if item is not None:
            self.tree.setCurrentItem(item)

    # -- tree -> model ---------------------------------------------------------------
    def _item_edited(self, item: QTreeWidgetItem, _column: int) -> None:
        if self._syncing:
            return
        layer = self._layer_of(item)
        if layer is None:
            return
        visible = item.checkState(0) == Qt.CheckState.Checked
        if layer.visible != visible:
            layer.visible = visible
        name = item.text(0).strip()
        if name and name != layer.name:
            layer.name = name
        elif not name:
            self._layer_changed(layer, "name")  # an empty name is refused: show the old one

    def _selection_changed(self, *_args: object) -> None:
        self._update_actions()
        if not self._syncing:
            self.current_layer_changed.emit(self.current_layer())

    def _update_actions(self) -> None:
        layer = self.current_layer()
        count = len(self._project.layers) if self._project is not None else 0
        index = self._project.layers.index(layer) if layer is not None else -1
        self.zoom_action.setEnabled(layer is not None and layer.bounds is not None)
        self.properties_action.setEnabled(layer is not None)
        self.remove_action.setEnabled(layer is not None)
        self.up_action.setEnabled(layer is not None and index < count - 1)
        self.down_action.setEnabled(layer is not None and index > 0)

    def _reorder(self, layer_id: str, tree_row: int) -> None:
        if self._project is None:
            return
        layers = self._project.layers
        layer = self._project.layer_by_id(layer_id)
        self._move(layer, len(layers) - 1 - tree_row)

    def _move(self, layer: Layer, target: int) -> None:
        assert self._project is not None
        layers = self._project.layers
        source = layers.index(layer)
        target = max(0, min(target, len(layers) - 1))
        if target == source:
            return
        layers.move(source, target + 1 if target > source else target)
        self.select_layer(layer)

    def move_current(self, step: int) -> None:
        """Move the selected layer up (+1, drawn later) or down (-1) the tree."""
        layer = self.current_layer()
        if layer is not None and self._project is not None:
            self._move(layer, self._project.layers.index(layer) + step)

    def remove_current(self) -> None:
        """Remove the selected layer from the project (Del)."""
        layer = self.current_layer()
        if layer is None or self._project is None:
            return
        row = self.tree.indexOfTopLevelItem(self.tree.currentItem())
        self._project.layers.remove(layer)
        if self.tree.topLevelItemCount():
            self.tree.setCurrentItem(
                self.tree.topLevelItem(min(row, self.tree.topLevelItemCount() - 1))
            )

    def _zoom_current(self) -> None:
        layer = self.current_layer()
        if layer is not None:
            self.zoom_requested.emit(layer)

    def _properties_current(self) -> None:
        layer = self.current_layer()
        if layer is not None:
            self.properties_requested.emit(layer)

    def _context_menu(self, pos: QPoint) -> None:
        item = self.tree.itemAt(pos)
        if item is None:
            return
        self.tree.setCurrentItem(item)
        menu = QMenu(self)
        menu.addAction(self.zoom_action)
        menu.addAction(self.properties_action)
        menu.addSeparator()
        menu.addAction(self.up_action)
        menu.addAction(self.down_action)
        menu.addSeparator()
        menu.addAction(self.remove_action)
        menu.exec(self.tree.viewport().mapToGlobal(pos))
        menu.deleteLater()
