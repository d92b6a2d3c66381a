"""Read what an image file is: an orthophoto or satellite picture to drape on the terrain.

:func:`read_imagery` opens a colour raster (GeoTIFF/COG, VRT, JPEG 2000, anything GDAL
reads), decides how its bands become colours (three bands of red, green and blue; one
paletted band; one grey band), where transparency comes from (alpha band, mask band,
nodata value), its footprint in the project CRS and, for bands wider than 8 bits, the
stretch that maps them to 0..255. It reads a small preview only (at most
:data:`PREVIEW_PIXELS` a side, from the overviews when the file has them) to measure
that stretch and to find a truncated or corrupt file at load time rather than when it
is painted. The pixels themselves are read at the resolution of the grid they are
painted on (io/imagery_warp.py).

:func:`looks_like_imagery` is the format sniff the terrain and imagery kinds share: a
multi-band 8-bit raster, or one whose bands say they are red, green, blue or palette.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from rasterio.enums import ColorInterp, MaskFlags, Resampling
from rasterio.errors import CRSError as RasterioCRSError
from rasterio.errors import NotGeoreferencedWarning, RasterioError
from rasterio.warp import transform_bounds

from twinscape.geo.crs import crs_label, horizontal_crs, normalize_crs
from twinscape.io.file_checks import check_regular_file, read_head
from twinscape.io.progress import Cancelled, Progress, ProgressReporter
from twinscape.io.reader_crs import file_crs, pick_target_crs
from twinscape.model.errors import CRSError, ReaderError
from twinscape.model.imagery import ImageInfo

try:  # GDAL's own errors; rasterio keeps them in a private module
    from rasterio._err import CPLE_BaseError
except ImportError:  # pragma: no cover
    CPLE_BaseError = RasterioError

GDAL_ERRORS = (RasterioError, CPLE_BaseError, RasterioCRSError)
#: Longest side of the preview read at load time (stretch, and a check of the pixels).
PREVIEW_PIXELS = 1024
#: Band types stretched to 8 bits (percentiles of the preview).
STRETCHED_TYPES = ("uint16", "int16", "uint32", "int32")
#: Pixels above which an image without overviews is warned about (each paint reads it all).
OVERVIEW_WARN_PIXELS = 4096 * 4096
#: Percentiles of the preview a wide band's stretch spans.
STRETCH_PERCENTILES = (2.0, 98.0)
READ_PROBLEM = "reading failed; the file may be truncated or corrupt"
_IMAGE_HINT = "add an RGB(A), paletted or grey image (GeoTIFF, COG, VRT, JPEG 2000)"
_NO_CRS_HINT = (
    "set one with gdal_edit.py -a_srs EPSG:xxxx, or give its layer "
    'assume_crs = "EPSG:xxxx" in the project file'
)
_COLOURS = {ColorInterp.red, ColorInterp.green, ColorInterp.blue, ColorInterp.palette}


@dataclass(frozen=True)
class ImageryResult:
    """An image file read for a project: what it is, in which CRS, and notes for the user."""

    info: ImageInfo
    target_crs: str
    warnings: tuple[str, ...] = ()


@contextmanager
def gdal_errors(path: Path, problem: str, hint: str | None = None) -> Iterator[None]:
    """Turn GDAL/rasterio exceptions into a one-line :class:`ReaderError` naming ``path``."""
    try:
        yield
    except GDAL_ERRORS as err:
        raise ReaderError(path, f"{problem}: {gdal_message(err, path)}", hint=hint) from err


def gdal_message(err: BaseException, path: Path) -> str:
    """The most specific message of an exception chain, on one line, naming only the file."""
    messages, current = [], err
    while current is not None and len(messages) < 10:
        messages.append(" ".join(str(current).split()))
        current = current.__cause__ or current.__context__
    specific = [m for m in messages if m and "see previous exception" not in m.lower()]
    message = (specific or messages)[-1] or type(err).__name__
    return message.replace(str(path), path.name).rstrip(".")


@contextmanager
def open_image(path: Path) -> Iterator[rasterio.DatasetReader]:
    """Open a regular file with GDAL, every failure a one-line :class:`ReaderError`."""
    check_regular_file(path, hint=_IMAGE_HINT)
    with warnings.catch_warnings():  # we say ourselves when a raster has no geotransform
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with gdal_errors(path, "GDAL cannot read it as a raster", _IMAGE_HINT):
            src = rasterio.open(path)
        with src:
            yield src


def looks_like_imagery(path: str | os.PathLike[str]) -> bool:
    """True for a raster whose format says it is a picture, not elevations (a cheap peek).

    A raster of three or more 8-bit bands, or one whose bands are red, green, blue or
    palette by their colour interpretation, is imagery; anything unreadable is not.
    """
    if read_head(path, 8) is None:  # not a regular file: never hand it to GDAL
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with rasterio.open(path) as src:
                if src.count >= 3 and src.dtypes[0] == "uint8":
                    return True
                return any(ci in _COLOURS for ci in src.colorinterp)
    except Exception:  # noqa: BLE001 - a sniff answers no, the reader says why
        return False


def colour_bands(src: rasterio.DatasetReader, path: Path) -> tuple[str, tuple[int, ...]]:
    """``(mode, bands)``: how the file's bands become colours (see ImageInfo).

    Raises
    ------
    ReaderError
        No bands, a single band of elevations (float), or a band type that holds no colours.
    """
    interp, dtype = src.colorinterp, src.dtypes[0]
    if src.count < 1:
        raise ReaderError(path, "has no raster bands")
    if interp[0] == ColorInterp.palette and dtype in ("uint8", "uint16"):
        return "palette", (1,)
    if src.count < 3:
        if dtype == "uint8":
            return "gray", (1,)
        raise ReaderError(
            path,
            f"holds {src.count} band(s) of {dtype} values, not colours: it looks like a DEM",
            hint="add it as terrain, or give an RGB(A) or paletted image",
        )
    if dtype != "uint8" and dtype not in STRETCHED_TYPES:
        raise ReaderError(
            path,
            f"its bands hold {dtype} values, which Twinscape does not show as colours",
            hint="convert it to 8 bits, e.g. gdal_translate -ot Byte -scale in.tif out.tif",
        )
    where = {ci: i + 1 for i, ci in reversed(list(enumerate(interp)))}
    rgb = (ColorInterp.red, ColorInterp.green, ColorInterp.blue)
    bands = tuple(where[ci] for ci in rgb) if all(ci in where for ci in rgb) else (1, 2, 3)
    return "rgb", bands


def transparency(src: rasterio.DatasetReader, band: int) -> str:
    """Where see-through pixels of ``band`` come from, in words."""
    flags = src.mask_flag_enums[band - 1]
    if MaskFlags.alpha in flags:
        return "alpha band"
    if MaskFlags.per_dataset in flags:
        return "mask band"
    if MaskFlags.nodata in flags:
        return "nodata value"
    return "none"


def read_imagery(
    path: str | os.PathLike[str],
    *,
    target_crs: str | None = None,
    assume_crs: str | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> ImageryResult:
    """What the image at ``path`` is, with its footprint in ``target_crs``.

    Parameters
    ----------
    target_crs
        The project CRS (projected, metres); None picks the UTM zone of the image centre.
    assume_crs
        CRS of a file that states none (ignored when the file has one).
    progress, cancelled
        Report 0..1; polled, True raises :class:`~twinscape.model.errors.LoadCancelled`.

    Raises
    ------
    ReaderError
        Missing, non-regular, unreadable, truncated or non-georeferenced file; bands
        that are no colours (a single float band is a DEM).
    CRSError
        No usable CRS (:class:`~twinscape.model.errors.MissingCRSError` when none), or
        a footprint that does not fit in the target CRS.
    """
    path = Path(path)
    reporter = ProgressReporter(path, progress, cancelled)
    reporter.step(0.0)
    info = check_regular_file(path, hint=_IMAGE_HINT)
    with open_image(path) as src:
        mode, bands = colour_bands(src, path)
        _check_georeferencing(src, path)
        source = file_crs(path, src.crs, assume_crs, hint=_NO_CRS_HINT)
        flat = normalize_crs(horizontal_crs(source))
        extent = _extent(src)
        centre = ((extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2)
        target = pick_target_crs(path, flat, target_crs, lambda: centre)
        bounds = _bounds_in(path, flat, target, extent)
        reporter.step(0.2)
        palette = _palette(src, path) if mode == "palette" else None
        with gdal_errors(path, READ_PROBLEM, "export or download it again"):
            preview = _preview(src, bands)
        reporter.step(0.9)
        stretch = _stretch(preview, src.dataset_mask) if src.dtypes[0] in STRETCHED_TYPES else None
        if mode == "palette":
            stretch = None
        area = (bounds[2] - bounds[0]) * (bounds[3] - bounds[1])
        image = ImageInfo(
            shape=(src.height, src.width),
            mode=mode,
            bands=bands,
            dtype=src.dtypes[0],
            source_crs=flat,
            bounds=bounds,
            resolution=math.sqrt(area / (src.height * src.width)),
            stretch=stretch,
            palette=palette,
            transparency=transparency(src, bands[0]),
            overviews=tuple(src.overviews(bands[0])),
            stamp=(info.st_mtime_ns, info.st_size),
        )
    notes = []
    if not image.overviews and image.shape[0] * image.shape[1] > OVERVIEW_WARN_PIXELS:
        notes.append(
            f"{path}: {image.shape[1]} x {image.shape[0]} pixels and no overviews: drawing it "
            f"zoomed out reads every pixel; build them with gdaladdo -r average {path.name}"
        )
    if stretch is not None:
        ranges = ", ".join(f"{lo:g}..{hi:g}" for lo, hi in stretch)
        notes.append(f"{path}: {image.dtype} bands stretched to 8 bits over {ranges}")
    reporter.report(1.0)
    return ImageryResult(info=image, target_crs=target, warnings=tuple(notes))


def _check_georeferencing(src: rasterio.DatasetReader, path: Path) -> None:
    """Reject rasters without a usable north-up geotransform."""
    transform = src.transform
    if transform.is_identity:
        raise ReaderError(
            path,
            "is not georeferenced (no geotransform)",
            hint="georeference it, e.g. gdal_translate -a_ullr ... -a_srs ...",
        )
    if transform.b != 0 or transform.d != 0:
        raise ReaderError(
            path,
            "has a rotated or sheared geotransform",
            hint="make it north-up first, e.g. gdalwarp in.tif out.tif",
        )


def _extent(src: rasterio.DatasetReader) -> tuple[float, float, float, float]:
    """(left, bottom, right, top) with left < right and bottom < top, however rows run."""
    (x0, y0), (x1, y1) = src.transform @ (0, 0), src.transform @ (src.width, src.height)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _bounds_in(
    path: Path, source: str, target: str, extent: tuple[float, float, float, float]
) -> tuple[float, float, float, float]:
    """The image's extent in ``target`` (densified edges), finite or a :class:`CRSError`."""
    try:
        bounds = transform_bounds(source, target, *extent, densify_pts=21)
    except GDAL_ERRORS as err:
        raise CRSError(
            path, f"cannot reproject from {crs_label(source)} to {crs_label(target)}: {err}"
        ) from err
    if not all(math.isfinite(v) for v in bounds) or bounds[2] <= bounds[0]:
        raise CRSError(path, f"its extent does not fit in {crs_label(target)}")
    return tuple(float(v) for v in bounds)  # type: ignore[return-value]


