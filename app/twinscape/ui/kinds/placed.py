"""Placed infrastructure: the placing tool, the Infrastructure and Profile docks, the panel."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from twinscape.model.placed import PlacedAssetsLayer
from twinscape.ui.kinds import register_controls, register_dock, register_service
from twinscape.ui.placed_controls import PlacedControls
from twinscape.ui.placement_dock import PlacementDock
from twinscape.ui.placement_tool import PlacementTool
from twinscape.ui.profile_dock import ProfileDock

#: ``window.services[SERVICE_NAME]`` is the window's :class:`PlacementTool`.
SERVICE_NAME = "placement"


def _tool(window: Any) -> PlacementTool:
    tool = PlacementTool(window)
    window.click_handlers.append(tool.handle_click)
    return tool


register_service(SERVICE_NAME, _tool)
register_dock("placement", PlacementDock, Qt.DockWidgetArea.RightDockWidgetArea)
register_dock("profile", ProfileDock, Qt.DockWidgetArea.BottomDockWidgetArea, visible=False)
register_controls(PlacedAssetsLayer, PlacedControls)  # type: ignore[arg-type]
