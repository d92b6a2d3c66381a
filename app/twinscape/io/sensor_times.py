"""Sensor table times: a column in any common form to int64 nanoseconds UTC.

ISO text with ``Z``, ``UTC`` or an offset; naive text in an IANA zone, given or per row
from a time-zone column (both sides of a daylight-saving change resolved and counted);
epoch numbers in s, ms, µs or ns by their size; or datetimes (:func:`parse_times`).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from twinscape.io.sensor_cells import text
from twinscape.io.sensor_columns import MappingError

_OFFSET = r"\d:\d\d(?::\d\d(?:[.,]\d+)?)?\s*(?:Z|[+-]\d\d(?::?\d\d)?)$"  # RE2-safe (pyarrow)
_UTC_WORD = re.compile(r"\s*(?:UTC|GMT)$", re.IGNORECASE)


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
    part = _localise(
        parsed,
        parsed.isna().to_numpy(),
        np.zeros(naive.sum(), bool),
        timezone,
        None if zones is None else zones[naive],
        None if series is None else series[naive],
    )
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
