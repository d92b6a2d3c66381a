"""Live feeds of sensor layers: one MQTT feed per connected layer, drained on the GUI thread.

:class:`LiveFeeds` is a window service (ui/kinds/sensors.py registers it, the window
makes one at start and shuts it down as it closes). The sensors panel asks it to
connect or disconnect a layer whose ``live`` settings are set. For each connected layer
it runs an :class:`~twinscape.io.mqtt_feed.MqttFeed` (its network threads receive and
check messages; a stable client id per layer keeps the broker session, so QoS 1
messages sent while it was away arrive on reconnect), records accepted observations
with a :class:`~twinscape.io.live_recorder.LiveRecorder` (next to the project, or at
``live.record_to``), and drains the feed with one timer at ~10 Hz into
``layer.live_state`` in one vectorised :meth:`~twinscape.model.sensor_live.LiveState.apply`
per tick, so the glyphs recolour in place at most ten times a second whatever the
message rate. :attr:`LiveFeeds.status_changed` tells panels about a layer's feed about
once a second and at every connect and disconnect.

The password is never kept: it comes from the environment variable named in the
settings, or from the caller (the panel asks the user) and goes only to the MQTT client.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QStandardPaths, QTimer, Signal

from twinscape.io.live_recorder import LiveRecorder
from twinscape.io.mqtt_feed import FeedStatus, MqttFeed, password_from_env
from twinscape.model.errors import TwinscapeError
from twinscape.model.project import Project
from twinscape.model.sensor_live import LiveState
from twinscape.model.sensor_sources import MqttSettings
from twinscape.model.sensors import SensorsLayer
from twinscape.ui.dialogs import error_text
from twinscape.ui.project_watch import ProjectWatcher

log = logging.getLogger(__name__)

#: The name the service is registered under (``window.services[SERVICE_NAME]``).
SERVICE_NAME = "liveFeeds"
#: Drain interval (ms): ~10 batches a second.
DRAIN_MS = 100
#: Status notifications every this many drains (~1 Hz).
STATUS_EVERY = 10


def needs_password(settings: MqttSettings) -> bool:
    """True when the settings name a user but no environment variable gives the password."""
    return settings.username is not None and password_from_env(settings) is None


def default_recording(project: Project | None, layer: SensorsLayer) -> Path:
    """Where a layer's live observations are recorded unless ``live.record_to`` says.

    ``<project>-<layer>-live.parquet`` next to the saved project; in the application's
    data folder for an unsaved project.
    """
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", layer.name).strip("_.") or layer.id
    if project is not None and project.path is not None:
        path = Path(project.path)
        return path.with_name(f"{path.stem}-{slug}-live.parquet")
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(folder) / "recordings" / f"{slug}-{layer.id}-live.parquet"


def recording_path(project: Project | None, layer: SensorsLayer) -> Path:
    """Where a layer's live observations are recorded: ``live.record_to``, else the default."""
    if layer.live is not None and layer.live.record_to is not None:
        return Path(layer.live.record_to)
    return default_recording(project, layer)


@dataclass
class LiveConnection:
    """One connected layer: its feed, its recording and the live state it fills."""

    layer: SensorsLayer
    feed: MqttFeed
    recorder: LiveRecorder
    state: LiveState

    def drain(self) -> int:
        """Move every queued observation into the live state (one batch); returns how many."""
        batch = self.feed.drain()
        if not batch:
            return 0
        n = len(batch)
        times = np.fromiter((o.time_ns for o in batch), np.int64, n)
        values = np.fromiter((o.value for o in batch), np.float64, n)
        ids = [o.sensor_id for o in batch]
        quantities = [o.quantity for o in batch]
        self.state.apply(ids, quantities, times, values)
        return n

    def stop(self) -> Path:
        """Disconnect (joins the feed's threads) and finish the recording; returns its path."""
        try:
            self.feed.stop()
        finally:
            path = self.recorder.close()
        return path


