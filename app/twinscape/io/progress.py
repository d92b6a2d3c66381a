"""Progress and cancel for readers: the callbacks a caller gives and one reporter over them.

A reader takes ``progress(fraction)`` and ``cancelled()`` from its caller (a load job on
a worker thread) and wraps them in a :class:`ProgressReporter`, which keeps the fractions
within 0..1 and never going back, and raises :class:`LoadCancelled` naming the file when
the user cancelled.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from twinscape.model.errors import LoadCancelled

#: ``progress(fraction)``: told how far a reader is, 0..1.
Progress = Callable[[float], None]
#: ``cancelled()``: polled by a reader; True stops it with :class:`LoadCancelled`.
Cancelled = Callable[[], bool]


class ProgressReporter:
    """Forwards monotonic progress fractions and raises when cancelled.

    Parameters
    ----------
    path
        The file being read (named in :class:`LoadCancelled`).
    progress, cancelled
        The caller's callbacks; either may be None.
    """

    def __init__(
        self, path: Path, progress: Progress | None = None, cancelled: Cancelled | None = None
    ) -> None:
        self._path, self._progress, self._cancelled = path, progress, cancelled
        self._last = -1.0

    def check(self) -> None:
        """Raise :class:`LoadCancelled` when the user cancelled."""
        if self._cancelled is not None and self._cancelled():
            raise LoadCancelled(f"{self._path}: loading cancelled")

    def report(self, fraction: float) -> None:
        """Pass ``fraction`` (clamped to 0..1) on when it is past the last one."""
        fraction = min(max(fraction, 0.0), 1.0)
        if self._progress is not None and fraction > self._last:
            self._last = fraction
            self._progress(fraction)

    def step(self, fraction: float) -> None:
        """:meth:`check`, then :meth:`report`: a point where the reader may stop."""
        self.check()
        self.report(fraction)

    def span(self, start: float, stop: float) -> Progress:
        """A callback mapping 0..1 onto ``start..stop``, raising when cancelled."""

        def step(fraction: float) -> None:
            self.step(start + (stop - start) * fraction)

        return step
