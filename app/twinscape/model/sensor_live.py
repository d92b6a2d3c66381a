"""Live sensor values: the newest observation per (station, quantity), updated in place.

A live feed (io/mqtt_feed.py) runs on its own thread; the GUI thread drains it with
a timer and calls :meth:`LiveState.apply`, which writes into preallocated arrays and
emits :attr:`LiveState.updated` once, so visuals recolour in place instead of
rebuilding anything per message. :func:`latest_merged` is what a station shows at a
clock time: its history's latest observation, or the live value where that is newer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from psygnal import Signal

from twinscape.model.clock import NS

if TYPE_CHECKING:
    from twinscape.model.sensor_data import SensorData

#: "No observation yet" in :attr:`LiveState.time`.
NO_TIME = np.iinfo(np.int64).min


class LiveState:
    """The newest live value of every (station, quantity) of one sensor layer.

    Parameters
    ----------
    station_ids
        The layer's stations, in its row order (messages for other ids are "unknown").
    quantities
        The quantities known at the start; others are added as they arrive.
    """

    updated = Signal()
    #: Live observations kept for charts (the oldest are dropped past this).
    HISTORY_LIMIT = 2_000_000

    def __init__(self, station_ids: Sequence[str], quantities: Sequence[str] = ()) -> None:
        self.rows = {str(sid): row for row, sid in enumerate(station_ids)}
        self.quantities: list[str] = list(dict.fromkeys(quantities))
        n, q = len(self.rows), max(1, len(self.quantities))
        self.value = np.full((n, q), np.nan)
        self.time = np.full((n, q), NO_TIME, dtype=np.int64)
        self.unknown = 0
        self.received = 0
        #: Bumped by every :meth:`apply` that changed something (cheap change checks).
        self.version = 0
        self._log: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self._logged = 0

    def _column(self, quantity: str) -> int:
        if quantity not in self.quantities:
            self.quantities.append(quantity)
        column = self.quantities.index(quantity)
        if column >= self.value.shape[1]:
            grow = column + 1 - self.value.shape[1]
            self.value = np.pad(self.value, ((0, 0), (0, grow)), constant_values=np.nan)
            self.time = np.pad(self.time, ((0, 0), (0, grow)), constant_values=NO_TIME)
        return column

    def apply(
        self,
        sensor_ids: Sequence[str],
        quantities: Sequence[str],
        times_ns: np.ndarray,
        values: np.ndarray,
    ) -> int:
        """Take a batch of observations; keeps the newest per (station, quantity).

        Returns the number of (station, quantity) values that changed. Observations of unknown
        stations are counted in :attr:`unknown`. Emits :attr:`updated` when anything changed.
        """
        times_ns = np.asarray(times_ns, dtype=np.int64)
        values = np.asarray(values, dtype=np.float64)
        self.received += len(times_ns)
        rows = np.array([self.rows.get(str(sid), -1) for sid in sensor_ids], dtype=np.int64)
        columns = np.array([self._column(str(q)) for q in quantities], dtype=np.int64)
        known = rows >= 0
        self.unknown += int((~known).sum())
        # newest last, so a plain fancy assignment keeps the newest of duplicates
        order = np.flatnonzero(known)[np.argsort(times_ns[known], kind="stable")]
        if len(order) == 0:
            return 0
        rows, columns = rows[order], columns[order]
        times_ns, values = times_ns[order], values[order]
        self._remember(rows, columns, times_ns, values)
        newer = times_ns > self.time[rows, columns]
        rows, columns = rows[newer], columns[newer]
        if len(rows) == 0:
            return 0
        self.time[rows, columns] = times_ns[newer]
        self.value[rows, columns] = values[newer]
        self.version += 1
        self.updated.emit()
        return len(np.unique(rows * self.value.shape[1] + columns))

    def _remember(
        self, rows: np.ndarray, columns: np.ndarray, times: np.ndarray, values: np.ndarray
    ) -> None:
        """Keep a batch for :meth:`series`, dropping the oldest past :attr:`HISTORY_LIMIT`."""
        self._log.append((rows, columns, times, values))
        self._logged += len(rows)
        while self._logged > self.HISTORY_LIMIT and len(self._log) > 1:
            self._logged -= len(self._log.pop(0)[0])

    def series(self, row: int, quantity: str) -> tuple[np.ndarray, np.ndarray]:
        """(times ns, values) received live for station ``row``'s ``quantity``, in time order."""
        if quantity not in self.quantities or not self._log:
            return np.zeros(0, np.int64), np.zeros(0)
        column = self.quantities.index(quantity)
        times, values = [], []
        for rows, columns, batch_times, batch_values in self._log:
            mine = (rows == row) & (columns == column)
            times.append(batch_times[mine])
            values.append(batch_values[mine])
        t, v = np.concatenate(times), np.concatenate(values)
        order = np.argsort(t, kind="stable")
        return t[order], v[order]

    def latest(
        self, quantity: str, time_ns: int, *, staleness_s: float | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(values, times) of ``quantity`` per station, as of ``time_ns``.

        Values newer than ``time_ns`` (the clock is behind, e.g. replaying) or older than
        ``staleness_s`` are NaN, and their times :data:`NO_TIME`.
        """
        n = len(self.rows)
        if quantity not in self.quantities:
            return np.full(n, np.nan), np.full(n, NO_TIME, dtype=np.int64)
        column = self.quantities.index(quantity)
        values = self.value[:, column].copy()
        times = self.time[:, column].copy()
        hidden = (times == NO_TIME) | (times > time_ns)
        if staleness_s is not None:
            hidden |= (time_ns - times) > staleness_s * NS
        values[hidden] = np.nan
        times[hidden] = NO_TIME
        return values, times


@dataclass(frozen=True, eq=False)
class Latest:
    """What each station shows of one quantity at one time (:func:`latest_merged`).

    Attributes
    ----------
    values
        float64 (n,): the value; NaN where there is none (or it is stale).
    times
        int64 (n,) ns UTC of the value shown, :data:`NO_TIME` where none.
    index
        int64 (n,) the history observation shown; -1 where none or live.
    live
        bool (n,): the value came from the live feed.
    """

    values: np.ndarray
    times: np.ndarray
    index: np.ndarray
    live: np.ndarray

    def has(self, row: int) -> bool:
        """True when station ``row`` has a value (history or live) at the time."""
        return bool(self.times[row] != NO_TIME)


def latest_merged(
    data: SensorData,
    live: LiveState | None,
    quantity: str,
    time_ns: int,
    *,
    staleness_s: float | None = None,
) -> Latest:
    """The history's latest ``quantity`` per station at ``time_ns``, or the live value.

    A live value is shown where it is at or before ``time_ns``, within ``staleness_s``
    (None: any age) and newer than the history's latest observation at ``time_ns``
    (stale or not). ``live`` must list the same stations as ``data`` (else it is ignored).
    """
    n = data.count
    values, index = np.full(n, np.nan), np.full(n, -1, np.int64)
    times = np.full(n, NO_TIME, np.int64)
    newest = times.copy()  # the history's latest time, even where stale
    if quantity in data.quantities:
        values, _ages, index = data.latest(quantity, time_ns, staleness_s=staleness_s)
        found = index >= 0
        newest[found] = data.obs_time[index[found]]
        if staleness_s is not None:
            found &= np.isfinite(values)
            index = np.where(found, index, -1)
        times[found] = newest[found]
    from_live = np.zeros(n, bool)
    if live is not None and len(live.rows) == n:
        live_values, live_times = live.latest(quantity, time_ns, staleness_s=staleness_s)
        from_live = (live_times != NO_TIME) & (live_times > newest)
        values = np.where(from_live, live_values, values)
        times = np.where(from_live, live_times, times)
        index = np.where(from_live, -1, index)
    return Latest(values, times, index, from_live)
