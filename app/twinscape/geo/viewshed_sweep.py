"""The compiled viewshed sweep: GDAL's algorithm, as numba kernels on one observer's window.

The algorithm is GDAL's (``GDALViewshedGenerate``, default "edge" cell mode), after Wang et
al. (2000), *Generating viewsheds without using sightlines*: rows are swept outward from the
observer's row, up and down, and each row outward from the observer's column, left and
right. Every cell gets the height of the visibility horizon over it by interpolating, in a
plane through the observer, the horizon of its two neighbours toward the observer (in the
previous row, or in the same row where the column offset dominates). A cell is visible when
its height plus the target height reaches that horizon; its own horizon becomes the larger
of the two.

The kernels work on heights relative to the observer's eye, earth curvature applied, in
the window ``[r0, r1) x [c0, c1)`` of the observer's radius, and count visible cells
into ``out``. They are compiled with numba (``nogil``) so that the upward and downward
halves of one viewshed, and the observers of a cumulative viewshed, run on threads of
their own. Checks and conventions are :mod:`twinscape.geo.viewshed`'s.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _load_row(
    values: np.ndarray, y: int, y_off: int, c0: int, c1: int, nx: int, row: np.ndarray,
    z_obs: float, adj: float, a: float, e: float, max_d2: float,
) -> tuple[int, int]:  # fmt: skip
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
) -> None:  # fmt: skip
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
) -> bool:  # fmt: skip
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
) -> None:  # fmt: skip
    """One whole viewshed in the window ``[r0, r1) x [c0, c1)``, added to ``out``."""
    n = c1 - c0
    first = np.empty(n, np.float64)
    last = np.empty(n, np.float64)
    row = np.empty(n, np.float64)
    _first_row(values, out, ny, nx, c0, c1, first, h_obs, th, adj, a, e, max_d2)
    last[:] = first
    _sweep(values, out, ny, nx, c0, c1, ny - 1, r0 - 1, -1, last, row,
           h_obs, th, adj, a, e, max_d2, adjacent)  # fmt: skip
    last[:] = first
    _sweep(values, out, ny, nx, c0, c1, ny + 1, r1, 1, last, row,
           h_obs, th, adj, a, e, max_d2, adjacent)  # fmt: skip
