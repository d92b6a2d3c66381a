"""The ground other layers stand on: the project's terrain grids, and bases of footprints.

Where terrains overlap (a 1 m survey patch over SRTM) the finest one with data at a
point is the ground there (:func:`ground_grids` orders them so, :func:`ground_elevation`
samples that way). A building stands at the lowest terrain point under its footprint,
so no wall floats above a slope; where no terrain covers it, it keeps the base its own
data gives (0 m for plain footprints).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import shapely
from numpy.typing import ArrayLike

from twinscape.geo.sampling import sample_elevation
from twinscape.model.layers import Layer
from twinscape.model.raster import RasterGrid

_CANDIDATES = 2_000_000  # cell centres tested per batch (about 100 MB of temporaries)


def cell_size(grid: RasterGrid) -> float:
    """The grid's cell size in metres (square root of the cell area)."""
    dx, dy = grid.resolution
    return math.sqrt(abs(dx * dy))


def fineness_key(grid: RasterGrid) -> float:
    """Sort key, smaller = finer: cell sizes within 0.1 % of each other are equal."""
    return round(math.log(cell_size(grid)), 3)


def ground_grids(layers: Sequence[Layer]) -> tuple[RasterGrid, ...]:
    """Grids of the loaded layers that provide ground, finest first.

    Finer means smaller cells of the layer's data (:func:`layer_fineness`). Of grids with
    the same cell size the topmost (last in the list) comes first, so
    taking the first grid with data at a point takes the finest terrain there.
    """
    ranked = []
    for layer in reversed(list(layers)):
        grid = getattr(layer, "grid", None)
        if layer.provides_ground and grid is not None:
            ranked.append((layer_fineness(layer, grid), grid))
    ranked.sort(key=lambda pair: pair[0])  # stable: ties stay topmost first
    return tuple(grid for _, grid in ranked)


def layer_fineness(layer: Layer, grid: RasterGrid) -> float:
    """:func:`fineness_key` of a ground layer: of its data's cells (``cell_size_m``), which
    for a DEM read on demand are finer than those of the overview ``grid`` it holds."""
    size = getattr(layer, "cell_size_m", None)
    return fineness_key(grid) if size is None else round(math.log(size), 3)


def ground_elevation(grids: Sequence[RasterGrid], x: ArrayLike, y: ArrayLike) -> np.ndarray:
    """Elevation of the first of ``grids`` with data at each (x, y); NaN off every grid.

    With the order of :func:`ground_grids` that is the finest terrain at each point.
    Bilinear (:func:`~twinscape.geo.sampling.sample_elevation`); float64 of the
    broadcast shape of ``x`` and ``y`` (at least 1-D).
    """
    xs, ys = np.broadcast_arrays(
        np.atleast_1d(np.asarray(x, np.float64)), np.atleast_1d(np.asarray(y, np.float64))
    )
    z = np.full(xs.shape, np.nan)
    for grid in grids:
        todo = np.isnan(z)
        if not todo.any():
            break
        z[todo] = sample_elevation(grid, xs[todo], ys[todo])
    return z


def footprint_bases(
    footprints: np.ndarray, own_base: np.ndarray, grids: Sequence[RasterGrid]
) -> np.ndarray:
    """The elevation each footprint stands on: the lowest terrain point under it.

    The terrain is sampled at every footprint vertex (bilinear) and at every grid cell
    whose centre lies inside the footprint. Where several grids cover a footprint the
    first with data there (the finest, in the order of :func:`ground_grids`) decides;
    a footprint partly outside the terrain stands on the part inside; one with no
    terrain under it keeps ``own_base``.

    Parameters
    ----------
    footprints
        object array (n,) of shapely (Multi)Polygons in the grids' CRS.
    own_base
        float64 (n,) fallback bases.
    grids
        Elevation grids, finest first (:func:`ground_grids`).

    Returns
    -------
    float64 (n,)
    """
    base = np.asarray(own_base, dtype=np.float64).copy()
    todo = np.ones(len(footprints), dtype=bool)
    for grid in grids:
        if not todo.any():
            break
        lowest = _lowest_under(footprints, todo, grid)
        found = np.isfinite(lowest)
        base[found] = lowest[found]
        todo &= ~found
    return base


def _lowest_under(footprints: np.ndarray, todo: np.ndarray, grid: RasterGrid) -> np.ndarray:
    """Lowest sample of ``grid`` under each footprint in ``todo`` (NaN where none)."""
    n = len(footprints)
    lowest = np.full(n, np.inf)
    index = np.flatnonzero(todo)
    coords, owner = shapely.get_coordinates(footprints[index], return_index=True)
    if len(coords):
        z = np.asarray(sample_elevation(grid, coords[:, 0], coords[:, 1]), dtype=np.float64)
        ok = np.isfinite(z)
        np.minimum.at(lowest, index[owner[ok]], z[ok])
    _lowest_cells(footprints, index, grid, lowest)
    lowest[~np.isfinite(lowest)] = np.nan
    return lowest


def _lowest_cells(
    footprints: np.ndarray, index: np.ndarray, grid: RasterGrid, lowest: np.ndarray
) -> None:
    """Lower ``lowest`` by the grid cells whose centres lie in each footprint (edges included).

    Every cell centre in a footprint's bounding box is a candidate, tested with one
    vectorised point-in-polygon call per batch; overlapping footprints each see
    their own cells (a rasterised id map would give a shared cell to one of them).
    """
    if len(index) == 0:
        return
    a, _, c, _, e, f = grid.transform
    rows, cols = grid.shape
    xmin, ymin, xmax, ymax = shapely.bounds(footprints[index]).T
    # first and last column / row whose centre lies within the bounds (empty when c0 > c1)
    c0 = np.maximum(np.ceil((xmin - c) / a - 0.5), 0)
    c1 = np.minimum(np.floor((xmax - c) / a - 0.5), cols - 1)
    r0 = np.maximum(np.ceil((ymax - f) / e - 0.5), 0)
    r1 = np.minimum(np.floor((ymin - f) / e - 0.5), rows - 1)
    width = np.where(np.isfinite(c0 + c1), c1 - c0 + 1, 0).clip(0).astype(np.int64)
    height = np.where(np.isfinite(r0 + r1), r1 - r0 + 1, 0).clip(0).astype(np.int64)
    # one unit per (footprint, row): its ``width`` candidates; batches of whole units
    owner = np.repeat(np.arange(len(index)), height)
    row = r0[owner] + _ranks(height)
    row_width = width[owner]
    ends = np.cumsum(row_width)
    start = 0
    while start < len(owner):
        done = ends[start] - row_width[start]
        stop = max(int(np.searchsorted(ends, done + _CANDIDATES, "right")), start + 1)
        n = row_width[start:stop]
        who = np.repeat(owner[start:stop], n)
        r = np.repeat(row[start:stop], n).astype(np.intp)
        col = (c0[who] + _ranks(n)).astype(np.intp)
        start = stop
        z = grid.values[r, col]
        ok = np.isfinite(z)
        who, r, col, z = who[ok], r[ok], col[ok], z[ok]
        inside = shapely.intersects_xy(
            footprints[index[who]], c + a * (col + 0.5), f + e * (r + 0.5)
        )
        np.minimum.at(lowest, index[who[inside]], z[inside].astype(np.float64))


def _ranks(counts: np.ndarray) -> np.ndarray:
    """0, 1, .., counts[0] - 1, 0, 1, .., counts[1] - 1, ...: each item's rank in its run."""
    counts = np.asarray(counts, dtype=np.int64)
    return np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
