"""Inverse distance weighting of station values onto a grid or arbitrary points, pure numpy.

Each target gets ``sum(w_i v_i) / sum(w_i)`` with ``w_i = d_i ** -power`` over the stations
with a finite position and value (NaN values are ignored). A target exactly on a station
takes that station's value (the mean, when several stations share the spot). With
``max_distance`` only the stations within it contribute (a search radius), and a target with
fewer than ``min_points`` of them is ``nodata``.

The work loops over stations and runs in float32 over blocks of targets small enough to
stay in cache, so a 4096 x 4096 grid with 100 stations needs the output plus a few MB.
Powers above 4 are computed relative to the nearest station, so a large power (which tends
to nearest-neighbour, Voronoi, assignment) neither underflows nor overflows.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
from numpy.typing import ArrayLike

_BLOCK = 1 << 16  # targets per block: the float32 work buffers stay in the CPU cache
_MAX_WEIGHT = np.float32(1e20)  # caps 1/d**p: finite sums for any value below 1e18
_MIN_D2 = np.float32(1e-20)  # squared distances (in units of the extent) below are on a station


class GridLike(Protocol):
    """A north-up grid: GDAL-style ``transform`` and ``shape`` (rows, cols), e.g. RasterGrid."""

    @property
    def transform(self) -> tuple[float, float, float, float, float, float]: ...

    @property
    def shape(self) -> tuple[int, int]: ...


def grid_centres(grid: GridLike | tuple[ArrayLike, ArrayLike]) -> tuple[np.ndarray, np.ndarray]:
    """1-D x of column centres and y of row centres of a grid-like or an (x, y) pair."""
    if hasattr(grid, "transform") and hasattr(grid, "shape"):
        a, b, c, d, e, f = (float(v) for v in grid.transform)
        if b != 0 or d != 0:
            raise ValueError(f"idw: the grid must be north-up, got transform {grid.transform}")
        rows, cols = (int(v) for v in grid.shape[:2])
        return c + a * (np.arange(cols) + 0.5), f + e * (np.arange(rows) + 0.5)
    xs, ys = (np.asarray(v, np.float64) for v in grid)  # type: ignore[union-attr]
    if xs.ndim != 1 or ys.ndim != 1:
        raise ValueError("idw: explicit grid centres must be two 1-D arrays (x, y)")
    return xs, ys


def idw_grid(
    xy: ArrayLike,
    values: ArrayLike,
    grid: GridLike | tuple[ArrayLike, ArrayLike],
    *,
    power: float = 2.0,
    max_distance: float | None = None,
    min_points: int = 1,
    nodata: float = np.nan,
) -> np.ndarray:
    """Interpolate station values onto the centres of a grid.

    Parameters
    ----------
    xy
        float64 (n, 2) station coordinates, in the grid's CRS.
    values
        float64 (n,) station values; NaN (and stations at non-finite places) are ignored.
    grid
        The target: an object with ``transform`` and ``shape`` (a
        :class:`~twinscape.model.raster.RasterGrid`), or ``(x_centres, y_centres)``.
    power
        Distance exponent (> 0); large powers tend to nearest-neighbour assignment.
    max_distance
        Search radius: only stations within it contribute; None: all stations.
    min_points
        Fewer contributing stations: ``nodata``.
    nodata
        Value of cells without an estimate.

    Returns
    -------
    numpy.ndarray
        float32 (rows, cols); row 0 at the first y centre (the northern edge of a
        north-up grid).
    """
    sx, sy, v = _stations(xy, values, power, max_distance, min_points)
    xs, ys = grid_centres(grid)
    out = np.full((len(ys), len(xs)), nodata, np.float32)
    if len(v) < min_points or out.size == 0:
        return out
    scale = _extent(sx, sy, xs, ys)  # float64 offsets, then float32 squares near 1
    dx2 = (((xs[None, :] - sx[:, None]) / scale) ** 2).astype(np.float32)
    dy2 = (((ys[None, :] - sy[:, None]) / scale) ** 2).astype(np.float32)
    # exact hits (d2 == 0 where both squared offsets are 0) take the station's value
    cells, hit_v = [], []
    for i in range(len(v)):
        r, c = np.flatnonzero(dy2[i] == 0), np.flatnonzero(dx2[i] == 0)
        cells.append((r[:, None] * len(xs) + c[None, :]).ravel())
        hit_v.append(np.full(len(r) * len(c), v[i]))
    np.maximum(dx2, _MIN_D2 / 2, out=dx2)  # elsewhere d2 >= _MIN_D2: finite weights
    np.maximum(dy2, _MIN_D2 / 2, out=dy2)
    step = max(1, _BLOCK // len(xs))
    for r0 in range(0, len(ys), step):
        rows = slice(r0, min(r0 + step, len(ys)))

        def block_d2(i: int, buf: np.ndarray, rows: slice = rows) -> None:
            np.add(dy2[i, rows, None], dx2[i, None, :], out=buf)

        shape = (rows.stop - rows.start, len(xs))
        out[rows] = _weigh(block_d2, shape, v, power, max_distance, min_points, nodata, scale)
    flat, inverse = np.unique(np.concatenate(cells), return_inverse=True)
    if flat.size:
        mean = np.bincount(inverse, np.concatenate(hit_v)) / np.bincount(inverse)
        out.reshape(-1)[flat] = mean
    return out


def idw_points(
    xy: ArrayLike,
    values: ArrayLike,
    points: ArrayLike,
    *,
    power: float = 2.0,
    max_distance: float | None = None,
    min_points: int = 1,
    nodata: float = np.nan,
) -> np.ndarray:
    """Interpolate station values at arbitrary points.

    Parameters
    ----------
    xy, values, power, max_distance, min_points, nodata
        As :func:`idw_grid`.
    points
        float64 (m, 2) target coordinates.

    Returns
    -------
    numpy.ndarray
        float64 (m,); a point exactly on a station gets that station's value.
    """
    sx, sy, v = _stations(xy, values, power, max_distance, min_points)
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    out = np.full(len(pts), nodata, np.float64)
    if len(v) < min_points or len(pts) == 0:
        return out
    scale = _extent(sx, sy, pts[:, 0], pts[:, 1])
    px, py = pts[:, 0] / scale, pts[:, 1] / scale
    sx, sy = sx / scale, sy / scale
    finite = np.isfinite(px) & np.isfinite(py)
    block = int(np.clip((1 << 22) // len(v), 1024, _BLOCK))  # (stations, block) <= 16 MB
    for p0 in range(0, len(pts), block):
        sl = slice(p0, min(p0 + block, len(pts)))
        bx, by = px[sl], py[sl]
        d2 = np.empty((len(v), len(bx)), np.float32)  # one row per station
        for i in range(len(v)):
            d2[i] = (bx - sx[i]) ** 2 + (by - sy[i]) ** 2
        zero = d2 == 0
        np.maximum(d2, _MIN_D2, out=d2)  # finite weights

        def block_d2(i: int, buf: np.ndarray, d2: np.ndarray = d2) -> None:
            buf[...] = d2[i]

        est = _weigh(block_d2, (len(bx),), v, power, max_distance, min_points, nodata, scale)
        hits = zero.any(axis=0)
        if hits.any():
            est[hits] = (v[:, None] * zero[:, hits]).sum(axis=0) / zero[:, hits].sum(axis=0)
        out[sl] = np.where(finite[sl], est, nodata)
    return out


def _extent(sx: np.ndarray, sy: np.ndarray, tx: np.ndarray, ty: np.ndarray) -> float:
    """Length unit of the work (the extent of stations and targets): distances near 1."""
    x = np.concatenate([sx, tx[np.isfinite(tx)]])
    y = np.concatenate([sy, ty[np.isfinite(ty)]])
    return max(float(np.ptp(x)), float(np.ptp(y)), 1e-300)


def _stations(
    xy: ArrayLike, values: ArrayLike, power: float, max_distance: float | None, min_points: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validated stations with a finite place and value: x, y, value."""
    pos = np.asarray(xy, np.float64)
    val = np.asarray(values, np.float64).ravel()
    if pos.ndim != 2 or pos.shape[1] != 2 or len(pos) != len(val):
        raise ValueError(f"idw: xy must be (n, 2) for {len(val)} values, got {pos.shape}")
    if not (np.isfinite(power) and power > 0):
        raise ValueError(f"idw: power must be positive, got {power}")
    if max_distance is not None and not max_distance > 0:
        raise ValueError(f"idw: max_distance must be positive, got {max_distance}")
    if min_points < 1:
        raise ValueError(f"idw: min_points must be at least 1, got {min_points}")
    ok = np.isfinite(val) & np.isfinite(pos).all(axis=1)
    return pos[ok, 0], pos[ok, 1], val[ok]


