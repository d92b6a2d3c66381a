"""Analysis layers draped on the real Dead Sea DEM: slope classes, viewsheds, coverage."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from twinscape.geo.slope import slope_aspect
from twinscape.model import CameraView, RasterGrid
from twinscape.model.analysis import AnalysisLayer
from twinscape.model.catalogue import Catalogue, CatalogueEntry
from twinscape.model.placed import PlacedAsset, PlacedAssetsLayer
from twinscape.render.analysis_colors import VISIBLE_RGBA, analysis_legend, slope_palette
from twinscape.render.analysis_drape import (
    RESULTS,
    colour_result,
    refresh_summaries,
    resample_rgba,
)
from twinscape.render.analysis_plan import resolve
from twinscape.render.scene import SceneView

from render_helpers import SIZE, make_project, snapshot

pytestmark = pytest.mark.render

GREEN = np.array(VISIBLE_RGBA[:3], float)


def _look_down(scene: SceneView, x: float, y: float, height: float = 12_000.0) -> None:
    view = CameraView(position=(x, y, height), focal_point=(x, y, 0.0), view_up=(0, 1, 0))
    scene.apply_view(view)


def _centre_pixel(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    return np.median(image[h // 2 - 3 : h // 2 + 4, w // 2 - 3 : w // 2 + 4].reshape(-1, 3), axis=0)


def _cell_xy(grid: RasterGrid, row: int, col: int) -> tuple[float, float]:
    xs, ys = grid.cell_centers()
    return float(xs[col]), float(ys[row])


def _window_pick(slope: np.ndarray, size: int, steep: bool) -> tuple[int, int]:
    """Centre of the ``size`` x ``size`` block that is steepest (or flattest) throughout."""
    windows = sliding_window_view(np.nan_to_num(slope, nan=-1.0 if steep else 99.0), (size, size))
    score = windows.min(axis=(2, 3)) if steep else windows.max(axis=(2, 3))
    r, c = np.unravel_index(np.argmax(score) if steep else np.argmin(score), score.shape)
    return int(r) + size // 2, int(c) + size // 2


def test_slope_paints_cliffs_red_and_flat_ground_green(
    plotter_factory: Callable, demo_grid: RasterGrid
) -> None:
    project = make_project(demo_grid)
    layer = AnalysisLayer(name="slope", analysis="slope", opacity=1.0)
    project.layers.append(layer)
    scene = SceneView(plotter_factory(SIZE), project)
    slope, _ = slope_aspect(demo_grid.values, demo_grid.resolution)
    steep = _window_pick(slope, 5, steep=True)
    flat = _window_pick(slope, 25, steep=False)
    assert slope[steep] > 30 and slope[flat] < 2
    palette = slope_palette("traffic", layer.breaks)
    pixels = {}
    for name, cell in (("steep", steep), ("flat", flat)):
        _look_down(scene, *_cell_xy(demo_grid, *cell), 6_000.0)
        scene.settle()
        pixels[name] = _centre_pixel(snapshot(scene.plotter, f"analysis_slope_{name}"))
    r, g, _ = pixels["steep"]
    assert r > g + 40, f"steep cliff not red: {pixels['steep']}"
    r, g, b = pixels["flat"]
    assert g > r + 30 and g > b + 30, f"flat ground not green: {pixels['flat']}"
    assert palette[0][1] > palette[0][0] and palette[-1][0] > palette[-1][1]
    _look_down(scene, *_cell_xy(demo_grid, *steep), 60_000.0)
    scene.settle()
    snapshot(scene.plotter, "analysis_slope_overview")
    refresh_summaries(project.layers)
    assert 50 < layer.summary["max_deg"] < 80 and layer.summary["min_deg"] == 0.0
    assert any(line.startswith("Slope 0.0..") for line in layer.describe())
    assert [label for label, _ in analysis_legend(layer)][0] == "0\u20135\u00b0"
    scene.close()


def _placed(x: float, y: float) -> PlacedAssetsLayer:
    catalogue = Catalogue({
        "tower": CatalogueEntry("tower", "Telecom tower", "point", "tower",
                                params={"antenna_height_m": 40.0, "height_m": 45.0}),
    })  # fmt: skip
    return PlacedAssetsLayer(
        name="towers", catalogue=catalogue, ground=(),
        assets=(PlacedAsset("tower", ((x, y),), id="t1"),),
    )  # fmt: skip


def _green_fraction(image: np.ndarray) -> float:
    g = image.astype(int)
    return float(np.mean((g[..., 1] > g[..., 0] + 40) & (g[..., 1] > g[..., 2] + 40)))


def test_a_viewshed_from_a_tower_follows_the_tower(
    plotter_factory: Callable, demo_grid: RasterGrid
) -> None:
    x0, y0, x1, y1 = demo_grid.bounds
    x, y = x0 + 0.7 * (x1 - x0), (y0 + y1) / 2  # the eastern plateau above the sea
    project = make_project(demo_grid)
    placed = _placed(x, y)
    project.layers.append(placed)
    view = AnalysisLayer(name="view", analysis="viewshed", observer_asset=(placed.id, "t1"),
                         radius_m=15_000.0, opacity=0.8)  # fmt: skip
    project.layers.append(view)
    with ThreadPoolExecutor(max_workers=1) as pool:
        scene = SceneView(plotter_factory(SIZE), project, colour_executor=pool)
        _look_down(scene, x, y, 70_000.0)
        scene.settle()
        first = snapshot(scene.plotter, "analysis_viewshed")
        refresh_summaries(project.layers)
        summary = dict(view.summary)
        assert summary["observer_height_m"] == 40.0, "the tower's antenna height"
        assert 0 < summary["visible_km2"] < np.pi * 15**2
        key = resolve(view, project.layers).key
        assert np.abs(_centre_pixel(first) - GREEN).max() < 90, "the tower's own cells are seen"
        assert _green_fraction(first) > 0.01

        placed.replace_asset(placed.asset("t1").moved(-12_000.0, 4_000.0))
        moved_key = resolve(view, project.layers).key
        assert moved_key != key, "moving the tower changes the key"
        scene.settle()
        second = snapshot(scene.plotter, "analysis_viewshed_moved")
        refresh_summaries(project.layers)
        assert view.summary["visible_km2"] != summary["visible_km2"]
        changed = np.abs(first.astype(int) - second.astype(int)).max(axis=2) > 40
        assert changed.mean() > 0.01, "the picture follows the tower"
        scene.close()


def test_results_are_computed_once_and_resampled_to_other_grids(demo_grid: RasterGrid) -> None:
    project = make_project(demo_grid)
    x0, y0, x1, y1 = demo_grid.bounds
    cover = AnalysisLayer(
        name="cover", analysis="coverage", radius_m=10_000.0,
        observers=((x0 + 0.6 * (x1 - x0), (y0 + y1) / 2, 30.0),
                   (x0 + 0.6 * (x1 - x0) + 500.0, (y0 + y1) / 2, 30.0),
                   (x0 - 5_000.0, y0 - 5_000.0, 30.0)),
        area=((x0, y0), (x1, y0), (x1, y1), (x0, y1)),
    )  # fmt: skip
    project.layers.append(cover)
    plan = resolve(cover, project.layers)
    assert not isinstance(plan, str) and plan.inputs.skipped == 1
    scene_drape = __import__("twinscape.render.kinds.analysis", fromlist=["x"]).analysis_drape
    from twinscape.render.kinds import DrapeContext

    source = scene_drape(cover, DrapeContext(0, tuple(project.layers)))
    rgba = source.paint(demo_grid)
    assert rgba.shape == (*demo_grid.shape, 4) and (rgba[..., 3] > 0).any()
    result = RESULTS.get(plan.compute_key)
    assert result is not None and result.arrays["count"].max() == 2
    refresh_summaries(project.layers)
    assert 0 < cover.summary["area_pct"] < 100 and cover.summary["observers"] == 2
    coarse = RasterGrid(demo_grid.values[::2, ::2], (
        demo_grid.transform[0] * 2, 0.0, demo_grid.transform[2], 0.0,
        demo_grid.transform[4] * 2, demo_grid.transform[5]), demo_grid.crs)  # fmt: skip
    again = source.paint(coarse)
    assert again.shape == (*coarse.shape, 4)
    assert RESULTS.get(plan.compute_key) is result, "the raw result is reused"
    np.testing.assert_array_equal(
        again, resample_rgba(colour_result(plan, result), demo_grid, coarse)
    )
    visible = (again[..., 3] > 0).mean()
    assert abs(visible - (rgba[..., 3] > 0).mean()) < 0.01
