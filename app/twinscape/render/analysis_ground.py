"""The grid an analysis is computed on when its terrain is read from its file on demand.

An in-memory terrain is analysed on its own grid. A DEM too large to hold (a layer with a
``dem`` source, see :class:`~twinscape.model.terrain.PagedTerrainLayer`) is analysed on a
:class:`DemWindow`: the part of the DEM the analysis needs (a viewshed: its observer's
reach; coverage: every observer's; slope, aspect and solar suitability: the whole DEM),
at the finest pyramid level of the file whose window holds at most
:data:`MAX_ANALYSIS_CELLS` cells; so a viewshed of a few kilometres runs at full
resolution, and an analysis of a whole 16384 x 16384 DEM at 4096 x 4096. The window is
chosen on the GUI thread (arithmetic only) and read when the analysis first needs it, on
the worker that computes it.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from typing import Any

from affine import Affine

from twinscape.model.raster import RasterGrid

#: Cells of the largest window an analysis reads (float32: 64 MiB).
MAX_ANALYSIS_CELLS = 1 << 24


class DemWindow:
    """A window of a paged DEM at one pyramid level, read once when first needed.

    Equal windows (same source, level and cells) are one computation key.
    """

    def __init__(self, dem: Any, level: int, row: int, col: int, rows: int, cols: int) -> None:
        self.dem, self.level = dem, level
        self.row, self.col, self.rows, self.cols = row, col, rows, cols
        self._grid: RasterGrid | None = None
        self._lock = threading.Lock()

    @property
    def _key(self) -> tuple[Any, ...]:
        return (id(self.dem), self.level, self.row, self.col, self.rows, self.cols)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DemWindow) and other._key == self._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __repr__(self) -> str:
        return (
            f"DemWindow(level={self.level}, rows {self.row}..{self.row + self.rows}, "
            f"cols {self.col}..{self.col + self.cols})"
        )

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols) of the window."""
        return self.rows, self.cols

    def grid(self) -> RasterGrid:
        """The window's elevations (read from the file the first time; any thread)."""
        with self._lock:
            if self._grid is None:
                values = self.dem.read(self.level, self.row, self.col, self.rows, self.cols)
                transform = self.dem.level_transform(self.level) @ Affine.translation(
                    self.col, self.row
                )
                self._grid = RasterGrid(
                    values=values, transform=tuple(transform)[:6], crs=self.dem.crs
                )
            return self._grid


def dem_window(
    dem: Any,
    bounds: tuple[float, float, float, float] | None = None,
    *,
    max_cells: int = MAX_ANALYSIS_CELLS,
) -> DemWindow:
    """The window of ``dem`` over ``bounds`` (west, south, east, north; None: all of it).

    The finest pyramid level whose window holds at most ``max_cells`` cells; the window is
    clipped to the DEM.
    """
    level = 0
    while True:
        rows, cols = dem.level_shape(level)
        if bounds is None:
            r0, c0, r1, c1 = 0, 0, rows, cols
        else:
            inverse = ~dem.level_transform(level)
            west, south, east, north = bounds
            cw, rn = inverse @ (west, north)
            ce, rs = inverse @ (east, south)
            r0, r1 = max(math.floor(rn), 0), min(math.ceil(rs), rows)
            c0, c1 = max(math.floor(cw), 0), min(math.ceil(ce), cols)
        if (r1 - r0) * (c1 - c0) <= max_cells or (rows <= 1 and cols <= 1):
            return DemWindow(dem, level, r0, c0, max(r1 - r0, 1), max(c1 - c0, 1))
        level += 1


def reach_bounds(
    observers: Sequence[tuple[float, float, float]], radius: float
) -> tuple[float, float, float, float]:
    """(west, south, east, north) of every observer's reach."""
    xs = [o[0] for o in observers]
    ys = [o[1] for o in observers]
    return min(xs) - radius, min(ys) - radius, max(xs) + radius, max(ys) + radius
