"""What a live feed does with the messages it receives: check, map, count, de-duplicate, queue.

:class:`Ingest` takes received MQTT messages a list at a time (``(topic, payload)`` bytes,
as :class:`~twinscape.io.mqtt_receive.BatchClient` hands them over), maps each payload with
:class:`~twinscape.io.mqtt_payload.PayloadMapper`, drops what is unknown, too old, too far
ahead or already queued (a QoS 1 redelivery), queues what is left as
:class:`LiveObservation` for the GUI to drain and hands it to a recording thread. Every
message ends in exactly one count of :class:`FeedStatus`. Work that does not depend on the
message (the clock, the lock, the rate) is done once per list. The recorder writes a Parquet
part (with fsync) every few thousand rows inside ``append``: on its own thread that never
holds up the network thread, which acknowledges messages only after they are queued.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import NamedTuple

from twinscape.io.live_recorder import LiveRecorder
from twinscape.io.mqtt_payload import PayloadMapper, _Reject
from twinscape.model.clock import NS
from twinscape.model.sensor_sources import MqttSettings

log = logging.getLogger(__name__)

#: (sensor, quantity, time) keys remembered to drop QoS 1 redeliveries: at least half this
#: many, the newest.
DEDUPE_KEYS = 200_000
#: The recording thread wakes when this many observations wait, or every RECORD_S seconds:
#: waking it for every list would make it take the GIL from the network thread each time.
RECORD_ROWS, RECORD_S = 5_000, 0.5


class LiveObservation(NamedTuple):
    """One value of one quantity of one sensor at one time (int64 ns UTC)."""

    sensor_id: str
    quantity: str
    time_ns: int
    value: float


@dataclass(frozen=True)
class FeedStatus:
    """A snapshot of a feed: connection state and what happened to each message.

    ``state`` is ``"connecting"``, ``"connected"``, ``"reconnecting"``, ``"stopped"`` or
    ``"failed"``; ``error`` the last connection problem (one line). Every received message
    ends in exactly one count: ``accepted``, ``duplicate`` (a QoS 1 redelivery of values
    already queued) or one of the rejections (``too_large`` ... ``future``).
    """

    state: str = "stopped"
    error: str | None = None
    received: int = 0
    rate: float = 0.0
    accepted: int = 0
    observations: int = 0
    duplicate: int = 0
    too_large: int = 0
    not_json: int = 0
    not_object: int = 0
    wrong_type: int = 0
    missing: int = 0
    nonfinite: int = 0
    unknown: int = 0
    late: int = 0
    future: int = 0
    dropped: int = 0
    connects: int = 0
    last_rejection: str | None = None

    @property
    def invalid(self) -> int:
        """Payloads that were not valid observations (size, JSON, types, missing, NaN)."""
        return (
            self.too_large
            + self.not_json
            + self.not_object
            + self.wrong_type
            + self.missing
            + self.nonfinite
        )


COUNTS = tuple(f.name for f in fields(FeedStatus) if f.type == "int")


def one_line(err: BaseException | str) -> str:
    """An error as one line of at most 300 characters."""
    text = " ".join(str(err).split()) or type(err).__name__
    return text[:300]


class Ingest:
    """Received messages in, counted and queued observations out (thread-safe).

    Parameters
    ----------
    settings
        The payload mapping.
    known_ids
        Sensor ids to accept; None accepts every id.
    now
        Clock in epoch seconds.
    late_ns, future_ns
        Observations older than ``late_ns`` or further ahead than ``future_ns`` are dropped.
    max_queue
        Observations kept for :meth:`drain`; beyond it the oldest are dropped (counted).
    on_error
        Called with one line when recording fails (recording then stops).
    """

    def __init__(
        self,
        settings: MqttSettings,
        *,
        known_ids: set[str] | None,
        now: Callable[[], float],
        late_ns: int,
        future_ns: int,
        max_queue: int,
        on_error: Callable[[str], None],
    ) -> None:
        self._map = PayloadMapper(settings)
        self._known = frozenset(known_ids) if known_ids is not None else None
        self._now, self._late_ns, self._future_ns = now, late_ns, future_ns
        self._on_error = on_error
        self.recorder: LiveRecorder | None = None
        self._to_record: list[LiveObservation] = []
        self._record_wake = threading.Event()
        self._record_stop = False
        self._recording: threading.Thread | None = None
        self._queue: deque[LiveObservation] = deque(maxlen=max_queue)
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(COUNTS, 0)
        self._rejection: str | None = None
        self._buckets: deque[list[int]] = deque(maxlen=8)
        self._seen: set[tuple[str, str, int]] = set()
        self._seen_before: set[tuple[str, str, int]] = set()

    def snapshot(self) -> tuple[dict[str, int], float, str | None]:
        """The counts, the messages per second over about 5 s, and the last rejection."""
        with self._lock:
            now = time.monotonic()
            recent = [(s, n) for s, n in self._buckets if s > int(now) - 5]
            span = min(now - (int(now) - 4), now - recent[0][0]) if recent else 1.0
            rate = sum(n for _, n in recent) / max(span, 1.0)
            return dict(self._counts), rate, self._rejection

    def count(self, name: str, rejection: str | None = None) -> None:
        """Add one to a count (and remember the rejection's text)."""
        with self._lock:
            self._counts[name] += 1
            if rejection is not None:
                self._rejection = one_line(rejection)

    def drain(self, max_items: int) -> list[LiveObservation]:
        """Take up to ``max_items`` queued observations, oldest first (any thread)."""
        out: list[LiveObservation] = []
        pop = self._queue.popleft
        try:
            for _ in range(max_items):
                out.append(pop())
        except IndexError:
            pass
        return out

    def receive(self, messages: list[tuple[bytes, bytes]]) -> None:
        """Map, check, count, record and queue a list of ``(topic, payload)`` messages."""
        now_ns = int(self._now() * NS)
        oldest, newest = now_ns - self._late_ns, now_ns + self._future_ns
        known, mapper = self._known, self._map
        seen, before = self._seen, self._seen_before
        batch: list[LiveObservation] = []
        tally: dict[str, int] = {}
        rejection, accepted = None, 0
        for raw_topic, payload in messages:
            try:
                topic = raw_topic.decode()
            except UnicodeDecodeError:
                topic = "(topic not UTF-8)"
            try:
                sensor, time_ns, values = mapper(topic, payload)
                if known is not None and sensor not in known:
                    raise _Reject("unknown", f"unknown sensor {sensor[:40]!r}")
                if time_ns < oldest:
                    raise _Reject("late", f"{sensor[:40]}: time is too old")
                if time_ns > newest:
                    raise _Reject("future", f"{sensor[:40]}: time is in the future")
            except _Reject as reject:
                tally[reject.reason] = tally.get(reject.reason, 0) + 1
                rejection = f"{topic[:100]}: {reject}"
                continue
            except Exception as err:  # never let a payload kill the network thread
                log.exception("MQTT message on %s", topic[:100])
                tally["wrong_type"] = tally.get("wrong_type", 0) + 1
                rejection = f"{topic[:100]}: unexpected error {one_line(err)}"
                continue
            fresh = False
            for quantity, value in values:
                key = (sensor, quantity, time_ns)
                if key in seen or key in before:
                    continue
                seen.add(key)
                batch.append(LiveObservation(sensor, quantity, time_ns, value))
                fresh = True
            if fresh:
                accepted += 1
            else:
                tally["duplicate"] = tally.get("duplicate", 0) + 1
            if len(seen) >= DEDUPE_KEYS // 2:
                self._seen_before, before = seen, seen
                self._seen = seen = set()
        self._record(batch)
        self._tally(len(messages), accepted, len(batch), tally, rejection)
        self._queue.extend(batch)

    def close(self) -> None:
        """Hand every observation received so far to the recorder (idempotent)."""
        if self._recording is not None:
            self._record_stop = True
            self._record_wake.set()
            self._recording.join()
            self._recording = None

    def _record(self, batch: list[LiveObservation]) -> None:
        if self.recorder is None or not batch:
            return
        if self._recording is None:
            self._record_stop = False
            self._recording = threading.Thread(
                target=self._record_loop, daemon=True, name="twinscape-mqtt-record"
            )
            self._recording.start()
        with self._lock:
            self._to_record += batch
            waiting = len(self._to_record)
        if waiting >= RECORD_ROWS:
            self._record_wake.set()

    def _record_loop(self) -> None:
        """Append what waits every :data:`RECORD_S` s (or :data:`RECORD_ROWS` rows) until
        :meth:`close`, then the rest."""
        while True:
            self._record_wake.wait(RECORD_S)
            self._record_wake.clear()
            stop = self._record_stop
            with self._lock:
                rows, self._to_record = self._to_record, []
            recorder = self.recorder
            if recorder is not None and rows:
                try:
                    recorder.append(rows)
                except Exception as err:
                    log.exception("recording to %s", recorder.path)
                    self.recorder = None
                    self._on_error(f"recording to {recorder.path} stopped: {one_line(err)}")
            if stop:
                return

    def _tally(
        self,
        received: int,
        accepted: int,
        observations: int,
        tally: dict[str, int],
        rejection: str | None,
    ) -> None:
        with self._lock:
            counts = self._counts
            counts["received"] += received
            counts["accepted"] += accepted
            counts["observations"] += observations
            for name, n in tally.items():
                counts[name] += n
            if rejection is not None:
                self._rejection = one_line(rejection)
            counts["dropped"] += max(0, len(self._queue) + observations - (self._queue.maxlen or 0))
            second = int(time.monotonic())
            if self._buckets and self._buckets[-1][0] == second:
                self._buckets[-1][1] += received
            else:
                self._buckets.append([second, received])
