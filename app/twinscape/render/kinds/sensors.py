"""Sensors layers are drawn by :class:`~twinscape.render.sensors_visual.SensorsVisual`."""

from __future__ import annotations

from twinscape.model.sensors import SensorsLayer
from twinscape.render.kinds import register_visual
from twinscape.render.sensors_visual import SensorsVisual

register_visual(SensorsLayer, SensorsVisual)
