"""The "Live feed" group of the sensors panel: MQTT settings, Connect/Disconnect, status.

The settings are the layer's ``live`` (:class:`~twinscape.model.sensor_sources.MqttSettings`,
saved in the project, never a password); widgets write them when editing ends and
the panel shows them again from the model (:meth:`LivePanel.show_values`). Connecting
goes through the window's :class:`~twinscape.ui.live_feeds.LiveFeeds`, so a feed
outlives the panel (which is rebuilt whenever another layer is selected). The password
comes from the environment variable the settings name, else the user is asked for it
at connect time (it goes to the MQTT client only).
"""

from __future__ import annotations

import html
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from twinscape.io.mqtt_feed import FeedStatus
from twinscape.model.sensor_sources import MqttSettings
from twinscape.model.sensors import SensorsLayer
from twinscape.ui.controls_common import breakable, spin_box
from twinscape.ui.live_feeds import LiveFeeds, default_recording, needs_password
from twinscape.ui.project_watch import ProjectWatcher

#: Settings a new live feed starts with.
DEFAULT_LIVE = MqttSettings(host="localhost")
_STATE_COLOURS = {"connected": "#1a7f37", "connecting": "#9a6700", "reconnecting": "#9a6700",
                  "failed": "#cf222e", "stopped": "#666666"}  # fmt: skip


def split_list(text: str) -> tuple[str, ...]:
    """``"a, b  c"`` -> ``("a", "b", "c")`` (commas or spaces between items)."""
    return tuple(item for item in text.replace(",", " ").split() if item)


def _line(name: str, tip: str, placeholder: str = "") -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setToolTip(tip)
    edit.setPlaceholderText(placeholder)
    return edit