def _palette(src: rasterio.DatasetReader, path: Path) -> tuple[tuple[int, int, int, int], ...]:
    """The colour table of band 1 as RGBA per index (missing entries transparent)."""
    with gdal_errors(path, "its colour table cannot be read"):
        table = src.colormap(1)
    size = 256 if src.dtypes[0] == "uint8" else max(table, default=0) + 1
    return tuple(tuple(int(v) for v in table.get(i, (0, 0, 0, 0))) for i in range(size))  # type: ignore[misc]


def _preview(src: rasterio.DatasetReader, bands: tuple[int, ...]) -> np.ndarray:
    """The bands at most :data:`PREVIEW_PIXELS` a side (overviews when the file has them)."""
    scale = max(1.0, max(src.height, src.width) / PREVIEW_PIXELS)
    shape = (len(bands), max(1, round(src.height / scale)), max(1, round(src.width / scale)))
    return src.read(list(bands), out_shape=shape, resampling=Resampling.nearest)


def _stretch(preview: np.ndarray, dataset_mask: object) -> tuple[tuple[float, float], ...]:
    """(low, high) per band at :data:`STRETCH_PERCENTILES` of the preview's valid pixels."""
    mask = dataset_mask(out_shape=preview.shape[1:])  # type: ignore[operator]
    valid = mask > 0
    ranges = []
    for band in preview:
        values = band[valid] if valid.any() else band.ravel()
        low, high = (float(v) for v in np.percentile(values, STRETCH_PERCENTILES))
        ranges.append((low, high if high > low else low + 1.0))
    return tuple(ranges)
