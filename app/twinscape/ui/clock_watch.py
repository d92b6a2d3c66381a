"""The bridge from the project clock's psygnal events to Qt signals.

:class:`ClockWatcher` follows the clock of the project a
:class:`~twinscape.ui.project_watch.ProjectWatcher` watches (and a clock that replaces
it); the Time dock and the 3D view listen to it instead of to the clock itself.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from shiboken6 import isValid

from twinscape.model.clock import ProjectClock
from twinscape.ui.project_watch import ProjectWatcher


class ClockWatcher(QObject):
    """Re-emits the watched project's clock events as Qt signals (follows a replaced clock).

    Signals
    -------
    time_changed()
        ``clock.current`` moved.
    settings_changed(str)
        ``start``, ``end`` or ``rate`` changed, or ``clock`` (a new clock object).
    """

    time_changed = Signal()
    settings_changed = Signal(str)

    def __init__(self, watcher: ProjectWatcher, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._clock: ProjectClock | None = None
        self._watcher = watcher
        watcher.project_replaced.connect(lambda _p: self._attach())
        watcher.project_changed.connect(lambda name: name == "clock" and self._attach())
        self._attach()

    @property
    def clock(self) -> ProjectClock | None:
        """The clock followed (the watched project's)."""
        return self._clock

    def _attach(self) -> None:
        self._detach()
        project = self._watcher.project
        if project is None:
            return
        self._clock = project.clock
        self._clock.events.current.connect(self._on_current)
        for name in ("start", "end", "rate"):
            getattr(self._clock.events, name).connect(self._on_setting)
        self.settings_changed.emit("clock")
        self.time_changed.emit()

    def _detach(self) -> None:
        if self._clock is None:
            return
        self._clock.events.current.disconnect(self._on_current)
        for name in ("start", "end", "rate"):
            getattr(self._clock.events, name).disconnect(self._on_setting)
        self._clock = None

    def _on_current(self, *_args: object) -> None:
        if isValid(self):
            self.time_changed.emit()

    def _on_setting(self, *_args: object) -> None:
        if isValid(self):
            self.settings_changed.emit("range")

    def stop(self) -> None:
        """Stop following (the window closes)."""
        self._detach()
