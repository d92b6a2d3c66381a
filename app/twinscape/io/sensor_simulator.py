"""Synthetic sensor feeds for demos and tests: live over MQTT, or a recorded Parquet history.

One model (:class:`FeedModel`) gives every quantity of every station at any times:

- ``temperature`` (°C): a sinusoid by local solar time (warmest at 15:00), a slow
  day-to-day swing, a per-station offset and noise; a dust event cools the afternoon;
- ``relativehumidity`` (%): from a slowly varying dew point and the temperature (Magnus
  formula), so it falls as the day warms;
- ``traffic`` (vehicles/h): two rush hours on working days (07:45 and 16:45 local civil
  time, UTC+3), a flatter profile on the Friday/Saturday weekend; Poisson counts;
- ``pm10``/``pm25`` (µg/m³): a background that follows traffic, plus a dust event: a
  plume that builds over an hour, then decays over hours while it drifts across the town
  from the west-south-west, so upwind stations peak first;
- one station (the last, by default) fails: it repeats its last values (stuck), then
  falls silent.

:func:`simulate` publishes the model live as JSON to an MQTT broker; :func:`write_history`
writes it, hourly, to a long-format Parquet file as :class:`~twinscape.io.live_recorder`
records live sessions. Every number is synthetic.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import paho.mqtt.client as mqtt
import pyarrow as pa
from paho.mqtt.enums import CallbackAPIVersion

from twinscape.io.live_recorder import SCHEMA, write_table
from twinscape.model.clock import NS, to_ns

DEMO_CRS = "EPSG:32636"
#: Centre of the planned town of the demo scene (EPSG:32636).
DEMO_CENTRE = (747_250.0, 3_527_500.0)
QUANTITIES = ("pm25", "pm10", "temperature", "relativehumidity", "traffic")
UNITS = {"pm25": "µg/m³", "pm10": "µg/m³", "temperature": "°C", "relativehumidity": "%",
         "traffic": "vehicles/h"}
#: JSON keys the live feed publishes (the feed normalises them to :data:`QUANTITIES`).
PAYLOAD_KEYS = {"pm25": "pm25", "pm10": "pm10", "temperature": "temperature",
                "relativehumidity": "relative_humidity", "traffic": "traffic"}
_DIGITS = {"pm25": 1, "pm10": 1, "temperature": 2, "relativehumidity": 1, "traffic": 0}

# id, name, offset east and north of the centre (m), traffic at the peak hour (vehicles/h)
_DEMO_LAYOUT = (
    ("NT-01", "Town Square", -20, 15, 900),
    ("NT-02", "Souq Street", 180, 160, 1300),
    ("NT-03", "North Gate", 53, 463, 1100),
    ("NT-04", "School Lane", -250, 260, 350),
    ("NT-05", "Clinic", -430, 50, 250),
    ("NT-06", "West Park", -360, -310, 120),
    ("NT-07", "Bus Station", -40, -275, 1400),
    ("NT-08", "South Ring", 170, -470, 1000),
    ("NT-09", "Water Works", 425, -300, 200),
    ("NT-10", "East Ring", 500, 50, 1200),
    ("NT-11", "Garden Quarter", 320, 330, 300),
    ("NT-12", "Desert Edge", 480, 470, 150),
)


@dataclass(frozen=True)
class Station:
    """A sensor station: id, name and position (project CRS, metres)."""

    sensor_id: str
    name: str
    x: float
    y: float
    peak_traffic: float = 600.0


StationsLike = Sequence["Station | tuple[str, float, float]"] | int


def demo_stations(count: int = 12) -> list[Station]:
    """Stations in the demo's planned town (EPSG:32636, about 1 km across).

    The first twelve are placed by hand, at least 10 m from the planned buildings
    (assets/buildings/deadsea_newtown_plan.gpkg); more follow a sunflower spiral.
    """
    if count < 1:
        raise ValueError(f"stations: {count} must be at least 1")
    cx, cy = DEMO_CENTRE
    out = [Station(i, n, cx + dx, cy + dy, t) for i, n, dx, dy, t in _DEMO_LAYOUT[:count]]
    golden = math.pi * (3 - math.sqrt(5))
    for k in range(len(out), count):
        r, a = 520 * math.sqrt((k + 0.5) / count), k * golden
        out.append(Station(f"NT-{k + 1:02d}", f"Station {k + 1}", cx + r * math.cos(a),
                           cy + r * math.sin(a), 200 + 1000 * ((k * 7919) % 13) / 12))
    return out


def as_stations(stations: StationsLike) -> list[Station]:
    """Stations from a count (demo layout) or ``(id, x, y)`` tuples."""
    if isinstance(stations, int):
        return demo_stations(stations)
    return [s if isinstance(s, Station) else Station(str(s[0]), str(s[0]), float(s[1]),
                                                     float(s[2])) for s in stations]


@dataclass(frozen=True)
class FeedModel:
    """The simulated town: station traits, the dust event and the failing sensor.

    Parameters
    ----------
    stations
        Where the sensors stand.
    seed
        Fixes the station traits (offsets, traffic) and, with the times, the noise.
    dust_start_ns
        When the dust plume starts building (None: no dust event).
    dust_rise_s, dust_decay_s, dust_speed
        The plume grows over ``dust_rise_s`` then decays with this time constant, while
        its front drifts at ``dust_speed`` m/s, from 1.2 km upwind of the stations' centre.
    failing, stuck_ns, silent_ns
        Id of the failing sensor, when it sticks at its last values, when it falls silent.
    longitude, utc_offset_h
        For local solar time (temperature) and civil time (traffic).
    """

    stations: tuple[Station, ...]
    seed: int = 0
    dust_start_ns: int | None = None
    dust_rise_s: float = 3600.0
    dust_decay_s: float = 4 * 3600.0
    dust_speed: float = 0.12
    failing: str | None = None
    stuck_ns: int | None = None
    silent_ns: int | None = None
    longitude: float = 35.61
    utc_offset_h: float = 3.0

    def observe(self, t_ns: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Every quantity at times ``t_ns``: float arrays (stations, times), NaN when silent."""
        t_ns = np.atleast_1d(np.asarray(t_ns, np.int64))
        values = self._clean(t_ns, rng)
        if self.failing is None:
            return values
        row = [s.sensor_id for s in self.stations].index(self.failing)
        if self.stuck_ns is not None:
            stuck = t_ns >= self.stuck_ns
            if stuck.any():
                last = self._clean(np.array([self.stuck_ns]), np.random.default_rng([self.seed, 7]))
                for q in values:
                    values[q][row, stuck] = last[q][row, 0]
        if self.silent_ns is not None:
            for q in values:
                values[q][row, t_ns >= self.silent_ns] = np.nan
        return values

    def _traits(self) -> dict[str, np.ndarray]:
        rng = np.random.default_rng([self.seed, 1])
        n = len(self.stations)
        return {
            "t_off": rng.normal(0, 0.7, n),
            "td_off": rng.normal(0, 0.8, n),
            "fine": rng.uniform(0.35, 0.55, n),
            "phase": rng.uniform(0, 2 * np.pi, 3),
            "traffic": np.array([s.peak_traffic for s in self.stations], float),
        }

    def _dust(self, t_s: np.ndarray) -> np.ndarray:
        """Dust pm10 (µg/m³), (stations, times): a drifting plume over a regional haze."""
        n = len(self.stations)
        if self.dust_start_ns is None:
            return np.zeros((n, len(t_s)))
        tau = t_s - self.dust_start_ns / NS
        rise = 0.5 * (1 - np.cos(np.pi * np.clip(tau / self.dust_rise_s, 0, 1)))
        decay = np.exp(-np.clip(tau - self.dust_rise_s, 0, None) / self.dust_decay_s)
        envelope = np.where(tau < 0, 0.0, rise * decay)
        xy = np.array([(s.x, s.y) for s in self.stations])
        heading = np.radians(20.0)  # drifting towards the east-north-east
        direction = np.array([math.cos(heading), math.sin(heading)])
        drift = np.clip(tau, 0, None) * self.dust_speed
        front = xy.mean(axis=0) - 1200 * direction + np.outer(drift, direction)
        d2 = ((xy[:, None, :] - front[None, :, :]) ** 2).sum(axis=-1)
        return 1500.0 * envelope[None, :] * (0.25 + 0.75 * np.exp(-d2 / (2 * 400.0**2)))

    def _clean(self, t_ns: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
        traits, n, m = self._traits(), len(self.stations), len(t_ns)
        t_s = t_ns / NS
        day = t_s / 86_400
        solar_h = (t_s / 3600 + self.longitude / 15) % 24
        civil_h = (t_s / 3600 + self.utc_offset_h) % 24
        weekday = np.floor(day + self.utc_offset_h / 24 + 3) % 7  # 1970-01-01 was a Thursday
        dust = self._dust(t_s)
        haze = np.clip(dust.mean(axis=0) / 1000.0, 0, 1)
        temperature = (
            24.0 + 7.0 * np.cos(2 * np.pi * (solar_h - 15) / 24) * (1 - 0.4 * haze)
            + 1.5 * np.sin(2 * np.pi * day / 5.3 + traits["phase"][0])
        )[None, :] + traits["t_off"][:, None] + rng.normal(0, 0.3, (n, m))
        dew = (8.0 + 1.5 * np.sin(2 * np.pi * day / 4.1 + traits["phase"][1]))[None, :]
        dew = dew + traits["td_off"][:, None] + rng.normal(0, 0.5, (n, m))
        magnus = 17.625 * dew / (243.04 + dew) - 17.625 * temperature / (243.04 + temperature)
        humidity = np.clip(100 * np.exp(magnus), 2, 100)

        def bump(hour: float, width: float) -> np.ndarray:
            return np.exp(-0.5 * ((civil_h - hour) / width) ** 2)

        working = 0.07 + 0.93 * bump(7.75, 1.0) + 0.8 * bump(16.75, 1.4) + 0.35 * bump(12.5, 2.5)
        weekend = 0.07 + 0.45 * bump(13, 3.0) + 0.5 * bump(20.5, 2.0)
        profile = np.where((weekday == 4) | (weekday == 5), weekend, working)
        rate = traits["traffic"][:, None] * profile[None, :]
        traffic = rng.poisson(rate).astype(float)
        background = (22 + 0.03 * rate + 6 * (1 + np.sin(2 * np.pi * day / 3.7
                                                         + traits["phase"][2]))[None, :])
        pm10 = background * np.exp(rng.normal(0, 0.12, (n, m))) + dust * np.exp(
            rng.normal(0, 0.08, (n, m)))
        pm25 = (background * traits["fine"][:, None] * np.exp(rng.normal(0, 0.1, (n, m)))
                + 0.22 * dust)
        pm25 = np.minimum(pm25, 0.95 * pm10)
        return {"pm25": pm25, "pm10": pm10, "temperature": temperature,
                "relativehumidity": humidity, "traffic": traffic}


def _first_daytime(after_ns: int, utc_hour: float = 9.5) -> int:
    """The first ``utc_hour`` o'clock UTC at or after ``after_ns``."""
    day = after_ns // (86_400 * NS) * 86_400 * NS
    at = day + int(utc_hour * 3600 * NS)
    return at if at >= after_ns else at + 86_400 * NS


def write_history(
    path: str | os.PathLike[str],
    stations: StationsLike,
    start: datetime,
    hours: int,
    seed: int = 0,
    *,
    step_s: int = 3600,
) -> Path:
    """Write ``hours`` of the simulated town from ``start`` to a long Parquet file.

    The dust event starts at the first 09:30 UTC (12:30 local) after 35% of the span; the
    last station sticks at 55% and falls silent at 75% of it. Rows are sorted by
    (sensor_id, quantity, time); columns as :data:`~twinscape.io.live_recorder.SCHEMA`
    (``time``, ``sensor_id``, ``quantity``, ``value``) plus ``unit`` (:data:`UNITS`).
    """
    chosen = as_stations(stations)
    begin = to_ns(start)
    span = int(hours * 3600 * NS)
    times = begin + np.arange(0, span, int(step_s * NS), dtype=np.int64)
    model = FeedModel(tuple(chosen), seed, dust_start_ns=_first_daytime(begin + int(0.35 * span)),
                      failing=chosen[-1].sensor_id, stuck_ns=begin + int(0.55 * span),
                      silent_ns=begin + int(0.75 * span))
    values = model.observe(times, np.random.default_rng(seed))
    columns: list[list[np.ndarray]] = [[], [], [], [], []]
    for row, station in enumerate(chosen):
        for quantity in sorted(QUANTITIES):
            series = np.round(values[quantity][row], _DIGITS[quantity])
            keep = np.isfinite(series)
            columns[0].append(times[keep])
            columns[1].append(np.full(int(keep.sum()), station.sensor_id, dtype=object))
            columns[2].append(np.full(int(keep.sum()), quantity, dtype=object))
            columns[3].append(series[keep])
            columns[4].append(np.full(int(keep.sum()), UNITS[quantity], dtype=object))
    times_ns = pa.array(np.concatenate(columns[0]), pa.int64())
    table = pa.table(
        [times_ns.cast(SCHEMA.field("time").type),
         pa.array(np.concatenate(columns[1]), pa.string()),
         pa.array(np.concatenate(columns[2]), pa.string()), np.concatenate(columns[3]),
         pa.array(np.concatenate(columns[4]), pa.string())],
        schema=SCHEMA.append(pa.field("unit", pa.string())),
    )
    return write_table(path, table)


def write_stations_geojson(
    path: str | os.PathLike[str], stations: StationsLike, crs: str = DEMO_CRS
) -> Path:
    """Stations as GeoJSON points in ``crs`` (named in a ``crs`` member, as GDAL reads it).

    Properties: ``sensor_id``, ``name``, ``x``, ``y``.
    """
    code = crs.split(":")[-1]
    features = [
        {"type": "Feature",
         "properties": {"sensor_id": s.sensor_id, "name": s.name, "x": round(s.x, 2),
                        "y": round(s.y, 2)},
         "geometry": {"type": "Point", "coordinates": [round(s.x, 2), round(s.y, 2)]}}
        for s in as_stations(stations)
    ]
    document = {"type": "FeatureCollection", "name": Path(path).stem,
                "crs": {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{code}"}},
                "features": features}
    path = Path(path)
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _iso(t_ns: int) -> str:
    stamp = datetime.fromtimestamp(t_ns / NS, tz=timezone.utc)
    return stamp.isoformat(timespec="microseconds").replace("+00:00", "Z")


def simulate(
    broker_host: str,
    port: int = 1883,
    *,
    rate_hz: float = 1.0,
    stations: StationsLike = 12,
    duration_s: float | None = None,
    seed: int = 0,
    topic_prefix: str = "twinscape/sensors",
    stop: threading.Event | None = None,
) -> int:
    """Publish the simulated town to an MQTT broker (QoS 1); returns the messages sent.

    Each station publishes ``rate_hz`` times a second to ``<topic_prefix>/<id>`` a JSON
    object with ``sensor_id``, ``time`` (ISO 8601 UTC) and the :data:`PAYLOAD_KEYS` values.
    The dust plume started building 45 minutes before the start, so it peaks 15 minutes in;
    the last station sticks at 40% of ``duration_s`` (or after 2 minutes) and falls silent
    at 70% (or after 5 minutes). Runs until ``duration_s`` or ``stop`` is set.

    Raises
    ------
    ConnectionError
        One line, when the broker cannot be reached or refuses the connection.
    """
    if not rate_hz > 0:
        raise ValueError(f"rate: {rate_hz} must be positive")
    chosen = as_stations(stations)
    start = time.time_ns()
    stuck, silent = (0.4 * duration_s, 0.7 * duration_s) if duration_s else (120.0, 300.0)
    model = FeedModel(tuple(chosen), seed, dust_start_ns=start - 2700 * NS,
                      failing=chosen[-1].sensor_id, stuck_ns=start + int(stuck * NS),
                      silent_ns=start + int(silent * NS))
    where = f"{broker_host}:{port}"
    answered, refusal = threading.Event(), []

    def on_connect(_c: object, _u: object, _f: object, reason: object, _p: object) -> None:
        if getattr(reason, "is_failure", False):
            refusal.append(str(reason))
        answered.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"twinscape-sim-{os.getpid()}")
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(100_000)  # bounded while a lost broker comes back
    client.on_connect = on_connect
    try:
        client.connect(broker_host, port, 30)
    except (OSError, ValueError) as err:
        raise ConnectionError(f"cannot connect to MQTT broker {where}: "
                              f"{' '.join(str(err).split())}") from None
    client.loop_start()
    sent, pending = 0, deque(maxlen=1000)
    try:
        if not answered.wait(10):
            raise ConnectionError(f"MQTT broker {where} did not answer within 10 s")
        if refusal:
            raise ConnectionError(f"MQTT broker {where} refused the connection: {refusal[0]}")
        rng, period = np.random.default_rng(seed), 1.0 / rate_hz
        began, tick = time.monotonic(), 0
        while not (stop is not None and stop.is_set()):
            now = time.monotonic()
            if duration_s is not None and now - began >= duration_s:
                break
            t_ns = time.time_ns()
            values = model.observe(np.array([t_ns]), rng)
            for row, station in enumerate(chosen):
                if not np.isfinite(values["temperature"][row, 0]):
                    continue  # the failing sensor fell silent
                payload = {"sensor_id": station.sensor_id, "time": _iso(t_ns)}
                for q in QUANTITIES:
                    number = round(float(values[q][row, 0]), _DIGITS[q])
                    payload[PAYLOAD_KEYS[q]] = int(number) if q == "traffic" else number
                pending.append(client.publish(f"{topic_prefix}/{station.sensor_id}",
                                              json.dumps(payload), qos=1))
                sent += 1
            tick += 1
            delay = began + tick * period - time.monotonic()
            if delay < -period:  # too slow for the rate: skip ahead instead of bursting
                tick = int((time.monotonic() - began) / period)
            elif delay > 0 and stop is not None:
                stop.wait(delay)
            elif delay > 0:
                time.sleep(delay)
        deadline = time.monotonic() + 5
        for info in pending:  # let the last QoS 1 messages reach the broker
            try:
                info.wait_for_publish(max(0.001, deadline - time.monotonic()))
            except (RuntimeError, ValueError):
                pass
    finally:
        client.disconnect()
        client.loop_stop()
    return sent
