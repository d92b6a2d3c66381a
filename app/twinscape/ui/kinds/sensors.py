"""Sensor layers: the styling panel, the Sensor Chart and Alerts docks, and live feeds."""

from __future__ import annotations

from PySide6.QtCore import Qt

from twinscape.model.sensors import SensorsLayer
from twinscape.ui.alerts_dock import AlertsDock
from twinscape.ui.chart_dock import SensorChartDock
from twinscape.ui.kinds import register_controls, register_dock, register_service
from twinscape.ui.live_feeds import SERVICE_NAME, LiveFeeds
from twinscape.ui.sensors_controls import SensorsControls

register_controls(SensorsLayer, SensorsControls)  # type: ignore[arg-type]
# hidden until a project has sensors (the docks show themselves then)
register_dock("sensorChart", SensorChartDock, Qt.DockWidgetArea.BottomDockWidgetArea, visible=False)
register_dock("sensorAlerts", AlertsDock, Qt.DockWidgetArea.BottomDockWidgetArea, visible=False)
register_service(SERVICE_NAME, LiveFeeds)  # MQTT feeds of the layers, drained on the GUI thread
