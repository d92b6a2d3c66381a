"""Read a DEM raster (anything GDAL reads) into a north-up float32 grid in a metric CRS.

The file is read in strips of rows so a caller can show progress and cancel.
A file already in the target CRS is read as it is; any other is reprojected
by GDAL's warper (bilinear, nodata excluded from the kernel so it never bleeds
into valid cells). Nodata, masked and non-finite cells become NaN. Heights stated in
feet (band unit or vertical CRS) become metres, and the grid records whether they are
ellipsoidal or above the geoid (io/vertical.py).

The parts: opening checks in :mod:`twinscape.io.dem_checks`, the output grid and CRS in
:mod:`twinscape.io.dem_grid`, the strip-by-strip read in :mod:`twinscape.io.dem_strips`.
"""

from __future__ import annotations

import os
import warnings
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from rasterio.errors import NotGeoreferencedWarning

from twinscape.io.dem_checks import _check_band_type, _check_georeferencing, _gdal_errors
from twinscape.io.dem_grid import _plan
from twinscape.io.dem_strips import _decimated, _Outliers, _read
from twinscape.io.file_checks import check_regular_file
from twinscape.io.progress import Cancelled, Progress, ProgressReporter
from twinscape.io.vertical import vertical_units
from twinscape.model.errors import ReaderError
from twinscape.model.raster import MAX_ABS_ELEVATION, RasterGrid

_READ_PROBLEM = "reading failed; the file may be truncated or corrupt"
_RASTER_HINT = "add a DEM raster (GeoTIFF, VRT, SRTM .hgt, ESRI ASCII .asc)"
#: Above this many source cells a ``max_cells`` read takes a decimated copy first (GDAL's
#: overviews when the file has them, else nearest samples) instead of averaging every cell.
_FULL_READ_CELLS = 1 << 28
#: The most cells a result may hold (1 GiB of float32); a larger one needs ``max_cells``.
_MAX_RESULT_CELLS = 1 << 28
_DECIMATE_CACHE_MB = 64


@dataclass(frozen=True)
class DemResult:
    """A DEM read into memory.

    Parameters
    ----------
    grid
        Elevations in ``target_crs``, float32, north-up, NaN = nodata.
    source_crs
        The file's CRS (or the assumed one), normalised.
    target_crs
        The CRS of ``grid``, normalised.
    source_shape
        (rows, cols) of the file, before any reprojection or ``max_cells`` reduction.
    warnings
        One-line notes on what was read differently (cells that no elevation can be,
        a decimated copy), each naming the file.
    """

    grid: RasterGrid
    source_crs: str
    target_crs: str
    source_shape: tuple[int, int] = (0, 0)
    warnings: tuple[str, ...] = ()


def read_dem(
    path: str | os.PathLike[str],
    *,
    target_crs: str | None = None,
    assume_crs: str | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    max_cells: int | None = None,
) -> DemResult:
    """Read band 1 of a DEM raster into a :class:`RasterGrid` in a metric CRS.

    Parameters
    ----------
    path
        Any raster GDAL reads: GeoTIFF/COG, VRT, SRTM ``.hgt``, ESRI ASCII ``.asc``...
    target_crs
        Projected, metric CRS of the result; ``None`` picks the UTM zone of the
        data's centre.
    assume_crs
        CRS of a file that has none (ignored when the file has one).
    progress
        Called with a non-decreasing fraction 0..1 while reading; ends with 1.0.
    cancelled
        Polled between strips; returning True raises :class:`LoadCancelled`.
    max_cells
        Upper bound on rows x cols of the result; a larger DEM is read at a
        coarser resolution (averaging), on the same footprint.

    Raises
    ------
    ReaderError
        Missing, non-regular (folder, pipe, device), empty, unreadable, truncated,
        non-georeferenced or all-nodata file.
    CRSError
        The file has no usable CRS, or ``target_crs`` is not projected in metres.
    LoadCancelled
        ``cancelled()`` returned True.
    """
    path = Path(path)
    if max_cells is not None and max_cells < 1:
        raise ValueError(f"max_cells must be at least 1, got {max_cells}")
    check_regular_file(path, hint=_RASTER_HINT)
    reporter = ProgressReporter(path, progress, cancelled)
    reporter.check()
    reporter.report(0.0)
    outliers = _Outliers()
    with ExitStack() as stack:
        # We say ourselves when a raster has no geotransform (a one-line error).
        stack.enter_context(warnings.catch_warnings())
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with _gdal_errors(path, "GDAL cannot read it as a raster", _RASTER_HINT):
            src = stack.enter_context(rasterio.open(path))
        _check_georeferencing(src, path)
        _check_band_type(src, path)
        vertical = vertical_units(path, src.crs or assume_crs, src.units[0])
        source_shape = (src.height, src.width)
        decimate = max_cells is not None and src.height * src.width > _FULL_READ_CELLS
        if decimate:
            assert max_cells is not None
            # a small block cache: the samples are spread over blocks that are never reused
            stack.enter_context(rasterio.Env(GDAL_CACHEMAX=_DECIMATE_CACHE_MB))
            with _gdal_errors(path, _READ_PROBLEM, "export or download it again"):
                src = stack.enter_context(_decimated(src, path, max_cells, reporter, outliers))
        plan = _plan(src, path, target_crs, assume_crs, max_cells)
        if plan.height * plan.width > _MAX_RESULT_CELLS:
            raise ReaderError(
                path,
                f"{plan.height} x {plan.width} cells is too many to hold in memory",
                hint="cut it with gdal_translate -srcwin, or read it with max_cells",
            )
        part = ProgressReporter(path, reporter.span(0.5 if decimate else 0.0, 1.0), cancelled)
        with _gdal_errors(path, _READ_PROBLEM, "export or download it again"):
            values = _read(src, plan, part, outliers)
        vertical.apply(values)  # feet (band unit or vertical CRS) to metres
    if not np.isfinite(values).any():
        if outliers.count:
            raise ReaderError(
                path,
                f"no cell holds an elevation: every cell is nodata or beyond "
                f"\u00b1{MAX_ABS_ELEVATION:g} m (e.g. {outliers.largest:.3g})",
                hint="check its nodata value and units (gdalinfo -stats)",
            )
        raise ReaderError(path, "every cell is nodata", hint="check its nodata value (gdalinfo)")
    reporter.report(1.0)
    notes = [*vertical.notes, *outliers.notes]
    if outliers.count:
        notes.append(
            f"{path}: {outliers.count} cell(s) beyond \u00b1{MAX_ABS_ELEVATION:g} m "
            f"(largest {outliers.largest:.3g}) are not elevations; drawn as nodata"
        )
    grid = RasterGrid(
        values=values,
        transform=tuple(plan.transform)[:6],
        crs=plan.target_crs,
        heights=vertical.heights,
    )
    grid.value_range()  # computed once here, off the GUI thread, and kept on the grid
    return DemResult(
        grid=grid,
        source_crs=plan.source_crs,
        target_crs=plan.target_crs,
        source_shape=source_shape,
        warnings=tuple(notes),
    )
