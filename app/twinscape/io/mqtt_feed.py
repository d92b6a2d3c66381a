"""Live sensor observations from an MQTT broker, received on paho-mqtt's network thread.

:class:`MqttFeed` connects (TLS and user name/password optional), subscribes to the topics
of an :class:`~twinscape.model.sensor_sources.MqttSettings` at QoS 1 in a persistent MQTT 5 session,
maps each JSON payload to :class:`LiveObservation` objects and queues them. The GUI drains
the queue with a timer (:meth:`MqttFeed.drain`); nothing here touches Qt or blocks the
caller: connecting, reconnecting and receiving all run on background threads. Messages
come in lists (:class:`~twinscape.io.mqtt_receive.BatchClient`, paho with a batched
receive path) and are checked, counted and queued by :class:`~twinscape.io.mqtt_ingest.Ingest`;
each is acknowledged (QoS 1) only once it is queued, so the broker keeps what we have not taken.

Every payload is hostile until checked: too large, not JSON, not an object, wrong types,
missing fields, NaN/inf, unknown sensors, times far in the past or future are counted in
:class:`FeedStatus` and dropped, never raised. Note that a broker queues only so many
messages for a slow client (mosquitto's ``max_queued_messages``, 1000 by default) and drops
the rest: raise it on brokers that carry bursts. Quantity names are normalised as the
sensor table reader does (:func:`normalise_quantity`: ``"PM2.5"`` -> ``"pm25"``, ``"RH"`` ->
``"relativehumidity"``), so live and recorded data name quantities alike.
"""

from __future__ import annotations

import logging
import os
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from twinscape.io.live_recorder import LiveRecorder
from twinscape.io.mqtt_ingest import FeedStatus as FeedStatus  # re-exported
from twinscape.io.mqtt_ingest import Ingest
from twinscape.io.mqtt_ingest import LiveObservation as LiveObservation
from twinscape.io.mqtt_ingest import one_line as _one_line
from twinscape.io.mqtt_payload import MAX_ID_CHARS as MAX_ID_CHARS
from twinscape.io.mqtt_payload import MAX_PAYLOAD_BYTES as MAX_PAYLOAD_BYTES
from twinscape.io.mqtt_payload import MAX_VALUES_PER_MESSAGE as MAX_VALUES_PER_MESSAGE
from twinscape.io.mqtt_payload import normalise_quantity as normalise_quantity
from twinscape.io.mqtt_payload import parse_time_ns as parse_time_ns
from twinscape.io.mqtt_receive import BatchClient
from twinscape.model.clock import NS
from twinscape.model.sensor_sources import MqttSettings

log = logging.getLogger(__name__)

#: MQTT 5 Maximum Packet Size we announce: the broker drops anything bigger for us.
MAX_PACKET_BYTES = 16 * 1024 * 1024
#: CONNACK reasons that retrying cannot fix.
_PERMANENT = {
    "Bad user name or password",
    "Not authorized",
    "Client identifier not valid",
    "Banned",
    "Bad authentication method",
    "Unsupported protocol version",
}


def password_from_env(settings: MqttSettings) -> str | None:
    """The password from the environment variable the settings name, if set."""
    return os.environ.get(settings.password_env) if settings.password_env else None


