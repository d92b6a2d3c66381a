"""Sensor observations from a table's rows, long or wide, with what could not be read.

Long: one observation a row (time, station, quantity, value, unit). Wide: a time column
and one value column per station or, with a station column, per quantity. A row that
cannot be read is counted once, at its place, under the first reason found.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from twinscape.io.sensor_cells import parse_numbers, text
from twinscape.io.sensor_columns import Columns, quantity_name, split_wide
from twinscape.io.sensor_times import Times, parse_times
from twinscape.model.errors import ReaderError
from twinscape.model.sensor_sources import ColumnMapping


@dataclass(frozen=True)
class Observations:
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


def _times(
    frame: pd.DataFrame, cols: Columns, mapping: ColumnMapping, series: np.ndarray | None
) -> Times:
    """The time column; naive times in the mapping's zone, else a time-zone column's."""
    assert cols.time is not None
    zones = frame[cols.zone] if cols.zone and mapping.timezone is None else None
    return parse_times(frame[cols.time], timezone=mapping.timezone, zones=zones, series=series)


def read_long(
    path: Path,
    frame: pd.DataFrame,
    cols: Columns,
    mapping: ColumnMapping,
    places: np.ndarray,
    problems: dict[str, np.ndarray],
) -> Observations:
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
    return Observations(
        ids[keep],
        quantity[keep],
        unit[keep],
        times.ns[keep],
        numbers.values[keep],
        places[keep],
        times,
        ids,
    )


def read_wide(
    path: Path,
    frame: pd.DataFrame,
    cols: Columns,
    mapping: ColumnMapping,
    places: np.ndarray,
    problems: dict[str, np.ndarray],
) -> Observations:
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
        parts.append(
            (
                station_ids[keep],
                np.full(keep.sum(), quantity or "value", object),
                np.full(keep.sum(), unit or "", object),
                times.ns[keep],
                numbers.values[keep],
                places[keep],
            )
        )
    bad.flag("cells not read: non-numeric value", bad_cells)
    if not parts:
        raise ReaderError(
            path,
            f"has no value column (columns: {', '.join(map(str, frame))})",
            hint='name it "value", or set mapping.value',
        )
    station, quantity, unit, time, value, place = (np.concatenate(a) for a in zip(*parts))
    return Observations(station, quantity, unit, time, value, place, times, ids, tuple(used))
