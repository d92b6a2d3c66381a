"""Imagery layers are styled by :class:`~twinscape.ui.imagery_controls.ImageryControls`."""

from __future__ import annotations

from twinscape.model.imagery import ImageryLayer
from twinscape.ui.imagery_controls import ImageryControls
from twinscape.ui.kinds import register_controls

register_controls(ImageryLayer, ImageryControls)  # type: ignore[arg-type]
