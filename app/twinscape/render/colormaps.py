"""Hypsometric colour ramps, their lookup tables and the range they are stretched over.

Each ramp is a list of stops ``(t, (r, g, b))`` with ``t`` in 0..1, stretched over
the style's elevation range. Land (at or above ``style.sea_level``, 0 m by default)
uses the named ramp; with ``style.sea_ramp`` elevations below the sea level use
:data:`SEA` stretched from the data minimum (deep blue) up to the sea level (light
turquoise).

Colours are computed with a 1024-entry lookup table per ramp (:func:`ramp_lut`). The
ramps shaded by the hillshade are in :mod:`~twinscape.render.ramp_shading`, whole grids
coloured in strips in :mod:`~twinscape.render.grid_colors`, and the texture pyramid
in :mod:`~twinscape.render.texture_pyramid`.
"""

from __future__ import annotations

import numpy as np

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
