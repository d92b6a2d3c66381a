"""Placed-assets layers are drawn by :class:`~twinscape.render.placed_visual.PlacedVisual`;
their legend is the status palette of the placements in the layer."""

from __future__ import annotations

from twinscape.geo.design_checks import assess_layer
from twinscape.model.layers import Layer
from twinscape.model.placed import PlacedAssetsLayer
from twinscape.render.kinds import DrapeContext, Legend, register_legend, register_visual
from twinscape.render.placed_colors import STATUS_RGB
from twinscape.render.placed_visual import PlacedVisual

#: What each status colour says, in the legend (the Issues list's words).
STATUS_LABELS = {"ok": "within the design limits", "warn": "near a limit", "fail": "invalid"}


def placed_legend(layer: Layer, context: DrapeContext) -> Legend | None:
    """The status colours the layer's placements show (None with nothing placed)."""
    assert isinstance(layer, PlacedAssetsLayer)
    found = {report.status for report in assess_layer(layer).values()}
    entries = [(STATUS_LABELS[s], STATUS_RGB[s]) for s in STATUS_LABELS if s in found]
    return Legend.of_classes(layer.name, entries) if entries else None


register_visual(PlacedAssetsLayer, PlacedVisual)
register_legend(PlacedAssetsLayer, placed_legend)
