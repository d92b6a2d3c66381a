"""Which panel styles which layer kind (napari's ``layer_to_controls``), found along the MRO.

Each module of this package registers the controls of one kind when imported; the
package imports all of them, so adding a kind adds a module here and touches no
generic code.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from twinscape.model.layers import Layer
from twinscape.ui.project_watch import ProjectWatcher

ControlsFactory = Callable[[Layer, ProjectWatcher], QWidget]

#: Layer class -> its styling panel.
LAYER_TO_CONTROLS: dict[type, ControlsFactory] = {}


def register_controls(layer_type: type, factory: ControlsFactory) -> None:
    """Style layers of ``layer_type`` (and subclasses) with ``factory(layer, watcher)``."""
    LAYER_TO_CONTROLS[layer_type] = factory


def unregister_controls(layer_type: type) -> None:
    """Forget the controls of ``layer_type`` (tests, plugins)."""
    LAYER_TO_CONTROLS.pop(layer_type, None)


def controls_for(layer: Layer, watcher: ProjectWatcher) -> QWidget:
    """Build the panel for ``layer``; TypeError names the type when none is registered."""
    for cls in type(layer).__mro__:
        factory = LAYER_TO_CONTROLS.get(cls)
        if factory is not None:
            return factory(layer, watcher)
    raise TypeError(f"no styling controls for layer of type {type(layer).__name__}")


def _import_builtin_controls() -> None:
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")


_import_builtin_controls()
