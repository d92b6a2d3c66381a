"""The Twinscape case: ``open_data_files`` then ``SceneView`` on a plain offscreen plotter.

Measured in order, all at the default view of :meth:`SceneView.frame` unless stated:

1. first frame: load + reproject + tiles/colours + first render (settled tolerance) + read back;
   then frames at the same camera until the view is complete (``scene.refining()`` False
   when the scene has it, and a steady triangle count: see
   :func:`~benchmarks.terrain.measure.render_until_complete`); the complete view's
   triangle count is the one reported for the default view;
2. orbit with the default (settled, 2 px) tolerance: what a scripted camera move gets;
3. orbit with ``scene.interacting = True`` (coarser tolerance): what a user dragging gets;
4. the screenshot path: ``settle()`` (1 px) + render + read back;
5. (``fidelity``) ``settle(0)``: every tile at a level with no geometric error, i.e. the
   same coloured mesh at full resolution; the first-frame, 2 px and 1 px images are
   compared with it.

Peak memory is read before step 5, which holds the full-resolution meshes only to
check the pictures.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.terrain.cases import first_frame_result
from benchmarks.terrain.measure import (
    current_rss_mb,
    frame_stats,
    grab,
    image_difference,
    make_plotter,
    orbit,
    peak_rss_mb,
    render_until_complete,
    save_png,
    scene_triangles,
)


def run_twinscape(
    dem: Path, frames: int, *, png: Path | None = None, fidelity: bool = False
) -> dict[str, Any]:
    """Run the app's own path on ``dem``; see the module docstring for the steps."""
    from twinscape.io.loading import open_data_files
    from twinscape.render.scene import SceneView

    rss_before = current_rss_mb()
    plotter = make_plotter()
    start = time.perf_counter()
    project, _ = open_data_files([dem])
    loaded = time.perf_counter()
    rss_loaded = current_rss_mb()
    # on_update as the GUI has it: still views refine in the background, as on screen
    scene = SceneView(plotter, project, on_update=lambda: None)
    scene.frame()
    built = time.perf_counter()
    rss_built = current_rss_mb()
    complete = render_until_complete(scene, plotter)
    first_image, settled_image = complete["first_image"], complete["image"]

    result = first_frame_result(plotter, start, loaded, built, complete["first_end"], rss_before)
    result["rss_after_load_mb"], result["rss_after_build_mb"] = rss_loaded, rss_built
    result["rss_after_first_frame_mb"] = current_rss_mb()
    result["triangles_first_frame"] = complete["first_triangles"]
    # The scene's own count (frustum-culled tiles excluded) once the view is complete:
    # e.g. the first frame may draw other levels before the LOD knows the clipping range,
    # or coarser ones while finer tiles are built in the background.
    result["triangles"] = scene_triangles(scene, plotter)
    result["first_complete_frame_s"] = complete["end"] - start
    result["frames_to_complete"] = complete["frames"]
    result["complete_timed_out"] = complete["timed_out"]
    result["tolerances_px"] = {
        "settled": scene.settled_tolerance_px,
        "interactive": scene.interactive_tolerance_px,
    }
    result["view"] = _view_dict(scene.current_view())

    result["orbit"] = frame_stats(orbit(plotter, frames))
    result["orbit_interactive"], result["triangles_interactive"] = _interactive_orbit(
        scene, plotter, frames
    )
    scene.frame()
    start_settle = time.perf_counter()
    scene.settle()
    screenshot_image = grab(plotter)
    result["settled_frame_s"] = time.perf_counter() - start_settle
    result["triangles_settled_1px"] = scene_triangles(scene, plotter)
    result["peak_rss_mb"] = peak_rss_mb()

    images = {
        "first_frame": first_image,
        "settled_2px": settled_image,
        "screenshot_1px": screenshot_image,
    }
    if png is not None:
        save_png(settled_image, png)
        save_png(first_image, _sibling(png, "first_frame"))
        result["png"] = str(png)
    if fidelity:
        result.update(_fidelity(scene, plotter, images, png))
        result["peak_rss_with_fidelity_mb"] = peak_rss_mb()
    scene.close()
    plotter.close()
    return result


def _interactive_orbit(
    scene: Any, plotter: Any, frames: int
) -> tuple[dict[str, Any] | None, int | None]:
    """Orbit from the default view as while dragging; also the triangles drawn meanwhile.

    ``SceneView.interacting`` is what the interactor's Start/EndInteractionEvent set;
    without it there is no way to force interactive mode and nothing is measured.
    """
    if not hasattr(scene, "interacting"):
        return None, None
    scene.frame()
    scene.interacting = True
    try:
        grab(plotter)  # the first interactive frame at the default view (coarser levels)
        triangles = scene_triangles(scene, plotter)
        stats = frame_stats(orbit(plotter, frames))
    finally:
        scene.interacting = False
    return stats, triangles


def _fidelity(
    scene: Any, plotter: Any, images: dict[str, np.ndarray], png: Path | None
) -> dict[str, Any]:
    """Compare images of the default view (first frame, 2 px, 1 px) with full detail."""
    scene.frame()
    start = time.perf_counter()
    scene.settle(0.0)
    full_image = grab(plotter)
    out: dict[str, Any] = {
        "full_detail_frame_s": time.perf_counter() - start,
        "triangles_full_detail": scene_triangles(scene, plotter),
        "fidelity": {name: image_difference(img, full_image) for name, img in images.items()},
    }
    if png is not None:
        save_png(full_image, _sibling(png, "full_detail"))
    return out


def _sibling(png: Path, suffix: str) -> Path:
    """``terrain_demo_twinscape.png`` -> ``terrain_demo_twinscape_<suffix>.png``."""
    return png.with_name(f"{png.stem}_{suffix}{png.suffix}")


def _view_dict(view: Any) -> dict[str, Any]:
    """A CameraView as plain JSON data (world coordinates)."""
    return {
        "position": list(view.position),
        "focal_point": list(view.focal_point),
        "view_up": list(view.view_up),
        "view_angle": float(view.view_angle),
    }
