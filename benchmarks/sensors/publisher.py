"""The load generator: JSON observations of N sensors over MQTT 3.1.1, QoS 1, on a raw socket.

``python -m benchmarks.sensors.publisher --port P --topic-prefix bench/x --rate 100000
--duration 10 --out pub.json``. Every sensor publishes one message per round to
``<prefix>/<id>``: ``{"sensor_id":"S00042","time":<epoch ms>,"pm25":12.3}``; a round
of all sensors is due every ``sensors / rate`` seconds. Every packet of every round is
built before the clock starts (one ``bytes`` per round), so that while publishing this
process only writes to its socket and counts PUBACKs on a reader thread: on a 2-core
machine it leaves the CPU to the broker and the app, which is what is measured. A round
that is late goes out at once (as fast as the socket takes it); rounds not started
within ``duration`` are not sent. At most :data:`WINDOW` messages are unacknowledged
(packet ids stay unique), then the sender waits for PUBACKs.

``published`` = PUBACKs received: messages the broker took responsibility for.
"""

from __future__ import annotations

import argparse
import json
import socket
import struct
import threading
import time
from pathlib import Path
from typing import Any

#: Unacknowledged QoS 1 messages at most (packet ids are 1..65535).
WINDOW = 60_000


def _varint(n: int) -> bytes:
    """MQTT remaining length."""
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _string(text: bytes) -> bytes:
    return struct.pack("!H", len(text)) + text


def sensor_ids(count: int) -> list[str]:
    """The station ids the publisher and the benchmark's sensor layers share."""
    return [f"S{i:05d}" for i in range(count)]


def value(sensor: int, round_: int) -> float:
    """A value that walks through the PM2.5 colour classes from round to round (µg/m³)."""
    return ((sensor * 37 + round_ * 53) % 3000) / 10.0


