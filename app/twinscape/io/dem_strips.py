"""Reading a DEM's band 1 into float32 strip by strip: directly, warped or decimated.

``_read`` fills the output grid of a ``_Plan`` (:mod:`twinscape.io.dem_grid`) a strip of
rows at a time, reporting progress and polling for cancel between strips, through GDAL's
warper when the plan says so. ``_decimated`` first takes a small in-memory copy of a file
too large to average cell by cell. Nodata, masked, non-finite and impossible values
(``_Outliers``) become NaN; band scale and offset are applied.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.enums import MaskFlags, Resampling
from rasterio.io import MemoryFile
from rasterio.warp import reproject
from rasterio.windows import Window

from twinscape.io.dem_grid import _Plan
from twinscape.io.progress import ProgressReporter
from twinscape.model.errors import ReaderError
from twinscape.model.raster import MAX_ABS_ELEVATION

_STRIP_CELLS = 1 << 21  # cells read per strip: ~8 MB of float32
_THREADS = max(1, min(os.cpu_count() or 1, 4))  # GDAL warper threads
#: A decimated read projected to take longer than this is refused (build overviews).
_DECIMATE_SECONDS = 20.0
_OVERVIEW_HINT = "build overviews first: gdaladdo -r average {name}"


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
