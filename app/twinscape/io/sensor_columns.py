"""Sensor tables as files, columns and cells: what each column holds and what its cells say.

Column names are compared without case or punctuation (``datetimeUtc``, ``date_time`` and
``Date Time`` all match), so common exports (OpenAQ, weather stations, loggers) are read
without configuration; every non-None field of a
:class:`~twinscape.model.sensors.ColumnMapping` overrides what is recognised. Times become
int64 nanoseconds UTC: ISO text with ``Z`` or an offset, naive text in an IANA zone (both
sides of a daylight-saving change resolved and counted), epoch numbers, or datetimes.
Tables are read whole (CSV through pandas' C parser, Parquet through pyarrow), after a
``stat`` that refuses pipes, devices and files over :data:`MAX_BYTES`.
"""

from __future__ import annotations

import codecs
import csv
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from twinscape.io.file_checks import check_regular_file, read_head
from twinscape.model.errors import ReaderError
from twinscape.model.sensors import ColumnMapping

#: Observation tables this reader opens (by suffix; a Parquet file is also known by content).
TABLE_EXTENSIONS: tuple[str, ...] = (".csv", ".tsv", ".parquet")
#: Larger files are refused: a table is read into memory whole.
MAX_BYTES = 2 * 1024**3

#: Recognised column names (as :func:`norm` writes them), best first.
UTC_TIME_NAMES = ("datetimeutc", "timeutc", "timestamputc", "utctime", "utcdatetime", "utc")
TIME_NAMES = ("time", "timestamp", "datetime", "date", "observedat", "measuredat")
LOCAL_TIME_NAMES = ("datetimelocal", "localtime", "timelocal", "localdatetime")
ID_NAMES = ("sensorid", "stationid", "locationid", "siteid", "deviceid", "sensor", "station",
            "site", "device", "id", "location")
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
QUANTITY_ORDER = ("pm25", "pm10", "o3", "no2", "so2", "co", "pm1", "temperature",
                  "relativehumidity")

_ALIASES = {"temp": "temperature", "rh": "relativehumidity", "ozone": "o3"}
_OFFSET = r"\d:\d\d(?::\d\d(?:[.,]\d+)?)?\s*(?:Z|[+-]\d\d(?::?\d\d)?)$"  # RE2-safe (pyarrow)
_UTC_WORD = re.compile(r"\s*(?:UTC|GMT)$", re.IGNORECASE)
_UNIT_SUFFIX = re.compile(r"^(.*?)\s*[(\[]([^)\]]*)[)\]]\s*$")
_SEPARATORS = re.compile(r"[\s_|:/@]+")
_NAN_WORDS = frozenset({"nan", "inf", "+inf", "-inf", "infinity", "-infinity", "+infinity"})
_PARQUET = (".parquet", ".pq")
_SKIPPED = re.compile(r"Skipping line (\d+)")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_TABLE_HINT = "save it as a UTF-8 CSV or Parquet table"


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
    times = tuple(dict.fromkeys([c for c in [time] if c] + [c for c in columns
                                                             if norm(c) in every_time]))
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


# -- cells --------------------------------------------------------------------------------
def text(values: pd.Series) -> pd.Series:
    """Cells as stripped text, ``""`` where missing; whole floats without ``.0`` (ids)."""
    if pd.api.types.is_float_dtype(values.dtype):
        whole = values.notna() & (values % 1 == 0)
        out = values.astype(object).where(~whole, values.where(whole, 0).astype("int64"))
        return out.where(values.notna(), "").astype(str)
    if isinstance(values.dtype, pd.StringDtype):
        return values.fillna("").str.strip()
    return values.astype(object).where(values.notna(), "").astype(str).str.strip()


@dataclass(frozen=True)
class Numbers:
    """float64 values (NaN where non-finite), and where cells are not numbers or blank."""

    values: np.ndarray
    bad: np.ndarray
    empty: np.ndarray
    non_finite: np.ndarray


