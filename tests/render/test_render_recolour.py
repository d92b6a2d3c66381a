"""Colour changes computed off the GUI thread, shown at the next render."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from twinscape.model import TerrainStyle
from twinscape.render.recolour import Recolourer, colour_pyramid
from twinscape.render.scene import SceneView

from render_helpers import DEMO_DEM, SIZE, make_project, read_grid, snapshot

pytestmark = pytest.mark.render


@pytest.fixture(scope="module")
def grid():  # noqa: ANN201
    return read_grid(DEMO_DEM)


def test_without_an_executor_colours_come_at_once(grid) -> None:  # noqa: ANN001
    pyramid = Recolourer().request(grid, TerrainStyle(), 4)
    assert pyramid is not None and pyramid[0].shape == grid.shape + (3,)


def test_only_the_newest_background_result_is_kept(grid) -> None:  # noqa: ANN001
    ready = threading.Event()
    with ThreadPoolExecutor(max_workers=1) as pool:
        recolourer = Recolourer(pool, on_ready=ready.set)
        assert recolourer.request(grid, TerrainStyle(colormap="gray"), 4) is None
        assert recolourer.request(grid, TerrainStyle(colormap="mountain"), 4) is None
        pyramid = recolourer.wait()
    assert ready.is_set()
    expected = colour_pyramid(grid, TerrainStyle(colormap="mountain"), 4)
    assert pyramid is not None and np.array_equal(pyramid[0], expected[0])
    assert recolourer.take() is None, "a result is handed over once"


def test_a_scene_recolours_in_the_background_and_asks_for_a_render(
    plotter_factory,  # noqa: ANN001
    grid,  # noqa: ANN001
) -> None:
    project = make_project(grid, colormap="desert", sea_level=-405.0)
    plotter = plotter_factory(SIZE)
    asked = threading.Event()
    with ThreadPoolExecutor(max_workers=1) as pool:
        scene = SceneView(plotter, project, colour_executor=pool, on_update=asked.set)
        scene.frame()
        before = snapshot(plotter)
        project.layers[0].style.colormap = "gray"  # returns at once; the work is queued
        assert asked.wait(30), "the scene never asked for a render"
        after = snapshot(plotter, "recolour_gray_background")
        scene.close()
    h, w = after.shape[:2]
    land = after[h // 3 : 2 * h // 3, w // 6 : w // 3].astype(int)
    assert np.abs(after.astype(int) - before.astype(int)).mean() > 5
    assert (np.abs(land[..., 0] - land[..., 2]) < 6).mean() > 0.95, "grey after the render"
