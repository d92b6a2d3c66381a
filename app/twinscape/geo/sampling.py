"""Elevation at arbitrary world points: bilinear interpolation between cell centres."""

from __future__ import annotations

from typing import overload

import numpy as np
from numpy.typing import ArrayLike

from twinscape.model.raster import RasterGrid


@overload
def sample_elevation(grid: RasterGrid, x: float, y: float) -> float: ...
@overload
def sample_elevation(grid: RasterGrid, x: ArrayLike, y: ArrayLike) -> np.ndarray: ...


def sample_elevation(grid: RasterGrid, x: ArrayLike, y: ArrayLike) -> float | np.ndarray:
    """Bilinearly interpolate the grid's elevation at world points.

    Samples sit at cell centres. Between the outermost centres and the grid's
    edge (the outer half cell) the edge samples are used as they are.

    Parameters
    ----------
    grid
        Elevation grid (north-up, NaN = nodata).
    x, y
        World coordinates in ``grid.crs``: scalars or arrays that broadcast.

    Returns
    -------
    float or numpy.ndarray
        A float for scalar input, else a float64 array of the broadcast shape.
        NaN outside the grid, for non-finite coordinates, and where any sample
        with a non-zero weight is nodata.
    """
    scalar = np.ndim(x) == 0 and np.ndim(y) == 0
    xs, ys = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    result = _bilinear(grid, xs.ravel(), ys.ravel()).reshape(xs.shape)
    return float(result) if scalar else result


def _bilinear(grid: RasterGrid, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Interpolate at 1-D arrays of points; NaN where undefined."""
    rows, cols = grid.shape
    out = np.full(x.shape, np.nan, dtype=np.float64)
    inside = _inside(grid, x, y)
    if not inside.any():
        return out
    col_f, row_f = _fractional_index(grid, x[inside], y[inside])
    c0, tx = _split(col_f, cols)
    r0, ty = _split(row_f, rows)
    c1 = np.minimum(c0 + 1, cols - 1)
    r1 = np.minimum(r0 + 1, rows - 1)
    values = grid.values
    total = np.zeros(col_f.shape, dtype=np.float64)
    invalid = np.zeros(col_f.shape, dtype=bool)
    for rr, cc, weight in (
        (r0, c0, (1.0 - ty) * (1.0 - tx)),
        (r0, c1, (1.0 - ty) * tx),
        (r1, c0, ty * (1.0 - tx)),
        (r1, c1, ty * tx),
    ):
        sample = values[rr, cc].astype(np.float64)
        bad = ~np.isfinite(sample)
        invalid |= bad & (weight > 0.0)
        total += weight * np.where(bad, 0.0, sample)
    total[invalid] = np.nan
    out[inside] = total
    return out


def _inside(grid: RasterGrid, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """True for finite points within the grid's edges (edges included)."""
    xmin, ymin, xmax, ymax = grid.bounds
    with np.errstate(invalid="ignore"):
        return (x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax)


def _fractional_index(
    grid: RasterGrid, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """World x, y -> fractional column, row in cell-centre units (centre of cell 0 is 0)."""
    a, _, c, _, e, f = grid.transform
    return (x - c) / a - 0.5, (y - f) / e - 0.5


def _split(index: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Clamp a fractional index to 0..size-1; return (lower integer index, fraction)."""
    clamped = np.clip(index, 0.0, size - 1.0)
    lower = np.minimum(np.floor(clamped).astype(np.intp), max(size - 2, 0))
    return lower, clamped - lower
