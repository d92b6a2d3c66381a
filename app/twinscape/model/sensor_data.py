"""The stations and observations of one sensor layer: :class:`SensorData`.

Stations (ids, world positions, metadata) and every observation in long form, sorted by
(station, quantity, time), so the value a station shows at a clock time is one
vectorised search (:meth:`SensorData.latest`). Times are int64 nanoseconds since the
Unix epoch, UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

import numpy as np

from twinscape.model.clock import NS, from_ns


@dataclass(frozen=True, eq=False)
class SensorData:
    """Stations and observations of one layer, in the project CRS.

    Parameters
    ----------
    station_ids
        object array (n,) of station ids as text.
    xyz
        float64 (n, 3): world x, y and the elevation the glyph stands on.
    stations
        pandas DataFrame, n rows: every station attribute (name, provider, ...).
    quantities
        Names of the quantities observed (``"pm25"``, ``"temperature"``), index = code.
    units
        Unit per quantity (``"µg/m³"``).
    obs_station, obs_quantity, obs_time, obs_value
        One entry per observation, sorted by (station, quantity, time): int32, int16,
        int64 ns UTC, float64 (NaN = no value).
    flags
        uint8 per observation: anomaly bits
        (:data:`~twinscape.model.sensor_alerts.FLAG_BASELINE` ...).
    """

    station_ids: np.ndarray
    xyz: np.ndarray
    stations: Any
    quantities: tuple[str, ...]
    units: dict[str, str]
    obs_station: np.ndarray
    obs_quantity: np.ndarray
    obs_time: np.ndarray
    obs_value: np.ndarray
    flags: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint8))
    _keys: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        n, m = len(self.station_ids), len(self.obs_time)
        if self.xyz.shape != (n, 3) or len(self.stations) != n:
            raise ValueError(f"SensorData: xyz and stations need {n} rows")
        for name in ("obs_station", "obs_quantity", "obs_value"):
            if len(getattr(self, name)) != m:
                raise ValueError(f"SensorData: {name} needs {m} entries")
        if len(self.flags) != m:
            object.__setattr__(self, "flags", np.zeros(m, np.uint8))
        object.__setattr__(self, "_keys", self._key(self.obs_station, self.obs_quantity))
        if m and np.any(np.diff(self._keys) < 0):
            raise ValueError("SensorData: observations must be sorted by station and quantity")
        within = np.diff(self.obs_time)
        same = np.diff(self._keys) == 0
        if m and np.any(within[same] < 0):
            raise ValueError("SensorData: observations must be sorted by time within a series")

    def _key(self, station: np.ndarray, quantity: np.ndarray) -> np.ndarray:
        return np.asarray(station, np.int64) * 4096 + np.asarray(quantity, np.int64)

    @property
    def count(self) -> int:
        """Number of stations."""
        return len(self.station_ids)

    @property
    def time_range(self) -> tuple[datetime, datetime] | None:
        """First and last observation time, or None without observations."""
        if len(self.obs_time) == 0:
            return None
        return from_ns(int(self.obs_time.min())), from_ns(int(self.obs_time.max()))

    @cached_property
    def typical_interval_s(self) -> float | None:
        """Median interval between consecutive observations of a series (s), or None."""
        if len(self.obs_time) < 2:
            return None
        steps = np.diff(self.obs_time)[(np.diff(self._keys) == 0)]
        steps = steps[steps > 0]
        return float(np.median(steps)) / NS if len(steps) else None

    def quantity_code(self, quantity: str) -> int:
        """Index of ``quantity``; KeyError lists the known ones."""
        try:
            return self.quantities.index(quantity)
        except ValueError:
            raise KeyError(f"no quantity {quantity!r}; this layer has {self.quantities}") from None

    def series(self, station: int, quantity: str) -> tuple[np.ndarray, np.ndarray]:
        """(times ns, values) of one station's quantity, in time order."""
        span = self.series_slice(station, quantity)
        return self.obs_time[span], self.obs_value[span]

    def series_slice(self, station: int, quantity: str) -> slice:
        """Where one station's quantity lies in the observation arrays (``flags`` too)."""
        lo, hi = self._span(np.array([station]), self.quantity_code(quantity))
        return slice(int(lo[0]), int(hi[0]))

    def _span(self, stations: np.ndarray, q: int) -> tuple[np.ndarray, np.ndarray]:
        keys = self._key(stations, np.full(len(stations), q))
        return (
            np.searchsorted(self._keys, keys, side="left"),
            np.searchsorted(self._keys, keys, side="right"),
        )

    def latest(
        self, quantity: str, time_ns: int, *, staleness_s: float | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The latest observation of ``quantity`` at or before ``time_ns``, per station.

        Returns
        -------
        (values, ages_s, index)
            float64 (n,) values (NaN where a station has none yet, or its latest is older
            than ``staleness_s``), float64 (n,) age in seconds (inf where none), and int64
            (n,) the observation index (-1 where none).
        """
        q = self.quantity_code(quantity)
        stations = np.arange(self.count)
        lo, hi = self._span(stations, q)
        values = np.full(self.count, np.nan)
        ages = np.full(self.count, np.inf)
        index = np.full(self.count, -1, np.int64)
        has = hi > lo
        if not has.any():
            return values, ages, index
        # within each station's span, times are sorted: search them all at once
        pos = np.empty(self.count, np.int64)
        for_search = np.flatnonzero(has)
        span_times = self.obs_time
        # offset trick: search time_ns in each span by bisecting on (span start, span end)
        left, right = lo[for_search].copy(), hi[for_search].copy()
        while True:
            active = left < right
            if not active.any():
                break
            mid = (left + right) // 2
            go_right = active & (span_times[np.minimum(mid, len(span_times) - 1)] <= time_ns)
            left = np.where(go_right, mid + 1, left)
            right = np.where(active & ~go_right, mid, right)
        pos[for_search] = left - 1
        found = np.zeros(self.count, bool)
        found[for_search] = pos[for_search] >= lo[for_search]
        idx = pos[found]
        index[found] = idx
        ages[found] = (time_ns - self.obs_time[idx]) / NS
        values[found] = self.obs_value[idx]
        if staleness_s is not None:
            stale = ages > staleness_s
            values[stale] = np.nan
        return values, ages, index
