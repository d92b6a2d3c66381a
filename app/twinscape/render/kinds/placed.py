"""Placed-assets layers are drawn by :class:`~twinscape.render.placed_visual.PlacedVisual`."""

from __future__ import annotations

from twinscape.model.placed import PlacedAssetsLayer
from twinscape.render.kinds import register_visual
from twinscape.render.placed_visual import PlacedVisual

register_visual(PlacedAssetsLayer, PlacedVisual)
