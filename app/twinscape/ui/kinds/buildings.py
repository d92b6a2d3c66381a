"""Buildings layers are styled by :class:`~twinscape.ui.buildings_controls.BuildingsControls`."""

from __future__ import annotations

from twinscape.model.buildings import BuildingsLayer
from twinscape.ui.buildings_controls import BuildingsControls
from twinscape.ui.kinds import register_controls

register_controls(BuildingsLayer, BuildingsControls)  # type: ignore[arg-type]
