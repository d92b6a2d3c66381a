"""Level of detail in a real scene: error bounds, triangle budget, close-ups, no NaN points."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyvista as pv
from vtkmodules.util.numpy_support import vtk_to_numpy

from twinscape.model import CameraView, Project, RasterGrid
from twinscape.render.scene import SceneView

from render_helpers import make_project, snapshot

Plotters = Callable[..., pv.Plotter]


def shown_sse(scene: SceneView) -> np.ndarray:
    """Screen-space error (px) of the level each visible tile shows, for the current camera."""
    visual = next(iter(scene.visuals.values()))
    cam = scene.renderer.GetActiveCamera()
    height = scene.renderer.GetSize()[1]
    scale = visual.tiles.pixels_per_metre(
        cam.GetPosition(), cam.GetViewAngle(), height, ve=visual.ve
    )
    sse = visual.tiles.screen_errors(scale, visual.ve)
    shown = (visual.levels >= 0) & ~visual.culled
    return sse[np.flatnonzero(shown), visual.levels[shown]]


def test_default_view_is_within_two_pixels(
    plotter_factory: Plotters, demo_project: Project
) -> None:
    plotter = plotter_factory()
    scene = SceneView(plotter, demo_project)
    scene.frame()
    snapshot(plotter)  # a settled frame picks levels for 2 px
    assert scene.tolerance_px() == 2.0
    assert shown_sse(scene).max() <= 2.0
    coarse = next(iter(scene.visuals.values())).levels.max()
    assert coarse > 0, "the overview should not need full resolution everywhere"
    scene.settle(1.0)
    snapshot(plotter)
    assert shown_sse(scene).max() <= 1.0
    scene.interacting = True  # while dragging: coarser and cheaper
    plotter.render()
    assert scene.tolerance_px() == scene.interactive_tolerance_px
    scene.interacting = False
    scene.close()


def test_a_4096_grid_draws_a_few_hundred_thousand_triangles(
    plotter_factory: Plotters, big_grid: RasterGrid
) -> None:
    project = make_project(big_grid)
    plotter = plotter_factory((1280, 720))
    scene = SceneView(plotter, project)
    scene.frame()
    image = snapshot(plotter, "big_4096_default_view")
    full = 2 * 4095 * 4095
    drawn = scene.triangles()
    assert 5_000 < drawn < 600_000, drawn
    assert drawn < full / 50
    assert shown_sse(scene).max() <= 2.0
    h, w = image.shape[:2]
    centre = image[h // 2 - 10 : h // 2 + 10, w // 2 - 10 : w // 2 + 10]
    assert centre.std() < 60  # a picture, not noise
    visual = next(iter(scene.visuals.values()))
    assert visual.cache.nbytes < 256 * 2**20
    scene.close()


def test_zooming_close_selects_full_resolution_near_the_camera(
    plotter_factory: Plotters, demo_project: Project, demo_grid: RasterGrid
) -> None:
    plotter = plotter_factory()
    scene = SceneView(plotter, demo_project)
    xc, yc = demo_grid.cell_centers()
    row, col = 700, 700  # the escarpment east of the Dead Sea
    z = float(demo_grid.values[row, col])
    target = (xc[col], yc[row], z)
    eye = (target[0], target[1] - 1500, z + 1200)
    scene.apply_view(CameraView(position=eye, focal_point=target))
    snapshot(plotter, "demo_close_up")
    visual = next(iter(scene.visuals.values()))
    tiles = visual.tiles
    here = next(
        t.index
        for t in tiles.tiles
        if t.r0 <= row < t.r0 + t.nrows - 1 and t.c0 <= col < t.c0 + t.ncols - 1
    )
    assert visual.levels[here] == 0
    assert visual.tex_levels[here] == 0
    assert visual.culled.sum() > len(tiles.tiles) / 2  # most tiles are out of view
    far = visual.levels[~visual.culled & (visual.levels >= 0)]
    assert shown_sse(scene).max() <= 2.0 and far.size
    scene.close()


def test_no_nan_point_reaches_vtk(plotter_factory: Plotters, demo_project: Project) -> None:
    plotter = plotter_factory()
    scene = SceneView(plotter, demo_project)
    scene.frame()
    for tol in (8.0, 2.0, 0.5):
        scene.settle(tol)
        plotter.render()
        visual = next(iter(scene.visuals.values()))
        for actor in visual.actors:
            data = actor.GetMapper().GetInput()
            if data is None:
                continue
            pts = vtk_to_numpy(data.GetPoints().GetData())
            assert np.isfinite(pts).all()
            assert data.GetNumberOfCells() > 0
    scene.close()


def test_interaction_coarsens_and_release_refines(
    plotter_factory: Plotters, demo_project: Project
) -> None:
    plotter = plotter_factory()
    scene = SceneView(plotter, demo_project)
    scene.frame()
    snapshot(plotter)
    settled = scene.triangles()
    window = scene.renderer.GetRenderWindow()
    iren = window.GetInteractor()
    assert iren is not None
    # what a trackball drag does: press -> rate up + StartInteractionEvent, moves,
    # release -> rate back to still, the last render, then EndInteractionEvent
    window.SetDesiredUpdateRate(iren.GetDesiredUpdateRate())
    iren.InvokeEvent("StartInteractionEvent")
    plotter.render()
    assert scene.tolerance_px() == scene.interactive_tolerance_px
    assert scene.triangles() < settled
    window.SetDesiredUpdateRate(iren.GetStillUpdateRate())
    plotter.render()  # the drag's last frame is already full detail
    assert scene.tolerance_px() == scene.settled_tolerance_px
    assert scene.triangles() == settled
    iren.InvokeEvent("EndInteractionEvent")
    assert scene.tolerance_px() == scene.settled_tolerance_px
    scene.close()
