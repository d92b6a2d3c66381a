"""Hypsometric colour ramps and the baked terrain colours (ramp x hillshade).

Each ramp is a list of stops ``(t, (r, g, b))`` with ``t`` in 0..1, stretched over
the style's elevation range. Land (at or above ``style.sea_level``, 0 m by default)
uses the named ramp; with ``style.sea_ramp`` elevations below the sea level use
:data:`SEA` stretched from the data minimum (deep blue) up to the sea level (light
turquoise).

Colours are computed with a 1024-entry lookup table, so a 4096 x 4096 grid is
coloured in well under a second, and :func:`baked_colors` works in strips of rows
(with a two-row halo for the hillshade) so temporaries stay small.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from twinscape.geo.hillshade import hillshade as _hillshade
from twinscape.model.raster import value_range
from twinscape.model.style import COLORMAPS, TerrainStyle

Stops = tuple[tuple[float, tuple[int, int, int]], ...]

#: Land ramps by name (every name of ``model.style.COLORMAPS``).
RAMPS: dict[str, Stops] = {
    "desert": (
        (0.00, (238, 226, 196)),  # pale sand
        (0.18, (228, 204, 156)),  # sand
        (0.38, (212, 170, 112)),  # ochre
        (0.58, (176, 128, 86)),  # brown rock
        (0.76, (150, 118, 96)),  # dark brown-grey
        (0.88, (152, 142, 134)),  # grey rock
        (0.95, (196, 192, 188)),  # light rock
        (1.00, (248, 248, 250)),  # snow
    ),
    "mountain": (
        (0.00, (112, 156, 92)),  # green lowland
        (0.22, (150, 170, 100)),  # light green
        (0.40, (160, 150, 96)),  # olive
        (0.58, (150, 116, 80)),  # brown
        (0.78, (136, 128, 122)),  # grey rock
        (0.90, (190, 188, 186)),  # light rock
        (1.00, (250, 250, 252)),  # snow
    ),
    "sand": (
        (0.00, (245, 236, 214)),
        (0.50, (226, 204, 158)),
        (1.00, (196, 164, 112)),
    ),
    "gray": (
        (0.00, (70, 70, 70)),
        (1.00, (235, 235, 235)),
    ),
}

#: Bathymetric ramp for elevations below the sea level: data minimum -> sea level.
SEA: Stops = (
    (0.00, (22, 52, 112)),  # deep blue
    (0.45, (40, 100, 160)),
    (0.80, (96, 170, 196)),
    (1.00, (168, 224, 222)),  # light turquoise near 0 m
)

_LUT_SIZE = 1024

assert set(RAMPS) == set(COLORMAPS), "every model colormap needs a ramp"


def ramp_lut(stops: Stops, size: int = _LUT_SIZE) -> np.ndarray:
    """Sample ``stops`` into a (size, 3) float32 table over t = 0..1."""
    t = np.linspace(0.0, 1.0, size)
    pos = np.array([s[0] for s in stops])
    rgb = np.array([s[1] for s in stops], dtype=np.float64)
    return np.stack([np.interp(t, pos, rgb[:, k]) for k in range(3)], axis=1).astype(np.float32)


_LUTS = {name: ramp_lut(stops) for name, stops in RAMPS.items()}
_SEA_LUT = ramp_lut(SEA)


def finite_range(values: np.ndarray) -> tuple[float, float] | None:
    """(low, high) of the finite values without spike cells, or None when there are none.

    A spike (1e30 in a 0..500 m grid, see :class:`twinscape.model.raster.ValueRange`)
    gets the end colour of the ramp instead of squeezing every other cell into one colour.
    """
    found = value_range(values)
    return None if found is None else (found.low, found.high)


def stretch(
    style: TerrainStyle, data: tuple[float, float] | None
) -> tuple[float, float, float | None]:
    """Ranges the ramps are stretched over: ``(land_low, land_high, sea_low)``.

    ``style.elevation_range`` wins for land. Otherwise land spans the data from
    ``max(min, sea_level)`` to the maximum when the sea ramp colours what is below
    ``style.sea_level`` (the whole data range when everything is below it or the sea
    ramp is off). ``sea_low`` is the data minimum when the sea ramp applies, else None.
    """
    lo, hi = data if data is not None else (0.0, 1.0)
    sea = float(style.sea_level)
    use_sea = style.sea_ramp and lo < sea <= hi
    if style.elevation_range is not None:
        land_lo, land_hi = style.elevation_range
    elif use_sea:
        land_lo, land_hi = sea, hi
    else:
        land_lo, land_hi = lo, hi
    if land_hi <= land_lo:  # one value: a span it can be told from (also at 1e30)
        land_hi = land_lo + max(1.0, abs(land_lo) * 2.0**-20)
    return float(land_lo), float(land_hi), (lo if use_sea else None)


_SHADE_STEPS = 256


def _each(fn: Callable[[int], None], starts: range) -> None:
    """``fn`` of every start, on all cores when there are several (one runs here: a
    tile's texture on a reader thread needs no pool of its own)."""
    if len(starts) <= 1:
        for start in starts:
            fn(start)
        return
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(fn, starts))


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

    _each(strip, range(0, rows, rows_per_chunk))
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

    _each(strip, range(0, rows, rows_per_chunk))
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

    _each(strip, range(0, rows, rows_per_chunk))
    return out


