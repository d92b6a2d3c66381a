"""Hillshade (Horn's method, as ``gdaldem hillshade``), NaN-aware, pure numpy.

The 3x3 Horn kernel needs all eight neighbours. Where a neighbour is nodata
(or outside the array) it is filled first with the mean of its own valid
neighbours, so the rim of a nodata hole is shaded like a gentle continuation of
the terrain instead of a black or white seam. Cells that are nodata stay NaN.

Elevations near the ends of float32 (a 1e30 or 3.4e38 spike) are shaded in float64,
so no sum or square overflows; a cell whose slope still cannot be computed is shaded as
flat ground.

The function works on any window of a larger grid: pass the window with a
one-sample halo on every side that has data, and drop the halo from the result.
"""

from __future__ import annotations

import math

import numpy as np

#: Past this steepness (or height) float32 sums and squares may overflow: use float64.
_FLOAT32_SAFE = 1e18


def _fill_rim(padded: np.ndarray) -> np.ndarray:
    """Replace NaN cells next to valid ones with the mean of their valid 3x3 neighbours."""
    rows, cols = padded.shape
    valid = np.isfinite(padded)
    data = np.where(valid, padded, 0.0).astype(padded.dtype)
    total = np.zeros((rows - 2, cols - 2), padded.dtype)
    count = np.zeros((rows - 2, cols - 2), padded.dtype)
    for dr in (0, 1, 2):
        for dc in (0, 1, 2):
            if dr == 1 and dc == 1:
                continue
            total += data[dr : dr + rows - 2, dc : dc + cols - 2]
            count += valid[dr : dr + rows - 2, dc : dc + cols - 2]
    inner = padded[1:-1, 1:-1]
    holes = ~np.isfinite(inner) & (count > 0)
    out = padded.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out[1:-1, 1:-1][holes] = (total / count)[holes]
    return out


def hillshade(
    values: np.ndarray,
    resolution: tuple[float, float],
    *,
    azimuth: float = 315.0,
    altitude: float = 45.0,
    z_factor: float = 1.0,
) -> np.ndarray:
    """Illumination of a north-up elevation grid by a distant sun, 0 (dark) to 1 (lit).

    Parameters
    ----------
    values
        2-D elevations (rows, cols), row 0 the northern edge; NaN is nodata.
    resolution
        Cell size (x, y) in the same units as the elevations, both positive.
    azimuth
        Degrees clockwise from north the light comes from (315 = north-west).
    altitude
        Degrees of the sun above the horizon.
    z_factor
        Multiplier of the elevations (e.g. vertical exaggeration).

    Returns
    -------
    numpy.ndarray
        float32 array of ``values.shape``; flat ground gives ``sin(altitude)``;
        NaN where ``values`` is NaN.

    Examples
    --------
    >>> import numpy as np
    >>> flat = np.zeros((4, 4), np.float32)
    >>> round(float(hillshade(flat, (10.0, 10.0))[1, 1]), 3)
    0.707
    """
    z = np.asarray(values, dtype=np.float32)
    if z.ndim != 2:
        raise ValueError(f"hillshade needs a 2-D array, got shape {z.shape}")
    xres, yres = (float(r) for r in resolution)
    if not (0 < xres < math.inf and 0 < yres < math.inf):
        raise ValueError(f"resolution must be positive, got {resolution}")
    valid = np.isfinite(z)
    if not valid.any():
        return np.full(z.shape, np.nan, np.float32)
    peak = float(np.nanmax(np.abs(z)))
    steep = peak * abs(z_factor) / min(xres, yres)
    if not (peak < _FLOAT32_SAFE and steep < _FLOAT32_SAFE):
        z = z.astype(np.float64)
    # Two rings of NaN: the inner one (outside the grid) is filled like any nodata rim.
    padded = _fill_rim(np.pad(z, 2, mode="constant", constant_values=np.nan))[1:-1, 1:-1]
    rows, cols = z.shape
    win = {(dr, dc): padded[dr : dr + rows, dc : dc + cols] for dr in (0, 1, 2) for dc in (0, 1, 2)}
    a, b, c = win[0, 0], win[0, 1], win[0, 2]
    d, f = win[1, 0], win[1, 2]
    g, h, i = win[2, 0], win[2, 1], win[2, 2]
    # x grows east, y grows north (row 0 is north).
    t = z.dtype.type
    az = math.radians(azimuth)
    alt = math.radians(altitude)
    lx = t(math.sin(az) * math.cos(alt))
    ly = t(math.cos(az) * math.cos(alt))
    lz = t(math.sin(alt))
    with np.errstate(over="ignore", invalid="ignore"):
        dzdx = ((c + 2 * f + i) - (a + 2 * d + g)) * t(z_factor / (8.0 * xres))
        dzdy = ((a + 2 * b + c) - (g + 2 * h + i)) * t(z_factor / (8.0 * yres))
        # Normal (-dzdx, -dzdy, 1) / |.| dotted with the sun direction.
        shade = (lz - lx * dzdx - ly * dzdy) / np.sqrt(1.0 + dzdx * dzdx + dzdy * dzdy)
    shade[~np.isfinite(shade)] = lz  # a slope past float64: shade as flat ground
    np.clip(shade, 0.0, 1.0, out=shade)
    shade[~valid] = np.nan
    return shade.astype(np.float32, copy=False)
