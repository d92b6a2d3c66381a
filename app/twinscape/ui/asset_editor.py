"""Editing placed assets in the 3D view: select, drag, reshape, rotate, rename, delete.

Clicking an asset (the window's identify) selects it. Then a press on it and a drag
moves it over the ground, a press on one of its vertices and a drag reshapes it (the
vertex snaps to other assets' vertices), R / Shift+R turns a point asset by 15 degrees,
Delete removes it and Escape clears the selection. Each edit is one undoable command
(model/commands.py) on the window's undo stack; while dragging, the moved asset is
drawn as a preview coloured by how it fits the ground.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from shapely.geometry import Point, Polygon

from twinscape.geo.design_checks import assess
from twinscape.model.commands import DeleteAsset, EditAsset
from twinscape.model.placed import PlacedAsset, PlacedAssetsLayer, assets_of
from twinscape.ui.asset_preview import AssetPreview
from twinscape.ui.ground_pointer import SNAP_PX, GroundPointer

#: Degrees one R key press rotates a point asset by.
ROTATE_STEP_DEG = 15.0


def geometry_of(layer: PlacedAssetsLayer, asset: PlacedAsset) -> str:
    """The geometry of ``asset``'s entry (by its vertices when the catalogue lacks it)."""
    if layer.catalogue is not None and asset.entry in layer.catalogue:
        return layer.catalogue.get(asset.entry).geometry
    return "point" if len(asset.coords) == 1 else "line"


def rotate_step(event: QKeyEvent) -> float:
    """Degrees an R key press turns by: clockwise, anticlockwise with Shift."""
    shift = event.modifiers() & Qt.KeyboardModifier.ShiftModifier
    return -ROTATE_STEP_DEG if shift else ROTATE_STEP_DEG


