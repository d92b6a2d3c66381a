"""Live MQTT feeds against a real mosquitto broker: mapping, hostile payloads, reconnects,
authentication, TLS, recording to Parquet, bursts, and the simulator."""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import paho.mqtt.client as mqtt
import pandas as pd
import pyarrow.parquet as pq
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from twinscape.io.live_recorder import LiveRecorder, parts_dir, recover
from twinscape.io.mqtt_feed import FeedStatus, LiveObservation, MqttFeed, normalise_quantity
from twinscape.io.sensor_simulator import demo_stations, simulate, write_history
from twinscape.model.clock import NS
from twinscape.model.sensor_sources import MqttSettings

if TYPE_CHECKING:
    from conftest_mqtt import Broker

pytest_plugins = ["conftest_mqtt"]  # the mosquitto fixtures: tests/unit/conftest_mqtt.py

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


def publisher(broker: Broker, client_id: str | None = None) -> mqtt.Client:
    """A paho client that publishes at QoS 1 with a persistent session of its own."""
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id or uuid.uuid4().hex,
        protocol=mqtt.MQTTv311,
        clean_session=False,
    )
    client.max_inflight_messages_set(0)
    client.reconnect_delay_set(1, 2)
    client.connect(broker.host, broker.port)
    client.loop_start()
    return client


def started(feed: MqttFeed) -> MqttFeed:
    feed.start()
    wait_for(lambda: feed.status.state == "connected", what=f"connected, {feed.status}")
    time.sleep(0.1)  # the SUBACK
    return feed


def test_values_ids_and_times_arrive(broker: Broker) -> None:
    settings = MqttSettings(host=broker.host, port=broker.port, topics=("city/air/+",))
    feed = started(MqttFeed(settings, known_ids={"AQ-1", "AQ-2", "7"}))
    pub = publisher(broker)
    now = time.time()
    second = int(now)
    utc = datetime.fromtimestamp(second, timezone.utc).isoformat().replace("+00:00", "Z")
    amman = datetime.fromtimestamp(second, timezone(timedelta(hours=3))).isoformat()
    messages = [
        (
            "city/air/AQ-1",
            {
                "sensor_id": "AQ-1",
                "time": utc,
                "PM2.5": 12.5,
                "Temperature": 21,
                "note": "text is ignored",
                "ok": True,
            },
        ),
        ("city/air/AQ-2", {"time": second, "pm10": 40}),  # id from the topic, epoch seconds
        ("city/air/x", {"sensor_id": 7, "time": int(now * 1000), "NO2": 3.25}),  # epoch ms
        ("city/air/AQ-1", {"sensor_id": "AQ-1", "time": amman, "pm25": 13.0}),  # a redelivery
    ]
    for topic, body in messages:
        pub.publish(topic, json.dumps(body), qos=1).wait_for_publish(5)
    wait_for(lambda: feed.status.received == 4, what="4 messages")
    t0 = second * NS
    assert feed.drain() == [
        LiveObservation("AQ-1", "pm25", t0, 12.5),
        LiveObservation("AQ-1", "temperature", t0, 21.0),
        LiveObservation("AQ-2", "pm10", t0, 40.0),
        LiveObservation("7", "no2", int(now * 1000) * 1_000_000, 3.25),
    ]
    status = feed.status
    assert (status.accepted, status.duplicate, status.invalid) == (3, 1, 0)
    assert status.rate > 0 and status.connects == 1 and status.observations == 4
    assert feed.drain() == []
    feed.stop()
    feed.stop()  # idempotent
    assert feed.status.state == "stopped"
    pub.disconnect()
    pub.loop_stop()


def test_configured_value_keys_and_names() -> None:
    assert normalise_quantity("PM2.5") == "pm25"
    assert normalise_quantity("Relative humidity") == "relativehumidity"
    feed = MqttFeed(
        MqttSettings(host="127.0.0.1", sensor_id="dev", time="ts", values=("PM10", "rh"))
    )
    now = time.time()
    feed._ingest.receive(
        [  # what the network thread hands over
            (b"t/a", json.dumps({"dev": "A", "ts": now, "PM10": 5, "other": 1}).encode()),
            (b"t/a", json.dumps({"dev": "A", "ts": now, "PM10": None, "rh": 40}).encode()),
            (b"t/a", json.dumps({"dev": "A", "ts": now, "other": 2}).encode()),
        ]
    )
    quantities = [(o.quantity, o.value) for o in feed.drain()]
    assert quantities == [("pm10", 5.0), ("relativehumidity", 40.0)]
    assert feed.status.missing == 1


