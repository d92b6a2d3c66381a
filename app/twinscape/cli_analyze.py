"""``twinscape analyze``: terrain analyses from the command line, written to standard files.

Every analysis runs on the DEM's own cells and CRS (no resampling), so rasters it
writes line up with the DEM and with GDAL's tools:

- ``slope|aspect DEM --out FILE``: float32 GeoTIFF in degrees, nodata -9999 (gdaldem's
  Horn method and edge rules);
- ``profile DEM --line X1,Y1,X2,Y2[,...] [--crs EPSG:N] --out FILE.csv``;
- ``cutfill DEM --polygon FILE --elevation Z``: prints JSON with cut and fill in m3;
- ``solar DEM --out mask.tif``: suitable cells 1, others 0 (uint8), JSON summary;
- ``viewshed DEM --observer X,Y --crs EPSG:N --height H --radius R --out FILE``: 255
  visible, 0 invisible (uint8), like ``gdal_viewshed``.

Bad arguments raise :class:`AnalyzeError` (a one-line :class:`~twinscape.cli_args.CliError`).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from twinscape.cli_args import CliError, check_out
from twinscape.model.errors import ReaderError, quote_path
from twinscape.model.raster import RasterGrid

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

    from twinscape.geo.profile import Profile
    from twinscape.io.dem_source import DemSource

SLOPE_NODATA = -9999.0


class AnalyzeError(CliError):
    """A bad argument of ``twinscape analyze``."""


def add_analyze_parser(commands: argparse._SubParsersAction) -> None:
    """Add the ``analyze`` sub-command and its analyses to ``commands``."""
    analyze = commands.add_parser("analyze", help="terrain analyses written to standard files")
    analyses = analyze.add_subparsers(dest="analysis", metavar="ANALYSIS", required=True)

    for name, what in (("slope", "slope in degrees"), ("aspect", "aspect in degrees from north")):
        cmd = analyses.add_parser(name, help=f"{what} (GeoTIFF, like gdaldem {name})")
        _dem(cmd)
        _out(cmd, "GeoTIFF to write (float32, nodata -9999)")
        cmd.add_argument(
            "--z-factor", type=float, default=1.0, help="multiply elevations by this (default 1)"
        )
        cmd.add_argument(
            "--compute-edges",
            action="store_true",
            help="also compute the outer cells (gdaldem -compute_edges)",
        )
        if name == "aspect":
            cmd.add_argument(
                "--zero-for-flat",
                action="store_true",
                help="0 instead of nodata where the ground is flat",
            )

    prof = analyses.add_parser("profile", help="elevation profile along a line (CSV)")
    _dem(prof)
    prof.add_argument(
        "--line", required=True, metavar="X1,Y1,X2,Y2[,...]", help="vertices of the line"
    )
    _crs(prof, "CRS of --line (default: the DEM's)")
    prof.add_argument(
        "--step", type=float, default=None, help="sample spacing in metres (default: the cell size)"
    )
    _out(prof, "CSV file to write")

    cutfill = analyses.add_parser("cutfill", help="cut and fill to level a pad (JSON)")
    _dem(cutfill)
    cutfill.add_argument(
        "--polygon",
        type=Path,
        required=True,
        help="vector file with the pad's polygon(s) (GeoPackage, GeoJSON...)",
    )
    cutfill.add_argument("--elevation", type=float, required=True, help="pad elevation (m)")

    solar = analyses.add_parser("solar", help="solar siting suitability mask (GeoTIFF)")
    _dem(solar)
    _out(solar, "GeoTIFF mask to write (uint8: 1 suitable, 0 not)")
    solar.add_argument(
        "--max-slope", type=float, default=10.0, help="steepest slope in degrees (default 10)"
    )
    solar.add_argument(
        "--aspect-tolerance",
        type=float,
        default=90.0,
        help="degrees an aspect may differ from due south/north (default 90)",
    )
    solar.add_argument(
        "--min-irradiance",
        type=float,
        default=None,
        help="least annual clear-sky irradiation, kWh/m2",
    )
    solar.add_argument("--year", type=int, default=2025, help="year of the sun's path")
    solar.add_argument(
        "--exclude",
        type=Path,
        action="append",
        default=[],
        help="vector file of areas to exclude (repeatable)",
    )
    solar.add_argument(
        "--irradiance-out",
        type=Path,
        default=None,
        help="also write the annual irradiation (float32 GeoTIFF, kWh/m2)",
    )

    view = analyses.add_parser(
        "viewshed",
        help="visible area from an observer (GeoTIFF)",
        description="Visible area from an observer, written as a GeoTIFF (255 visible, 0 not). "
        "A DEM too large to hold in memory is read only within --radius of the observer, at "
        "full resolution, and the GeoTIFF covers that reach.",
    )
    _dem(view)
    view.add_argument("--observer", required=True, metavar="X,Y", help="observer position")
    _crs(view, "CRS of --observer (default: the DEM's)")
    view.add_argument(
        "--height", type=float, required=True, help="observer height above the ground (m)"
    )
    view.add_argument(
        "--target-height",
        type=float,
        default=0.0,
        help="target height above the ground (m, default 0)",
    )
    view.add_argument("--radius", type=float, required=True, help="maximum distance (m)")
    view.add_argument("--no-curvature", action="store_true", help="ignore the earth's curvature")
    view.add_argument(
        "--refraction", type=float, default=0.13, help="refraction coefficient (default 0.13)"
    )
    _out(view, "GeoTIFF to write (uint8: 255 visible, 0 not)")


def run_analyze(args: argparse.Namespace) -> int:
    """Run the analysis ``args.analysis``; returns the exit code (0)."""
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "slope": _slope_aspect,
        "aspect": _slope_aspect,
        "profile": _profile,
        "cutfill": _cutfill,
        "solar": _solar,
        "viewshed": _viewshed,
    }
    return handlers[args.analysis](args)


def _dem(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("dem", type=Path, metavar="DEM", help="elevation raster in a metric CRS")


def _out(cmd: argparse.ArgumentParser, text: str) -> None:
    cmd.add_argument("--out", "-o", type=Path, required=True, help=text)


def _crs(cmd: argparse.ArgumentParser, text: str) -> None:
    cmd.add_argument("--crs", default=None, metavar="EPSG:N", help=text)


def _read(path: Path) -> RasterGrid:
    from twinscape.io.analysis_rasters import read_dem_native

    return read_dem_native(path)


def _check_out(out: Path) -> None:
    """Fail before any work when ``--out`` cannot be written (its folder must exist)."""
    check_out(out, make_folders=False, error=AnalyzeError)


def _slope_aspect(args: argparse.Namespace) -> int:
    from twinscape.geo.slope import slope_aspect
    from twinscape.io.analysis_rasters import write_geotiff

    _check_out(args.out)
    if not (math.isfinite(args.z_factor) and args.z_factor > 0):
        raise AnalyzeError(f"--z-factor must be positive, got {args.z_factor:g}")
    grid = _read(args.dem)
    flat = 0.0 if getattr(args, "zero_for_flat", False) else math.nan
    slope, aspect = slope_aspect(
        grid.values,
        grid.resolution,
        z_factor=args.z_factor,
        compute_edges=args.compute_edges,
        flat=flat,
    )
    result = slope if args.analysis == "slope" else aspect
    write_geotiff(args.out, grid, result, nodata=SLOPE_NODATA)
    rows, cols = grid.shape
    print(f"wrote {quote_path(args.out)} ({args.analysis}, {cols} x {rows} cells, {grid.crs})")
    return 0


def _numbers(text: str, option: str, form: str) -> list[float]:
    """Comma-separated finite numbers, or :class:`AnalyzeError` naming ``option``."""
    try:
        values = [float(part) for part in text.replace(" ", "").split(",")]
    except ValueError:
        raise AnalyzeError(f"{option} must look like {form}, got {text!r}") from None
    if not all(math.isfinite(v) for v in values):
        raise AnalyzeError(f"{option} must hold finite numbers, got {text!r}")
    return values


def _to_dem_crs(
    points: np.ndarray, crs: str | None, grid: RasterGrid | DemSource, option: str
) -> np.ndarray:
    """Points given in ``crs`` (None: the DEM's) as x, y in the CRS of ``grid`` (or source)."""
    if crs is None:
        return points
    from pyproj import Transformer
    from pyproj.exceptions import CRSError as ProjCRSError

    try:
        transformer = Transformer.from_crs(crs, grid.crs, always_xy=True)
    except ProjCRSError:
        raise AnalyzeError(f"--crs {crs!r} is not a CRS pyproj knows (e.g. EPSG:32636)") from None
    x, y = transformer.transform(points[:, 0], points[:, 1])
    out = np.column_stack([x, y]).astype(np.float64)
    if not np.isfinite(out).all():
        raise AnalyzeError(f"{option} cannot be converted from {crs} to the DEM's {grid.crs}")
    return out


def _inside(grid: RasterGrid, x: float, y: float) -> bool:
    xmin, ymin, xmax, ymax = grid.bounds
    return xmin <= x <= xmax and ymin <= y <= ymax


def _profile(args: argparse.Namespace) -> int:
    from twinscape.geo.profile import profile

    _check_out(args.out)
    values = _numbers(args.line, "--line", "X1,Y1,X2,Y2[,...]")
    if len(values) < 4 or len(values) % 2:
        raise AnalyzeError(f"--line needs at least two X,Y pairs, got {args.line!r}")
    if args.step is not None and not (math.isfinite(args.step) and args.step > 0):
        raise AnalyzeError(f"--step must be positive, got {args.step:g}")
    grid = _read(args.dem)
    line = _to_dem_crs(
        np.asarray(values, dtype=np.float64).reshape(-1, 2), args.crs, grid, "--line"
    )
    if not any(_inside(grid, x, y) for x, y in line) and not _crosses(grid, line):
        raise AnalyzeError(f"--line lies outside the DEM {quote_path(args.dem)}")
    try:
        prof = profile(grid, line, step=args.step)
    except ValueError as err:
        raise AnalyzeError(f"--line: {err}") from None
    _write_profile_csv(args.out, prof)
    print(
        f"wrote {quote_path(args.out)} ({len(prof.distance)} samples, length "
        f"{prof.length:.1f} m, max grade {prof.max_grade_pct:.2f} %)"
    )
    return 0


def _crosses(grid: RasterGrid, line: np.ndarray) -> bool:
    from shapely.geometry import LineString, box

    return LineString(line).intersects(box(*grid.bounds))


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


def read_polygons(path: Path, crs: str) -> BaseGeometry:
    """All polygons of a vector file, unioned, in ``crs`` (reprojected from the file's CRS).

    Raises :class:`ReaderError` when the file cannot be read, states no CRS, holds
    no features or holds other geometries than polygons.
    """
    import geopandas as gpd
    import shapely

    if not path.is_file():
        raise ReaderError(path, "no such file")
    try:
        frame = gpd.read_file(path)
    except Exception as err:  # pyogrio raises its own DataSourceError and friends
        raise ReaderError(path, f"cannot be read as a vector file: {err}") from err
    if frame.crs is None:
        raise ReaderError(path, "states no CRS", hint=f"save it with one, e.g. {crs}")
    geoms = frame.geometry[~frame.geometry.isna() & ~frame.geometry.is_empty]
    if geoms.empty:
        raise ReaderError(path, "holds no geometry")
    kinds = set(geoms.geom_type)
    if not kinds <= {"Polygon", "MultiPolygon"}:
        raise ReaderError(path, f"holds {', '.join(sorted(kinds))}; a polygon is needed")
    source = frame.crs.to_string()
    geoms = geoms.to_crs(crs)
    if not np.isfinite(geoms.total_bounds).all():
        raise ReaderError(
            path,
            f"its coordinates do not fit its CRS {source}",
            hint="GeoJSON is always longitude/latitude; save projected data as GeoPackage",
        )
    union = shapely.union_all(shapely.make_valid(geoms.to_numpy()))
    if union.geom_type == "GeometryCollection":
        union = shapely.union_all([g for g in union.geoms if g.geom_type.endswith("Polygon")])
    return union


def _cutfill(args: argparse.Namespace) -> int:
    from twinscape.geo.earthworks import cut_fill_polygon

    if not math.isfinite(args.elevation):
        raise AnalyzeError(f"--elevation must be a finite number, got {args.elevation}")
    grid = _read(args.dem)
    polygon = read_polygons(args.polygon, grid.crs)
    try:
        result = cut_fill_polygon(grid, polygon, args.elevation)
    except ValueError as err:
        raise AnalyzeError(f"{quote_path(args.polygon)}: {err}") from None
    print(
        json.dumps(
            {
                "cut_m3": round(result.cut_m3, 3),
                "fill_m3": round(result.fill_m3, 3),
                "net_m3": round(result.net_m3, 3),
                "area_m2": round(result.area_m2, 3),
                "elevation": args.elevation,
                "crs": grid.crs,
            }
        )
    )
    return 0


def _solar(args: argparse.Namespace) -> int:
    from twinscape.geo.solar import solar_suitability
    from twinscape.io.analysis_rasters import write_geotiff

    _check_out(args.out)
    if args.irradiance_out is not None:
        _check_out(args.irradiance_out)
    if not 0.0 <= args.max_slope <= 90.0:
        raise AnalyzeError(f"--max-slope must be within 0..90 degrees, got {args.max_slope:g}")
    if not args.aspect_tolerance >= 0.0:
        raise AnalyzeError(f"--aspect-tolerance must be >= 0, got {args.aspect_tolerance:g}")
    if not 1900 <= args.year <= 2200:
        raise AnalyzeError(f"--year must be within 1900..2200, got {args.year}")
    grid = _read(args.dem)
    exclusions = [read_polygons(path, grid.crs) for path in args.exclude]
    result = solar_suitability(
        grid,
        max_slope_deg=args.max_slope,
        aspect_tolerance_deg=args.aspect_tolerance,
        min_irradiance=args.min_irradiance,
        year=args.year,
        exclusions=exclusions,
    )
    write_geotiff(args.out, grid, result.mask.astype(np.uint8), nodata=None)
    if args.irradiance_out is not None:
        write_geotiff(args.irradiance_out, grid, result.irradiance, nodata=SLOPE_NODATA)
    suitable = result.irradiance[result.mask]
    print(
        json.dumps(
            {
                "out": str(args.out),
                "area_km2": round(result.area_km2, 4),
                "cells": int(result.mask.sum()),
                "mean_irradiance_kwh_m2": round(float(suitable.mean()), 1)
                if suitable.size
                else None,
                "latitude": round(result.latitude, 5),
                "longitude": round(result.longitude, 5),
            }
        )
    )
    return 0


def _viewshed(args: argparse.Namespace) -> int:
    from twinscape.geo.sampling import sample_elevation
    from twinscape.io.analysis_rasters import write_geotiff

    _check_out(args.out)
    x, y = _observer(args.observer)
    if not (math.isfinite(args.radius) and args.radius > 0):
        raise AnalyzeError(f"--radius must be positive, got {args.radius:g}")
    for option, value in (("--height", args.height), ("--target-height", args.target_height)):
        if not (math.isfinite(value) and value >= 0):
            raise AnalyzeError(f"{option} must be zero or positive, got {value:g}")
    if not (math.isfinite(args.refraction) and 0.0 <= args.refraction < 1.0):
        raise AnalyzeError(f"--refraction must be within 0..1, got {args.refraction:g}")
    dem = _large_dem(args.dem)
    whole: RasterGrid | DemSource = _read(args.dem) if dem is None else dem
    ((x, y),) = _to_dem_crs(np.array([[x, y]]), args.crs, whole, "--observer")
    if not _inside(whole, x, y):
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


def _large_dem(path: Path) -> DemSource | None:
    """A DEM over the in-memory limit opened for reads on demand in its own CRS, else None."""
    from twinscape.io.analysis_rasters import open_dem_native
    from twinscape.io.dem_source import pageable_cells
    from twinscape.io.kinds.terrain import MAX_TERRAIN_CELLS

    return open_dem_native(path) if pageable_cells(path) > MAX_TERRAIN_CELLS else None


def _reach(dem: DemSource, x: float, y: float, radius: float) -> RasterGrid:
    """The DEM's cells within ``radius`` of (x, y), at full resolution where they fit."""
    from twinscape.render.analysis_ground import dem_window, reach_bounds

    return dem_window(dem, reach_bounds([(x, y, 0.0)], radius)).grid()


def _observer(text: str) -> tuple[float, float]:
    values = _numbers(text, "--observer", "X,Y")
    if len(values) != 2:
        raise AnalyzeError(f"--observer must look like X,Y, got {text!r}")
    return values[0], values[1]
