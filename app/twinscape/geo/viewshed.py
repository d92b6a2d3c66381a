"""Viewshed on a DEM, with ``gdal_viewshed``'s algorithm and conventions.

:func:`viewshed` checks its inputs, sets up the observer's window and runs the compiled
sweep of :mod:`twinscape.geo.viewshed_sweep` (GDAL's algorithm), its upward and downward
halves on two threads. The set-up here is shared with
:mod:`twinscape.geo.viewshed_coverage` (cumulative viewshed, coverage of an area).

Conventions, as ``gdal_viewshed``:

- the observer stands on the cell holding ``observer_xy`` (``floor`` of its pixel
  position); its eye is ``observer_height`` above that cell's value;
- heights are sampled at cell centres; distances are between cell centres;
- earth curvature and refraction lower every cell by ``coef * d**2 / (2 * a)`` with
  ``coef = 1 - refraction`` (``gdal_viewshed -cc``; GDAL's default 0.85714 is a refraction
  coefficient of 1/7, this module's default 0.13 is the usual one of surveying) and ``a``
  the semi-major axis of the CRS's ellipsoid (WGS 84's when it has none, where GDAL
  leaves curvature out);
- cells farther than ``radius`` from the observer's cell centre are out of range (0);
- the observer's cell and its eight neighbours are always visible, as in GDAL since the
  fix of OSGeo/gdal#10205 (2024); ``adjacent_visible=False`` gives older GDAL's results
  (e.g. 3.6 in Debian 12), which compare the neighbours north and south of the observer
  with the observer's ground.

Results are ``uint8`` on the grid's own cell grid: 255 visible, 0 invisible, out of range
or nodata. GDAL reads nodata as an elevation; here a nodata cell is invisible and never
hides what lies behind it (its horizon is the one interpolated over it).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

import numpy as np

from twinscape.geo.line_of_sight import REFRACTION, curvature_coefficient, semi_major_axis
from twinscape.geo.viewshed_sweep import _first_row, _sweep
from twinscape.model.errors import LoadCancelled
from twinscape.model.raster import RasterGrid

#: ``progress(fraction)``: told how far an analysis is, 0..1.
Progress = Callable[[float], None]
#: ``cancelled()``: polled between chunks of work; True stops with :class:`ViewshedCancelled`.
Cancelled = Callable[[], bool]

#: Value of a visible cell in a viewshed.
VISIBLE = 255
#: Rows swept between two progress reports / cancel checks.
_CHUNK_ROWS = 128
#: Seconds between two progress reports / cancel polls while threads work.
_POLL_S = 0.05


class ViewshedCancelled(LoadCancelled):
    """The user cancelled a viewshed; nothing was produced."""


# ---------------------------------------------------------------- set-up


class _Setup:
    """Checked inputs of one observer: its cell, window and the sweep's constants."""

    __slots__ = ("row", "col", "r0", "r1", "c0", "c1", "h_obs", "max_d2")

    def __init__(self, grid: RasterGrid, x: float, y: float, height: float, radius: float) -> None:
        a, _, c, _, e, f = grid.transform
        rows, cols = grid.shape
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ValueError(f"viewshed: observer ({x}, {y}) is not a finite point")
        if not math.isfinite(height):
            raise ValueError(f"viewshed: observer height must be finite, got {height}")
        col_f, row_f = (x - c) / a, (y - f) / e
        if not (0.0 <= col_f < cols and 0.0 <= row_f < rows):
            xmin, ymin, xmax, ymax = grid.bounds
            raise ValueError(
                f"viewshed: observer ({x:.3f}, {y:.3f}) is outside the DEM "
                f"({xmin:.3f}, {ymin:.3f}, {xmax:.3f}, {ymax:.3f})"
            )
        self.row, self.col = int(row_f), int(col_f)
        if not np.isfinite(grid.values[self.row, self.col]):
            raise ValueError(f"viewshed: observer ({x:.3f}, {y:.3f}) stands on a nodata cell")
        reach_c, reach_r = int(radius / a), int(radius / -e)
        self.r0, self.r1 = max(self.row - reach_r, 0), min(self.row + reach_r + 1, rows)
        self.c0, self.c1 = max(self.col - reach_c, 0), min(self.col + reach_c + 1, cols)
        self.h_obs = float(height)
        self.max_d2 = float(radius) * float(radius)


def _check_common(grid: RasterGrid, radius: float, target_height: float) -> None:
    """One-line errors for the arguments every viewshed shares."""
    if not isinstance(grid, RasterGrid):
        raise TypeError(f"viewshed: expected a RasterGrid, got {type(grid).__name__}")
    if not (math.isfinite(radius) and radius > 0):
        raise ValueError(f"viewshed: radius must be a positive distance, got {radius}")
    if not math.isfinite(target_height):
        raise ValueError(f"viewshed: target height must be finite, got {target_height}")


def _constants(grid: RasterGrid, curvature: bool, refraction: float) -> tuple[float, float, float]:
    """(curvature factor per squared metre, x cell size, y cell size signed)."""
    coef = curvature_coefficient(curvature, refraction)
    adj = coef / (semi_major_axis(grid.crs) * 2.0) if coef else 0.0
    return adj, float(grid.transform[0]), float(grid.transform[4])


