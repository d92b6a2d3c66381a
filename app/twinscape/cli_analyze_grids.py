"""``twinscape analyze slope|aspect|solar``: rasters over the whole DEM.

A DEM within the in-memory limit is read whole. A larger one is processed block by
block at full resolution and its result written block by block, so memory stays bounded
whatever the file's size: each block is read with a halo (one cell for slope and aspect,
the horizon's reach for solar) so the cells of a block get exactly the values they get
from the whole DEM, and only the block's own cells are written.
"""

from __future__ import annotations

import argparse
import json
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from twinscape.cli_analyze_common import (
    SLOPE_NODATA,
    AnalyzeError,
    check_out_file,
    open_large_dem,
    read_dem,
    read_polygons,
)
from twinscape.model.errors import quote_path
from twinscape.model.raster import RasterGrid

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

    from twinscape.io.dem_full import Cells, FullResDem

#: Side of the blocks a DEM over the in-memory limit is processed in (a multiple of the
#: output's 256-cell tiles); a slope block reads (BLOCK + 2)^2 cells.
BLOCK = 1024
#: How far solar suitability looks for the horizon, metres (solar_suitability's default).
SOLAR_HORIZON_M = 20_000.0
#: Most cells one solar block may hold with its horizon around it (the analysis pads the
#: window by its reach again): about 400 MB a float32 array, the in-memory path's scale.
MAX_SOLAR_WINDOW_CELLS = 100_000_000


def run_slope_aspect(args: argparse.Namespace) -> int:
    """``analyze slope`` and ``analyze aspect``; returns the exit code (0)."""
    from twinscape.geo.slope import slope_aspect
    from twinscape.io.analysis_rasters import write_geotiff

    check_out_file(args.out)
    if not (math.isfinite(args.z_factor) and args.z_factor > 0):
        raise AnalyzeError(f"--z-factor must be positive, got {args.z_factor:g}")
    options: dict[str, Any] = {
        "z_factor": args.z_factor,
        "compute_edges": args.compute_edges,
        "flat": 0.0 if getattr(args, "zero_for_flat", False) else math.nan,
    }
    which = 0 if args.analysis == "slope" else 1
    dem = open_large_dem(args.dem)
    if dem is None:
        grid = read_dem(args.dem)
        result = slope_aspect(grid.values, grid.resolution, **options)[which]
        write_geotiff(args.out, grid, result, nodata=SLOPE_NODATA)
        crs, (rows, cols) = grid.crs, grid.shape
    else:
        try:
            _slope_aspect_blocks(args, dem, options, which)
        finally:
            dem.close()
        crs, (rows, cols) = dem.crs, dem.shape
    print(f"wrote {quote_path(args.out)} ({args.analysis}, {cols} x {rows} cells, {crs})")
    return 0


def _slope_aspect_blocks(
    args: argparse.Namespace, dem: FullResDem, options: dict[str, Any], which: int
) -> None:
    """Slope or aspect of a DEM read and written block by block, with a one-cell halo."""
    from twinscape.geo.slope import slope_aspect
    from twinscape.io.analysis_rasters import geotiff_writer
    from twinscape.io.dem_full import blocks

    with geotiff_writer(args.out, dem, np.float32, nodata=SLOPE_NODATA) as out:
        for cells in blocks(dem.shape, BLOCK):
            halo = _grow(cells, 1, dem.shape)
            result = slope_aspect(dem.read(halo), dem.resolution, **options)[which]
            out.write(_inner(result, cells, halo), cells[0], cells[2])


def _grow(cells: Cells, margin: int, shape: tuple[int, int]) -> Cells:
    """``cells`` with ``margin`` more on every side, clipped to ``shape``."""
    r0, r1, c0, c1 = cells
    rows, cols = shape
    return max(r0 - margin, 0), min(r1 + margin, rows), max(c0 - margin, 0), min(c1 + margin, cols)


def _inner(values: np.ndarray, cells: Cells, halo: Cells) -> np.ndarray:
    """The part of ``values`` (read over ``halo``) that covers ``cells``."""
    r0, r1, c0, c1 = cells
    return values[r0 - halo[0] : r1 - halo[0], c0 - halo[2] : c1 - halo[2]]


def run_solar(args: argparse.Namespace) -> int:
    """``analyze solar``; returns the exit code (0)."""
    check_out_file(args.out)
    if args.irradiance_out is not None:
        check_out_file(args.irradiance_out)
    if not 0.0 <= args.max_slope <= 90.0:
        raise AnalyzeError(f"--max-slope must be within 0..90 degrees, got {args.max_slope:g}")
    if not args.aspect_tolerance >= 0.0:
        raise AnalyzeError(f"--aspect-tolerance must be >= 0, got {args.aspect_tolerance:g}")
    if not 1900 <= args.year <= 2200:
        raise AnalyzeError(f"--year must be within 1900..2200, got {args.year}")
    dem = open_large_dem(args.dem)
    if dem is None:
        summary = _solar_whole(args)
    else:
        try:
            summary = _solar_blocks(args, dem)
        finally:
            dem.close()
    print(json.dumps({"out": str(args.out), **summary}))
    return 0


def _options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "max_slope_deg": args.max_slope,
        "aspect_tolerance_deg": args.aspect_tolerance,
        "min_irradiance": args.min_irradiance,
        "year": args.year,
        "horizon_m": SOLAR_HORIZON_M,
    }


def _summary(area_km2: float, cells: int, mean: float | None, lat: float, lon: float) -> dict:
    """The JSON summary: suitable area and cells, their mean irradiation, the sun's site."""
    return {
        "area_km2": round(area_km2, 4),
        "cells": cells,
        "mean_irradiance_kwh_m2": None if mean is None else round(mean, 1),
        "latitude": round(lat, 5),
        "longitude": round(lon, 5),
    }


