"""The project as a VTK scene: one visual per layer, camera in world coordinates, LOD per frame.

``SceneView`` follows the project's events (layers inserted/removed/moved, the
origin) and, before every render (the renderer's ``StartEvent``), lets each
visual pick its levels of detail: a coarse tolerance while the user drags the
camera, a fine one when the view is still, and the finest after :meth:`settle`
until the camera moves.

Drapes (layers whose picture is a raster laid over the terrain, registered with
:func:`~twinscape.render.kinds.register_drape`) are re-evaluated whenever a layer, the
layer order or the clock changes; every ground visual that can carry drapes
(``set_drapes``) gets the visible drapes above it, and recolours only when one of
their keys or opacities changed. Overlapping terrains are re-evaluated on the same
events but the clock (:meth:`SceneView.update_overlaps`): the finer one wins where
they overlap (see :mod:`~twinscape.geo.terrain_overlap`).

The camera is handled in :mod:`~twinscape.render.scene_camera`, picking in
:mod:`~twinscape.render.scene_pick`, levels of detail and frame pacing in
:mod:`~twinscape.render.scene_lod`; all are mixins of ``SceneView``.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from vtkmodules.vtkCommonCore import vtkObject
from vtkmodules.vtkRenderingCore import vtkRenderer

from twinscape.geo.ground import layer_fineness
from twinscape.geo.origin import LocalOrigin
from twinscape.geo.terrain_overlap import terrain_overlaps
from twinscape.model.clock import to_ns
from twinscape.model.layers import Layer
from twinscape.model.project import Project
from twinscape.render.frame_pacing import FrameBudget, MovingQuality
from twinscape.render.kinds import (
    LAYER_TO_VISUAL,
    Drape,
    DrapeContext,
    DrapeSource,
    drape_function,
    visual_class,
)
from twinscape.render.scene_camera import SceneCamera
from twinscape.render.scene_lod import SceneLod
from twinscape.render.scene_pick import Hit, ScenePicking
from twinscape.render.sun_follow import NIGHT_LIGHT
from twinscape.render.visual import Connections

__all__ = ["LAYER_TO_VISUAL", "Hit", "SceneView", "visual_class"]

log = logging.getLogger(__name__)

#: Background gradient (bottom, top), RGB 0..1: pale haze to a soft sky blue.
BACKGROUND = ((0.92, 0.94, 0.96), (0.60, 0.74, 0.88))
#: The sky at night (bottom, top), blended in as a terrain lit by the clock's sun goes dark.
NIGHT_BACKGROUND = ((0.16, 0.18, 0.24), (0.03, 0.05, 0.12))


class SceneView(Connections, SceneCamera, ScenePicking, SceneLod):
    """Draws a :class:`~twinscape.model.Project` into a pyvista plotter.

    Parameters
    ----------
    plotter
        A pyvista ``Plotter`` (off-screen) or pyvistaqt ``QtInteractor``.
    project
        The project to show; followed through its events until :meth:`close`.
    interactive_tolerance_px
        Screen-space error allowed while the camera is being dragged.
    settled_tolerance_px
        Screen-space error allowed when the view is still.
    colour_executor
        Where colour changes are computed off the GUI thread; None: synchronously.
    on_update
        Called from a worker thread when a change waits for the next render.
    """

    def __init__(
        self,
        plotter: Any,
        project: Project,
        *,
        interactive_tolerance_px: float = 6.0,
        settled_tolerance_px: float = 2.0,
        colour_executor: Executor | None = None,
        on_update: Callable[[], None] | None = None,
    ) -> None:
        self.plotter = plotter
        self._visual_options = {"colour_executor": colour_executor, "on_update": on_update}
        self.budget = FrameBudget()  # triangles a frame may draw, steered as it goes
        self.quality = MovingQuality(plotter.renderer.GetRenderWindow())
        self._background = on_update is not None  # somebody renders when a build lands
        self.renderer: vtkRenderer = plotter.renderer
        self.project = project
        self.origin = LocalOrigin.of(project.origin)
        self.interactive_tolerance_px = interactive_tolerance_px
        self.settled_tolerance_px = settled_tolerance_px
        self.visuals: dict[int, Any] = {}  # id(layer) -> visual
        self.interacting = False  # set True to force the interactive tolerance
        self._dragging = False
        self._settle: tuple[float, tuple] | None = None
        self._timed = False  # the last update_lod chose levels within a budget
        self._held = False  # ... and that budget kept the terrain coarser than asked
        self._frame_started: float | None = None  # when the window began this frame
        self._camera_set = False
        self._auto_key: tuple | None = None
        self._connections: list[tuple[Any, Callable[..., Any]]] = []
        self._layer_relays: dict[int, Any] = {}
        self._style_relays: dict[int, Any] = {}
        self._observers: list[tuple[vtkObject, int]] = []
        self._sky: float | None = None  # daylight the sky shows, None: the day's own
        self.set_background(*BACKGROUND)
        layers = project.layers.events
        self._connect(layers.inserted, self._on_inserted)
        self._connect(layers.removed, self._on_removed)
        self._connect(layers.changed, self._on_changed)
        self._connect(layers.moved, self._restack)
        self._connect(layers.reordered, self._restack)
        self._connect(project.events.origin, self._on_origin)
        self._connect(project.events.clock, self._on_clock_replaced)
        self._clock = project.clock
        self._clock.events.current.connect(self._on_time)
        self._observe(self.renderer.GetRenderWindow(), "StartEvent", self._before_frame)
        self._observe(self.renderer, "StartEvent", self._before_render)
        self._observe(self.renderer.GetRenderWindow(), "EndEvent", self._after_render)
        iren = self.renderer.GetRenderWindow().GetInteractor()
        if iren is not None:
            self._observe(iren, "StartInteractionEvent", self._on_start_interaction)
            self._observe(iren, "EndInteractionEvent", self._on_end_interaction)
        for layer in project.layers:
            self._track(layer)
        self._restack()

    # -- plumbing -------------------------------------------------------------------
    def _observe(self, obj: vtkObject, event: str, fn: Callable[..., Any]) -> None:
        self._observers.append((obj, obj.AddObserver(event, fn)))

    def set_background(
        self, bottom: tuple[float, float, float], top: tuple[float, float, float] | None = None
    ) -> None:
        """Plain (``top`` None) or vertical gradient background, RGB 0..1."""
        self.renderer.SetBackground(*bottom)
        if top is None:
            self.renderer.GradientBackgroundOff()
        else:
            self.renderer.SetBackground2(*top)
            self.renderer.GradientBackgroundOn()

    # -- layers ---------------------------------------------------------------------
    def _track(self, layer: Layer) -> None:
        relay = layer.events.all
        relay.connect(self._layer_changed)
        self._layer_relays[id(layer)] = relay
        style = getattr(layer, "style", None)
        if layer.provides_ground and style is not None and hasattr(style, "events"):
            style.events.all.connect(self._layer_changed)
            self._style_relays[id(layer)] = style.events.all
        self._ensure_visual(layer)

    def _untrack(self, layer: Layer) -> None:
        for relays in (self._layer_relays, self._style_relays):
            relay = relays.pop(id(layer), None)
            if relay is not None:
                relay.disconnect(self._layer_changed)
        visual = self.visuals.pop(id(layer), None)
        if visual is not None:
            visual.close()

    def _layer_changed(self, info: Any = None) -> None:
        for layer in self.project.layers:
            if id(layer) not in self.visuals:
                self._ensure_visual(layer)
        self._follow_ground()
        self.update_overlaps()
        self.update_drapes()
        self._follow_sky()

    def time_ns(self) -> int:
        """The project clock's time, int64 nanoseconds since the epoch (UTC)."""
        return to_ns(self.project.clock.current)

    def _on_clock_replaced(self, *_: Any) -> None:
        self._clock.events.current.disconnect(self._on_time)
        self._clock = self.project.clock
        self._clock.events.current.connect(self._on_time)
        self._on_time()

    def _on_time(self, *_: Any) -> None:
        """Time-aware visuals (sensors, sun) follow the one project clock."""
        now = self.time_ns()
        for visual in self.visuals.values():
            set_time = getattr(visual, "set_time", None)
            if set_time is not None:
                set_time(now)
        self.update_drapes()
        self._follow_sky()

    def _follow_sky(self) -> None:
        """Darken the sky with the darkest ground lit by the clock's sun (visuals' ``daylight``).

        Nothing changes while no visual follows the sun, so a background set through
        :meth:`set_background` stays.
        """
        lights = [getattr(v, "daylight", None) for v in self.visuals.values() if v.layer.visible]
        light = min((x for x in lights if x is not None), default=None)
        if light is None:
            if self._sky is not None:
                self._sky = None
                self.set_background(*BACKGROUND)
            return
        if self._sky is not None and abs(light - self._sky) < 0.005:
            return
        self._sky = light
        t = (1.0 - light) / (1.0 - NIGHT_LIGHT)
        bottom, top = (
            tuple(d + (n - d) * t for d, n in zip(day, night))
            for day, night in zip(BACKGROUND, NIGHT_BACKGROUND)
        )
        self.set_background(bottom, top)  # type: ignore[arg-type]

    # -- drapes ---------------------------------------------------------------------
    def _drape_source(self, layer: Layer, context: DrapeContext) -> DrapeSource | None:
        drape = drape_function(layer)
        if drape is None or not (layer.visible and layer.loaded and layer.opacity > 0):
            return None
        try:
            return drape(layer, context)
        except Exception:  # noqa: BLE001 - one broken drape must not break the scene
            log.exception("draping layer %r failed", layer.name)
            return None

    def update_drapes(self) -> None:
        """Give every ground visual the visible drapes above it (bottom first).

        Cheap when nothing changed: each drape function returns a key, and a ground
        visual recolours only when a key or an opacity differs from what it shows.
        """
        layers = list(self.project.layers)
        grounds = [
            i for i, layer in enumerate(layers)
            if hasattr(self.visuals.get(id(layer)), "set_drapes")
        ]  # fmt: skip
        if not grounds:
            return
        context = DrapeContext(time_ns=self.time_ns(), layers=tuple(layers))
        drapes: list[tuple[int, Drape]] = []
        for i in range(grounds[0] + 1, len(layers)):
            source = self._drape_source(layers[i], context)
            if source is not None:
                drapes.append((i, Drape(source, float(layers[i].opacity))))
        for i in grounds:
            self.visuals[id(layers[i])].set_drapes([d for j, d in drapes if j > i])

    def update_overlaps(self) -> None:
        """Tell every terrain visual (``set_overlap``) which shown terrains lie over and under it.

        Cheap (extents only); a visual rebuilds its tiles only when its overlap changed.
        """
        layers = [
            layer for layer in self.project.layers
            if hasattr(self.visuals.get(id(layer)), "set_overlap")
        ]  # fmt: skip
        grids = [getattr(layer, "grid", None) for layer in layers]
        shown = [layer.visible and layer.loaded and layer.opacity > 0 for layer in layers]
        fineness = [
            layer_fineness(layer, grid) if grid is not None else 0.0
            for layer, grid in zip(layers, grids)
        ]
        for layer, overlap in zip(layers, terrain_overlaps(grids, shown, fineness)):
            self.visuals[id(layer)].set_overlap(overlap)

    def _follow_ground(self) -> None:
        """Give layers standing on the ground, and the camera, the ground's exaggeration."""
        ve = self.ground_exaggeration()
        for visual in self.visuals.values():
            if not visual.layer.provides_ground and visual.ve != ve:
                visual.set_exaggeration(ve)
        self.follow_exaggeration()

    def _ensure_visual(self, layer: Layer) -> None:
        if id(layer) in self.visuals or not layer.loaded:
            return
        try:
            cls = visual_class(layer)
        except TypeError as err:
            warnings.warn(f"{err}; layer {layer.name!r} is not drawn", stacklevel=2)
            return
        first = not self.visuals
        visual = cls(layer, self.renderer, self.origin, **self._visual_options)
        self.visuals[id(layer)] = visual
        if not layer.provides_ground:
            visual.set_exaggeration(self.ground_exaggeration())
        set_time = getattr(visual, "set_time", None)
        if set_time is not None:
            set_time(self.time_ns())
            self._follow_sky()
        self._restack()
        if first and not self._camera_chosen():
            self._auto_frame()

    def _on_inserted(self, index: int, layer: Layer) -> None:
        self._track(layer)
        self._follow_ground()

    def _on_removed(self, index: int, layer: Layer) -> None:
        self._untrack(layer)
        self._follow_ground()
        self.update_overlaps()
        self.update_drapes()

    def _on_changed(self, index: Any, old: Any, new: Any) -> None:
        for layer in old if isinstance(old, list) else [old]:
            self._untrack(layer)
        for layer in new if isinstance(new, list) else [new]:
            self._track(layer)
        self.update_overlaps()
        self.update_drapes()

    def _restack(self, *_: Any) -> None:
        """Re-add actors: solids standing on the ground (visuals with ``draws_first``) first,
        so the terrain behind them fails the depth test before it is shaded (about a fifth
        of a close-up frame over a town on llvmpipe); then in layer order, index 0 first."""
        visuals = [self.visuals[id(lr)] for lr in self.project.layers if id(lr) in self.visuals]
        for visual in sorted(visuals, key=lambda v: not getattr(v, "draws_first", False)):
            visual.restack()
        self.update_overlaps()  # of equally fine terrains the upper one wins
        self.update_drapes()  # drapes lie over the ground layers below them

    def _on_origin(self, *_: Any) -> None:
        view, chosen = self.current_view(), self._camera_chosen()
        self.origin = LocalOrigin.of(self.project.origin)
        for visual in self.visuals.values():
            visual.set_origin(self.origin)
        if chosen:
            self.apply_view(view)  # the same view of the world
        else:
            self._auto_frame()

    # -- teardown -------------------------------------------------------------------
    def close(self) -> None:
        """Disconnect from the project and VTK and remove every visual."""
        self._disconnect(self._connections)
        for relays in (self._layer_relays, self._style_relays):
            for relay in relays.values():
                relay.disconnect(self._layer_changed)
            relays.clear()
        self._clock.events.current.disconnect(self._on_time)
        for obj, tag in self._observers:
            obj.RemoveObserver(tag)
        self._observers.clear()
        for visual in self.visuals.values():
            visual.close()
        self.visuals.clear()
