"""Background tile builds and the moving-frame budget, in a real scene (render/terrain_refine.py).

What a frame shows is checked against what the synchronous path (``settle``) builds
for the same view, and the budget against triangles counted by VTK on the actors.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np
import pyvista as pv

from twinscape.model import CameraView, Project, RasterGrid
from twinscape.render.scene import SceneView
from twinscape.render.tile_builder import Job, TileBuilder

from render_helpers import make_project, snapshot

Plotters = Callable[..., pv.Plotter]


def close_view(grid: RasterGrid, row: int = 700, col: int = 700) -> CameraView:
    """Looking across the escarpment east of the Dead Sea from 1.2 km above it."""
    xc, yc = grid.cell_centers()
    z = float(grid.values[row, col])
    target = (float(xc[col]), float(yc[row]), z)
    return CameraView(position=(target[0], target[1] - 1500, z + 1200), focal_point=target)


def background_scene(plotter: pv.Plotter, project: Project) -> tuple[SceneView, threading.Event]:
    """A scene that builds in the background; the event is set whenever a build lands."""
    landed = threading.Event()
    scene = SceneView(plotter, project, on_update=landed.set)
    return scene, landed


def refine_until_done(scene: SceneView, plotter: pv.Plotter, frames: int = 60) -> int:
    """Render as the GUI would (a frame per landed build) until nothing is refining."""
    visual = next(iter(scene.visuals.values()))
    for n in range(frames):
        if not scene.refining():
            return n
        visual.lod.builder.wait_idle(10.0)
        plotter.render()
    raise AssertionError(f"still refining after {frames} frames")


def drawn_triangles(scene: SceneView) -> int:
    """Triangles of the visible tile actors in view, counted by VTK."""
    visual = next(iter(scene.visuals.values()))
    return sum(
        actor.GetMapper().GetInput().GetNumberOfCells()
        for i, actor in enumerate(visual.actors)
        if actor.GetVisibility() and not visual.culled[i]
    )


def test_a_tile_entering_the_view_is_drawn_coarser_at_once_then_refined(
    plotter_factory: Plotters, demo_grid: RasterGrid
) -> None:
    plotter = plotter_factory()
    scene, landed = background_scene(plotter, make_project(demo_grid))
    scene.apply_view(close_view(demo_grid))
    first = snapshot(plotter, "refine_first_frame")
    visual = next(iter(scene.visuals.values()))
    tiles = visual.tiles
    here = next(
        t.index
        for t in tiles.tiles
        if t.r0 <= 700 < t.r0 + t.nrows - 1 and t.c0 <= 700 < t.c0 + t.ncols - 1
    )
    in_view = ~visual.culled & ~tiles.empty
    # never missing: every tile in view shows something at once, the near one coarser
    assert (visual.levels[in_view] >= 0).all()
    assert all(visual.actors[i].GetVisibility() for i in np.flatnonzero(in_view))
    assert visual.levels[here] > 0
    assert scene.refining()
    assert landed.wait(30.0), "a finished build must ask for a render"
    refine_until_done(scene, plotter)
    assert visual.levels[here] == 0 and visual.tex_levels[here] == 0
    refined = snapshot(plotter, "refine_refined")
    # the same picture as building everything at once
    scene.settle(scene.settled_tolerance_px)
    settled = snapshot(plotter, "refine_settled")
    assert np.abs(refined.astype(int) - settled.astype(int)).mean() < 0.5
    assert np.abs(first.astype(int) - settled.astype(int)).mean() > 0.5  # it did refine
    scene.close()


def test_moving_frames_hold_the_budget_and_refine_when_the_camera_stops(
    plotter_factory: Plotters, demo_grid: RasterGrid
) -> None:
    plotter = plotter_factory()
    scene, _ = background_scene(plotter, make_project(demo_grid))
    view = close_view(demo_grid)
    scene.apply_view(view)
    snapshot(plotter)
    refine_until_done(scene, plotter)
    still = drawn_triangles(scene)
    scene.budget.fixed = still // 4
    scene.interacting = True
    visual = next(iter(scene.visuals.values()))
    for k in range(1, 6):  # fly north 150 m a frame
        step = np.array([0.0, 150.0 * k, 0.0])
        scene.apply_view(
            CameraView(
                position=tuple(np.add(view.position, step)),
                focal_point=tuple(np.add(view.focal_point, step)),
            )
        )
        plotter.render()
        in_view = ~visual.culled & ~visual.tiles.empty
        assert (visual.levels[in_view] >= 0).all()
        assert drawn_triangles(scene) <= still // 4
        assert visual.lod.tolerance_px >= scene.interactive_tolerance_px
    visual.cache.meshes.clear()  # nothing finer is cached: it must be built
    scene.budget.fixed = still  # a still view may draw 3x as many: its levels fit
    scene.interacting = False
    plotter.render()  # the camera stopped: finer levels are wanted, built in the background
    assert scene.refining()
    refine_until_done(scene, plotter)
    refined = snapshot(plotter)
    assert drawn_triangles(scene) > still // 4
    scene.settle(scene.settled_tolerance_px)
    assert np.abs(snapshot(plotter).astype(int) - refined.astype(int)).mean() < 0.5

    scene.budget.fixed = still // 12  # a still view's bound: 3x that, a quarter of still
    scene.apply_view(view)  # the camera moved back: the settled levels are no longer kept
    plotter.render()
    refine_until_done(scene, plotter)
    assert drawn_triangles(scene) <= still // 4
    scene.close()


def test_settle_gives_full_detail_at_once(plotter_factory: Plotters, demo_grid: RasterGrid) -> None:
    plotter = plotter_factory()
    scene, _ = background_scene(plotter, make_project(demo_grid))
    scene.apply_view(close_view(demo_grid))
    scene.interacting = True
    snapshot(plotter)
    scene.interacting = False
    scene.budget.fixed = 1000  # a still view's budget must not coarsen a settled one
    scene.settle(1.0)  # no frame in between: everything it selects is built now
    assert not scene.refining()
    quick = snapshot(plotter)
    reference_plotter = plotter_factory()
    reference = SceneView(reference_plotter, make_project(demo_grid))  # synchronous
    reference.apply_view(close_view(demo_grid))
    reference.settle(1.0)
    assert np.abs(quick.astype(int) - snapshot(reference_plotter).astype(int)).mean() < 0.5
    reference.close()
    scene.close()


def test_stale_builds_are_dropped_and_close_does_not_wait(
    plotter_factory: Plotters, demo_grid: RasterGrid
) -> None:
    plotter = plotter_factory()
    project = make_project(demo_grid)
    scene, _ = background_scene(plotter, project)
    scene.apply_view(close_view(demo_grid))
    snapshot(plotter)
    visual = next(iter(scene.visuals.values()))
    old_cache = visual.cache
    project.layers[0].opacity = 0.5  # skirts off: meshes with skirts are stale
    project.origin = (project.origin[0] + 1000.0, project.origin[1], project.origin[2])
    assert visual.cache is not old_cache
    refine_until_done(scene, plotter)
    for i in np.flatnonzero(~visual.culled & ~visual.tiles.empty):
        data = visual.actors[i].GetMapper().GetInput()
        assert visual.actors[i].GetVisibility() and data.GetNumberOfCells() > 0
    # every mesh shown comes from the new cache (new origin, no skirts)
    for i in np.flatnonzero(visual.levels >= 0):
        assert (int(i), int(visual.levels[i]), int(visual.rim_levels[i])) in visual.cache.meshes
    began = time.perf_counter()
    scene.close()
    assert time.perf_counter() - began < 2.0


def test_builder_keeps_only_the_newest_wishes() -> None:
    gate = threading.Event()
    built: list[str] = []

    def job(name: str) -> Job:
        def build() -> str:
            gate.wait(5.0)
            built.append(name)
            return name

        return Job(name, build)

    ready = threading.Event()
    builder = TileBuilder(ready.set)
    builder.want([job("a"), job("b")])
    time.sleep(0.1)  # "a" is being built
    builder.want([job("c")])  # "b" is no longer wanted
    gate.set()
    assert builder.wait_idle(5.0)
    assert ready.is_set()
    assert sorted(k for k, _ in builder.take()) == ["a", "c"]
    assert built == ["a", "c"]
    builder.want([job("d")])
    builder.reset()  # a new grid: "d" (maybe running) is stale
    assert builder.wait_idle(5.0)
    assert builder.take() == [] and not builder.pending()
    builder.close()


def test_a_job_wanted_again_after_a_reset_is_built_again() -> None:
    """Reset while "a" is being built (new colours), then "a" wanted again: the stale
    result is dropped and a fresh one is built and announced."""
    gate = threading.Event()
    runs: list[int] = []

    def job() -> Job:
        def build() -> int:
            gate.wait(5.0)
            runs.append(len(runs))
            return len(runs)

        return Job("a", build)

    ready = threading.Event()
    builder = TileBuilder(ready.set)
    builder.want([job()])
    time.sleep(0.1)  # "a" is being built, for the old colours
    builder.reset()
    builder.want([job()])  # the same key, for the new colours
    gate.set()
    assert builder.wait_idle(5.0)
    assert ready.is_set() and len(runs) == 2
    assert builder.take() == [("a", 2)]
    builder.close()
