"""Read a DEM raster (anything GDAL reads) into a north-up float32 grid in a metric CRS.

The file is read in strips of rows so a caller can show progress and cancel.
A file already in the target CRS is read as it is; any other is reprojected
by GDAL's warper (bilinear, nodata excluded from the kernel so it never bleeds
into valid cells). Nodata, masked and non-finite cells become NaN.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.enums import MaskFlags, Resampling
from rasterio.errors import CRSError as RasterioCRSError
from rasterio.errors import RasterioError
from rasterio.warp import calculate_default_transform, reproject, transform_bounds
from rasterio.windows import Window

from twinscape.geo.crs import crs_label, horizontal_crs, normalize_crs, same_crs
from twinscape.io.file_checks import check_regular_file
from twinscape.io.progress import Cancelled, Progress, ProgressReporter
from twinscape.io.reader_crs import file_crs, pick_target_crs
from twinscape.model.errors import CRSError, ReaderError
from twinscape.model.raster import RasterGrid

try:  # GDAL's own errors; rasterio keeps them in a private module
    from rasterio._err import CPLE_BaseError
except ImportError:  # pragma: no cover
    CPLE_BaseError = RasterioError

_GDAL_ERRORS = (RasterioError, CPLE_BaseError, RasterioCRSError)
_STRIP_CELLS = 1 << 21  # cells read per strip: ~8 MB of float32
_THREADS = max(1, min(os.cpu_count() or 1, 4))  # GDAL warper threads
_READ_PROBLEM = "reading failed; the file may be truncated or corrupt"
_RASTER_HINT = "add a DEM raster (GeoTIFF, VRT, SRTM .hgt, ESRI ASCII .asc)"
_NO_CRS_HINT = (
    "set one with gdal_edit.py -a_srs EPSG:xxxx, or give its layer "
    'assume_crs = "EPSG:xxxx" in the project file'
)
_WARP_HINT = "make it north-up first, e.g. gdalwarp -r bilinear in.tif out.tif"


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
    """

    grid: RasterGrid
    source_crs: str
    target_crs: str
    source_shape: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class _Plan:
    """How to turn the file into the output grid."""

    source_crs: str
    warp_from: str
    target_crs: str
    warp: bool
    transform: Affine
    height: int
    width: int
    resampling: Resampling = Resampling.bilinear


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
    with _gdal_errors(path, "GDAL cannot read it as a raster", _RASTER_HINT):
        src = rasterio.open(path)
    with src:
        _check_georeferencing(src, path)
        plan = _plan(src, path, target_crs, assume_crs, max_cells)
        source_shape = (src.height, src.width)
        with _gdal_errors(path, _READ_PROBLEM, "export or download it again"):
            values = _read(src, plan, reporter)
    if not np.isfinite(values).any():
        raise ReaderError(path, "every cell is nodata", hint="check its nodata value (gdalinfo)")
    reporter.report(1.0)
    grid = RasterGrid(values=values, transform=tuple(plan.transform)[:6], crs=plan.target_crs)
    return DemResult(
        grid=grid,
        source_crs=plan.source_crs,
        target_crs=plan.target_crs,
        source_shape=source_shape,
    )


@contextmanager
def _gdal_errors(path: Path, problem: str, hint: str) -> Iterator[None]:
    """Turn GDAL/rasterio exceptions into a one-line :class:`ReaderError`."""
    try:
        yield
    except _GDAL_ERRORS as err:
        raise ReaderError(path, f"{problem}: {_gdal_message(err, path)}", hint=hint) from err


def _gdal_message(err: BaseException, path: Path) -> str:
    """The most specific message in an exception chain, without the file's path."""
    messages: list[str] = []
    current: BaseException | None = err
    while current is not None and len(messages) < 10:
        messages.append(str(current).strip())
        current = current.__cause__ or current.__context__
    specific = [m for m in messages if m and "see previous exception" not in m.lower()]
    message = (specific or messages)[-1] or type(err).__name__
    return message.replace(f"'{path}' ", "").replace(str(path), path.name).rstrip(".")


