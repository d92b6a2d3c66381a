"""Where the sun is: azimuth and altitude for a UTC time and place (pvlib's NREL SPA).

``sun_position`` and ``sun_positions`` give the azimuth clockwise from **true** north
and the apparent altitude (refraction included, so the sun is up a few minutes
before the geometric sunrise). A terrain grid is north-up in its projected CRS, whose
grid north differs from true north by the meridian convergence (1-3 degrees across a
UTM zone); :class:`SunSite` turns the sun's azimuth into the grid's, so a hillshade
is lit from where the sun really is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from twinscape.geo.crs import LonLatTransformer
from twinscape.model.clock import as_utc

#: Degrees of latitude north of a point used to measure the direction of true north on the grid.
_NORTH_STEP_DEG = 1e-3


def _check_place(lon: float, lat: float) -> None:
    if not (math.isfinite(lon) and -180.0 <= lon <= 360.0):
        raise ValueError(f"longitude {lon} is not within -180..360 degrees")
    if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
        raise ValueError(f"latitude {lat} is not within -90..90 degrees")


def sun_positions(
    times: Sequence[datetime] | Any, lon: float, lat: float
) -> tuple[np.ndarray, np.ndarray]:
    """Azimuths (degrees clockwise from true north, 0..360) and apparent altitudes (degrees).

    Parameters
    ----------
    times
        Timezone-aware datetimes (any zone; naive ones are refused), or a pandas
        ``DatetimeIndex`` with a time zone.
    lon, lat
        The place, degrees (WGS 84).

    Returns
    -------
    tuple of numpy.ndarray
        float64 azimuth and altitude, one per time; altitude is negative at night.
    """
    import pandas as pd
    import pvlib

    _check_place(lon, lat)
    if isinstance(times, pd.DatetimeIndex):
        if times.tz is None:
            raise ValueError("times must be timezone-aware (UTC)")
        index = times.tz_convert("UTC")
    else:
        index = pd.DatetimeIndex([as_utc(t) for t in times])
    if len(index) == 0:
        return np.zeros(0), np.zeros(0)
    position = pvlib.solarposition.get_solarposition(index, lat, lon, method="nrel_numpy")
    azimuth = np.mod(position["azimuth"].to_numpy(dtype=float), 360.0)
    return azimuth, position["apparent_elevation"].to_numpy(dtype=float)


def sun_position(when: datetime, lon: float, lat: float) -> tuple[float, float]:
    """(azimuth degrees clockwise from true north, apparent altitude degrees) at ``when``.

    ``when`` must be timezone-aware (the project clock's UTC time).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> az, alt = sun_position(datetime(2025, 6, 21, 9, 38, tzinfo=timezone.utc), 35.5, 31.5)
    >>> round(alt)
    82
    """
    azimuth, altitude = sun_positions([when], lon, lat)
    return float(azimuth[0]), float(altitude[0])


def grid_convergence(transformer: LonLatTransformer, x: float, y: float) -> float:
    """Degrees clockwise from grid north to true north at the projected point (x, y).

    A true azimuth ``A`` points along grid azimuth ``A + grid_convergence``.
    """
    lon, lat = transformer.to_lonlat(float(x), float(y))
    step = _NORTH_STEP_DEG if lat < 90.0 - _NORTH_STEP_DEG else -_NORTH_STEP_DEG
    x2, y2 = transformer.from_lonlat(lon, lat + step)
    dx, dy = (x2 - x, y2 - y) if step > 0 else (x - x2, y - y2)
    return math.degrees(math.atan2(dx, dy))


@dataclass(frozen=True)
class SunSite:
    """The place a scene's sun is computed for: its lon/lat and the grid's convergence.

    Parameters
    ----------
    lon, lat
        Degrees, WGS 84.
    convergence
        Degrees clockwise from grid north to true north (see :func:`grid_convergence`).
    """

    lon: float
    lat: float
    convergence: float = 0.0

    @classmethod
    def at(cls, crs: Any, x: float, y: float) -> SunSite:
        """The site of the projected point (x, y) in ``crs`` (e.g. a terrain's centre)."""
        transformer = LonLatTransformer(crs)
        lon, lat = transformer.to_lonlat(float(x), float(y))
        return cls(float(lon), float(lat), grid_convergence(transformer, x, y))

    def sun(self, when: datetime) -> tuple[float, float]:
        """(azimuth clockwise from **grid** north 0..360, apparent altitude) at ``when``."""
        azimuth, altitude = sun_position(when, self.lon, self.lat)
        return (azimuth + self.convergence) % 360.0, altitude
