"""The ``naive`` case: one extruded PyVista mesh and one ``add_mesh`` per building.

No terrain. When the whole town would take longer than the budget to add, it stops after
a subset and scales times, memory and frames linearly to the full count (``extrapolated``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from benchmarks.buildings import NAIVE_BUDGET_S, NAIVE_MIN_SUBSET, NAIVE_RSS_CAP_MB, VIEWS
from benchmarks.buildings.views import _apply_local_view


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
        points = np.column_stack(
            [ring[:, 0] - centre[0], ring[:, 1] - centre[1], np.full(len(ring), z * ve)]
        )
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
