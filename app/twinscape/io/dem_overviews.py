"""Overviews of a DEM that has none, built once into a cache folder (as QGIS builds pyramids).

The cache of one file is a folder named after its path, size and modification time.
It holds ``dem.vrt``, a float32 VRT of band 1 of the file (nodata made NaN, scale and
offset applied by GDAL) whose ``<Overview>`` elements point at ``level<k>.tif``: the
file averaged over blocks of ``2**k`` x ``2**k`` cells (NaN cells left out), each level
made from the one before it, strip by strip, with progress and cancel. The VRT is
written last, under a temporary name renamed into place, so a cache folder holding
``dem.vrt`` is complete; GDAL then uses the levels for decimated reads of the VRT as it
would a file's own overviews.
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import rasterio
from affine import Affine
from rasterio.windows import Window

from twinscape.io.progress import Cancelled, Progress, ProgressReporter

#: Levels are built until the coarsest is at most this many cells a side.
SMALLEST_SIDE = 256
#: Rows of the finer level read per strip while averaging (even).
_STRIP_ROWS = 512
_LEVEL_PROFILE = {
    "driver": "GTiff", "dtype": "float32", "count": 1, "nodata": float("nan"),
    "tiled": True, "blockxsize": 256, "blockysize": 256,
    "compress": "deflate", "predictor": 3, "bigtiff": "if_safer",
}  # fmt: skip


def cache_root() -> Path:
    """Where overview caches live: ``$TWINSCAPE_CACHE_DIR`` or the user cache folder."""
    folder = os.environ.get("TWINSCAPE_CACHE_DIR")
    if folder:
        return Path(folder) / "overviews"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("twinscape")) / "overviews"


def cache_folder(path: Path, root: Path | None = None) -> Path:
    """The cache folder of ``path`` as it is now (another size or time: another folder)."""
    stat = path.stat()
    key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    digest = hashlib.sha1(key.encode("utf-8"), usedforsecurity=False).hexdigest()[:20]
    return (root or cache_root()) / f"{path.stem[:40]}-{digest}"


def cached_vrt(path: Path, root: Path | None = None) -> Path | None:
    """The complete cached VRT with overviews of ``path``, or None when not built."""
    vrt = cache_folder(path, root) / "dem.vrt"
    return vrt if vrt.is_file() else None


def build_overview_cache(
    path: Path,
    src: rasterio.DatasetReader,
    *,
    root: Path | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> Path:
    """Build the cached VRT with averaged overview levels of band 1 of ``src`` (open ``path``).

    Returns the VRT's path. Raises :class:`~twinscape.model.errors.LoadCancelled` when
    ``cancelled()`` (the partial folder is removed); GDAL errors propagate.
    """
    folder = cache_folder(path, root)
    reporter = ProgressReporter(path, progress, cancelled)
    folder.mkdir(parents=True, exist_ok=True)
    base = folder / "base.vrt"
    base.write_text(_vrt_xml(path, src, []), encoding="utf-8")
    sizes = _level_sizes(src.height, src.width)
    total = sum(h * w for h, w in [(src.height, src.width), *sizes[:-1]]) or 1
    done = 0
    levels: list[Path] = []
    try:
        finer = base
        for k, (h, w) in enumerate(sizes, start=1):
            out = folder / f"level{k}.tif"
            with rasterio.open(finer) as fine:
                cells = fine.height * fine.width
                span = reporter.span(done / total, (done + cells) / total)
                _average_level(fine, out, h, w, ProgressReporter(path, span, cancelled))
            done += cells
            levels.append(out)
            finer = out
        tmp = folder / "dem.vrt.tmp"
        tmp.write_text(_vrt_xml(path, src, levels), encoding="utf-8")
        tmp.replace(folder / "dem.vrt")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    reporter.report(1.0)
    return folder / "dem.vrt"


def _level_sizes(height: int, width: int) -> list[tuple[int, int]]:
    """(rows, cols) of each overview level, halving until :data:`SMALLEST_SIDE`."""
    sizes = []
    while max(height, width) > SMALLEST_SIDE:
        height, width = math.ceil(height / 2), math.ceil(width / 2)
        sizes.append((height, width))
    return sizes


def _average_level(
    fine: rasterio.DatasetReader, out: Path, height: int, width: int, reporter: ProgressReporter
) -> None:
    """Write ``out``: ``fine`` averaged over 2 x 2 cells (NaN left out), strip by strip."""
    profile = dict(
        _LEVEL_PROFILE, height=height, width=width, crs=fine.crs,
        transform=fine.transform @ Affine.scale(fine.width / width, fine.height / height),
    )  # fmt: skip
    if max(height, width) < 256:
        profile.update(tiled=False, blockxsize=None, blockysize=None)
        profile = {k: v for k, v in profile.items() if v is not None}
    with rasterio.open(out, "w", **profile) as dst:
        for row in range(0, fine.height, _STRIP_ROWS):
            reporter.check()
            rows = min(_STRIP_ROWS, fine.height - row)
            block = fine.read(1, window=Window(0, row, fine.width, rows), out_dtype="float32")
            half = _halve(block)
            dst.write(half, 1, window=Window(0, row // 2, half.shape[1], half.shape[0]))
            reporter.report((row + rows) / fine.height)


def _halve(block: np.ndarray) -> np.ndarray:
    """Mean of every 2 x 2 cells of ``block`` (odd edges padded), NaN cells left out."""
    rows, cols = block.shape
    padded = np.full((rows + rows % 2, cols + cols % 2), np.nan, np.float32)
    padded[:rows, :cols] = block
    quads = padded.reshape(padded.shape[0] // 2, 2, padded.shape[1] // 2, 2)
    finite = np.isfinite(quads)
    count = finite.sum(axis=(1, 3))
    total = np.where(finite, quads, 0.0).sum(axis=(1, 3), dtype=np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan).astype(np.float32)


def _vrt_xml(path: Path, src: rasterio.DatasetReader, levels: list[Path]) -> str:
    """A float32 VRT of band 1 of ``src``: nodata NaN, scale and offset applied, ``levels``."""
    nodata = src.nodata
    source_nodata = "" if nodata is None else f"<NODATA>{nodata!r}</NODATA>"
    scale, offset = src.scales[0], src.offsets[0]
    scaling = ""
    if scale != 1.0 or offset != 0.0:
        scaling = f"<ScaleOffset>{offset!r}</ScaleOffset><ScaleRatio>{scale!r}</ScaleRatio>"
    srs = f"<SRS>{escape(src.crs.to_wkt())}</SRS>" if src.crs else ""
    gt = ", ".join(repr(v) for v in src.transform.to_gdal())
    overviews = "".join(
        f'<Overview><SourceFilename relativeToVRT="1">{escape(level.name)}</SourceFilename>'
        "<SourceBand>1</SourceBand></Overview>"
        for level in levels
    )
    return (
        f'<VRTDataset rasterXSize="{src.width}" rasterYSize="{src.height}">{srs}'
        f"<GeoTransform>{gt}</GeoTransform>"
        '<VRTRasterBand dataType="Float32" band="1"><NoDataValue>nan</NoDataValue>'
        f'<ComplexSource><SourceFilename relativeToVRT="0">{escape(str(path.resolve()))}'
        f"</SourceFilename><SourceBand>1</SourceBand>{source_nodata}{scaling}</ComplexSource>"
        f"{overviews}</VRTRasterBand></VRTDataset>\n"
    )
