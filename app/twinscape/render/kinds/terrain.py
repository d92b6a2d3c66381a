"""Terrain layers are drawn by :class:`~twinscape.render.terrain_visual.TerrainVisual`, those
read on demand (:class:`~twinscape.model.terrain.PagedTerrainLayer`) by
:class:`~twinscape.render.paged_terrain.PagedTerrainVisual`."""

from __future__ import annotations

from twinscape.geo.origin import LocalOrigin
from twinscape.model.layers import Layer
from twinscape.model.terrain import PagedTerrainLayer, TerrainLayer
from twinscape.render.colormaps import RAMPS, SEA, stretch
from twinscape.render.kinds import DrapeContext, Legend, register_legend, register_visual
from twinscape.render.paged_terrain import PagedTerrainVisual
from twinscape.render.terrain_visual import TerrainVisual, prepare_tiles


def prepare_terrain(layer: Layer, origin: LocalOrigin) -> None:
    """Build the tiles and colours of a loaded terrain (kept for its visual to adopt)."""
    assert isinstance(layer, TerrainLayer) and layer.grid is not None
    prepare_tiles(layer.grid, layer.style, origin)


def prepare_paged(layer: Layer, origin: LocalOrigin) -> None:
    """Nothing to prepare: a paged terrain reads its nodes when the view needs them."""


def terrain_legend(layer: Layer, context: DrapeContext) -> Legend | None:
    """The elevation ramp as drawn: the sea ramp below the sea level, then the land ramp."""
    assert isinstance(layer, TerrainLayer)
    if layer.grid is None or layer.grid.value_range() is None:
        return None
    style = layer.style
    land_lo, land_hi, sea_lo = stretch(style, layer.grid.elevation_range())
    stops = []
    if sea_lo is not None:
        sea_span = style.sea_level - sea_lo
        stops += [(sea_lo + t * sea_span, rgb) for t, rgb in SEA]
    span = land_hi - land_lo
    stops += [(land_lo + t * span, rgb) for t, rgb in RAMPS[style.colormap]]
    return Legend(title=layer.name, ramp=tuple(stops), unit="m")


register_visual(TerrainLayer, TerrainVisual, prepare=prepare_terrain)
register_visual(PagedTerrainLayer, PagedTerrainVisual, prepare=prepare_paged)
register_legend(TerrainLayer, terrain_legend)
