"""The "Infrastructure" dock: the catalogue to place from, the selected asset, the issues.

* **Catalogue**: entries grouped as points, lines and areas; double-click one (or
  select it and press Place) to start placing it in the 3D view. Coordinates can be
  typed instead of clicked (project CRS).
* **Selected asset**: its name, position and rotation, editable (each change is one
  undoable edit), and Delete.
* **Issues** and **Export** (:class:`~twinscape.ui.placement_issues.IssuesBox`): the
  placed assets that break a design limit, and the placed assets written to a file.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QDoubleValidator
from PySide6.QtWidgets import (
    QDockWidget,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from twinscape.io.catalogue import load_catalogue
from twinscape.model.catalogue import Catalogue, CatalogueEntry
from twinscape.model.placed import PlacedAssetsLayer, assets_of
from twinscape.ui.asset_editor import geometry_of
from twinscape.ui.dialogs import show_error
from twinscape.ui.placement_issues import IssuesBox
from twinscape.ui.placement_tool import PlacementTool
from twinscape.ui.profile_dock import ProfileDock

#: Catalogue groups, in the order shown.
GROUPS = (("point", "Points"), ("line", "Lines"), ("polygon", "Areas"))
_KEY = Qt.ItemDataRole.UserRole


def entry_tooltip(entry: CatalogueEntry) -> str:
    """The entry's description and parameters, one per line."""
    lines = [entry.description] if entry.description else []
    lines += [f"{name} = {value:g}" for name, value in entry.params.items()]
    return "\n".join(lines)


