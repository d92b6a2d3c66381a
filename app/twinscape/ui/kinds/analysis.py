"""Analysis layers are styled by ``analysis_controls.AnalysisControls``; every window gets
the Add Analysis actions (``analysis_actions.AnalysisActions``) as a service."""

from __future__ import annotations

from twinscape.model.analysis import AnalysisLayer
from twinscape.ui.analysis_actions import AnalysisActions
from twinscape.ui.analysis_controls import AnalysisControls
from twinscape.ui.kinds import register_controls, register_service

#: The name the service is registered under (``window.services[SERVICE_NAME]``).
SERVICE_NAME = "analysis"

register_controls(AnalysisLayer, AnalysisControls)  # type: ignore[arg-type]
register_service(SERVICE_NAME, AnalysisActions)
