"""Sensor layers: stations where they stand and their observations over time.

A layer's data is one :class:`SensorData`: stations (ids, world positions, metadata)
and every observation in long form, sorted by (station, quantity, time), so the value
a station shows at a clock time is one vectorised ``searchsorted`` (:meth:`latest`).
Times are int64 nanoseconds since the Unix epoch, UTC.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from psygnal import evented

from twinscape.model.clock import NS, from_ns, to_ns
from twinscape.model.layers import Layer, current_identify_time
from twinscape.model.sensor_alerts import FLAG_BASELINE as FLAG_BASELINE  # re-exported
from twinscape.model.sensor_alerts import FLAG_GAP as FLAG_GAP
from twinscape.model.sensor_alerts import FLAG_JUMP as FLAG_JUMP
from twinscape.model.sensor_alerts import FLAG_NAMES as FLAG_NAMES
from twinscape.model.sensor_alerts import FLAG_STUCK as FLAG_STUCK
from twinscape.model.sensor_alerts import alert_levels, flag_names, format_age
from twinscape.model.sensor_live import LiveState, latest_merged

#: Glyph shapes of :attr:`SensorsStyle.glyph`.
GLYPHS: tuple[str, ...] = ("mast", "column")
#: Colour ramps of sensor values (render/ defines their stops).
SENSOR_RAMPS: tuple[str, ...] = ("aqi", "viridis", "heat", "blues")


@dataclass(frozen=True)
class ColumnMapping:
    """Which columns of a table hold what; ``None`` lets the reader recognise common names.

    Parameters
    ----------
    time, sensor_id, quantity, value, unit
        Columns of a long table (one observation a row).
    x, y
        Station coordinates (longitude/latitude or projected, in ``crs``).
    layout
        ``"long"``, ``"wide"`` (one column per station or per quantity) or ``"auto"``.
    timezone
        IANA zone of times written without an offset (``"America/Toronto"``); None: UTC.
    crs
        CRS of ``x``/``y`` columns; None: longitude/latitude (EPSG:4326).
    """

    time: str | None = None
    sensor_id: str | None = None
    quantity: str | None = None
    value: str | None = None
    unit: str | None = None
    x: str | None = None
    y: str | None = None
    layout: str = "auto"
    timezone: str | None = None
    crs: str | None = None

    def as_dict(self) -> dict[str, str]:
        """The fields that are set (for project files)."""
        return {f.name: v for f in fields(self) if (v := getattr(self, f.name)) is not None}


@dataclass(frozen=True)
class Threshold:
    """An alert level: at or above ``value`` a sensor is at ``level`` (drawn in ``color``)."""

    level: str
    value: float
    color: str


#: Default alert levels per quantity (µg/m³; US EPA AQI breakpoints 2024 for PM2.5 and PM10,
#: WHO 2021 24-hour guidelines as the first step; NO2 and O3 in ppb as EPA's 1-hour/8-hour).
DEFAULT_THRESHOLDS: dict[str, tuple[Threshold, ...]] = {
    "pm25": (
        Threshold("WHO guideline", 15.0, "#ffff00"),
        Threshold("unhealthy for sensitive groups", 35.5, "#ff7e00"),
        Threshold("unhealthy", 55.5, "#ff0000"),
        Threshold("very unhealthy", 125.5, "#8f3f97"),
        Threshold("hazardous", 225.5, "#7e0023"),
    ),
    "pm10": (
        Threshold("WHO guideline", 45.0, "#ffff00"),
        Threshold("unhealthy for sensitive groups", 155.0, "#ff7e00"),
        Threshold("unhealthy", 255.0, "#ff0000"),
        Threshold("very unhealthy", 355.0, "#8f3f97"),
        Threshold("hazardous", 425.0, "#7e0023"),
    ),
    "no2": (
        Threshold("moderate", 54.0, "#ffff00"),
        Threshold("unhealthy for sensitive groups", 101.0, "#ff7e00"),
        Threshold("unhealthy", 361.0, "#ff0000"),
        Threshold("very unhealthy", 650.0, "#8f3f97"),
    ),
    "o3": (
        Threshold("moderate", 55.0, "#ffff00"),
        Threshold("unhealthy for sensitive groups", 71.0, "#ff7e00"),
        Threshold("unhealthy", 86.0, "#ff0000"),
        Threshold("very unhealthy", 106.0, "#8f3f97"),
    ),
}


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
        uint8 per observation: anomaly bits (:data:`FLAG_BASELINE` ...).
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


@evented
@dataclass(kw_only=True, eq=False)
class SensorsStyle:
    """How sensors are drawn; every field is saved in the project.

    Parameters
    ----------
    glyph
        ``"mast"`` (a pole with a coloured marker) or ``"column"`` (height encodes the value).
    ramp
        Colour ramp of values, one of :data:`SENSOR_RAMPS` (``"aqi"`` uses the thresholds).
    value_range
        (low, high) the ramp spans; None fits the data of the shown quantity.
    size
        Glyph size in metres (marker diameter; mast height is 4 x size).
    labels
        Draw each station's name and value beside it.
    """

    glyph: str = "mast"
    ramp: str = "aqi"
    value_range: tuple[float, float] | None = None
    size: float = 40.0
    labels: bool = False

    def __post_init__(self) -> None:
        if self.glyph not in GLYPHS:
            raise ValueError(f"glyph: {self.glyph!r} is not one of {GLYPHS}")
        if self.ramp not in SENSOR_RAMPS:
            raise ValueError(f"ramp: {self.ramp!r} is not one of {SENSOR_RAMPS}")
        if self.value_range is not None and not self.value_range[0] < self.value_range[1]:
            raise ValueError(f"value_range: low {self.value_range[0]} must be below high")
        if not 0.1 <= self.size <= 10_000:
            raise ValueError(f"size: {self.size} is not within 0.1..10000 m")


@dataclass(frozen=True)
class MqttSettings:
    """A live feed: broker, topics and how a JSON payload maps to observations.

    The password is never stored: it comes from the environment variable named by
    ``password_env`` or is asked for at connect time.
    """

    host: str
    port: int = 1883
    topics: tuple[str, ...] = ("sensors/#",)
    sensor_id: str = "sensor_id"
    time: str = "time"
    values: tuple[str, ...] = ()
    tls: bool = False
    username: str | None = None
    password_env: str | None = None
    record_to: Path | None = None


@evented
@dataclass(kw_only=True, eq=False)
class SensorsLayer(Layer):
    """Stations and their observations, drawn as glyphs coloured by the value at the clock time.

    Parameters
    ----------
    source
        The observations (CSV or Parquet; may hold station coordinates too).
    stations_source
        A separate stations file (GeoJSON, GeoPackage or CSV with coordinates), if any.
    mapping
        Columns of the observations / stations (None entries recognised automatically).
    quantity
        The quantity shown; None: the first one.
    staleness_s
        An observation older than this at the clock time is drawn as "no data".
    thresholds
        Alert levels per quantity (defaults: :data:`DEFAULT_THRESHOLDS`).
    style
        Glyphs and colours.
    live
        Broker settings for live mode (None: history only).
    data
        The loaded stations and observations.
    live_state
        The newest values a live feed delivered (set while a feed runs; never saved).
    """

    kind: ClassVar[str] = "sensors"
    stands_on_ground: ClassVar[bool] = True
    data_fields: ClassVar[tuple[str, ...]] = ("data", "source_crs", "live_state")
    reload_fields: ClassVar[tuple[str, ...]] = ("mapping",)

    source: Path
    stations_source: Path | None = None
    mapping: ColumnMapping = field(default_factory=ColumnMapping)
    quantity: str | None = None
    staleness_s: float = 3 * 3600.0
    thresholds: dict[str, tuple[Threshold, ...]] = field(
        default_factory=lambda: dict(DEFAULT_THRESHOLDS)
    )
    style: SensorsStyle = field(default_factory=SensorsStyle)
    live: MqttSettings | None = None
    data: SensorData | None = None
    source_crs: str | None = None
    live_state: LiveState | None = None

    @property
    def loaded(self) -> bool:
        """True once stations and observations are in memory."""
        return self.data is not None

    @property
    def known_quantities(self) -> tuple[str, ...]:
        """Quantities of the history, then those only the live feed delivered."""
        history = self.data.quantities if self.data is not None else ()
        live = self.live_state.quantities if self.live_state is not None else ()
        return tuple(dict.fromkeys((*history, *live)))

    @property
    def shown_quantity(self) -> str | None:
        """The quantity drawn: the chosen one, else the layer's first (history, then live)."""
        if self.quantity is not None:
            return self.quantity
        known = self.known_quantities
        return known[0] if known else None

    @property
    def bounds(self) -> tuple[float, float, float, float] | None:
        """Bounds of the stations in the project CRS."""
        if self.data is None or self.data.count == 0:
            return None
        lo, hi = self.data.xyz[:, :2].min(axis=0), self.data.xyz[:, :2].max(axis=0)
        return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])

    @property
    def time_extent(self) -> tuple[datetime, datetime] | None:
        """First and last observation time (the clock spans it), or None."""
        return None if self.data is None else self.data.time_range

    @property
    def time_step(self) -> float | None:
        """The observations' typical interval in seconds, or None."""
        return None if self.data is None else self.data.typical_interval_s

    def thresholds_of(self, quantity: str | None) -> tuple[Threshold, ...]:
        """Alert levels of ``quantity`` (none when it has none)."""
        return tuple(self.thresholds.get(quantity, ())) if quantity else ()

    def identify(self, row: int | None, point: tuple[float, float, float]) -> dict[str, object]:
        """Station metadata, then each quantity's latest value at the clock time.

        The time is the one set with :func:`~twinscape.model.layers.identify_time`
        (the window sets the project clock's), else the last observation.
        """
        data = self.data
        if row is None or data is None or not 0 <= row < data.count:
            return {}
        info: dict[str, object] = {"station id": str(data.station_ids[row])}
        record = data.stations.iloc[row]
        for column in data.stations.columns:
            if str(column) not in info:
                info[str(column)] = record[column]
        x, y, z = (float(v) for v in data.xyz[row])
        info["x, y (project CRS)"] = f"{x:.2f}, {y:.2f}"
        info["elevation (m)"] = round(z, 2) if math.isfinite(z) else None
        when = current_identify_time()
        span = data.time_range
        if when is None and span is not None:
            when = span[1]
        if when is None:
            return info
        now = to_ns(when)
        info["at (UTC)"] = f"{when:%Y-%m-%d %H:%M:%S}"
        shown = self.shown_quantity
        for quantity in sorted(self.known_quantities, key=lambda q: q != shown):
            got = latest_merged(data, self.live_state, quantity, now)
            index, when_ns = got.index, got.times[row]
            unit = data.units.get(quantity, "")
            label = f"{quantity} ({unit})" if unit else quantity
            info[label] = float(got.values[row]) if got.has(row) else None
            if quantity != shown:
                continue
            info["unit"] = unit
            info["observed (UTC)"] = (
                f"{from_ns(int(when_ns)):%Y-%m-%d %H:%M:%S}" if got.has(row) else None
            )
            if got.live[row]:
                info["source"] = "live feed"
            age = (now - when_ns) / NS if got.has(row) else math.inf
            stale = age > self.staleness_s
            info["age"] = format_age(float(age)) + (" (stale)" if stale else "")
            bits = int(data.flags[index[row]]) if index[row] >= 0 else 0
            info["flags"] = "; ".join(flag_names(bits)) or "none"
            levels = self.thresholds_of(quantity)
            level = int(alert_levels(levels, got.values[row : row + 1])[0])
            info["alert level"] = levels[level].level if level >= 0 else "none"
        return info

    def feature_label(self, row: int) -> str:
        """``sensor <id>``."""
        if self.data is None or not 0 <= row < self.data.count:
            return f"sensor {row + 1}"
        return f"sensor {self.data.station_ids[row]}"

    def describe(self) -> list[str]:
        """Sources, station and observation counts, time range."""
        lines = [f"Source: {self.source}"]
        if self.stations_source is not None:
            lines.append(f"Stations: {self.stations_source}")
        if self.data is None:
            lines.append("Not loaded")
            return lines
        lines.append(f"{self.data.count} stations, {len(self.data.obs_time)} observations")
        span = self.data.time_range
        if span is not None:
            lines.append(f"{span[0]:%Y-%m-%d %H:%M} to {span[1]:%Y-%m-%d %H:%M} UTC")
        if self.data.quantities:
            lines.append("Quantities: " + ", ".join(self.data.quantities))
        else:
            lines.append("No history: values come from the live feed")
        return lines
