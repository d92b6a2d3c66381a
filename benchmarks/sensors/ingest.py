"""One ingest case in this process: the app's MQTT feed and 10 Hz drain against a publisher.

``python -m benchmarks.sensors.ingest --case 100k_v5 --port P --rate 100000
--mqtt-version 5 --out result.json``. The app side is what ``ui/live_feeds.py`` runs
for one connected layer, without Qt: an :class:`~twinscape.io.mqtt_feed.MqttFeed`
(known ids, a :class:`~twinscape.io.live_recorder.LiveRecorder` in a temp folder
unless ``--no-record``), and :meth:`LiveConnection.drain
<twinscape.ui.live_feeds.LiveConnection.drain>` every ``DRAIN_MS`` on this (the "GUI")
thread into a :class:`~twinscape.model.sensor_live.LiveState`. Once the feed's
subscription is acknowledged, :mod:`benchmarks.sensors.publisher` starts in its own
process. The loop ends when every published message arrived, when nothing arrived for
``--idle`` seconds after the publisher finished, or at ``duration + --tail`` seconds.

``--bare`` is the baseline: a paho client with the same protocol and session that only
counts messages, i.e. the most a Python MQTT subscriber takes here.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.sensors import QUANTITY, REPO_ROOT, SENSORS
from benchmarks.sensors.broker import process_cpu_s, process_peak_rss_mb
from benchmarks.sensors.publisher import sensor_ids


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"median": None, "p95": None, "max": None}
    a = np.asarray(values, float)
    return {"median": float(np.median(a)), "p95": float(np.percentile(a, 95)),
            "max": float(a.max())}


class _Bare:
    """The baseline: a paho client with the feed's protocol and session, counting messages.

    No checks, no JSON, no queue: the most a Python paho subscriber takes on this machine.
    ``status`` and ``drain`` mimic the feed's so that the same loop measures both.
    """

    def __init__(self, port: int, topic: str, client_id: str, version: str) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        protocol = mqtt.MQTTv5 if version == "5" else mqtt.MQTTv311
        kwargs = {} if version == "5" else {"clean_session": False}
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                                  protocol=protocol, **kwargs)
        self.client.on_connect = lambda c, *_: c.subscribe(topic, 1)
        self.client.on_subscribe = lambda *_: None
        self.client.on_message = self._on_message
        self.port, self.received, self._taken = port, 0, 0
        self._v5 = version == "5"

    def _on_message(self, *_: Any) -> None:
        self.received += 1

    @property
    def status(self) -> Any:
        from types import SimpleNamespace

        n = self.received
        return SimpleNamespace(received=n, duplicate=0, accepted=n, dropped=0, state="-",
                               error=None)

    def start(self) -> None:
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        extra: dict[str, Any] = {}
        if self._v5:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = 3600
            extra = {"clean_start": False, "properties": props}
        self.client.connect("127.0.0.1", self.port, 30, **extra)
        self.client.loop_start()

    def drain(self) -> int:
        n = self.received
        taken, self._taken = n - self._taken, n
        return taken

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _on_suback(client: Any) -> threading.Event:
    """An event set when the broker acknowledges the subscription.

    Wraps the paho client's ``on_subscribe`` (the feed's own handler still runs): the
    feed has no "subscribed" signal.
    """
    done = threading.Event()
    own = client.on_subscribe

    def on_subscribe(*args: Any) -> None:
        own(*args)
        done.set()

    client.on_subscribe = on_subscribe
    return done


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Connect, publish, drain at 10 Hz until done; every number of the case."""
    from twinscape.io.live_recorder import LiveRecorder
    from twinscape.io.mqtt_feed import MqttFeed
    from twinscape.model.sensor_live import LiveState
    from twinscape.model.sensor_sources import MqttSettings
    from twinscape.ui.live_feeds import DRAIN_MS, LiveConnection

    ids = sensor_ids(args.sensors)
    prefix = f"bench/{args.case}"
    client_id = f"twinscape-bench-{args.case}-{os.getpid()}"
    tmp = Path(tempfile.mkdtemp(prefix="twinscape-bench-ingest-"))
    recorder = LiveRecorder(tmp / "live.parquet") if args.record and not args.bare else None
    state = LiveState(ids, [QUANTITY])
    if args.bare:
        feed: Any = _Bare(args.port, f"{prefix}/#", client_id, args.mqtt_version)
        client, drain = feed.client, feed.drain
    else:
        settings = MqttSettings(host="127.0.0.1", port=args.port, topics=(f"{prefix}/#",))
        feed = MqttFeed(settings, known_ids=set(ids), recorder=recorder, client_id=client_id,
                        mqtt_version=args.mqtt_version)
        connection = LiveConnection(layer=None, feed=feed,  # type: ignore[arg-type]
                                    recorder=recorder, state=state)  # type: ignore[arg-type]
        client, drain = feed._client, connection.drain  # benchmark-only peek at the client
    subscribed = _on_suback(client)
    feed.start()
    if not subscribed.wait(10.0):
        feed.stop()
        raise RuntimeError(f"no SUBACK within 10 s: {feed.status}")

    pub_out = tmp / "publisher.json"
    cmd = [sys.executable, "-m", "benchmarks.sensors.publisher", "--port", str(args.port),
           "--topic-prefix", prefix, "--sensors", str(args.sensors), "--rate", str(args.rate),
           "--duration", str(args.duration), "--out", str(pub_out)]
    load_before = os.getloadavg()
    broker_cpu0 = process_cpu_s(args.broker_pid) if args.broker_pid else None
    cpu0, thread0, start = time.process_time(), time.thread_time(), time.monotonic()
    publisher = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)
    period = DRAIN_MS / 1000.0
    hard_stop = start + args.duration + args.tail + 15.0  # + publisher start-up and build
    batches: list[tuple[float, int, float]] = []  # (monotonic, observations, seconds)
    lateness: list[float] = []
    drained, last_arrival, published, stop_reason = 0, start, None, "deadline"
    tick = start
    while True:
        tick += period
        now = time.monotonic()
        if tick > now:
            time.sleep(tick - now)
        else:
            tick = now  # late: the next tick is a period from now, as QTimer does
        lateness.append(time.monotonic() - tick)
        t = time.perf_counter()
        n = drain()
        took = time.perf_counter() - t
        now = time.monotonic()
        if n:
            batches.append((now, n, took))
            drained += n
            last_arrival = now
        if published is None and publisher.poll() is not None:
            published = json.loads(pub_out.read_text())["published"] if pub_out.exists() else 0
        if published is not None:
            status = feed.status
            if status.received - status.duplicate >= published:
                stop_reason = "all delivered"
                break
            if now - last_arrival > args.idle:
                stop_reason = f"nothing for {args.idle:g} s"
                break
        if now > hard_stop:
            break
    end = last_arrival
    cpu_window = time.process_time() - cpu0
    drain_thread_cpu = time.thread_time() - thread0
    broker_cpu1 = process_cpu_s(args.broker_pid) if args.broker_pid else None
    broker_peak = process_peak_rss_mb(args.broker_pid) if args.broker_pid else None
    wall_window = time.monotonic() - start
    if publisher.poll() is None:
        publisher.kill()
    _, pub_err = publisher.communicate(timeout=30)
    drained += drain()
    close_start = time.perf_counter()
    feed.stop()
    if recorder is not None:
        recorder.close()
    close_s = time.perf_counter() - close_start
    status = feed.status
    pub = json.loads(pub_out.read_text()) if pub_out.exists() else {"error": pub_err[-2000:]}
    shutil.rmtree(tmp, ignore_errors=True)
    return _summary(args, status, pub, state, batches, lateness, drained, {
        "start": start, "end": end, "wall_window_s": wall_window, "cpu_window_s": cpu_window,
        "drain_thread_cpu_s": drain_thread_cpu, "close_s": close_s, "stop_reason": stop_reason,
        "broker_cpu_s": None if broker_cpu0 is None or broker_cpu1 is None
        else broker_cpu1 - broker_cpu0, "broker_peak_rss_mb": broker_peak,
        "loadavg_before": load_before, "recorded_rows": getattr(recorder, "rows_written", None),
    })


