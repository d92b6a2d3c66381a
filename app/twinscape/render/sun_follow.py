"""The hillshade's sun following the project clock (``TerrainStyle.sun_from_clock``).

The sun is a render-time value: the style keeps the user's own ``sun_azimuth`` and
``sun_altitude`` (saved, shown when following is off), and the terrain is baked with a
copy of the style whose sun is the real one (:func:`sun_style`), so a playing clock
never writes the project or the undo history.

Where and how:

- The sun is computed (pvlib's SPA, :mod:`twinscape.geo.sun`) over the centre of the
  terrain's grid, its azimuth turned from true north to the grid's north.
- By day the hillshade is lit from the sun's azimuth and altitude; below
  :data:`MIN_SHADE_ALTITUDE` the altitude is held there (long shadows at dawn and dusk).
- Night: as the sun sinks through civil twilight (0 to -:data:`TWILIGHT_DEG` degrees)
  the colours fade to :data:`NIGHT_LIGHT` of the day's and the relief softens to
  :data:`NIGHT_RELIEF` of the hillshade strength: a dark terrain on which the ridges
  still read, with no directional glare from a sun below the horizon. Everything baked
  into the terrain's colours (the draped rasters too) is dimmed.
- With ``hillshade`` off the terrain keeps its flat colours, day and night.
- A clock that plays at 10 Hz would recolour at 10 Hz; :class:`SunFollower` recolours
  only when the light moved by more than :data:`MIN_MOVE_DEG` (or the night's
  dimming changed by more than :data:`MIN_LIGHT_STEP`).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from typing import Any

from twinscape.geo.sun import SunSite
from twinscape.model.clock import from_ns
from twinscape.model.raster import RasterGrid
from twinscape.model.style import TerrainStyle

log = logging.getLogger(__name__)

#: Fraction of the day's brightness the terrain keeps at night.
NIGHT_LIGHT = 0.28
#: Fraction of the hillshade strength kept at night (the relief stays faintly visible).
NIGHT_RELIEF = 0.45
#: Depth of the twilight the light fades over, degrees below the horizon (civil twilight).
TWILIGHT_DEG = 6.0
#: Lowest altitude the hillshade is lit from, degrees.
MIN_SHADE_ALTITUDE = 2.0
#: Smallest change of the light's direction that recolours, degrees.
MIN_MOVE_DEG = 0.25
#: Smallest change of the night dimming that recolours.
MIN_LIGHT_STEP = 0.01


@dataclass(frozen=True)
class EffectiveSun:
    """The sun a terrain is drawn with at one time.

    Parameters
    ----------
    azimuth
        Degrees clockwise from the grid's north (0..360).
    altitude
        The sun's apparent altitude, degrees (negative at night).
    shade_altitude
        Altitude the hillshade is lit from (at least :data:`MIN_SHADE_ALTITUDE`).
    light
        Brightness of the colours, :data:`NIGHT_LIGHT` (night) to 1 (day).
    relief
        Fraction of the hillshade strength used, :data:`NIGHT_RELIEF` to 1.
    """

    azimuth: float
    altitude: float
    shade_altitude: float
    light: float
    relief: float

    @classmethod
    def of(cls, azimuth: float, altitude: float) -> EffectiveSun:
        """The light of a sun at ``azimuth`` (grid) and apparent ``altitude``."""
        night = min(max(-altitude / TWILIGHT_DEG, 0.0), 1.0)
        night = night * night * (3.0 - 2.0 * night)  # smoothstep: no kink at the ends
        return cls(
            azimuth=azimuth % 360.0,
            altitude=altitude,
            shade_altitude=min(max(altitude, MIN_SHADE_ALTITUDE), 90.0),
            light=1.0 - (1.0 - NIGHT_LIGHT) * night,
            relief=1.0 - (1.0 - NIGHT_RELIEF) * night,
        )

    @property
    def is_night(self) -> bool:
        """True when the sun is at or below the horizon."""
        return self.altitude <= 0.0

    def angle_to(self, other: EffectiveSun) -> float:
        """Degrees between the directions the two hillshades are lit from."""
        a = _unit(self.azimuth, self.shade_altitude)
        b = _unit(other.azimuth, other.shade_altitude)
        dot = min(max(sum(x * y for x, y in zip(a, b)), -1.0), 1.0)
        return math.degrees(math.acos(dot))

    def differs_from(self, other: EffectiveSun | None) -> bool:
        """True when drawing with ``self`` instead of ``other`` changes the picture visibly."""
        return (
            other is None
            or self.angle_to(other) > MIN_MOVE_DEG
            or abs(self.light - other.light) > MIN_LIGHT_STEP
            or abs(self.relief - other.relief) > MIN_LIGHT_STEP
        )


def _unit(azimuth: float, altitude: float) -> tuple[float, float, float]:
    az, alt = math.radians(azimuth), math.radians(altitude)
    return (math.sin(az) * math.cos(alt), math.cos(az) * math.cos(alt), math.sin(alt))


def grid_site(grid: RasterGrid) -> SunSite | None:
    """The site over the centre of ``grid`` (None when its CRS has no longitude/latitude)."""
    x0, y0, x1, y1 = grid.bounds
    try:
        return SunSite.at(grid.crs, (x0 + x1) / 2, (y0 + y1) / 2)
    except ValueError as err:
        log.warning("the sun cannot follow the clock over this terrain: %s", err)
        return None


def sun_style(style: TerrainStyle, sun: EffectiveSun | None) -> TerrainStyle:
    """A copy of ``style`` lit by ``sun`` (``style`` itself when ``sun`` is None)."""
    if sun is None:
        return style
    return replace(
        style,
        sun_azimuth=round(sun.azimuth, 6) % 360.0,
        sun_altitude=sun.shade_altitude,
        hillshade_strength=style.hillshade_strength * sun.relief,
    )


class SunFollower:
    """The effective sun of one terrain: its site (per grid), the time, what was drawn.

    :meth:`set_time` says when a recolour is due; :meth:`colours` gives the style and
    brightness to bake and remembers them as drawn.
    """

    def __init__(self) -> None:
        self.time_ns: int | None = None
        self.drawn: EffectiveSun | None = None
        self._site: tuple[RasterGrid, SunSite | None] | None = None
        self._last: tuple[tuple, EffectiveSun | None] | None = None  # (key, sun) memo

    def site(self, grid: RasterGrid) -> SunSite | None:
        """The site of ``grid``, computed once per grid."""
        if self._site is None or self._site[0] is not grid:
            self._site = (grid, grid_site(grid))
        return self._site[1]

    def sun(self, layer: Any) -> EffectiveSun | None:
        """The sun ``layer`` is drawn with now; None when it uses its style's own sun
        (not following, or no hillshade: flat colours need no sun)."""
        style, grid = layer.style, layer.grid
        if not (style.sun_from_clock and style.hillshade) or self.time_ns is None or grid is None:
            return None
        key = (self.time_ns, id(grid))
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        site = self.site(grid)
        sun = None if site is None else EffectiveSun.of(*site.sun(from_ns(self.time_ns)))
        self._last = (key, sun)
        return sun

    def set_time(self, layer: Any, time_ns: int) -> bool:
        """Follow the clock to ``time_ns``; True when the terrain should be recoloured."""
        self.time_ns = int(time_ns)
        sun = self.sun(layer)
        return sun is not None and sun.differs_from(self.drawn)

    def colours(self, layer: Any) -> tuple[TerrainStyle, float]:
        """(style to bake, brightness) for ``layer`` now; kept as what is drawn."""
        sun = self.sun(layer)
        self.drawn = sun
        if sun is None:
            return layer.style, 1.0
        return sun_style(layer.style, sun), sun.light

    @property
    def following(self) -> bool:
        """True while the colours drawn are those of the clock's sun."""
        return self.drawn is not None