class Acks(threading.Thread):
    """Reads the socket: counts PUBACKs, remembers when the last one came."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(name="pubacks", daemon=True)
        self.sock = sock
        self.acked = 0
        self.last_ack = 0.0
        self.other: dict[int, int] = {}
        self.cond = threading.Condition()
        self.closed = False

    def run(self) -> None:
        buf = b""
        while True:
            try:
                chunk = self.sock.recv(1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                break
            buf += chunk
            acks, pos = 0, 0
            while pos + 2 <= len(buf):
                kind, length, head = buf[pos] >> 4, 0, pos + 1
                shift = 0
                while head < len(buf):
                    length |= (buf[head] & 0x7F) << shift
                    shift += 7
                    head += 1
                    if not buf[head - 1] & 0x80:
                        break
                else:
                    break
                if head + length > len(buf):
                    break
                if kind == 4:
                    acks += 1
                else:
                    self.other[kind] = self.other.get(kind, 0) + 1
                pos = head + length
            buf = buf[pos:]
            with self.cond:
                self.acked += acks
                if acks:
                    self.last_ack = time.monotonic()
                self.cond.notify_all()
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def wait_for(self, acked: int, until: float) -> bool:
        """Wait (at most until monotonic ``until``) for ``acked`` PUBACKs in all."""
        with self.cond:
            while self.acked < acked and not self.closed:
                left = until - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(min(left, 0.5))
            return self.acked >= acked


def build_rounds(prefix: str, sensors: int, rounds: int, period_s: float) -> list[bytes]:
    """Every PUBLISH packet of every round, one ``bytes`` per round."""
    ids = [i.encode() for i in sensor_ids(sensors)]
    topics = [_string(f"{prefix}/{i.decode()}".encode()) for i in ids]
    base_ms = int(time.time() * 1000) - 1000
    out, pid = [], 0
    for k in range(rounds):
        stamp = b"%d" % (base_ms + int(round(k * period_s * 1000)))
        packets = []
        for i in range(sensors):
            pid = pid % 65535 + 1
            payload = b'{"sensor_id":"%s","time":%s,"pm25":%.1f}' % (ids[i], stamp, value(i, k))
            body = topics[i] + struct.pack("!H", pid) + payload
            packets.append(b"\x32" + _varint(len(body)) + body)
        out.append(b"".join(packets))
    return out


def connect(host: str, port: int, client_id: str) -> socket.socket:
    """A clean MQTT 3.1.1 session without keepalive; raises when the broker refuses."""
    sock = socket.create_connection((host, port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    variable = _string(b"MQTT") + bytes([4, 0x02]) + struct.pack("!H", 0)
    body = variable + _string(client_id.encode())
    sock.sendall(b"\x10" + _varint(len(body)) + body)
    answer = b""
    while len(answer) < 4:
        chunk = sock.recv(4 - len(answer))
        if not chunk:
            raise ConnectionError("the broker closed the connection before CONNACK")
        answer += chunk
    if answer[0] != 0x20 or answer[3] != 0:
        raise ConnectionError(f"CONNACK refused: {answer.hex()}")
    sock.settimeout(None)
    return sock


def publish(args: argparse.Namespace) -> dict[str, Any]:
    """Build, connect, publish the rounds on schedule, wait for PUBACKs; the numbers."""
    cpu0 = time.process_time()
    period = args.sensors / args.rate
    rounds = max(1, int(round(args.duration / period)))
    built0 = time.perf_counter()
    packets = build_rounds(args.topic_prefix, args.sensors, rounds, period)
    build_s = time.perf_counter() - built0
    sock = connect(args.host, args.port, f"bench-publisher-{args.topic_prefix}")
    acks = Acks(sock)
    acks.start()
    cpu_start = time.process_time()
    t0 = time.monotonic()
    deadline = t0 + args.duration
    sent, late, send_times = 0, 0, []
    for k, chunk in enumerate(packets):
        due = t0 + k * period
        now = time.monotonic()
        if now >= deadline:
            break
        if due > now:
            time.sleep(due - now)
        elif now - due > period:
            late += 1
        if not acks.wait_for(sent + args.sensors - WINDOW, deadline):
            break  # the broker stopped acknowledging within the publishing time
        sock.sendall(chunk)
        sent += args.sensors
        send_times.append(round(time.monotonic() - t0, 4))
    sent_end = time.monotonic()
    cpu_sent = time.process_time()
    acks.wait_for(sent, sent_end + args.ack_timeout)
    try:
        sock.sendall(b"\xe0\x00")
    except OSError:
        pass
    sock.close()
    acks.join(5)
    send_s = sent_end - t0
    return {
        "target_rate": args.rate,
        "sensors": args.sensors,
        "round_period_s": period,
        "rounds_planned": rounds,
        "rounds_sent": len(send_times),
        "rounds_late": late,
        "sent": sent,
        "published": acks.acked,
        "unacknowledged": sent - acks.acked,
        "publish_window_s": send_s,
        "publish_rate": sent / send_s if send_s > 0 else None,
        "acked_rate": acks.acked / max(acks.last_ack - t0, 1e-9) if acks.acked else 0.0,
        "t0_monotonic": t0,
        "sent_end_monotonic": sent_end,
        "last_ack_monotonic": acks.last_ack,
        "build_s": build_s,
        "bytes": sum(len(c) for c in packets[: len(send_times)]),
        "cpu_build_s": cpu_start - cpu0,
        "cpu_publish_s": cpu_sent - cpu_start,
        "cpu_total_s": time.process_time() - cpu0,
        "round_send_times_s": send_times,
        "other_packets": acks.other,
    }


def main(argv: list[str] | None = None) -> int:
    """Publish and write the numbers as JSON to ``--out``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sensors.publisher")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--topic-prefix", default="bench")
    parser.add_argument("--sensors", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=100_000.0, help="messages per second")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of publishing")
    parser.add_argument("--ack-timeout", type=float, default=60.0, help="seconds for PUBACKs")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    result = publish(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
