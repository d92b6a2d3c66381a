"""Viewshed and cumulative viewshed on a DEM, with ``gdal_viewshed``'s algorithm and conventions.

The algorithm is GDAL's (``GDALViewshedGenerate``, default "edge" cell mode), after Wang et
al. (2000), *Generating viewsheds without using sightlines*: rows are swept outward from the
observer's row, up and down, and each row outward from the observer's column, left and
right. Every cell gets the height of the visibility horizon over it by interpolating, in a
plane through the observer, the horizon of its two neighbours toward the observer (in the
previous row, or in the same row where the column offset dominates). A cell is visible when
its height plus the target height reaches that horizon; its own horizon becomes the larger
of the two.

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

The sweep is compiled with numba (``nogil``): the upward and downward halves of one
viewshed run on two threads, and a cumulative viewshed spreads its observers over the
cores, each restricted to the window of its radius.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numba
import numpy as np

from twinscape.geo.line_of_sight import (  # noqa: F401 - part of this module's API
    REFRACTION,
    WGS84_SEMI_MAJOR,
    curvature_coefficient,
    semi_major_axis,
)
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


# ---------------------------------------------------------------- compiled sweep

@numba.njit(cache=True, nogil=True)
def _load_row(
    values: np.ndarray, y: int, y_off: int, c0: int, c1: int, nx: int, row: np.ndarray,
    z_obs: float, adj: float, a: float, e: float, max_d2: float,
) -> tuple[int, int]:
    """Read row ``y`` into ``row`` relative to the eye (curvature applied) and its in-range span.

    Returns ``[left, right)`` (window indices) of the cells within the radius, as GDAL's
    ``adjustHeight``: the first cell past the radius on each side ends the span.
    """
    n = c1 - c0
    k = nx - c0
    for i in range(n):
        row[i] = values[y, c0 + i]
    dy = e * y_off
    left = 0
    for off in range(0, -k - 1, -1):
        dx = a * off
        r2 = dx * dx + dy * dy
        if r2 > max_d2:
            left = off + k + 1
            break
        row[k + off] -= adj * r2 + z_obs
    right = n
    for off in range(1, n - k):
        dx = a * off
        r2 = dx * dx + dy * dy
        if r2 > max_d2:
            right = off + k
            break
        row[k + off] -= adj * r2 + z_obs
    return left, right


@numba.njit(cache=True, nogil=True)
def _set(out: np.ndarray, y: int, x: int, row: np.ndarray, i: int, z: float, th: float) -> None:
    """GDAL's ``setOutput``: count the cell when visible and raise its horizon to ``z``.

    Branch-free: a mispredicted branch per cell cost three times the rest of the work.
    NaN (nodata) is invisible and its horizon becomes ``z``.
    """
    h = row[i]
    out[y, x] += h + th >= z
    row[i] = max(z, h)


@numba.njit(cache=True, nogil=True)
def _first_row(
    values: np.ndarray, out: np.ndarray, ny: int, nx: int, c0: int, c1: int, last: np.ndarray,
    h_obs: float, th: float, adj: float, a: float, e: float, max_d2: float,
) -> None:
    """The observer's row (GDAL's ``processFirstLine``); leaves its horizon in ``last``."""
    z_obs = values[ny, nx] + h_obs
    left, right = _load_row(values, ny, 0, c0, c1, nx, last, z_obs, adj, a, e, max_d2)
    k = nx - c0
    out[ny, nx] += 1
    for i in (k - 1, k + 1):
        if left <= i < right:
            if last[i] == last[i]:
                out[ny, c0 + i] += 1
            else:  # nodata next to the eye: invisible, hides nothing
                last[i] = -h_obs
    for i in range(k - 2, left - 1, -1):
        n = k - i
        _set(out, ny, c0 + i, last, i, last[i + 1] * n / (n - 1), th)
    for i in range(k + 2, right):
        n = i - k
        _set(out, ny, c0 + i, last, i, last[i - 1] * n / (n - 1), th)


@numba.njit(cache=True, nogil=True)
def _edge(x_off: int, y_off: int, this_prev: float, last: float, last_prev: float) -> float:
    """GDAL's ``doEdge``: the horizon interpolated between the two neighbours toward the eye."""
    if x_off >= y_off:
        return (last_prev * y_off + this_prev * (x_off - y_off)) / (x_off - 1)
    return (last_prev * x_off + last * (y_off - x_off)) / (y_off - 1)


