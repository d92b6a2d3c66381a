"""The close-up cases: Twinscape a few hundred metres above the ground, moving or still.

Each runs in its own child process on the app's public path (``open_data_files``, then
``SceneView`` on a plain offscreen plotter) from the start view the runner chose
(:mod:`.closeup_views`):

- ``closeup_fly``: ``scene.interacting = True``, the camera flies ``FLY_STEP_M`` forward
  per frame;
- ``closeup_turn``: ``scene.interacting = True``, the camera turns ``TURN_STEP_DEG`` in place
  per frame;
- ``closeup_settled``: ``scene.interacting = False`` at three views (the start, the end of
  the flight, the start turned 90 degrees): render until the view is complete, then time
  frames at that view; then (``fidelity``) the ``settle(1)`` screenshot against
  ``settle(0)`` (every tile at full detail) at the start view, or at a steeper view of
  the same place when the full detail of the whole view would not fit (see
  :data:`FULL_DETAIL_MAX_CELLS`).

All three first measure the first complete frame at the start view (from reading the
file) and record which path the app took for the DEM (its grid's shape against the
file's).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from benchmarks.terrain import closeup_views
from benchmarks.terrain.measure import (
    FrameTimes,
    current_rss_mb,
    frame_stats,
    grab,
    image_difference,
    make_plotter,
    peak_rss_mb,
    render_until_complete,
    save_png,
    scene_triangles,
)

#: Frames timed at each settled view.
SETTLED_FRAMES = 8
#: Turn (degrees) of the third settled view from the start view.
SETTLED_TURN_DEG = 90.0
#: Above this many file cells, ``settle(0)`` over the whole close-up view may not fit in
#: memory; the fidelity check then uses a view of the same place pitched this much down.
FULL_DETAIL_MAX_CELLS = 25_000_000
STEEP_PITCH_DEG = 35.0


def run_closeup(
    case: str,
    dem: Path,
    view: dict[str, Any],
    frames: int,
    *,
    png: Path | None = None,
    fidelity: bool = True,
) -> dict[str, Any]:
    """Open ``dem``, reach a complete start view, then run ``case``; a plain dict of numbers."""
    from twinscape.io.loading import open_data_files
    from twinscape.model.bookmarks import CameraView
    from twinscape.render.scene import SceneView

    rss_before = current_rss_mb()
    plotter = make_plotter()
    start = time.perf_counter()
    project, _ = open_data_files([dem])
    loaded = time.perf_counter()
    # on_update as the GUI has it: still views refine in the background, as on screen
    scene = SceneView(plotter, project, on_update=lambda: None)
    start_view = CameraView(
        position=tuple(view["position"]),
        focal_point=tuple(view["focal_point"]),
        view_up=tuple(view["view_up"]),
        view_angle=float(view["view_angle"]),
    )
    scene.apply_view(start_view)
    complete = render_until_complete(scene, plotter)
    result: dict[str, Any] = {
        "load_s": loaded - start,
        "first_complete_frame_s": complete["end"] - start,
        "frames_to_complete": complete["frames"],
        "complete_timed_out": complete["timed_out"],
        "triangles_start_view": scene_triangles(scene, plotter),
        "rss_before_mb": rss_before,
        "rss_after_first_complete_mb": current_rss_mb(),
        "has_refining": callable(getattr(scene, "refining", None)),
        "dem_path": app_path(project, dem),
        "view": view,
    }
    if png is not None:
        save_png(complete["image"], _sibling(png, "start"))
    if case in ("closeup_fly", "closeup_turn"):
        result.update(_moving(scene, plotter, case, frames, png))
    elif case == "closeup_settled":
        result.update(_settled(scene, plotter, start_view, frames))
        result["peak_rss_mb"] = peak_rss_mb()
        if fidelity:
            result["fidelity"] = _fidelity(scene, plotter, start_view, dem, png)
            result["peak_rss_with_fidelity_mb"] = peak_rss_mb()
    else:
        raise ValueError(f"unknown close-up case {case!r}")
    result.setdefault("peak_rss_mb", peak_rss_mb())
    scene.close()
    plotter.close()
    return result


def _moving(scene: Any, plotter: Any, case: str, frames: int, png: Path | None) -> dict[str, Any]:
    """Fly or turn ``frames`` frames with ``scene.interacting = True``, timing each frame."""
    move = closeup_views.fly if case == "closeup_fly" else closeup_views.turn
    camera = plotter.renderer.GetActiveCamera()
    times, triangles = FrameTimes(), []
    image = None
    scene.interacting = True
    try:
        for n in range(frames):
            wall, cpu = time.perf_counter(), time.process_time()
            move(camera)
            plotter.renderer.ResetCameraClippingRange()
            image = grab(plotter)
            times.wall.append(time.perf_counter() - wall)
            times.cpu.append(time.process_time() - cpu)
            triangles.append(scene_triangles(scene, plotter))
            if png is not None and n == 0:
                save_png(image, png)
    finally:
        scene.interacting = False
    if png is not None and image is not None:
        save_png(image, _sibling(png, "last"))
    return {
        "moving": frame_stats(times),
        "triangles_moving_median": int(sorted(triangles)[len(triangles) // 2]) if triangles else 0,
        "triangles_moving_max": max(triangles, default=0),
        "triangles_moving": triangles,
        "step": closeup_views.FLY_STEP_M if case == "closeup_fly" else closeup_views.TURN_STEP_DEG,
    }


def _settled(scene: Any, plotter: Any, start_view: Any, frames: int) -> dict[str, Any]:
    """At three still views: time to complete, then ``frames`` timed frames at each."""
    camera = plotter.renderer.GetActiveCamera()
    flight = closeup_views.FLY_STEP_M * frames  # where the fly case ends
    views: list[dict[str, Any]] = []
    times = FrameTimes()
    scene.interacting = False
    for name in ("start", "flown", "turned"):
        scene.apply_view(start_view)
        if name == "flown":
            closeup_views.fly(camera, flight)
        elif name == "turned":
            closeup_views.turn(camera, SETTLED_TURN_DEG)
        plotter.renderer.ResetCameraClippingRange()
        begin = time.perf_counter()
        complete = render_until_complete(scene, plotter)
        at_view = FrameTimes()
        for _ in range(SETTLED_FRAMES):
            wall, cpu = time.perf_counter(), time.process_time()
            grab(plotter)
            at_view.wall.append(time.perf_counter() - wall)
            at_view.cpu.append(time.process_time() - cpu)
        times.wall += at_view.wall
        times.cpu += at_view.cpu
        views.append(
            {
                "view": name,
                "to_complete_s": complete["end"] - begin,
                "frames_to_complete": complete["frames"],
                "triangles": scene_triangles(scene, plotter),
                "frame_median_s": frame_stats(at_view)["median_s"],
            }
        )
    return {
        "settled": frame_stats(times),
        "settled_views": views,
        "triangles_settled_max": max(v["triangles"] for v in views),
    }


def _fidelity(
    scene: Any, plotter: Any, start_view: Any, dem: Path, png: Path | None
) -> dict[str, Any]:
    """``settle(1)`` (the screenshot path) against ``settle(0)`` (full detail) at one view."""
    import rasterio

    with rasterio.open(dem) as src:
        cells = src.width * src.height
    scene.apply_view(start_view)
    where = "start view"
    if cells > FULL_DETAIL_MAX_CELLS:
        camera = plotter.renderer.GetActiveCamera()
        camera.Pitch(-(STEEP_PITCH_DEG - closeup_views.PITCH_DEG))
        camera.OrthogonalizeViewUp()
        where = f"start position pitched {STEEP_PITCH_DEG:g} degrees down"
    plotter.renderer.ResetCameraClippingRange()
    scene.settle(1.0)
    screenshot = grab(plotter)
    triangles_1px = scene_triangles(scene, plotter)
    begin = time.perf_counter()
    scene.settle(0.0)
    full = grab(plotter)
    out: dict[str, Any] = {
        "view": where,
        "triangles_1px": triangles_1px,
        "triangles_full_detail": scene_triangles(scene, plotter),
        "full_detail_frame_s": time.perf_counter() - begin,
        "screenshot_1px": image_difference(screenshot, full),
    }
    if png is not None:
        save_png(screenshot, _sibling(png, "settle1"))
        save_png(full, _sibling(png, "full_detail"))
    return out


def app_path(project: Any, dem: Path) -> dict[str, Any]:
    """Which path the app took for the DEM: its in-memory grid's shape against the file's.

    A ground layer that also holds a source read on demand (a ``dem`` with a ``shape``)
    is reported as paged, its in-memory grid then being an overview.
    """
    import rasterio

    with rasterio.open(dem) as src:
        file_shape = [src.height, src.width]
        overviews = src.overviews(1)
    ground = next((layer for layer in project.layers if layer.provides_ground), None)
    grid = getattr(ground, "grid", None)
    shape = list(getattr(grid, "shape", ())) or None
    on_demand = getattr(getattr(ground, "dem", None), "shape", None) is not None
    if on_demand:
        path = "paged"
    elif shape is None:
        path = "no grid"
    elif shape == file_shape:
        path = "full"
    else:
        path = "reduced"
    return {
        "file_shape": file_shape,
        "file_overviews": overviews,
        "grid_shape": shape,
        "layer_type": type(ground).__name__ if ground is not None else None,
        "path": path,
    }


def _sibling(png: Path, suffix: str) -> Path:
    """``terrain_x_closeup_fly.png`` -> ``terrain_x_closeup_fly_<suffix>.png``."""
    return png.with_name(f"{png.stem}_{suffix}{png.suffix}")
