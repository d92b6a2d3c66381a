"""Buildings benchmark: Twinscape's batched buildings vs one PyVista mesh per building vs terrain.

``python -m benchmarks.buildings`` generates planned towns of 10,000 and 100,000 buildings
(:mod:`benchmarks.district`, cached in ``.bench/``) on the demo terrain and runs, for each
count and each in a fresh subprocess so that peak memory (``ru_maxrss``) is its own:

- ``twinscape``: the app's path. The ground layers of the demo scene
  (``scenes/deadsea_demo.toml``: the demo DEM with its style, 2x vertical exaggeration;
  its own buildings layer is left out) loaded as ``open_project`` does, then the GeoPackage
  through ``load_file``/``apply_load``, which reads it with
  ``twinscape.io.footprints.read_footprints`` and stands every building on the terrain with
  ``twinscape.geo.ground.footprint_bases`` (both timed by wrapping them where the buildings
  kind calls them); then ``SceneView`` on an offscreen 1280 x 720 plotter, first frame
  and orbits.
- ``terrain``: the same scene without buildings, at the same cameras: the floor buildings
  add to.
- ``naive``: what a PyVista user writes first: geopandas reads the file, each footprint's
  outer ring becomes ``pv.PolyData(...).extrude(...)`` on the DEM height at its centroid,
  one ``add_mesh`` per building (z scaled by the scene's exaggeration so that the
  cameras show the same picture). No terrain (which only flatters it). When the whole
  file would take longer than ``--naive-budget`` seconds to add, it stops after a subset
  and times, memory and frames are extrapolated linearly to the full count: the table
  says so.

Two cameras, both in world coordinates taken from the Twinscape case: ``overview``
(``SceneView.frame`` of the whole town: every building in view, the hardest case for a
renderer without levels of detail) and ``close`` (the central 800 m of the town from
about 1 km). Orbits are ``benchmarks.terrain.measure.orbit``: 3 degrees a frame, render
and read back. Twinscape and terrain-only are orbited with the settled tolerance and
with ``scene.interacting = True``, which is what a user dragging gets and what the
targets compare.

Targets (from the brief): buildings load of 100,000 < 20 s, Twinscape orbit within
1.5x of the terrain-only frame, peak memory < 1.5 GB (1536 MiB) for 100,000.

Results: tables on stdout, ``.bench/buildings.json``, and the first image of each case
and view in ``.bench/buildings_<count>_<case>_<view>.png``: look at them.
One case alone: ``python -m benchmarks.buildings --child twinscape --count 10000 --out x.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from benchmarks.terrain import BENCH_DIR, DEMO_DEM, ORBIT_STEP_DEG, REPO_ROOT, WINDOW_SIZE

#: The demo scene: the terrain (and its style) the buildings stand on.
DEMO_SCENE = REPO_ROOT / "scenes" / "deadsea_demo.toml"

#: Building counts benchmarked by default.
COUNTS = (10_000, 100_000)
#: Seed of the generated towns.
SEED = 0
#: Case names, in the order they run (twinscape first: it sets the cameras).
CASES = ("twinscape", "terrain", "naive")
#: Camera names, in order.
VIEWS = ("overview", "close")
#: Half side (m) of the square the close view frames around the town centre.
CLOSE_HALF_SIDE = 400.0

#: Targets of the brief.
TARGET_LOAD_S = 20.0  # buildings load (read + mesh + ground) of the largest count, below
TARGET_ORBIT_VS_TERRAIN = 1.5  # twinscape orbit frame / terrain-only orbit frame, at most
TARGET_PEAK_MB = 1536.0  # twinscape peak memory for the largest count, below (1.5 GiB)

#: The naive case stops adding meshes when the whole file would take longer than this.
NAIVE_BUDGET_S = 120.0
#: ... but not before it has added this many (or spent a third of the budget).
NAIVE_MIN_SUBSET = 10_000
#: ... and always stops when its resident memory passes this (MiB): 24 GB machines.
NAIVE_RSS_CAP_MB = 6_000.0


def _prefer_headless_window() -> None:
    """Without a display, ask VTK for EGL instead of failing over from X (as render.offscreen)."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")


