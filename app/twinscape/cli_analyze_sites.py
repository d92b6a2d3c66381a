"""``twinscape analyze profile|cutfill|viewshed``: analyses at a line, a pad or an observer.

A DEM over the in-memory limit is read only where the analysis looks, at full
resolution: the tiles of cells a profile line's samples fall in, the cells under a
pad's polygon (plus a margin for the interpolation), an observer's reach.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from twinscape.cli_analyze_common import (
    AnalyzeError,
    Placed,
    check_out_file,
    inside,
    numbers,
    open_large_dem,
    read_dem,
    read_polygons,
    to_dem_crs,
)
from twinscape.model.errors import quote_path
from twinscape.model.raster import RasterGrid

if TYPE_CHECKING:
    from twinscape.geo.profile import Profile
    from twinscape.io.dem_full import FullResDem
    from twinscape.io.dem_source import DemSource

#: Side of the tiles of cells a profile on a large DEM reads (plus a one-cell margin).
PROFILE_TILE = 64
#: Most cells a pad's window on a large DEM may hold (1 GiB of float32).
MAX_PAD_CELLS = 1 << 28


def run_profile(args: argparse.Namespace) -> int:
    """``analyze profile``; returns the exit code (0)."""
    from twinscape.geo.profile import profile

    check_out_file(args.out)
    values = numbers(args.line, "--line", "X1,Y1,X2,Y2[,...]")
    if len(values) < 4 or len(values) % 2:
        raise AnalyzeError(f"--line needs at least two X,Y pairs, got {args.line!r}")
    if args.step is not None and not (math.isfinite(args.step) and args.step > 0):
        raise AnalyzeError(f"--step must be positive, got {args.step:g}")
    large = open_large_dem(args.dem)
    try:
        dem: RasterGrid | FullResDem = read_dem(args.dem) if large is None else large
        line = to_dem_crs(
            np.asarray(values, dtype=np.float64).reshape(-1, 2), args.crs, dem, "--line"
        )
        if not any(inside(dem, x, y) for x, y in line) and not _crosses(dem, line):
            raise AnalyzeError(f"--line lies outside the DEM {quote_path(args.dem)}")
        try:
            if isinstance(dem, RasterGrid):
                prof = profile(dem, line, step=args.step)
            else:
                prof = _profile_from_file(dem, line, args.step)
        except ValueError as err:
            raise AnalyzeError(f"--line: {err}") from None
    finally:
        if large is not None:
            large.close()
    _write_profile_csv(args.out, prof)
    print(
        f"wrote {quote_path(args.out)} ({len(prof.distance)} samples, length "
        f"{prof.length:.1f} m, max grade {prof.max_grade_pct:.2f} %)"
    )
    return 0


def _profile_from_file(dem: FullResDem, line: np.ndarray, step: float | None) -> Profile:
    """The profile of ``line`` sampled at full resolution, reading only the tiles it crosses."""
    from twinscape.geo.profile import profile
    from twinscape.geo.sampling import sample_elevation

    rows, cols = dem.shape
    xmin, ymin, xmax, ymax = dem.bounds

    def sample(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        z = np.full(x.shape, np.nan)
        col_f, row_f = ~dem.transform @ (x, y)
        here = (x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax)
        tile_r = np.clip(np.floor(row_f - 0.5), 0, rows - 1) // PROFILE_TILE
        tile_c = np.clip(np.floor(col_f - 0.5), 0, cols - 1) // PROFILE_TILE
        keys = tile_r * (cols // PROFILE_TILE + 1) + tile_c
        for key in np.unique(keys[here]):
            pick = here & (keys == key)
            tr, tc = int(tile_r[pick][0]) * PROFILE_TILE, int(tile_c[pick][0]) * PROFILE_TILE
            cells = (
                max(tr - 1, 0), min(tr + PROFILE_TILE + 1, rows),
                max(tc - 1, 0), min(tc + PROFILE_TILE + 1, cols),
            )  # fmt: skip
            z[pick] = sample_elevation(dem.grid(cells), x[pick], y[pick])
        return z

    return profile(None, line, step=step, sample=sample, cell_size=min(dem.resolution))


def _crosses(dem: Placed, line: np.ndarray) -> bool:
    from shapely.geometry import LineString, box

    return LineString(line).intersects(box(*dem.bounds))


def _write_profile_csv(path: Path, prof: Profile) -> None:
    """distance_m, x, y, z, grade_pct (from the previous sample), vertex (index or empty)."""
    vertex = {int(i): n for n, i in enumerate(prof.vertex_index)}
    grades = np.concatenate([[np.nan], prof.sample_grade_pct])

    def cell(v: float, digits: int) -> str:
        return "" if not math.isfinite(v) else f"{v:.{digits}f}"

    folder = path.parent if str(path.parent) else Path(".")
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".csv", dir=folder)
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["distance_m", "x", "y", "z", "grade_pct", "vertex"])
            for i in range(len(prof.distance)):
                writer.writerow(
                    [
                        cell(prof.distance[i], 3),
                        cell(prof.x[i], 3),
                        cell(prof.y[i], 3),
                        cell(prof.z[i], 3),
                        cell(grades[i], 4),
                        vertex.get(i, ""),
                    ]
                )
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def run_cutfill(args: argparse.Namespace) -> int:
    """``analyze cutfill``; returns the exit code (0)."""
    from twinscape.geo.earthworks import cut_fill_polygon

    if not math.isfinite(args.elevation):
        raise AnalyzeError(f"--elevation must be a finite number, got {args.elevation}")
    large = open_large_dem(args.dem)
    try:
        dem: RasterGrid | FullResDem = read_dem(args.dem) if large is None else large
        polygon = read_polygons(args.polygon, dem.crs)
        try:
            if isinstance(dem, RasterGrid):
                grid = dem
            else:
                grid = _pad_window(dem, polygon.bounds, args.polygon)
            result = cut_fill_polygon(grid, polygon, args.elevation)
        except ValueError as err:
            raise AnalyzeError(f"{quote_path(args.polygon)}: {err}") from None
    finally:
        if large is not None:
            large.close()
    print(
        json.dumps(
            {
                "cut_m3": round(result.cut_m3, 3),
                "fill_m3": round(result.fill_m3, 3),
                "net_m3": round(result.net_m3, 3),
                "area_m2": round(result.area_m2, 3),
                "elevation": args.elevation,
                "crs": dem.crs,
            }
        )
    )
    return 0


def _pad_window(
    dem: FullResDem, bounds: tuple[float, float, float, float], polygon: Path
) -> RasterGrid:
    """The DEM's cells under ``bounds`` with a two-cell margin, at full resolution.

    The margin holds every cell the bilinear surface under the polygon needs, so the
    volumes are those of the whole DEM. ValueError (as cut_fill_polygon's) when the
    bounds miss the DEM; AnalyzeError when the window is too large to hold.
    """
    cells = dem.cells_of(bounds, margin=2)
    if cells is None:
        raise ValueError("the footprint does not overlap the grid")
    r0, r1, c0, c1 = cells
    if (r1 - r0) * (c1 - c0) > MAX_PAD_CELLS:
        raise AnalyzeError(
            f"{quote_path(polygon)}: the pad spans {c1 - c0} x {r1 - r0} cells of the DEM, "
            f"more than {MAX_PAD_CELLS} to hold in memory; split it into smaller pads"
        )
    return dem.grid(cells)


def run_viewshed(args: argparse.Namespace) -> int:
    """``analyze viewshed``; returns the exit code (0)."""
    from twinscape.geo.sampling import sample_elevation
    from twinscape.io.analysis_rasters import write_geotiff

    check_out_file(args.out)
    x, y = _observer(args.observer)
    if not (math.isfinite(args.radius) and args.radius > 0):
        raise AnalyzeError(f"--radius must be positive, got {args.radius:g}")
    for option, value in (("--height", args.height), ("--target-height", args.target_height)):
        if not (math.isfinite(value) and value >= 0):
            raise AnalyzeError(f"{option} must be zero or positive, got {value:g}")
    if not (math.isfinite(args.refraction) and 0.0 <= args.refraction < 1.0):
        raise AnalyzeError(f"--refraction must be within 0..1, got {args.refraction:g}")
    dem = _paged_dem(args.dem)
    whole: RasterGrid | DemSource = read_dem(args.dem) if dem is None else dem
    ((x, y),) = to_dem_crs(np.array([[x, y]]), args.crs, whole, "--observer")
    if not inside(whole, x, y):
        xmin, ymin, xmax, ymax = whole.bounds
        raise AnalyzeError(
            f"--observer {x:.1f},{y:.1f} ({whole.crs}) is outside the DEM "
            f"{quote_path(args.dem)} ({xmin:.0f}..{xmax:.0f}, {ymin:.0f}..{ymax:.0f})"
        )
    grid = whole if dem is None else _reach(dem, x, y, args.radius)
    if not math.isfinite(sample_elevation(grid, x, y)):
        raise AnalyzeError(f"--observer {x:.1f},{y:.1f} is over nodata in {quote_path(args.dem)}")
    from twinscape.geo.viewshed import viewshed

    visible = viewshed(
        grid,
        (x, y),
        observer_height=args.height,
        target_height=args.target_height,
        radius=args.radius,
        curvature=not args.no_curvature,
        refraction=args.refraction,
    )
    write_geotiff(args.out, grid, np.asarray(visible, dtype=np.uint8), nodata=None)
    xres, yres = grid.resolution
    cells = int(np.count_nonzero(np.asarray(visible) == 255))
    print(
        json.dumps(
            {
                "out": str(args.out),
                "visible_km2": round(cells * xres * yres / 1e6, 4),
                "visible_cells": cells,
                "observer": [round(x, 3), round(y, 3)],
                "crs": grid.crs,
            }
        )
    )
    return 0


def _paged_dem(path: Path) -> DemSource | None:
    """A DEM over the in-memory limit opened for reads on demand in its own CRS, else None."""
    from twinscape.cli_analyze_common import is_large
    from twinscape.io.analysis_rasters import open_dem_native

    return open_dem_native(path) if is_large(path) else None


def _reach(dem: DemSource, x: float, y: float, radius: float) -> RasterGrid:
    """The DEM's cells within ``radius`` of (x, y), at full resolution where they fit."""
    from twinscape.render.analysis_ground import dem_window, reach_bounds

    return dem_window(dem, reach_bounds([(x, y, 0.0)], radius)).grid()


def _observer(text: str) -> tuple[float, float]:
    values = numbers(text, "--observer", "X,Y")
    if len(values) != 2:
        raise AnalyzeError(f"--observer must look like X,Y, got {text!r}")
    return values[0], values[1]
