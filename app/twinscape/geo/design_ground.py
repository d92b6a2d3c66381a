"""The ground under placed assets and the list of issues, shared by the design checks.

:func:`ground_at` samples the topmost grid with data at each point; ``_grid_under``
picks the grid an outline lies on; ``_plane_slope`` and ``_lowest_under`` measure the
ground under a footprint. ``_Checks`` gathers the issues of one asset and its worst
status. Used by :mod:`twinscape.geo.design_checks` and its line and area checks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import Polygon

from twinscape.geo.ground import footprint_bases
from twinscape.geo.sampling import sample_elevation
from twinscape.model.placed import STATUSES, WARN_FRACTION
from twinscape.model.raster import RasterGrid

_LATTICE = 7  # samples per side of a point footprint's plane fit


@dataclass
class _Checks:
    """Issues and the worst status found so far."""

    issues: list[str]
    status: str = "ok"

    def add(self, status: str, issue: str) -> None:
        self.issues.append(issue)
        if STATUSES.index(status) > STATUSES.index(self.status):
            self.status = status

    def limit(self, value: float, limit: float, message: str, unit: str) -> str:
        """Check ``value`` (a magnitude) against a maximum; the status, issue added if any."""
        if not (math.isfinite(value) and math.isfinite(limit)):
            return "ok"
        if value > limit:
            self.add("fail", f"{message} exceeds {limit:g}{unit}")
            return "fail"
        if value > WARN_FRACTION * limit:
            self.add("warn", f"{message} is close to the {limit:g}{unit} limit")
            return "warn"
        return "ok"


def ground_at(grids: Sequence[RasterGrid], x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Elevation at points from the topmost grid with data there (NaN off every grid)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    z = np.full(np.broadcast(x, y).shape, np.nan)
    for grid in grids:
        todo = ~np.isfinite(z)
        if not todo.any():
            break
        xs, ys = np.broadcast_arrays(x, y)
        z[todo] = sample_elevation(grid, xs[todo], ys[todo])
    return z


def _plane_slope(footprint: Polygon, ground: tuple[RasterGrid, ...]) -> float:
    """Tilt (degrees) of the least-squares plane through ground samples on ``footprint``."""
    if not ground:
        return math.nan
    x0, y0, x1, y1 = footprint.bounds
    gx, gy = np.meshgrid(np.linspace(x0, x1, _LATTICE), np.linspace(y0, y1, _LATTICE))
    inside = shapely.contains_xy(footprint, gx, gy)
    ring = np.asarray(footprint.exterior.coords)[:-1]
    x = np.concatenate([gx[inside], ring[:, 0]])
    y = np.concatenate([gy[inside], ring[:, 1]])
    z = ground_at(ground, x, y)
    ok = np.isfinite(z)
    if ok.sum() < 3:
        return math.nan
    cx, cy = x[ok].mean(), y[ok].mean()
    design = np.column_stack([x[ok] - cx, y[ok] - cy, np.ones(int(ok.sum()))])
    (a, b, _), *_ = np.linalg.lstsq(design, z[ok], rcond=None)
    return float(math.degrees(math.atan(math.hypot(a, b))))


def _lowest_under(shape: Polygon, ground: tuple[RasterGrid, ...]) -> float:
    """Lowest ground under ``shape`` (vertices and cell centres inside), NaN off the terrain."""
    if not ground:
        return math.nan
    footprints = np.empty(1, dtype=object)
    footprints[0] = shape
    return float(footprint_bases(footprints, np.array([np.nan]), ground)[0])


def _grid_under(ground: tuple[RasterGrid, ...], xy: np.ndarray) -> RasterGrid:
    """The topmost grid with data at every point, else the one with data at most of them."""
    best, best_count = ground[0], -1
    for grid in ground:
        count = int(np.isfinite(sample_elevation(grid, xy[:, 0], xy[:, 1])).sum())
        if count == len(xy):
            return grid
        if count > best_count:
            best, best_count = grid, count
    return best
