"""Sensor layers built by hand for the render tests: stations on the demo terrain, hourly values."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd

from twinscape.geo.sampling import sample_elevation
from twinscape.model import ProjectClock, RasterGrid
from twinscape.model.clock import to_ns
from twinscape.model.sensor_data import SensorData
from twinscape.model.sensor_style import SensorsStyle
from twinscape.model.sensors import SensorsLayer

from render_helpers import DEMO_DEM

#: The first observation hour of every test series.
T0 = datetime(2025, 9, 1, tzinfo=timezone.utc)


def hour(h: float) -> datetime:
    """``T0`` plus ``h`` hours."""
    return T0 + timedelta(hours=h)


def centre(grid: RasterGrid) -> tuple[float, float]:
    """Middle of the grid's box (world)."""
    x0, y0, x1, y1 = grid.bounds
    return (x0 + x1) / 2, (y0 + y1) / 2


def sensor_data(
    grid: RasterGrid | None,
    xy: np.ndarray,
    series: Sequence[Sequence[float]],
    *,
    quantity: str = "pm25",
    unit: str = "µg/m³",
    z: np.ndarray | None = None,
) -> SensorData:
    """Stations at world ``xy`` standing on ``grid``, with hourly ``series`` from :data:`T0`.

    ``series[i][h]`` is station ``i``'s value at hour ``h`` (NaN: no observation).
    """
    xy = np.asarray(xy, np.float64)
    n = len(xy)
    if z is None:
        z = sample_elevation(grid, xy[:, 0], xy[:, 1]) if grid is not None else np.zeros(n)
    stations, times, values = [], [], []
    for i, row in enumerate(series):
        for h, v in enumerate(row):
            if np.isfinite(v):
                stations.append(i)
                times.append(to_ns(hour(h)))
                values.append(v)
    return SensorData(
        station_ids=np.array([f"S{i}" for i in range(n)], dtype=object),
        xyz=np.c_[xy, z],
        stations=pd.DataFrame({"name": [f"Station {i}" for i in range(n)]}),
        quantities=(quantity,),
        units={quantity: unit},
        obs_station=np.array(stations, np.int32),
        obs_quantity=np.zeros(len(stations), np.int16),
        obs_time=np.array(times, np.int64),
        obs_value=np.array(values, np.float64),
    )


def sensors_layer(data: SensorData, **style: object) -> SensorsLayer:
    """A loaded sensors layer over ``data`` with ``style`` settings."""
    return SensorsLayer(name="air quality", source=DEMO_DEM, data=data, style=SensorsStyle(**style))


def clock_at(h: float, hours: int = 48) -> ProjectClock:
    """A project clock at hour ``h`` of a ``hours``-long range from :data:`T0`."""
    return ProjectClock(current=hour(h), start=T0, end=hour(hours))


def nearest_colour(pixel: np.ndarray, palette: dict[str, tuple[int, int, int]]) -> str:
    """The name of the palette colour nearest to ``pixel`` in hue (brightness ignored).

    Glyphs and drapes are shaded (every channel scaled alike), so colours are compared
    after dividing by their brightest channel.
    """
    p = np.asarray(pixel, np.float64)
    p = p / max(p.max(), 1.0)
    best, dist = "", np.inf
    for name, rgb in palette.items():
        c = np.asarray(rgb, np.float64)
        d = float(np.linalg.norm(p - c / max(c.max(), 1.0)))
        if d < dist:
            best, dist = name, d
    return best
