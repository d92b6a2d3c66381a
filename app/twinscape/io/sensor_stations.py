"""Read sensor stations: a stations file, or the coordinate columns of a table.

A stations file is vector data (GeoJSON, GeoPackage, anything OGR reads; a point on each
surface) or a CSV/Parquet table with coordinates, in any CRS (:func:`read_stations_file`);
:func:`stations_from_table` takes the stations from the coordinate columns of an
observations table. :func:`read_stations` reads a layer of stations with no observations
yet (one a live feed fills).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
import shapely

from twinscape.geo.crs import normalize_crs
from twinscape.io.file_checks import open_regular_file
from twinscape.io.sensor_cells import parse_numbers, text
from twinscape.io.sensor_columns import Columns, recognise
from twinscape.io.sensor_files import TABLE_EXTENSIONS, check_file, is_parquet, read_table
from twinscape.io.sensor_observations import Observations
from twinscape.io.sensor_times import Times
from twinscape.io.sensors_report import SensorsRead, SensorsReport
from twinscape.model.errors import CRSError, MissingCRSError, ReaderError
from twinscape.model.raster import RasterGrid
from twinscape.model.sensor_sources import ColumnMapping

if TYPE_CHECKING:
    from twinscape.io.sensors_table import Cancelled, Progress

_VECTOR_ERRORS = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError)
_CRS_HINT = 'set mapping.crs = "EPSG:xxxx" in the layer\'s [mapping] table'


# -- station files -----------------------------------------------------------------------
@dataclass(frozen=True)
class Stations:
    """Stations read: ids, coordinates in ``crs`` (NaN: none), attributes (id, name, ...)."""

    ids: np.ndarray
    x: np.ndarray
    y: np.ndarray
    crs: str
    attrs: pd.DataFrame
    path: Path
    from_file: bool = False
    notes: tuple[str, ...] = ()


def _attributes(ids: np.ndarray, attrs: pd.DataFrame, name: str | None) -> pd.DataFrame:
    """``attrs`` led by ``id`` and ``name`` (the name column's, else the id)."""
    table = attrs.reset_index(drop=True)
    names = table.pop(name) if name in table.columns else pd.Series(ids)
    table = table.rename(columns={c: f"{c} (source)" for c in ("id", "name") if c in table})
    table.insert(0, "id", pd.Series(ids, dtype=object))
    table.insert(1, "name", text(names).to_numpy(object))
    return table


def _coords_crs(path: Path, cols: Columns, mapping: ColumnMapping) -> str:
    if mapping.crs is not None:
        try:
            return normalize_crs(mapping.crs)
        except ValueError as err:
            raise CRSError(path, f"mapping.crs is unusable: {err}") from None
    if cols.lonlat or mapping.x is not None:
        return "EPSG:4326"
    raise MissingCRSError(path, f"has x/y columns ({cols.x}, {cols.y}) but no CRS", hint=_CRS_HINT)


def stations_from_table(path: Path, frame: pd.DataFrame, cols: Columns, row_ids: np.ndarray,
                        mapping: ColumnMapping, columns: Sequence[str] = ()) -> Stations:
    """Stations from a table's coordinate columns: each at its first position, with the
    first value of every column that is not an observation field (or in ``columns``)."""
    if cols.x is None or cols.y is None:
        raise ReaderError(path, "has no station coordinates (latitude/longitude or x/y columns)",
                          hint="give a stations file (GeoJSON, GeoPackage or CSV with "
                          "coordinates), or set mapping.x and mapping.y")
    crs = _coords_crs(path, cols, mapping)
    x, y = parse_numbers(frame[cols.x]).values, parse_numbers(frame[cols.y]).values
    ok = np.isfinite(x) & np.isfinite(y) & (row_ids != "")
    if not ok.any():
        raise ReaderError(path, f"has no station coordinates: {cols.x!r} and {cols.y!r} hold "
                          "no numbers")
    first = np.flatnonzero(ok)[~pd.Series(row_ids[ok]).duplicated().to_numpy()]
    places = pd.DataFrame({"id": row_ids[ok], "x": x[ok], "y": y[ok]}).drop_duplicates()
    moved = int(places["id"].duplicated().sum())
    notes = (f"{moved} stations report more than one position: the first is used",) * bool(moved)
    skip = cols.used | {cols.sensor_id, *columns}
    attrs = frame.iloc[first][[c for c in frame.columns if c not in skip]]
    ids = row_ids[first]
    return Stations(ids, x[first], y[first], crs, _attributes(ids, attrs, cols.name), path,
                    notes=notes)


def read_stations_file(path: Path, mapping: ColumnMapping) -> Stations:
    """Stations of a vector file (points; a point on each surface) or of a table."""
    check_file(path)
    with open_regular_file(path) as handle:  # never blocks, should a FIFO be swapped in
        head = handle.read(8)
    own = {k: v for k, v in mapping.as_dict().items() if k in ("sensor_id", "x", "y", "crs")}
    if path.name.lower().endswith(TABLE_EXTENSIONS) or is_parquet(path, head):
        frame = read_table(path)[0]
        own = {k: v for k, v in own.items() if k == "crs" or v in frame.columns}
        cols = recognise(frame.columns, ColumnMapping(**own), need_time=False)
        if cols.sensor_id is None:
            raise ReaderError(path, "has no station id column",
                              hint="name it station_id, or set mapping.sensor_id")
        ids = text(frame[cols.sensor_id]).to_numpy(object)
        stations = stations_from_table(path, frame, cols, ids, ColumnMapping(**own))
        return replace(stations, from_file=True)
    try:
        layer = pyogrio.read_dataframe(path)
    except _VECTOR_ERRORS as err:
        problem = " ".join(str(err).replace(str(path), path.name).split())[:160]
        raise ReaderError(path, f"GDAL cannot read it as vector data: {problem}") from err
    columns = [c for c in layer.columns if c != layer.geometry.name]
    given = {"sensor_id": own["sensor_id"]} if own.get("sensor_id") in columns else {}
    cols = recognise(columns, ColumnMapping(**given), need_time=False)
    if cols.sensor_id is None:
        raise ReaderError(path, f"has no station id attribute (attributes: {', '.join(columns)})",
                          hint="name it station_id, or set mapping.sensor_id")
    if layer.crs is None and mapping.crs is None:
        raise MissingCRSError(path, "has no coordinate reference system", hint=_CRS_HINT)
    try:
        crs = normalize_crs(layer.crs if layer.crs is not None else mapping.crs)
    except ValueError as err:
        raise CRSError(path, f"its CRS is unusable: {err}") from None
    geoms = np.asarray(layer.geometry.array, dtype=object)
    points = np.where(shapely.get_type_id(geoms) == 0, geoms, shapely.point_on_surface(geoms))
    ids = text(layer[cols.sensor_id]).to_numpy(object)
    attrs = pd.DataFrame(layer[[c for c in columns if c != cols.sensor_id]])
    return Stations(ids, shapely.get_x(points), shapely.get_y(points), crs,
                    _attributes(ids, attrs, cols.name), path, from_file=True)


def read_stations(
    source: str | os.PathLike[str],
    *,
    mapping: ColumnMapping,
    target_crs: str | None,
    ground: Sequence[RasterGrid] = (),
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> SensorsRead:
    """Stations with no observations yet (a layer a live feed fills), as
    :func:`~twinscape.io.sensors_table.read_sensors`.

    ``source`` is a stations file (vector points, or a table with coordinates).
    """
    from twinscape.io.sensor_assembly import assemble  # both import this module
    from twinscape.io.sensors_table import _Step

    path = Path(source)
    step = _Step(path, progress, cancelled)
    step.report(0.05)
    stations = read_stations_file(path, mapping)
    step.report(0.7)
    none, empty = np.zeros(0, object), np.zeros(0, np.int64)
    times = Times(ns=empty, bad=np.zeros(0, bool), missing=np.zeros(0, bool))
    obs = Observations(none, none, none, empty, np.zeros(0), empty, times, stations.ids)
    data, target, found = assemble(path, obs, stations, target_crs, tuple(ground))
    if data.count == 0:
        raise ReaderError(path, "has no station with coordinates and an id")
    report = SensorsReport(rows=len(stations.ids), observations=0, stations=data.count,
                           notes=(*stations.notes, *found.pop("notes")), **found)
    step.report(1.0)
    return SensorsRead(data=data, source_crs=stations.crs, target_crs=target, report=report)