def _weigh(
    block_d2: Any,
    shape: tuple[int, ...],
    v: np.ndarray,
    power: float,
    max_distance: float | None,
    min_points: int,
    nodata: float,
    scale: float,
) -> np.ndarray:
    """IDW estimate over one block; ``block_d2(i, buf)`` fills squared distances to station i.

    Distances are in units of ``scale`` (the extent of the work), so up to power 4 the
    weights stay within float32; above, they are taken relative to the nearest station.
    """
    d2 = np.empty(shape, np.float32)
    w = np.empty(shape, np.float32)
    num, den = np.zeros(shape, np.float32), np.zeros(shape, np.float32)
    near = None
    if power > 4:
        near = np.full(shape, np.inf, np.float32)
        for i in range(len(v)):
            block_d2(i, d2)
            np.minimum(near, d2, out=near)
        np.reciprocal(near, out=near)
    radius2 = None if max_distance is None else np.float32((max_distance / scale) ** 2)
    count = None if radius2 is None else np.zeros(shape, np.int32)
    half = np.float32(-power / 2)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for i in range(len(v)):
            block_d2(i, d2)
            if near is not None:
                np.multiply(d2, near, out=w)
                np.power(w, half, out=w)
            elif power == 2:
                np.reciprocal(d2, out=w)
            else:
                np.power(d2, half, out=w)
            if power != 2:  # 1 / d2 <= 1 / _MIN_D2 already
                np.minimum(w, _MAX_WEIGHT, out=w)
            if count is not None:
                inside = d2 <= radius2
                w *= inside
                count += inside
            den += w
            w *= np.float32(v[i])
            num += w
        est = (num / den).astype(np.float64)
    if count is not None:
        est[count < min_points] = nodata
    est[~np.isfinite(est)] = nodata
    return est