class AssetEditor(QObject):
    """The selected placed asset of one main window and the edits made to it.

    ``busy()`` tells when another tool owns the mouse (placing): then the editor
    neither selects nor drags.

    Signals
    -------
    selection_changed(object)
        The selected asset changed: ``(layer, asset_id)`` or None.
    message(str)
        A one-line status for the status bar.
    """

    selection_changed = Signal(object)
    message = Signal(str)

    def __init__(
        self, window: Any, pointer: GroundPointer, preview: AssetPreview,
        busy: Callable[[], bool],
    ) -> None:
        super().__init__(window)
        self.window = window
        self.pointer = pointer
        self.preview = preview
        self._busy = busy
        self.selected: tuple[PlacedAssetsLayer, str] | None = None
        self._drag: dict[str, Any] | None = None
        window.viewport.plotter.installEventFilter(self)
        window.identified.connect(self._identified)
        window.watcher.layers_changed.connect(self._layers_changed)

    # -- selection -----------------------------------------------------------------------
    def select(self, layer: PlacedAssetsLayer | None, asset_id: str | None) -> None:
        """Make an asset the selected one (None: nothing)."""
        self.selected = None if layer is None or asset_id is None else (layer, asset_id)
        visual = self.preview.visual(layer)
        for other in assets_of(self.window.project.layers):
            other_visual = self.preview.visual(other)
            if other_visual is not None and other_visual is not visual:
                other_visual.set_selected(None)
        if visual is not None:
            visual.set_selected(asset_id)
        self.window.viewport.request_render()
        self.selection_changed.emit(self.selected)

    def selected_asset(self) -> PlacedAsset | None:
        """The selected asset, or None."""
        if self.selected is None:
            return None
        layer, asset_id = self.selected
        try:
            return layer.asset(asset_id)
        except KeyError:
            return None

    def _identified(self, hit: Any, _add: bool) -> None:
        if self._busy():
            return
        if hit is not None and isinstance(hit.layer, PlacedAssetsLayer) and hit.row is not None:
            self.select(hit.layer, hit.layer.assets[hit.row].id)
            self.message.emit("Drag to move, drag a vertex to reshape, R rotates, Delete removes")
        elif self.selected is not None:
            self.select(None, None)

    def _layers_changed(self) -> None:
        if self.selected is not None and self.selected[0] not in self.window.project.layers:
            self.select(None, None)

    # -- edits ---------------------------------------------------------------------------
    def edit_selected(self, after: PlacedAsset, label: str = "Edit") -> None:
        """Replace the selected asset by ``after`` (one undoable edit)."""
        before = self.selected_asset()
        if before is None or self.selected is None or before == after:
            return
        layer = self.selected[0]
        self.window.undo.push(EditAsset(layer, before, after, label))
        if layer.catalogue is not None:
            report = assess(after, layer.catalogue, layer.ground, obstacles=layer.obstacles)
            if report.issues:
                self.message.emit(f"{layer.entry_of(after)} ({report.status}): "
                                  f"{report.issues[0]}")

    def rotate_selected(self, degrees: float) -> None:
        """Turn the selected point asset by ``degrees`` clockwise."""
        asset = self.selected_asset()
        if asset is not None and len(asset.coords) == 1:
            self.edit_selected(replace(asset, rotation_deg=asset.rotation_deg + degrees), "Rotate")

    def delete_selected(self) -> None:
        """Remove the selected asset (undoable)."""
        asset = self.selected_asset()
        if asset is None or self.selected is None:
            return
        layer = self.selected[0]
        self.window.undo.push(DeleteAsset(layer, asset.id))
        self.select(None, None)
        self.message.emit(f"Deleted {layer.entry_of(asset)}")

    # -- events of the 3D view -----------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """Drags of the selection move or reshape it; keys rotate and delete it."""
        if self._busy() and self._drag is None:
            return False
        if isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            return self._key(event)
        if not isinstance(event, QMouseEvent):
            return False
        kind = event.type()
        left = event.button() == Qt.MouseButton.LeftButton
        if kind == QEvent.Type.MouseMove and self._drag is not None:
            self._drag_to(*self.pointer.display(event))
            return True
        if kind == QEvent.Type.MouseButtonPress and left:
            return self._begin_drag(*self.pointer.display(event))
        if kind == QEvent.Type.MouseButtonRelease and left and self._drag is not None:
            self._end_drag()
            return True
        return False

    def _key(self, event: QKeyEvent) -> bool:
        if self.selected is None:
            return False
        key = event.key()
        if key == Qt.Key.Key_Delete:
            self.delete_selected()
        elif key == Qt.Key.Key_R:
            self.rotate_selected(rotate_step(event))
        elif key == Qt.Key.Key_Escape:
            self.window.select(None)
        else:
            return False
        return True

    # -- dragging ------------------------------------------------------------------------
    def _begin_drag(self, x: float, y: float) -> bool:
        asset = self.selected_asset()
        if asset is None or self.selected is None:
            return False
        layer = self.selected[0]
        vertex = self.pointer.nearest(np.asarray(asset.coords), x, y) \
            if len(asset.coords) > 1 else None
        start = self.pointer.ground_at(x, y)
        if start is None or (vertex is None and not self._grabs(asset, layer, x, y, start)):
            return False
        self._drag = {"layer": layer, "before": asset, "vertex": vertex, "start": start,
                      "after": asset}
        return True

    def _grabs(
        self, asset: PlacedAsset, layer: PlacedAssetsLayer, x: float, y: float,
        ground: tuple[float, float],
    ) -> bool:
        """True when a press at display (x, y), over ``ground``, takes hold of ``asset``.

        On its drawing (identify), inside its outline, or within :data:`SNAP_PX` of its
        point or its line on screen: thin towers and roads seen from afar stay easy to grab.
        """
        hit = self.window.viewport.identify(int(x), int(y), refresh=False)
        if hit is not None and hit.layer is layer and hit.row is not None \
                and layer.assets[hit.row].id == asset.id:
            return True
        if len(asset.coords) >= 3 and geometry_of(layer, asset) == "polygon":
            return Polygon(asset.coords).contains(Point(ground))
        within = 2 * SNAP_PX if len(asset.coords) == 1 else SNAP_PX
        return self.pointer.near_line(np.asarray(asset.coords), x, y, within)

    def _drag_to(self, x: float, y: float) -> None:
        drag = self._drag
        assert drag is not None
        before: PlacedAsset = drag["before"]
        snap = self.pointer.asset_vertices(skip=before.id) if drag["vertex"] is not None else ()
        point = self.pointer.ground_at(x, y, snap)
        if point is None:
            return
        if drag["vertex"] is None:
            sx, sy = drag["start"]
            after = before.moved(point[0] - sx, point[1] - sy)
        else:
            after = before.with_vertex(drag["vertex"], point)
        drag["after"] = after
        self.message.emit(self.preview.show(drag["layer"], after))

    def _end_drag(self) -> None:
        drag, self._drag = self._drag, None
        assert drag is not None
        self.preview.clear()
        after: PlacedAsset = drag["after"]
        if after != drag["before"]:
            self.edit_selected(after, "Move" if drag["vertex"] is None else "Reshape")