# ---------------------------------------------------------------- data

def district_file(
    count: int, seed: int = SEED, folder: Path = BENCH_DIR
) -> tuple[Path, float | None]:
    """The cached GeoPackage of a ``count``-building town on the demo DEM.

    Returns the path and the seconds spent generating it (None when cached). The file is
    rebuilt when ``benchmarks/district.py`` is newer.
    """
    from benchmarks import district

    out = folder / f"buildings_{count}_seed{seed}.gpkg"
    source = Path(district.__file__)
    if out.exists() and out.stat().st_mtime >= source.stat().st_mtime:
        return out, None
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    gdf = district.generate_district(district.DEMO_CENTER, count=count, seed=seed)
    tmp = out.with_name(out.stem + ".partial.gpkg")
    tmp.unlink(missing_ok=True)
    gdf.to_file(tmp, layer="buildings", driver="GPKG", engine="pyogrio")
    os.replace(tmp, out)
    return out, time.perf_counter() - start


# ---------------------------------------------------------------- cases (child processes)

def _view_dict(view: Any) -> dict[str, Any]:
    return {
        "position": [float(v) for v in view.position],
        "focal_point": [float(v) for v in view.focal_point],
        "view_up": [float(v) for v in view.view_up],
        "view_angle": float(view.view_angle),
    }


def _camera_view(view: dict[str, Any]) -> Any:
    from twinscape.model.bookmarks import CameraView

    return CameraView(
        position=tuple(view["position"]),
        focal_point=tuple(view["focal_point"]),
        view_up=tuple(view["view_up"]),
        view_angle=float(view["view_angle"]),
    )


def _town_views(scene: Any, layer: Any) -> dict[str, dict[str, Any]]:
    """The overview and close cameras of a loaded buildings layer (world coordinates)."""
    import numpy as np

    mesh = layer.mesh
    base = np.asarray(layer.base if layer.base is not None else mesh.own_base, float)
    top = float(np.nanmax(base + mesh.table["height"].to_numpy(float)))
    zlo = float(np.nanmin(base))
    ve = scene.ground_exaggeration()  # frame() takes z as drawn
    zlo, top = zlo * ve, top * ve
    x0, y0, x1, y1 = mesh.bounds
    views = {}
    scene.frame((x0, y0, zlo, x1, y1, top))
    views["overview"] = _view_dict(scene.current_view())
    cx, cy, h = (x0 + x1) / 2, (y0 + y1) / 2, CLOSE_HALF_SIDE
    scene.frame((cx - h, cy - h, zlo, cx + h, cy + h, top))
    views["close"] = _view_dict(scene.current_view())
    return views


def _timed(module: Any, name: str, into: dict[str, float]) -> None:
    """Wrap ``module.name`` so that its calls add their seconds to ``into[name]``."""
    fn = getattr(module, name, None)
    if fn is None:
        return

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            into[name] = into.get(name, 0.0) + time.perf_counter() - start

    setattr(module, name, wrapper)


def _points(scene: Any) -> int:
    """Buildings drawn as points (one vertex each) by the scene's visuals."""
    return int(sum(getattr(v, "points", 0) for v in scene.visuals.values()))


