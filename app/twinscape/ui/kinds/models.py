"""3D model layers are placed with :class:`~twinscape.ui.models_controls.ModelControls`."""

from __future__ import annotations

from twinscape.model.models3d import ModelLayer
from twinscape.ui.kinds import register_controls
from twinscape.ui.models_controls import ModelControls

register_controls(ModelLayer, ModelControls)  # type: ignore[arg-type]
