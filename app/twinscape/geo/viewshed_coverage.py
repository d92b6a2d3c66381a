"""Cumulative viewshed and coverage: how many observers see each cell, and how much of an area.

:func:`cumulative_viewshed` runs one viewshed per observer, with the checks and
conventions of :mod:`twinscape.geo.viewshed`, spreading the observers over the cores,
each restricted to the window of its radius. :func:`coverage_fraction` is the share of
an area's cells that enough observers see.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from twinscape.geo.line_of_sight import REFRACTION
from twinscape.geo.viewshed import (
    Cancelled,
    Progress,
    _check_common,
    _constants,
    _run_threads,
    _Setup,
    _values,
)
from twinscape.geo.viewshed_sweep import _viewshed_into
from twinscape.model.raster import RasterGrid


def cumulative_viewshed(
    grid: RasterGrid,
    observers: Sequence[tuple[float, float, float]],
    *,
    target_height: float = 0.0,
    radius: float,
    curvature: bool = True,
    refraction: float = REFRACTION,
    adjacent_visible: bool = True,
    workers: int | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> np.ndarray:
    """How many observers see each cell (each one as :func:`viewshed` with its own height).

    Parameters
    ----------
    observers
        ``(x, y, observer_height)`` per observer, in ``grid.crs``.
    workers
        Threads (default: the CPU count); each takes whole observers.
    Other parameters as :func:`viewshed`.

    Returns
    -------
    numpy.ndarray
        ``uint16`` of ``grid.shape``.
    """
    _check_common(grid, radius, target_height)
    obs = [tuple(float(v) for v in o) for o in observers]
    if not obs:
        raise ValueError("cumulative viewshed: no observers given")
    if any(len(o) != 3 for o in obs):
        raise ValueError("cumulative viewshed: each observer must be (x, y, observer_height)")
    if len(obs) > np.iinfo(np.uint16).max:
        raise ValueError(f"cumulative viewshed: at most 65535 observers, got {len(obs)}")
    setups = [_Setup(grid, x, y, h, radius) for x, y, h in obs]
    adj, a, e = _constants(grid, curvature, refraction)
    values = _values(grid)
    n_workers = max(1, min(workers or os.cpu_count() or 1, len(setups)))
    counts = [np.zeros(grid.shape, np.uint16) for _ in range(n_workers)]
    next_index = [0]
    finished = [0]
    lock = threading.Lock()
    stop = threading.Event()

    def work(out: np.ndarray) -> None:
        while not stop.is_set():
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= len(setups):
                return
            s = setups[i]
            _viewshed_into(values, out, s.row, s.col, s.r0, s.r1, s.c0, s.c1, s.h_obs,
                           float(target_height), adj, a, e, s.max_d2, adjacent_visible)  # fmt: skip
            with lock:
                finished[0] += 1

    jobs = [lambda c=c: work(c) for c in counts]
    _run_threads(
        jobs, stop, lambda: finished[0] / len(setups), progress, cancelled, "cumulative viewshed"
    )
    total = counts[0]
    for c in counts[1:]:
        total += c
    if progress is not None:
        progress(1.0)
    return total


def coverage_fraction(count: np.ndarray, grid: RasterGrid, area: Any, *, minimum: int = 1) -> float:
    """Fraction (0..1) of an area's cells seen by at least ``minimum`` observers.

    ``area`` is a shapely (multi)polygon in ``grid.crs`` (a cell belongs to it when its
    centre does) or a boolean mask of ``grid.shape``. Nodata cells are left out of the area.
    """
    count = np.asarray(count)
    if count.shape != grid.shape:
        raise ValueError(f"coverage: count shape {count.shape} is not the grid's {grid.shape}")
    if isinstance(area, np.ndarray):
        if area.shape != grid.shape:
            raise ValueError(f"coverage: mask shape {area.shape} is not the grid's {grid.shape}")
        mask = area.astype(bool)
    else:
        mask = _polygon_mask(grid, area)
    mask &= np.isfinite(grid.values)
    cells = int(mask.sum())
    if cells == 0:
        raise ValueError("coverage: the area holds no valid cell centre of the grid")
    return float(np.count_nonzero(count[mask] >= minimum)) / cells


def _polygon_mask(grid: RasterGrid, polygon: Any) -> np.ndarray:
    """Cells whose centre lies in a shapely polygon (or multipolygon)."""
    import shapely

    if not isinstance(polygon, shapely.Geometry) or polygon.geom_type not in (
        "Polygon",
        "MultiPolygon",
    ):
        raise ValueError(f"coverage: expected a polygon or a mask, got {type(polygon).__name__}")
    mask = np.zeros(grid.shape, bool)
    xs, ys = grid.cell_centers()
    xmin, ymin, xmax, ymax = polygon.bounds
    cols = np.nonzero((xs >= xmin) & (xs <= xmax))[0]
    rows = np.nonzero((ys >= ymin) & (ys <= ymax))[0]
    if cols.size == 0 or rows.size == 0:
        return mask
    gx, gy = np.meshgrid(xs[cols], ys[rows])
    inside = shapely.contains_xy(polygon, gx, gy)
    mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1] = inside
    return mask