def _orbits(scene: Any, plotter: Any, frames: int, view: dict[str, Any]) -> dict[str, Any]:
    """From ``view``: first image, then a settled orbit and an interactive one."""
    from benchmarks.terrain.measure import frame_stats, grab, orbit

    out: dict[str, Any] = {}
    scene.apply_view(_camera_view(view))
    start = time.perf_counter()
    image = grab(plotter)
    out["first_image_s"] = time.perf_counter() - start
    out["triangles"] = int(scene.triangles())
    out["points"] = _points(scene)
    out["orbit"] = frame_stats(orbit(plotter, frames))
    scene.apply_view(_camera_view(view))
    scene.interacting = True
    try:
        grab(plotter)
        out["triangles_interactive"] = int(scene.triangles())
        out["points_interactive"] = _points(scene)
        out["orbit_interactive"] = frame_stats(orbit(plotter, frames))
    finally:
        scene.interacting = False
    out["_image"] = image
    return out


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
        apply_load(project, read_layer(ground, project_crs=project.crs,
                                       ground=ground_grids(project.layers)))
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
    result["peak_rss_mb"] = peak_rss_mb()
    if png_prefix is not None:
        save_png(first_image, Path(f"{png_prefix}_first_frame.png"))
        for name, image in images.items():
            save_png(image, Path(f"{png_prefix}_{name}.png"))
        result["png"] = str(png_prefix) + "_*.png"
    scene.close()
    plotter.close()
    return result


def _naive_heights(gdf: Any) -> Any:
    """Metres from ``height`` ("24 m" or "24"), else 3.2 x ``building:levels``, else 9."""
    import numpy as np
    import pandas as pd

    def numbers(column: str) -> np.ndarray:
        if column not in gdf:
            return np.full(len(gdf), np.nan)
        text = gdf[column].astype("string").str.replace("m", "", regex=False).str.strip()
        return pd.to_numeric(text, errors="coerce").to_numpy(float)

    height = numbers("height")
    levels = numbers("building:levels") * 3.2
    return np.where(np.isfinite(height), height, np.where(np.isfinite(levels), levels, 9.0))


