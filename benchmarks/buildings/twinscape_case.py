"""The ``twinscape`` and ``terrain`` cases: the demo scene loaded as the app loads it.

``twinscape`` adds the generated town; ``terrain`` is the same scene without it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from benchmarks.buildings import INTERLEAVED_ROUNDS, VIEWS
from benchmarks.buildings.views import _camera_view, _interleaved, _orbits, _timed, _town_views


def run_twinscape_like(
    scene_file: Path,
    gpkg: Path | None,
    frames: int,
    *,
    views: dict[str, dict[str, Any]] | None,
    png_prefix: Path | None,
) -> dict[str, Any]:
    """The scene with the town (``gpkg``) or its terrain alone (``gpkg`` None)."""
    import twinscape.io.kinds.buildings as buildings_kind
    from benchmarks.terrain.measure import current_rss_mb, grab, make_plotter, peak_rss_mb, save_png
    from twinscape.geo.ground import ground_grids
    from twinscape.geo.origin import LocalOrigin
    from twinscape.io.loading import apply_load, load_file, read_layer
    from twinscape.io.project_file import load_project
    from twinscape.render.kinds import prepare_layer
    from twinscape.render.scene import SceneView

    steps: dict[str, float] = {}
    for name in ("read_footprints", "footprint_bases"):
        _timed(buildings_kind, name, steps)

    rss_before = current_rss_mb()
    plotter = make_plotter()
    start = time.perf_counter()
    project, _ = load_project(scene_file)
    project.layers[:] = [layer for layer in project.layers if layer.provides_ground]
    for ground in list(project.layers):
        apply_load(
            project,
            read_layer(ground, project_crs=project.crs, ground=ground_grids(project.layers)),
        )
    terrain_loaded = time.perf_counter()
    layer = None
    if gpkg is not None:
        load = load_file(gpkg, project_crs=project.crs, ground=ground_grids(project.layers))
        layer = apply_load(project, load)
        # what the app's load job does next on its worker thread (ui/load_jobs.py)
        prepared = time.perf_counter()
        prepare_layer(layer, LocalOrigin.of(project.origin))
        steps["prepare"] = time.perf_counter() - prepared
    loaded = time.perf_counter()
    rss_loaded = current_rss_mb()
    scene = SceneView(plotter, project)
    if views is None:
        assert layer is not None
        views = {**_town_views(scene, layer), "vertical_exaggeration": scene.ground_exaggeration()}
    scene.apply_view(_camera_view(views["overview"]))
    built = time.perf_counter()
    rss_built = current_rss_mb()
    first_image = grab(plotter)
    first = time.perf_counter()

    result: dict[str, Any] = {
        "first_frame_s": first - start,
        "terrain_load_s": terrain_loaded - start,
        "buildings_load_s": (loaded - terrain_loaded) if gpkg is not None else None,
        "load_s": loaded - start,
        "build_s": built - loaded,
        "first_render_s": first - built,
        "rss_before_mb": rss_before,
        "rss_after_load_mb": rss_loaded,
        "rss_after_build_mb": rss_built,
        "steps_s": steps,
        "views": views,
    }
    if layer is not None:
        mesh = layer.mesh
        result.update(
            buildings=int(mesh.count),
            building_triangles=int(len(mesh.triangles)),
            height_sources=dict(layer.report.height_sources) if layer.report else None,
            base_range_m=[float(min(layer.base)), float(max(layer.base))],
        )
    start_second = time.perf_counter()
    grab(plotter)
    result["second_frame_s"] = time.perf_counter() - start_second
    images = {}
    for name in VIEWS:
        block = _orbits(scene, plotter, frames, views[name])
        images[name] = block.pop("_image")
        result[name] = block
    if layer is not None:
        for name in VIEWS:
            result[name]["interleaved"] = _interleaved(
                scene, plotter, layer, frames, views[name], INTERLEAVED_ROUNDS
            )
    result["peak_rss_mb"] = peak_rss_mb()
    if png_prefix is not None:
        save_png(first_image, Path(f"{png_prefix}_first_frame.png"))
        for name, image in images.items():
            save_png(image, Path(f"{png_prefix}_{name}.png"))
        result["png"] = str(png_prefix) + "_*.png"
    scene.close()
    plotter.close()
    return result
