"""Read sensor stations and their observations (CSV or Parquet) into :class:`SensorData`.

Observations come long (one a row: time, station, quantity, value, unit) or wide (a time
column and one column per station or per quantity); stations stand in the same table
(latitude/longitude or x/y columns, as OpenAQ exports have) or in a file of their own
(GeoJSON, GeoPackage, or a table with coordinates), in any CRS. Nothing is dropped
silently: rows that cannot be read are counted with their line numbers (as an editor
shows them, the header being line 1), and so are gaps, duplicates, local times resolved
around daylight-saving changes and stations without coordinates (:class:`SensorsReport`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
from twinscape.io.sensor_columns import (
    Columns,
    MappingError,
    Times,
    check_zone,
    parse_numbers,
    parse_times,
    quantity_name,
    quantity_order,
    read_table,
    recognise,
    split_wide,
    text,
)
from twinscape.io.sensor_stations import (
    _CRS_HINT,
    Stations,
    read_stations_file,
    stations_from_table,
)
from twinscape.model.errors import CRSError, LoadCancelled, ReaderError
from twinscape.model.raster import RasterGrid
from twinscape.model.sensors import ColumnMapping, SensorData

Progress = Callable[[float], None]
Cancelled = Callable[[], bool]

#: Places (line or row numbers) listed per problem in the report.
SHOWN = 5


@dataclass(frozen=True)
class SensorsReport:
    """What reading found besides the data.

    ``where`` is ``"line"`` (CSV: editor lines) or ``"row"`` (Parquet: 1-based rows);
    ``malformed`` holds (what was not read and why, count, first places).
    """

    rows: int
    observations: int
    stations: int
    where: str = "line"
    malformed: tuple[tuple[str, int, tuple[int, ...]], ...] = ()
    non_finite: int = 0
    duplicates: int = 0
    duplicate_places: tuple[int, ...] = ()
    unknown_stations: tuple[str, ...] = ()
    unknown_rows: int = 0
    ambiguous_times: int = 0
    nonexistent_times: int = 0
    naive_utc: int = 0
    notes: tuple[str, ...] = ()

    def _at(self, places: Sequence[int], count: int) -> str:
        shown = ", ".join(str(p) for p in places[:SHOWN]) + (", ..." if count > SHOWN else "")
        return f"{self.where}{'s' if count > 1 else ''} {shown}"

    def warnings(self) -> list[str]:
        """One line per problem found (none for a clean table)."""
        out = [f"{n} {why} ({self._at(at, n)})" for why, n, at in self.malformed]
        if self.non_finite:
            out.append(f"{self.non_finite} empty or non-finite values (NaN, inf) kept as gaps")
        if self.duplicates:
            at = self._at(self.duplicate_places, self.duplicates)
            out.append(f"{self.duplicates} duplicate observations (same station, quantity and "
                       f"time) not read, the first kept ({at})")
        if self.unknown_rows:
            out.append(f"{self.unknown_rows} observations of {len(self.unknown_stations)} "
                       "stations without coordinates not read "
                       f"({', '.join(self.unknown_stations[:SHOWN])})")
        if self.ambiguous_times:
            out.append(f"{self.ambiguous_times} local times occur twice (clocks went back): "
                       "read as the earlier instant first in each series, then the later")
        if self.nonexistent_times:
            out.append(f"{self.nonexistent_times} local times fall in a daylight-saving gap: "
                       "read with the offset before the change")
        if self.naive_utc:
            out.append(f"{self.naive_utc} times without a time zone read as UTC "
                       "(set mapping.timezone if they are local)")
        return out + list(self.notes)

    def lines(self) -> list[str]:
        """A summary line, then :meth:`warnings`."""
        head = f"{self.rows} rows: {self.observations} observations of {self.stations} stations"
        return [head, *self.warnings()]


@dataclass(frozen=True, eq=False)
class SensorsRead:
    """:func:`read_sensors`' result: the data in ``target_crs`` and what reading found."""

    data: SensorData
    source_crs: str
    target_crs: str
    report: SensorsReport


