"""What every terrain visual shares, in memory or paged: layer events, drapes, sun, ground.

:class:`TerrainBase` is a mixin of :class:`~twinscape.render.terrain_visual.TerrainVisual`
and :class:`~twinscape.render.paged_terrain.PagedTerrainVisual`. It follows the layer's
events (a subclass says what a colour change does in :meth:`TerrainBase._on_colours`),
holds the drapes and the clock's sun, and answers for a layer that is ground: it has its
own exaggeration and no features to pick or highlight.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vtkmodules.vtkRenderingCore import vtkActor, vtkPolyDataMapper

from twinscape.model.style import COLOUR_FIELDS
from twinscape.render.sun_follow import SunFollower
from twinscape.render.visual import ActorsInRenderer, Connections


class TerrainBase(Connections, ActorsInRenderer):
    """Layer events, drapes and the clock's sun of a terrain visual (see the module)."""

    layer: Any
    actors: list[Any]
    # what a subclass does when a colour setting, the sun or the drapes changed; when
    # the grid or the opacity changed; when the layer is shown or hidden; or renamed
    _on_colours: Callable[..., None]
    _rebuild: Callable[..., None]
    _on_opacity: Callable[..., None]
    _apply_visibility: Callable[..., None]
    _apply_names: Callable[..., None]

    def _follow_layer(self) -> None:
        """Connect to the layer's events and its style's (call once, from ``__init__``)."""
        self._drapes: tuple[Any, ...] = ()  # render.kinds.Drape, bottom first
        self.sun = SunFollower()  # the clock's sun when the style follows it
        self._connections: list[tuple[Any, Callable[..., Any]]] = []
        self._style_connections: list[tuple[Any, Callable[..., Any]]] = []
        ev = self.layer.events
        self._connect(ev.visible, self._apply_visibility)
        self._connect(ev.opacity, self._on_opacity)
        self._connect(ev.grid, self._rebuild)
        self._connect(ev.name, self._apply_names)
        self._connect(ev.style, self._on_style_replaced)
        self._connect_style()

    def _connect_style(self) -> None:
        self._disconnect(self._style_connections)
        ev = self.layer.style.events
        for name in COLOUR_FIELDS:
            self._connect(getattr(ev, name), self._on_colours, self._style_connections)
        self._connect(ev.vertical_exaggeration, self._apply_scale, self._style_connections)

    def _on_style_replaced(self, *_: Any) -> None:
        self._connect_style()
        self._on_colours()
        self._apply_scale()

    def _disconnect_layer(self) -> None:
        self._disconnect(self._connections)
        self._disconnect(self._style_connections)

    # -- drapes and the clock's sun -------------------------------------------------------
    @property
    def drapes(self) -> tuple[Any, ...]:
        """The rasters draped on this terrain (:class:`~twinscape.render.kinds.Drape`)."""
        return self._drapes

    def set_drapes(self, drapes: Any) -> bool:
        """Blend ``drapes`` (bottom first) over the terrain's colours; True if they changed.

        Unchanged drapes (same keys and opacities) recolour nothing.
        """
        drapes = tuple(drapes)
        same = [d.signature for d in drapes] == [d.signature for d in self._drapes]
        self._drapes = drapes
        if not same:
            self._on_colours()
        return not same

    def set_time(self, time_ns: int) -> None:
        """Follow the project clock (int64 ns, UTC): relight when the style's sun follows it.

        Recolours only when the light moved visibly since the colours drawn (see
        :class:`~twinscape.render.sun_follow.SunFollower`).
        """
        if self.sun.set_time(self.layer, time_ns):
            self._on_colours()

    @property
    def daylight(self) -> float | None:
        """Brightness of the clock's sun (night 0.28 .. day 1), None when not following it."""
        sun = self.sun.sun(self.layer)
        return None if sun is None else sun.light

    # -- ground -------------------------------------------------------------------------
    @property
    def skirts(self) -> bool:
        """Skirts hide cracks on opaque terrain; translucent terrain would show them."""
        return self.layer.opacity >= 0.999

    @property
    def ve(self) -> float:
        """Vertical exaggeration of the layer's style."""
        return float(self.layer.style.vertical_exaggeration)

    def set_exaggeration(self, ve: float) -> None:
        """A terrain is ground: it follows its own style's exaggeration only."""

    def row_of_cell(self, actor: Any, cell_id: int) -> int | None:
        """A terrain has no features: picking it gives a point, not a row."""
        return None

    def set_highlight(self, rows: list[int]) -> None:
        """A terrain has no features to highlight."""

    def _tile_actor(self) -> vtkActor:
        """A new actor for one tile or node: texture colours as baked, lighting off."""
        mapper = vtkPolyDataMapper()
        mapper.ScalarVisibilityOff()
        actor = vtkActor()
        actor.SetMapper(mapper)
        actor.GetProperty().LightingOff()
        actor.GetProperty().SetOpacity(float(self.layer.opacity))
        actor.SetScale(1.0, 1.0, self.ve)
        return actor

    def _apply_scale(self, *_: Any) -> None:
        for actor in self.actors:
            actor.SetScale(1.0, 1.0, self.ve)
