"""How the nodes of a paged terrain are coloured: ramp x hillshade, the clock's sun, drapes.

A :class:`NodeColouring` is made on the GUI thread whenever the colours change (style,
sun, drapes) and used by the node readers on their worker threads, so it only holds
values captured when it was made. Drapes are painted on every node's own grid, at the
node's resolution: a drape's ``paint(grid)`` gives its picture on any grid (imagery
resamples its file; an analysis is computed once on its own ground and resampled; a
sensor surface is interpolated at the cells' centres). Where a drape is finer than the
node (a ``fine`` :class:`~twinscape.render.detail_compose.FinePaint` over it), the node
also keeps the :class:`~twinscape.render.recolour.ColourRecipe` of its colours, from
which render/paged_detail.py paints its detail textures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from twinscape.geo.hillshade import hillshade
from twinscape.model.raster import RasterGrid
from twinscape.model.style import TerrainStyle
from twinscape.render.detail_compose import max_depth
from twinscape.render.grid_colors import drape_colors, terrain_shade
from twinscape.render.ramp_shading import terrain_rgb
from twinscape.render.recolour import ColourRecipe, dim_colours


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

    def rgb(
        self, halo: np.ndarray, halo_width: int, grid: RasterGrid
    ) -> tuple[np.ndarray, ColourRecipe | None]:
        """uint8 RGB of a node's samples, and its recipe when a drape is finer than it.

        ``halo`` are the node's elevations with ``halo_width`` samples around (for a
        seamless hillshade), ``grid`` the node's own samples and georeferencing. The
        recipe (None: no detail) is kept when a fine drape shows on the node and
        its pixels are smaller than the node's samples (see :func:`node_depth`).
        """
        h = halo_width
        style, resolution = self.style, grid.resolution
        hill = None
        if style.hillshade and style.hillshade_strength > 0:
            hill = hillshade(
                halo, resolution, azimuth=style.sun_azimuth, altitude=style.sun_altitude
            )[h:-h, h:-h]
        inner = halo[h:-h, h:-h]
        base = terrain_rgb(inner, style, hillshade=hill, data_range=self.data_range)
        if not self.drapes:
            if self.light < 1.0:
                dim_colours(base, self.light)
            return base, None
        full = terrain_shade(halo, resolution, style)
        shade = None if full is None else np.ascontiguousarray(full[h:-h, h:-h])
        layers = [
            (_picture(drape.source, halo, h, grid), drape.opacity, drape.source.shaded)
            for drape in self.drapes
        ]
        rgb = drape_colors(base, inner, resolution, style, layers, shade=shade)
        if self.light < 1.0:
            dim_colours(rgb, self.light)
        fine = [getattr(drape.source, "fine", None) for drape in self.drapes]
        recipe = ColourRecipe(
            base, grid.values, tuple(grid.transform), grid.crs, resolution, style,
            tuple((*layer, f) for layer, f in zip(layers, fine)), shade, self.light,
        )  # fmt: skip
        return rgb, recipe if node_depth(recipe) > 0 else None


def _picture(source: Any, halo: np.ndarray, width: int, grid: RasterGrid) -> np.ndarray:
    """A drape's picture on a node: from the node's own elevations when it can."""
    local = getattr(source, "local", None)
    return source.paint(grid) if local is None else local(halo, width, grid)


def node_depth(recipe: ColourRecipe) -> int:
    """Halvings finer than a node's samples the drapes of its ``recipe`` allow (0: none).

    The finest drape that offers a ``fine`` picture, shows on the node and is finer
    than its samples decides (:func:`~twinscape.render.detail_compose.max_depth`).
    """
    size, res = max(recipe.values.shape), max(recipe.resolution)
    return max(
        (
            max_depth(res, fine.resolution, size)
            for rgba, opacity, _, fine in recipe.layers
            if fine is not None and opacity > 0 and rgba[..., 3].any()
        ),
        default=0,
    )


def recipe_bytes(recipe: ColourRecipe | None) -> int:
    """Bytes a node's recipe holds beyond the node's own elevations."""
    if recipe is None:
        return 0
    extra = 0 if recipe.shade is None else recipe.shade.nbytes
    return recipe.base.nbytes + extra + sum(layer[0].nbytes for layer in recipe.layers)
