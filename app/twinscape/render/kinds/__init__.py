"""Which visual draws which layer kind (napari's ``layer_to_visual``), found along the MRO.

Each module of this package registers the visual of one kind when imported, and the
package imports all of them: adding a kind adds a module here and touches no generic
code. A visual implements the interface of :class:`~twinscape.render.visual.LayerVisual`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

from twinscape.geo.origin import LocalOrigin
from twinscape.model.layers import Layer

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
    """Forget the visual of ``layer_type`` (tests, plugins)."""
    LAYER_TO_VISUAL.pop(layer_type, None)
    LAYER_TO_PREPARE.pop(layer_type, None)


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


def _import_builtin_visuals() -> None:
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")


_import_builtin_visuals()