def _median_second(per_second: list[int], window_s: float) -> float | None:
    """Median of the messages taken in each full second of the publishing window."""
    full = per_second[: int(window_s)]
    return float(sorted(full)[len(full) // 2]) if full else None


def _summary(args: argparse.Namespace, status: Any, pub: dict[str, Any], state: Any,
             batches: list[tuple[float, int, float]], lateness: list[float], drained: int,
             run_info: dict[str, Any]) -> dict[str, Any]:
    """The case's numbers from the feed's status, the publisher's report and the batches."""
    from benchmarks.terrain.measure import peak_rss_mb

    published = int(pub.get("published", 0))
    unique = status.received - status.duplicate
    t0 = pub.get("t0_monotonic", run_info["start"])
    ingest_window = max(run_info["end"] - t0, 1e-9)
    seconds: dict[int, int] = {}
    for when, n, _ in batches:
        key = int(when - t0)
        seconds[key] = seconds.get(key, 0) + n
    per_second = [seconds.get(s, 0) for s in range(max(seconds) + 1)] if seconds else []
    pub_window = pub.get("publish_window_s") or 0.0
    rounds_s = pub.get("rounds_sent", 0) * pub.get("round_period_s", 0.0)
    publish_rate = published / max(pub_window, rounds_s) if published else 0.0
    app_cpu, wall = run_info["cpu_window_s"], run_info["wall_window_s"]
    return {
        "case": args.case,
        "mqtt_version": args.mqtt_version,
        "client": "paho only (baseline)" if args.bare else "MqttFeed + LiveState",
        "target_rate": args.rate,
        "duration_s": args.duration,
        "sensors": args.sensors,
        "recording": bool(args.record),
        "published": published,
        "publish_rate": publish_rate,
        "delivered": status.received,
        "duplicates": status.duplicate,
        "accepted": status.accepted,
        "rejected": status.received - status.accepted - status.duplicate,
        "dropped_by_queue": status.dropped,
        "drained": drained,
        "live_state_received": int(state.received),
        "lost": published - unique,
        "zero_lost": published > 0 and published - unique == 0,
        "ingest_rate": status.accepted / ingest_window,
        # the median full second while the publisher ran: the rate the app keeps up with
        "sustained_rate": _median_second(per_second, pub_window or rounds_s),
        "ingest_window_s": ingest_window,
        "delivery_lag_s": run_info["end"] - pub.get("sent_end_monotonic", run_info["end"]),
        "rate_per_second": per_second,
        "drain_batch_s": None if args.bare else _percentiles([b[2] for b in batches]),
        "drain_batch_size": None if args.bare else _percentiles([float(b[1]) for b in batches]),
        "drain_batch_times_s": [round(b[2], 6) for b in batches],
        "drain_batch_sizes": [b[1] for b in batches],
        "drain_tick_lateness_s": _percentiles(lateness),
        "app_cpu_s": app_cpu,
        "app_cpu_cores": app_cpu / wall if wall else None,
        "drain_thread_cpu_s": run_info["drain_thread_cpu_s"],
        "broker_cpu_s": run_info["broker_cpu_s"],
        "broker_cpu_cores": None if run_info["broker_cpu_s"] is None
        else run_info["broker_cpu_s"] / wall,
        "broker_peak_rss_mb": run_info["broker_peak_rss_mb"],
        "publisher_cpu_s": pub.get("cpu_publish_s"),
        "publisher_cpu_cores": None if not pub_window or pub.get("cpu_publish_s") is None
        else pub["cpu_publish_s"] / pub_window,
        "wall_window_s": wall,
        "stop_reason": run_info["stop_reason"],
        "feed_state": status.state,
        "feed_error": status.error,
        "close_s": run_info["close_s"],
        "recorded_rows": run_info["recorded_rows"],
        "peak_rss_mb": peak_rss_mb(),
        "loadavg_before": run_info["loadavg_before"],
        "publisher": pub,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the case; write its numbers (or the error) as JSON to ``--out``."""
    import traceback

    parser = argparse.ArgumentParser(prog="python -m benchmarks.sensors.ingest")
    parser.add_argument("--case", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rate", type=float, default=100_000.0)
    parser.add_argument("--mqtt-version", choices=("5", "3.1.1"), default="5")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--sensors", type=int, default=SENSORS)
    parser.add_argument("--tail", type=float, default=30.0,
                        help="seconds after publishing to wait for the last messages")
    parser.add_argument("--idle", type=float, default=3.0)
    parser.add_argument("--no-record", dest="record", action="store_false")
    parser.add_argument("--bare", action="store_true",
                        help="baseline: a paho client that only counts (no feed, no state)")
    parser.add_argument("--broker-pid", type=int)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        result: dict[str, Any] = {"ok": True, **run(args)}
        code = 0
    except Exception as exc:  # reported to the runner
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}",
                  "traceback": traceback.format_exc()}
        code = 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    return code


if __name__ == "__main__":
    raise SystemExit(main())