def _values(grid: RasterGrid) -> np.ndarray:
    """The elevations as the kernels take them (no copy for a C-ordered float32 grid)."""
    return np.ascontiguousarray(grid.values, dtype=np.float32)


def _run_threads(
    jobs: list[Callable[[], None]],
    stop: threading.Event,
    fraction: Callable[[], float],
    progress: Progress | None,
    cancelled: Cancelled | None,
    what: str,
) -> None:
    """Run ``jobs`` on threads of their own; report progress and poll ``cancelled`` meanwhile.

    On cancel ``stop`` is set (the jobs check it between chunks) and, once every thread has
    ended, :class:`ViewshedCancelled` is raised. A job's exception is raised again here.
    """
    errors: list[BaseException] = []

    def run(job: Callable[[], None]) -> None:
        try:
            job()
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
            errors.append(exc)
            stop.set()

    threads = [threading.Thread(target=run, args=(job,), daemon=True) for job in jobs]
    for t in threads:
        t.start()
    was_cancelled = False
    try:
        for t in threads:
            while t.is_alive():
                t.join(_POLL_S)
                if not was_cancelled and cancelled is not None and cancelled():
                    was_cancelled = True
                    stop.set()
                if progress is not None and not stop.is_set():
                    progress(min(max(fraction(), 0.0), 1.0))
    except BaseException:
        stop.set()
        raise
    finally:
        for t in threads:
            t.join()
    if errors:
        raise errors[0]
    if was_cancelled:
        raise ViewshedCancelled(f"{what} cancelled")


# ---------------------------------------------------------------- public


def viewshed(
    grid: RasterGrid,
    observer_xy: tuple[float, float],
    *,
    observer_height: float,
    target_height: float = 0.0,
    radius: float,
    curvature: bool = True,
    refraction: float = REFRACTION,
    adjacent_visible: bool = True,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> np.ndarray:
    """Cells visible from an observer, as ``gdal_viewshed`` computes them.

    Parameters
    ----------
    grid
        Elevation (NaN = nodata) in a projected metric CRS.
    observer_xy
        Observer position (x, y) in ``grid.crs``; it stands on the cell holding it.
    observer_height, target_height
        Eye height above the observer's cell and target height above each cell (m).
    radius
        Cells whose centre is farther than this from the observer's cell centre are 0.
    curvature, refraction
        Lower distant cells by ``(1 - refraction) * d**2 / (2 * a)`` (earth curvature and
        atmospheric refraction); ``curvature=False`` leaves the terrain flat.
    adjacent_visible
        The observer's eight neighbours are visible, as GDAL since OSGeo/gdal#10205 (2024).
        False reproduces older GDAL (Debian 12's 3.6): the cells next to the observer in
        the rows above and below are compared with the observer's ground, which hides
        what lies down a steep slope from a low observer.
    progress, cancelled
        ``progress(fraction)`` between chunks of rows; ``cancelled()`` returning True
        raises :class:`ViewshedCancelled`.

    Returns
    -------
    numpy.ndarray
        ``uint8`` of ``grid.shape``: 255 visible, 0 invisible, out of range or nodata.
    """
    _check_common(grid, radius, target_height)
    if len(observer_xy) != 2:
        raise ValueError(f"viewshed: the observer must be (x, y), got {observer_xy!r}")
    x, y = (float(v) for v in observer_xy)
    s = _Setup(grid, x, y, observer_height, radius)
    adj, a, e = _constants(grid, curvature, refraction)
    values = _values(grid)
    out = np.zeros(grid.shape, np.uint16)  # the kernels count (as the cumulative one)
    consts = (float(target_height), adj, a, e, s.max_d2)
    width = s.c1 - s.c0
    first = np.empty(width, np.float64)
    _first_row(values, out, s.row, s.col, s.c0, s.c1, first, s.h_obs, *consts)

    total = max(s.r1 - s.r0 - 1, 1)
    done = [0]
    lock = threading.Lock()
    stop = threading.Event()

    def half(start: int, end: int, step: int) -> None:
        last, row = first.copy(), np.empty(width, np.float64)
        y = start
        while y != end and not stop.is_set():
            nxt = max(min(y + step * _CHUNK_ROWS, max(end, start)), min(end, start))
            more = _sweep(values, out, s.row, s.col, s.c0, s.c1, y, nxt, step, last, row,
                          s.h_obs, *consts, adjacent_visible)  # fmt: skip
            with lock:
                done[0] += abs((end if not more else nxt) - y)
            if not more:
                return
            y = nxt

    jobs = [lambda: half(s.row - 1, s.r0 - 1, -1), lambda: half(s.row + 1, s.r1, 1)]
    _run_threads(jobs, stop, lambda: done[0] / total, progress, cancelled, "viewshed")
    if progress is not None:
        progress(1.0)
    return np.where(out > 0, np.uint8(VISIBLE), np.uint8(0))