def parse_numbers(values: pd.Series) -> Numbers:
    """The numbers of a column; a decimal comma (``"12,5"``) is read as a point."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        out = values.to_numpy(dtype=np.float64, na_value=np.nan)
        empty = values.isna().to_numpy()
        bad = np.zeros(len(out), bool)
    else:
        cells = text(values)
        empty = (cells == "").to_numpy()
        try:  # pyarrow's cast is fast when every cell is a plain number
            array = pa.array(cells.to_numpy(object), pa.string(), mask=empty)
            parsed = pd.Series(pc.cast(array, pa.float64()).to_numpy(zero_copy_only=False))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            parsed = pd.to_numeric(cells, errors="coerce").reset_index(drop=True)
            comma = (parsed.isna() & cells.str.contains(",", regex=False)).to_numpy()
            if comma.any():
                decimals = cells[comma].str.replace(",", ".", regex=False)
                parsed[comma] = pd.to_numeric(decimals, errors="coerce").to_numpy()
        out = parsed.to_numpy(dtype=np.float64, na_value=np.nan)
        words = cells.str.lower().isin(_NAN_WORDS).to_numpy()
        bad = np.isnan(out) & ~empty & ~words
    non_finite = ~np.isfinite(out) & ~bad & ~empty
    return Numbers(np.where(np.isfinite(out), out, np.nan), bad, empty, non_finite)


@dataclass(frozen=True)
class Times:
    """int64 ns UTC (0 where ``bad`` or ``missing``) and what resolving them took."""

    ns: np.ndarray
    bad: np.ndarray
    missing: np.ndarray
    ambiguous: int = 0
    nonexistent: int = 0
    naive_utc: int = 0


def check_zone(zone: str) -> None:
    """Raise MappingError unless ``zone`` names an IANA time zone."""
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise MappingError(
            f"mapping.timezone {zone!r} is not an IANA time zone",
            hint='write e.g. "America/Toronto" or "Asia/Riyadh"',
        ) from None


def parse_times(
    values: pd.Series,
    *,
    timezone: str | None = None,
    zones: pd.Series | None = None,
    series: np.ndarray | None = None,
) -> Times:
    """The times of a column as int64 ns UTC.

    Parameters
    ----------
    values
        ISO 8601 text (or what pandas guesses), epoch numbers (s, ms, µs or ns by their
        size), or datetimes.
    timezone
        IANA zone of times without an offset; None: per row from ``zones``, else UTC
        (counted in :attr:`Times.naive_utc`).
    series
        Per-row key of the series a row belongs to: a local time that occurs twice (the
        hour after clocks go back) is the earlier instant at its first row in a series
        and the later one after. A time in the gap of clocks going forward is read with
        the offset before the change.
    """
    missing = values.isna().to_numpy()
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return Times(_ns(values), missing, missing)
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return _localise(values, missing, missing, timezone, zones, series)
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        return _epoch(values.to_numpy(np.float64, na_value=np.nan), missing)
    cells = text(values)
    missing = (cells == "").to_numpy()
    sample = pd.to_numeric(cells[~missing][:100], errors="coerce")
    if sample.notna().sum() > len(sample) / 2:
        return _epoch(pd.to_numeric(cells, errors="coerce").to_numpy(np.float64), missing)
    worded = cells.str[-3:].str.upper().isin(("UTC", "GMT"))
    if worded.any():
        cells[worded] = cells[worded].str.replace(_UTC_WORD, "Z", regex=True)
    aware = cells.str.endswith("Z").to_numpy(bool) & ~missing
    if (rest := ~aware & ~missing).any():  # an offset (+03:00)? only where no Z
        aware[rest] = cells[rest].str[-32:].str.contains(_OFFSET, case=False).to_numpy(bool)
    ns, bad = np.zeros(len(cells), np.int64), missing.copy()
    if aware.any():
        parsed = _to_datetime(cells[aware], utc=True)
        ns[aware], bad[aware] = _ns(parsed), parsed.isna().to_numpy()
    naive = ~aware & ~missing
    if not naive.any():
        return Times(ns, bad, missing)
    parsed = _to_datetime(cells[naive], utc=False)
    part = _localise(parsed, parsed.isna().to_numpy(), np.zeros(naive.sum(), bool), timezone,
                     None if zones is None else zones[naive],
                     None if series is None else series[naive])
    ns[naive], bad[naive] = part.ns, part.bad
    return Times(ns, bad, missing, part.ambiguous, part.nonexistent, part.naive_utc)


def _to_datetime(cells: pd.Series, *, utc: bool) -> pd.Series:
    """ISO 8601, then pandas' guess for what is left (``09/15/2025 12:00``); ns unit."""
    parsed = pd.to_datetime(cells, utc=utc, format="ISO8601", errors="coerce").dt.as_unit("ns")
    retry = parsed.isna()
    if retry.any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            guess = pd.to_datetime(cells[retry], utc=utc, format="mixed", errors="coerce")
        usable = pd.api.types.is_datetime64_any_dtype(guess.dtype) and guess.notna().any()
        if usable and str(guess.dt.tz) == str(parsed.dt.tz):  # not a stray offset among naive
            parsed[retry] = guess.dt.as_unit("ns")
    return parsed


