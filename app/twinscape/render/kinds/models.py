"""3D model layers are drawn by :class:`~twinscape.render.models_visual.ModelVisual`."""

from __future__ import annotations

from twinscape.model.models3d import ModelLayer
from twinscape.render.kinds import register_visual
from twinscape.render.models_visual import ModelVisual

register_visual(ModelLayer, ModelVisual)