class PlacementDock(QDockWidget):
    """Place, edit and review infrastructure (uses the window's :class:`PlacementTool`)."""

    def __init__(self, window: Any) -> None:
        super().__init__("Infrastructure", window)
        self.setObjectName("placementDock")
        self._window = window
        self.tool: PlacementTool = window.services["placement"]
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.addWidget(self._catalogue_box(), 3)  # the catalogue gets most of the height
        layout.addWidget(self._placing_box())
        layout.addWidget(self._selection_box())
        self.issues_box = IssuesBox(window, self.tool)
        layout.addWidget(self.issues_box, 2)
        self.setWidget(body)
        for label in (self.placing_label, self.selection_label, self.issues_box.summary):
            # texts that change must not widen the dock (the 3D view would shrink)
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self.refresh)
        self.tool.state_changed.connect(self._state_changed)
        self.tool.editor.selection_changed.connect(lambda _sel: self._show_selection())
        self.tool.message.connect(self._show_message)
        window.watcher.layers_changed.connect(self._refresh_timer.start)
        window.watcher.project_replaced.connect(lambda _p: self._refresh_timer.start())
        window.watcher.layer_changed.connect(self._layer_changed)
        # filled when the window shows its first project (project_replaced)

    # -- building ----------------------------------------------------------------------
    def _catalogue_box(self) -> QGroupBox:
        box = QGroupBox("Catalogue")
        layout = QVBoxLayout(box)
        self.catalogue_tree = QTreeWidget()
        self.catalogue_tree.setObjectName("catalogueTree")
        self.catalogue_tree.setHeaderHidden(True)
        self.catalogue_tree.itemDoubleClicked.connect(lambda item, _c: self._place(item))
        layout.addWidget(self.catalogue_tree)
        row = QHBoxLayout()
        self.place_button = QPushButton("Place")
        self.place_button.setObjectName("placeButton")
        self.place_button.setToolTip("Place the selected entry in the 3D view")
        self.place_button.clicked.connect(lambda: self._place(self.catalogue_tree.currentItem()))
        self.catalogue_file_button = QPushButton("Add Catalogue File\u2026")
        self.catalogue_file_button.setToolTip(
            "Add entries of your own (a TOML file like assets/catalogue/infrastructure.toml)"
        )
        self.catalogue_file_button.clicked.connect(self._add_catalogue_file)
        row.addWidget(self.place_button)
        row.addWidget(self.catalogue_file_button)
        layout.addLayout(row)
        return box

    def _placing_box(self) -> QGroupBox:
        box = QGroupBox("Placing")
        layout = QVBoxLayout(box)
        self.placing_label = QLabel("Choose an entry above, then click in the 3D view.")
        self.placing_label.setObjectName("placingLabel")
        self.placing_label.setWordWrap(True)
        layout.addWidget(self.placing_label)
        coords = QHBoxLayout()
        self.x_edit, self.y_edit = QLineEdit(), QLineEdit()
        for edit, name in ((self.x_edit, "X"), (self.y_edit, "Y")):
            edit.setPlaceholderText(f"{name} (project CRS)")
            edit.setValidator(QDoubleValidator())
            edit.setObjectName(f"typed{name}")
            coords.addWidget(edit)
        self.add_vertex_button = QPushButton("Add Vertex")
        self.add_vertex_button.setObjectName("addVertexButton")
        self.add_vertex_button.setToolTip("Add the typed coordinates as the next vertex")
        self.add_vertex_button.clicked.connect(self._add_typed_vertex)
        coords.addWidget(self.add_vertex_button)
        layout.addLayout(coords)
        buttons = QHBoxLayout()
        self.finish_button = QPushButton("Finish")
        self.finish_button.setToolTip("Place the line or area clicked so far (Enter)")
        self.finish_button.clicked.connect(self.tool.finish)
        self.undo_vertex_button = QPushButton("Undo Vertex")
        self.undo_vertex_button.setToolTip("Drop the last vertex (Backspace)")
        self.undo_vertex_button.clicked.connect(self.tool.undo_vertex)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop placing (Esc)")
        self.cancel_button.clicked.connect(lambda: self.tool.cancel())
        for button in (self.finish_button, self.undo_vertex_button, self.cancel_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        return box

    def _selection_box(self) -> QGroupBox:
        self.selection_box = box = QGroupBox("Selected Asset")
        form = QFormLayout(box)
        self.selection_label = QLabel("Click an asset in the 3D view to select it.")
        self.selection_label.setWordWrap(True)
        form.addRow(self.selection_label)
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("assetName")
        self.name_edit.editingFinished.connect(self._rename)
        form.addRow("Name", self.name_edit)
        self.rotation_spin = QDoubleSpinBox()
        self.rotation_spin.setObjectName("assetRotation")
        self.rotation_spin.setRange(0.0, 359.9)
        self.rotation_spin.setWrapping(True)
        self.rotation_spin.setSuffix(" \u00b0")
        self.rotation_spin.setSingleStep(15.0)
        self.rotation_spin.setKeyboardTracking(False)
        self.rotation_spin.valueChanged.connect(self._rotate_to)
        form.addRow("Rotation", self.rotation_spin)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setObjectName("deleteAssetButton")
        self.delete_button.setToolTip("Remove the selected asset (Delete)")
        self.delete_button.clicked.connect(self.tool.editor.delete_selected)
        self.profile_button = QPushButton("Profile")
        self.profile_button.setObjectName("assetProfileButton")
        self.profile_button.setToolTip("Chart the ground and the grades along this line")
        self.profile_button.clicked.connect(self._show_profile)
        buttons = QHBoxLayout()
        buttons.addWidget(self.profile_button)
        buttons.addWidget(self.delete_button)
        form.addRow(buttons)
        return box

    # -- contents ----------------------------------------------------------------------
    def catalogue(self) -> Catalogue:
        """The catalogue of the layer assets go into (the built-in one without a layer)."""
        layers = assets_of(self._window.project.layers)
        target = self.tool.layer if self.tool.layer in layers else (layers[-1] if layers else None)
        if target is not None and target.catalogue is not None:
            return target.catalogue
        if not hasattr(self, "_builtin"):
            self._builtin = load_catalogue()
        return self._builtin

    def refresh(self) -> None:
        """Rebuild the catalogue tree, the issues list and the selection panel."""
        self._fill_catalogue()
        self.issues_box.refresh()
        self._show_selection()
        self._state_changed()

    def _fill_catalogue(self) -> None:
        current = self.catalogue_tree.currentItem()
        key = current.data(0, _KEY) if current is not None else None
        self.catalogue_tree.clear()
        catalogue = self.catalogue()
        for geometry, title in GROUPS:
            entries = catalogue.of_geometry(geometry)
            if not entries:
                continue
            group = QTreeWidgetItem(self.catalogue_tree, [title])
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            for entry in entries:
                item = QTreeWidgetItem(group, [entry.title])
                item.setData(0, _KEY, entry.key)
                item.setToolTip(0, entry_tooltip(entry))
                if entry.key == key:
                    self.catalogue_tree.setCurrentItem(item)
            group.setExpanded(True)

    def _show_selection(self) -> None:
        asset = self.tool.editor.selected_asset()
        enabled = asset is not None
        for widget in (self.name_edit, self.rotation_spin, self.delete_button, self.profile_button):
            widget.setEnabled(enabled)
        if asset is None or self.tool.editor.selected is None:
            self.selection_label.setText("Click an asset in the 3D view to select it.")
            self.name_edit.clear()
            return
        layer = self.tool.editor.selected[0]
        title = layer.entry_of(asset)
        x, y = asset.centroid
        self.selection_label.setText(
            f"{title} at {x:,.1f}, {y:,.1f} ({len(asset.coords)} vertices)"
            if len(asset.coords) > 1
            else f"{title} at {x:,.1f}, {y:,.1f}"
        )
        self.name_edit.setText(asset.name)
        self.rotation_spin.setEnabled(len(asset.coords) == 1)
        self.profile_button.setEnabled(geometry_of(layer, asset) == "line")
        self.rotation_spin.blockSignals(True)
        self.rotation_spin.setValue(asset.rotation_deg)
        self.rotation_spin.blockSignals(False)

    def _state_changed(self) -> None:
        tool = self.tool
        placing = tool.placing
        for button in (
            self.finish_button,
            self.undo_vertex_button,
            self.cancel_button,
            self.add_vertex_button,
        ):
            button.setEnabled(placing)
        self.finish_button.setEnabled(placing and tool.geometry != "point")
        if tool.entry is not None:
            self.placing_label.setText(
                f"Placing {tool.entry.title}: {len(tool.vertices)} vertex(es) so far"
                if tool.entry.geometry != "point"
                else f"Placing {tool.entry.title}: click the terrain (R rotates)"
            )
        elif tool.measure is not None:
            self.placing_label.setText(
                f"Drawing a {tool.measure.title}: {len(tool.vertices)} vertex(es)"
            )
        else:
            self.placing_label.setText("Choose an entry above, then click in the 3D view.")

    def _show_message(self, text: str) -> None:
        self._window.statusBar().showMessage(text, 8000)

    def _layer_changed(self, layer: Any, field: str) -> None:
        if isinstance(layer, PlacedAssetsLayer) and field in (
            "assets",
            "ground",
            "obstacles",
            "catalogue",
            "name",
        ):
            self._refresh_timer.start()

    # -- actions -----------------------------------------------------------------------
    def _place(self, item: QTreeWidgetItem | None) -> None:
        key = None if item is None else item.data(0, _KEY)
        if key is None:
            self._show_message("Choose a catalogue entry to place")
            return
        try:
            self.tool.start(key)
        except (KeyError, ValueError, OSError) as err:
            show_error(self._window, "Cannot place this entry", str(err))
        self._window.viewport.plotter.setFocus()

    def _show_profile(self) -> None:
        profile = self._window.findChild(ProfileDock)
        if profile is not None:
            profile.show_selected(reveal=True)

    def _add_typed_vertex(self) -> None:
        try:
            x, y = float(self.x_edit.text()), float(self.y_edit.text())
        except ValueError:
            self._show_message("Type both X and Y (project CRS, metres)")
            return
        if not self.tool.placing:
            self._show_message("Choose a catalogue entry to place first")
            return
        self.tool.add_vertex(x, y)

    def _rename(self) -> None:
        asset = self.tool.editor.selected_asset()
        if asset is not None and self.name_edit.text() != asset.name:
            self.tool.editor.edit_selected(replace(asset, name=self.name_edit.text()), "Rename")

    def _rotate_to(self, value: float) -> None:
        asset = self.tool.editor.selected_asset()
        if asset is not None and not math.isclose(value, asset.rotation_deg, abs_tol=1e-9):
            self.tool.editor.edit_selected(replace(asset, rotation_deg=value), "Rotate")

    def _add_catalogue_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Add a catalogue file", "", "Catalogue files (*.toml)"
        )
        if not path:
            return
        try:
            load_catalogue([path])  # refuse a broken file here, with its reason
        except (ValueError, OSError) as err:
            show_error(self._window, "Cannot use this catalogue file", str(err))
            return
        layer = self.tool.target_layer()
        if Path(path) not in layer.catalogue_files:
            layer.catalogue_files = (*layer.catalogue_files, Path(path).resolve())
