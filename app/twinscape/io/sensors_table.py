"""Read sensor stations and their observations (CSV or Parquet) into :class:`SensorData`.

Observations come long (one a row: time, station, quantity, value, unit) or wide (a time
column and one column per station or per quantity); stations stand in the same table
(latitude/longitude or x/y columns, as OpenAQ exports have) or in a file of their own
(GeoJSON, GeoPackage, or a table with coordinates), in any CRS. Nothing is dropped
silently: rows that cannot be read are counted with their line numbers (as an editor
shows them, the header being line 1), and so are gaps, duplicates, local times resolved
around daylight-saving changes and stations without coordinates (:class:`SensorsReport`).

The steps live beside this module: the table file (sensor_files.py), its columns
(sensor_columns.py), cells and times (sensor_cells.py, sensor_times.py), long or wide
observations (sensor_observations.py), stations (sensor_stations.py), joining them into
:class:`SensorData` (sensor_assembly.py) and the report (sensors_report.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from twinscape.io.sensor_assembly import assemble
from twinscape.io.sensor_columns import MappingError, recognise
from twinscape.io.sensor_files import read_table
from twinscape.io.sensor_observations import read_long, read_wide
from twinscape.io.sensor_stations import read_stations_file, stations_from_table
from twinscape.io.sensor_times import check_zone
from twinscape.io.sensors_report import SHOWN, SensorsRead, SensorsReport
from twinscape.model.errors import LoadCancelled, ReaderError
from twinscape.model.raster import RasterGrid
from twinscape.model.sensor_sources import ColumnMapping

Progress = Callable[[float], None]
Cancelled = Callable[[], bool]


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
    obs = (read_long if long else read_wide)(path, frame, cols, mapping, places, problems)
    step.report(0.7)
    if stations_source is not None:
        stations = read_stations_file(Path(stations_source), mapping)
    else:
        stations = stations_from_table(path, frame, cols, obs.row_ids, mapping, obs.columns)
    step.report(0.85)
    data, target, found = assemble(path, obs, stations, target_crs, tuple(ground))
    notes = (*stations.notes, *found.pop("notes"))
    report = SensorsReport(
        rows=len(frame),
        observations=len(data.obs_time),
        stations=data.count,
        where=where,
        malformed=tuple(
            (why, len(at), tuple(int(p) for p in np.sort(at)[:SHOWN]))
            for why, at in problems.items()
            if len(at)
        ),
        non_finite=int(np.isnan(data.obs_value).sum()),
        ambiguous_times=obs.times.ambiguous,
        nonexistent_times=obs.times.nonexistent,
        naive_utc=obs.times.naive_utc,
        notes=notes,
        **found,
    )
    step.report(1.0)
    return SensorsRead(data=data, source_crs=stations.crs, target_crs=target, report=report)


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
