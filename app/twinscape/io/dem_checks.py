"""Checks made on opening a DEM raster, shared by the DEM readers.

``_gdal_errors`` turns GDAL and rasterio exceptions into a one-line
:class:`~twinscape.model.errors.ReaderError`; ``_check_georeferencing`` and
``_check_band_type`` refuse rasters that hold no usable north-up elevations. Used by
:mod:`twinscape.io.dem`, :mod:`twinscape.io.dem_grid` and :mod:`twinscape.io.dem_source`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import rasterio
from rasterio.errors import CRSError as RasterioCRSError
from rasterio.errors import RasterioError

from twinscape.model.errors import ReaderError

try:  # GDAL's own errors; rasterio keeps them in a private module
    from rasterio._err import CPLE_BaseError
except ImportError:  # pragma: no cover
    CPLE_BaseError = RasterioError

_GDAL_ERRORS = (RasterioError, CPLE_BaseError, RasterioCRSError)
_WARP_HINT = "make it north-up first, e.g. gdalwarp -r bilinear in.tif out.tif"


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
