"""Rasters for terrain analyses: a DEM on its own cells, and GeoTIFF results on the same grid.

Analyses (slope, viewshed, ...) must run on the DEM's own cells so that their output
lines up cell for cell with what GDAL's tools produce. :func:`read_dem_native` reads a
DEM without resampling (its CRS must be projected and metric), and
:func:`write_geotiff` writes a result array with the DEM's georeferencing, atomically.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.errors import RasterioError

from twinscape.geo.crs import crs_label, horizontal_crs, is_projected_metric, normalize_crs
from twinscape.io.dem import read_dem
from twinscape.io.dem_source import DemSource, open_dem_source
from twinscape.io.progress import Cancelled, Progress
from twinscape.model.errors import CRSError, TwinscapeError
from twinscape.model.raster import RasterGrid


class WriteError(TwinscapeError, OSError):
    """A result file could not be written: ``<path>: <problem>``."""

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        self.path = str(path)
        super().__init__(f"{self.path}: {problem}")

    def __str__(self) -> str:
        return self.args[0]


def open_dem_native(
    path: str | os.PathLike[str],
    *,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> DemSource:
    """A DEM too large to read whole, opened for reads on demand on its own cells and CRS.

    The checks and errors of :func:`read_dem_native`.
    """
    return open_dem_source(
        path, target_crs=_native_crs(Path(path)), progress=progress, cancelled=cancelled
    )


def read_dem_native(
    path: str | os.PathLike[str],
    *,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> RasterGrid:
    """Band 1 of a DEM on its own cells and CRS (float32, NaN = nodata).

    Raises
    ------
    ReaderError
        The file cannot be read as a georeferenced raster.
    CRSError
        It has no CRS, or one that is not projected in metres (analyses measure
        distances and slopes in metres on the file's own cells).
    """
    path = Path(path)
    target = _native_crs(path)
    return read_dem(path, target_crs=target, progress=progress, cancelled=cancelled).grid


def _native_crs(path: Path) -> str | None:
    """The file's own (horizontal, metric) CRS; None when it has none or is unreadable.

    Raises :class:`CRSError` for a CRS that is not projected in metres. A missing CRS or
    an unreadable file is left to the reader, which says what is wrong.
    """
    crs = None
    if path.is_file():
        try:
            with rasterio.open(path) as src:
                crs = src.crs
        except (RasterioError, OSError):
            crs = None
    if crs is None:
        return None
    flat = horizontal_crs(crs)
    if not is_projected_metric(flat):
        raise CRSError(
            path,
            f"is in {crs_label(flat)}, not a projected CRS in metres",
            hint="analyses run on the DEM's own cells; reproject it first, e.g. "
            "gdalwarp -t_srs EPSG:326zz -r bilinear in.tif out.tif",
        )
    return normalize_crs(flat)


def write_geotiff(
    path: str | os.PathLike[str],
    like: RasterGrid,
    array: np.ndarray,
    *,
    nodata: float | None = -9999.0,
) -> Path:
    """Write ``array`` as a one-band GeoTIFF on the grid of ``like``; returns the path.

    Float arrays have NaN replaced by ``nodata``; the file is written next to its
    destination and renamed into place, so a failed write leaves no partial file.

    Raises
    ------
    WriteError
        The folder is missing or not writable, or GDAL fails.
    ValueError
        ``array`` does not have ``like``'s shape.
    """
    path = Path(path)
    data = np.asarray(array)
    if data.shape != like.shape:
        raise ValueError(f"array of shape {data.shape} does not match the grid {like.shape}")
    if data.dtype == np.bool_:
        data = data.astype(np.uint8)
    if np.issubdtype(data.dtype, np.floating) and nodata is not None:
        data = np.where(np.isnan(data), np.asarray(nodata, dtype=data.dtype), data)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise WriteError(path, "its folder does not exist")
    profile = {
        "driver": "GTiff",
        "width": like.shape[1],
        "height": like.shape[0],
        "count": 1,
        "dtype": data.dtype,
        "crs": like.crs,
        "transform": Affine(*like.transform),
        "nodata": nodata,
        "compress": "deflate",
        "tiled": True,
    }
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tif", dir=folder)
    except OSError as err:
        raise WriteError(path, f"cannot write in its folder ({err.strerror})") from err
    os.close(handle)
    try:
        with rasterio.open(temp, "w", **profile) as dst:
            dst.write(data, 1)
        os.replace(temp, path)
    except (RasterioError, OSError) as err:
        Path(temp).unlink(missing_ok=True)
        raise WriteError(path, f"writing failed: {err}") from err
    return path
