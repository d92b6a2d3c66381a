"""A DEM read on demand: windows at any level of a pyramid, in the project CRS, from any thread.

:func:`open_dem_source` checks a raster as :func:`~twinscape.io.dem.read_dem` does (the
same one-line errors) and returns a :class:`DemSource`, which reads nothing up front.
Its grid is the file's own when the file is north-up in the project CRS, else GDAL's
warped grid at about the file's resolution (a ``WarpedVRT`` reprojects each window as it
is read). Level ``k`` of the pyramid has cells ``2**k`` times the full resolution; it is
read with GDAL's decimated reads, which take the file's overviews. A file without
overviews gets them built once into a cache folder (:mod:`~twinscape.io.dem_overviews`,
with progress). Each thread reads through its own dataset handle.
"""

from __future__ import annotations

import math
import os
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from affine import Affine
from rasterio.enums import Resampling
from rasterio.errors import NotGeoreferencedWarning
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window

from twinscape.geo.crs import horizontal_crs, normalize_crs, same_crs
from twinscape.geo.sampling import sample_elevation
from twinscape.io.dem_checks import _check_band_type, _check_georeferencing, _gdal_errors
from twinscape.io.dem_grid import _extent, _warp_grid
from twinscape.io.dem_overviews import SMALLEST_SIDE, build_overview_cache, cached_vrt
from twinscape.io.dem_strips import _nodata_scalar
from twinscape.io.file_checks import check_regular_file
from twinscape.io.progress import Cancelled, Progress
from twinscape.io.reader_crs import file_crs, pick_target_crs
from twinscape.model.errors import ReaderError
from twinscape.model.raster import MAX_ABS_ELEVATION, RasterGrid

_HINT = "add a DEM raster (GeoTIFF, COG, VRT)"
_NO_CRS_HINT = (
    "set one with gdal_edit.py -a_srs EPSG:xxxx, or give its layer "
    'assume_crs = "EPSG:xxxx" in the project file'
)
_READ_PROBLEM = "reading failed; the file may be truncated or corrupt"
#: GDAL's block cache, MB: its default (5 % of RAM) would grow past the node cache bound
#: while a large DEM is flown over. Set before GDAL first caches a block; a
#: ``GDAL_CACHEMAX`` of the user's own wins.
GDAL_CACHE_MB = 64
if "GDAL_CACHEMAX" not in os.environ:
    rasterio.env.set_gdal_config("GDAL_CACHEMAX", GDAL_CACHE_MB)


