"""Read a DEM raster (anything GDAL reads) into a north-up float32 grid in a metric CRS.

The file is read in strips of rows so a caller can show progress and cancel.
A file already in the target CRS is read as it is; any other is reprojected
by GDAL's warper (bilinear, nodata excluded from the kernel so it never bleeds
into valid cells). Nodata, masked and non-finite cells become NaN. Heights stated in
feet (band unit or vertical CRS) become metres, and the grid records whether they are
ellipsoidal or above the geoid (io/vertical.py).
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.enums import MaskFlags, Resampling
from rasterio.errors import CRSError as RasterioCRSError
from rasterio.errors import NotGeoreferencedWarning, RasterioError
from rasterio.io import MemoryFile
from rasterio.warp import calculate_default_transform, reproject, transform_bounds
from rasterio.windows import Window

from twinscape.geo.crs import crs_label, horizontal_crs, normalize_crs, same_crs
from twinscape.io.file_checks import check_regular_file
from twinscape.io.progress import Cancelled, Progress, ProgressReporter
from twinscape.io.reader_crs import file_crs, pick_target_crs
from twinscape.io.vertical import vertical_units
from twinscape.model.errors import CRSError, ReaderError
from twinscape.model.raster import MAX_ABS_ELEVATION, RasterGrid

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
#: Above this many source cells a ``max_cells`` read takes a decimated copy first (GDAL's
#: overviews when the file has them, else nearest samples) instead of averaging every cell.
_FULL_READ_CELLS = 1 << 28
#: The most cells a result may hold (1 GiB of float32); a larger one needs ``max_cells``.
_MAX_RESULT_CELLS = 1 << 28
#: A decimated read projected to take longer than this is refused (build overviews).
_DECIMATE_SECONDS = 20.0
_DECIMATE_CACHE_MB = 64
_OVERVIEW_HINT = "build overviews first: gdaladdo -r average {name}"


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


@dataclass
class _Outliers:
    """Cells beyond :data:`MAX_ABS_ELEVATION` (or infinite) made nodata while reading."""

    count: int = 0
    largest: float = 0.0
    notes: list[str] = field(default_factory=list)

    def add(self, block: np.ndarray) -> None:
        """Make the cells of ``block`` no elevation can be NaN, counting them."""
        with np.errstate(invalid="ignore"):
            far = np.abs(block) > np.float32(MAX_ABS_ELEVATION)
        if far.any():
            self.count += int(far.sum())
            self.largest = max(self.largest, float(np.abs(block[far]).max()))
            block[far] = np.nan


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


def _check_band_type(src: rasterio.DatasetReader, path: Path) -> None:
    """Refuse complex-valued bands (an elevation is one real number)."""
    dtype = src.dtypes[0]
    if "complex" in dtype:
        raise ReaderError(
            path,
            f"band 1 holds complex numbers ({dtype}), not elevations",
            hint="keep the real part with gdal_translate -ot Float32 in.tif out.tif",
        )


@contextmanager
def _decimated(
    src: rasterio.DatasetReader,
    path: Path,
    max_cells: int,
    reporter: ProgressReporter,
    outliers: _Outliers,
) -> Iterator[rasterio.DatasetReader]:
    """An in-memory float32 copy of band 1 at about ``max_cells`` cells, same CRS and footprint.

    GDAL reads it from the file's overviews (averaged) when it has them, else as nearest
    samples, so the cost follows the cells read rather than the cells declared. A read
    projected to take longer than :data:`_DECIMATE_SECONDS` is refused.
    """
    factor = math.sqrt(src.height * src.width / max_cells)
    rows, cols = max(1, int(src.height / factor)), max(1, int(src.width / factor))
    has_overviews = bool(src.overviews(1))
    resampling = Resampling.average if has_overviews else Resampling.nearest
    nodata = _nodata_scalar(src.nodata, np.dtype(src.dtypes[0]))
    flags = src.mask_flag_enums[0]
    masked = MaskFlags.per_dataset in flags or MaskFlags.alpha in flags
    values = np.empty((rows, cols), np.float32)
    step = max(1, min(rows // 200, _STRIP_CELLS // cols))
    started = time.monotonic()
    for row in range(0, rows, step):
        reporter.check()
        elapsed = time.monotonic() - started
        if elapsed > 0.5 and elapsed * rows / row > _DECIMATE_SECONDS:
            raise ReaderError(
                path,
                f"{src.height} x {src.width} cells without overviews: reading even a "
                f"decimated copy would take about {elapsed * rows / row:.0f} s",
                hint=_OVERVIEW_HINT.format(name=path.name),
            )
        stop = min(rows, row + step)
        top, bottom = round(row * src.height / rows), round(stop * src.height / rows)
        window = Window(0, top, src.width, max(1, bottom - top))
        shape = (stop - row, cols)
        raw = src.read(1, window=window, out_shape=shape, resampling=resampling)
        block = values[row:stop]
        with np.errstate(over="ignore", invalid="ignore"):
            block[...] = raw
        if nodata is not None:
            block[raw == nodata] = np.nan
        if masked:
            mask = src.read_masks(1, window=window, out_shape=shape)
            block[mask == 0] = np.nan
        _to_nan(src, block, outliers)
        reporter.report(0.5 * stop / rows)
    if not has_overviews:
        outliers.notes.append(
            f"{path}: {src.height} x {src.width} cells and no overviews: drawn from every "
            f"{factor:.0f}th sample; for an averaged picture, "
            + _OVERVIEW_HINT.format(name=path.name)
        )
    transform = src.transform @ Affine.scale(src.width / cols, src.height / rows)
    # Declared far larger than its data (a VRT of 1e6 x 1e6 around one tile): keep the
    # part with data, so nothing is drawn (or reprojected) of the empty rest.
    finite = np.isfinite(values)
    if finite.any():
        keep_rows, keep_cols = np.flatnonzero(finite.any(1)), np.flatnonzero(finite.any(0))
        r0, r1, c0, c1 = keep_rows[0], keep_rows[-1] + 1, keep_cols[0], keep_cols[-1] + 1
        values = np.ascontiguousarray(values[r0:r1, c0:c1])
        transform = transform @ Affine.translation(c0, r0)
        rows, cols = values.shape
    profile = dict(
        driver="GTiff", height=rows, width=cols, count=1, dtype="float32",
        crs=src.crs, transform=transform, nodata=np.nan,
    )  # fmt: skip
    with MemoryFile() as memory:
        with memory.open(**profile) as dst:
            dst.write(values, 1)
        del values
        with memory.open() as small:
            yield small


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


def _read(
    src: rasterio.DatasetReader, plan: _Plan, reporter: ProgressReporter, outliers: _Outliers
) -> np.ndarray:
    """Fill the float32 output strip by strip."""
    values = np.empty((plan.height, plan.width), dtype=np.float32)
    step = max(1, _STRIP_CELLS // plan.width)
    read_rows = _warp_rows if plan.warp else _read_direct
    for row in range(0, plan.height, step):
        reporter.check()
        stop = min(plan.height, row + step)
        block = values[row:stop]
        read_rows(src, plan, row, stop, block)
        _to_nan(src, block, outliers)
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


def _to_nan(src: rasterio.DatasetReader, block: np.ndarray, outliers: _Outliers) -> None:
    """Apply band scale/offset and make every non-finite or impossible value NaN, in place."""
    scale, offset = src.scales[0], src.offsets[0]
    with np.errstate(over="ignore", invalid="ignore"):
        if scale != 1.0:
            block *= np.float32(scale)
        if offset != 0.0:
            block += np.float32(offset)
    outliers.add(block)
    block[~np.isfinite(block)] = np.nan