class MqttFeed:
    """Observations from an MQTT broker, queued for the GUI to drain.

    Parameters
    ----------
    settings
        Broker, topics and payload mapping.
    password
        For ``settings.username``; kept only by the paho client (never written anywhere).
    known_ids
        Sensor ids to accept; None accepts every id.
    now
        Clock in epoch seconds (tests inject one).
    late_s, future_s
        Observations older than ``late_s`` or further ahead than ``future_s`` are dropped.
    ca_file
        CA bundle for TLS; None uses the system CAs.
    recorder
        Where accepted observations are appended; None records to ``settings.record_to``
        when it is set.
    client_id, session_expiry_s
        The persistent session: the broker keeps our subscriptions and queues QoS 1
        messages for ``session_expiry_s`` while we are away (MQTT 5; under 3.1.1 until
        the broker's ``persistent_client_expiration``).
    mqtt_version
        ``"5"`` (default: session expiry, and the broker drops packets over
        :data:`MAX_PACKET_BYTES` for us) or ``"3.1.1"``.
    max_queue
        Observations kept for :meth:`drain`; beyond it the oldest are dropped (counted).
    """

    def __init__(
        self,
        settings: MqttSettings,
        *,
        password: str | None = None,
        known_ids: set[str] | None = None,
        now: Callable[[], float] = time.time,
        late_s: float = 86_400.0,
        future_s: float = 300.0,
        ca_file: Path | None = None,
        recorder: LiveRecorder | None = None,
        client_id: str | None = None,
        session_expiry_s: int = 3600,
        max_queue: int = 1_000_000,
        keepalive_s: int = 30,
        mqtt_version: str = "5",
    ) -> None:
        if mqtt_version not in ("5", "3.1.1"):
            raise ValueError(f"mqtt_version: {mqtt_version!r} is not '5' or '3.1.1'")
        bad = [t for t in settings.topics if not isinstance(t, str) or not t.strip()]
        if not settings.topics or bad:
            raise ValueError(f"topics: {settings.topics!r} needs one or more non-empty topics")
        self._v5 = mqtt_version == "5"
        self.settings = settings
        self._ingest = Ingest(
            settings,
            known_ids=known_ids,
            now=now,
            late_ns=int(late_s * NS),
            future_ns=int(future_s * NS),
            max_queue=max_queue,
            on_error=lambda text: self._set_state(self._state, text),
        )
        self._ingest.recorder, self._own_recorder = recorder, False
        self._lock = threading.Lock()
        self._state: str = "stopped"
        self._error: str | None = None
        self._connects = 0
        self._stop = threading.Event()
        self._started = False
        self._connector: threading.Thread | None = None
        self._keepalive = keepalive_s
        self.client_id = client_id or f"twinscape-{uuid.uuid4().hex[:12]}"
        self._client = self._make_client(password, ca_file, session_expiry_s)

    # -- public API ------------------------------------------------------------------------

    @property
    def status(self) -> FeedStatus:
        """A frozen snapshot of the connection and the message counts."""
        counts, rate, rejection = self._ingest.snapshot()
        with self._lock:
            counts["connects"] = self._connects
            return FeedStatus(
                state=self._state, error=self._error, rate=rate, last_rejection=rejection, **counts
            )

    def start(self) -> None:
        """Connect and receive in the background; returns at once."""
        if self._started:
            return
        self._started = True
        if self._ingest.recorder is None and self.settings.record_to is not None:
            self._ingest.recorder = LiveRecorder(self.settings.record_to)
            self._own_recorder = True
        self._set_state("connecting")
        self._connector = threading.Thread(
            target=self._connect_loop, name="twinscape-mqtt", daemon=True
        )
        self._connector.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Disconnect, join the network threads and close an own recording (idempotent)."""
        if self._stop.is_set():
            return
        self._stop.set()
        if self._connector is not None:
            self._connector.join(timeout)
        self._client.disconnect()
        self._client.loop_stop()
        self._ingest.close()
        if self._own_recorder and self._ingest.recorder is not None:
            self._ingest.recorder.close()
        with self._lock:
            if self._state != "failed":
                self._state = "stopped"

    def drain(self, max_items: int = 100_000) -> list[LiveObservation]:
        """Take up to ``max_items`` queued observations, oldest first (any thread)."""
        return self._ingest.drain(max_items)

    def __enter__(self) -> MqttFeed:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- connection ------------------------------------------------------------------------

    def _make_client(self, password: str | None, ca_file: Path | None, expiry: int) -> BatchClient:
        if self._v5:
            client = BatchClient(
                CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=mqtt.MQTTv5
            )
            self._connect_args: dict[str, Any] = {
                "clean_start": False,
                "properties": Properties(PacketTypes.CONNECT),
            }
            self._connect_args["properties"].SessionExpiryInterval = expiry
            self._connect_args["properties"].MaximumPacketSize = MAX_PACKET_BYTES
        else:
            client = BatchClient(
                CallbackAPIVersion.VERSION2,
                client_id=self.client_id,
                protocol=mqtt.MQTTv311,
                clean_session=False,
            )
            self._connect_args = {}
        if self.settings.tls:
            client.tls_set(ca_certs=str(ca_file) if ca_file else None)
        if self.settings.username is not None:
            client.username_pw_set(self.settings.username, password)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        client.on_batch = self._ingest.receive
        return client

    def _connect_loop(self) -> None:
        """First connection, retried with backoff (paho retries later ones itself)."""
        where, delay = f"{self.settings.host}:{self.settings.port}", 1.0
        while not self._stop.is_set():
            try:
                self._client.connect(
                    self.settings.host, self.settings.port, self._keepalive, **self._connect_args
                )
            except ssl.SSLCertVerificationError as err:
                self._set_state(
                    "failed",
                    f"TLS: {where} has an untrusted certificate: "
                    f"{_one_line(err.verify_message or err)}",
                )
                return
            except (OSError, ValueError) as err:
                self._set_state(
                    "connecting",
                    f"cannot connect to {where}: {_one_line(err)}; retrying in {delay:.0f} s",
                )
                if self._stop.wait(delay):
                    return
                delay = min(delay * 2, 30.0)
                continue
            if not self._stop.is_set():
                self._client.loop_start()
            return

    def _set_state(self, state: str, error: str | None = None) -> None:
        with self._lock:
            if self._state == "failed" and state != "failed":
                return
            self._state = state
            if error is not None:
                self._error = error

    def _on_connect(self, client: mqtt.Client, _u: Any, flags: Any, reason: Any, _p: Any) -> None:
        where = f"{self.settings.host}:{self.settings.port}"
        if reason.is_failure:
            text = f"{where} refused the connection: {reason}"
            if str(reason) in _PERMANENT:
                self._set_state("failed", text)
                client.disconnect()
            else:
                self._set_state("reconnecting", f"{text}; retrying")
            return
        with self._lock:
            self._connects += 1
            if self._state != "failed":
                self._state, self._error = "connected", None
        client.subscribe([(topic, 1) for topic in self.settings.topics])

    def _on_connect_fail(self, _client: mqtt.Client, _u: Any) -> None:
        where = f"{self.settings.host}:{self.settings.port}"
        self._set_state("reconnecting", f"cannot reach {where}; retrying")

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if self._stop.is_set():
            return
        where = f"{self.settings.host}:{self.settings.port}"
        self._set_state("reconnecting", f"lost the connection to {where} ({reason}); retrying")

    def _on_subscribe(self, _c: mqtt.Client, _u: Any, _mid: int, codes: Any, _p: Any) -> None:
        refused = [t for t, code in zip(self.settings.topics, codes) if code.is_failure]
        if refused:
            self._set_state("connected", f"the broker refused the topics {', '.join(refused)}")

    # -- messages --------------------------------------------------------------------------

    def _on_message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        """A message through paho's own reader: a QoS 2 PUBLISH (never sent on a QoS 1
        subscription), or any message on a socket the batched path does not wrap."""
        self._ingest.receive([(message._topic, message.payload)])
