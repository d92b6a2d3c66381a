"""How the nodes of a paged terrain are coloured: ramp x hillshade, the clock's sun, drapes.

A :class:`NodeColouring` is made on the GUI thread whenever the colours change (style,
sun, drapes) and used by the node readers on their worker threads, so it only holds
values captured when it was made. Drapes come in two sorts
(:class:`~twinscape.render.kinds.DrapeSource` ``local``):

* local drapes (imagery: a resampling of their own file) are painted on every node's
  own grid, at the node's resolution;
* the others (analyses, interpolated sensor fields: computed over a whole grid) are
  painted once on the layer's in-memory overview grid and every node samples that
  picture at its cells' centres (nearest), so a viewshed is computed over the whole
  terrain, not per node.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
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
    overview
        The layer's in-memory overview grid, on which non-local drapes are painted.
    light
        Brightness of the clock's sun (0..1; 1 without it).
    """

    style: TerrainStyle
    data_range: tuple[float, float]
    drapes: Sequence[Any] = ()
    overview: RasterGrid | None = None
    light: float = 1.0
    _painted: dict[int, np.ndarray] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

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
                (self._paint(i, grid), drape.opacity, drape.source.shaded)
                for i, drape in enumerate(self.drapes)
            ]
            rgb = drape_colors(
                rgb, inner, resolution, style, layers,
                shade=None if shade is None else shade[h:-h, h:-h],
            )  # fmt: skip
        if self.light < 1.0:
            dim_colours(rgb, self.light)
        return rgb

    def _paint(self, index: int, grid: RasterGrid) -> np.ndarray:
        """RGBA of drape ``index`` over ``grid``'s cells."""
        source = self.drapes[index].source
        if getattr(source, "local", False) or self.overview is None:
            return source.paint(grid)
        with self._lock:  # painted once, by the first worker that needs it
            picture = self._painted.get(index)
            if picture is None:
                picture = source.paint(self.overview)
                self._painted[index] = picture
        return sample_nearest(picture, self.overview, grid)


def sample_nearest(picture: np.ndarray, of: RasterGrid, grid: RasterGrid) -> np.ndarray:
    """``picture`` (rows, cols, k) over ``of``'s cells, sampled at ``grid``'s cell centres.

    Both grids are in the same CRS; cells of ``grid`` outside ``of`` are transparent (0).
    """
    xs, ys = grid.cell_centers()
    a, _, c, _, e, f = of.transform
    cols = np.floor((xs - c) / a).astype(np.int64)
    rows = np.floor((ys - f) / e).astype(np.int64)
    inside = ((rows >= 0) & (rows < picture.shape[0]))[:, None] & (
        (cols >= 0) & (cols < picture.shape[1])
    )[None, :]
    rows = np.clip(rows, 0, picture.shape[0] - 1)
    cols = np.clip(cols, 0, picture.shape[1] - 1)
    out = picture[rows[:, None], cols[None, :]]
    out[~inside] = 0
    return out