def run_naive(
    dem: Path,
    gpkg: Path,
    frames: int,
    *,
    views: dict[str, dict[str, Any]],
    png_prefix: Path | None,
    budget_s: float = NAIVE_BUDGET_S,
) -> dict[str, Any]:
    """One extruded PolyData and one ``add_mesh`` per building; see the module docstring."""
    import geopandas as gpd
    import numpy as np
    import pyvista as pv
    import rasterio

    ve = float(views.get("vertical_exaggeration", 1.0))

    from benchmarks.terrain.measure import (
        current_rss_mb,
        drawn_triangles,
        frame_stats,
        grab,
        make_plotter,
        orbit,
        peak_rss_mb,
        save_png,
    )

    rss_before = current_rss_mb()
    plotter = make_plotter()
    start = time.perf_counter()
    gdf = gpd.read_file(gpkg)
    heights = _naive_heights(gdf)
    centroids = gdf.geometry.centroid
    with rasterio.open(dem) as src:
        ground = np.array([v[0] for v in src.sample(zip(centroids.x, centroids.y))], float)
    x0, y0, x1, y1 = gdf.total_bounds
    centre = ((x0 + x1) / 2, (y0 + y1) / 2)
    loaded = time.perf_counter()

    total = len(gdf)
    added = 0
    stop_reason = None
    for geom, h, z in zip(gdf.geometry.values, heights, ground):
        polygon = geom.geoms[0] if geom.geom_type == "MultiPolygon" else geom
        ring = np.asarray(polygon.exterior.coords)[:-1]
        points = np.column_stack([ring[:, 0] - centre[0], ring[:, 1] - centre[1],
                                  np.full(len(ring), z * ve)])
        face = np.concatenate([[len(ring)], np.arange(len(ring))])
        solid = pv.PolyData(points, face).extrude((0.0, 0.0, float(h) * ve), capping=True)
        plotter.add_mesh(solid, color="tan")
        added += 1
        if added % 250 == 0 and added < total:
            elapsed = time.perf_counter() - start
            projected = elapsed / added * total
            if current_rss_mb() > NAIVE_RSS_CAP_MB:
                stop_reason = f"memory above {NAIVE_RSS_CAP_MB:.0f} MiB"
            elif projected > budget_s and (added >= NAIVE_MIN_SUBSET or elapsed > budget_s / 3):
                stop_reason = f"{total} would take ~{projected:.0f} s > {budget_s:.0f} s"
            if stop_reason:
                break
    built = time.perf_counter()
    image = None

    offset = (centre[0], centre[1], 0.0)
    result: dict[str, Any] = {
        "buildings": total,
        "measured_buildings": added,
        "extrapolated": added < total,
        "stop_reason": stop_reason,
        "read_s": loaded - start,
        "vertical_exaggeration": ve,
        "add_meshes_s": built - loaded,
        "rss_before_mb": rss_before,
    }
    first_images = {}
    for n, name in enumerate(VIEWS):
        _apply_local_view(plotter, views[name], offset)
        t = time.perf_counter()
        image = grab(plotter)
        first_render = time.perf_counter() - t
        if n == 0:
            result["first_render_s"] = first_render
        first_images[name] = image
        block = {
            "first_image_s": first_render,
            "orbit": frame_stats(orbit(plotter, frames)),
        }
        result[name] = block
    result["peak_rss_mb"] = peak_rss_mb()
    result["triangles"] = drawn_triangles(plotter)

    # the full-count estimate: everything but reading the file scales with the meshes added
    scale = total / added
    result["scale"] = scale
    result["load_s"] = result["read_s"]
    result["build_s"] = result["add_meshes_s"] * scale
    result["first_frame_s"] = (
        result["read_s"] + result["build_s"] + result["first_render_s"] * scale
    )
    if added < total:
        result["first_render_s_measured"] = result["first_render_s"]
        result["first_render_s"] *= scale
        result["peak_rss_mb_measured"] = result["peak_rss_mb"]
        result["peak_rss_mb"] = rss_before + (result["peak_rss_mb"] - rss_before) * scale
        result["triangles_measured"] = result["triangles"]
        result["triangles"] = int(result["triangles"] * scale)
        for name in VIEWS:
            block = result[name]
            block["measured_orbit"] = block["orbit"]
            block["orbit"] = {
                k: (v * scale if k in ("median_s", "p90_s", "mean_s", "cpu_median_s") else v)
                for k, v in block["orbit"].items()
                if not k.endswith("times_s")
            }
            block["first_image_s"] *= scale
    if png_prefix is not None:
        for name, img in first_images.items():
            save_png(img, Path(f"{png_prefix}_{name}.png"))
        result["png"] = str(png_prefix) + "_*.png"
    plotter.close()
    return result


def _apply_local_view(
    plotter: Any, view: dict[str, Any], offset: tuple[float, float, float]
) -> None:
    """A world-coordinate camera shifted into the naive case's local coordinates."""
    import numpy as np

    plotter.camera_position = [
        tuple(np.subtract(view["position"], offset)),
        tuple(np.subtract(view["focal_point"], offset)),
        tuple(view["view_up"]),
    ]
    plotter.camera.view_angle = float(view["view_angle"])
    plotter.renderer.ResetCameraClippingRange()


def child_main(args: argparse.Namespace) -> int:
    """Run one case in this process and write its JSON (errors included)."""
    _prefer_headless_window()
    try:
        import pyvista  # noqa: F401  (imports before any timer)

        views = json.loads(args.views) if args.views else None
        gpkg = Path(args.gpkg) if args.gpkg else None
        png = Path(args.png_prefix) if args.png_prefix else None
        if args.child == "twinscape":
            data = run_twinscape_like(args.scene, gpkg, args.frames, views=views, png_prefix=png)
        elif args.child == "terrain":
            if views is None:
                raise SystemExit("terrain needs --views")
            data = run_twinscape_like(args.scene, None, args.frames, views=views, png_prefix=png)
        else:
            if views is None or gpkg is None:
                raise SystemExit("naive needs --views and --gpkg")
            data = run_naive(args.dem, gpkg, args.frames, views=views, png_prefix=png,
                             budget_s=args.naive_budget)
        result: dict[str, Any] = {"ok": True, **data}
        code = 0
    except Exception as exc:
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}",
                  "traceback": traceback.format_exc()}
        code = 1
    result["pid"] = os.getpid()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    return code


