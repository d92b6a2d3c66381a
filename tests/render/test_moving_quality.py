"""Passing frames (moving, or still while levels load) are drawn without multisampling, the
frame that stays on screen with it (render/frame_pacing.py).

Each frame is compared with a reference scene whose window has multisampling switched
off or on by hand, at the same view and the same levels of detail.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyvista as pv

from twinscape.model import CameraView, RasterGrid
from twinscape.render.scene import SceneView

from render_helpers import make_project, snapshot

Plotters = Callable[..., pv.Plotter]


def skyline_view(grid: RasterGrid, row: int = 700, col: int = 700) -> CameraView:
    """1.5 km above the escarpment looking 20 km north: sky, sea and ridges edge to edge."""
    xc, yc = grid.cell_centers()
    x, y, z = float(xc[col]), float(yc[row]), float(grid.values[row, col])
    return CameraView(position=(x, y - 3000, z + 1500), focal_point=(x, y + 20000, z))


def refine_until_done(scene: SceneView, plotter: pv.Plotter, frames: int = 60) -> None:
    """Render as the GUI would (a frame per landed build) until nothing is refining."""
    for _ in range(frames):
        if not scene.refining():
            return
        for visual in scene.visuals.values():
            visual.lod.builder.wait_idle(10.0)
        plotter.render()
    raise AssertionError(f"still refining after {frames} frames")


def mean_difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(int) - b.astype(int)).mean())


def test_moving_frames_drop_multisampling_and_still_frames_get_it_back(
    plotter_factory: Plotters, demo_grid: RasterGrid
) -> None:
    plotter = plotter_factory()
    window = plotter.render_window
    snapshot(plotter)  # the window is made: its samples are what this machine gives
    samples = window.GetMultiSamples()
    assert samples > 1
    scene = SceneView(plotter, make_project(demo_grid), on_update=lambda: None)
    # the same levels moving or still: only the anti-aliasing may differ
    scene.interactive_tolerance_px = scene.settled_tolerance_px
    scene.budget.fixed = 10**9
    view = skyline_view(demo_grid)
    scene.apply_view(view)
    snapshot(plotter)
    refine_until_done(scene, plotter)
    still = snapshot(plotter)

    scene.interacting = True
    moving = snapshot(plotter)
    assert scene.quality.moving and window.GetMultiSamples() == 0
    scene.interacting = False
    still_again = snapshot(plotter)
    assert window.GetMultiSamples() == samples

    reference_plotter = plotter_factory()
    reference = SceneView(reference_plotter, make_project(demo_grid))
    reference.apply_view(view)
    reference.settle(scene.settled_tolerance_px)
    with_samples = snapshot(reference_plotter)
    reference_plotter.render_window.SetMultiSamples(0)
    without_samples = snapshot(reference_plotter)

    assert mean_difference(still, with_samples) < 0.3
    assert mean_difference(still_again, with_samples) < 0.3
    assert mean_difference(moving, without_samples) < 0.3
    # and the two references do differ: along the skyline and the relief's edges
    edges = np.abs(with_samples.astype(int) - without_samples.astype(int)).max(axis=2) > 24
    assert edges.mean() > 0.001
    reference.close()
    scene.close()


def test_still_frames_while_levels_load_are_passing_frames(
    plotter_factory: Plotters, demo_grid: RasterGrid
) -> None:
    plotter = plotter_factory()
    window = plotter.render_window
    snapshot(plotter)
    samples = window.GetMultiSamples()
    scene = SceneView(plotter, make_project(demo_grid), on_update=lambda: None)
    view = skyline_view(demo_grid)
    scene.apply_view(view)
    drawn: list[tuple[bool, int]] = []  # (loading when the frame began, its samples)
    for _ in range(60):
        loading = scene.refining()
        last = snapshot(plotter)
        drawn.append((loading, window.GetMultiSamples()))
        if not loading and not scene.refining():
            break
        for visual in scene.visuals.values():
            visual.lod.builder.wait_idle(10.0)
    assert any(loading and got == 0 for loading, got in drawn), drawn
    assert drawn[-1] == (False, samples)  # the complete view is drawn with its samples

    reference_plotter = plotter_factory()
    reference = SceneView(reference_plotter, make_project(demo_grid))
    reference.apply_view(view)
    reference.settle(scene.settled_tolerance_px)
    assert mean_difference(last, snapshot(reference_plotter)) < 0.3
    reference.close()
    scene.close()
