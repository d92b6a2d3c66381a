"""Overlapping terrains (a 1 m survey patch over SRTM): the finer one wins where they overlap.

For every terrain, :func:`terrain_overlaps` finds the visible terrains that are finer
(a smaller cell size; of equal ones the upper in the layer list) and those that are
coarser whose extents overlap its own. A terrain is drawn without the samples a finer
one draws (:func:`cutout_mask`: shrunk by one coarse cell, so the coarse surface still
runs under the border of the finer patch), and a finer terrain hangs skirts from its
outer edges down to the lowest point of the coarser ones under them
(:func:`skirt_floor`), so no crack shows between the two. Numpy only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from twinscape.geo.ground import fineness_key
from twinscape.geo.sampling import sample_elevation
from twinscape.model.raster import RasterGrid

#: Skirt floors lie this far (metres) below the lowest coarser sample.
FLOOR_MARGIN = 1.0


@dataclass(frozen=True, eq=False)
class Overlap:
    """The visible terrains over (``finer``) and under (``coarser``) one terrain.

    Compared by :attr:`key` (the grids' identities): the grids are never changed.
    """

    finer: tuple[RasterGrid, ...] = ()
    coarser: tuple[RasterGrid, ...] = ()

    @property
    def key(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Identities of the finer and the coarser grids."""
        return tuple(map(id, self.finer)), tuple(map(id, self.coarser))

    @property
    def plain(self) -> bool:
        """True when no other terrain overlaps: the terrain is drawn as it is."""
        return not self.finer and not self.coarser


def _overlapping(a: RasterGrid, b: RasterGrid) -> bool:
    ax0, ay0, ax1, ay1 = a.bounds
    bx0, by0, bx1, by1 = b.bounds
    return ax0 < bx1 and bx0 < ax1 and ay0 < by1 and by0 < ay1


def terrain_overlaps(
    grids: Sequence[RasterGrid | None],
    shown: Sequence[bool],
    fineness: Sequence[float] | None = None,
) -> list[Overlap]:
    """How each terrain of a layer list (bottom first) meets the others that are shown.

    Parameters
    ----------
    grids
        The terrains' grids in layer order, None for one not loaded.
    shown
        Whether each is drawn (visible, not fully transparent).
    fineness
        Sort key per terrain, smaller = finer (:func:`~twinscape.geo.ground.layer_fineness`:
        a DEM read on demand is as fine as its file, not as its overview grid); None: of
        the grids.

    Returns
    -------
    list of Overlap
        One per grid; a hidden or unloaded terrain, or one no other overlaps, gets a
        plain :class:`Overlap`. ``finer`` is finest first, ``coarser`` too.
    """
    drawn = [i for i, (g, s) in enumerate(zip(grids, shown)) if g is not None and s]
    keys = fineness or [fineness_key(g) if g is not None else 0.0 for g in grids]
    rank = sorted(drawn, key=lambda i: (keys[i], -i))
    ordered = [grids[i] for i in rank]
    out = [Overlap() for _ in grids]
    for pos, i in enumerate(rank):
        grid = ordered[pos]
        assert grid is not None
        finer = tuple(g for g in ordered[:pos] if g is not None and _overlapping(grid, g))
        coarser = tuple(g for g in ordered[pos + 1 :] if g is not None and _overlapping(grid, g))
        out[i] = Overlap(finer, coarser)
    return out


def cutout_mask(grid: RasterGrid, finer: Sequence[RasterGrid]) -> np.ndarray | None:
    """bool (rows, cols): samples of ``grid`` whose cells a finer terrain draws entirely.

    A sample is cut out when the square of one cell of ``grid`` on every side of it
    lies inside the surface a finer grid draws (between its sample centres, every
    fine cell's four samples valid). The hole left in ``grid`` (the cells touching a
    cut sample) is therefore inside the finer surface, and ``grid`` runs under the
    border of the finer one. None when nothing is cut.
    """
    mask: np.ndarray | None = None
    for fine in finer:
        covered = _covered(grid, fine)
        if covered is not None:
            mask = covered if mask is None else mask | covered
    return mask if mask is not None and mask.any() else None


def _quad_span(
    centres: np.ndarray, half: float, first: float, step: float, n_quads: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fine cells (between fine sample centres) spanned by ``centres +- half``, and which fit.

    ``first`` is the first fine sample centre and ``step`` the signed distance between
    them. Returns the first and one-past-the-last fine cell index and a mask of the
    centres whose span lies within the fine samples.
    """
    lo, hi = (centres - half - first) / step, (centres + half - first) / step
    lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
    eps = 1e-6
    q0 = np.floor(lo + eps).astype(np.int64)
    q1 = np.ceil(hi - eps).astype(np.int64)
    fits = (q0 >= 0) & (q1 <= n_quads)
    return q0, q1, fits


def _covered(grid: RasterGrid, fine: RasterGrid) -> np.ndarray | None:
    """Samples of ``grid`` whose one-cell neighbourhood ``fine`` draws (see cutout_mask)."""
    valid = np.isfinite(fine.values)
    if min(valid.shape) < 2:
        return None
    quads = valid[:-1, :-1] & valid[1:, :-1] & valid[:-1, 1:] & valid[1:, 1:]
    xc, yc = grid.cell_centers()
    fx, fy = fine.cell_centers()
    dx, dy = grid.resolution
    fdx, fdy = fine.resolution
    c0, c1, cfit = _quad_span(xc, dx, fx[0], fdx, quads.shape[1])
    r0, r1, rfit = _quad_span(yc, dy, fy[0], -fdy, quads.shape[0])
    cols, rows = np.flatnonzero(cfit), np.flatnonzero(rfit)
    if not len(cols) or not len(rows):
        return None
    count = np.int32 if quads.size < 2**31 else np.int64  # a summed-area table of holes
    holes = np.zeros((quads.shape[0] + 1, quads.shape[1] + 1), count)
    holes[1:, 1:] = np.cumsum(np.cumsum(~quads, axis=0, dtype=count), axis=1)
    a, b = r0[rows][:, None], r1[rows][:, None]
    c, d = c0[cols][None, :], c1[cols][None, :]
    missing = holes[b, d] - holes[a, d] - holes[b, c] + holes[a, c]
    mask = np.zeros(grid.shape, bool)
    mask[np.ix_(rows, cols)] = missing == 0
    return mask


def skirt_floor(
    grid: RasterGrid, coarser: Sequence[RasterGrid]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Elevations the skirts of ``grid``'s outer edges reach down to, per border sample.

    North, south, west and east rows/columns of samples: below each, the lowest sample
    of every coarser grid with data there (less :data:`FLOOR_MARGIN`), so a skirt
    hangs below any level of detail the coarser surface is drawn at; NaN where no
    coarser grid lies under the sample. None when none lies under any.
    """
    if not coarser:
        return None
    xc, yc = grid.cell_centers()
    sides = (
        (xc, np.full_like(xc, yc[0])),
        (xc, np.full_like(xc, yc[-1])),
        (np.full_like(yc, xc[0]), yc),
        (np.full_like(yc, xc[-1]), yc),
    )
    lowest = [float(np.fmin.reduce(g.values, axis=None)) for g in coarser]  # NaN skipped
    floors = []
    for x, y in sides:
        floor = np.full(len(x), np.nan)
        for g, low in zip(coarser, lowest):
            under = np.isfinite(sample_elevation(g, x, y))
            floor[under] = np.fmin(floor[under], low - FLOOR_MARGIN)
        floors.append(floor)
    if not any(np.isfinite(f).any() for f in floors):
        return None
    return floors[0], floors[1], floors[2], floors[3]
