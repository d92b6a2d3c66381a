"""Test images written by GDAL (rasterio): orthophoto-like rasters over the demo DEM's area.

The images are in EPSG:4326 over lon 35.3..35.7, lat 31.2..31.6 (0.001 degree pixels),
inside the Dead Sea demo DEM (UTM 36N): a different CRS from the terrain's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin

WEST, NORTH, RES, SIZE = 35.3, 31.6, 0.001, 400
#: The red square's side (pixels) at the north-west corner.
MARK = 80
RED, BLUE = (255, 0, 0), (30, 60, 200)


def marked_pixels(size: int = SIZE) -> np.ndarray:
    """uint8 (3, size, size): blue, with a red :data:`MARK` square at the north-west corner."""
    data = np.empty((3, size, size), np.uint8)
    data[:] = np.array(BLUE, np.uint8)[:, None, None]
    data[:, :MARK, :MARK] = np.array(RED, np.uint8)[:, None, None]
    return data


def write_image(
    path: Path,
    data: np.ndarray,
    *,
    crs: str | None = "EPSG:4326",
    res: float = RES,
    **profile: object,
) -> Path:
    """Write (bands, rows, cols) ``data`` as a GeoTIFF at :data:`WEST`, :data:`NORTH`."""
    count, rows, cols = data.shape
    options = dict(
        driver="GTiff", width=cols, height=rows, count=count, dtype=data.dtype.name,
        transform=from_origin(WEST, NORTH, res, res),
    )  # fmt: skip
    if crs is not None:
        options["crs"] = crs
    options.update(profile)
    with rasterio.open(path, "w", **options) as dst:
        dst.write(data)
    return path


def write_marked(path: Path) -> Path:
    """The marked RGB image (photometric RGB, 8 bits)."""
    return write_image(path, marked_pixels(), photometric="RGB")


def write_rgba(path: Path, alpha: np.ndarray) -> Path:
    """The marked image with ``alpha`` (rows, cols uint8) as a fourth, alpha band."""
    data = np.concatenate([marked_pixels(), alpha[None]])
    return write_image(path, data, photometric="RGB", alpha="YES")


def write_palette(
    path: Path, index: np.ndarray, colours: dict[int, tuple[int, ...]], **profile: object
) -> Path:
    """A one-band paletted image of ``index`` (uint8) with colour table ``colours``.

    A TIFF colour table has no alpha: give ``nodata`` for transparent pixels.
    """
    write_image(path, index[None].astype(np.uint8), photometric="PALETTE", **profile)
    with rasterio.open(path, "r+") as dst:
        dst.write_colormap(1, colours)
    return path
