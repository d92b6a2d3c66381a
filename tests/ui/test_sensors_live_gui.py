"""Live mode end to end: a real mosquitto, a real window, the sensors panel and the screen.

A stations file alone (no history) is added to the demo scene, its live feed is set up
and connected through the sensors panel, the clock goes Live, and a paho client
publishes JSON: the station's marker turns the threshold colour of the value on screen,
the panel counts what arrived and what was refused, the feed survives the broker
restarting on the same port, Disconnect and closing the window leave no thread behind,
and the recording next to the project holds the accepted observations.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import paho.mqtt.client as mqtt
import pandas as pd
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QInputDialog

from twinscape.io.loading import DEMO_SCENE
from twinscape.io.project_file import load_project, save_project
from twinscape.model.bookmarks import CameraView
from twinscape.model.sensor_sources import MqttSettings
from twinscape.model.sensors import SensorsLayer
from twinscape.render.scene import Hit

from ui_helpers import REPO, process_events, settle, wait_for_task, wait_until

if TYPE_CHECKING:
    from conftest_mqtt import Broker

if str(REPO / "tests" / "unit") not in sys.path:  # the broker fixtures live with the unit tests
    sys.path.insert(0, str(REPO / "tests" / "unit"))
pytest_plugins = ["conftest_mqtt"]  # tests/unit/conftest_mqtt.py: broker, own_broker

pytestmark = pytest.mark.gui

STATIONS = REPO / "assets" / "sensors" / "newtown_stations.geojson"
OUT = Path(__file__).resolve().parent / "out"
#: The station the test publishes for (Souq Street) and one it sends garbage about.
STATION, OTHER = "NT-02", "NT-03"


def _now_iso(offset_s: float = 0.0) -> str:
    when = datetime.now(timezone.utc) + timedelta(seconds=offset_s)
    return when.isoformat().replace("+00:00", "Z")


def _publisher(broker: Broker) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:8]}",
                         protocol=mqtt.MQTTv311, clean_session=False)
    client.reconnect_delay_set(1, 2)
    client.connect(broker.host, broker.port)
    client.loop_start()
    return client


def _publish(client: mqtt.Client, payload: bytes | str | dict, sensor: str = STATION) -> None:
    data = json.dumps(payload) if isinstance(payload, dict) else payload
    info = client.publish(f"newtown/{sensor}", data, qos=1)
    wait_until(info.is_published, 10, "the broker to take a message")


def _feed_threads() -> list[str]:
    """Threads of Twinscape's feeds (connector, recorder, the paho loops of its clients)."""
    return [t.name for t in threading.enumerate()
            if t.name.startswith(("twinscape-", "paho-mqtt-client-twinscape-"))]


def _count(panel, name: str) -> int:  # noqa: ANN001 - LivePanel
    """A counter as the panel shows it."""
    found = re.search(rf">{re.escape(name)}</td><td align='right'>([\d.]+)<", panel.counts.text())
    return int(float(found.group(1))) if found else -1


def _marker_rgb(window, layer: SensorsLayer, row: int) -> np.ndarray:  # noqa: ANN001
    """Median RGB of the 5 x 5 pixels at station ``row``'s marker, on screen now."""
    scene = window.viewport.scene
    x, y, z = layer.data.xyz[row]
    rx, ry, rz = scene.origin.point_to_render((x, y, z))
    ren = scene.renderer
    ren.SetWorldPoint(rx, ry, rz * scene.ground_exaggeration() + 4.0 * layer.style.size, 1.0)
    ren.WorldToDisplay()
    dx, dy, _ = ren.GetDisplayPoint()
    image = settle(window)
    r, c = image.shape[0] - 1 - int(round(dy)), int(round(dx))
    assert 2 <= r < image.shape[0] - 2 and 2 <= c < image.shape[1] - 2, "marker off screen"
    return np.median(image[r - 2 : r + 3, c - 2 : c + 3].reshape(-1, 3), axis=0)


def _is_red(rgb: np.ndarray) -> bool:  # pm2.5 "unhealthy" (#ff0000), shaded
    return bool(rgb[0] > 140 and rgb[1] < 70 and rgb[2] < 70)


def _is_yellow(rgb: np.ndarray) -> bool:  # pm2.5 "WHO guideline" (#ffff00), shaded
    return bool(rgb[0] > 140 and rgb[1] > 140 and rgb[2] < 80)


def _is_grey(rgb: np.ndarray) -> bool:  # no data
    return bool(np.ptp(rgb) < 30 and 60 < rgb.mean() < 220)


def _demo_ground(tmp_path: Path) -> Path:
    """The demo scene's terrain and buildings (not its own sensor layers), saved in ``tmp_path``."""
    project, _warnings = load_project(DEMO_SCENE)
    project.layers[:] = [la for la in project.layers if la.kind in ("terrain", "buildings")]
    return save_project(project, tmp_path / "demo.toml")


