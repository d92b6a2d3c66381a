"""Mapping of one MQTT JSON payload to a sensor id, a time and named values.

:class:`PayloadMapper` checks every payload as hostile (size, JSON, types, missing fields,
NaN/inf) and raises :class:`_Reject` with the :class:`~twinscape.io.mqtt_feed.FeedStatus`
count it belongs to; :func:`parse_time_ns` reads ISO 8601 or epoch times. Quantity names
are normalised as the sensor table reader does (:func:`normalise_quantity`).
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

from twinscape.io.sensor_columns import quantity_name as normalise_quantity
from twinscape.model.clock import NS, to_ns
from twinscape.model.sensors import MqttSettings

#: Payloads larger than this are counted as too large and never parsed.
MAX_PAYLOAD_BYTES = 256 * 1024
MAX_VALUES_PER_MESSAGE = 64
MAX_ID_CHARS = 128
_EPOCH_UNITS = ((1e11, NS), (1e14, 1_000_000), (1e17, 1_000), (9.2e18, 1))  # s, ms, µs, ns


class _Reject(Exception):
    def __init__(self, reason: str, text: str) -> None:
        super().__init__(text)
        self.reason = reason


def parse_time_ns(value: Any) -> int:
    """ISO 8601 text with an offset or Z, or epoch seconds/ms/µs/ns -> int64 ns UTC."""
    if isinstance(value, str):
        text = value.strip()
        if not 0 < len(text) <= 64:
            raise _Reject("wrong_type", "time text is empty or too long")
        if text[-1] in "zZ":
            text = text[:-1] + "+00:00"
        try:
            stamp = datetime.fromisoformat(text)
        except ValueError:
            raise _Reject("wrong_type", f"time {value!r} is not ISO 8601") from None
        if stamp.tzinfo is None:
            raise _Reject("wrong_type", f"time {value!r} has no timezone (add Z or +hh:mm)")
        return to_ns(stamp)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Reject("wrong_type", f"time is a {type(value).__name__}")
    if not math.isfinite(value):
        raise _Reject("nonfinite", "time is NaN or infinite")
    for limit, factor in _EPOCH_UNITS:
        if abs(value) < limit:
            if isinstance(value, int):
                return value * factor
            return int(round(value * factor / 1000)) * 1000 if factor >= 1000 else int(value)
    raise _Reject("wrong_type", f"time {value} is out of range")


class PayloadMapper:
    """Maps one JSON payload to ``(sensor_id, time_ns, [(quantity, value), ...])``."""

    def __init__(self, settings: MqttSettings) -> None:
        self.id_key, self.time_key = settings.sensor_id, settings.time
        self.value_keys = tuple(settings.values)
        self._names: dict[str, str] = {}

    def quantity(self, key: str) -> str:
        name = self._names.get(key)
        if name is None:
            name = normalise_quantity(key)
            if not name:
                raise _Reject("wrong_type", f"value key {key[:40]!r} has no letters or digits")
            if len(self._names) < 1000:
                self._names[key] = name
        return name

    def __call__(self, topic: str, payload: bytes) -> tuple[str, int, list[tuple[str, float]]]:
        if len(payload) > MAX_PAYLOAD_BYTES:
            raise _Reject("too_large", f"payload of {len(payload)} bytes > {MAX_PAYLOAD_BYTES}")
        try:
            obj = json.loads(payload)
        except (ValueError, RecursionError):
            raise _Reject("not_json", "payload is not JSON") from None
        if not isinstance(obj, dict):
            raise _Reject("not_object", f"payload is a JSON {type(obj).__name__}, not an object")
        sensor = obj.get(self.id_key)
        if sensor is None:
            sensor = topic.rsplit("/", 1)[-1]
        elif isinstance(sensor, int) and not isinstance(sensor, bool):
            sensor = str(sensor)
        if not isinstance(sensor, str):
            raise _Reject("wrong_type", f"{self.id_key} is a {type(sensor).__name__}")
        sensor = sensor.strip()
        if not sensor or sensor in "+#":
            raise _Reject("missing", f"no {self.id_key} in the payload or the topic")
        if len(sensor) > MAX_ID_CHARS:
            raise _Reject("wrong_type", f"{self.id_key} is longer than {MAX_ID_CHARS} characters")
        if self.time_key not in obj:
            raise _Reject("missing", f"no {self.time_key!r} in the payload")
        time_ns = parse_time_ns(obj[self.time_key])
        if self.value_keys:
            items = [(k, obj[k]) for k in self.value_keys if obj.get(k) is not None]
        else:
            skip = (self.id_key, self.time_key)
            items = [(k, v) for k, v in obj.items()
                     if type(v) in (int, float) and k not in skip]
        if not items:
            raise _Reject("missing", "no values in the payload")
        if len(items) > MAX_VALUES_PER_MESSAGE:
            raise _Reject("wrong_type", f"more than {MAX_VALUES_PER_MESSAGE} values")
        values = []
        for key, raw in items:
            if isinstance(raw, bool) or not isinstance(raw, (int, float)):
                raise _Reject("wrong_type", f"{key[:40]!r} is a {type(raw).__name__}")
            try:
                number = float(raw)
            except OverflowError:
                raise _Reject("nonfinite", f"{key[:40]!r} is out of range") from None
            if not math.isfinite(number):
                raise _Reject("nonfinite", f"{key[:40]!r} is {raw}")
            values.append((self.quantity(key), number))
        return sensor, time_ns, values