def test_garbage_is_counted_and_never_stops_the_feed(broker: Broker) -> None:
    settings = MqttSettings(host=broker.host, port=broker.port, topics=("junk/#",))
    feed = started(MqttFeed(settings, known_ids={"good"}))
    pub = publisher(broker)
    now = time.time()
    ok = {"sensor_id": "good", "time": now, "pm25": 1.0}
    garbage: list[tuple[str, bytes | str]] = [
        ("not_json", b"hello"),
        ("not_json", b"\xff\xfe\x00garbage"),
        ("not_json", "[" * 100_000),  # recursion bomb
        ("not_json", '{"sensor_id": "good", "time": 1, "pm25": 1' + "0" * 5000 + "}"),
        ("not_object", "[1, 2, 3]"),
        ("not_object", '"just a string"'),
        ("missing", json.dumps({**ok, "pm25": "high"})),  # no numeric value left
        ("wrong_type", json.dumps({**ok, "sensor_id": "x" * 500})),
        ("wrong_type", json.dumps({**ok, "sensor_id": ["good"]})),
        ("wrong_type", json.dumps({**ok, "time": True})),
        ("wrong_type", json.dumps({**ok, "time": "2026-01-01T00:00:00"})),  # no timezone
        ("wrong_type", json.dumps({**ok, "time": "yesterday"})),
        ("missing", json.dumps({"sensor_id": "good", "pm25": 1.0})),
        ("missing", json.dumps({"sensor_id": "good", "time": now, "name": "x"})),
        ("nonfinite", json.dumps({**ok, "pm25": math.nan})),
        ("nonfinite", json.dumps({**ok, "pm25": math.inf})),
        ("nonfinite", '{"sensor_id": "good", "time": 1e999, "pm25": 1}'),
        ("unknown", json.dumps({**ok, "sensor_id": "ghost"})),
        ("late", json.dumps({**ok, "time": 0})),
        ("late", json.dumps({**ok, "time": "1970-01-01T00:00:00Z"})),
        ("future", json.dumps({**ok, "time": "2100-01-01T00:00:00Z"})),
        ("future", json.dumps({**ok, "time": 4_102_444_800_000})),  # 2100 in ms
        ("too_large", json.dumps({**ok, "junk": "x" * (10 * 1024 * 1024)})),
    ]
    for _, payload in garbage:
        pub.publish("junk/good", payload, qos=1).wait_for_publish(10)
    pub.publish("junk/good", json.dumps(ok), qos=1).wait_for_publish(5)
    wait_for(lambda: feed.status.received == len(garbage) + 1, what="every message")
    status = feed.status
    expected = {name: sum(1 for n, _ in garbage if n == name) for name, _ in garbage}
    assert {name: getattr(status, name) for name in expected} == expected
    assert status.invalid == sum(
        expected[k] for k in expected if k not in ("unknown", "late", "future")
    )
    assert status.accepted == 1 and status.state == "connected"
    assert status.last_rejection is not None and "\n" not in status.last_rejection
    (obs,) = feed.drain()
    # A float of epoch seconds carries about 0.24 µs; the feed keeps whole microseconds.
    assert (obs.sensor_id, obs.quantity, obs.value) == ("good", "pm25", 1.0)
    assert obs.time_ns % 1000 == 0 and abs(obs.time_ns - now * 1e9) <= 1000
    feed.stop()
    pub.disconnect()
    pub.loop_stop()