def _ns(times: pd.Series) -> np.ndarray:
    """Aware (or UTC-naive) datetimes -> int64 ns since the epoch (0 for NaT)."""
    index = pd.DatetimeIndex(times)
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    ns = index.as_unit("ns").asi8.copy()
    ns[index.isna()] = 0
    return ns


def _epoch(numbers: np.ndarray, missing: np.ndarray) -> Times:
    """Epoch numbers in the unit their size says: s, ms, µs or ns since 1970."""
    ok = np.isfinite(numbers)
    size = float(np.median(np.abs(numbers[ok]))) if ok.any() else 0.0
    scale = 1e9 if size < 1e11 else 1e6 if size < 1e14 else 1e3 if size < 1e17 else 1.0
    ns = np.where(ok, np.round(np.where(ok, numbers, 0) * scale), 0).astype(np.int64)
    return Times(ns, ~ok, missing)


def _localise(
    naive: pd.Series,
    bad: np.ndarray,
    missing: np.ndarray,
    timezone: str | None,
    zones: pd.Series | None,
    series: np.ndarray | None,
) -> Times:
    """Naive datetimes read in ``timezone`` (else per-row ``zones``, else UTC) -> ns UTC."""
    ns, bad, valid = np.zeros(len(naive), np.int64), bad.copy(), ~bad
    if timezone is None and zones is None:
        ns[valid] = _ns(naive[valid])
        return Times(ns, bad, missing, naive_utc=int(valid.sum()))
    names = np.full(len(naive), timezone, object) if timezone else text(zones).to_numpy(object)
    keys = np.zeros(len(naive), np.int64) if series is None else np.asarray(series)
    ambiguous = nonexistent = naive_utc = 0
    for zone in pd.unique(names):
        rows = (names == zone) & valid
        if not rows.any():
            continue
        try:
            tz = ZoneInfo(zone) if zone else None
        except (ZoneInfoNotFoundError, ValueError):
            bad |= rows  # an unknown zone in a time-zone column
            continue
        if tz is None:
            ns[rows], naive_utc = _ns(naive[rows]), naive_utc + int(rows.sum())
            continue
        local = naive[rows].dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
        part, hard = _ns(local), local.isna().to_numpy()
        if hard.any():
            index = np.flatnonzero(rows)[hard]
            part[hard], twice, never = _resolve(naive.iloc[index], keys[index], tz)
            ambiguous, nonexistent = ambiguous + twice, nonexistent + never
        ns[rows] = part
    return Times(ns, bad, missing, ambiguous, nonexistent, naive_utc)


def _resolve(naive: pd.Series, keys: np.ndarray, zone: ZoneInfo) -> tuple[np.ndarray, int, int]:
    """ns UTC of local times that occur twice or never, and how many of each."""
    out = np.zeros(len(naive), np.int64)
    seen: dict[tuple[int, datetime], int] = {}
    twice = never = 0
    for i, (stamp, key) in enumerate(zip(naive, keys)):
        wall = stamp.to_pydatetime().replace(tzinfo=zone)
        before, after = wall.utcoffset(), wall.replace(fold=1).utcoffset()
        assert before is not None and after is not None
        if before > after:  # clocks went back: the earlier instant first, then the later
            fold = min(seen.get((int(key), wall), 0), 1)
            seen[(int(key), wall)] = fold + 1
            offset, twice = (before, after)[fold], twice + 1
        else:  # clocks went forward: read with the offset before the change
            offset, never = before, never + 1
        out[i] = (stamp - pd.Timedelta(offset)).as_unit("ns").value
    return out, twice, never


# -- files --------------------------------------------------------------------------------
def check_file(path: Path) -> None:
    """ReaderError unless ``path`` is a non-empty regular file within :data:`MAX_BYTES`
    (by ``stat`` only: a FIFO or a device is never opened)."""
    check_regular_file(path, hint="give a CSV or Parquet table", max_bytes=MAX_BYTES,
                       limit_hint="split it into several files (e.g. by month)")


