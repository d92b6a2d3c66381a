"""Sensor layers: stations where they stand and their observations over time.

:class:`SensorsLayer` is the sensors kind's model. What it is made of lives beside it:
its sources (sensor_sources.py: table columns, live feed), its style and alert levels
(sensor_style.py), its loaded stations and observations (sensor_data.py), the newest
values of a live feed (sensor_live.py) and anomaly flags and alert levels (sensor_alerts.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from psygnal import evented

from twinscape.model.clock import NS, from_ns, to_ns
from twinscape.model.layers import Layer, current_identify_time
from twinscape.model.sensor_alerts import alert_levels, flag_names, format_age
from twinscape.model.sensor_data import SensorData
from twinscape.model.sensor_live import LiveState, latest_merged
from twinscape.model.sensor_sources import ColumnMapping, MqttSettings
from twinscape.model.sensor_style import DEFAULT_THRESHOLDS, SensorsStyle, Threshold


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