def test_reconnects_and_records_every_delivered_message(own_broker: Broker, tmp_path: Path) -> None:
    recording = tmp_path / "live.parquet"
    recorder = LiveRecorder(recording, flush_rows=100, flush_s=0.5)
    settings = MqttSettings(host=own_broker.host, port=own_broker.port, topics=("plant/#",))
    feed = started(MqttFeed(settings, client_id="feed-reconnect", recorder=recorder))
    pub = publisher(own_broker, "pub-reconnect")
    base, count, states = time.time(), 900, []

    def publish(seq: int) -> None:
        body = {"sensor_id": f"s{seq % 5}", "time": base + seq / 1000, "seq": seq}
        pub.publish(f"plant/s{seq % 5}", json.dumps(body), qos=1)

    def watch() -> None:
        state = feed.status.state
        if not states or states[-1] != state:
            states.append(state)

    for seq in range(300):
        publish(seq)
        time.sleep(0.002)
    own_broker.stop()  # mid-stream: the broker saves its sessions and exits
    wait_for(lambda: (watch(), feed.status.state == "reconnecting")[1], what="reconnecting")
    for seq in range(300, 600):  # queued by the publisher while the broker is away
        publish(seq)
    time.sleep(0.5)
    own_broker.start()
    wait_for(lambda: (watch(), feed.status.connects == 2)[1], timeout=40, what="reconnected")
    for seq in range(600, count):
        publish(seq)
        time.sleep(0.002)
    received: list[LiveObservation] = []
    wait_for(
        lambda: (received.extend(feed.drain()), len(received) >= count)[1],
        timeout=30,
        what=f"{count} observations, {feed.status}",
    )
    watch()
    redelivered = feed.status.duplicate
    feed.stop()  # the app closes; the broker keeps the session and queues for it
    for seq in range(count, count + 300):
        publish(seq)
    pub.publish(
        "plant/end", json.dumps({"sensor_id": "s0", "time": base - 1, "seq": -1}), qos=1
    ).wait_for_publish(10)  # QoS 1 in order: all before it reached the broker
    later = started(MqttFeed(settings, client_id="feed-reconnect", recorder=recorder))
    wait_for(
        lambda: (received.extend(later.drain()), len(received) >= count + 301)[1],
        timeout=30,
        what=f"queued observations, {later.status}",
    )
    later.stop()
    recorder.close()
    pub.disconnect()
    pub.loop_stop()
    assert states[-2:] == ["reconnecting", "connected"], states
    seqs = sorted(int(o.value) for o in received)
    assert seqs == list(range(-1, count + 300))
    table = pd.read_parquet(recording)  # an independent reader
    assert len(table) == count + 301
    assert sorted(table["value"].astype(int)) == seqs
    assert str(table["time"].dtype) == "datetime64[ns, UTC]"
    assert set(table["sensor_id"]) == {f"s{i}" for i in range(5)}
    assert set(table["quantity"]) == {"seq"}
    print(f"\nreconnect: states {states}, {redelivered} QoS 1 redeliveries dropped")


def test_username_and_password(broker: Broker) -> None:
    if not broker.has_auth:
        pytest.skip("mosquitto_passwd is not installed: no password listener")
    settings = MqttSettings(
        host=broker.host,
        port=broker.auth_port,
        topics=("auth/#",),
        username=broker.user,
        password_env="TWINSCAPE_TEST_MQTT_PASSWORD",
    )
    good = started(MqttFeed(settings, password=broker.password))
    ours = {k: v for k, v in vars(good).items() if k != "_client"}
    assert broker.password not in repr(ours)  # only paho holds it
    good.stop()
    bad = MqttFeed(settings, password="wrong")
    bad.start()
    wait_for(lambda: bad.status.state == "failed", what="failed")
    time.sleep(1.5)  # paho would retry after 1 s: it must not
    status = bad.status
    bad.stop()
    assert status.state == "failed" and status.connects == 0
    assert status.error is not None and "\n" not in status.error
    assert "refused" in status.error and str(broker.auth_port) in status.error
    anonymous = MqttFeed(MqttSettings(host=broker.host, port=broker.auth_port))
    anonymous.start()
    wait_for(lambda: anonymous.status.state == "failed", what="anonymous refused")
    anonymous.stop()


def test_tls(broker: Broker) -> None:
    if not broker.has_tls:
        pytest.skip("openssl is not installed: no TLS listener")
    settings = MqttSettings(host=broker.host, port=broker.tls_port, topics=("tls/#",), tls=True)
    feed = started(MqttFeed(settings, ca_file=broker.ca_file))
    feed.stop()
    untrusted = MqttFeed(settings)  # system CAs do not know the test CA
    untrusted.start()
    wait_for(lambda: untrusted.status.state == "failed", what="failed")
    untrusted.stop()
    assert "certificate" in (untrusted.status.error or "")


