"""How the nodes of a paged terrain are coloured: ramp x hillshade, the clock's sun, drapes.

A :class:`NodeColouring` is made on the GUI thread whenever the colours change (style,
sun, drapes) and used by the node readers on their worker threads, so it only holds
values captured when it was made. Drapes are painted on every node's own grid, at the
node's resolution: a drape's ``paint(grid)`` gives its picture on any grid (imagery
resamples its file; an analysis is computed once on its own ground and resampled; a
sensor surface is interpolated at the cells' centres).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from twinscape.geo.hillshade import hillshade
from twinscape.model.raster import RasterGrid
from twinscape.model.style import TerrainStyle
from twinscape.render.colormaps import drape_colors, terrain_rgb, terrain_shade
from twinscape.render.recolour import dim_colours


@dataclass
class NodeColouring:
    """Everything a worker needs to colour a node.

    Parameters
    ----------
    style
        The terrain style to bake (with the clock's sun when the style follows it).
    data_range
        (min, max) the ramp is stretched over (the whole DEM's, so nodes match).
    drapes
        :class:`~twinscape.render.kinds.Drape` s over this terrain, bottom first.
    light
        Brightness of the clock's sun (0..1; 1 without it).
    """

    style: TerrainStyle
    data_range: tuple[float, float]
    drapes: Sequence[Any] = ()
    light: float = 1.0

    def rgb(self, halo: np.ndarray, halo_width: int, grid: RasterGrid) -> np.ndarray:
        """uint8 RGB of a node's samples.

        ``halo`` are the node's elevations with ``halo_width`` samples around (for a
        seamless hillshade), ``grid`` the node's own samples and georeferencing.
        """
        h = halo_width
        style, resolution = self.style, grid.resolution
        hill = None
        if style.hillshade and style.hillshade_strength > 0:
            hill = hillshade(
                halo, resolution, azimuth=style.sun_azimuth, altitude=style.sun_altitude
            )[h:-h, h:-h]
        inner = halo[h:-h, h:-h]
        rgb = terrain_rgb(inner, style, hillshade=hill, data_range=self.data_range)
        if self.drapes:
            shade = terrain_shade(halo, resolution, style)
            layers = [
                (drape.source.paint(grid), drape.opacity, drape.source.shaded)
                for drape in self.drapes
            ]
            rgb = drape_colors(
                rgb, inner, resolution, style, layers,
                shade=None if shade is None else shade[h:-h, h:-h],
            )  # fmt: skip
        if self.light < 1.0:
            dim_colours(rgb, self.light)
        return rgb
