"""Elevation profile along a polyline: samples, grades and length.

Samples are taken at every vertex and every ``step`` metres along each segment
(restarting at each vertex, so vertices are always samples), and the terrain is
interpolated bilinearly between cell centres (:func:`sample_elevation`). Grades are
rise over horizontal run in percent; where an end is nodata the grade is NaN.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from twinscape.geo.sampling import sample_elevation
from twinscape.model.raster import RasterGrid

_MAX_SAMPLES = 5_000_000


@dataclass(frozen=True, eq=False)
class Profile:
    """An elevation profile.

    Parameters
    ----------
    distance, x, y, z
        (M,) float64 samples: horizontal distance along the line from its start, world
        coordinates and terrain elevation (NaN outside the grid or over nodata).
    vertex_index
        (N,) index into the samples of each vertex of the line.
    segment_grade_pct
        (N - 1,) grade between consecutive vertices, percent (positive uphill).
    sample_grade_pct
        (M - 1,) grade between consecutive samples, percent.
    length
        Horizontal length of the line.
    """

    distance: np.ndarray
    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    vertex_index: np.ndarray
    segment_grade_pct: np.ndarray
    sample_grade_pct: np.ndarray
    length: float

    @property
    def max_grade_pct(self) -> float:
        """Steepest absolute grade between samples, percent (NaN if none is defined)."""
        return _nan_abs_max(self.sample_grade_pct)

    @property
    def max_segment_grade_pct(self) -> float:
        """Steepest absolute grade between vertices, percent (NaN if none is defined)."""
        return _nan_abs_max(self.segment_grade_pct)

    @property
    def ascent(self) -> float:
        """Total climb along the samples (metres), ignoring nodata gaps."""
        rise = np.diff(self.z)
        return float(np.nansum(np.where(rise > 0, rise, 0.0)))

    @property
    def descent(self) -> float:
        """Total drop along the samples (metres, positive), ignoring nodata gaps."""
        rise = np.diff(self.z)
        return float(-np.nansum(np.where(rise < 0, rise, 0.0)))


#: Elevations (M,) at world x, y (M,) each: how a profile reads the terrain.
Sampler = Callable[[np.ndarray, np.ndarray], np.ndarray]


def profile(
    grid: RasterGrid | None,
    line: np.ndarray,
    *,
    step: float | None = None,
    sample: Sampler | None = None,
    cell_size: float | None = None,
) -> Profile:
    """Sample the terrain along a polyline.

    Parameters
    ----------
    grid
        Terrain (north-up, NaN = nodata); None with ``sample`` and ``cell_size``.
    line
        (N, 2) world x, y in the terrain's CRS, N >= 2; consecutive vertices may not repeat.
    step
        Spacing of samples along each segment; ``None`` uses the finest cell size.
    sample, cell_size
        Read the terrain through ``sample`` (e.g. a file read window by window) whose
        finest cell is ``cell_size``, instead of ``grid``.

    Returns
    -------
    Profile

    Raises
    ------
    ValueError
        Malformed line, repeated vertex, non-positive step, or too many samples.
    """
    points = np.asarray(line, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2 or len(points) < 2:
        raise ValueError(f"the line must be (N, 2) with N >= 2, got shape {points.shape}")
    if not np.isfinite(points).all():
        raise ValueError("the line's coordinates must be finite")
    legs = np.hypot(*np.diff(points, axis=0).T)
    if np.any(legs == 0):
        raise ValueError("the line repeats a vertex")
    if sample is None:
        if grid is None:
            raise ValueError("a profile needs a grid or a sampler")
        sample, cell_size = (lambda x, y: sample_elevation(grid, x, y)), min(grid.resolution)
    spacing = float(cell_size) if step is None else float(step)
    if not (math.isfinite(spacing) and spacing > 0):
        raise ValueError(f"step must be positive, got {step}")
    counts = np.maximum(np.ceil(legs / spacing).astype(np.int64), 1)  # intervals per leg
    if int(counts.sum()) + 1 > _MAX_SAMPLES:
        raise ValueError(f"a step of {spacing} gives more than {_MAX_SAMPLES} samples")
    starts = np.concatenate([[0.0], np.cumsum(legs)])
    leg_of = np.repeat(np.arange(len(legs)), counts)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    frac = (np.arange(int(counts.sum())) - first[leg_of]) / counts[leg_of]
    xy = points[leg_of] + frac[:, None] * (points[leg_of + 1] - points[leg_of])
    xy = np.vstack([xy, points[-1:]])
    distance = np.append(starts[leg_of] + frac * legs[leg_of], starts[-1])
    vertex_index = np.append(first, int(counts.sum()))
    z = np.asarray(sample(xy[:, 0], xy[:, 1]), dtype=np.float64)
    zv = z[vertex_index]
    with np.errstate(invalid="ignore", divide="ignore"):
        sample_grade = np.diff(z) / np.diff(distance) * 100.0
        segment_grade = np.diff(zv) / legs * 100.0
    return Profile(
        distance=distance,
        x=xy[:, 0].copy(),
        y=xy[:, 1].copy(),
        z=z,
        vertex_index=vertex_index,
        segment_grade_pct=segment_grade,
        sample_grade_pct=sample_grade,
        length=float(starts[-1]),
    )


def _nan_abs_max(values: np.ndarray) -> float:
    """Largest absolute finite value, or NaN when there is none."""
    finite = np.abs(values[np.isfinite(values)])
    return float(finite.max()) if finite.size else math.nan