def _check_georeferencing(src: rasterio.DatasetReader, path: Path) -> None:
    """Reject rasters without bands or without a usable north-up geotransform."""
    if src.count < 1:
        raise ReaderError(path, "has no raster bands")
    transform = src.transform
    if transform.is_identity:
        if src.gcps[0]:
            raise ReaderError(path, "is georeferenced only by control points", hint=_WARP_HINT)
        raise ReaderError(
            path,
            "is not georeferenced (no geotransform)",
            hint="georeference it, e.g. gdal_translate -a_ullr ... -a_srs ...",
        )
    if transform.b != 0 or transform.d != 0:
        raise ReaderError(path, "has a rotated or sheared geotransform", hint=_WARP_HINT)


def _plan(
    src: rasterio.DatasetReader,
    path: Path,
    target_crs: str | None,
    assume_crs: str | None,
    max_cells: int | None,
) -> _Plan:
    """Decide the output CRS, grid and whether GDAL's warper is needed."""
    source = file_crs(path, src.crs, assume_crs, hint=_NO_CRS_HINT)
    target = pick_target_crs(path, source, target_crs, lambda: _centre(src))
    transform, height, width = src.transform, src.height, src.width
    flat = normalize_crs(horizontal_crs(source))  # a vertical part never needs warping
    warp = not same_crs(flat, target) or transform.a < 0
    if warp:
        transform, height, width = _warp_grid(src, path, flat, target, max_cells)
    elif max_cells is not None and height * width > max_cells:
        warp = True
        res = max(abs(transform.a), abs(transform.e))
        transform, height, width = _snapped_grid(_extent(src), res, max_cells)
    elif transform.e > 0:  # bottom-up rows: read flipped
        transform = Affine(
            transform.a, 0.0, transform.c, 0.0, -transform.e, transform.f + transform.e * height
        )
    # averaging when a coarser grid was forced by max_cells (bilinear would alias)
    shrunk = max_cells is not None and 2 * height * width < src.height * src.width
    resampling = Resampling.average if warp and shrunk else Resampling.bilinear
    return _Plan(source, flat, target, warp, transform, height, width, resampling)


def _centre(src: rasterio.DatasetReader) -> tuple[float, float]:
    """The middle of the raster's extent, in its CRS."""
    left, bottom, right, top = _extent(src)
    return (left + right) / 2, (bottom + top) / 2


def _extent(src: rasterio.DatasetReader) -> tuple[float, float, float, float]:
    """(left, bottom, right, top) with left < right and bottom < top, however rows run."""
    (x0, y0), (x1, y1) = src.transform @ (0, 0), src.transform @ (src.width, src.height)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _warp_grid(
    src: rasterio.DatasetReader, path: Path, source: str, target: str, max_cells: int | None
) -> tuple[Affine, int, int]:
    """Output grid in ``target`` at about the source's ground resolution, square cells."""
    try:
        extent = _extent(src)
        suggested, _, _ = calculate_default_transform(
            source, target, src.width, src.height, *extent
        )
        bounds = transform_bounds(source, target, *extent, densify_pts=21)
    except _GDAL_ERRORS as err:
        raise CRSError(
            path,
            f"cannot reproject from {crs_label(source)} to "
            f"{crs_label(target)}: {_gdal_message(err, path)}",
        ) from err
    if not all(math.isfinite(v) for v in (*bounds, suggested.a)):
        raise CRSError(path, f"its extent does not fit in {crs_label(target)}")
    return _snapped_grid(bounds, _nice(abs(suggested.a)), max_cells)