class DemSource:
    """Band 1 of a DEM file as a pyramid of levels on the project CRS's grid.

    Attributes
    ----------
    path
        The file.
    crs, source_crs
        The project CRS of the grid and the file's own CRS, normalised.
    transform
        North-up transform of the full-resolution grid (level 0).
    shape
        (rows, cols) of level 0.
    """

    def __init__(
        self, path: Path, base: Path, source_crs: str, crs: str, warp: Affine | None,
        shape: tuple[int, int], transform: Affine, scale_offset: tuple[float, float],
        nodata: float | None,
    ) -> None:  # fmt: skip
        self.path, self.source_crs, self.crs = path, source_crs, crs
        self.shape, self.transform = shape, transform
        self._base, self._warp = base, warp
        self._scale_offset, self._nodata = scale_offset, nodata
        self._local = threading.local()
        self._handles: list[Any] = []
        self._lock = threading.Lock()

    # -- geometry -------------------------------------------------------------------
    @property
    def resolution(self) -> tuple[float, float]:
        """Cell size (x, y) of level 0 in metres."""
        return abs(self.transform.a), abs(self.transform.e)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) in the project CRS."""
        west, north = self.transform.c, self.transform.f
        rows, cols = self.shape
        return west, north + rows * self.transform.e, west + cols * self.transform.a, north

    def level_shape(self, level: int) -> tuple[int, int]:
        """(rows, cols) of pyramid ``level`` (cells ``2**level`` times the full resolution)."""
        s = 1 << level
        return math.ceil(self.shape[0] / s), math.ceil(self.shape[1] / s)

    def level_transform(self, level: int) -> Affine:
        """Transform of pyramid ``level``."""
        return self.transform @ Affine.scale(1 << level)

    # -- reading --------------------------------------------------------------------
    def _dataset(self) -> Any:
        ds = getattr(self._local, "dataset", None)
        if ds is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NotGeoreferencedWarning)
                ds = rasterio.open(self._base)
                if self._warp is not None:
                    ds = _warped(ds, self.crs, self.transform, self.shape)
            self._local.dataset = ds
            with self._lock:
                self._handles.append(ds)
        return ds

    def read(self, level: int, row: int, col: int, rows: int, cols: int) -> np.ndarray:
        """float32 (rows, cols) of pyramid ``level`` from cell (row, col); NaN = nodata or outside.

        The window may reach past the grid (those cells are NaN). Any thread.
        """
        out = np.full((rows, cols), np.nan, np.float32)
        height, width = self.level_shape(level)
        r0, r1 = max(row, 0), min(row + rows, height)
        c0, c1 = max(col, 0), min(col + cols, width)
        if r0 >= r1 or c0 >= c1:
            return out
        s = 1 << level
        full_h, full_w = self.shape
        window = Window(c0 * s, r0 * s, min(c1 * s, full_w) - c0 * s, min(r1 * s, full_h) - r0 * s)
        with _gdal_errors(self.path, _READ_PROBLEM, "export or download it again"):
            raw = self._dataset().read(
                1, window=window, out_shape=(r1 - r0, c1 - c0),
                resampling=Resampling.average if s > 1 else Resampling.nearest,
            )  # fmt: skip
        out[r0 - row : r1 - row, c0 - col : c1 - col] = self._clean(raw)
        return out

    def _clean(self, raw: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):
            block = raw.astype(np.float32)
            nodata = _nodata_scalar(self._nodata, raw.dtype)
            if nodata is not None:
                block[raw == nodata] = np.nan
            scale, offset = self._scale_offset
            if scale != 1.0 or offset != 0.0:
                block = block * np.float32(scale) + np.float32(offset)
            block[~(np.abs(block) <= MAX_ABS_ELEVATION)] = np.nan
        return block

    def grid(self, max_cells: int) -> RasterGrid:
        """The finest whole level of at most ``max_cells`` cells, as a grid."""
        level = 0
        while math.prod(self.level_shape(level)) > max_cells:
            level += 1
        rows, cols = self.level_shape(level)
        values = self.read(level, 0, 0, rows, cols)
        return RasterGrid(
            values=values, transform=tuple(self.level_transform(level))[:6], crs=self.crs
        )

    def sample(self, x: float, y: float) -> float:
        """Elevation at project-CRS point (x, y), bilinear at full resolution (NaN off the data)."""
        col_f, row_f = ~self.transform @ (x, y)
        if not (math.isfinite(col_f) and math.isfinite(row_f)):
            return math.nan
        row, col = math.floor(row_f) - 1, math.floor(col_f) - 1
        values = self.read(0, row, col, 3, 3)
        rows, cols = self.shape
        r0, c0 = max(row, 0), max(col, 0)
        values = values[r0 - row : min(rows, row + 3) - row, c0 - col : min(cols, col + 3) - col]
        if values.size == 0:
            return math.nan
        window = self.transform @ Affine.translation(c0, r0)
        grid = RasterGrid(values=values, transform=tuple(window)[:6], crs=self.crs)
        return float(sample_elevation(grid, x, y))

    def close(self) -> None:
        """Close every thread's dataset handle."""
        with self._lock:
            for ds in self._handles:
                ds.close()
            self._handles.clear()
        self._local = threading.local()


def _warped(ds: Any, crs: str, transform: Affine, shape: tuple[int, int]) -> WarpedVRT:
    """``ds`` reprojected onto the project grid (bilinear, nodata kept out of the kernel).

    Cell positions are transformed to within 0.001 cell (GDAL approximates with lines),
    so a window reads the same values however the grid is cut into windows.
    """
    return WarpedVRT(
        ds, crs=crs, transform=transform, height=shape[0], width=shape[1],
        resampling=Resampling.bilinear, nodata=np.nan, dtype="float32", tolerance=0.001,
    )  # fmt: skip


