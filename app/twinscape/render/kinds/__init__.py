"""Which visual draws which layer kind (napari's ``layer_to_visual``), found along the MRO.

Each module of this package registers the visual of one kind when imported, and the
package imports all of them: adding a kind adds a module here and touches no generic
code. A visual implements the interface of :class:`~twinscape.render.visual.LayerVisual`.

Drapes
------
A layer whose picture is a colour raster laid over the terrain (an interpolated sensor
field, slope, viewshed, imagery) has no actors of its own: :func:`register_drape` gives
its type a *drape function* ``drape(layer, context) -> DrapeSource | None``, called on
the GUI thread whenever the layer, the project's layers or the clock change.
A :class:`DrapeSource` holds a ``key`` (equal keys mean the same picture, so nothing is
recomputed) and ``paint(grid) -> uint8 RGBA (rows, cols, 4)`` on a ground grid, which
runs on the colour worker thread and must only read what it captured. SceneView hands
every ground visual the visible drapes above it (:class:`Drape`: source plus the layer's
opacity), and the terrain bakes them into its colour pyramid, so drapes follow the
tiles' levels of detail and screenshots wait for them like any colour change.

Legends
-------
:func:`register_legend` gives a layer type a *legend function*
``legend(layer, context) -> Legend | None`` (classes or a continuous ramp) that
screenshot overlays (render/overlays.py) draw for every visible layer; a kind without
one has no legend entry.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from twinscape.geo.origin import LocalOrigin
from twinscape.model.layers import Layer
from twinscape.model.raster import RasterGrid

#: Visual class per layer class; looked up along the layer type's MRO.
LAYER_TO_VISUAL: dict[type, type] = {}
#: Optional off-GUI-thread preparation per layer class (see :func:`prepare_layer`).
LAYER_TO_PREPARE: dict[type, Callable[[Layer, LocalOrigin], Any]] = {}


def register_visual(
    layer_type: type,
    visual: type,
    *,
    prepare: Callable[[Layer, LocalOrigin], Any] | None = None,
) -> None:
    """Draw layers of ``layer_type`` (and its subclasses) with ``visual``.

    ``prepare(layer, origin)`` is optional slow, numpy-only work that a loader may run
    on its worker thread before the layer is shown (e.g. terrain tiles), so that the
    visual does not do it on the GUI thread.
    """
    LAYER_TO_VISUAL[layer_type] = visual
    if prepare is not None:
        LAYER_TO_PREPARE[layer_type] = prepare


def unregister_visual(layer_type: type) -> None:
    """Forget the visual (and drape) of ``layer_type`` (tests, plugins)."""
    LAYER_TO_VISUAL.pop(layer_type, None)
    LAYER_TO_PREPARE.pop(layer_type, None)
    LAYER_TO_DRAPE.pop(layer_type, None)
    LAYER_TO_LEGEND.pop(layer_type, None)


def _lookup(table: dict[type, Any], layer: Layer | type) -> Any:
    kind = layer if isinstance(layer, type) else type(layer)
    for cls in kind.__mro__:
        if cls in table:
            return table[cls]
    return None


def visual_class(layer: Layer | type) -> type:
    """The visual class drawing ``layer`` (an instance or a class), walking its MRO.

    Raises
    ------
    TypeError
        No visual is registered for the layer's type or any of its bases.
    """
    visual = _lookup(LAYER_TO_VISUAL, layer)
    if visual is None:
        kind = layer if isinstance(layer, type) else type(layer)
        raise TypeError(f"no visual for layer of type {kind.__name__}")
    return visual


def prepare_layer(layer: Layer, origin: LocalOrigin) -> None:
    """Run the kind's off-thread preparation for a loaded layer, if it has one (any thread)."""
    prepare = _lookup(LAYER_TO_PREPARE, layer)
    if prepare is not None and layer.loaded:
        prepare(layer, origin)


# -- drapes -------------------------------------------------------------------------
@dataclass(frozen=True)
class DrapeContext:
    """What a drape function may read besides its layer (GUI thread).

    Parameters
    ----------
    time_ns
        The project clock, int64 nanoseconds since the epoch (UTC).
    layers
        The project's layers, bottom first (a drape finds its inputs by ``Layer.id``).
    """

    time_ns: int
    layers: Sequence[Layer] = ()

    def layer_with_id(self, layer_id: str) -> Layer | None:
        """The project layer whose ``id`` is ``layer_id``, or None."""
        return next((layer for layer in self.layers if layer.id == layer_id), None)


@dataclass(frozen=True, eq=False)
class DrapeSource:
    """A drape's picture, as of now.

    Parameters
    ----------
    key
        Equal keys paint the same picture: the terrain keeps what it has (so a clock
        that moves within one observation interval recomputes nothing).
    paint
        ``paint(grid) -> uint8 (rows, cols, 4)`` RGBA over ``grid``'s cells (alpha 0:
        terrain shows through); runs on a worker thread, reading only captured values.
        Any grid in the project CRS: a terrain read on demand paints each node's own.
    shaded
        Darken and lighten the drape by the terrain's hillshade (analysis results);
        False for pictures that carry their own shadows (imagery).
    local
        ``local(halo, width, grid)``: the picture from the ground's own elevations
        (``halo``: ``grid``'s samples with ``width`` more on every side), for drapes
        that depend on the terrain's shape around each cell only (slope, aspect): a
        terrain read on demand paints its nodes with it, so they show it at their own
        resolution. None: ``paint`` everywhere.
    """

    key: Hashable
    paint: Callable[[RasterGrid], np.ndarray]
    shaded: bool = True
    local: Callable[[np.ndarray, int, RasterGrid], np.ndarray] | None = None


