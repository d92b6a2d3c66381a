"""Read an image's pixels onto a ground grid: the part the grid covers, at the grid's resolution.

:func:`image_on_grid` finds the window of the file under the grid, reads it decimated
to about the grid's cell size (GDAL then reads the file's overviews, averaged, so a
50,000-pixel COG under a 90 m terrain reads a few megabytes, not the whole file),
turns the bands into RGBA (:func:`to_rgba`: 8-bit colours as they are, wider bands
stretched, palette indices looked up, transparency from the alpha band, mask band or
nodata) and reprojects that onto the grid with GDAL's warper, the alpha band
weighting the colours so that transparent pixels never darken an edge.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
from affine import Affine
from rasterio.enums import Resampling
from rasterio.io import DatasetReader
from rasterio.warp import reproject, transform_bounds
from rasterio.windows import Window

from twinscape.io.imagery import GDAL_ERRORS, READ_PROBLEM, gdal_errors, open_image
from twinscape.model.imagery import ImageInfo

#: Source pixels read past the window's edge, so the bilinear kernel has neighbours.
_PAD = 2
_THREADS = max(1, min(os.cpu_count() or 1, 4))


def image_on_grid(
    path: Path,
    info: ImageInfo,
    transform: tuple[float, ...],
    shape: tuple[int, int],
    crs: str,
) -> np.ndarray:
    """uint8 (rows, cols, 4) RGBA of the image over a north-up grid (alpha 0 off the image).

    Parameters
    ----------
    path, info
        The image file and what loading learnt of it (:func:`~twinscape.io.imagery.read_imagery`).
    transform, shape, crs
        The grid's GDAL geotransform (6 numbers), (rows, cols) and CRS.

    Raises
    ------
    ReaderError
        The file cannot be read (gone, truncated, changed into something else).
    """
    rows, cols = shape
    out = np.zeros((4, rows, cols), np.uint8)
    dst_transform = Affine(*transform[:6])
    with open_image(path) as src, gdal_errors(path, READ_PROBLEM, "export or download it again"):
        window = _window_under(src, info, dst_transform, shape, crs)
        if window is None:
            return np.ascontiguousarray(out.transpose(1, 2, 0))
        factor = _pixels_per_cell(src, info, window, dst_transform, crs)
        read_shape = (
            max(1, math.ceil(window.height / factor)),
            max(1, math.ceil(window.width / factor)),
        )
        fine = factor <= 1.0 or info.mode == "palette"  # indices are never averaged
        resampling = Resampling.nearest if fine else Resampling.average
        bands = src.read(
            list(info.bands), window=window, out_shape=(len(info.bands), *read_shape),
            resampling=resampling,
        )  # fmt: skip
        mask = src.dataset_mask(window=window, out_shape=read_shape)
        rgba = to_rgba(bands, mask, info)
        src_transform = src.window_transform(window) @ Affine.scale(
            window.width / read_shape[1], window.height / read_shape[0]
        )
        reproject(
            rgba, out, src_transform=src_transform, src_crs=info.source_crs,
            dst_transform=dst_transform, dst_crs=crs, src_alpha=4, dst_alpha=4,
            resampling=Resampling.bilinear, init_dest_nodata=True, NUM_THREADS=_THREADS,
        )  # fmt: skip
    return np.ascontiguousarray(out.transpose(1, 2, 0))


def to_rgba(bands: np.ndarray, mask: np.ndarray, info: ImageInfo) -> np.ndarray:
    """uint8 (4, rows, cols) RGBA of the bands read as ``info`` says, alpha from ``mask``.

    Parameters
    ----------
    bands
        (len(info.bands), rows, cols) as read from the file.
    mask
        (rows, cols) GDAL dataset mask: 0 transparent .. 255 opaque.
    """
    rgba = np.empty((4, *bands.shape[1:]), np.uint8)
    rgba[3] = mask
    if info.mode == "palette":
        table = np.asarray(info.palette, np.uint8)
        index = np.minimum(bands[0], len(table) - 1)
        colours = table[index]
        rgba[:3] = np.moveaxis(colours[..., :3], -1, 0)
        outside = bands[0] >= len(table)
        alpha = (colours[..., 3].astype(np.uint16) * mask + 127) // 255
        rgba[3] = np.where(outside, 0, alpha).astype(np.uint8)
        return rgba
    if info.stretch is None:
        colour = bands
    else:
        colour = np.empty(bands.shape, np.uint8)
        for i, (low, high) in enumerate(info.stretch):
            scaled = (bands[i].astype(np.float32) - np.float32(low)) * np.float32(
                255.0 / (high - low)
            )
            colour[i] = np.clip(scaled + 0.5, 0, 255).astype(np.uint8)
    if info.mode == "gray":
        rgba[:3] = colour[0]
    else:
        rgba[:3] = colour[:3]
    return rgba


def _window_under(
    src: DatasetReader, info: ImageInfo, dst: Affine, shape: tuple[int, int], crs: str
) -> Window | None:
    """The file's pixels under the grid, padded by :data:`_PAD`; None when none are."""
    rows, cols = shape
    (x0, y0), (x1, y1) = dst @ (0, 0), dst @ (cols, rows)
    height, width = info.shape
    try:
        left, bottom, right, top = transform_bounds(
            crs, info.source_crs, min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1),
            densify_pts=21,
        )  # fmt: skip
    except GDAL_ERRORS:
        left = bottom = right = top = math.nan
    if not all(math.isfinite(v) for v in (left, bottom, right, top)):
        return Window(0, 0, width, height)  # the grid reaches where the image's CRS cannot go
    inverse = ~src.transform
    corners = [inverse @ (x, y) for x in (left, right) for y in (bottom, top)]
    c0 = max(0, math.floor(min(c for c, _ in corners)) - _PAD)
    c1 = min(width, math.ceil(max(c for c, _ in corners)) + _PAD)
    r0 = max(0, math.floor(min(r for _, r in corners)) - _PAD)
    r1 = min(height, math.ceil(max(r for _, r in corners)) + _PAD)
    if c1 <= c0 or r1 <= r0:
        return None
    return Window(c0, r0, c1 - c0, r1 - r0)


def _pixels_per_cell(
    src: DatasetReader, info: ImageInfo, window: Window, dst: Affine, crs: str
) -> float:
    """About how many of the window's pixels lie along one grid cell (1: as fine or finer)."""
    try:
        bounds = src.window_bounds(window)
        left, bottom, right, top = transform_bounds(info.source_crs, crs, *bounds, densify_pts=21)
    except GDAL_ERRORS:
        return 1.0
    cells_x, cells_y = (right - left) / abs(dst.a), (top - bottom) / abs(dst.e)
    if not (math.isfinite(cells_x) and math.isfinite(cells_y)) or min(cells_x, cells_y) <= 0:
        return 1.0
    return max(1.0, min(window.width / cells_x, window.height / cells_y))
