"""One bridge from the model's psygnal events to Qt signals.

The window, the docks and the status bar listen to :class:`ProjectWatcher`
instead of connecting to every layer, style and bookmark themselves; the
watcher follows layers and bookmarks as they come and go, and drops every
connection when the project is replaced.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from twinscape.model.bookmarks import Bookmark
from twinscape.model.layers import Layer
from twinscape.model.project import Project

#: Layer fields that never change the picture (every other field may).
_LAYER_QUIET_FIELDS = {"name", "id"}
#: Project fields a user edits (camera ``view`` and ``path`` are not edits).
_PROJECT_EDIT_FIELDS = {"name", "crs", "origin", "clock"}


class _Connections:
    """psygnal connections that can all be dropped at once."""

    def __init__(self) -> None:
        self._items: list[tuple[Any, Callable[..., Any]]] = []

    def connect(self, signal: Any, callback: Callable[..., Any]) -> None:
        signal.connect(callback)
        self._items.append((signal, callback))

    def disconnect_all(self) -> None:
        for signal, callback in self._items:
            try:
                signal.disconnect(callback)
            except (ValueError, RuntimeError):
                pass
        self._items.clear()


class ProjectWatcher(QObject):
    """Re-emits a project's model events as Qt signals on the GUI thread.

    Signals
    -------
    project_replaced(object)
        A different project is now watched.
    project_changed(str)
        A project field changed (``name``, ``crs``, ``path``, ...).
    layers_changed()
        Layers were added, removed or reordered.
    layer_changed(object, str)
        A layer field changed (``visible``, ``name``, ``grid``, ...).
    style_changed(object, str)
        A field of a layer's style changed.
    bookmarks_changed()
        Bookmarks were added, removed, renamed or moved.
    modified()
        The user changed something that is saved in the project file.
    render_needed()
        Something that changes the picture changed.
    """

    project_replaced = Signal(object)
    project_changed = Signal(str)
    layers_changed = Signal()
    layer_changed = Signal(object, str)
    style_changed = Signal(object, str)
    bookmarks_changed = Signal()
    modified = Signal()
    render_needed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project: Project | None = None
        self._project_conns = _Connections()
        self._item_conns: dict[int, _Connections] = {}

    # -- lifecycle -------------------------------------------------------------------
    def watch(self, project: Project) -> None:
        """Follow ``project`` (and stop following the previous one)."""
        self.unwatch()
        self.project = project
        c = self._project_conns
        for name in ("name", "crs", "origin", "path", "view", "clock"):
            c.connect(getattr(project.events, name), self._project_field(name))
        layers = project.layers.events
        c.connect(layers.inserted, self._layer_inserted)
        c.connect(layers.removed, self._layer_removed)
        c.connect(layers.changed, self._layer_replaced)
        c.connect(layers.moved, self._layers_reordered)
        c.connect(layers.reordered, self._layers_reordered)
        marks = project.bookmarks.events
        c.connect(marks.inserted, self._bookmark_inserted)
        c.connect(marks.removed, self._bookmark_removed)
        c.connect(marks.changed, self._bookmark_replaced)
        c.connect(marks.moved, self._bookmarks_reordered)
        c.connect(marks.reordered, self._bookmarks_reordered)
        for layer in project.layers:
            self._follow_layer(layer)
        for mark in project.bookmarks:
            self._follow_bookmark(mark)
        self.project_replaced.emit(project)

    def unwatch(self) -> None:
        """Drop every connection to the current project."""
        self._project_conns.disconnect_all()
        for conns in self._item_conns.values():
            conns.disconnect_all()
        self._item_conns.clear()
        self.project = None

    # -- project ---------------------------------------------------------------------
    def _project_field(self, name: str) -> Callable[..., None]:
        def changed(*_args: Any) -> None:
            self.project_changed.emit(name)
            if name in _PROJECT_EDIT_FIELDS:
                self.modified.emit()
            if name == "origin":
                self.render_needed.emit()

        return changed

    # -- layers ----------------------------------------------------------------------
    def _follow_layer(self, layer: Layer) -> None:
        self._drop(layer)
        conns = self._item_conns.setdefault(id(layer), _Connections())
        for name in layer.events.signals:
            conns.connect(getattr(layer.events, name), self._layer_field(layer, name))
        style = getattr(layer, "style", None)
        if style is not None and hasattr(style, "events"):
            for name in style.events.signals:
                conns.connect(getattr(style.events, name), self._style_field(layer, name))

    def _drop(self, item: object) -> None:
        conns = self._item_conns.pop(id(item), None)
        if conns is not None:
            conns.disconnect_all()

    def _layer_field(self, layer: Layer, name: str) -> Callable[..., None]:
        def changed(*_args: Any) -> None:
            if name == "style":  # a new style object: follow it instead
                self._follow_layer(layer)
            self.layer_changed.emit(layer, name)
            if name not in layer.data_fields:  # data arriving is loading, not an edit
                self.modified.emit()
            if name not in _LAYER_QUIET_FIELDS:
                self.render_needed.emit()

        return changed

    def _style_field(self, layer: Layer, name: str) -> Callable[..., None]:
        def changed(*_args: Any) -> None:
            self.style_changed.emit(layer, name)
            self.modified.emit()
            self.render_needed.emit()

        return changed

    def _layer_inserted(self, _index: int, layer: Layer) -> None:
        self._follow_layer(layer)
        self._layers_reordered()

    def _layer_removed(self, _index: int, layer: Layer) -> None:
        self._drop(layer)
        self._layers_reordered()

    def _layer_replaced(self, _index: Any, old: Any, new: Any) -> None:
        for layer in old if isinstance(old, list) else [old]:
            self._drop(layer)
        for layer in new if isinstance(new, list) else [new]:
            self._follow_layer(layer)
        self._layers_reordered()

    def _layers_reordered(self, *_args: Any) -> None:
        self.layers_changed.emit()
        self.modified.emit()
        self.render_needed.emit()

    # -- bookmarks -------------------------------------------------------------------
    def _follow_bookmark(self, mark: Bookmark) -> None:
        self._drop(mark)
        conns = self._item_conns.setdefault(id(mark), _Connections())
        for name in mark.events.signals:
            conns.connect(getattr(mark.events, name), self._bookmarks_reordered)

    def _bookmark_inserted(self, _index: int, mark: Bookmark) -> None:
        self._follow_bookmark(mark)
        self._bookmarks_reordered()

    def _bookmark_removed(self, _index: int, mark: Bookmark) -> None:
        self._drop(mark)
        self._bookmarks_reordered()

    def _bookmark_replaced(self, _index: Any, old: Any, new: Any) -> None:
        for mark in old if isinstance(old, list) else [old]:
            self._drop(mark)
        for mark in new if isinstance(new, list) else [new]:
            self._follow_bookmark(mark)
        self._bookmarks_reordered()

    def _bookmarks_reordered(self, *_args: Any) -> None:
        self.bookmarks_changed.emit()
        self.modified.emit()
