"""Terrain horizons: how high the skyline stands around every cell of a DEM, by marching rays.

For every cell and each of ``directions`` azimuths, rays step outwards (every cell for the
first 8 cells, then distances growing by 12 % a step, up to ``horizon_m``) and keep the
steepest rise seen, earth curvature and refraction included. Rows are taken in blocks of
about ``_BLOCK_CELLS`` cells so that memory stays bounded. :mod:`twinscape.geo.solar` shades
the sun with these horizons.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

EARTH_RADIUS_M = 6_371_000.0
_BLOCK_CELLS = 1 << 17  # cells per block of rows (x directions floats of horizon)


def horizon_angles(
    values: np.ndarray,
    resolution: tuple[float, float],
    *,
    directions: int = 32,
    horizon_m: float = 20_000.0,
    refraction: float = 0.13,
) -> np.ndarray:
    """Horizon elevation (degrees) of every cell in ``directions`` azimuths.

    Direction ``j`` looks towards azimuth ``360 * j / directions`` (clockwise from
    north). Terrain outside the grid or nodata does not block; a cell seeing nothing
    above its own level in a direction gets the steepest downward angle found there.

    Returns
    -------
    numpy.ndarray
        float32 (directions, rows, cols); NaN where the cell is nodata.
    """
    z = np.asarray(values, dtype=np.float32)
    rays = _rays(directions, resolution, horizon_m, refraction)
    padded, pad = _padded(z, rays)
    out = np.empty((directions, *z.shape), dtype=np.float32)
    for top, bottom in _blocks(z.shape):
        out[:, top:bottom] = np.degrees(np.arctan(_horizon_tan(padded, pad, z, top, bottom, rays)))
    out[:, ~np.isfinite(z)] = np.nan
    return out


@dataclass(frozen=True)
class _Rays:
    """Integer cell offsets (dr, dc) per direction and step, with their distance terms."""

    offsets: list[list[tuple[int, int, float, float]]]  # (dr, dc, 1/d, curvature drop / d)
    reach: int  # largest |offset|, the padding needed


def _rays(
    directions: int, resolution: tuple[float, float], horizon_m: float, refraction: float
) -> _Rays:
    """March outwards: every cell for 8 cells, then distances growing by 12 % a step."""
    xres, yres = (float(r) for r in resolution)
    cell = min(xres, yres)
    distances = [cell * k for k in range(1, 9)]
    while distances[-1] * 1.12 <= horizon_m:
        distances.append(distances[-1] * 1.12)
    curvature = (1.0 - refraction) / (2.0 * EARTH_RADIUS_M)
    offsets: list[list[tuple[int, int, float, float]]] = []
    reach = 1
    for j in range(directions):
        phi = 2.0 * math.pi * j / directions
        seen: set[tuple[int, int]] = set()
        steps: list[tuple[int, int, float, float]] = []
        for d in distances:
            dr = int(round(-d * math.cos(phi) / yres))
            dc = int(round(d * math.sin(phi) / xres))
            if (dr, dc) in seen or (dr, dc) == (0, 0):
                continue
            seen.add((dr, dc))
            true_d = math.hypot(dr * yres, dc * xres)
            steps.append((dr, dc, 1.0 / true_d, curvature * true_d))
            reach = max(reach, abs(dr), abs(dc))
        offsets.append(steps)
    return _Rays(offsets=offsets, reach=reach)


def _padded(z: np.ndarray, rays: _Rays) -> tuple[np.ndarray, int]:
    """``z`` in a NaN frame wide enough for every ray offset."""
    pad = rays.reach
    return np.pad(z, pad, mode="constant", constant_values=np.nan), pad


def _blocks(shape: tuple[int, int]) -> list[tuple[int, int]]:
    """(top, bottom) row ranges of about ``_BLOCK_CELLS`` cells."""
    rows, cols = shape
    step = max(1, _BLOCK_CELLS // max(cols, 1))
    return [(top, min(top + step, rows)) for top in range(0, rows, step)]


def _horizon_tan(
    padded: np.ndarray, pad: int, z: np.ndarray, top: int, bottom: int, rays: _Rays
) -> np.ndarray:
    """Tangent of the horizon elevation, (directions, bottom - top, cols), float32."""
    rows, cols = bottom - top, z.shape[1]
    centre = z[top:bottom]
    out = np.full((len(rays.offsets), rows, cols), -np.inf, dtype=np.float32)
    buf = np.empty((rows, cols), dtype=np.float32)
    for j, steps in enumerate(rays.offsets):
        best = out[j]
        for dr, dc, inv_d, drop in steps:
            r0, c0 = pad + top + dr, pad + dc
            np.subtract(padded[r0 : r0 + rows, c0 : c0 + cols], centre, out=buf)
            buf *= np.float32(inv_d)
            buf -= np.float32(drop)
            np.fmax(best, buf, out=best)
    return out