def _snapped_grid(
    bounds: tuple[float, float, float, float], res: float, max_cells: int | None
) -> tuple[Affine, int, int]:
    """North-up grid of ``res`` cells aligned to multiples of ``res`` covering ``bounds``."""
    while True:
        left, bottom = math.floor(bounds[0] / res) * res, math.floor(bounds[1] / res) * res
        width = max(1, math.ceil(round((bounds[2] - left) / res, 6)))
        height = max(1, math.ceil(round((bounds[3] - bottom) / res, 6)))
        if max_cells is None or width * height <= max_cells:
            return Affine(res, 0.0, left, 0.0, -res, bottom + height * res), height, width
        res = _nice(res * max(math.sqrt(width * height / max_cells), 1.01), up=True)


def _nice(res: float, *, up: bool = False) -> float:
    """Round a resolution to two significant figures (86.06 -> 86.0)."""
    scale = 10.0 ** (math.floor(math.log10(res)) - 1)
    return (math.ceil(res / scale) if up else max(round(res / scale), 1)) * scale


def _read(src: rasterio.DatasetReader, plan: _Plan, reporter: ProgressReporter) -> np.ndarray:
    """Fill the float32 output strip by strip."""
    values = np.empty((plan.height, plan.width), dtype=np.float32)
    step = max(1, _STRIP_CELLS // plan.width)
    read_rows = _warp_rows if plan.warp else _read_direct
    for row in range(0, plan.height, step):
        reporter.check()
        stop = min(plan.height, row + step)
        block = values[row:stop]
        read_rows(src, plan, row, stop, block)
        _to_nan(src, block)
        reporter.report(0.99 * stop / plan.height)
    return values


def _warp_rows(
    src: rasterio.DatasetReader, plan: _Plan, start: int, stop: int, out: np.ndarray
) -> None:
    """Reproject the source into output rows ``start:stop`` with GDAL's warper."""
    reproject(
        rasterio.band(src, 1),
        out,
        src_crs=plan.warp_from,
        dst_crs=plan.target_crs,
        dst_transform=plan.transform @ Affine.translation(0, start),
        dst_nodata=np.nan,
        init_dest_nodata=True,
        resampling=plan.resampling,
        # One I/O thread: with num_threads > 1 rasterio runs GDAL's ChunkAndWarpMulti,
        # whose reader thread's errors (a truncated file) are lost and the block comes
        # back as zeros. The warp kernel still uses _THREADS through the warp option.
        num_threads=1,
        NUM_THREADS=_THREADS,
    )


def _read_direct(
    src: rasterio.DatasetReader, plan: _Plan, start: int, stop: int, out: np.ndarray
) -> None:
    """Read file rows for output rows ``start:stop`` (flipping bottom-up files)."""
    flipped = src.transform.e > 0
    window = Window(0, plan.height - stop if flipped else start, plan.width, stop - start)
    raw = src.read(1, window=window)
    raw = raw[::-1] if flipped else raw
    with np.errstate(over="ignore", invalid="ignore"):
        out[...] = raw
    nodata = _nodata_scalar(src.nodata, raw.dtype)
    if nodata is not None:
        out[raw == nodata] = np.nan
    flags = src.mask_flag_enums[0]  # a mask band or alpha rather than a nodata value
    if MaskFlags.per_dataset in flags or MaskFlags.alpha in flags:
        mask = src.read_masks(1, window=window)
        out[(mask[::-1] if flipped else mask) == 0] = np.nan


def _nodata_scalar(nodata: float | None, dtype: np.dtype) -> np.generic | None:
    """The nodata value as a ``dtype`` scalar, or None when no cell can hold it."""
    if nodata is None or math.isnan(nodata):
        return None  # NaN nodata: handled with the other non-finite values
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        if not (nodata == int(nodata) and info.min <= nodata <= info.max):
            return None
    with np.errstate(over="ignore"):
        return np.asarray(nodata).astype(dtype)[()]


def _to_nan(src: rasterio.DatasetReader, block: np.ndarray) -> None:
    """Apply band scale/offset and make every non-finite value NaN, in place."""
    scale, offset = src.scales[0], src.offsets[0]
    if scale != 1.0:
        block *= np.float32(scale)
    if offset != 0.0:
        block += np.float32(offset)
    block[~np.isfinite(block)] = np.nan
