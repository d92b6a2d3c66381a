"""Which panel styles which layer kind (napari's ``layer_to_controls``), found along the MRO.

Each module of this package registers the controls of one kind when imported; the
package imports all of them, so adding a kind adds a module here and touches no
generic code. A kind may also contribute docks to the main window (a chart of its
data, a list of alerts): :func:`register_dock`; and window services, objects that live
as long as the window and need no dock (live feeds of sensor layers):
:func:`register_service`. The window creates both at start, and calls ``shutdown()``
of each (when it has one) as it closes.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDockWidget, QWidget

from twinscape.model.layers import Layer
from twinscape.ui.project_watch import ProjectWatcher

ControlsFactory = Callable[[Layer, ProjectWatcher], QWidget]

#: ``factory(window) -> QDockWidget``; ``window`` is the MainWindow (typed Any: no cycle).
DockFactory = Callable[[Any], QDockWidget]

#: Layer class -> its styling panel.
LAYER_TO_CONTROLS: dict[type, ControlsFactory] = {}


@dataclass(frozen=True)
class DockSpec:
    """A dock a layer kind contributes to the main window.

    Parameters
    ----------
    name
        Unique key (re-registering the name replaces the dock).
    factory
        ``factory(window) -> QDockWidget``; the dock needs a unique ``objectName``
        so that the window layout is saved and restored.
    area
        Where it starts.
    visible
        Shown at start (until the user's saved layout says otherwise).
    """

    name: str
    factory: DockFactory
    area: Qt.DockWidgetArea = Qt.DockWidgetArea.BottomDockWidgetArea
    visible: bool = True


#: Docks contributed by kinds, in registration order.
KIND_DOCKS: dict[str, DockSpec] = {}


def register_dock(
    name: str,
    factory: DockFactory,
    area: Qt.DockWidgetArea = Qt.DockWidgetArea.BottomDockWidgetArea,
    *,
    visible: bool = True,
) -> None:
    """Give every main window the dock ``factory(window)`` (created at start, in ``area``)."""
    KIND_DOCKS[name] = DockSpec(name, factory, area, visible)


def unregister_dock(name: str) -> None:
    """Forget the dock registered as ``name`` (tests, plugins)."""
    KIND_DOCKS.pop(name, None)


def kind_docks() -> list[DockSpec]:
    """The registered docks, in registration order."""
    return list(KIND_DOCKS.values())


#: ``factory(window) -> QObject``: a window service (see :func:`register_service`).
ServiceFactory = Callable[[Any], QObject]

#: Window services contributed by kinds, in registration order.
KIND_SERVICES: dict[str, ServiceFactory] = {}


def register_service(name: str, factory: ServiceFactory) -> None:
    """Give every main window the object ``factory(window)``, made at start.

    The object should be a child of the window (so it goes with it) and may have a
    ``shutdown()`` method, which the window calls as it closes (stop threads there).
    Re-registering ``name`` replaces the factory.
    """
    KIND_SERVICES[name] = factory


def unregister_service(name: str) -> None:
    """Forget the service registered as ``name`` (tests, plugins)."""
    KIND_SERVICES.pop(name, None)


def kind_services() -> list[tuple[str, ServiceFactory]]:
    """The registered window services ``(name, factory)``, in registration order."""
    return list(KIND_SERVICES.items())


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
