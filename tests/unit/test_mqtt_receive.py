"""The batched MQTT receive path: packets cut from a byte stream at every boundary, a broker
that sends a packet in pieces, and bursts through a real mosquitto broker, MQTT 5 and 3.1.1.

Packets are built here from the MQTT specification (3.1.1 section 3.3, 5.0 section 3.3),
not with the code under test.
"""

from __future__ import annotations

import json
import random
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow.parquet as pq
import pytest

from twinscape.io.live_recorder import LiveRecorder
from twinscape.io.mqtt_feed import MqttFeed
from twinscape.io.mqtt_receive import (
    EMPTY,
    OTHER,
    PARTIAL,
    BatchClient,
    BufferedSocket,
    MalformedPacketError,
    split_publishes,
)
from twinscape.model.sensor_sources import MqttSettings

if TYPE_CHECKING:
    from conftest_mqtt import Broker

pytest_plugins = ["conftest_mqtt"]  # the mosquitto fixtures: tests/unit/conftest_mqtt.py

REPO = Path(__file__).resolve().parents[2]


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def publish_packet(
    topic: bytes,
    payload: bytes,
    qos: int,
    mid: int = 0,
    *,
    v5: bool = False,
    properties: bytes = b"",
) -> bytes:
    body = struct.pack("!H", len(topic)) + topic
    if qos:
        body += struct.pack("!H", mid)
    if v5:
        body += varint(len(properties)) + properties
    body += payload
    return bytes([0x30 | qos << 1]) + varint(len(body)) + body


class Chunks:
    """A socket that returns a byte stream in the given pieces, then "would block"."""

    def __init__(self, data: bytes, sizes: list[int]) -> None:
        self.pieces, at = [], 0
        for size in sizes:
            self.pieces.append(data[at : at + size])
            at += size
        self.pieces.append(data[at:])

    def recv(self, n: int) -> bytes:
        if not self.pieces:
            raise BlockingIOError
        piece = self.pieces.pop(0)
        if len(piece) > n:
            self.pieces.insert(0, piece[n:])
        return piece[:n]


