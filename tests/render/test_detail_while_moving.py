"""Detail textures wait for the camera to stop: no paint starts during moving frames.

The orthophoto and DEM of tests/render/test_imagery_detail.py (a 1 m picture with a red
line on a 30 m DEM). While the scene draws moving frames (``SceneView.interacting``)
over the picture, close enough for detail, no detail texture is painted; once the
camera stops the detail is painted and the line is as sharp as the picture where
pyproj puts it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from test_imagery_detail import (
    LINE_LON,
    RES,
    check_sharp_line,
    close_view,
    far_view,
    project_with,
    terrain_of,
    write_ortho,
)

from twinscape.render import detail_textures
from twinscape.render.scene import SceneView

from render_helpers import SIZE, snapshot

pytestmark = pytest.mark.render


@pytest.fixture(scope="module")
def picture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_ortho(tmp_path_factory.mktemp("ortho") / "ortho.tif")


def count_paints(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int, int, int]]:
    """Record the window of every detail paint started (any thread)."""
    started: list[tuple[int, int, int, int]] = []
    lock = threading.Lock()
    paint = detail_textures.try_paint

    def counted(recipe, window, level):  # noqa: ANN001, ANN202
        with lock:
            started.append(window)
        return paint(recipe, window, level)

    monkeypatch.setattr(detail_textures, "try_paint", counted)
    return started


def test_no_detail_is_painted_while_the_camera_moves(
    plotter_factory: Callable, picture: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, grid = project_with(picture)
    asked: list[int] = []
    scene = SceneView(plotter_factory(SIZE), project, on_update=lambda: asked.append(1))
    scene.apply_view(far_view(grid))
    scene.settle()
    snapshot(scene.plotter)
    visual = terrain_of(scene)
    started = count_paints(monkeypatch)
    scene.interacting = True  # moving frames, as during a drag
    for lon in np.linspace(LINE_LON - 200 * RES, LINE_LON, 8):
        scene.apply_view(close_view(grid, lon=float(lon)))
        snapshot(scene.plotter, "detail_moving")
        assert not visual.detail.levels.any()
    assert visual.detail.builder.wait_idle(60)
    assert started == [], "no detail paint starts during moving frames"
    assert visual.detail.refining(), "the detail wanted is still missing"
    scene.interacting = False  # the camera stopped: the still frame asks for the detail
    for _ in range(60):
        snapshot(scene.plotter)
        if started and not scene.refining():
            break
        visual.detail.builder.wait_idle(60)
    assert started, "detail painted once the camera stopped"
    assert asked, "a render was asked for when it was painted"
    assert (visual.detail.levels < 0).any()
    check_sharp_line(scene, grid, snapshot(scene.plotter, "detail_after_moving"))


def test_moving_drops_the_paints_queued(
    plotter_factory: Callable, picture: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, grid = project_with(picture)
    scene = SceneView(plotter_factory(SIZE), project, on_update=lambda: None)
    scene.apply_view(far_view(grid))
    scene.settle()
    snapshot(scene.plotter)
    visual = terrain_of(scene)
    started = count_paints(monkeypatch)
    scene.apply_view(close_view(grid, height=600.0))
    snapshot(scene.plotter)  # a still frame: every tile in view queues its detail
    wanted, _ = visual.detail.wanted(scene.renderer.GetActiveCamera(), SIZE[1])
    queued = int((wanted < 0).sum())
    assert queued >= 4
    scene.interacting = True
    scene.apply_view(close_view(grid, lon=LINE_LON + 50 * RES, height=600.0))
    snapshot(scene.plotter)  # moving: the queue is dropped, the paint on the worker ends
    at_move = len(started)
    assert visual.detail.builder.wait_idle(60)
    assert len(started) <= at_move + 1 < queued