def _solar_whole(args: argparse.Namespace) -> dict:
    """Solar suitability of a DEM held in memory; writes the files, returns the summary."""
    from twinscape.geo.solar import solar_suitability
    from twinscape.io.analysis_rasters import write_geotiff

    grid = read_dem(args.dem)
    exclusions = [read_polygons(path, grid.crs) for path in args.exclude]
    result = solar_suitability(grid, exclusions=exclusions, **_options(args))
    write_geotiff(args.out, grid, result.mask.astype(np.uint8), nodata=None)
    if args.irradiance_out is not None:
        write_geotiff(args.irradiance_out, grid, result.irradiance, nodata=SLOPE_NODATA)
    suitable = result.irradiance[result.mask]
    mean = float(suitable.mean()) if suitable.size else None
    cells = int(result.mask.sum())
    return _summary(result.area_km2, cells, mean, result.latitude, result.longitude)


def _solar_blocks(args: argparse.Namespace, dem: FullResDem) -> dict:
    """Solar suitability of a DEM over the in-memory limit, block by block.

    Each block is computed on a window reaching :data:`SOLAR_HORIZON_M` beyond it (the
    terrain that can shade it) at full resolution, with the whole DEM's sun path and
    clear-sky altitude: the window is handed to the analysis centred on the DEM's
    centre (its position enters only through the sun's path; exclusions are applied
    here, on the block's own cells).
    """
    from contextlib import ExitStack

    import shapely

    from twinscape.geo.crs import LonLatTransformer
    from twinscape.geo.solar import solar_suitability
    from twinscape.io.analysis_rasters import geotiff_writer
    from twinscape.io.dem_full import blocks

    exclusions = [read_polygons(path, dem.crs) for path in args.exclude]
    for polygon in exclusions:
        shapely.prepare(polygon)
    altitude = _mean_elevation(dem)
    xmin, ymin, xmax, ymax = dem.bounds
    cx, cy = 0.5 * (xmin + xmax), 0.5 * (ymin + ymax)
    xres, yres = dem.resolution
    reach = math.ceil(SOLAR_HORIZON_M / min(xres, yres)) + 1
    side = BLOCK
    if (side + 4 * reach) ** 2 > MAX_SOLAR_WINDOW_CELLS:
        coarsest = 4 * SOLAR_HORIZON_M / (math.sqrt(MAX_SOLAR_WINDOW_CELLS) - side - 4)
        raise AnalyzeError(
            f"{quote_path(args.dem)}: solar suitability looks {SOLAR_HORIZON_M / 1000:g} km "
            f"around every cell, {(side + 4 * reach) ** 2:,} cells a block at "
            f"{min(xres, yres):g} m cells, more than fits in memory; resample the DEM to "
            f"{math.ceil(coarsest):g} m cells or coarser first "
            f"(gdalwarp -tr {math.ceil(coarsest)} {math.ceil(coarsest)} -r average)"
        )
    cells_total, irradiance_total = 0, 0.0
    with ExitStack() as stack:
        mask_out = stack.enter_context(geotiff_writer(args.out, dem, np.uint8, nodata=None))
        sun_out = None
        if args.irradiance_out is not None:
            sun_out = stack.enter_context(
                geotiff_writer(args.irradiance_out, dem, np.float32, nodata=SLOPE_NODATA)
            )
        for cells in blocks(dem.shape, side):
            halo = _grow(cells, reach, dem.shape)
            values = dem.read(halo)
            r0, r1, c0, c1 = cells
            mask = np.zeros((r1 - r0, c1 - c0), dtype=bool)
            irradiance = np.full(mask.shape, np.nan, dtype=np.float32)
            if np.isfinite(_inner(values, cells, halo)).any():
                rows, cols = values.shape
                west, north = cx - 0.5 * cols * xres, cy + 0.5 * rows * yres
                window = RasterGrid(values, (xres, 0.0, west, 0.0, -yres, north), dem.crs)
                result = solar_suitability(window, altitude_m=altitude, **_options(args))
                mask = _inner(result.mask, cells, halo)
                irradiance = _inner(result.irradiance, cells, halo)
                for polygon in exclusions:
                    mask &= ~_centres_in(dem, cells, polygon)
            mask_out.write(mask.astype(np.uint8), r0, c0)
            if sun_out is not None:
                sun_out.write(irradiance, r0, c0)
            cells_total += int(mask.sum())
            irradiance_total += float(irradiance[mask].astype(np.float64).sum())
    lon, lat = LonLatTransformer(dem.crs).to_lonlat(cx, cy)
    area = cells_total * xres * yres / 1e6
    mean = irradiance_total / cells_total if cells_total else None
    return _summary(area, cells_total, mean, lat, lon)


def _centres_in(dem: FullResDem, cells: Cells, polygon: BaseGeometry) -> np.ndarray:
    """bool over ``cells``: True where the cell's centre lies inside ``polygon``."""
    import shapely

    r0, r1, c0, c1 = cells
    a, _, c, _, e, f = tuple(dem.transform)[:6]
    xs = c + a * (np.arange(c0, c1) + 0.5)
    ys = f + e * (np.arange(r0, r1) + 0.5)
    return shapely.contains_xy(polygon, *np.meshgrid(xs, ys))


def _mean_elevation(dem: FullResDem) -> float:
    """Mean of the DEM's valid cells, read block by block (ValueError when it has none)."""
    from twinscape.io.dem_full import blocks

    total, count = 0.0, 0
    for cells in blocks(dem.shape, BLOCK):
        values = dem.read(cells)
        valid = values[np.isfinite(values)]
        total += float(valid.astype(np.float64).sum())
        count += valid.size
    if count == 0:
        raise ValueError("the grid has no valid cells")
    return total / count
