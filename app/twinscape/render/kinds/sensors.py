"""Sensors layers are drawn by :class:`~twinscape.render.sensors_visual.SensorsVisual`."""

from __future__ import annotations

from twinscape.model.layers import Layer
from twinscape.model.sensors import SensorsLayer
from twinscape.render.kinds import DrapeContext, Legend, register_legend, register_visual
from twinscape.render.sensor_colors import sensor_legend
from twinscape.render.sensors_visual import SensorsVisual


def sensors_legend(layer: Layer, context: DrapeContext) -> Legend | None:
    """The colours of the shown quantity (alert levels or ramp steps), titled with it."""
    assert isinstance(layer, SensorsLayer)
    if layer.data is None:
        return None
    quantity = layer.shown_quantity
    title = layer.name if quantity is None else f"{layer.name}: {quantity}"
    return Legend.of_classes(title, sensor_legend(layer))


register_visual(SensorsLayer, SensorsVisual)
register_legend(SensorsLayer, sensors_legend)