class LiveFeeds(QObject):
    """The live feeds of one window's sensor layers (a window service).

    Parameters
    ----------
    window
        The main window (its ``watcher`` tells which layers exist).

    Signals
    -------
    status_changed(str)
        The feed of the layer with this id changed state or has new counts (~1 Hz).
    """

    status_changed = Signal(str)

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.setObjectName(SERVICE_NAME)
        self._watcher: ProjectWatcher = window.watcher
        self._connections: dict[str, LiveConnection] = {}
        self._last: dict[str, FeedStatus] = {}
        self._recordings: dict[str, Path] = {}
        self._ticks = 0
        self._closed = False
        self.timer = QTimer(self)
        self.timer.setInterval(DRAIN_MS)
        self.timer.timeout.connect(self._tick)
        self._watcher.layers_changed.connect(self._forget_removed)
        self._watcher.project_replaced.connect(lambda _p: self._forget_removed())
        self._watcher.layer_changed.connect(self._layer_changed)

    @classmethod
    def of(cls, watcher: ProjectWatcher) -> LiveFeeds | None:
        """The service of the window ``watcher`` belongs to, None outside a window."""
        owner = watcher.parent()
        services = getattr(owner, "services", None) if owner is not None else None
        found = services.get(SERVICE_NAME) if isinstance(services, dict) else None
        return found if isinstance(found, LiveFeeds) else None

    # -- queries ---------------------------------------------------------------------
    def is_connected(self, layer: SensorsLayer) -> bool:
        """True while ``layer`` has a running feed."""
        return layer.id in self._connections

    def status(self, layer: SensorsLayer) -> FeedStatus | None:
        """The feed's status now, or the last one of a stopped feed, or None (never ran)."""
        connection = self._connections.get(layer.id)
        if connection is not None:
            return connection.feed.status
        return self._last.get(layer.id)

    def recording(self, layer: SensorsLayer) -> Path | None:
        """Where the layer's feed records (or recorded last)."""
        return self._recordings.get(layer.id)

    def connections(self) -> list[LiveConnection]:
        """The running feeds."""
        return list(self._connections.values())

    def client_id(self, layer: SensorsLayer) -> str:
        """The MQTT client id of ``layer``: stable, so the broker keeps its session."""
        return f"twinscape-{layer.id}"

    # -- connecting ------------------------------------------------------------------
    def start_feed(self, layer: SensorsLayer, *, password: str | None = None) -> str | None:
        """Connect ``layer`` to its broker; returns None, or why it could not (one line).

        ``password`` is for ``live.username`` when no environment variable gives it.
        Connecting happens in the background: :meth:`status` tells how it goes.
        """
        if self._closed:
            return "the window is closing"
        if layer.id in self._connections:
            return None
        settings, data = layer.live, layer.data
        if settings is None:
            return f"{layer.name}: no live feed is set up"
        if data is None:
            return f"{layer.name}: the stations are not loaded yet"
        if password is None:
            password = password_from_env(settings)
        path = recording_path(self._watcher.project, layer)
        try:
            recorder = LiveRecorder(path)
        except (TwinscapeError, OSError) as err:
            return f"cannot record: {error_text(err)}"
        ids = [str(i) for i in data.station_ids]
        state = layer.live_state
        if state is None or list(state.rows) != ids:
            state = LiveState(ids, data.quantities)
        try:
            feed = MqttFeed(settings, password=password, known_ids=set(ids), recorder=recorder,
                            client_id=self.client_id(layer))
        except (ValueError, OSError) as err:
            recorder.close()
            return f"{layer.name}: {error_text(err)}"
        self._connections[layer.id] = LiveConnection(layer, feed, recorder, state)
        self._recordings[layer.id] = path
        layer.live_state = state  # the visual follows it
        feed.start()
        if not self.timer.isActive():
            self.timer.start()
        self.status_changed.emit(layer.id)
        return None

    def stop_feed(self, layer: SensorsLayer) -> Path | None:
        """Disconnect ``layer`` (its threads end) and finish its recording; returns its path.

        The live values stay on the layer until they are stale.
        """
        connection = self._connections.pop(layer.id, None)
        if connection is None:
            return None
        try:
            connection.drain()  # what arrived before the stop
        except Exception:  # noqa: BLE001 - stopping must go on
            log.exception("draining the feed of %r", layer.name)
        path: Path | None = None
        try:
            path = connection.stop()
        except Exception:  # noqa: BLE001 - the feed is stopped; the recording failed
            log.exception("stopping the feed of %r", layer.name)
        self._last[layer.id] = connection.feed.status
        if not self._connections:
            self.timer.stop()
        self.status_changed.emit(layer.id)
        return path

    def shutdown(self) -> None:
        """Stop every feed (the window closes): no thread is left running."""
        self._closed = True
        self.timer.stop()
        for connection in list(self._connections.values()):
            self.stop_feed(connection.layer)

    # -- the timer and the model -----------------------------------------------------
    def _tick(self) -> None:
        for connection in list(self._connections.values()):
            try:
                connection.drain()
            except Exception:  # noqa: BLE001 - one bad batch must not stop the others
                log.exception("live values of %r", connection.layer.name)
        self._ticks += 1
        if self._ticks % STATUS_EVERY == 0:
            for layer_id in list(self._connections):
                self.status_changed.emit(layer_id)

    def _forget_removed(self) -> None:
        project = self._watcher.project
        for connection in list(self._connections.values()):
            if project is None or connection.layer not in project.layers:
                self.stop_feed(connection.layer)

    def _layer_changed(self, layer: Any, field: str) -> None:
        """A reloaded layer with other stations gets a new live state (rows follow them)."""
        if field != "data" or not isinstance(layer, SensorsLayer) or layer.data is None:
            return
        old = layer.live_state
        ids = [str(i) for i in layer.data.station_ids]
        if old is None or list(old.rows) == ids:
            return
        state = LiveState(ids, layer.data.quantities)
        connection = self._connections.get(layer.id)
        if connection is not None and connection.layer is layer:
            connection.state = state
        layer.live_state = state
