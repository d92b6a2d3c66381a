"""Buildings layers are drawn by :class:`~twinscape.render.buildings_visual.BuildingsVisual`."""

from __future__ import annotations

from twinscape.model.buildings import BuildingsLayer
from twinscape.render.buildings_visual import BuildingsVisual
from twinscape.render.kinds import register_visual

register_visual(BuildingsLayer, BuildingsVisual)