def test_unreachable_broker_keeps_trying_and_stops_promptly() -> None:
    feed = MqttFeed(MqttSettings(host="127.0.0.1", port=free_port()))
    feed.start()
    wait_for(lambda: feed.status.error is not None, what="an error")
    assert feed.status.state == "connecting"
    assert "retrying" in (feed.status.error or "")
    began = time.monotonic()
    feed.stop()
    assert time.monotonic() - began < 2 and feed.status.state == "stopped"


_CRASH = textwrap.dedent(
    """
    import os, sys
    from twinscape.io.live_recorder import LiveRecorder
    from twinscape.io.mqtt_feed import LiveObservation
    recorder = LiveRecorder(sys.argv[1], flush_rows=1000, flush_s=3600)
    for batch in range(4):  # 3 full batches are flushed, the last half batch is not
        rows = 1000 if batch < 3 else 500
        recorder.append([LiveObservation("a", "pm25", (batch * 1000 + i) * 10**9, float(i))
                         for i in range(rows)])
    os._exit(1)
    """
)


def test_recorder_survives_a_crash_and_appends(tmp_path: Path) -> None:
    path = tmp_path / "rec.parquet"
    done = subprocess.run([sys.executable, "-c", _CRASH, str(path)], timeout=60)
    assert done.returncode == 1
    assert not path.exists() and len(list(parts_dir(path).glob("*.parquet"))) == 3
    assert recover(path) == path
    assert pq.read_table(path).num_rows == 3000 and not parts_dir(path).exists()
    with LiveRecorder(path) as recorder:  # appends to the recording
        recorder.append([LiveObservation("b", "pm10", 5 * 10**12, 1.5)])
    table = pd.read_parquet(path)
    assert len(table) == 3001 and table["sensor_id"].iloc[-1] == "b"
    assert pq.ParquetFile(path).num_row_groups == 4
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(OSError, match="bad.parquet: cannot append"):
        LiveRecorder(tmp_path / "bad.parquet")


_BURST = textwrap.dedent(
    """
    import json, sys, time
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion
    host, port, total, rate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    acked = 0
    def on_publish(client, userdata, mid, reason, properties):
        global acked
        acked += 1
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    client.max_inflight_messages_set(0)
    client.on_publish = on_publish
    client.connect(host, port)
    client.loop_start()
    now = time.time()
    payloads = [json.dumps({"sensor_id": f"b{i % 50}", "time": now + i * 1e-5, "seq": i})
                for i in range(total)]
    began, sent = time.perf_counter(), 0
    while sent < total:
        ahead = began + sent / rate - time.perf_counter()
        if ahead > 0:
            time.sleep(ahead)
        while sent - acked > 60_000:  # message ids are 16 bits: never reuse an unacked one
            time.sleep(0.001)
        for _ in range(min(100, total - sent)):
            info = client.publish("burst/x", payloads[sent], qos=1)
            assert info.rc == mqtt.MQTT_ERR_SUCCESS, info.rc
            sent += 1
    published = time.perf_counter() - began
    while acked < total and time.perf_counter() - began < 60:
        time.sleep(0.01)
    print(json.dumps({"published": sent, "acked": acked, "seconds": published}))
    client.disconnect()
    client.loop_stop()
    """
)


@pytest.mark.parametrize("version", ["5", "3.1.1"])
def test_burst_loses_nothing(broker: Broker, tmp_path: Path, version: str) -> None:
    total, target = 100_000, 50_000.0  # two seconds at 50,000 messages/s
    recorder = LiveRecorder(tmp_path / "burst.parquet")
    settings = MqttSettings(host=broker.host, port=broker.port, topics=("burst/#",))
    feed = started(MqttFeed(settings, recorder=recorder, mqtt_version=version))
    began = time.perf_counter()
    run = subprocess.Popen(
        [sys.executable, "-c", _BURST, broker.host, str(broker.port), str(total), str(target)],
        stdout=subprocess.PIPE,
        text=True,
    )
    seqs = np.zeros(total, np.int64)
    got, last, peak = 0, time.perf_counter(), 0.0
    while got < total and time.perf_counter() - last < 15:
        batch = feed.drain()
        if batch:
            seqs[np.array([int(o.value) for o in batch])] += 1
            got, last = got + len(batch), time.perf_counter()
        peak = max(peak, feed.status.rate)
        time.sleep(0.05)
    out, _ = run.communicate(timeout=60)
    report = json.loads(out.strip().splitlines()[-1])
    delivered = time.perf_counter() - began
    feed.stop()
    recorder.close()
    status = feed.status
    print(
        f"\nburst MQTT {version}: published {report['published']} at "
        f"{report['published'] / report['seconds']:,.0f} msg/s (target {target:,.0f}), "
        f"all {got} received within {last - began:.1f} s of the first publish "
        f"({got / (last - began):,.0f} msg/s end to end; feed rate peaked at "
        f"{peak:,.0f} msg/s over 5 s)"
    )
    assert report["published"] == report["acked"] == total
    assert status.received == total and status.accepted == total and status.dropped == 0
    assert (seqs == 1).all(), f"lost {(seqs == 0).sum()} of {total}"
    assert pq.read_metadata(tmp_path / "burst.parquet").num_rows == total
    assert delivered < 60


