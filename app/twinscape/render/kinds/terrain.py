"""Terrain layers are drawn by :class:`~twinscape.render.terrain_visual.TerrainVisual`."""

from __future__ import annotations

from twinscape.geo.origin import LocalOrigin
from twinscape.model.layers import Layer
from twinscape.model.terrain import TerrainLayer
from twinscape.render.kinds import register_visual
from twinscape.render.terrain_visual import TerrainVisual, prepare_tiles


def prepare_terrain(layer: Layer, origin: LocalOrigin) -> None:
    """Build the tiles and colours of a loaded terrain (kept for its visual to adopt)."""
    assert isinstance(layer, TerrainLayer) and layer.grid is not None
    prepare_tiles(layer.grid, layer.style, origin)


register_visual(TerrainLayer, TerrainVisual, prepare=prepare_terrain)
