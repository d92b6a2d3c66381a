"""The terrain panel's "Sun follows the clock" checkbox (pytest-qt, under xvfb-run)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from twinscape.model import Project, RasterGrid, TerrainLayer, TerrainStyle
from twinscape.model.clock import ProjectClock
from twinscape.render.sun_follow import grid_site
from twinscape.ui.project_watch import ProjectWatcher
from twinscape.ui.terrain_controls import TerrainControls

from ui_helpers import process_events

pytestmark = pytest.mark.gui

UTC = timezone.utc
MORNING = datetime(2025, 4, 17, 4, 0, tzinfo=UTC)  # 07:00 at the Dead Sea


def dead_sea_project() -> Project:
    grid = RasterGrid(
        values=np.zeros((20, 20), np.float32),
        transform=(90.0, 0.0, 736800.0, 0.0, -90.0, 3488700.0),
        crs="EPSG:32636",
    )
    project = Project(name="sun", crs="EPSG:32636")
    project.clock = ProjectClock(current=MORNING, start=MORNING, end=MORNING + timedelta(days=1))
    style = TerrainStyle(sun_azimuth=315.0, sun_altitude=45.0)
    project.layers.append(TerrainLayer(name="dem", source=Path("/x.tif"), grid=grid, style=style))
    return project


def test_the_checkbox_follows_the_clock_and_keeps_the_manual_sun(
    app: QApplication,
    qtbot,  # noqa: ANN001
) -> None:
    project = dead_sea_project()
    layer = project.layers[0]
    watcher = ProjectWatcher()
    watcher.watch(project)
    panel = TerrainControls(layer, watcher)
    qtbot.addWidget(panel)
    panel.show()
    process_events()
    assert not panel.sun_from_clock.isChecked()
    assert panel.sun_azimuth.isEnabled() and panel.sun_azimuth.value() == 315

    panel.sun_from_clock.setChecked(True)  # as a click does
    process_events()
    assert layer.style.sun_from_clock is True
    assert not panel.sun_azimuth.isEnabled() and not panel.sun_altitude.isEnabled()
    site = grid_site(layer.grid)
    assert site is not None
    azimuth, altitude = site.sun(MORNING)
    assert panel.sun_azimuth.value() == round(azimuth) and 60 < azimuth < 110
    assert panel.sun_altitude.value() == round(altitude)

    project.clock.current = MORNING + timedelta(hours=17)  # midnight: below the horizon
    process_events()
    assert panel.sun_altitude.value() < -30
    afternoon = MORNING + timedelta(hours=9)  # 16:00: a new clock is followed too
    project.clock = ProjectClock(current=afternoon, start=MORNING, end=afternoon)
    process_events()
    assert panel.sun_azimuth.value() == round(site.sun(afternoon)[0])
    assert 240 < panel.sun_azimuth.value() < 280
    # showing the clock's sun never writes the style's own sun
    assert (layer.style.sun_azimuth, layer.style.sun_altitude) == (315.0, 45.0)

    panel.sun_from_clock.setChecked(False)
    process_events()
    assert layer.style.sun_from_clock is False
    assert panel.sun_azimuth.isEnabled() and panel.sun_altitude.isEnabled()
    assert (panel.sun_azimuth.value(), panel.sun_altitude.value()) == (315, 45)
    assert panel.sun_altitude.minimum() == 0
    watcher.unwatch()


def test_the_panel_shows_a_followed_sun_from_the_start(
    app: QApplication,
    qtbot,  # noqa: ANN001
) -> None:
    project = dead_sea_project()
    layer = project.layers[0]
    layer.style.sun_from_clock = True
    watcher = ProjectWatcher()
    watcher.watch(project)
    panel = TerrainControls(layer, watcher)
    qtbot.addWidget(panel)
    assert panel.sun_from_clock.isChecked()
    assert not panel.sun_azimuth.isEnabled()
    assert panel.clock_sun() is not None
    layer.style.hillshade = False  # the whole group turns off, the checkbox with it
    process_events()
    assert not panel.hillshade.isChecked()
    watcher.unwatch()
