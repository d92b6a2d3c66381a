"""The one project clock every time-dependent thing reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from psygnal import evented

#: Nanoseconds per second: times in data arrays are int64 ns since the epoch, UTC.
NS = 1_000_000_000


def to_ns(value: datetime) -> int:
    """A timezone-aware datetime as int64 nanoseconds since the epoch (UTC)."""
    if value.tzinfo is None:
        raise ValueError(f"{value.isoformat()} has no timezone")
    return int(round(value.timestamp() * 1e6)) * 1000


def from_ns(value: int) -> datetime:
    """int64 nanoseconds since the epoch -> an aware UTC datetime."""
    return datetime.fromtimestamp(int(value) / NS, tz=timezone.utc)


def _utc_now_hour() -> datetime:
    return datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)


def as_utc(value: datetime, *, name: str = "time") -> datetime:
    """Return ``value`` in UTC; raise ValueError for naive datetimes."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name}: {value.isoformat()} has no timezone; write it with Z or +hh:mm")
    return value.astimezone(timezone.utc)


@evented
@dataclass(kw_only=True, eq=False)
class ProjectClock:
    """Project time: a UTC instant within a range, advancing at a rate.

    Parameters
    ----------
    current
        The instant everything shows.
    start, end
        The range the clock runs over.
    rate
        Simulated seconds per real second when playing.
    """

    current: datetime = field(default_factory=_utc_now_hour)
    start: datetime | None = None
    end: datetime | None = None
    rate: float = 1.0

    def __post_init__(self) -> None:
        self.current = as_utc(self.current, name="current")
        if self.start is None:
            self.start = self.current
        if self.end is None:
            self.end = self.start + timedelta(days=1)
        self.start = as_utc(self.start, name="start")
        self.end = as_utc(self.end, name="end")
        if self.end < self.start:
            raise ValueError(f"end {self.end.isoformat()} is before start {self.start.isoformat()}")
        if not self.start <= self.current <= self.end:
            raise ValueError(f"current {self.current.isoformat()} is outside start..end")
        if self.rate <= 0:
            raise ValueError(f"rate: {self.rate} must be positive")

    def set_time(self, value: datetime) -> None:
        """Move the clock to ``value`` (clamped to start..end)."""
        value = as_utc(value)
        assert self.start is not None and self.end is not None
        self.current = min(max(value, self.start), self.end)