def _sensors_window(make_main_window, tmp_path: Path, broker: Broker):  # noqa: ANN001, ANN202
    """The demo scene plus the stations file alone (no history); its sensors panel open."""
    window = make_main_window(_demo_ground(tmp_path))
    assert wait_for_task(window.files.add_paths([STATIONS])) == "finished"
    [layer] = [la for la in window.project.layers if isinstance(la, SensorsLayer)]
    assert layer.data.count == 12 and layer.data.quantities == ()
    layer.style.size = 40.0
    row = list(layer.data.station_ids).index(STATION)
    x, y, z = layer.data.xyz[row]
    window.viewport.apply_view(CameraView(position=(x + 250, y - 450, z + 500),
                                          focal_point=(x, y, z + 100), view_up=(0, 0, 1)))
    window.show_properties(layer)
    panel = window.styling_dock.controls.live
    assert panel.feeds is not None and not panel.connect_button.isEnabled()
    return window, layer, panel


def _set_up_feed(panel, broker: Broker, **extra: str) -> None:  # noqa: ANN001
    """Fill the live settings in as a user would (each field written when editing ends)."""
    panel.enabled.setChecked(True)
    for edit, text in ((panel.host, broker.host), (panel.topics, "newtown/#"), *extra.items()):
        edit = getattr(panel, edit) if isinstance(edit, str) else edit
        edit.setText(text)
        edit.editingFinished.emit()
    panel.port.setValue(broker.port if "username" not in extra else broker.auth_port)


