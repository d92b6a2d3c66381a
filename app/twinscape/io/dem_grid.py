"""The grid a DEM is read into: its CRS, cells, and whether GDAL's warper is needed.

``_plan`` picks the target CRS (the file's own, or the UTM zone of its centre) and the
output grid: the file's own cells when it is already north-up in that CRS, else a grid of
square cells at about the file's ground resolution (``_warp_grid``), coarsened to fit
``max_cells`` (``_snapped_grid``). Used by :mod:`twinscape.io.dem`,
:mod:`twinscape.io.dem_full` and :mod:`twinscape.io.dem_source`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import rasterio
from affine import Affine
from rasterio.enums import Resampling
from rasterio.warp import calculate_default_transform, transform_bounds

from twinscape.geo.crs import crs_label, horizontal_crs, normalize_crs, same_crs
from twinscape.io.dem_checks import _GDAL_ERRORS, _gdal_message
from twinscape.io.reader_crs import file_crs, pick_target_crs
from twinscape.model.errors import CRSError

_NO_CRS_HINT = (
    "set one with gdal_edit.py -a_srs EPSG:xxxx, or give its layer "
    'assume_crs = "EPSG:xxxx" in the project file'
)


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