def needs_overviews(src: Any) -> bool:
    """True when decimated reads of ``src`` would read every cell (no overviews, large)."""
    return max(src.height, src.width) > 2 * SMALLEST_SIDE and not src.overviews(1)


def open_checked(path: Path) -> Any:
    """``path`` opened with rasterio once it passed every DEM reader's checks (a regular
    file GDAL reads, georeferenced, one numeric band); the caller closes it.

    Raises
    ------
    ReaderError
        Naming the file and the problem.
    """
    check_regular_file(path, hint=_HINT)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with _gdal_errors(path, "GDAL cannot read it as a raster", _HINT):
            src = rasterio.open(path)
    try:
        _check_georeferencing(src, path)
        _check_band_type(src, path)
    except BaseException:
        src.close()
        raise
    return src


def open_dem_source(
    path: str | os.PathLike[str],
    *,
    target_crs: str | None = None,
    assume_crs: str | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    cache_root: Path | None = None,
) -> DemSource:
    """Check a DEM and open it for on-demand reads in ``target_crs``.

    Builds overviews into the cache (progress 0..1) when the file has none.

    Raises
    ------
    ReaderError, CRSError, LoadCancelled
        As :func:`~twinscape.io.dem.read_dem`.
    """
    path = Path(path)
    with open_checked(path) as src:
        source = file_crs(path, src.crs, assume_crs, hint=_NO_CRS_HINT)
        left, bottom, right, top = _extent(src)
        target = pick_target_crs(
            path, source, target_crs, lambda: ((left + right) / 2, (bottom + top) / 2)
        )
        flat = normalize_crs(horizontal_crs(source))
        warp = not same_crs(flat, target) or src.transform.a < 0 or src.transform.e > 0
        base, scale_offset, nodata = path, (src.scales[0], src.offsets[0]), src.nodata
        if needs_overviews(src):
            built = cached_vrt(path, cache_root)
            if built is None:
                with _gdal_errors(path, _READ_PROBLEM, "export or download it again"):
                    built = build_overview_cache(
                        path, src, root=cache_root, progress=progress, cancelled=cancelled
                    )
            base, scale_offset, nodata = built, (1.0, 0.0), None
        if warp:
            transform, height, width = _warp_grid(src, path, flat, target, None)
        else:
            transform, height, width = src.transform, src.height, src.width
    if progress is not None:
        progress(1.0)
    return DemSource(
        path, base, source, target, transform if warp else None, (height, width),
        transform, scale_offset, nodata,
    )  # fmt: skip


#: Cells of the overview a paged DEM keeps in memory (16 MiB of float32).
OVERVIEW_CELLS = 1 << 22


#: Files without overviews up to this many cells get them built; larger ones (a VRT
#: declaring a trillion cells around a few tiles) are read decimated into memory instead.
MAX_BUILD_CELLS = 1 << 31


def pageable_cells(path: Path) -> int:
    """Cells of band 1 of a regular raster file that can be read on demand, else 0.

    0 for what is no readable raster (the reader says why) and for files too large to
    build overviews for that have none (:data:`MAX_BUILD_CELLS`).
    """
    try:
        if not path.is_file():
            return 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(path) as src:
                cells = int(src.width) * int(src.height)
                return 0 if cells > MAX_BUILD_CELLS and needs_overviews(src) else cells
    except Exception:  # noqa: BLE001 - any failure is reported by the reader itself
        return 0


def read_paged(
    path: Path,
    *,
    target_crs: str | None = None,
    assume_crs: str | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> tuple[DemSource, RasterGrid]:
    """Open a DEM for on-demand reads and read its overview of :data:`OVERVIEW_CELLS`.

    Raises
    ------
    ReaderError, CRSError, LoadCancelled
        As :func:`open_dem_source`; also when every cell of the overview is nodata.
    """
    source = open_dem_source(
        path, target_crs=target_crs, assume_crs=assume_crs, progress=progress,
        cancelled=cancelled,
    )  # fmt: skip
    grid = source.grid(OVERVIEW_CELLS)
    if not np.isfinite(grid.values).any():
        source.close()
        raise ReaderError(path, "every cell is nodata", hint="check its nodata value (gdalinfo)")
    return source, grid
