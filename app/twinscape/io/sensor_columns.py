"""Sensor table columns: which column holds what, recognised by its name.

Column names are compared without case or punctuation (``datetimeUtc``, ``date_time`` and
``Date Time`` all match), so common exports (OpenAQ, weather stations, loggers) are read
without configuration; every non-None field of a
:class:`~twinscape.model.sensor_sources.ColumnMapping` overrides what is recognised. A wide
table's column name may give a station, a quantity and a unit (:func:`split_wide`).
Cells are read by sensor_cells.py and sensor_times.py, files by sensor_files.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from twinscape.model.sensor_sources import ColumnMapping

#: Recognised column names (as :func:`norm` writes them), best first.
UTC_TIME_NAMES = ("datetimeutc", "timeutc", "timestamputc", "utctime", "utcdatetime", "utc")
TIME_NAMES = ("time", "timestamp", "datetime", "date", "observedat", "measuredat")
LOCAL_TIME_NAMES = ("datetimelocal", "localtime", "timelocal", "localdatetime")
ID_NAMES = (
    "sensorid",
    "stationid",
    "locationid",
    "siteid",
    "deviceid",
    "sensor",
    "station",
    "site",
    "device",
    "id",
    "location",
)
QUANTITY_NAMES = ("quantity", "parameter", "variable", "pollutant", "measurand", "param")
VALUE_NAMES = ("value", "reading", "measurement", "concentration", "val")
UNIT_NAMES = ("unit", "units", "uom")
LAT_NAMES, LON_NAMES = ("latitude", "lat"), ("longitude", "lon", "lng", "long")
X_NAMES, Y_NAMES = ("x", "easting"), ("y", "northing")
NAME_NAMES = ("name", "locationname", "stationname", "sitename", "sensorname", "label")
ZONE_NAMES = ("timezone", "tz", "tzname")
#: Quantities a wide column's name is recognised by (after :func:`quantity_name`).
KNOWN_QUANTITIES = frozenset(
    "pm1 pm25 pm4 pm10 no no2 nox o3 co co2 so2 h2s nh3 ch4 bc voc um003 temperature "
    "relativehumidity humidity pressure windspeed winddirection rainfall precipitation "
    "noise".split()
)
#: Quantities listed first (a layer shows its first), then the others alphabetically.
QUANTITY_ORDER = (
    "pm25",
    "pm10",
    "o3",
    "no2",
    "so2",
    "co",
    "pm1",
    "temperature",
    "relativehumidity",
)

_ALIASES = {"temp": "temperature", "rh": "relativehumidity", "ozone": "o3"}
_UNIT_SUFFIX = re.compile(r"^(.*?)\s*[(\[]([^)\]]*)[)\]]\s*$")
_SEPARATORS = re.compile(r"[\s_|:/@]+")


class MappingError(ValueError):
    """A mapped column is missing or no time column is found (the reader adds the path)."""

    def __init__(self, problem: str, hint: str | None = None) -> None:
        super().__init__(problem)
        self.problem, self.hint = problem, hint


def norm(name: object) -> str:
    """A name without case or punctuation (``"datetimeUtc"`` -> ``"datetimeutc"``)."""
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


def quantity_name(name: object) -> str:
    """The quantity's normal name: ``"PM2.5"`` -> ``"pm25"``, ``"NO2"`` -> ``"no2"``."""
    key = norm(name)
    return _ALIASES.get(key, key)


def quantity_order(names: Sequence[str]) -> list[str]:
    """``names`` without repeats, :data:`QUANTITY_ORDER` first, then alphabetically."""
    rank = {q: i for i, q in enumerate(QUANTITY_ORDER)}
    return sorted(set(names), key=lambda q: (rank.get(q, len(rank)), q))


# -- columns ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Columns:
    """The column of each field (None: absent); ``times`` lists every time-like column
    (the chosen one first); ``lonlat``: ``x``/``y`` are longitude/latitude."""

    time: str | None
    times: tuple[str, ...]
    sensor_id: str | None
    quantity: str | None
    value: str | None
    unit: str | None
    x: str | None
    y: str | None
    lonlat: bool
    name: str | None
    zone: str | None

    @property
    def used(self) -> set[str]:
        """Columns of observation fields (not station attributes)."""
        return {c for c in (*self.times, self.quantity, self.value, self.unit) if c}