def fill_rim(rgb: np.ndarray, valid: np.ndarray, *, passes: int = 2) -> None:
    """Give nodata texels next to data the mean colour of their valid neighbours, in place.

    Texture filtering then never blends a nodata colour into the rim of a hole.
    """
    valid = valid.copy()
    for _ in range(passes):
        pad = np.pad(valid, 1)
        near = np.zeros_like(valid)
        for dr in (0, 1, 2):
            for dc in (0, 1, 2):
                near |= pad[dr : dr + valid.shape[0], dc : dc + valid.shape[1]]
        rows, cols = np.nonzero(near & ~valid)
        if not len(rows):
            return
        acc = np.zeros((len(rows), 3), np.float32)
        cnt = np.zeros(len(rows), np.float32)
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                r = np.clip(rows + dr, 0, valid.shape[0] - 1)
                c = np.clip(cols + dc, 0, valid.shape[1] - 1)
                ok = valid[r, c]
                acc[ok] += rgb[r[ok], c[ok]]
                cnt += ok
        rgb[rows, cols] = (acc / np.maximum(cnt, 1)[:, None] + 0.5).astype(np.uint8)
        valid[rows, cols] = True


def downsample(rgb: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every second sample of ``rgb`` after a separable [1 2 1] filter that skips invalid samples.

    Returns the colours and which of them are data (a texel with any valid
    neighbour still gets their colour, so each level keeps a one-texel rim).
    """
    w = valid.astype(np.float32)
    out_rows, out_cols = (rgb.shape[0] + 1) // 2, (rgb.shape[1] + 1) // 2
    out = np.empty((out_rows, out_cols, 3), np.uint8)
    out_valid = valid[::2, ::2].copy()
    cols = np.arange(0, rgb.shape[1], 2)
    cl, ch = np.maximum(cols - 1, 0), np.minimum(cols + 1, rgb.shape[1] - 1)

    step = out_rows if out_rows <= 256 else 128  # a tile's texture is one block

    def block(o0: int) -> None:
        src = np.arange(2 * o0, 2 * min(out_rows, o0 + step), 2)
        acc = np.zeros((len(src), rgb.shape[1], 3), np.float32)
        wsum = np.zeros((len(src), rgb.shape[1]), np.float32)
        lo, hi = np.maximum(src - 1, 0), np.minimum(src + 1, rgb.shape[0] - 1)
        for rows, k in ((lo, 1.0), (src, 2.0), (hi, 1.0)):
            ww = w[rows] * np.float32(k)
            acc += rgb[rows] * ww[..., None]
            wsum += ww
        acc2 = acc[:, cl] + 2 * acc[:, cols] + acc[:, ch]
        w2 = wsum[:, cl] + 2 * wsum[:, cols] + wsum[:, ch]
        val = acc2 / np.maximum(w2, 1e-6)[..., None]
        out[o0 : o0 + len(src)] = np.clip(val + 0.5, 0, 255).astype(np.uint8)

    _each(block, range(0, out_rows, step))
    return out, out_valid


def color_pyramid(rgb: np.ndarray, valid: np.ndarray, levels: int) -> list[np.ndarray]:
    """``rgb`` (filled at hole rims) and ``levels - 1`` filtered halvings of it.

    Level ``k`` holds the colours at the full-resolution samples whose row and column
    are multiples of ``2**k``.
    """
    fill_rim(rgb, valid)
    pyramid = [rgb]
    for _ in range(1, levels):
        if min(pyramid[-1].shape[:2]) < 2:
            break
        nxt, valid = downsample(pyramid[-1], valid)
        pyramid.append(nxt)
    return pyramid
