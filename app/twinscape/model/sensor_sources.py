"""Where a sensor layer's observations come from: a table's columns and a live feed.

:class:`ColumnMapping` says which columns of a CSV or Parquet table hold what (the reader
recognises the others by name); :class:`MqttSettings` names an MQTT broker, its topics and
how a JSON payload maps to observations. Both are saved in the project file.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path


@dataclass(frozen=True)
class ColumnMapping:
    """Which columns of a table hold what; ``None`` lets the reader recognise common names.

    Parameters
    ----------
    time, sensor_id, quantity, value, unit
        Columns of a long table (one observation a row).
    x, y
        Station coordinates (longitude/latitude or projected, in ``crs``).
    layout
        ``"long"``, ``"wide"`` (one column per station or per quantity) or ``"auto"``.
    timezone
        IANA zone of times written without an offset (``"America/Toronto"``); None: UTC.
    crs
        CRS of ``x``/``y`` columns; None: longitude/latitude (EPSG:4326).
    """

    time: str | None = None
    sensor_id: str | None = None
    quantity: str | None = None
    value: str | None = None
    unit: str | None = None
    x: str | None = None
    y: str | None = None
    layout: str = "auto"
    timezone: str | None = None
    crs: str | None = None

    def as_dict(self) -> dict[str, str]:
        """The fields that are set (for project files)."""
        return {f.name: v for f in fields(self) if (v := getattr(self, f.name)) is not None}


@dataclass(frozen=True)
class MqttSettings:
    """A live feed: broker, topics and how a JSON payload maps to observations.

    The password is never stored: it comes from the environment variable named by
    ``password_env`` or is asked for at connect time.
    """

    host: str
    port: int = 1883
    topics: tuple[str, ...] = ("sensors/#",)
    sensor_id: str = "sensor_id"
    time: str = "time"
    values: tuple[str, ...] = ()
    tls: bool = False
    username: str | None = None
    password_env: str | None = None
    record_to: Path | None = None
