"""A terrain grid held in memory, already in the project CRS."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twinscape.model.vertical import UNKNOWN_HEIGHTS, HeightReference

#: No elevation is further from sea level than this (metres; ten times the deepest trench,
#: in metres or feet): readers make such cells nodata, and they are no part of the scene.
MAX_ABS_ELEVATION = 100_000.0
#: A tail value is a spike when it jumps past the rest by this many times their span.
_SPIKE_GAP = 10.0
#: ... and by at least this many metres (a small island in a flat sea is no spike).
_MIN_JUMP = 1000.0
_SAMPLE = 1 << 18  # cells the bulk percentiles are estimated from


@dataclass(frozen=True)
class ValueRange:
    """The range of a grid's values, robust to a few spike cells.

    Parameters
    ----------
    low, high
        The range without spikes (what colour ramps are stretched over).
    minimum, maximum
        The extreme finite values, spikes included.
    spikes
        How many cells lie outside ``low..high``: values that jump past all the others by
        more than ten times their span and more than 1 km (1e30 in a 0..500 m DEM, an
        undeclared nodata value of -32768); real terrain, whose values run on without
        such gaps, has none.
    """

    low: float
    high: float
    minimum: float
    maximum: float
    spikes: int = 0


def value_range(values: np.ndarray) -> ValueRange | None:
    """The :class:`ValueRange` of the finite ``values``, or None when there are none."""
    flat = np.asarray(values).ravel()
    sample = flat[:: max(1, flat.size // _SAMPLE)]
    sample = sample[np.isfinite(sample)]
    if sample.size == 0:
        finite = flat[np.isfinite(flat)]
        if finite.size == 0:
            return None
        sample = finite
    minimum, maximum = float(np.nanmin(flat)), float(np.nanmax(flat))
    q_lo, q_hi = (float(q) for q in np.percentile(sample, [1.0, 99.0]))
    gap = max(_SPIKE_GAP * (q_hi - q_lo), _MIN_JUMP)
    high, above = maximum, 0
    if maximum > q_hi + gap:
        high, above = _tail_cut(np.sort(flat[flat > q_hi]), q_hi, q_lo)
    low, below = minimum, 0
    if minimum < q_lo - gap:
        cut, below = _tail_cut(np.sort(-flat[flat < q_lo]), -q_lo, -q_hi)
        low = -cut
    return ValueRange(low, high, minimum, maximum, above + below)


def _tail_cut(tail: np.ndarray, start: float, base: float) -> tuple[float, int]:
    """(last value before the first spike, number of spikes) of an ascending upper tail.

    ``start`` is where the tail begins and ``base`` the other end of the bulk: a value
    is a spike when it jumps past the one before by more than :data:`_SPIKE_GAP` times
    the span from ``base`` to that one, and by more than :data:`_MIN_JUMP`.
    """
    steps = np.concatenate([[start], tail.astype(np.float64)])
    with np.errstate(over="ignore", invalid="ignore"):
        jumps = np.diff(steps) > np.maximum(_SPIKE_GAP * (steps[:-1] - base), _MIN_JUMP)
    if not jumps.any():
        return float(steps[-1]), 0
    first = int(np.argmax(jumps))
    return float(steps[first]), len(tail) - first


@dataclass(frozen=True, eq=False)
class RasterGrid:
    """Elevation samples on a regular north-up grid.

    Parameters
    ----------
    values
        2-D float32 array (rows, cols), row 0 is the northern edge. Nodata is NaN.
    transform
        GDAL-style affine ``(a, b, c, d, e, f)``: ``x = a*col + b*row + c``,
        ``y = d*col + e*row + f`` for pixel corners. ``b`` and ``d`` are 0.
    crs
        CRS of the coordinates, e.g. ``"EPSG:32636"``.
    heights
        What the values (metres) are measured from: ellipsoid, geoid or not stated.
    """

    values: np.ndarray
    transform: tuple[float, float, float, float, float, float]
    crs: str
    heights: HeightReference = UNKNOWN_HEIGHTS

    def __post_init__(self) -> None:
        if self.values.ndim != 2:
            raise ValueError(f"RasterGrid needs a 2-D array, got shape {self.values.shape}")
        a, b, _, d, e, _ = self.transform
        if b != 0 or d != 0 or a <= 0 or e >= 0:
            raise ValueError(f"RasterGrid needs a north-up transform, got {self.transform}")

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols)."""
        return self.values.shape  # type: ignore[return-value]

    @property
    def resolution(self) -> tuple[float, float]:
        """Cell size (x, y) in CRS units, both positive."""
        return self.transform[0], -self.transform[4]

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) of the cell edges."""
        a, _, c, _, e, f = self.transform
        rows, cols = self.shape
        return c, f + e * rows, c + a * cols, f

    def cell_centers(self) -> tuple[np.ndarray, np.ndarray]:
        """1-D x coordinates of column centres and y coordinates of row centres."""
        a, _, c, _, e, f = self.transform
        rows, cols = self.shape
        return c + a * (np.arange(cols) + 0.5), f + e * (np.arange(rows) + 0.5)

    def value_range(self) -> ValueRange | None:
        """The spike-robust :class:`ValueRange` of the samples (None when all are nodata)."""
        cached: tuple[ValueRange | None] | None = self.__dict__.get("_value_range")
        if cached is None:
            cached = (value_range(self.values),)
            object.__setattr__(self, "_value_range", cached)  # values are never changed
        return cached[0]

    def elevation_range(self) -> tuple[float, float]:
        """(low, high) of the valid samples without spikes (see :class:`ValueRange`).

        Raises ValueError when all are nodata.
        """
        found = self.value_range()
        if found is None:
            raise ValueError("grid has no valid samples")
        return found.low, found.high
