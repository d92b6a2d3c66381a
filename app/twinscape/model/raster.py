"""A terrain grid held in memory, already in the project CRS."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class RasterGrid:
    """Elevation samples on a regular north-up grid.

    Parameters
    ----------
    values
        2-D float32 array (rows, cols), row 0 is the northern edge. Nodata is NaN.
    transform
        GDAL-style affine ``(a, b, c, d, e, f)``: ``x = a*col + b*row + c``,
        ``y = d*col + e*row + f`` for pixel corners. ``b`` and ``d`` are 0.
    crs
        CRS of the coordinates, e.g. ``"EPSG:32636"``.
    """

    values: np.ndarray
    transform: tuple[float, float, float, float, float, float]
    crs: str

    def __post_init__(self) -> None:
        if self.values.ndim != 2:
            raise ValueError(f"RasterGrid needs a 2-D array, got shape {self.values.shape}")
        a, b, _, d, e, _ = self.transform
        if b != 0 or d != 0 or a <= 0 or e >= 0:
            raise ValueError(f"RasterGrid needs a north-up transform, got {self.transform}")

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols)."""
        return self.values.shape  # type: ignore[return-value]

    @property
    def resolution(self) -> tuple[float, float]:
        """Cell size (x, y) in CRS units, both positive."""
        return self.transform[0], -self.transform[4]

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) of the cell edges."""
        a, _, c, _, e, f = self.transform
        rows, cols = self.shape
        return c, f + e * rows, c + a * cols, f

    def cell_centers(self) -> tuple[np.ndarray, np.ndarray]:
        """1-D x coordinates of column centres and y coordinates of row centres."""
        a, _, c, _, e, f = self.transform
        rows, cols = self.shape
        return c + a * (np.arange(cols) + 0.5), f + e * (np.arange(rows) + 0.5)

    def elevation_range(self) -> tuple[float, float]:
        """(min, max) of the valid samples; raises ValueError when all are nodata."""
        finite = self.values[np.isfinite(self.values)]
        if finite.size == 0:
            raise ValueError("grid has no valid samples")
        return float(finite.min()), float(finite.max())