def test_simulator_feeds_the_feed(broker: Broker) -> None:
    stations = demo_stations()
    settings = MqttSettings(host=broker.host, port=broker.port, topics=("twinscape/sensors/#",))
    feed = started(MqttFeed(settings, known_ids={s.sensor_id for s in stations}))
    sent = simulate(broker.host, broker.port, rate_hz=5, stations=stations, duration_s=2.0)
    wait_for(lambda: feed.status.received == sent, what=f"{sent} messages, {feed.status}")
    observations = feed.drain()
    feed.stop()
    status: FeedStatus = feed.status
    assert status.accepted == sent and status.invalid == status.unknown == 0
    assert 11 * 9 <= sent <= 12 * 11
    assert {o.quantity for o in observations} == {
        "pm25",
        "pm10",
        "temperature",
        "relativehumidity",
        "traffic",
    }
    assert {o.sensor_id for o in observations} == {s.sensor_id for s in stations}
    # the last station sticks at 40% of the run and falls silent at 70%
    failing = [o.value for o in observations if o.sensor_id == "NT-12" and o.quantity == "pm10"]
    healthy = [o.value for o in observations if o.sensor_id == "NT-01" and o.quantity == "pm10"]
    assert len(failing) < len(healthy) - 1 and failing[-1] == failing[-2]


def test_cli_simulate_sensors(broker: Broker) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    cmd = [sys.executable, "-m", "twinscape", "simulate-sensors"]
    done = subprocess.run(
        [
            *cmd,
            "--broker",
            f"{broker.host}:{broker.port}",
            "--duration",
            "0.5",
            "--rate",
            "4",
            "--stations",
            "3",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "published" in done.stdout.splitlines()[-1]
    refused = subprocess.run(
        [*cmd, "--broker", f"127.0.0.1:{free_port()}"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert refused.returncode == 2
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("twinscape: error: cannot connect")


def test_history_is_the_shipped_asset_and_looks_right(tmp_path: Path) -> None:
    made = write_history(
        tmp_path / "h.parquet",
        demo_stations(12),
        datetime(2025, 4, 14, tzinfo=timezone.utc),
        168,
        seed=0,
    )
    shipped = REPO / "assets" / "sensors" / "newtown_history.parquet"
    table = pd.read_parquet(made)
    pd.testing.assert_frame_equal(table, pd.read_parquet(shipped))
    assert shipped.stat().st_size < 1_000_000
    assert list(table.columns) == ["time", "sensor_id", "quantity", "value", "unit"]
    pm10 = table[table.quantity == "pm10"].pivot(index="time", columns="sensor_id", values="value")
    peaks = pm10.idxmax()
    assert pm10.max().min() > 400  # every station sees the dust
    assert peaks["NT-05"] < peaks["NT-10"]  # the plume drifts from the west
    temp = table[(table.quantity == "temperature") & (table.sensor_id == "NT-01")]
    hours = temp["time"].dt.hour.to_numpy()
    assert temp["value"][hours == 12].mean() > temp["value"][hours == 0].mean() + 8
    failing = table[(table.sensor_id == "NT-12") & (table.quantity == "temperature")]
    assert failing["time"].max() < table["time"].max()  # silent at the end
    assert (failing["value"].iloc[-10:].nunique()) == 1  # stuck before that
    stations = json.loads((REPO / "assets/sensors/newtown_stations.geojson").read_text())
    assert [f["properties"]["sensor_id"] for f in stations["features"]] == sorted(
        set(table["sensor_id"])
    )