def recognise(columns: Sequence[str], mapping: ColumnMapping, *, need_time: bool = True) -> Columns:
    """The column of each field: the mapping's where given, else a recognised name.

    A UTC time column is preferred to a plain one, and both to a local one.

    Raises
    ------
    MappingError
        A mapped column does not exist, or ``need_time`` and no time column is found.
    """
    columns = [str(c) for c in columns]
    shown = ", ".join(columns[:20]) + (", ..." if len(columns) > 20 else "")
    given = {k: v for k, v in mapping.as_dict().items() if k not in ("layout", "timezone", "crs")}
    for key, column in given.items():
        if column not in columns:
            raise MappingError(f"mapping.{key} {column!r} is not a column (columns: {shown})")
    by_norm: dict[str, str] = {}
    for column in columns:
        by_norm.setdefault(norm(column), column)
    taken = set(given.values())

    def pick(field: str | None, *groups: Sequence[str]) -> str | None:
        if field is not None and field in given:
            return given[field]
        for name in (name for group in groups for name in group):
            column = by_norm.get(name)
            if column is not None and column not in taken:
                taken.add(column)
                return column
        return None

    every_time = (*UTC_TIME_NAMES, *TIME_NAMES, *LOCAL_TIME_NAMES)
    time = pick("time", UTC_TIME_NAMES, TIME_NAMES, LOCAL_TIME_NAMES)
    if time is None and need_time:
        raise MappingError(
            f"no time column found (columns: {shown})",
            hint='name one time, timestamp or datetimeUtc, or set mapping.time = "<column>" '
            "in the layer's [mapping] table",
        )
    times = tuple(
        dict.fromkeys([c for c in [time] if c] + [c for c in columns if norm(c) in every_time])
    )
    sensor_id, quantity = pick("sensor_id", ID_NAMES), pick("quantity", QUANTITY_NAMES)
    value, unit = pick("value", VALUE_NAMES), pick("unit", UNIT_NAMES)
    lonlat = "x" not in given and "y" not in given
    if lonlat:
        x, y = pick(None, LON_NAMES), pick(None, LAT_NAMES)
        if x is None or y is None:
            x, y, lonlat = pick(None, X_NAMES), pick(None, Y_NAMES), False
    else:
        x, y = given.get("x"), given.get("y")
    name, zone = pick(None, NAME_NAMES), pick(None, ZONE_NAMES)
    return Columns(time, times, sensor_id, quantity, value, unit, x, y, lonlat, name, zone)


def looks_like_sensor_table(columns: Sequence[str], *, parquet: bool = False) -> bool:
    """True when a header has a time column and (for a text table) a value or station
    column, or a column named after a quantity (``pm25``, ``7570 no2``)."""
    try:
        found = recognise(columns, ColumnMapping())
    except MappingError:
        return False
    named = any(split_wide(str(c))[1] for c in columns if c not in found.times)
    return parquet or found.value is not None or found.sensor_id is not None or named


def split_wide(column: str) -> tuple[str | None, str | None, str | None]:
    """(station, quantity, unit) that a wide column's name gives, None for what it does not.

    ``"pm25"`` -> (None, "pm25", None); ``"7570 pm2.5 (µg/m³)"`` -> ("7570", "pm25",
    "µg/m³"); ``"Toronto West"`` -> ("Toronto West", None, None).
    """
    unit = None
    base = column.strip()
    match = _UNIT_SUFFIX.match(base)
    if match and match.group(1):
        base, unit = match.group(1), match.group(2).strip() or None
    if quantity_name(base) in KNOWN_QUANTITIES:
        return None, quantity_name(base), unit
    for cut in [m for m in _SEPARATORS.finditer(base) if m.start() > 0][-3:]:
        if quantity_name(base[cut.end() :]) in KNOWN_QUANTITIES:
            return base[: cut.start()], quantity_name(base[cut.end() :]), unit
    return base, None, unit