def test_live_feed_end_to_end(make_main_window, own_broker: Broker, tmp_path: Path) -> None:  # noqa: ANN001
    window, layer, panel = _sensors_window(make_main_window, tmp_path, own_broker)
    _set_up_feed(panel, own_broker)
    assert layer.live == MqttSettings(host=own_broker.host, port=own_broker.port,
                                      topics=("newtown/#",))
    assert window.files.save_to(tmp_path / "live.toml")
    saved = (tmp_path / "live.toml").read_text(encoding="utf-8")
    assert "[layers.live]" in saved and "live_state" not in saved
    recording = tmp_path / "live-newtown_stations-live.parquet"
    assert panel.record_to.placeholderText() == str(recording), "recorded next to the project"

    row, other = (list(layer.data.station_ids).index(s) for s in (STATION, OTHER))
    QTest.mouseClick(panel.connect_button, Qt.MouseButton.LeftButton)
    feeds = panel.feeds
    wait_until(lambda: feeds.status(layer).state == "connected", 10, "the feed to connect")
    wait_until(lambda: "connected" in panel.state.text(), 3, "the panel to say connected")
    assert panel.connect_button.text() == "Disconnect" and not panel.host.isEnabled()
    assert layer.live_state is not None and not window.is_dirty, "live values are not an edit"
    window.time_dock.live_action.trigger()
    assert _is_grey(_marker_rgb(window, layer, row)), "no value yet"

    publisher = _publisher(own_broker)
    try:
        _publish(publisher, {"sensor_id": STATION, "time": _now_iso(), "pm25": 60.0})
        wait_until(lambda: _is_red(_marker_rgb(window, layer, row)), 8,
                   "the marker to turn 'unhealthy' red")
        wait_until(lambda: _count(panel, "accepted") == 1 and _count(panel, "received") == 1,
                   4, "the panel to count the message")
        wait_until(lambda: panel.parent() is not None
                   and window.styling_dock.controls.quantity.currentData() == "pm25",
                   3, "the panel to offer the quantity the feed brought")
        alerts = next(d for d in window.kind_docks if d.objectName() == "alertsDock")
        wait_until(lambda: alerts.find(layer, row) is not None, 3, "an alert for the station")
        assert alerts.find(layer, row).text == "unhealthy"
        window.styling_dock.scroll.ensureWidgetVisible(panel.counts)
        process_events(0.1)
        OUT.mkdir(exist_ok=True)
        window.grab().save(str(OUT / "sensors_live_window.png"))
        window.styling_dock.controls.grab().save(str(OUT / "sensors_live_panel.png"))
        window.select(Hit(layer, row, tuple(layer.data.xyz[row])))  # as a click on it
        assert window.inspector_dock.value("pm25") == "60"
        assert window.inspector_dock.value("source") == "live feed"
        assert window.inspector_dock.value("alert level") == "unhealthy"

        # garbage: not JSON, an unknown sensor, NaN, too old, from the future
        _publish(publisher, b"\x00not json{")
        _publish(publisher, {"sensor_id": "XX-99", "time": _now_iso(), "pm25": 5.0}, "XX-99")
        nan = json.dumps({"sensor_id": OTHER, "time": _now_iso(), "pm25": float("nan")})
        assert "NaN" in nan
        _publish(publisher, nan, OTHER)
        _publish(publisher, {"sensor_id": OTHER, "time": _now_iso(-3 * 86400), "pm25": 5.0})
        _publish(publisher, {"sensor_id": OTHER, "time": _now_iso(3600), "pm25": 5.0})
        wait_until(lambda: (_count(panel, "invalid"), _count(panel, "unknown sensor"),
                            _count(panel, "late"), _count(panel, "future")) == (2, 1, 1, 1),
                   4, "the panel to count the refused messages")
        assert _count(panel, "received") == 6 and _count(panel, "accepted") == 1
        assert "last refused" in panel.counts.text()
        assert _is_grey(_marker_rgb(window, layer, other)), "nothing refused is drawn"
        assert _is_red(_marker_rgb(window, layer, row)) and window.isVisible()

        # the broker goes away and comes back on the same port
        own_broker.stop()
        wait_until(lambda: feeds.status(layer).state == "reconnecting", 10, "reconnecting")
        wait_until(lambda: "reconnecting" in panel.state.text(), 3, "the panel to say so")
        own_broker.start()
        wait_until(lambda: feeds.status(layer).state == "connected", 20, "the feed to reconnect")
        wait_until(lambda: "reconnecting" not in panel.state.text(), 3, "the panel to follow")
        assert feeds.status(layer).connects == 2
        wait_until(publisher.is_connected, 10, "the publisher to reconnect")
        _publish(publisher, {"sensor_id": STATION, "time": _now_iso(), "pm25": 20.0})
        wait_until(lambda: _is_yellow(_marker_rgb(window, layer, row)), 8,
                   "the marker to turn 'WHO guideline' yellow after the restart")
        # the chart draws the live values beside the history, as they arrive
        window.select(Hit(layer, row, tuple(layer.data.xyz[row])))
        chart = next(d for d in window.kind_docks if d.objectName() == "sensorChartDock")

        def live_curve():  # noqa: ANN202
            return next((c for c in chart.curves if c.name().endswith("(live)")), None)

        wait_until(lambda: live_curve() is not None, 4, "the live series on the chart")
        xs, ys = live_curve().getData()
        assert list(ys) == [60.0, 20.0] and xs[0] < xs[1]
    finally:
        publisher.loop_stop()
        publisher.disconnect()

    QTest.mouseClick(panel.connect_button, Qt.MouseButton.LeftButton)  # Disconnect
    assert not feeds.is_connected(layer) and panel.connect_button.text() == "Connect"
    assert _feed_threads() == [], "Disconnect ended the feed's threads"
    assert "disconnected" in panel.state.text() and panel.host.isEnabled()
    table = pd.read_parquet(recording)
    assert table[["sensor_id", "quantity", "value"]].values.tolist() == [
        [STATION, "pm25", 60.0], [STATION, "pm25", 20.0]
    ], "the accepted observations were recorded"
    assert str(table["time"].dt.tz) == "UTC"

    QTest.mouseClick(panel.connect_button, Qt.MouseButton.LeftButton)  # again, then close
    wait_until(lambda: feeds.status(layer).state == "connected", 10, "the feed to connect")
    assert _feed_threads()
    assert window.files.save_to(tmp_path / "live.toml")
    window.time_dock.live_action.trigger()
    assert window.close()
    assert _feed_threads() == [], "closing the window stopped every feed"
    assert len(pd.read_parquet(recording)) == 2, "the second recording appended nothing new"


def test_a_password_is_asked_for_and_never_saved(
    make_main_window, broker: Broker, tmp_path: Path  # noqa: ANN001
) -> None:
    if not broker.has_auth:
        pytest.skip("mosquitto_passwd is missing: no password listener")
    window, layer, panel = _sensors_window(make_main_window, tmp_path, broker)
    _set_up_feed(panel, broker, username=broker.user, record_to=str(tmp_path / "rec.parquet"))
    assert layer.live.username == broker.user and layer.live.password_env is None
    asked: list[str] = []

    def answer() -> None:  # the user types the password into the modal dialog
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QInputDialog):
            QTimer.singleShot(20, answer)
            return
        asked.append(dialog.labelText())
        dialog.setTextValue(broker.password)
        dialog.accept()

    QTimer.singleShot(20, answer)
    QTest.mouseClick(panel.connect_button, Qt.MouseButton.LeftButton)
    assert asked and broker.user in asked[0]
    feeds = panel.feeds
    wait_until(lambda: feeds.status(layer).state == "connected", 10, "the feed to log in")
    assert window.files.save_to(tmp_path / "auth.toml")
    assert broker.password not in (tmp_path / "auth.toml").read_text(encoding="utf-8")
    QTest.mouseClick(panel.connect_button, Qt.MouseButton.LeftButton)
    assert _feed_threads() == []
    process_events(0.05)
