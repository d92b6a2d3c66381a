"""Solar siting suitability: slope, aspect, exclusions and annual irradiance over the horizon.

Irradiance is a clear-sky estimate on the terrain surface itself (kWh/m2 per year):

- The sun's path (pvlib's solar position, at the grid's centre) is sampled every
  ``step_minutes`` (at mid-interval) on ``days_per_month`` evenly spread days of each
  month of ``year``; each sample stands for its share of the month.
- Clear-sky DNI, DHI and GHI come from pvlib's Ineichen model with the Linke
  turbidity climatology of the site.
- Terrain shading: for every cell the horizon elevation is found in ``directions``
  azimuths by marching outwards up to ``horizon_m`` (earth curvature and refraction
  included; :mod:`twinscape.geo.horizon`); the sun is hidden when it is below the
  horizon in its azimuth (interpolated between the two nearest directions).
- On the cell's plane (Horn slope and aspect): beam = DNI x cos(incidence) when lit;
  sky diffuse = DHI x the smaller of the tilt's view of the sky ``(1 + cos s) / 2`` and
  the horizon's ``mean(cos^2(max(h, 0)))``; ground-reflected = GHI x albedo x
  ``(1 - cos s) / 2``.

A cell is suitable when it has data, its slope is at most ``max_slope_deg``, its
aspect lies within ``aspect_tolerance_deg`` of the equator-facing direction (south
in the northern hemisphere; slopes under ``aspect_min_slope_deg`` pass whatever their
aspect), it lies outside every exclusion polygon and, when ``min_irradiance`` is given,
receives at least that much.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon

from twinscape.geo.crs import LonLatTransformer
from twinscape.geo.horizon import _blocks, _horizon_tan, _padded, _rays
from twinscape.geo.slope import slope_aspect
from twinscape.model.errors import LoadCancelled
from twinscape.model.raster import RasterGrid


@dataclass(frozen=True, eq=False)
class SolarResult:
    """Outcome of :func:`solar_suitability`.

    Parameters
    ----------
    mask
        bool (rows, cols): True where the cell is suitable.
    irradiance
        float32 (rows, cols): clear-sky annual irradiation on the terrain, kWh/m2;
        NaN over nodata.
    area_km2
        Area of the suitable cells (cell size x count), km2.
    latitude, longitude
        Where the sun's path was computed (the grid's centre), degrees.
    """

    mask: np.ndarray
    irradiance: np.ndarray
    area_km2: float
    latitude: float
    longitude: float


@dataclass(frozen=True, eq=False)
class SunSamples:
    """Sun positions over a year, each with the hours it stands for.

    Parameters
    ----------
    elevation, azimuth
        Apparent sun elevation and azimuth (clockwise from north), degrees; only
        samples with the sun above the horizon are kept.
    dni, dhi, ghi
        Clear-sky irradiance, W/m2.
    hours
        Hours of the year each sample represents.
    """

    elevation: np.ndarray
    azimuth: np.ndarray
    dni: np.ndarray
    dhi: np.ndarray
    ghi: np.ndarray
    hours: np.ndarray


def sun_samples(
    latitude: float,
    longitude: float,
    year: int,
    *,
    altitude_m: float = 0.0,
    days_per_month: int = 2,
    step_minutes: float = 60.0,
) -> SunSamples:
    """Sample the sun's path and clear-sky irradiance over ``year`` (pvlib).

    Each month is sampled on ``days_per_month`` days at its ``(k + 0.5) / n`` points,
    every ``step_minutes`` at mid-interval (UTC); weights add up to the year's hours.
    """
    import pandas as pd
    import pvlib

    if days_per_month < 1 or not 1.0 <= step_minutes <= 180.0:
        raise ValueError("need days_per_month >= 1 and step_minutes in 1..180")
    stamps: list[pd.DatetimeIndex] = []
    weights: list[np.ndarray] = []
    per_day = int(round(24 * 60 / step_minutes))
    step = pd.Timedelta(minutes=24 * 60 / per_day)
    for month in range(1, 13):
        days = calendar.monthrange(year, month)[1]
        for k in range(days_per_month):
            day = min(int((k + 0.5) * days / days_per_month) + 1, days)
            start = pd.Timestamp(year=year, month=month, day=day, tz="UTC") + step / 2
            stamps.append(pd.date_range(start, periods=per_day, freq=step))
            weights.append(np.full(per_day, 24.0 / per_day * days / days_per_month))
    times = stamps[0].append(stamps[1:])
    hours = np.concatenate(weights)
    site = pvlib.location.Location(latitude, longitude, altitude=altitude_m, tz="UTC")
    position = site.get_solarposition(times)
    sky = site.get_clearsky(times, model="ineichen", solar_position=position)
    elevation = position["apparent_elevation"].to_numpy(np.float64)
    up = elevation > 0.0
    return SunSamples(
        elevation=elevation[up],
        azimuth=position["azimuth"].to_numpy(np.float64)[up],
        dni=sky["dni"].to_numpy(np.float64)[up],
        dhi=sky["dhi"].to_numpy(np.float64)[up],
        ghi=sky["ghi"].to_numpy(np.float64)[up],
        hours=hours[up],
    )


def solar_suitability(
    grid: RasterGrid,
    *,
    max_slope_deg: float = 10.0,
    aspect_tolerance_deg: float = 90.0,
    aspect_min_slope_deg: float = 3.0,
    year: int = 2025,
    exclusions: Sequence[Polygon | MultiPolygon] = (),
    min_irradiance: float | None = None,
    directions: int = 32,
    horizon_m: float = 20_000.0,
    days_per_month: int = 2,
    step_minutes: float = 60.0,
    albedo: float = 0.25,
    altitude_m: float | None = None,
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> SolarResult:
    """Where a solar farm could go on ``grid``, and the clear-sky irradiation there.

    Parameters
    ----------
    grid
        Terrain in a projected metric CRS tied to the Earth (the sun's path is computed
        at the grid's centre).
    max_slope_deg
        Steepest acceptable slope.
    aspect_tolerance_deg
        Largest angle between a slope's aspect and the equator-facing direction
        (180 or more accepts every aspect).
    aspect_min_slope_deg
        Slopes gentler than this pass the aspect test whatever their aspect.
    year
        Calendar year of the sun's path.
    exclusions
        Polygons in ``grid.crs`` where nothing may be built (cells by their centres).
    min_irradiance
        Optional lower limit of annual irradiation, kWh/m2.
    directions, horizon_m
        Horizon azimuths per cell and how far the horizon is searched, metres.
    days_per_month, step_minutes
        Sampling of the sun's path (see :func:`sun_samples`).
    albedo
        Ground reflectance for the reflected component (desert sand ~0.25-0.35).
    altitude_m
        Site altitude for the clear-sky model; None takes the grid's mean elevation.
    progress, cancelled
        ``progress(fraction)`` after each block of rows; ``cancelled()`` polled between
        blocks, True raises :class:`LoadCancelled`.

    Raises
    ------
    ValueError
        Bad parameters, or a CRS that cannot be converted to longitude/latitude.
    """
    if not 0.0 <= max_slope_deg <= 90.0:
        raise ValueError(f"max slope must be within 0..90 degrees, got {max_slope_deg}")
    if not aspect_tolerance_deg >= 0.0:
        raise ValueError(f"aspect tolerance must be >= 0, got {aspect_tolerance_deg}")
    if directions < 4 or not horizon_m > 0:
        raise ValueError("need at least 4 horizon directions and a positive horizon distance")
    xmin, ymin, xmax, ymax = grid.bounds
    lon, lat = LonLatTransformer(grid.crs).to_lonlat(0.5 * (xmin + xmax), 0.5 * (ymin + ymax))
    z = grid.values
    valid = np.isfinite(z)
    if not valid.any():
        raise ValueError("the grid has no valid cells")
    sun = sun_samples(
        lat,
        lon,
        year,
        altitude_m=float(np.nanmean(z)) if altitude_m is None else altitude_m,
        days_per_month=days_per_month,
        step_minutes=step_minutes,
    )
    slope, aspect = slope_aspect(z, grid.resolution, compute_edges=True)
    irradiance = _irradiance(
        grid, slope, aspect, sun, directions, horizon_m, albedo, progress, cancelled
    )
    facing = 180.0 if lat >= 0 else 0.0
    off = np.abs((np.nan_to_num(aspect, nan=facing) - facing + 180.0) % 360.0 - 180.0)
    with np.errstate(invalid="ignore"):
        mask = valid & (slope <= max_slope_deg)
        mask &= (slope < aspect_min_slope_deg) | (off <= aspect_tolerance_deg)
        if min_irradiance is not None:
            mask &= irradiance >= min_irradiance
    for polygon in exclusions:
        mask &= ~_cells_in(grid, polygon)
    xres, yres = grid.resolution
    area = float(mask.sum()) * xres * yres / 1e6
    return SolarResult(mask=mask, irradiance=irradiance, area_km2=area, latitude=lat, longitude=lon)


def _irradiance(
    grid: RasterGrid,
    slope: np.ndarray,
    aspect: np.ndarray,
    sun: SunSamples,
    directions: int,
    horizon_m: float,
    albedo: float,
    progress: Callable[[float], None] | None,
    cancelled: Callable[[], bool] | None,
) -> np.ndarray:
    """Annual clear-sky irradiation on each cell's plane, kWh/m2, float32."""
    z = grid.values.astype(np.float32, copy=False)
    rays = _rays(directions, grid.resolution, horizon_m, 0.13)
    padded, pad = _padded(z, rays)
    s = np.radians(np.nan_to_num(slope, nan=0.0)).astype(np.float32)
    a = np.radians(np.nan_to_num(aspect, nan=0.0)).astype(np.float32)
    normal = (np.sin(s) * np.sin(a), np.sin(s) * np.cos(a), np.cos(s))  # east, north, up
    alt = np.radians(sun.elevation)
    az = np.radians(sun.azimuth)
    sun_e, sun_n, sun_u = np.cos(alt) * np.sin(az), np.cos(alt) * np.cos(az), np.sin(alt)
    tan_alt = np.tan(alt).astype(np.float32)
    beam_wh = (sun.dni * sun.hours).astype(np.float32)  # Wh/m2 per unit cos(incidence)
    diffuse_wh = float(np.dot(sun.dhi, sun.hours))
    reflected_wh = float(np.dot(sun.ghi, sun.hours)) * albedo
    position = sun.azimuth / 360.0 * directions
    lower = np.floor(position).astype(int) % directions
    upper = (lower + 1) % directions
    frac = (position - np.floor(position)).astype(np.float32)
    out = np.empty(z.shape, dtype=np.float32)
    blocks = _blocks(z.shape)
    for done, (top, bottom) in enumerate(blocks):
        if cancelled is not None and cancelled():
            raise LoadCancelled("solar analysis cancelled")
        horizon = _horizon_tan(padded, pad, z, top, bottom, rays)
        np.maximum(horizon, -10.0, out=horizon)  # no -inf: it would turn 0 * h into NaN
        ne, nn, nu = (n[top:bottom] for n in normal)
        cos_s = nu
        sky_view = np.mean(1.0 / (1.0 + np.maximum(horizon, 0.0) ** 2), axis=0)  # cos^2(h)
        total = diffuse_wh * np.minimum(0.5 * (1.0 + cos_s), sky_view)
        total += reflected_wh * 0.5 * (1.0 - cos_s)
        cos_i = np.empty_like(cos_s)
        hz = np.empty_like(cos_s)
        for i in range(len(beam_wh)):
            np.multiply(horizon[lower[i]], 1.0 - frac[i], out=hz)
            hz += horizon[upper[i]] * frac[i]
            np.multiply(ne, np.float32(sun_e[i]), out=cos_i)
            cos_i += nn * np.float32(sun_n[i])
            cos_i += nu * np.float32(sun_u[i])
            np.maximum(cos_i, 0.0, out=cos_i)
            cos_i[hz >= tan_alt[i]] = 0.0
            total += beam_wh[i] * cos_i
        out[top:bottom] = total / 1000.0
        if progress is not None:
            progress((done + 1) / len(blocks))
    out[~np.isfinite(z)] = np.nan
    return out


def _cells_in(grid: RasterGrid, polygon: Polygon | MultiPolygon) -> np.ndarray:
    """bool (rows, cols): cells whose centre lies inside ``polygon``."""
    if not isinstance(polygon, Polygon | MultiPolygon):
        raise ValueError(f"exclusions must be polygons, got {polygon.geom_type}")
    inside = np.zeros(grid.shape, dtype=bool)
    a, _, c, _, e, f = grid.transform
    rows, cols = grid.shape
    xmin, ymin, xmax, ymax = polygon.bounds
    c0, c1 = max(int((xmin - c) // a), 0), min(int((xmax - c) // a) + 1, cols)
    r0, r1 = max(int((ymax - f) // e), 0), min(int((ymin - f) // e) + 1, rows)
    if c0 >= c1 or r0 >= r1:
        return inside
    xs = c + a * (np.arange(c0, c1) + 0.5)
    ys = f + e * (np.arange(r0, r1) + 0.5)
    shapely.prepare(polygon)
    inside[r0:r1, c0:c1] = shapely.contains_xy(polygon, *np.meshgrid(xs, ys))
    return inside