def read_sensors(
    source: str | os.PathLike[str],
    *,
    stations_source: str | os.PathLike[str] | None = None,
    mapping: ColumnMapping,
    target_crs: str | None,
    ground: Sequence[RasterGrid] = (),
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> SensorsRead:
    """Read observations (and stations) into :class:`SensorData` in ``target_crs``.

    Parameters
    ----------
    source
        CSV (comma, semicolon or tab separated; UTF-8 or Windows-1252) or Parquet.
    stations_source
        Stations: a vector file (GeoJSON, GeoPackage, anything OGR reads; a point on each
        surface) or a CSV/Parquet table with coordinates; None: columns of ``source``.
    mapping
        Columns to use; None fields are recognised by name (io/sensor_columns.py).
        ``layout="auto"`` reads a table with a value column as long, else as wide.
    target_crs
        Projected metric CRS of the result; None: the UTM zone of the stations' centre.
    ground
        Elevation grids, topmost first: each station stands on the first covering it, else 0.
    progress, cancelled
        Progress 0..1; polled between steps (then :class:`LoadCancelled`).

    Raises
    ------
    ReaderError
        Missing, non-regular, empty, too large, binary or truncated file; no time column
        or a mapped column missing; no station with coordinates.
    CRSError, MissingCRSError
        Coordinates with no or an unusable CRS; a target CRS not projected in metres.
    """
    path = Path(source)
    step = _Step(path, progress, cancelled)
    try:
        if mapping.timezone is not None:
            check_zone(mapping.timezone)
        frame, places, where, problems = read_table(path)
        step.report(0.4)
        cols = recognise(frame.columns, mapping)
    except MappingError as err:
        raise ReaderError(path, err.problem, hint=err.hint) from None
    long = mapping.layout == "long" or (mapping.layout == "auto" and cols.value is not None)
    obs = (_long if long else _wide)(path, frame, cols, mapping, places, problems)
    step.report(0.7)
    if stations_source is not None:
        stations = read_stations_file(Path(stations_source), mapping)
    else:
        stations = stations_from_table(path, frame, cols, obs.row_ids, mapping, obs.columns)
    step.report(0.85)
    data, target, found = _assemble(path, obs, stations, target_crs, tuple(ground))
    notes = (*stations.notes, *found.pop("notes"))
    report = SensorsReport(
        rows=len(frame), observations=len(data.obs_time), stations=data.count, where=where,
        malformed=tuple((why, len(at), tuple(int(p) for p in np.sort(at)[:SHOWN]))
                        for why, at in problems.items() if len(at)),
        non_finite=int(np.isnan(data.obs_value).sum()), ambiguous_times=obs.times.ambiguous,
        nonexistent_times=obs.times.nonexistent, naive_utc=obs.times.naive_utc,
        notes=notes, **found,
    )
    step.report(1.0)
    return SensorsRead(data=data, source_crs=stations.crs, target_crs=target, report=report)


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


class _Step:
    """Forwards non-decreasing progress; raises :class:`LoadCancelled` when asked to stop."""

    def __init__(self, path: Path, progress: Progress | None, cancelled: Cancelled | None) -> None:
        self._path, self._progress, self._cancelled, self._last = path, progress, cancelled, -1.0

    def report(self, fraction: float) -> None:
        if self._cancelled is not None and self._cancelled():
            raise LoadCancelled(f"{self._path}: loading cancelled")
        if self._progress is not None and fraction > self._last:
            self._last = fraction
            self._progress(fraction)


# -- observations ------------------------------------------------------------------------
@dataclass(frozen=True)
class _Obs:
    """Observations read (file order), every row's station id and the value columns."""

    station: np.ndarray
    quantity: np.ndarray
    unit: np.ndarray
    time: np.ndarray
    value: np.ndarray
    place: np.ndarray
    times: Times
    row_ids: np.ndarray
    columns: tuple[str, ...] = ()


class _Problems:
    """Counts each bad row once, under the first reason found."""

    def __init__(self, problems: dict[str, np.ndarray], places: np.ndarray) -> None:
        self.problems, self.places = problems, places
        self.taken = np.zeros(len(places), bool)

    def flag(self, why: str, rows: np.ndarray) -> None:
        new = rows & ~self.taken
        if new.any():
            old = self.problems.get(why, np.zeros(0, np.int64))
            self.problems[why] = np.concatenate([old, self.places[new]])
            self.taken |= new


def _ids(frame: pd.DataFrame, cols: Columns, path: Path) -> np.ndarray:
    """Each row's station id (the file's name when the table has no id column)."""
    if cols.sensor_id is None:
        return np.full(len(frame), path.name.split(".")[0], dtype=object)
    return text(frame[cols.sensor_id]).to_numpy(object)


def _times(frame: pd.DataFrame, cols: Columns, mapping: ColumnMapping,
           series: np.ndarray | None) -> Times:
    """The time column; naive times in the mapping's zone, else a time-zone column's."""
    assert cols.time is not None
    zones = frame[cols.zone] if cols.zone and mapping.timezone is None else None
    return parse_times(frame[cols.time], timezone=mapping.timezone, zones=zones, series=series)


def _long(path: Path, frame: pd.DataFrame, cols: Columns, mapping: ColumnMapping,
          places: np.ndarray, problems: dict[str, np.ndarray]) -> _Obs:
    """One observation a row (quantity from its column, else the value column's name)."""
    assert cols.value is not None
    ids, n = _ids(frame, cols, path), len(frame)
    if cols.quantity is not None:
        codes, names = pd.factorize(text(frame[cols.quantity]))
        quantity = np.array([quantity_name(q) for q in names], dtype=object)[codes]
    else:
        quantity = np.full(n, quantity_name(cols.value), dtype=object)
    unit = text(frame[cols.unit]).to_numpy(object) if cols.unit else np.full(n, "", object)
    series = pd.factorize(pd.Series(ids, dtype=str) + "\x1f" + quantity.astype(str))[0]
    times = _times(frame, cols, mapping, series)
    numbers = parse_numbers(frame[cols.value])
    bad = _Problems(problems, places)
    bad.flag("rows not read: no station id", ids == "")
    bad.flag("rows not read: no quantity", quantity == "")
    bad.flag("rows not read: no time", times.missing)
    bad.flag("rows not read: unparsable time", times.bad)
    bad.flag("rows not read: non-numeric value", numbers.bad)
    keep = ~bad.taken
    return _Obs(ids[keep], quantity[keep], unit[keep], times.ns[keep], numbers.values[keep],
                places[keep], times, ids)


def _wide(path: Path, frame: pd.DataFrame, cols: Columns, mapping: ColumnMapping,
          places: np.ndarray, problems: dict[str, np.ndarray]) -> _Obs:
    """A time column and one column per station (``"7570 pm25 (µg/m³)"``, ``"Oshawa"``) or,
    with a station column, one per quantity (``"pm25 [µg/m³]"``). Blank cells are no
    observation; a cell that is not a number is counted."""
    skip = cols.used | {c for c in (cols.sensor_id, cols.x, cols.y, cols.name, cols.zone) if c}
    ids, times = _ids(frame, cols, path), _times(frame, cols, mapping, None)
    bad = _Problems(problems, places)
    bad.flag("rows not read: no station id", ids == "")
    bad.flag("rows not read: no time", times.missing)
    bad.flag("rows not read: unparsable time", times.bad)
    parts, used, bad_cells = [], [], np.zeros(len(frame), bool)
    for column in (c for c in frame.columns if c not in skip):
        numbers = parse_numbers(frame[column])
        present = ~numbers.empty & ~numbers.bad & (numbers.non_finite | ~np.isnan(numbers.values))
        if not present.any() or numbers.bad.sum() > present.sum():
            continue  # blank or mostly text: a station attribute, not a series
        station, quantity, unit = split_wide(str(column))
        if cols.sensor_id is not None:
            station_ids, quantity = ids, quantity or quantity_name(column)
        else:
            station_ids, quantity = np.full(len(frame), station or ids[0], object), quantity
        keep = present & ~bad.taken
        bad_cells |= numbers.bad & ~bad.taken
        used.append(str(column))
        parts.append((station_ids[keep], np.full(keep.sum(), quantity or "value", object),
                      np.full(keep.sum(), unit or "", object), times.ns[keep],
                      numbers.values[keep], places[keep]))
    bad.flag("cells not read: non-numeric value", bad_cells)
    if not parts:
        raise ReaderError(path, f"has no value column (columns: {', '.join(map(str, frame))})",
                          hint='name it "value", or set mapping.value')
    station, quantity, unit, time, value, place = (np.concatenate(a) for a in zip(*parts))
    return _Obs(station, quantity, unit, time, value, place, times, ids, tuple(used))


# -- SensorData --------------------------------------------------------------------------
def _natural(ids: Sequence[str]) -> list[str]:
    """Numeric ids by value, then the others alphabetically."""
    return sorted(ids, key=lambda s: (not s.isdigit(), int(s) if s.isdigit() else 0, s))


def _target(path: Path, source: str, target_crs: str | None, x: np.ndarray,
            y: np.ndarray) -> str:
    """``target_crs`` checked to be projected in metres, or the UTM zone of the centre."""
    if target_crs is None:
        try:
            centre = LonLatTransformer(source).to_lonlat(
                (x.min() + x.max()) / 2, (y.min() + y.max()) / 2)
            return utm_crs_for(*centre)
        except ValueError as err:
            raise CRSError(path, f"cannot place the stations on Earth: {err}") from None
    try:
        target = normalize_crs(target_crs)
    except ValueError as err:
        raise CRSError(path, f"target CRS: {err}") from None
    if not is_projected_metric(target):
        raise CRSError(path, f"cannot use {crs_label(target)} as the target CRS: it is not "
                       "projected in metres", hint="use a UTM zone, e.g. EPSG:32617")
    return target


def _units(names: list[str], quantity: np.ndarray, unit: np.ndarray) -> tuple[dict, list[str]]:
    """The first unit given for each quantity; a note where a quantity has several."""
    units, notes = {}, []
    for code, name in enumerate(names):
        found = [u for u in pd.unique(unit[quantity == code]) if u]
        if found:
            units[name] = found[0]
        if len(found) > 1:
            notes.append(f"{name} comes in {len(found)} units ({', '.join(found)}): values are "
                         f"kept as they are, all labelled {found[0]}")
    return units, notes


def _assemble(path: Path, obs: _Obs, stations: Stations, target_crs: str | None,
              ground: tuple[RasterGrid, ...]) -> tuple[SensorData, str, dict]:
    """Join observations to placed stations, sort them, drop (and count) duplicates."""
    ok = np.isfinite(stations.x) & np.isfinite(stations.y) & (stations.ids != "")
    ok &= ~pd.Series(stations.ids).duplicated().to_numpy()
    lon, lat = np.abs(stations.x[ok]), np.abs(stations.y[ok])
    if stations.crs == "EPSG:4326" and ((lat > 90).any() or (lon > 180).any()):
        raise CRSError(stations.path, "station coordinates are not longitude/latitude degrees",
                       hint=_CRS_HINT)
    index = pd.Index(_natural(list(stations.ids[ok])), dtype=object)
    rows = np.flatnonzero(ok)[pd.Index(stations.ids[ok]).get_indexer(index)]
    station = index.get_indexer(obs.station)
    known = station >= 0
    if len(known) and not known.any():
        shown = ", ".join(map(str, pd.unique(obs.station)[:SHOWN]))
        where = f"in {stations.path.name}" if stations.from_file else "in the table"
        raise ReaderError(path, f"no station has coordinates {where} (stations {shown})",
                          hint="check that the station ids match" if stations.from_file
                          else "give a stations file with their coordinates")
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
    return data, target, {
        "duplicates": int(dup.sum()),
        "duplicate_places": tuple(int(i) for i in np.sort(p[dup])[:SHOWN]),
        "unknown_stations": tuple(unknown),
        "unknown_rows": int((~known).sum()),
        "notes": tuple(notes),
    }
