"""Slope and aspect by Horn's 3x3 method, matching ``gdaldem slope`` / ``gdaldem aspect``.

The kernel, the units and the edge rules follow GDAL's ``gdaldem``:

- slope: degrees from horizontal, ``atan(hypot(dz/dx, dz/dy) * z_factor)``;
- aspect: degrees clockwise from north of the direction the slope *faces* (downhill),
  0..360; flat cells (both gradients exactly 0) get ``flat`` (NaN by default, as
  gdaldem writes nodata there unless ``-zero_for_flat``);
- by default a cell whose 3x3 window holds nodata, and the outer ring of cells, are
  NaN (gdaldem's default); ``compute_edges=True`` follows ``-compute_edges``: cells
  outside the grid are extrapolated linearly from the edge, and nodata neighbours of
  a valid cell take the cell's own value.

The result is float32; NaN marks nodata. Large grids are processed in row strips
with a one-row halo, so a caller can show progress and cancel.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from twinscape.model.errors import LoadCancelled
from twinscape.model.raster import RasterGrid

_STRIP_CELLS = 1 << 20  # cells per strip


def slope_aspect(
    values: np.ndarray,
    resolution: tuple[float, float],
    *,
    z_factor: float = 1.0,
    compute_edges: bool = False,
    flat: float = math.nan,
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Slope (degrees) and aspect (degrees clockwise from north) of a north-up grid.

    Parameters
    ----------
    values
        2-D elevations (rows, cols), row 0 the northern edge; NaN is nodata.
    resolution
        Cell size (x, y) in the elevations' units, both positive.
    z_factor
        Multiplier of the elevations (gdaldem's ``-s`` is ``1 / z_factor``).
    compute_edges
        Compute the outer ring and the rim of nodata holes as ``gdaldem -compute_edges``.
    flat
        Aspect of cells with no gradient (NaN, or e.g. 0 like ``-zero_for_flat``).
    progress
        Called with a fraction 0..1 after each strip of rows.
    cancelled
        Polled between strips; True raises :class:`LoadCancelled`.

    Returns
    -------
    tuple of numpy.ndarray
        ``(slope, aspect)``, float32 arrays of ``values.shape``.

    Examples
    --------
    >>> import numpy as np
    >>> z = np.tile(np.arange(5, dtype=np.float32) * 10, (5, 1))  # rises 1 m/m to the east
    >>> s, a = slope_aspect(z, (10.0, 10.0))
    >>> float(s[2, 2]), float(a[2, 2])
    (45.0, 270.0)
    """
    z = np.asarray(values, dtype=np.float32)
    if z.ndim != 2:
        raise ValueError(f"slope_aspect needs a 2-D array, got shape {z.shape}")
    xres, yres = (float(r) for r in resolution)
    if not (xres > 0 and yres > 0):
        raise ValueError(f"resolution must be positive, got {resolution}")
    rows, cols = z.shape
    slope = np.full((rows, cols), np.nan, dtype=np.float32)
    aspect = np.full((rows, cols), np.nan, dtype=np.float32)
    padded = _pad(z, compute_edges)
    strip = max(1, _STRIP_CELLS // max(cols, 1))
    for top in range(0, rows, strip):
        if cancelled is not None and cancelled():
            raise LoadCancelled("slope/aspect cancelled")
        bottom = min(top + strip, rows)
        block = padded[top : bottom + 2]
        s, a = _horn(block, xres, yres, z_factor, compute_edges, flat)
        slope[top:bottom], aspect[top:bottom] = s, a
        if progress is not None:
            progress(bottom / rows)
    return slope, aspect


def grid_slope_aspect(
    grid: RasterGrid, *, z_factor: float = 1.0, compute_edges: bool = False
) -> tuple[RasterGrid, RasterGrid]:
    """:func:`slope_aspect` of a :class:`RasterGrid`, as two grids on the same cells."""
    slope, aspect = slope_aspect(
        grid.values, grid.resolution, z_factor=z_factor, compute_edges=compute_edges
    )
    return (
        RasterGrid(values=slope, transform=grid.transform, crs=grid.crs),
        RasterGrid(values=aspect, transform=grid.transform, crs=grid.crs),
    )


def _pad(z: np.ndarray, compute_edges: bool) -> np.ndarray:
    """Add a one-cell ring: NaN, or linear extrapolation ``2*edge - inner`` like gdaldem."""
    padded = np.pad(z.astype(np.float64), 1, mode="constant", constant_values=np.nan)
    if not compute_edges:
        return padded
    rows, cols = z.shape
    if rows >= 2:
        padded[0, 1:-1] = 2 * z[0] - z[1]
        padded[-1, 1:-1] = 2 * z[-1] - z[-2]
    if cols >= 2:
        padded[1:-1, 0] = 2 * z[:, 0] - z[:, 1]
        padded[1:-1, -1] = 2 * z[:, -1] - z[:, -2]
    if rows >= 2 and cols >= 2:
        padded[0, 0] = 2 * z[0, 0] - z[1, 1]
        padded[0, -1] = 2 * z[0, -1] - z[1, -2]
        padded[-1, 0] = 2 * z[-1, 0] - z[-2, 1]
        padded[-1, -1] = 2 * z[-1, -1] - z[-2, -2]
    return padded


def _horn(
    block: np.ndarray,
    xres: float,
    yres: float,
    z_factor: float,
    compute_edges: bool,
    flat: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Slope and aspect of the inner cells of a padded float64 block."""
    rows, cols = block.shape[0] - 2, block.shape[1] - 2
    centre = block[1:-1, 1:-1]
    win = [block[dr : dr + rows, dc : dc + cols] for dr in range(3) for dc in range(3)]
    if compute_edges:
        win = [np.where(np.isnan(w), centre, w) for w in win]
    a, b, c, d, _, f, g, h, i = win
    # gdaldem: x east, rows running south; dx and dy before the resolution.
    dx = (c + 2 * f + i) - (a + 2 * d + g)
    dy = (g + 2 * h + i) - (a + 2 * b + c)
    with np.errstate(invalid="ignore"):
        gx = dx * (z_factor / (8.0 * xres))
        gy = dy * (z_factor / (8.0 * yres))
        slope = np.degrees(np.arctan(np.hypot(gx, gy)))
        angle = np.degrees(np.arctan2(dy, -dx))
        aspect = np.where(angle > 90.0, 450.0 - angle, 90.0 - angle)
        aspect = np.where(aspect >= 360.0, aspect - 360.0, aspect)
        aspect = np.where((dx == 0) & (dy == 0), flat, aspect)
    bad = np.isnan(centre) | np.isnan(slope)
    slope[bad] = np.nan
    aspect[bad] = np.nan
    return slope.astype(np.float32), aspect.astype(np.float32)