@dataclass(frozen=True, eq=False)
class Drape:
    """A drape as a ground visual gets it: the source and how much of it shows."""

    source: DrapeSource
    opacity: float = 1.0

    @property
    def signature(self) -> tuple:
        """What decides the blended picture (compare to skip a recolour)."""
        return (self.source.key, round(float(self.opacity), 4), self.source.shaded)


DrapeFunction = Callable[[Layer, DrapeContext], DrapeSource | None]
#: Drape function per layer class; looked up along the layer type's MRO.
LAYER_TO_DRAPE: dict[type, DrapeFunction] = {}


class DrapeVisual:
    """The visual of a drape layer: no actors (the ground draws it), nothing to pick."""

    def __init__(self, layer: Layer, renderer: Any, origin: LocalOrigin, **_: Any) -> None:
        self.layer = layer
        self.actors: list[Any] = []
        self._ve = 1.0

    @property
    def ve(self) -> float:
        """The ground's exaggeration (nothing is drawn with it)."""
        return self._ve

    @property
    def triangles(self) -> int:
        """Drawn by the ground's tiles: none of its own."""
        return 0

    def restack(self) -> None:
        """No actors; the drape order is the layer order (SceneView re-drapes)."""

    def set_origin(self, origin: LocalOrigin) -> None:
        """Nothing placed in render coordinates."""

    def set_exaggeration(self, ve: float) -> None:
        """Remember the ground's exaggeration."""
        self._ve = float(ve)

    def update_lod(self, camera: Any, viewport_h_px: float, tolerance_px: float) -> int:
        """The ground's tiles carry the levels."""
        return 0

    def apply_pending_colours(self, *, wait: bool = False) -> bool:
        """The ground visual bakes the drape."""
        return False

    def bounds_render(self) -> None:
        """No geometry of its own."""
        return None

    def row_of_cell(self, actor: Any, cell_id: int) -> None:
        """No actors to pick."""
        return None

    def set_highlight(self, rows: list[int]) -> None:
        """No features."""

    def close(self) -> None:
        """Nothing to remove."""


def register_drape(
    layer_type: type, drape: DrapeFunction, *, visual: type = DrapeVisual
) -> None:
    """Drape layers of ``layer_type`` over the ground with ``drape(layer, context)``.

    Also registers ``visual`` (by default :class:`DrapeVisual`, no actors) as the
    layer's visual, so the scene tracks it like any layer.
    """
    LAYER_TO_DRAPE[layer_type] = drape
    register_visual(layer_type, visual)


def drape_function(layer: Layer | type) -> DrapeFunction | None:
    """The drape function of ``layer``'s type (walking its MRO), None if it is no drape."""
    return _lookup(LAYER_TO_DRAPE, layer)


# -- legends ------------------------------------------------------------------------
RGBA = tuple[int, int, int, int]


@dataclass(frozen=True)
class Legend:
    """What a layer's legend shows: colour classes, or a continuous ramp.

    Parameters
    ----------
    title
        Heading (normally the layer's name).
    entries
        ``(label, (r, g, b, a))`` per class, as drawn.
    ramp
        ``(value, (r, g, b))`` stops of a continuous ramp, ascending values; the
        overlay draws a gradient bar labelled with the first and last values.
    unit
        Unit of the ramp's values (``"m"``).
    """

    title: str
    entries: tuple[tuple[str, RGBA], ...] = ()
    ramp: tuple[tuple[float, tuple[int, int, int]], ...] = ()
    unit: str = ""

    @staticmethod
    def of_classes(title: str, entries: Sequence[tuple[str, Sequence[int]]]) -> Legend:
        """A legend of ``(label, rgb or rgba)`` classes (alpha 255 when not given)."""
        rows = tuple((str(label), _as_rgba(colour)) for label, colour in entries)
        return Legend(title=title, entries=rows)


def _as_rgba(colour: Sequence[int]) -> RGBA:
    values = [int(c) for c in colour]
    return (values[0], values[1], values[2], values[3] if len(values) > 3 else 255)


LegendFunction = Callable[[Layer, DrapeContext], "Legend | None"]
#: Legend function per layer class; looked up along the layer type's MRO.
LAYER_TO_LEGEND: dict[type, LegendFunction] = {}


def register_legend(layer_type: type, legend: LegendFunction) -> None:
    """Describe the colours of ``layer_type`` layers with ``legend(layer, context)``."""
    LAYER_TO_LEGEND[layer_type] = legend


def layer_legend(layer: Layer, context: DrapeContext) -> Legend | None:
    """The legend of ``layer`` (None: its kind has none, or nothing to show now)."""
    legend = _lookup(LAYER_TO_LEGEND, layer)
    return None if legend is None else legend(layer, context)


def _import_builtin_visuals() -> None:
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")


_import_builtin_visuals()
