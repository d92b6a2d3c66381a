"""geo/sun.py: the sun's azimuth and altitude against known values and an independent formula."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pyproj
import pytest

from twinscape.geo.crs import LonLatTransformer
from twinscape.geo.sun import SunSite, grid_convergence, sun_position, sun_positions

UTC = timezone.utc
DEAD_SEA = (35.5, 31.5)  # lon, lat


def noaa_sun(when: datetime, lon: float, lat: float) -> tuple[float, float]:
    """NOAA's "General Solar Position Calculations" (Spencer's series): azimuth, altitude.

    Written from the published formulas, independent of pvlib; no refraction. Its
    365-day series drifts over the leap cycle: declination and hour angle are good to
    about 0.3 degree, so the two agree to about half a degree, not better.
    """
    when = when.astimezone(UTC)
    start = datetime(when.year, 1, 1, tzinfo=UTC)
    days = 366 if when.year % 4 == 0 else 365
    hours = when.hour + when.minute / 60 + when.second / 3600
    g = 2 * math.pi / days * ((when - start).days + (hours - 12) / 24)
    eqtime = 229.18 * (
        0.000075 + 0.001868 * math.cos(g) - 0.032077 * math.sin(g)
        - 0.014615 * math.cos(2 * g) - 0.040849 * math.sin(2 * g)
    )  # fmt: skip
    decl = (
        0.006918 - 0.399912 * math.cos(g) + 0.070257 * math.sin(g)
        - 0.006758 * math.cos(2 * g) + 0.000907 * math.sin(2 * g)
        - 0.002697 * math.cos(3 * g) + 0.00148 * math.sin(3 * g)
    )  # fmt: skip
    true_solar_minutes = hours * 60 + eqtime + 4 * lon
    ha = math.radians(true_solar_minutes / 4 - 180)
    phi = math.radians(lat)
    sin_alt = math.sin(phi) * math.sin(decl) + math.cos(phi) * math.cos(decl) * math.cos(ha)
    altitude = math.degrees(math.asin(sin_alt))
    azimuth = math.degrees(
        math.atan2(
            -math.sin(ha) * math.cos(decl),
            math.cos(phi) * math.sin(decl) - math.sin(phi) * math.cos(decl) * math.cos(ha),
        )
    )
    return azimuth % 360, altitude


def separation(az1: float, alt1: float, az2: float, alt2: float) -> float:
    """Degrees between two directions on the sky."""
    a1, h1, a2, h2 = (math.radians(v) for v in (az1, alt1, az2, alt2))
    cos = math.sin(h1) * math.sin(h2) + math.cos(h1) * math.cos(h2) * math.cos(a1 - a2)
    return math.degrees(math.acos(min(max(cos, -1.0), 1.0)))


def day_samples(day: datetime, minutes: int = 2) -> list[datetime]:
    return [day + timedelta(minutes=m) for m in range(0, 24 * 60, minutes)]


def test_equinox_noon_at_the_equator_is_overhead() -> None:
    times = day_samples(datetime(2025, 3, 20, tzinfo=UTC))
    _, altitude = sun_positions(times, 0.0, 0.0)
    noon = times[int(np.argmax(altitude))]
    assert altitude.max() > 89.4
    # solar noon on the Greenwich meridian: 12:00 UTC minus the equation of time (~7 min)
    assert (
        datetime(2025, 3, 20, 12, 0, tzinfo=UTC) < noon < datetime(2025, 3, 20, 12, 14, tzinfo=UTC)
    )


def test_dead_sea_midsummer_noon() -> None:
    lon, lat = DEAD_SEA
    times = day_samples(datetime(2025, 6, 21, tzinfo=UTC), minutes=1)
    azimuth, altitude = sun_positions(times, lon, lat)
    i = int(np.argmax(altitude))
    # 90 - (latitude - declination 23.44) = 81.94; refraction adds ~0.004
    assert altitude[i] == pytest.approx(81.94, abs=0.1)
    assert azimuth[i] == pytest.approx(180.0, abs=3.0)  # due south at noon
    # local solar noon: 12:00 - 35.5 deg x 4 min/deg + ~1.8 min equation of time = 09:40 UTC
    assert times[i] == pytest.approx(
        datetime(2025, 6, 21, 9, 40, tzinfo=UTC), abs=timedelta(minutes=3)
    )


def test_morning_sun_in_the_east_and_afternoon_in_the_west() -> None:
    lon, lat = DEAD_SEA
    az_morning, alt_morning = sun_position(datetime(2025, 4, 17, 4, 0, tzinfo=UTC), lon, lat)
    az_afternoon, alt_afternoon = sun_position(datetime(2025, 4, 17, 13, 0, tzinfo=UTC), lon, lat)
    assert 60 < az_morning < 110 and 5 < alt_morning < 25  # 07:00 local
    assert 240 < az_afternoon < 280 and 25 < alt_afternoon < 45  # 16:00 local
    _, alt_night = sun_position(datetime(2025, 4, 17, 21, 0, tzinfo=UTC), lon, lat)
    assert alt_night < -30


@pytest.mark.parametrize(
    ("lon", "lat", "day"),
    [
        (35.5, 31.5, datetime(2025, 4, 17, tzinfo=UTC)),
        (35.5, 31.5, datetime(2025, 12, 21, tzinfo=UTC)),
        (-3.7, 40.4, datetime(2024, 8, 1, tzinfo=UTC)),  # Madrid, a leap year
        (151.2, -33.9, datetime(2025, 1, 15, tzinfo=UTC)),  # Sydney: the sun to the north
        (18.9, 69.6, datetime(2025, 6, 21, tzinfo=UTC)),  # Tromsø: midnight sun
    ],
)
def test_agrees_with_the_noaa_formula(lon: float, lat: float, day: datetime) -> None:
    times = day_samples(day, minutes=20)
    azimuth, altitude = sun_positions(times, lon, lat)
    for when, az, alt in zip(times, azimuth, altitude):
        ref_az, ref_alt = noaa_sun(when, lon, lat)
        if ref_alt > 10:  # refraction (pvlib's altitude is apparent) under 0.1 degree
            assert alt == pytest.approx(ref_alt, abs=0.5), when
            assert separation(az, alt, ref_az, ref_alt) < 0.6, when
            if ref_alt < 60:  # near the zenith a small offset turns the azimuth a lot
                assert abs((az - ref_az + 180) % 360 - 180) < 1.0, when
        elif ref_alt < -2:
            assert alt < 0, when


def test_any_time_zone_and_pandas_times() -> None:
    import pandas as pd

    utc = datetime(2025, 4, 17, 9, 0, tzinfo=UTC)
    local = utc.astimezone(timezone(timedelta(hours=3)))
    assert sun_position(local, *DEAD_SEA) == pytest.approx(sun_position(utc, *DEAD_SEA))
    index = pd.date_range("2025-04-17 12:00", periods=3, freq="h", tz="Asia/Amman")
    azimuth, altitude = sun_positions(index, *DEAD_SEA)
    assert azimuth.shape == altitude.shape == (3,)
    assert azimuth[0] == pytest.approx(sun_position(index[0].to_pydatetime(), *DEAD_SEA)[0])
    empty = sun_positions([], *DEAD_SEA)
    assert empty[0].shape == (0,)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="no timezone"):
        sun_position(datetime(2025, 4, 17, 9, 0), *DEAD_SEA)
    with pytest.raises(ValueError, match="latitude"):
        sun_position(datetime(2025, 4, 17, 9, 0, tzinfo=UTC), 35.5, 95.0)
    with pytest.raises(ValueError, match="longitude"):
        sun_position(datetime(2025, 4, 17, 9, 0, tzinfo=UTC), math.nan, 31.5)


def test_grid_convergence_matches_pyproj() -> None:
    transformer = LonLatTransformer("EPSG:32636")  # UTM 36N, central meridian 33 E
    for lon, lat in [(33.0, 31.5), (35.5, 31.5), (30.5, 10.0)]:
        x, y = transformer.from_lonlat(lon, lat)
        factors = pyproj.Proj("EPSG:32636").get_factors(lon, lat)
        # pyproj counts from true north to grid north; ours is the other way round
        assert grid_convergence(transformer, x, y) == pytest.approx(
            -factors.meridian_convergence, abs=0.01
        )
    east = transformer.from_lonlat(35.5, 31.5)
    assert grid_convergence(transformer, *east) < -1.0  # true north leans west of grid north


def test_site_gives_the_azimuth_on_the_grid() -> None:
    transformer = LonLatTransformer("EPSG:32636")
    x, y = transformer.from_lonlat(*DEAD_SEA)
    site = SunSite.at("EPSG:32636", x, y)
    assert (site.lon, site.lat) == pytest.approx(DEAD_SEA)
    when = datetime(2025, 4, 17, 9, 0, tzinfo=UTC)
    true_az, altitude = sun_position(when, *DEAD_SEA)
    grid_az, grid_alt = site.sun(when)
    assert grid_alt == pytest.approx(altitude)
    assert grid_az == pytest.approx((true_az + site.convergence) % 360)
    with pytest.raises(ValueError):
        SunSite.at('LOCAL_CS["engineering",UNIT["metre",1]]', 0.0, 0.0)
