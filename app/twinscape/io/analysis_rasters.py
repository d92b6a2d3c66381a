"""Rasters for terrain analyses: a DEM on its own cells, and GeoTIFF results on the same grid.

Analyses (slope, viewshed, ...) must run on the DEM's own cells so that their output
lines up cell for cell with what GDAL's tools produce. :func:`read_dem_native` reads a
DEM without resampling (its CRS must be projected and metric), and
:func:`write_geotiff` writes a result array with the DEM's georeferencing, atomically;
:func:`geotiff_writer` writes one window at a time, for results larger than memory.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import rasterio
from affine import Affine
from numpy.typing import DTypeLike
from rasterio.errors import RasterioError
from rasterio.windows import Window

from twinscape.geo.crs import crs_label, horizontal_crs, is_projected_metric, normalize_crs
from twinscape.io.dem import read_dem
from twinscape.io.dem_source import DemSource, open_dem_source
from twinscape.io.progress import Cancelled, Progress
from twinscape.model.errors import CRSError, TwinscapeError
from twinscape.model.raster import RasterGrid

if TYPE_CHECKING:
    from twinscape.io.dem_full import FullResDem

#: Tile side of the GeoTIFFs written (a multiple of 16, as GeoTIFF requires).
TILE = 256


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
        path, target_crs=native_crs(Path(path)), progress=progress, cancelled=cancelled
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
    target = native_crs(path)
    return read_dem(path, target_crs=target, progress=progress, cancelled=cancelled).grid


def native_crs(path: Path) -> str | None:
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
    data = np.asarray(array)
    if data.shape != like.shape:
        raise ValueError(f"array of shape {data.shape} does not match the grid {like.shape}")
    with geotiff_writer(path, like, data.dtype, nodata=nodata) as out:
        out.write(data, 0, 0)
    return Path(path)


class GeoTiffWriter:
    """A one-band GeoTIFF being written window by window (see :func:`geotiff_writer`)."""

    def __init__(self, dataset: Any, path: Path, nodata: float | None) -> None:
        self._dataset, self._path, self._nodata = dataset, path, nodata

    def write(self, array: np.ndarray, row: int, col: int) -> None:
        """Write ``array`` with its first cell at (row, col); NaN becomes nodata."""
        data = np.asarray(array)
        if np.issubdtype(data.dtype, np.floating) and self._nodata is not None:
            data = np.where(np.isnan(data), np.asarray(self._nodata, dtype=data.dtype), data)
        window = Window(col, row, data.shape[1], data.shape[0])
        with _write_errors(self._path):
            self._dataset.write(data.astype(self._dataset.dtypes[0], copy=False), 1, window=window)


@contextmanager
def geotiff_writer(
    path: str | os.PathLike[str],
    like: RasterGrid | FullResDem,
    dtype: DTypeLike,
    *,
    nodata: float | None = -9999.0,
    cells: tuple[int, int, int, int] | None = None,
) -> Iterator[GeoTiffWriter]:
    """Open a tiled, deflated one-band GeoTIFF on the grid of ``like`` for window writes.

    ``cells`` (row0, row1, col0, col1) limits the file to those cells of ``like``'s grid;
    rows and columns written are counted from its first cell. The file is written next
    to its destination and renamed into place when the block ends without an error, so
    a failed write leaves no partial file.

    Raises
    ------
    WriteError
        The folder is missing or not writable, or GDAL fails.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise WriteError(path, "its folder does not exist")
    r0, r1, c0, c1 = (0, like.shape[0], 0, like.shape[1]) if cells is None else cells
    profile = {
        "driver": "GTiff",
        "width": c1 - c0,
        "height": r1 - r0,
        "count": 1,
        "dtype": np.dtype(np.uint8 if np.dtype(dtype) == np.bool_ else dtype),
        "crs": like.crs,
        "transform": Affine(*like.transform[:6]) @ Affine.translation(c0, r0),
        "nodata": nodata,
        "compress": "deflate",
        "tiled": True,
        "blockxsize": TILE,
        "blockysize": TILE,
        "BIGTIFF": "IF_SAFER",  # compressed, GDAL's default never switches past 4 GB
    }
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tif", dir=folder)
    except OSError as err:
        raise WriteError(path, f"cannot write in its folder ({err.strerror})") from err
    os.close(handle)
    done = False
    try:
        with _write_errors(path):
            dataset = rasterio.open(temp, "w", **profile)
        try:
            yield GeoTiffWriter(dataset, path, nodata)
        finally:
            with _write_errors(path):
                dataset.close()
        with _write_errors(path):
            os.replace(temp, path)
        done = True
    finally:
        if not done:
            Path(temp).unlink(missing_ok=True)


@contextmanager
def _write_errors(path: Path) -> Iterator[None]:
    """Turn GDAL's and the system's write failures into a one-line :class:`WriteError`."""
    try:
        yield
    except (RasterioError, OSError) as err:
        raise WriteError(path, f"writing failed: {err}") from err