# ---------------------------------------------------------------- runner

def run_child(case: str, out: Path, extra: list[str], timeout: float) -> dict[str, Any]:
    """One case in a fresh interpreter: its JSON plus wall time and load averages."""
    out.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "benchmarks.buildings", "--child", case, "--out", str(out), *extra]
    load_before = os.getloadavg()
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout)
        stderr, returncode = proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as exc:
        stderr, returncode = f"timed out after {timeout:.0f} s: {exc}", -1
    wall = time.perf_counter() - start
    if out.exists():
        result: dict[str, Any] = json.loads(out.read_text())
    else:
        result = {"ok": False, "error": f"child exited {returncode} without results"}
    if not result.get("ok"):
        result["stderr_tail"] = stderr[-3000:]
    result.update(wall_s=wall, loadavg_before=load_before, loadavg_after=os.getloadavg())
    return result


def bench_count(count: int, args: argparse.Namespace) -> dict[str, Any]:
    """All cases for one building count."""
    gpkg, generated = district_file(count, args.seed)
    note = f"generated in {generated:.1f} s" if generated is not None else "cached"
    print(f"{count:,} buildings: {gpkg} ({note})")
    results: dict[str, Any] = {"file": str(gpkg), "generate_s": generated}
    views = None
    for case in CASES:
        if case == "naive" and args.skip_naive:
            print("  naive: skipped (--skip-naive)")
            continue
        if case != "twinscape" and views is None:
            print(f"  {case}: skipped (no cameras: the twinscape case failed)")
            continue
        extra = ["--dem", str(args.dem), "--frames", str(args.frames),
                 "--scene", str(args.scene),
                 "--png-prefix", str(BENCH_DIR / f"buildings_{count}_{case}")]
        if case != "terrain":
            extra += ["--gpkg", str(gpkg)]
        if views is not None:
            extra += ["--views", json.dumps(views)]
        if case == "naive":
            extra[3] = str(args.naive_frames)
            extra += ["--naive-budget", str(args.naive_budget)]
        print(f"  {case} ...", end="", flush=True)
        result = run_child(case, BENCH_DIR / "tmp" / f"buildings_{count}_{case}.json", extra,
                           args.timeout)
        print(f" {result['wall_s']:.1f} s" if result.get("ok") else " FAILED")
        if not result.get("ok"):
            print(f"    {result.get('error')}", file=sys.stderr)
            print(result.get("traceback") or result.get("stderr_tail"), file=sys.stderr)
        results[case] = result
        if case == "twinscape" and result.get("ok"):
            views = result["views"]
    return results


def _get(block: Any, *keys: str) -> float | None:
    for key in keys:
        if not isinstance(block, dict) or key not in block or block[key] is None:
            return None
        block = block[key]
    return float(block) if isinstance(block, (int, float)) and not isinstance(block, bool) else None