class LivePanel(QGroupBox):
    """Live feed settings of one sensors layer, its Connect button and its feed's status.

    Parameters
    ----------
    layer
        The layer.
    watcher
        The window's project watcher (the project's clock and path).
    feeds
        The window's live feeds; None (a panel outside a window) disables Connect.
    """

    def __init__(
        self,
        layer: SensorsLayer,
        watcher: ProjectWatcher,
        feeds: LiveFeeds | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Live feed (MQTT)", parent)
        self.setObjectName("liveFeed")
        self.layer, self._watcher, self.feeds = layer, watcher, feeds
        self._syncing = False
        self.enabled = QCheckBox("Receive live values")
        self.enabled.setObjectName("liveEnabled")
        self.host = _line("liveHost", "Broker host name or address", "broker.example.org")
        self.port = spin_box("livePort", 1, 65535, step=1, tip="Broker port (1883; TLS 8883)")
        self.topics = _line("liveTopics", "Topic filters, separated by commas (+ and # allowed)")
        self.id_key = _line("liveIdKey", "JSON key of the sensor id (else the topic's last part)")
        self.time_key = _line("liveTimeKey", "JSON key of the time (ISO 8601 with Z, or epoch)")
        self.value_keys = _line("liveValueKeys", "JSON keys of values, separated by commas",
                                "every number in the payload")  # fmt: skip
        self.tls = QCheckBox("TLS (system certificates)")
        self.tls.setObjectName("liveTls")
        self.username = _line("liveUser", "User name, if the broker needs one", "anonymous")
        self.password_env = _line("livePasswordEnv", "Environment variable holding the "
                                  "password; empty: asked at connect time", "e.g. MQTT_PASSWORD")
        self.record_to = _line("liveRecordTo", "Parquet file the observations are recorded to")
        self.connect_button = QPushButton("Connect")
        self.connect_button.setObjectName("liveConnect")
        self.state = QLabel()
        self.state.setObjectName("liveState")
        self.state.setWordWrap(True)
        self.counts = QLabel()
        self.counts.setObjectName("liveCounts")
        self.counts.setWordWrap(True)
        self.fields: list[QWidget] = [self.host, self.port, self.topics, self.id_key,
                                      self.time_key, self.value_keys, self.tls, self.username,
                                      self.password_env, self.record_to]  # fmt: skip
        buttons = QWidget()
        row = QHBoxLayout(buttons)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.connect_button)
        row.addStretch(1)
        form = QFormLayout(self)
        form.addRow(self.enabled)
        for label, widget in (("Host", self.host), ("Port", self.port), ("Topics", self.topics),
                              ("Sensor id key", self.id_key), ("Time key", self.time_key),
                              ("Value keys", self.value_keys), ("", self.tls),
                              ("User name", self.username), ("Password from", self.password_env),
                              ("Record to", self.record_to), ("", buttons),
                              ("Status", self.state), ("", self.counts)):  # fmt: skip
            form.addRow(label, widget)

        self.enabled.toggled.connect(self._enable)
        for edit in (self.host, self.topics, self.id_key, self.time_key, self.value_keys,
                     self.username, self.password_env, self.record_to):  # fmt: skip
            edit.editingFinished.connect(self._write)
        self.port.valueChanged.connect(lambda _v: self._write())
        self.tls.toggled.connect(lambda _on: self._write())
        self.connect_button.clicked.connect(self.toggle_connection)
        if feeds is not None:
            feeds.status_changed.connect(self._status_changed)
        watcher.project_changed.connect(self._project_changed)
        self.show_values()

    # -- model -> widgets --------------------------------------------------------------
    def show_values(self) -> None:
        """Show the layer's live settings and its feed's status."""
        live = self.layer.live
        self._syncing = True
        try:
            self.enabled.setChecked(live is not None)
            shown = live or DEFAULT_LIVE
            self.host.setText(shown.host)
            self.port.setValue(shown.port)
            self.topics.setText(", ".join(shown.topics))
            self.id_key.setText(shown.sensor_id)
            self.time_key.setText(shown.time)
            self.value_keys.setText(", ".join(shown.values))
            self.tls.setChecked(shown.tls)
            self.username.setText(shown.username or "")
            self.password_env.setText(shown.password_env or "")
            self.record_to.setText(str(shown.record_to) if shown.record_to else "")
            default = default_recording(self._watcher.project, self.layer)
            self.record_to.setPlaceholderText(str(default))
        finally:
            self._syncing = False
        self.show_status()

    @property
    def connected(self) -> bool:
        """True while the layer's feed runs."""
        return self.feeds is not None and self.feeds.is_connected(self.layer)

    def show_status(self) -> None:
        """Connection state, message counts and where they are recorded."""
        connected, live = self.connected, self.layer.live
        self.enabled.setEnabled(not connected)
        for widget in self.fields:
            widget.setEnabled(live is not None and not connected)
        self.connect_button.setText("Disconnect" if connected else "Connect")
        can = self.feeds is not None and live is not None and self.layer.loaded
        self.connect_button.setEnabled(connected or can)
        status = self.feeds.status(self.layer) if self.feeds is not None else None
        if status is None:
            self.state.setText("Not connected" if live is not None else "Off")
            self.counts.setText("")
            return
        state = status.state if connected or status.state == "failed" else "disconnected"
        colour = _STATE_COLOURS.get(state, "#666666")
        text = f"<b style='color:{colour}'>{html.escape(state)}</b>"
        if status.error:
            text += f"<br>{breakable(status.error)}"
        hint = self._clock_hint() if connected else None
        if hint:
            text += f"<br><i>{html.escape(hint)}</i>"
        self.state.setText(text)
        self.counts.setText(self._counts_html(status))

    def _counts_html(self, status: FeedStatus) -> str:
        rows = [("messages/s", f"{status.rate:.1f}"), ("received", status.received),
                ("accepted", status.accepted), ("invalid", status.invalid),
                ("unknown sensor", status.unknown), ("late", status.late),
                ("future", status.future), ("duplicates", status.duplicate)]  # fmt: skip
        if status.dropped:
            rows.append(("dropped (queue full)", status.dropped))
        cells = "".join(f"<tr><td style='color:#666;padding-right:8px'>{k}</td>"
                        f"<td align='right'>{v}</td></tr>" for k, v in rows)
        text = f"<table>{cells}</table>"
        if status.last_rejection:
            text += f"<small>last refused: {breakable(status.last_rejection)}</small><br>"
        recording = self.feeds.recording(self.layer) if self.feeds is not None else None
        if recording is not None:
            text += f"<small>recording to {breakable(str(recording))}</small>"
        return text

    def _clock_hint(self) -> str | None:
        project = self._watcher.project
        if project is None:
            return None
        behind = datetime.now(timezone.utc) - project.clock.current
        if behind > timedelta(minutes=1):
            return (f"The clock is at {project.clock.current:%Y-%m-%d %H:%M} UTC: switch it "
                    "to Live (Time panel) to see live values")
        return None

    def _project_changed(self, field: str) -> None:
        if field == "path":  # saved elsewhere: the default recording moves with it
            self.record_to.setPlaceholderText(
                str(default_recording(self._watcher.project, self.layer))
            )

    def _status_changed(self, layer_id: str) -> None:
        if layer_id == self.layer.id:
            self.show_status()

    # -- widgets -> model --------------------------------------------------------------
    def _enable(self, on: bool) -> None:
        if self._syncing:
            return
        if on and self.layer.live is None:
            self.layer.live = self._read() or DEFAULT_LIVE
        elif not on and self.layer.live is not None:
            self.layer.live = None
        self.show_status()

    def _read(self) -> MqttSettings | None:
        """The settings the widgets show, or None when they are not valid."""
        host, topics = self.host.text().strip(), split_list(self.topics.text())
        if not host or not topics:
            return None
        record = self.record_to.text().strip()
        return MqttSettings(
            host=host,
            port=int(self.port.value()),
            topics=topics,
            sensor_id=self.id_key.text().strip() or DEFAULT_LIVE.sensor_id,
            time=self.time_key.text().strip() or DEFAULT_LIVE.time,
            values=split_list(self.value_keys.text()),
            tls=self.tls.isChecked(),
            username=self.username.text().strip() or None,
            password_env=self.password_env.text().strip() or None,
            record_to=Path(record).expanduser() if record else None,
        )

    def _write(self) -> None:
        if self._syncing or self.layer.live is None:
            return
        settings = self._read()
        if settings is None:  # no host or no topic: show the model's again
            self.show_values()
            return
        if settings != self.layer.live:
            self.layer.live = settings

    def write_settings(self, **changes: Any) -> None:
        """Change live settings as the widgets would (scripts and tests)."""
        self.layer.live = replace(self.layer.live or DEFAULT_LIVE, **changes)

    # -- connecting --------------------------------------------------------------------
    def toggle_connection(self) -> None:
        """Connect (asking for a password if needed) or disconnect the layer's feed."""
        feeds, live = self.feeds, self.layer.live
        if feeds is None:
            return
        if self.connected:
            feeds.stop_feed(self.layer)
            self.show_status()
            return
        if live is None:
            return
        password = None
        if needs_password(live):
            password = self.ask_password(live)
            if password is None:
                return
        problem = feeds.start_feed(self.layer, password=password)
        self.show_status()
        if problem is not None:
            self.state.setText(f"<b style='color:#cf222e'>not connected</b><br>"
                               f"{html.escape(problem)}")

    def ask_password(self, live: MqttSettings) -> str | None:
        """Ask the user for the password of ``live.username`` (None: cancelled)."""
        why = f" ({live.password_env} is not set)" if live.password_env else ""
        text, ok = QInputDialog.getText(
            self, "MQTT password",
            f"Password of {live.username} at {live.host}:{live.port}{why}:\n"
            "(used for this connection only, never saved)",
            QLineEdit.EchoMode.Password,
        )  # fmt: skip
        return text if ok else None
