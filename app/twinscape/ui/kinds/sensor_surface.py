"""Interpolated sensor surfaces are styled by ``surface_controls.SurfaceControls``."""

from __future__ import annotations

from twinscape.model.surfaces import SensorSurfaceLayer
from twinscape.ui.kinds import register_controls
from twinscape.ui.surface_controls import SurfaceControls

register_controls(SensorSurfaceLayer, SurfaceControls)  # type: ignore[arg-type]
