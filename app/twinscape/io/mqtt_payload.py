"""Mapping of one MQTT JSON payload to a sensor id, a time and named values.

:class:`PayloadMapper` checks every payload as hostile (size, JSON, types, missing fields,
NaN/inf) and raises :class:`_Reject` with the :class:`~twinscape.io.mqtt_feed.FeedStatus`
count it belongs to; :func:`parse_time_ns` reads ISO 8601 or epoch times. Quantity names
are normalised as the sensor table reader does (:func:`normalise_quantity`). Payloads are
decoded with orjson (about 7x faster than :mod:`json` here); what orjson refuses is decoded
again with :mod:`json`, so that both accept the same documents (NaN, huge integers).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from twinscape.io.sensor_columns import quantity_name as normalise_quantity
from twinscape.model.clock import NS, to_ns
from twinscape.model.sensor_sources import MqttSettings

#: Payloads larger than this are counted as too large and never parsed.
MAX_PAYLOAD_BYTES = 256 * 1024
MAX_VALUES_PER_MESSAGE = 64
MAX_ID_CHARS = 128
#: Payloads with at most this many keys have their layout's value keys cached.
_SHAPE_KEYS = 16
_EPOCH_UNITS = ((1e11, NS), (1e14, 1_000_000), (1e17, 1_000), (9.2e18, 1))  # s, ms, µs, ns


class _Reject(Exception):
    def __init__(self, reason: str, text: str) -> None:
        super().__init__(text)
        self.reason = reason


def parse_time_ns(value: Any) -> int:
    """ISO 8601 text with an offset or Z, or epoch seconds/ms/µs/ns -> int64 ns UTC."""
    if type(value) is int:  # the usual: epoch ms
        size = -value if value < 0 else value
        for limit, factor in _EPOCH_UNITS:
            if size < limit:
                return value * factor
        raise _Reject("wrong_type", f"time {value} is out of range")
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
            return round(value * (factor // 1000)) * 1000 if factor >= 1000 else int(value)
    raise _Reject("wrong_type", f"time {value} is out of range")


class PayloadMapper:
    """Maps one JSON payload to ``(sensor_id, time_ns, [(quantity, value), ...])``."""

    def __init__(self, settings: MqttSettings) -> None:
        self.id_key, self.time_key = settings.sensor_id, settings.time
        self.value_keys = tuple(settings.values)
        self._names: dict[str, str] = {}
        self._shapes: dict[tuple[str, ...], tuple[str, ...]] = {}

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
            obj = orjson.loads(payload)
        except orjson.JSONDecodeError:
            obj = _loads(payload)
        if type(obj) is not dict:
            raise _Reject("not_object", f"payload is a JSON {type(obj).__name__}, not an object")
        sensor = obj.get(self.id_key)
        if sensor is None:
            sensor = topic.rsplit("/", 1)[-1]
        elif type(sensor) is int:
            sensor = str(sensor)
        if type(sensor) is not str:
            raise _Reject("wrong_type", f"{self.id_key} is a {type(sensor).__name__}")
        sensor = sensor.strip()
        if not sensor or sensor in "+#":
            raise _Reject("missing", f"no {self.id_key} in the payload or the topic")
        if len(sensor) > MAX_ID_CHARS:
            raise _Reject("wrong_type", f"{self.id_key} is longer than {MAX_ID_CHARS} characters")
        if self.time_key not in obj:
            raise _Reject("missing", f"no {self.time_key!r} in the payload")
        time_ns = parse_time_ns(obj[self.time_key])
        strict = True  # a value that is not a number is an error (else it is skipped)
        if self.value_keys:
            keys: Sequence[str] = [k for k in self.value_keys if obj.get(k) is not None]
        elif len(obj) <= _SHAPE_KEYS:  # the usual: few keys, a few layouts (no 64 limit)
            shape = tuple(obj)
            keys = self._shapes.get(shape) or self._shape(shape)
            strict = False
        else:
            skip = (self.id_key, self.time_key)
            keys = [k for k, v in obj.items() if type(v) in (int, float) and k not in skip]
        if strict and not keys:
            raise _Reject("missing", "no values in the payload")
        if len(keys) > MAX_VALUES_PER_MESSAGE:
            raise _Reject("wrong_type", f"more than {MAX_VALUES_PER_MESSAGE} values")
        names, values = self._names, []
        for key in keys:
            raw = obj[key]
            kind = type(raw)
            if kind is float:
                number = raw
            elif kind is int:
                try:
                    number = float(raw)
                except OverflowError:
                    raise _Reject("nonfinite", f"{key[:40]!r} is out of range") from None
            elif strict:
                raise _Reject("wrong_type", f"{key[:40]!r} is a {kind.__name__}")
            else:
                continue
            if number - number != 0.0:  # NaN or infinite
                raise _Reject("nonfinite", f"{key[:40]!r} is {raw}")
            values.append((names.get(key) or self.quantity(key), number))
        if not values:
            raise _Reject("missing", "no values in the payload")
        return sensor, time_ns, values

    def _shape(self, shape: tuple[str, ...]) -> tuple[str, ...]:
        """The keys of a payload layout that may hold values (all but the id and time)."""
        keys = tuple(k for k in shape if k != self.id_key and k != self.time_key)
        if len(self._shapes) < 1000:
            self._shapes[shape] = keys
        return keys


def _loads(payload: bytes) -> Any:
    """:mod:`json`'s reading of what orjson refused (NaN, Infinity, integers over 64 bits)."""
    try:
        return json.loads(payload)
    except (ValueError, RecursionError):
        raise _Reject("not_json", "payload is not JSON") from None
