"""A DEM read at full resolution, one window at a time, on its own cells and CRS.

Analyses of a DEM too large to hold in memory (``twinscape analyze``) read only the
windows they need: the cells a profile line crosses, a pad's polygon, or the whole file
block by block. :func:`open_dem_full` checks the file as
:func:`~twinscape.io.analysis_rasters.read_dem_native` does (the same one-line errors)
but reads nothing up front and builds no overviews; :meth:`FullResDem.read` returns the
cells that :func:`~twinscape.io.analysis_rasters.read_dem_native` would hold there
(NaN = nodata, heights in metres). :func:`blocks` cuts a grid into windows.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from affine import Affine

from twinscape.geo.crs import horizontal_crs, normalize_crs, same_crs
from twinscape.io.analysis_rasters import native_crs
from twinscape.io.dem_grid import _warp_grid
from twinscape.io.dem_source import DemSource, open_checked
from twinscape.io.reader_crs import file_crs
from twinscape.io.vertical import VerticalUnits, vertical_units
from twinscape.model.raster import RasterGrid

_NO_CRS_HINT = "set one with gdal_edit.py -a_srs EPSG:xxxx"

#: (row0, row1, col0, col1): a half-open range of cells.
Cells = tuple[int, int, int, int]


class FullResDem:
    """Band 1 of a DEM read window by window at full resolution (level 0 of a DemSource).

    Attributes
    ----------
    path
        The file.
    crs
        Its own (horizontal, metric) CRS, normalised.
    transform
        North-up transform of its cells.
    shape
        (rows, cols).
    """

    def __init__(self, source: DemSource, vertical: VerticalUnits) -> None:
        self._source, self._vertical = source, vertical
        self.path, self.crs = source.path, source.crs
        self.transform, self.shape = source.transform, source.shape

    @property
    def resolution(self) -> tuple[float, float]:
        """Cell size (x, y) in metres."""
        return self._source.resolution

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north)."""
        return self._source.bounds

    def read(self, cells: Cells) -> np.ndarray:
        """float32 elevations of ``cells`` (NaN = nodata or outside the DEM)."""
        r0, r1, c0, c1 = cells
        values = self._source.read(0, r0, c0, r1 - r0, c1 - c0)
        self._vertical.apply(values)
        return values

    def grid(self, cells: Cells) -> RasterGrid:
        """The elevations of ``cells`` as a grid on the DEM's own cells."""
        r0, _, c0, _ = cells
        transform = self.transform @ Affine.translation(c0, r0)
        return RasterGrid(values=self.read(cells), transform=tuple(transform)[:6], crs=self.crs)

    def cells_of(self, bounds: tuple[float, float, float, float], margin: int = 0) -> Cells | None:
        """Cells that ``bounds`` (west, south, east, north) touch, plus ``margin`` cells.

        Clipped to the DEM; None when ``bounds`` lie wholly outside it.
        """
        west, south, east, north = bounds
        inverse = ~self.transform
        cw, rn = inverse @ (west, north)
        ce, rs = inverse @ (east, south)
        rows, cols = self.shape
        r0, r1 = max(math.floor(rn) - margin, 0), min(math.ceil(rs) + margin, rows)
        c0, c1 = max(math.floor(cw) - margin, 0), min(math.ceil(ce) + margin, cols)
        if r0 >= r1 or c0 >= c1:
            return None
        return r0, r1, c0, c1

    def close(self) -> None:
        """Close the file."""
        self._source.close()


def open_dem_full(path: str | os.PathLike[str]) -> FullResDem:
    """Check a DEM and open it for full-resolution window reads in its own CRS.

    Raises
    ------
    ReaderError, CRSError
        As :func:`~twinscape.io.analysis_rasters.read_dem_native`.
    """
    path = Path(path)
    target = native_crs(path)
    with open_checked(path) as src:
        source = file_crs(path, src.crs, None, hint=_NO_CRS_HINT)
        flat = normalize_crs(horizontal_crs(source))
        assert target is not None  # the file has a CRS: native_crs returned it
        warp = not same_crs(flat, target) or src.transform.a < 0 or src.transform.e > 0
        if warp:
            transform, height, width = _warp_grid(src, path, flat, target, None)
        else:
            transform, height, width = src.transform, src.height, src.width
        vertical = vertical_units(path, src.crs, src.units[0])
        dem = DemSource(
            path, path, source, target, transform if warp else None, (height, width),
            transform, (src.scales[0], src.offsets[0]), src.nodata,
        )  # fmt: skip
    return FullResDem(dem, vertical)


def blocks(shape: tuple[int, int], side: int) -> Iterator[Cells]:
    """Windows of at most ``side`` x ``side`` cells covering ``shape``, row by row."""
    rows, cols = shape
    for r0 in range(0, rows, side):
        for c0 in range(0, cols, side):
            yield r0, min(r0 + side, rows), c0, min(c0 + side, cols)