@numba.njit(cache=True, nogil=True)
def _sweep(
    values: np.ndarray, out: np.ndarray, ny: int, nx: int, c0: int, c1: int,
    start: int, stop: int, step: int, last: np.ndarray, row: np.ndarray,
    h_obs: float, th: float, adj: float, a: float, e: float, max_d2: float,
    adjacent: bool,
) -> bool:
    """Rows ``start, start + step, ...`` (before ``stop``), as GDAL's ``processLine``.

    ``last`` holds the horizon of the row before ``start`` and is updated. Returns False
    once a row lies wholly outside the radius (every further row does too). Without
    ``adjacent`` the three cells next to the observer in this row are compared with the
    observer's ground, as GDAL did before OSGeo/gdal#10205.
    """
    z_obs = values[ny, nx] + h_obs
    k = nx - c0
    for y in range(start, stop, step):
        y_off = abs(y - ny)
        left, right = _load_row(values, y, y_off, c0, c1, nx, row, z_obs, adj, a, e, max_d2)
        if left >= right:
            return False
        if y_off == 1 and not adjacent:
            _set(out, y, nx, row, k, last[k], th)
        elif y_off == 1:
            if row[k] == row[k]:
                out[y, nx] += 1
            else:
                row[k] = -h_obs
        else:
            _set(out, y, nx, row, k, last[k] * y_off / (y_off - 1), th)
        for i in range(k - 1, left - 1, -1):
            x_off = k - i
            if x_off == y_off:
                if x_off == 1 and not adjacent:
                    z = last[k]
                elif x_off == 1:
                    if row[i] == row[i]:
                        out[y, c0 + i] += 1
                    else:
                        row[i] = -h_obs
                    continue
                else:
                    z = last[i + 1] * x_off / (x_off - 1)
            else:
                z = _edge(x_off, y_off, row[i + 1], last[i], last[i + 1])
            _set(out, y, c0 + i, row, i, z, th)
        for i in range(k + 1, right):
            x_off = i - k
            if x_off == y_off:
                if x_off == 1 and not adjacent:
                    z = last[k]
                elif x_off == 1:
                    if row[i] == row[i]:
                        out[y, c0 + i] += 1
                    else:
                        row[i] = -h_obs
                    continue
                else:
                    z = last[i - 1] * x_off / (x_off - 1)
            else:
                z = _edge(x_off, y_off, row[i - 1], last[i], last[i - 1])
            _set(out, y, c0 + i, row, i, z, th)
        for i in range(c1 - c0):
            last[i] = row[i]
    return True


@numba.njit(cache=True, nogil=True)
def _viewshed_into(
    values: np.ndarray, out: np.ndarray, ny: int, nx: int, r0: int, r1: int, c0: int, c1: int,
    h_obs: float, th: float, adj: float, a: float, e: float, max_d2: float,
    adjacent: bool,
) -> None:
    """One whole viewshed in the window ``[r0, r1) x [c0, c1)``, added to ``out``."""
    n = c1 - c0
    first = np.empty(n, np.float64)
    last = np.empty(n, np.float64)
    row = np.empty(n, np.float64)
    _first_row(values, out, ny, nx, c0, c1, first, h_obs, th, adj, a, e, max_d2)
    last[:] = first
    _sweep(values, out, ny, nx, c0, c1, ny - 1, r0 - 1, -1, last, row,
           h_obs, th, adj, a, e, max_d2, adjacent)
    last[:] = first
    _sweep(values, out, ny, nx, c0, c1, ny + 1, r1, 1, last, row,
           h_obs, th, adj, a, e, max_d2, adjacent)


# ---------------------------------------------------------------- set-up

class _Setup:
    """Checked inputs of one observer: its cell, window and the sweep's constants."""

    __slots__ = ("row", "col", "r0", "r1", "c0", "c1", "h_obs", "max_d2")

    def __init__(
        self, grid: RasterGrid, x: float, y: float, height: float, radius: float
    ) -> None:
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
                          s.h_obs, *consts, adjacent_visible)
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
                           float(target_height), adj, a, e, s.max_d2, adjacent_visible)
            with lock:
                finished[0] += 1

    jobs = [lambda c=c: work(c) for c in counts]
    _run_threads(jobs, stop, lambda: finished[0] / len(setups), progress, cancelled,
                 "cumulative viewshed")
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
        "Polygon", "MultiPolygon"
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
    mask[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1] = inside
    return mask
