"""Live sensors benchmark: MQTT ingest through the app's feed, and frame time with live updates.

``python -m benchmarks.sensors`` starts its own mosquitto broker (temp directory, free
loopback port, stopped at the end) and measures, each case in a fresh subprocess:

- **ingest**: a lean publisher process sends JSON observations of 10,000 sensors at
  10 Hz each (100,000 msg/s, QoS 1), then 5 Hz (50,000 msg/s), for a bounded time; the
  app side is :class:`~twinscape.io.mqtt_feed.MqttFeed` (MQTT 5 and 3.1.1) plus a 10 Hz
  drain loop into a :class:`~twinscape.model.sensor_live.LiveState`, exactly
  :class:`~twinscape.ui.live_feeds.LiveConnection` without the Qt timer; the baseline is
  a bare paho client that only counts messages;
- **frames**: an offscreen 1280 x 720 scene of the demo terrain with 10,000 stations:
  terrain only, static sensors, Twinscape live (every frame a batch updating every
  station through ``LiveState.apply``) and a naive rebuild of the glyph actor.

Tables on stdout, ``.bench/sensors.json``, first frames in ``.bench/sensors_*.png``.
See ``benchmarks/README.md``.
"""

from __future__ import annotations

from benchmarks.terrain import BENCH_DIR, DEMO_DEM, REPO_ROOT, WINDOW_SIZE

__all__ = ["BENCH_DIR", "DEMO_DEM", "DEMO_SCENE", "REPO_ROOT", "WINDOW_SIZE"]

#: The demo scene: its ground layers (the DEM and its style) carry the stations.
DEMO_SCENE = REPO_ROOT / "scenes" / "deadsea_demo.toml"
#: Stations in every case.
SENSORS = 10_000
#: Quantity every observation carries.
QUANTITY = "pm25"
#: Ingest cases: (name, messages per second the publisher aims at, MQTT version of the feed).
INGEST_CASES: tuple[tuple[str, int, str], ...] = (
    ("100k_v5", 100_000, "5"),
    ("100k_v311", 100_000, "3.1.1"),
    ("50k_v5", 50_000, "5"),
    ("50k_v311", 50_000, "3.1.1"),
)
#: Frame cases, in the order they run and are shown.
FRAME_CASES = ("terrain", "static", "live", "naive")
