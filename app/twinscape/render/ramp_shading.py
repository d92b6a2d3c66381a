"""Elevations to colours: the ramp x hillshade lookup table and :func:`terrain_rgb`.

A ramp's colours (:mod:`~twinscape.render.colormaps`) times :data:`_SHADE_STEPS` levels
of illumination make one table per style (cached, :func:`_style_shade_table`), so a
4096 x 4096 grid is coloured in well under a second. :func:`shade_colors` is the same
shading formula for any colours (draped rasters get the relief of the terrain).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from twinscape.model.style import TerrainStyle
from twinscape.render.colormaps import _LUTS, _SEA_LUT, finite_range, stretch

_SHADE_STEPS = 256


def _bins(lut_size: int, values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Table indices of ``values`` stretched over ``lo..hi``; beyond it (even past float32's
    range) they take the end entries, NaN the first."""
    if not hi > lo:
        hi = lo + max(1.0, abs(lo) * 2.0**-20)
    span = hi - lo
    if not max(abs(lo), abs(hi), span) < 1e30:  # keep the arithmetic inside its dtype
        values = np.asarray(values, np.float64)
    scale = np.asarray((lut_size - 1) / span, values.dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        idx = (values - np.asarray(lo, values.dtype)) * scale + np.asarray(0.5, values.dtype)
    np.clip(idx, 0, lut_size - 1, out=idx)
    return np.nan_to_num(idx, nan=0.0, copy=False).astype(np.int32)


def shade_table(base: np.ndarray, style: TerrainStyle) -> np.ndarray:
    """Colours (E, 3) x illumination 0..1 in :data:`_SHADE_STEPS` steps -> uint8 (E, S, 3).

    With strength ``s`` and relative illumination ``k = shade / sin(sun_altitude)``
    (1 on flat ground): slopes facing away darken as ``colour * (1 - s + s * k)``;
    slopes facing the sun lighten towards white by ``s * (k - 1) * 0.6``.
    """
    shade = np.linspace(0.0, 1.0, _SHADE_STEPS, dtype=np.float32)
    rgb = shade_colors(base[:, None, :], shade[None, :], style)
    return np.clip(rgb + 0.5, 0, 255).astype(np.uint8)


@functools.lru_cache(maxsize=32)
def _style_shade_table(
    colormap: str, with_sea: bool, sun_altitude: float, strength: float
) -> np.ndarray:
    """:func:`shade_table` of a style's ramp (with the sea's), flat (E * S, 3); computed
    once per style rather than per tile (10 ms each, the same every time)."""
    base = np.concatenate([_LUTS[colormap], _SEA_LUT]) if with_sea else _LUTS[colormap]
    style = TerrainStyle(colormap=colormap, sun_altitude=sun_altitude,
                         hillshade_strength=strength)  # fmt: skip
    table = shade_table(base, style).reshape(-1, 3)
    table.flags.writeable = False
    return table


def shade_colors(rgb: np.ndarray, shade: np.ndarray, style: TerrainStyle) -> np.ndarray:
    """float32 colours ``rgb`` (..., 3) shaded by illumination ``shade`` (...) as the terrain is.

    The formula of :func:`shade_table` for any colours (draped rasters get the relief of
    the terrain they lie on); NaN illumination counts as flat ground.
    """
    flat = max(math.sin(math.radians(style.sun_altitude)), 0.2)
    k = np.nan_to_num(np.asarray(shade, np.float32) / np.float32(flat), nan=1.0)[..., None]
    s = np.float32(style.hillshade_strength)
    out = np.asarray(rgb, np.float32) * (1.0 - s + s * np.minimum(k, 1.0))
    light = np.minimum(np.maximum(k - 1.0, 0.0) * (s * np.float32(0.6)), 1.0)
    return out + (255.0 - out) * light


def terrain_rgb(
    values: np.ndarray,
    style: TerrainStyle,
    *,
    hillshade: np.ndarray | None = None,
    data_range: tuple[float, float] | None = None,
) -> np.ndarray:
    """Colour elevations with the style's ramp, shaded by ``hillshade``.

    Parameters
    ----------
    values
        Elevations in metres, any shape; NaN gets the ramp's lowest colour
        (callers hide nodata as holes).
    style
        Ramp name, range, sea ramp and hillshade strength (see :func:`shade_table`).
    hillshade
        Illumination 0..1 of the same shape (see :func:`twinscape.geo.hillshade.hillshade`),
        or None for flat colours. Ignored when ``style.hillshade`` is off. NaN counts as flat.
    data_range
        (min, max) of the whole grid when ``values`` is only a window of it,
        so every window is stretched the same way; None computes it from ``values``.

    Returns
    -------
    numpy.ndarray
        uint8 array of shape ``values.shape + (3,)``. Flat ground keeps the ramp colour.
    """
    values = np.asarray(values, dtype=np.float32)
    if data_range is None:
        data_range = finite_range(values)
    land_lo, land_hi, sea_lo = stretch(style, data_range)
    land = _LUTS[style.colormap]
    idx = _bins(len(land), values, land_lo, land_hi)
    base = land
    if sea_lo is not None:
        base = np.concatenate([land, _SEA_LUT])
        below = values < style.sea_level
        idx[below] = len(land) + _bins(len(_SEA_LUT), values[below], sea_lo, style.sea_level)
    if hillshade is None or not style.hillshade or style.hillshade_strength <= 0:
        return np.clip(base + 0.5, 0, 255).astype(np.uint8)[idx]
    table = _style_shade_table(
        style.colormap, sea_lo is not None, style.sun_altitude, style.hillshade_strength
    )
    flat = math.sin(math.radians(style.sun_altitude))
    shade = np.nan_to_num(np.asarray(hillshade, np.float32), nan=flat)
    sidx = _bins(_SHADE_STEPS, shade, 0.0, 1.0)
    idx *= _SHADE_STEPS
    idx += sidx
    return table[idx]
