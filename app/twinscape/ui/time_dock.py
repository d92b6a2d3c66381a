"""The "Time" dock: the project clock's slider, play/pause, speed, step, loop and live.

The clock is model state (``project.clock``): widgets write to it and its events
write back to the widgets with their signals blocked, so nothing loops. Playing
only moves ``clock.current`` from a ~20 Hz timer by ``rate`` x the real seconds
elapsed; the 3D view follows through :class:`~twinscape.ui.clock_watch.ClockWatcher`
and renders coalesced.
The clock spans the time extent of the layers' data (:func:`fit_clock`).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QSlider,
    QStyle,
    QToolButton,
    QWidget,
)

from twinscape.model.clock import ProjectClock
from twinscape.model.layers import Layer, time_extent_of, time_step_of
from twinscape.model.project import Project
from twinscape.ui.clock_watch import ClockWatcher
from twinscape.ui.project_watch import ProjectWatcher

#: Playing speeds offered (simulated seconds per real second).
RATES: tuple[float, ...] = (1.0, 10.0, 60.0, 600.0, 3600.0, 10_000.0)
#: Play timer interval (ms): ~20 frames a second.
TICK_MS = 50
#: Live mode follows the wall clock once a second.
LIVE_TICK_MS = 1000
#: A step when no layer says how often its data comes (s).
DEFAULT_STEP_S = 3600.0
#: Slider positions over the clock range at most (finer is not draggable anyway).
SLIDER_STEPS = 1_000_000


def utc_now() -> datetime:
    """The wall clock in UTC (microseconds dropped)."""
    return datetime.now(timezone.utc).replace(microsecond=0)


def format_utc(value: datetime) -> str:
    """``2026-03-21 08:00:00 UTC``."""
    return f"{value.astimezone(timezone.utc):%Y-%m-%d %H:%M:%S} UTC"


def rate_label(rate: float) -> str:
    """``×3,600``."""
    return f"\u00d7{rate:,.0f}" if rate >= 1 else f"\u00d7{rate:g}"


def fit_clock(
    clock: ProjectClock, extent: tuple[datetime, datetime], *, now: datetime | None = None
) -> bool:
    """Make ``clock`` span ``extent`` (to ``now`` too when live); clamp its current time.

    Returns True when the clock changed.
    """
    start, end = extent
    if now is not None:
        end = max(end, now)
    if clock.start == start and clock.end == end:
        return False
    if start <= clock.end:  # keep start <= end at every event
        clock.start, clock.end = start, end
    else:
        clock.end, clock.start = end, start
    if not start <= clock.current <= end:
        clock.set_time(clock.current)  # clamps
    return True


class TimeDock(QDockWidget):
    """The project clock: a slider over start..end, play/pause, speed, step, loop, live.

    Parameters
    ----------
    watcher
        The window's project watcher (layers coming and going refit the clock).
    clock_watch
        The window's clock watcher.

    Signals
    -------
    edited()
        The user changed a clock setting that is saved (the speed).
    """

    edited = Signal()

    def __init__(
        self, watcher: ProjectWatcher, clock_watch: ClockWatcher, parent: QWidget | None = None
    ) -> None:
        super().__init__("Time", parent)
        self.setObjectName("timeDock")
        self._watcher = watcher
        self._clock_watch = clock_watch
        self._syncing = False
        self._extent: tuple[datetime, datetime] | None = None
        self._unit_s = 1.0
        self._last_tick = 0.0
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)

        style = self.style()
        self.play_action = QAction(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "Play")
        self.play_action.setParent(self)
        self.play_action.setCheckable(True)
        self.play_action.setShortcut(QKeySequence(Qt.Key.Key_Space))
        self.play_action.setToolTip("Play or pause the clock (Space in the 3D view)")
        self.step_back_action = QAction(
            style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekBackward), "Step Back", self
        )
        self.step_back_action.setShortcut(QKeySequence("Ctrl+Left"))
        self.step_back_action.setToolTip("One data interval back (Ctrl+Left)")
        self.step_forward_action = QAction(
            style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekForward), "Step Forward", self
        )
        self.step_forward_action.setShortcut(QKeySequence("Ctrl+Right"))
        self.step_forward_action.setToolTip("One data interval forward (Ctrl+Right)")
        self.live_action = QAction("Live", self)
        self.live_action.setCheckable(True)
        self.live_action.setToolTip("Follow the wall clock (UTC now); leaving live pauses")
        for action in (self.step_back_action, self.step_forward_action):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)

        self.play_button = _tool_button(self.play_action, "playButton")
        back = _tool_button(self.step_back_action, "stepBackButton")
        forward = _tool_button(self.step_forward_action, "stepForwardButton")
        self.live_button = _tool_button(self.live_action, "liveButton")
        self.live_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("timeSlider")
        self.slider.setMinimumWidth(240)
        self.label = QLabel()
        self.label.setObjectName("timeLabel")
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.label.font()
        font.setBold(True)
        self.label.setFont(font)
        self.range_label = QLabel()
        self.range_label.setObjectName("timeRange")
        self.range_label.setStyleSheet("color: #666;")
        self.speed = QComboBox()
        self.speed.setObjectName("timeSpeed")
        self.speed.setToolTip("Simulated time per real second when playing")
        for rate in RATES:
            self.speed.addItem(rate_label(rate), rate)
        self.loop = QCheckBox("Loop")
        self.loop.setObjectName("timeLoop")
        self.loop.setToolTip("At the end, start again from the beginning")

        body = QWidget()
        row = QHBoxLayout(body)
        row.setContentsMargins(6, 2, 6, 2)
        for widget in (back, self.play_button, forward):
            row.addWidget(widget)
        row.addWidget(self.slider, 1)
        row.addWidget(self.label)
        row.addWidget(self.range_label)
        row.addWidget(self.speed)
        row.addWidget(self.loop)
        row.addWidget(self.live_button)
        self.setWidget(body)

        self.play_action.toggled.connect(self._play_toggled)
        self.live_action.toggled.connect(self._live_toggled)
        self.step_back_action.triggered.connect(lambda _c=False: self.step(-1))
        self.step_forward_action.triggered.connect(lambda _c=False: self.step(1))
        self.slider.valueChanged.connect(self._slider_moved)
        self.speed.currentIndexChanged.connect(lambda _i: self._speed_chosen())
        clock_watch.time_changed.connect(self._sync_time)
        clock_watch.settings_changed.connect(lambda _name: self.sync())
        watcher.project_replaced.connect(self._project_replaced)
        watcher.layers_changed.connect(self.fit_to_data)
        watcher.layer_changed.connect(self._layer_changed)
        self.sync()

    # -- the model ---------------------------------------------------------------------
    @property
    def clock(self) -> ProjectClock | None:
        """The clock shown."""
        return self._clock_watch.clock

    def _project(self) -> Project | None:
        return self._watcher.project

    def _project_replaced(self, _project: Project) -> None:
        self.play_action.setChecked(False)
        self.live_action.setChecked(False)
        self._extent = None
        self.fit_to_data()
        self.sync()

    def _layer_changed(self, layer: Layer, field: str) -> None:
        if field in layer.data_fields:
            self.fit_to_data()

    def fit_to_data(self) -> None:
        """Span the clock over the layers' data when that extent changed."""
        project, clock = self._project(), self.clock
        if project is None or clock is None:
            return
        extent = time_extent_of(project.layers)
        if extent is None or extent == self._extent:
            return
        self._extent = extent
        fit_clock(clock, extent, now=utc_now() if self.live_action.isChecked() else None)

    def step_seconds(self) -> float:
        """One step: the finest typical interval of the layers' data, else an hour."""
        project = self._project()
        step = None if project is None else time_step_of(project.layers)
        return step if step is not None else DEFAULT_STEP_S

    # -- model -> widgets --------------------------------------------------------------
    def sync(self) -> None:
        """Show the clock's range, speed and time."""
        clock = self.clock
        self.setEnabled(clock is not None)
        if clock is None:
            return
        assert clock.start is not None and clock.end is not None
        span_s = max((clock.end - clock.start).total_seconds(), 0.0)
        self._unit_s = max(1.0, span_s / SLIDER_STEPS)
        self._syncing = True
        try:
            self.slider.setRange(0, int(round(span_s / self._unit_s)))
            self.slider.setPageStep(max(1, int(round(self.step_seconds() / self._unit_s))))
            index = self.speed.findData(float(clock.rate))
            if index < 0:
                self.speed.addItem(rate_label(clock.rate), float(clock.rate))
                index = self.speed.count() - 1
            self.speed.setCurrentIndex(index)
        finally:
            self._syncing = False
        self.range_label.setText(f"{clock.start:%Y-%m-%d %H:%M} \u2013 {clock.end:%Y-%m-%d %H:%M}")
        self.slider.setToolTip(f"{format_utc(clock.start)} to {format_utc(clock.end)}")
        self._sync_time()

    def _sync_time(self) -> None:
        clock = self.clock
        if clock is None or clock.start is None:
            return
        offset = (clock.current - clock.start).total_seconds()
        self._syncing = True
        try:
            self.slider.setValue(int(round(offset / self._unit_s)))
        finally:
            self._syncing = False
        self.label.setText(format_utc(clock.current))
        self.label.setToolTip(f"Project time; your computer: {clock.current.astimezone():%c %Z}")

    # -- widgets -> model --------------------------------------------------------------
    def set_time(self, value: datetime) -> None:
        """Move the clock to ``value`` (clamped), as a user would; leaves live mode."""
        clock = self.clock
        if clock is None:
            return
        if self.live_action.isChecked():
            self.live_action.setChecked(False)
        clock.set_time(value)

    def _slider_moved(self, value: int) -> None:
        clock = self.clock
        if self._syncing or clock is None or clock.start is None:
            return
        self.set_time(clock.start + timedelta(seconds=value * self._unit_s))

    def _speed_chosen(self) -> None:
        clock, rate = self.clock, self.speed.currentData()
        if self._syncing or clock is None or rate is None or float(rate) == clock.rate:
            return
        clock.rate = float(rate)
        self.edited.emit()

    def step(self, direction: int) -> None:
        """Move the clock one data interval forward (1) or back (-1)."""
        clock = self.clock
        if clock is not None:
            self.set_time(clock.current + timedelta(seconds=direction * self.step_seconds()))

    # -- playing -----------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        """True while the clock runs on its own (not live)."""
        return self.play_action.isChecked()

    def _play_toggled(self, on: bool) -> None:
        style = self.style()
        pixmap = QStyle.StandardPixmap.SP_MediaPause if on else QStyle.StandardPixmap.SP_MediaPlay
        self.play_action.setIcon(style.standardIcon(pixmap))
        self.play_action.setText("Pause" if on else "Play")
        clock = self.clock
        if on:
            self.live_action.setChecked(False)  # stops the live timer; play restarts it
            if clock is not None and clock.current >= clock.end and clock.start is not None:
                clock.set_time(clock.start)  # play at the end: from the beginning
            self._last_tick = time.monotonic()
            self.timer.start(TICK_MS)
        elif not self.live_action.isChecked():
            self.timer.stop()

    def _live_toggled(self, on: bool) -> None:
        if on:
            if self.play_action.isChecked():
                self.play_action.setChecked(False)
            self.timer.start(LIVE_TICK_MS)
            self._tick()
        elif not self.play_action.isChecked():
            self.timer.stop()  # leaving live pauses

    def _tick(self) -> None:
        clock = self.clock
        if clock is None or clock.start is None or clock.end is None:
            return
        if self.live_action.isChecked():
            now = utc_now()
            if now > clock.end:
                clock.end = now
            clock.set_time(now)
            return
        tick = time.monotonic()
        elapsed, self._last_tick = tick - self._last_tick, tick
        target = clock.current + timedelta(seconds=clock.rate * elapsed)
        if target >= clock.end:
            span = clock.end - clock.start
            if not self.loop.isChecked() or span.total_seconds() <= 0:
                clock.set_time(clock.end)
                self.play_action.setChecked(False)
                return
            target = clock.start + (target - clock.start) % span
        clock.set_time(target)

    def stop(self) -> None:
        """Stop playing and live mode (the window closes)."""
        self.play_action.setChecked(False)
        self.live_action.setChecked(False)
        self.timer.stop()

    def install_shortcuts(self, view: QWidget, window: QWidget) -> None:
        """Space plays/pauses while ``view`` has focus; Ctrl+Left/Right step in ``window``."""
        self.play_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        view.addAction(self.play_action)
        window.addActions([self.step_back_action, self.step_forward_action])


def _tool_button(action: QAction, name: str) -> QToolButton:
    button = QToolButton()
    button.setObjectName(name)
    button.setDefaultAction(action)
    button.setAutoRaise(True)
    return button