def is_parquet(path: Path, head: bytes) -> bool:
    """By its suffix, or by the ``PAR1`` magic of a file named otherwise."""
    return path.name.lower().endswith(_PARQUET) or head[:4] == b"PAR1"


def text_encoding(path: Path, head: bytes) -> str:
    """``utf-8-sig``, else ``cp1252`` (an Excel export); ReaderError for binary data."""
    if b"\0" in head:
        raise ReaderError(path, "holds binary data, not a text table", hint=_TABLE_HINT)
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            decoded = codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        if not _CONTROL.search(decoded):
            return encoding
    raise ReaderError(path, "is not text (neither UTF-8 nor Windows-1252)", hint=_TABLE_HINT)


def _delimiter(header: str) -> str:
    return max((",", ";", "\t"), key=header.count)


def header_of(path: Path) -> list[str] | None:
    """Column names of a regular file (a CSV's first line, a Parquet schema); None if unreadable."""
    head = read_head(path, 65536)
    if head is None:
        return None
    try:
        if is_parquet(path, head):
            return list(pq.read_schema(path).names)
        first = head.decode(text_encoding(path, head), errors="replace").splitlines()[:1]
        return next(csv.reader(first, delimiter=_delimiter(first[0]))) if first else None
    except (OSError, ReaderError, pa.ArrowException, StopIteration):
        return None


def read_table(path: Path) -> tuple[pd.DataFrame, np.ndarray, str, dict[str, np.ndarray]]:
    """A CSV or Parquet table read whole (CSV cells as text).

    Returns
    -------
    (frame, places, where, problems)
        The rows; the place of each (``where`` says ``"line"``: the editor line a CSV row
        starts on, the header being line 1; or ``"row"``: 1-based Parquet rows); and the
        places of lines the parser could not read or that are blank, by reason.
    """
    check_file(path)
    with open(path, "rb") as handle:
        head = handle.read(65536)
    if is_parquet(path, head):
        try:
            frame = pq.read_table(path).to_pandas()
        except (pa.ArrowException, OSError) as err:
            problem = " ".join(str(err).split())[:160]
            raise ReaderError(path, f"is not a readable Parquet file: {problem}",
                              hint="it may be truncated or corrupt: write it again") from err
        if frame.empty:
            raise ReaderError(path, "has no rows")
        return frame, np.arange(1, len(frame) + 1), "row", {}
    encoding = text_encoding(path, head)
    sep = _delimiter(head.decode(encoding, errors="replace").partition("\n")[0])
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding=encoding,
                                skip_blank_lines=False, on_bad_lines="warn")
    except pd.errors.EmptyDataError:
        raise ReaderError(path, "has no header line") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as err:
        problem = " ".join(str(err).split()).replace("C error: ", "")[:160]
        raise ReaderError(path, f"cannot be read as a table: {problem}", hint=_TABLE_HINT) from err
    skipped = sorted(int(n) for w in caught for n in _SKIPPED.findall(str(w.message)))
    places, skipped_at = _line_numbers(frame, skipped)
    blank = (frame == "").all(axis=1).to_numpy()
    if blank.all():
        raise ReaderError(path, "has a header but no rows")
    problems = {"lines not read: wrong number of fields": skipped_at,
                "blank lines ignored": places[blank]}
    return frame[~blank].reset_index(drop=True), places[~blank], "line", problems


def _line_numbers(frame: pd.DataFrame, skipped: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Editor lines of the rows and of the records pandas skipped (it numbers records:
    a quoted cell holding newlines moves every later record down by as many lines)."""
    newlines = np.zeros(len(frame), np.int64)
    for column in frame.columns:
        has = frame[column].str.contains("\n", regex=False).to_numpy(bool, na_value=False)
        if has.any():
            newlines[has] += frame[column][has].str.count("\n").to_numpy(np.int64)
    records = np.arange(2, len(frame) + len(skipped) + 2)
    rows = records[~np.isin(records, skipped)]
    before = np.concatenate([[0], np.cumsum(newlines)])
    skipped_at = np.asarray(skipped, np.int64)
    return rows + before[:-1], skipped_at + before[np.searchsorted(rows, skipped_at)]