@pytest.mark.parametrize("v5", [False, True])
def test_split_publishes_at_every_cut(v5: bool) -> None:
    rng = random.Random(7)
    messages = [
        (f"a/{i}".encode(), bytes(rng.getrandbits(8) for _ in range(n)))
        for i, n in enumerate([0, 1, 100, 127, 128, 300, 16_383, 16_384, 70_000])
    ]
    user_property = b"\x26" + struct.pack("!H", 1) + b"k" + struct.pack("!H", 1) + b"v"
    stream = b"".join(
        publish_packet(
            topic,
            payload,
            i % 2,
            1000 + i,
            v5=v5,
            properties=user_property * (i * 9) if v5 else b"",
        )
        for i, (topic, payload) in enumerate(messages)
    )
    expected_mids = [1000 + i for i in range(len(messages)) if i % 2]
    for cut in [1, 2, 3, 5, 64, 4096, 65_536, *rng.sample(range(1, len(stream)), 40)]:
        sock = BufferedSocket(Chunks(stream, [cut] * (len(stream) // cut)))
        got: list[tuple[bytes, bytes]] = []
        mids: list[int] = []
        found = EMPTY
        while True:
            try:
                sock.fill()
            except BlockingIOError:
                break
            found = split_publishes(sock, v5, got, mids)
            assert found in (EMPTY, PARTIAL)
        assert found == EMPTY and got == messages and mids == expected_mids, cut


def test_other_packets_are_left_to_paho_and_bad_ones_refused() -> None:
    pingresp, qos2 = b"\xd0\x00", publish_packet(b"t", b"x", 2, 5)
    for tail in (pingresp, qos2):
        sock = BufferedSocket(Chunks(publish_packet(b"t", b"1", 1, 9) + tail, []))
        sock.fill()
        got: list[tuple[bytes, bytes]] = []
        mids: list[int] = []
        assert split_publishes(sock, False, got, mids) == OTHER
        assert got == [(b"t", b"1")] and mids == [9]
        assert sock.recv(100) == tail  # what paho's own reader then gets
    overrun = b"\x32\x04" + struct.pack("!H", 50) + b"ab"  # a topic longer than its packet
    sock = BufferedSocket(Chunks(overrun, []))
    sock.fill()
    with pytest.raises(MalformedPacketError):
        split_publishes(sock, False, [], [])


def test_partial_packet_does_not_make_select_spin() -> None:
    packet = publish_packet(b"t", b"payload", 1, 1)
    sock = BufferedSocket(Chunks(packet, [4]))
    sock.fill()
    assert split_publishes(sock, False, [], []) == PARTIAL
    assert sock.pending() == 0  # paho's loop waits in select for the rest
    sock.more = True  # the reader stopped early: paho must come back without waiting
    assert sock.pending() == 4


class PieceBroker(threading.Thread):
    """Just enough of an MQTT 3.1.1 broker to send one client packets in chosen pieces.

    mosquitto cannot be told where to cut a stream; this can: it accepts one connection,
    answers CONNECT and SUBSCRIBE, sends ``pieces`` with ``pause`` seconds between them and
    records the PUBACKs it gets back (with the time each came).
    """

    def __init__(self, pieces: list[bytes], pause: float) -> None:
        super().__init__(daemon=True)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.pieces, self.pause = pieces, pause
        self.sent_at: list[float] = []
        self.acks: list[tuple[int, float]] = []

    def read_packet(self, conn: socket.socket) -> tuple[int, bytes]:
        head = conn.recv(1)
        length, shift = 0, 0
        while True:
            byte = conn.recv(1)[0]
            length |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        body = b""
        while len(body) < length:
            body += conn.recv(length - len(body))
        return head[0], body

    def run(self) -> None:
        conn, _ = self.server.accept()
        with conn:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            assert self.read_packet(conn)[0] == 0x10  # CONNECT
            conn.sendall(b"\x20\x02\x00\x00")
            kind, body = self.read_packet(conn)
            assert kind == 0x82  # SUBSCRIBE
            conn.sendall(b"\x90\x03" + body[:2] + b"\x01")
            for piece in self.pieces:
                time.sleep(self.pause)
                conn.sendall(piece)
                self.sent_at.append(time.monotonic())
            conn.settimeout(5)
            try:
                while True:
                    kind, body = self.read_packet(conn)
                    if kind == 0x40:
                        self.acks.append((struct.unpack("!H", body)[0], time.monotonic()))
            except (OSError, IndexError):
                return


def test_a_packet_in_pieces_arrives_once_complete_and_whole_ones_at_once() -> None:
    now_ms = int(time.time() * 1000)

    def packet(seq: int) -> bytes:
        body = json.dumps({"sensor_id": "p", "time": now_ms + seq, "seq": seq}).encode()
        return publish_packet(b"p/p", body + b" " * 200, 1, 100 + seq)  # 2-byte length

    first, second, third = packet(0), packet(1), packet(2)
    pieces = [first + second[:1], second[1:2], second[2:20], second[20:] + third[:5], third[5:]]
    server = PieceBroker(pieces, pause=0.5)
    server.start()
    settings = MqttSettings(host="127.0.0.1", port=server.port, topics=("p/#",))
    feed = MqttFeed(settings, mqtt_version="3.1.1")
    feed.start()
    seen: list[tuple[int, float]] = []
    deadline = time.monotonic() + 10
    while len(seen) < 3 and time.monotonic() < deadline:
        seen += [(int(o.value), time.monotonic()) for o in feed.drain()]
        time.sleep(0.005)
    server.join(10)
    feed.stop()
    assert [seq for seq, _ in seen] == [0, 1, 2]
    # each arrives well within 0.3 s of its last byte (the pieces are 0.5 s apart): no stall
    # waiting for more bytes while a whole packet sits in the buffer
    for (seq, when), sent in zip(seen, [server.sent_at[0], server.sent_at[3], server.sent_at[4]]):
        assert 0 <= when - sent < 0.3, (seq, when - sent)
    assert [mid for mid, _ in server.acks] == [100, 101, 102]
    assert feed.status.accepted == 3


@pytest.mark.parametrize("version", ["5", "3.1.1"])
def test_burst_through_mosquitto_arrives_whole_and_in_order(
    broker: Broker, tmp_path: Path, version: str
) -> None:
    """The benchmark's publisher (raw socket, QoS 1): 200 sensors x up to 200 rounds at
    40,000 messages/s; every message arrives once, each sensor's in order, and is recorded."""
    from benchmarks.sensors.publisher import value

    sensors, rounds = 200, 200
    recording = tmp_path / "burst.parquet"
    recorder = LiveRecorder(recording)
    prefix = f"fast{version.replace('.', '')}"
    settings = MqttSettings(host=broker.host, port=broker.port, topics=(f"{prefix}/#",))
    feed = MqttFeed(settings, recorder=recorder, mqtt_version=version)
    feed.start()
    deadline = time.monotonic() + 10
    while feed.status.state != "connected" and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # the SUBACK
    out = tmp_path / "pub.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.sensors.publisher",
            "--port",
            str(broker.port),
            "--topic-prefix",
            prefix,
            "--sensors",
            str(sensors),
            "--rate",
            "40000",
            "--duration",
            str(sensors * rounds / 40_000),
            "--out",
            str(out),
        ],
        cwd=REPO,
        check=True,
        timeout=120,
    )
    report = json.loads(out.read_text())
    published, rounds = report["published"], report["rounds_sent"]
    got: list = []
    deadline = time.monotonic() + 30
    while len(got) < published and time.monotonic() < deadline:
        got += feed.drain()
        time.sleep(0.02)
    feed.stop()
    recorder.close()
    assert rounds > 150 and published == sensors * rounds and len(got) == published
    status = feed.status
    assert (status.received, status.accepted, status.duplicate, status.dropped) == (
        published,
        published,
        0,
        0,
    )
    by_sensor: dict[str, list[tuple[int, float]]] = {}
    for o in got:
        by_sensor.setdefault(o.sensor_id, []).append((o.time_ns, o.value))
    assert len(by_sensor) == sensors
    for sid, series in by_sensor.items():
        times = np.array([t for t, _ in series])
        assert (np.diff(times) > 0).all(), f"{sid} out of order"
        assert [v for _, v in series] == [value(int(sid[1:]), k) for k in range(rounds)]
    table = pq.read_table(recording)  # read back by pyarrow
    assert table.num_rows == published
    assert sorted(table.column("value").to_pylist()) == sorted(o.value for o in got)


def test_messages_over_tls_big_and_small(broker: Broker, tmp_path: Path) -> None:
    """TLS records (16 KiB at most) cut packets anywhere: a 200 KB message among 4,000 small
    ones, published on the plain listener, all reach a feed on the TLS listener."""
    if not broker.has_tls:
        pytest.skip("openssl is not installed: no TLS listener")
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    settings = MqttSettings(host=broker.host, port=broker.tls_port, topics=("tlsb/#",), tls=True)
    feed = MqttFeed(settings, ca_file=broker.ca_file)
    feed.start()
    deadline = time.monotonic() + 10
    while feed.status.state != "connected" and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # the SUBACK
    big = {"sensor_id": "big", "time": time.time(), "pm25": 1.5, "note": "x" * 200_000}
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    client.connect(broker.host, broker.port)
    client.loop_start()
    client.publish("tlsb/big", json.dumps(big), qos=1).wait_for_publish(10)
    out = tmp_path / "pub.json"
    subprocess.run(
        [sys.executable, "-m", "benchmarks.sensors.publisher", "--port", str(broker.port),
         "--topic-prefix", "tlsb", "--sensors", "100", "--rate", "20000", "--duration", "0.2",
         "--out", str(out)],
        cwd=REPO, check=True, timeout=120,
    )  # fmt: skip
    client.publish(
        "tlsb/big", json.dumps({**big, "time": big["time"] + 1, "pm25": 2.5}), qos=1
    ).wait_for_publish(10)
    client.disconnect()
    client.loop_stop()
    expected = json.loads(out.read_text())["published"] + 2
    got: list = []
    deadline = time.monotonic() + 20
    while len(got) < expected and time.monotonic() < deadline:
        got += feed.drain()
        time.sleep(0.02)
    feed.stop()
    assert expected >= 4_000 and len(got) == expected
    assert (got[0].sensor_id, got[0].value, got[-1].sensor_id, got[-1].value) == (
        "big",
        1.5,
        "big",
        2.5,
    )
    assert feed.status.accepted == expected and feed.status.invalid == 0


class _FakeSocket:
    """A non-blocking socket that hands out ``pieces`` and records what is sent."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces, self.sent, self.closed = pieces, [], False

    def recv(self, n: int) -> bytes:
        if self.closed:
            raise OSError(9, "Bad file descriptor")
        if not self.pieces:
            raise BlockingIOError
        return self.pieces.pop(0)

    def send(self, data: bytes) -> int:
        if self.closed:
            raise OSError(9, "Bad file descriptor")
        self.sent.append(bytes(data))
        return len(data)

    def close(self) -> None:
        self.closed = True

    def setblocking(self, flag: bool) -> None:
        pass

    def fileno(self) -> int:
        return -1


def test_messages_handed_over_before_a_disconnect_are_acknowledged_first() -> None:
    """stop() queues DISCONNECT while a batch is being handed over: the batch's PUBACKs
    must go out before it (else the broker redelivers the batch next session), and the
    disconnect is reported once."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    def publish(mid: int) -> bytes:
        body = struct.pack("!H", 3) + b"a/b" + struct.pack("!H", mid) + b'{"v":1}'
        return bytes([0x32, len(body)]) + body

    client = BatchClient(CallbackAPIVersion.VERSION2, client_id="x", protocol=mqtt.MQTTv311)
    raw = _FakeSocket([b"".join(publish(m) for m in range(1, 101)), publish(101)])
    client._sock = BufferedSocket(raw)
    client._state = mqtt._ConnectionState.MQTT_CS_CONNECTED
    client._thread = threading.current_thread()  # threaded: queued packets wait for the loop
    delivered: list = []
    disconnects: list = []

    def on_batch(messages: list) -> None:
        delivered.extend(messages)
        if len(delivered) == 100:
            client.disconnect()  # what MqttFeed.stop() does, from the GUI thread

    client.on_batch = on_batch
    client.on_disconnect = lambda *args: disconnects.append(args)
    client.loop_read()
    kinds = [packet[0] for packet in raw.sent]
    assert kinds == [0x40, 0xE0]  # PUBACKs, then DISCONNECT
    acked = [struct.unpack("!H", raw.sent[0][i + 2 : i + 4])[0] for i in range(0, 400, 4)]
    assert acked == list(range(1, 101))
    assert len(disconnects) == 1