def _ok(results: dict[str, Any], case: str) -> dict[str, Any] | None:
    block = results.get(case)
    return block if isinstance(block, dict) and block.get("ok") else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def ratios(results: dict[str, Any]) -> dict[str, float | None]:
    """The ratios of one building count (None where a case is missing)."""
    ts, tr, nv = _ok(results, "twinscape"), _ok(results, "terrain"), _ok(results, "naive")
    out: dict[str, float | None] = {}
    for view in VIEWS:
        for mode, key in (("interactive", "orbit_interactive"), ("settled", "orbit")):
            out[f"twinscape_vs_terrain_orbit_{view}_{mode}"] = _ratio(
                _get(ts, view, key, "median_s"), _get(tr, view, key, "median_s"))
        out[f"twinscape_vs_terrain_orbit_{view}_interactive_cpu"] = _ratio(
            _get(ts, view, "orbit_interactive", "cpu_median_s"),
            _get(tr, view, "orbit_interactive", "cpu_median_s"))
        out[f"naive_vs_twinscape_orbit_{view}"] = _ratio(
            _get(nv, view, "orbit", "median_s"), _get(ts, view, "orbit_interactive", "median_s"))
    out["naive_vs_twinscape_first_frame"] = _ratio(
        _get(nv, "first_frame_s"), _get(ts, "first_frame_s"))
    out["naive_vs_twinscape_load_and_build"] = _ratio(
        _sum(_get(nv, "load_s"), _get(nv, "build_s")),
        _sum(_get(ts, "buildings_load_s"), _get(ts, "build_s")))
    out["naive_vs_twinscape_peak_memory"] = _ratio(_get(nv, "peak_rss_mb"), _get(ts, "peak_rss_mb"))
    out["twinscape_vs_terrain_peak_memory"] = _ratio(
        _get(ts, "peak_rss_mb"), _get(tr, "peak_rss_mb"))
    return out


