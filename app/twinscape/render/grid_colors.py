"""Colours of a whole terrain grid, computed in strips of rows on all cores.

:func:`baked_colors` (ramp x hillshade), :func:`terrain_shade` (the hillshade kept
between recolours) and :func:`drape_colors` (draped rasters blended over the baked
colours, :func:`blend_drape`) work in strips of rows (with a two-row halo for the
hillshade) so temporaries stay small.
"""

from __future__ import annotations

import math

import numpy as np

from twinscape.geo.hillshade import hillshade as _hillshade
from twinscape.model.style import TerrainStyle
from twinscape.render.colormaps import finite_range
from twinscape.render.parallel import on_all_cores
from twinscape.render.ramp_shading import shade_colors, terrain_rgb


def baked_colors(
    values: np.ndarray,
    resolution: tuple[float, float],
    style: TerrainStyle,
    *,
    rows_per_chunk: int = 256,
) -> np.ndarray:
    """Colours of a whole grid (ramp x hillshade), computed in strips of rows.

    Parameters
    ----------
    values
        2-D elevation grid (rows, cols), NaN nodata.
    resolution
        Cell size (x, y) in metres.
    style
        The layer's terrain style.
    rows_per_chunk
        Rows per strip (plus a two-row halo); bounds the temporaries to a few strips.

    Returns
    -------
    numpy.ndarray
        uint8 (rows, cols, 3).
    """
    rows, cols = values.shape
    out = np.empty((rows, cols, 3), np.uint8)
    full = finite_range(values)

    def strip(r0: int) -> None:
        r1 = min(rows, r0 + rows_per_chunk)
        shade = _strip_shade(values, resolution, style, r0, r1)
        out[r0:r1] = terrain_rgb(values[r0:r1], style, hillshade=shade, data_range=full)

    on_all_cores(strip, range(0, rows, rows_per_chunk))
    return out


def _strip_shade(
    values: np.ndarray, resolution: tuple[float, float], style: TerrainStyle, r0: int, r1: int
) -> np.ndarray | None:
    """Hillshade of rows ``r0:r1`` (computed with a two-row halo), None when shading is off."""
    if not style.hillshade or style.hillshade_strength <= 0:
        return None
    rows = values.shape[0]
    h0, h1 = max(0, r0 - 2), min(rows, r1 + 2)  # nodata fill needs 2 rows
    shade = _hillshade(
        values[h0:h1], resolution, azimuth=style.sun_azimuth, altitude=style.sun_altitude
    )
    return shade[r0 - h0 : r0 - h0 + (r1 - r0)]


def terrain_shade(
    values: np.ndarray,
    resolution: tuple[float, float],
    style: TerrainStyle,
    *,
    rows_per_chunk: int = 256,
) -> np.ndarray | None:
    """uint8 (rows, cols) hillshade 0..255 of the style's sun (None when shading is off).

    Kept between recolours so that draped rasters that change often (a playing clock)
    are shaded without computing the hillshade again; NaN cells count as flat ground.
    """
    if not style.hillshade or style.hillshade_strength <= 0:
        return None
    rows = values.shape[0]
    out = np.empty(values.shape, np.uint8)
    flat = math.sin(math.radians(style.sun_altitude))

    def strip(r0: int) -> None:
        r1 = min(rows, r0 + rows_per_chunk)
        light = _strip_shade(values, resolution, style, r0, r1)
        assert light is not None
        light = np.nan_to_num(light, nan=flat) * np.float32(255) + np.float32(0.5)
        out[r0:r1] = np.clip(light, 0, 255).astype(np.uint8)

    on_all_cores(strip, range(0, rows, rows_per_chunk))
    return out


def blend_drape(
    acc: np.ndarray, part: np.ndarray, opacity: float, style: TerrainStyle,
    light: np.ndarray | None = None,
) -> None:  # fmt: skip
    """Blend one drape's uint8 RGBA ``part`` over float32 RGB ``acc`` in place.

    Its alpha times ``opacity`` covers ``acc``; ``light`` (the terrain's hillshade, 0..1,
    or None) shades its colours first (:func:`shade_colors`).
    """
    colour = part[..., :3].astype(np.float32)
    if light is not None:
        colour = shade_colors(colour, light, style)
    alpha = part[..., 3:4].astype(np.float32) * np.float32(opacity / 255.0)
    acc += (colour - acc) * alpha


def drape_colors(
    base: np.ndarray,
    values: np.ndarray,
    resolution: tuple[float, float],
    style: TerrainStyle,
    drapes: list[tuple[np.ndarray, float, bool]],
    *,
    shade: np.ndarray | None = None,
    rows_per_chunk: int = 256,
) -> np.ndarray:
    """Terrain colours with draped rasters blended over them, bottom drape first.

    Parameters
    ----------
    base
        uint8 (rows, cols, 3): the terrain's baked colours (:func:`baked_colors`); kept.
    values, resolution, style
        The terrain grid and style, for the hillshade of shaded drapes.
    drapes
        ``(rgba, opacity, shaded)`` per drape: uint8 (rows, cols, 4) colours whose alpha
        times ``opacity`` covers the terrain; ``shaded`` drapes get the terrain's
        hillshade (:func:`shade_colors`).
    shade
        The terrain's hillshade as :func:`terrain_shade` gives it, if already known
        (None: computed here, strip by strip, when a drape is shaded).

    Returns
    -------
    numpy.ndarray
        A new uint8 (rows, cols, 3) array.
    """
    rows = base.shape[0]
    out = np.empty_like(base)
    any_shaded = any(shaded for _, _, shaded in drapes)

    def strip(r0: int) -> None:
        r1 = min(rows, r0 + rows_per_chunk)
        acc = base[r0:r1].astype(np.float32)
        light = None
        for rgba, opacity, shaded in drapes:
            part = rgba[r0:r1]
            if not part[..., 3].any():
                continue  # nothing of this drape on these rows
            if shaded and any_shaded and light is None:
                light = (
                    _strip_shade(values, resolution, style, r0, r1)
                    if shade is None
                    else shade[r0:r1] * np.float32(1 / 255)
                )
            blend_drape(acc, part, opacity, style, light if shaded else None)
        out[r0:r1] = np.clip(acc + 0.5, 0, 255).astype(np.uint8)

    on_all_cores(strip, range(0, rows, rows_per_chunk))
    return out
