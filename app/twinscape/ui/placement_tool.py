"""Placing infrastructure in the 3D view: clicks, keys and live feedback.

After :meth:`PlacementTool.start` with a catalogue entry, a point asset follows the
cursor and a click places it; a line or polygon takes a click per vertex and finishes
with Enter, a right click or a double click (Backspace drops the last vertex, Escape
cancels). Orbiting with a drag still works while placing, and the cursor snaps to
existing assets' vertices (ui/ground_pointer.py). The same clicks draw lines for
analyses (:class:`Measure`: a profile, a line of sight).

Every placement is one undoable command (model/commands.py) on the window's
:class:`~twinscape.ui.undo.UndoStack`. While placing, the asset is assessed on the
ground and drawn as a preview coloured by its status (ui/asset_preview.py), and the
reason an invalid placement fails goes to the status bar. Editing what is placed
(select, drag, rotate, delete) is the tool's :attr:`~PlacementTool.editor`
(ui/asset_editor.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent

from twinscape.geo.design_checks import assess
from twinscape.geo.ground import ground_grids
from twinscape.io.catalogue import load_catalogue
from twinscape.model.catalogue import MIN_VERTICES, CatalogueEntry
from twinscape.model.commands import PlaceAsset
from twinscape.model.placed import PlacedAsset, PlacedAssetsLayer, assets_of
from twinscape.ui.asset_editor import AssetEditor, rotate_step
from twinscape.ui.asset_preview import AssetPreview
from twinscape.ui.ground_pointer import GroundPointer

#: Name of the layer created for the first asset placed in a project.
DEFAULT_LAYER_NAME = "Infrastructure"


@dataclass(frozen=True)
class Measure:
    """A line clicked for an analysis instead of an asset (a profile, a line of sight).

    Parameters
    ----------
    title
        What is drawn ("profile line"), for messages.
    vertices
        Vertices that finish it on their own (2 for a line of sight); None: Enter does.
    done
        Called with the world (x, y) vertices when it is finished.
    """

    title: str
    vertices: int | None
    done: Callable[[list[tuple[float, float]]], None]


class PlacementTool(QObject):
    """The placing and editing tool of one main window.

    Signals
    -------
    state_changed()
        Placing started, a vertex was added, placing finished or was cancelled.
    message(str)
        A one-line status for the status bar (e.g. why a placement is invalid).
    """

    state_changed = Signal()
    message = Signal(str)

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.pointer = GroundPointer(window)
        self.entry: CatalogueEntry | None = None
        self.measure: Measure | None = None
        self.layer: PlacedAssetsLayer | None = None
        self.vertices: list[tuple[float, float]] = []
        self.rotation_deg = 0.0
        self._cursor: tuple[float, float] | None = None
        self._finish_on_click = False
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(15)
        self._preview_timer.timeout.connect(self._update_preview)
        self.preview = AssetPreview(window)
        #: Selecting and editing what is placed (idle while this tool places).
        self.editor = AssetEditor(window, self.pointer, self.preview, lambda: self.placing)
        self.editor.message.connect(self.message)
        window.viewport.plotter.installEventFilter(self)
        window.watcher.layers_changed.connect(self._layers_changed)

    # -- state -------------------------------------------------------------------------
    @property
    def placing(self) -> bool:
        """True while an entry is being placed or a measuring line drawn."""
        return self.entry is not None or self.measure is not None

    @property
    def geometry(self) -> str | None:
        """Geometry being clicked: the entry's, "line" when measuring, None when idle."""
        if self.entry is not None:
            return self.entry.geometry
        return "line" if self.measure is not None else None

    def target_layer(self) -> PlacedAssetsLayer:
        """The layer new assets go into: the chosen one, else the topmost, else a new one."""
        layers = assets_of(self.window.project.layers)
        if self.layer is not None and self.layer in layers:
            return self.layer
        if layers:
            self.layer = layers[-1]
            return self.layer
        project = self.window.project
        layer = PlacedAssetsLayer(
            name=DEFAULT_LAYER_NAME,
            catalogue=load_catalogue(),
            ground=ground_grids(project.layers),
        )
        project.layers.append(layer)
        self.layer = layer
        return layer

    def start(self, entry_key: str) -> None:
        """Start placing the catalogue entry ``entry_key``."""
        layer = self.target_layer()
        assert layer.catalogue is not None
        self.cancel(quiet=True)
        self.entry = layer.catalogue.get(entry_key)
        self.layer = layer
        verb = "Click to place" if self.entry.geometry == "point" else "Click each vertex of"
        ending = "" if self.entry.geometry == "point" else \
            "; Enter, right click or double click finishes, Backspace drops a vertex"
        self.message.emit(f"{verb} the {self.entry.title.lower()}{ending}; Esc cancels")
        self.state_changed.emit()

    def start_measure(self, measure: Measure) -> None:
        """Start clicking a line for ``measure`` (it is not placed as an asset)."""
        self.cancel(quiet=True)
        self.measure = measure
        ending = "Enter finishes" if measure.vertices is None else \
            f"{measure.vertices} clicks finish it"
        self.message.emit(f"Click the vertices of the {measure.title}; {ending}; Esc cancels")
        self.state_changed.emit()

    def cancel(self, *, quiet: bool = False) -> None:
        """Stop placing; nothing is added."""
        was = self.placing
        self.entry = None
        self.measure = None
        self.vertices = []
        self._cursor = None
        self.preview.clear()
        if was and not quiet:
            self.message.emit("Placing cancelled")
        self.state_changed.emit()

    def add_vertex(self, x: float, y: float) -> None:
        """Add a vertex at world (x, y) (a click, or coordinates typed in the dock).

        A point asset is placed at once; a line or polygon waits for :meth:`finish`.
        """
        if not self.placing:
            raise RuntimeError("not placing: choose a catalogue entry first")
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ValueError("coordinates must be finite numbers")
        self.vertices.append((float(x), float(y)))
        if self.measure is not None:
            if self.measure.vertices is not None and len(self.vertices) >= self.measure.vertices:
                self.finish()
            else:
                self.state_changed.emit()
                self._update_preview()
            return
        assert self.entry is not None
        if self.entry.geometry == "point":
            self._commit()
        else:
            self.state_changed.emit()
            self._update_preview()

    def undo_vertex(self) -> None:
        """Drop the last vertex clicked."""
        if self.vertices:
            self.vertices.pop()
            self.state_changed.emit()
            self._update_preview()

    def finish(self) -> bool:
        """Place the line or polygon clicked so far; False when it has too few vertices."""
        geometry = self.geometry
        if geometry is None:
            return False
        need = MIN_VERTICES[geometry]
        if len(self.vertices) < need:
            self.message.emit(f"A {geometry} needs {need} vertices; "
                              f"{len(self.vertices)} clicked so far")
            return False
        if self.measure is not None:
            measure, vertices = self.measure, list(self.vertices)
            self.cancel(quiet=True)
            measure.done(vertices)
            return True
        self._commit()
        return True

    def _commit(self) -> None:
        assert self.entry is not None
        layer = self.target_layer()
        asset = PlacedAsset(self.entry.key, tuple(self.vertices), rotation_deg=self.rotation_deg)
        self.window.undo.push(PlaceAsset(layer, asset))
        entry = self.entry
        self.vertices = []
        self.preview.clear()
        self.editor.select(layer, asset.id)
        report = None
        if layer.catalogue is not None:
            report = assess(asset, layer.catalogue, layer.ground, obstacles=layer.obstacles)
        if report is not None and report.issues:
            self.message.emit(f"Placed {entry.title} ({report.status}): {report.issues[0]}")
        else:
            self.message.emit(f"Placed {entry.title}")
        if entry.geometry != "point":
            self.message.emit(f"Placed {entry.title}; click to start another, Esc to stop")
        self.state_changed.emit()

    def _layers_changed(self) -> None:
        if self.layer is not None and self.layer not in self.window.project.layers:
            self.layer = None
            self.cancel(quiet=True)

    # -- clicks from the window --------------------------------------------------------
    def handle_click(self, x_px: int, y_px: int) -> bool:
        """A click in the 3D view: True when the tool used it (no identify then)."""
        if not self.placing:
            return False
        if self._finish_on_click:
            self._finish_on_click = False
            self.finish()
            return True
        point = self._ground_at(x_px, y_px)
        if point is None:
            self.message.emit("Click on the terrain to place (no ground under the cursor)")
            return True
        self.add_vertex(*point)
        return True

    # -- events of the 3D view ---------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """While placing: mouse moves update the preview, keys finish or cancel."""
        if not self.placing:
            return False
        if isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            return self._key(event)
        if not isinstance(event, QMouseEvent):
            return False
        kind = event.type()
        if kind == QEvent.Type.MouseMove:
            self._cursor = self.pointer.display(event)
            self._preview_timer.start()
            return False
        left = event.button() == Qt.MouseButton.LeftButton
        right = event.button() == Qt.MouseButton.RightButton
        if kind == QEvent.Type.MouseButtonDblClick and left:
            self._finish_on_click = self.geometry != "point"
            return False
        if kind == QEvent.Type.MouseButtonPress and right:
            return True  # the release finishes; no zoom starts
        if kind == QEvent.Type.MouseButtonRelease and right:
            self.finish()
            return True
        return False

    def _key(self, event: QKeyEvent) -> bool:
        key = event.key()
        if key == Qt.Key.Key_Escape:
            self.cancel()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.finish()
        elif key == Qt.Key.Key_Backspace:
            self.undo_vertex()
        elif key == Qt.Key.Key_R:
            self.rotation_deg = (self.rotation_deg + rotate_step(event)) % 360.0
            self._update_preview()
        else:
            return False
        return True

    # -- ground, snapping and previews -------------------------------------------------
    def _ground_at(self, x: float, y: float) -> tuple[float, float] | None:
        """World (x, y) on the ground under display (x, y), snapped to a vertex nearby."""
        candidates = [*self.vertices, *self.pointer.asset_vertices()]
        return self.pointer.ground_at(x, y, candidates)

    def _update_preview(self) -> None:
        if not self.placing:
            return
        vertices = list(self.vertices)
        if self._cursor is not None:
            cursor = self._ground_at(*self._cursor)
            # on the vertex just clicked (it snaps there) the cursor adds no segment
            if cursor is not None and (not vertices or tuple(cursor) != vertices[-1]):
                vertices.append(cursor)
        if not vertices:
            self.preview.clear()
            return
        points = self.pointer.on_ground(np.asarray(vertices, np.float64))
        if self.measure is not None:
            self.preview.measure(points)
            return
        if self.entry is None or self.layer is None:
            return
        geometry = self.entry.geometry
        if len(vertices) < MIN_VERTICES[geometry]:
            self.preview.sketch(self.layer, points)
            return
        coords = vertices[-1:] if geometry == "point" else vertices
        asset = PlacedAsset(self.entry.key, tuple(coords), rotation_deg=self.rotation_deg)
        self.message.emit(self.preview.show(self.layer, asset))
        if geometry != "point":
            visual = self.preview.visual(self.layer)
            if visual is not None:
                visual.set_sketch(points)
