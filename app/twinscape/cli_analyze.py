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

A DEM over the in-memory limit is analysed from its file at full resolution, reading
only what each analysis needs (:mod:`~twinscape.cli_analyze_grids` for the rasters over
the whole DEM, :mod:`~twinscape.cli_analyze_sites` for a line, a pad or an observer).
Bad arguments raise :class:`AnalyzeError` (a one-line :class:`~twinscape.cli_args.CliError`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from twinscape.cli_analyze_common import AnalyzeError
from twinscape.cli_analyze_grids import run_slope_aspect, run_solar
from twinscape.cli_analyze_sites import run_cutfill, run_profile, run_viewshed

__all__ = ["AnalyzeError", "add_analyze_parser", "run_analyze"]


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
        "slope": run_slope_aspect,
        "aspect": run_slope_aspect,
        "profile": run_profile,
        "cutfill": run_cutfill,
        "solar": run_solar,
        "viewshed": run_viewshed,
    }
    return handlers[args.analysis](args)


def _dem(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("dem", type=Path, metavar="DEM", help="elevation raster in a metric CRS")


def _out(cmd: argparse.ArgumentParser, text: str) -> None:
    cmd.add_argument("--out", "-o", type=Path, required=True, help=text)


def _crs(cmd: argparse.ArgumentParser, text: str) -> None:
    cmd.add_argument("--crs", default=None, metavar="EPSG:N", help=text)