def _sum(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a + b


def targets(all_results: dict[int, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The brief's targets: measured value, limit, verdict."""
    out: dict[str, dict[str, Any]] = {}
    largest = max(all_results) if all_results else None
    for count, results in all_results.items():
        r = ratios(results)
        for view in VIEWS:
            out[f"{count:,}: orbit {view} (interacting) / terrain-only"] = _target(
                r[f"twinscape_vs_terrain_orbit_{view}_interactive"], TARGET_ORBIT_VS_TERRAIN, "x")
            out[f"{count:,}: orbit {view} (interacting) / terrain-only, CPU"] = _target(
                r[f"twinscape_vs_terrain_orbit_{view}_interactive_cpu"],
                TARGET_ORBIT_VS_TERRAIN, "x")
    if largest is not None:
        ts = _ok(all_results[largest], "twinscape")
        out[f"{largest:,}: buildings load (read + mesh + ground)"] = _target(
            _get(ts, "buildings_load_s"), TARGET_LOAD_S, "s", strict=True)
        out[f"{largest:,}: twinscape peak memory"] = _target(
            _get(ts, "peak_rss_mb"), TARGET_PEAK_MB, "MB", strict=True)
    return out


def _target(
    value: float | None, limit: float, unit: str, *, strict: bool = False
) -> dict[str, Any]:
    met = None if value is None else (value < limit if strict else value <= limit)
    return {"value": value, "limit": limit, "unit": unit, "met": met, "strict": strict}


def _fmt(value: Any, spec: str, scale: float = 1.0) -> str:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return "-"
    return format(value * scale, spec)


def _orbit_cell(view: str, key: str, stat: str = "median_s"):
    def cell(r: dict[str, Any]) -> str:
        text = _fmt(_get(r, view, key, stat), ".0f", 1000.0)
        if text != "-" and r.get("extrapolated"):
            text = "~" + text
        return text

    return cell


def _est(key: str, spec: str, scale: float = 1.0):
    def cell(r: dict[str, Any]) -> str:
        text = _fmt(r.get(key), spec, scale)
        return "~" + text if text != "-" and r.get("extrapolated") else text

    return cell


def _pair(a: float | None, b: float | None) -> str:
    return "-" if a is None else f"{a:,.0f} / {_fmt(b, ',.0f')}"


def _step(r: dict[str, Any], name: str) -> float | None:
    return (r.get("steps_s") or {}).get(name)


ROWS = [
    ("first frame (s)", _est("first_frame_s", ".2f")),
    ("  terrain load (s)", lambda r: _fmt(r.get("terrain_load_s"), ".2f")),
    ("  buildings load (s)", lambda r: _fmt(r.get("buildings_load_s"), ".2f")),
    ("    read_footprints (s)", lambda r: _fmt(_step(r, "read_footprints"), ".2f")),
    ("    footprint_bases (s)", lambda r: _fmt(_step(r, "footprint_bases"), ".2f")),
    ("    prepare, worker thread (s)", lambda r: _fmt(_step(r, "prepare"), ".2f")),
    ("  naive: read + heights + ground (s)", lambda r: _fmt(r.get("read_s"), ".2f")),
    ("  build scene / add meshes (s)", _est("build_s", ".2f")),
    ("  first render + readback (s)", _est("first_render_s", ".2f")),
    ("second frame, same view (s)", lambda r: _fmt(r.get("second_frame_s"), ".2f")),
    *[
        row
        for view in VIEWS
        for row in (
            (f"{view}: orbit median (ms)", _orbit_cell(view, "orbit")),
            (f"{view}: orbit interacting median (ms)", _orbit_cell(view, "orbit_interactive")),
            (f"{view}: orbit interacting p90 (ms)",
             _orbit_cell(view, "orbit_interactive", "p90_s")),
            (f"{view}: orbit interacting CPU (ms)",
             _orbit_cell(view, "orbit_interactive", "cpu_median_s")),
            (f"{view}: triangles drawn",
             lambda r, v=view: _fmt(_get(r, v, "triangles"), ",.0f")),
            (f"{view}: triangles / points interacting",
             lambda r, v=view: _pair(_get(r, v, "triangles_interactive"),
                                     _get(r, v, "points_interactive"))),
            (f"{view}: buildings as points",
             lambda r, v=view: _fmt(_get(r, v, "points"), ",.0f")),
        )
    ],
    ("peak memory (MB)", _est("peak_rss_mb", ".0f")),
    ("  before loading, after imports", lambda r: _fmt(r.get("rss_before_mb"), ".0f")),
    ("  after load (RSS)", lambda r: _fmt(r.get("rss_after_load_mb"), ".0f")),
    ("  after build (RSS)", lambda r: _fmt(r.get("rss_after_build_mb"), ".0f")),
    ("building triangles", lambda r: _fmt(r.get("building_triangles") or (
        r.get("triangles") if "measured_buildings" in r else None), ",.0f")),
    ("buildings measured", lambda r: _fmt(r.get("measured_buildings", r.get("buildings")), ",.0f")),
    ("load average after (1 min)", lambda r: _fmt((r.get("loadavg_after") or [None])[0], ".2f")),
]


def _layout(lines: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in lines) for i in range(len(lines[0]))]
    out = []
    for n, row in enumerate(lines):
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]
        out.append("  ".join(cells))
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def case_table(count: int, results: dict[str, Any]) -> str:
    names = [c for c in CASES if c in results]
    lines = [[f"{count:,} buildings", *(("naive (no terrain)" if c == "naive" else c)
                                         for c in names)]]
    for label, cell in ROWS:
        values = [cell(results[c]) if results[c].get("ok") else "failed" for c in names]
        if all(v in ("-", "failed") for v in values):
            continue
        lines.append([label, *values])
    return _layout(lines)


def ratio_table(all_results: dict[int, dict[str, Any]]) -> str:
    per = {count: ratios(r) for count, r in all_results.items()}
    names = list(next(iter(per.values()))) if per else []
    lines = [["ratio", *(f"{c:,}" for c in per)]]
    for name in names:
        lines.append([name, *("-" if per[c][name] is None else f"{per[c][name]:.2f}x"
                              for c in per)])
    return _layout(lines)


def target_table(rows: dict[str, dict[str, Any]]) -> str:
    lines = [["target", "measured", "limit", "verdict"]]
    for name, t in rows.items():
        spec = ".0f" if t["unit"] == "MB" else ".2f"
        op = "<" if t["strict"] else "<="
        verdict = {True: "PASS", False: "MISS", None: "n/a"}[t["met"]]
        lines.append([name, _fmt(t["value"], spec) + f" {t['unit']}",
                      f"{op} {t['limit']:g} {t['unit']}", verdict])
    return _layout(lines)


def metadata(started: float) -> dict[str, Any]:
    def version(module: str) -> str | None:
        try:
            return __import__(module).__version__
        except Exception:
            return None

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT,
                            capture_output=True, text=True).stdout.strip()
    return {
        "date_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "git_commit": commit or None,
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "pyvista": version("pyvista"),
        "vtk": version("vtk"),
        "window_size": list(WINDOW_SIZE),
        "orbit_step_deg": ORBIT_STEP_DEG,
        "loadavg_end": os.getloadavg(),
        "total_wall_s": time.perf_counter() - started,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.buildings",
        description="Buildings on the demo terrain: Twinscape vs one PyVista mesh per building "
        "vs terrain alone.",
    )
    parser.add_argument("--counts", default=",".join(str(c) for c in COUNTS),
                        help="comma list of building counts (default 10000,100000)")
    parser.add_argument("--frames", type=int, default=24, help="orbit frames per view (default 24)")
    parser.add_argument("--naive-frames", type=int, default=3,
                        help="orbit frames per view for the naive case (default 3)")
    parser.add_argument("--naive-budget", type=float, default=NAIVE_BUDGET_S,
                        help="seconds the naive case may spend adding meshes before it "
                        "measures a subset and extrapolates (default 120)")
    parser.add_argument("--skip-naive", action="store_true", help="skip the naive case")
    parser.add_argument("--seed", type=int, default=SEED, help="seed of the generated towns")
    parser.add_argument("--scene", type=Path, default=DEMO_SCENE,
                        help="project file with the terrain (default: the demo scene)")
    parser.add_argument("--dem", type=Path, default=DEMO_DEM,
                        help="the scene's DEM, sampled by the naive case (default: demo DEM)")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "buildings.json")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per child process")
    # one case in this process (used by the runner)
    parser.add_argument("--child", choices=CASES, help=argparse.SUPPRESS)
    parser.add_argument("--gpkg", help=argparse.SUPPRESS)
    parser.add_argument("--views", help=argparse.SUPPRESS)
    parser.add_argument("--png-prefix", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help="with --child: generate/cache this town")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run every case, print tables, write JSON; exit 1 when a case failed."""
    args = parse_args(argv)
    if args.child:
        if args.gpkg is None and args.count and args.child != "terrain":
            args.gpkg = str(district_file(args.count, args.seed)[0])
        return child_main(args)
    started = time.perf_counter()
    counts = [int(c) for c in args.counts.split(",") if c.strip()]
    print(f"Buildings benchmark on {args.scene.name}, {WINDOW_SIZE[0]} x {WINDOW_SIZE[1]} "
          f"offscreen, load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    all_results = {count: bench_count(count, args) for count in counts}
    doc = {
        "meta": metadata(started),
        "results": {str(c): r for c, r in all_results.items()},
        "ratios": {str(c): ratios(r) for c, r in all_results.items()},
        "targets": targets(all_results),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2))
    for count, results in all_results.items():
        print()
        print(case_table(count, results))
        naive = _ok(results, "naive")
        if naive and naive.get("extrapolated"):
            print(f"~ naive: extrapolated linearly from the first {naive['measured_buildings']:,} "
                  f"of {naive['buildings']:,} buildings ({naive['stop_reason']})")
    print()
    print(ratio_table(all_results))
    print()
    print(target_table(doc["targets"]))
    print(
        "\nnaive draws the buildings alone (no terrain), twinscape draws terrain + buildings;"
        "\nnaive orbit ratios compare with twinscape's interactive orbit."
        f"\nload average at end {doc['meta']['loadavg_end'][0]:.2f} on {doc['meta']['cpus']} "
        f"CPUs; total {doc['meta']['total_wall_s']:.0f} s.\nResults: {args.out}  "
        f"(images: {BENCH_DIR}/buildings_*.png)"
    )
    failed = [f"{c}/{k}" for c, r in all_results.items() for k, v in r.items()
              if isinstance(v, dict) and "ok" in v and not v["ok"]]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
