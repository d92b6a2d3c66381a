"""Observations joined to their placed stations: the :class:`SensorData` of a layer.

The stations get a target CRS (the one given, checked to be projected in metres, else the
UTM zone of their centre), are reprojected to it and stand on the ground grids
(:func:`ground_under`); observations of stations without coordinates are counted, the
others sorted by (station, quantity, time) with duplicates dropped and counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Transformer
from pyproj.exceptions import ProjError

from twinscape.geo.crs import (
    LonLatTransformer,
    crs_label,
    is_projected_metric,
    normalize_crs,
    same_crs,
    utm_crs_for,
)
from twinscape.geo.sampling import sample_elevation
from twinscape.io.sensor_columns import quantity_order
from twinscape.io.sensor_observations import Observations
from twinscape.io.sensor_stations import _CRS_HINT, Stations
from twinscape.io.sensors_report import SHOWN
from twinscape.model.errors import CRSError, ReaderError
from twinscape.model.raster import RasterGrid
from twinscape.model.sensor_data import SensorData


def ground_under(x: np.ndarray, y: np.ndarray, ground: Sequence[RasterGrid]) -> np.ndarray:
    """Elevation under each point: bilinear on the first (topmost) grid with data there, else 0."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    z = np.full(len(x), np.nan)
    for grid in ground:
        todo = np.isnan(z)
        if not todo.any():
            break
        z[todo] = sample_elevation(grid, x[todo], y[todo])
    return np.where(np.isfinite(z), z, 0.0)


def _natural(ids: Sequence[str]) -> list[str]:
    """Numeric ids by value, then the others alphabetically."""
    return sorted(ids, key=lambda s: (not s.isdigit(), int(s) if s.isdigit() else 0, s))


def _target(path: Path, source: str, target_crs: str | None, x: np.ndarray, y: np.ndarray) -> str:
    """``target_crs`` checked to be projected in metres, or the UTM zone of the centre."""
    if target_crs is None:
        try:
            centre = LonLatTransformer(source).to_lonlat(
                (x.min() + x.max()) / 2, (y.min() + y.max()) / 2
            )
            return utm_crs_for(*centre)
        except ValueError as err:
            raise CRSError(path, f"cannot place the stations on Earth: {err}") from None
    try:
        target = normalize_crs(target_crs)
    except ValueError as err:
        raise CRSError(path, f"target CRS: {err}") from None
    if not is_projected_metric(target):
        raise CRSError(
            path,
            f"cannot use {crs_label(target)} as the target CRS: it is not projected in metres",
            hint="use a UTM zone, e.g. EPSG:32617",
        )
    return target


def _units(names: list[str], quantity: np.ndarray, unit: np.ndarray) -> tuple[dict, list[str]]:
    """The first unit given for each quantity; a note where a quantity has several."""
    units, notes = {}, []
    for code, name in enumerate(names):
        found = [u for u in pd.unique(unit[quantity == code]) if u]
        if found:
            units[name] = found[0]
        if len(found) > 1:
            notes.append(
                f"{name} comes in {len(found)} units ({', '.join(found)}): values are "
                f"kept as they are, all labelled {found[0]}"
            )
    return units, notes


def assemble(
    path: Path,
    obs: Observations,
    stations: Stations,
    target_crs: str | None,
    ground: tuple[RasterGrid, ...],
) -> tuple[SensorData, str, dict]:
    """Join observations to placed stations, sort them, drop (and count) duplicates."""
    ok = np.isfinite(stations.x) & np.isfinite(stations.y) & (stations.ids != "")
    ok &= ~pd.Series(stations.ids).duplicated().to_numpy()
    lon, lat = np.abs(stations.x[ok]), np.abs(stations.y[ok])
    if stations.crs == "EPSG:4326" and ((lat > 90).any() or (lon > 180).any()):
        raise CRSError(
            stations.path, "station coordinates are not longitude/latitude degrees", hint=_CRS_HINT
        )
    index = pd.Index(_natural(list(stations.ids[ok])), dtype=object)
    rows = np.flatnonzero(ok)[pd.Index(stations.ids[ok]).get_indexer(index)]
    station = index.get_indexer(obs.station)
    known = station >= 0
    if len(known) and not known.any():
        shown = ", ".join(map(str, pd.unique(obs.station)[:SHOWN]))
        where = f"in {stations.path.name}" if stations.from_file else "in the table"
        raise ReaderError(
            path,
            f"no station has coordinates {where} (stations {shown})",
            hint="check that the station ids match"
            if stations.from_file
            else "give a stations file with their coordinates",
        )
    x, y = stations.x[rows], stations.y[rows]
    target = _target(path, stations.crs, target_crs, x, y)
    if not same_crs(stations.crs, target):
        try:
            x, y = Transformer.from_crs(stations.crs, target, always_xy=True).transform(x, y)
        except ProjError as err:
            problem = f"cannot reproject stations to {crs_label(target)}: {err}"
            raise CRSError(path, problem) from None
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if not (np.isfinite(x) & np.isfinite(y)).all():
        raise CRSError(stations.path, f"stations lie outside the area of {crs_label(target)}")
    names = quantity_order(list(pd.unique(obs.quantity[known])))
    if len(names) >= 4096:
        raise ReaderError(path, f"has {len(names)} quantities, more than the 4095 Twinscape reads")
    quantity = pd.Index(names).get_indexer(obs.quantity[known])
    units, notes = _units(names, quantity, obs.unit[known])
    s, t, v, p = station[known], obs.time[known], obs.value[known], obs.place[known]
    order = np.lexsort((p, t, quantity, s))
    s, q, t, v, p = s[order], quantity[order], t[order], v[order], p[order]
    dup = np.zeros(len(s), bool)
    dup[1:] = (s[1:] == s[:-1]) & (q[1:] == q[:-1]) & (t[1:] == t[:-1])
    data = SensorData(
        station_ids=index.to_numpy(object),
        xyz=np.column_stack([x, y, ground_under(x, y, ground)]),
        stations=stations.attrs.iloc[rows].reset_index(drop=True),
        quantities=tuple(names),
        units=units,
        obs_station=s[~dup].astype(np.int32),
        obs_quantity=q[~dup].astype(np.int16),
        obs_time=t[~dup],
        obs_value=v[~dup],
    )
    unknown = [str(i) for i in pd.unique(obs.station[~known])]
    return (
        data,
        target,
        {
            "duplicates": int(dup.sum()),
            "duplicate_places": tuple(int(i) for i in np.sort(p[dup])[:SHOWN]),
            "unknown_stations": tuple(unknown),
            "unknown_rows": int((~known).sum()),
            "notes": tuple(notes),
        },
    )
