"""Add Analysis: the menu and toolbar actions of a window, and results back to layers.

:class:`AnalysisActions` (a window service, see ui/kinds/analysis.py) offers Add Analysis >
Slope / Aspect / Viewshed / Coverage / Solar suitability, and brings results computed on
the colour worker back to the layers on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QCursor
from PySide6.QtWidgets import QMenu

from twinscape.model.analysis import ANALYSIS_TITLES, AnalysisLayer
from twinscape.model.placed import PlacedAssetsLayer
from twinscape.model.project import Project
from twinscape.render.analysis_drape import (
    add_result_listener,
    refresh_summaries,
    remove_result_listener,
)
from twinscape.render.analysis_plan import ground_below, layer_observers
from twinscape.ui.analysis_inputs import placed_observers


class AnalysisActions(QObject):
    """Add Analysis actions of a window, and the bridge from result to layer.

    The actions sit on the Layers dock's toolbar (a menu button) and in an "Analysis"
    menu of the menu bar. Results computed on the colour worker are announced through
    a queued signal, and their headline numbers copied onto the layers here, on the
    GUI thread.
    """

    result_ready = Signal(object)

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.selected: tuple[str, str] | None = None  # (placed layer id, asset id)
        self.clicked: tuple[float, float] | None = None  # world (x, y) last clicked in the view
        #: Shown in the menu bar before Help (a service's ``menu``: see ui/menus.py).
        self.menu = QMenu("&Analysis", window)
        self.menu.setObjectName("analysisMenu")
        self.actions: dict[str, QAction] = {}
        entries = [
            ("slope", "&Slope", self.add_slope),
            ("aspect", "&Aspect", self.add_aspect),
            ("viewshed", "&Viewshed from a Point", self.add_viewshed),
            ("viewshed_tower", "Viewshed from the Selected &Tower", self.add_tower_viewshed),
            ("coverage", "&Coverage of a Placed-Assets Layer", self.add_coverage),
            ("solar", "S&olar Suitability", self.add_solar),
        ]
        for name, text, slot in entries:
            action = QAction(text, self)
            action.setObjectName(f"addAnalysis_{name}")
            action.triggered.connect(lambda _checked=False, s=slot: s())
            self.menu.addAction(action)
            self.actions[name] = action
        self.button_menu = QMenu(window)  # the toolbar button's own copy of the menu
        self.button_menu.addActions(self.menu.actions())
        self.menu_action = QAction("Add Analysis", self)
        self.menu_action.setObjectName("addAnalysis")
        self.menu_action.setToolTip("Add an analysis of the terrain (slope, viewshed, ...)")
        self.menu_action.setMenu(self.button_menu)
        self.menu_action.triggered.connect(lambda: self.button_menu.popup(QCursor.pos()))
        window.layer_dock.toolbar.addAction(self.menu_action)
        window.identified.connect(self._identified)
        self.result_ready.connect(self._refresh, Qt.ConnectionType.QueuedConnection)
        add_result_listener(self._announce)

    def shutdown(self) -> None:
        """Stop hearing about results (the window closes)."""
        remove_result_listener(self._announce)

    # -- results ---------------------------------------------------------------------
    def _announce(self, key: Hashable) -> None:
        self.result_ready.emit(key)  # from the worker: queued to the GUI thread

    def _refresh(self, _key: Hashable = None) -> None:
        try:
            project = self.window.project
        except (AssertionError, RuntimeError):
            return
        refresh_summaries(project.layers)

    def _identified(self, hit: Any, _add: bool) -> None:
        layer = getattr(hit, "layer", None)
        row = getattr(hit, "row", None)
        if isinstance(layer, PlacedAssetsLayer) and row is not None and row < len(layer.assets):
            self.selected = (layer.id, layer.assets[row].id)
        if hit is not None:
            self.clicked = (float(hit.point[0]), float(hit.point[1]))

    # -- adding layers ---------------------------------------------------------------
    def _say(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 8000)

    def add(self, analysis: str, name: str | None = None, **settings: Any) -> AnalysisLayer | None:
        """Add an analysis layer over the terrain (top of the layers) and select it."""
        project: Project = self.window.project
        if ground_below(AnalysisLayer(name="-", analysis="slope"), project.layers) is None:
            self._say("Add a terrain first: analyses are computed on it")
            return None
        layer = AnalysisLayer(name=name or ANALYSIS_TITLES[analysis], analysis=analysis,
                              **settings)  # fmt: skip
        project.layers.append(layer)
        self.window.layer_dock.select_layer(layer)
        return layer

    def add_slope(self) -> AnalysisLayer | None:
        """Slope classes of the terrain."""
        return self.add("slope")

    def add_aspect(self) -> AnalysisLayer | None:
        """Aspect classes of the terrain."""
        return self.add("aspect")

    def _observer(self) -> tuple[tuple[float, float] | None, str]:
        """Where a viewshed from a point looks from, and how to say it: the point last
        clicked in the view, else the ground at the centre of the view, else the terrain's
        centre (each only when on the terrain)."""
        ground = ground_below(AnalysisLayer(name="-", analysis="slope"), self.window.project.layers)
        if ground is None:
            return None, ""
        xmin, ymin, xmax, ymax = ground.bounds

        def on_terrain(xy: tuple[float, float] | None) -> bool:
            return xy is not None and xmin <= xy[0] <= xmax and ymin <= xy[1] <= ymax

        if on_terrain(self.clicked):
            return self.clicked, "the point last clicked"
        width, height = self.window.viewport.display_size()
        centre = self.window.viewport.pick_world(width // 2, height // 2)
        if centre is not None and on_terrain(centre[:2]):
            return (float(centre[0]), float(centre[1])), "the centre of the view"
        return ((xmin + xmax) / 2, (ymin + ymax) / 2), "the centre of the terrain"

    def add_viewshed(self) -> AnalysisLayer | None:
        """A viewshed from the point last clicked, else the view's centre (see
        :meth:`_observer`); the panel moves it."""
        observer, where = self._observer()
        layer = self.add("viewshed", "Viewshed", observer=observer)
        if layer is not None and where:
            self._say(f"Viewshed from {where}; type or pick another observer in its panel")
        return layer

    def add_tower_viewshed(self) -> AnalysisLayer | None:
        """A viewshed from the tower or turbine selected in the view."""
        project = self.window.project
        chosen = self.selected
        known = dict(placed_observers(project))
        if chosen is None or chosen not in known:
            chosen = next(iter(known), None) if len(known) == 1 else None
        if chosen is None:
            self._say("Select a placed tower or turbine in the view first")
            return None
        return self.add("viewshed", f"Viewshed of {known[chosen]}", observer_asset=chosen)

    def add_coverage(self) -> AnalysisLayer | None:
        """Coverage of the towers and turbines of a placed-assets layer."""
        project = self.window.project
        layers = [la for la in project.layers if isinstance(la, PlacedAssetsLayer)]
        current = self.window.layer_dock.current_layer()
        if isinstance(current, PlacedAssetsLayer):
            layers.insert(0, current)
        placed = next((la for la in layers if layer_observers(la)), None)
        if placed is None:
            self._say("Place towers or turbines first: coverage counts what they see")
            return None
        return self.add("coverage", f"Coverage of {placed.name}", observers_layer=placed.id)

    def add_solar(self) -> AnalysisLayer | None:
        """Solar suitability of the terrain."""
        return self.add("solar")
