"""Terrain layers: a DEM shown as a 3D surface, held in memory or read from its file on demand."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Protocol

from psygnal import evented

from twinscape.model.layers import Layer
from twinscape.model.raster import RasterGrid
from twinscape.model.style import TerrainStyle


@evented
@dataclass(kw_only=True, eq=False)
class TerrainLayer(Layer):
    """A DEM shown as a 3D surface.

    Parameters
    ----------
    source
        Absolute path of the raster file (relative paths live only in project files).
    style
        Colour ramp, hillshade and exaggeration.
    grid
        The elevation grid reprojected to the project CRS, once loaded.
    source_crs
        The CRS the file was in before reprojection (for information).
    assume_crs
        CRS to assume when the file states none (saved in the project).
    """

    kind: ClassVar[str] = "terrain"
    provides_ground: ClassVar[bool] = True
    data_fields: ClassVar[tuple[str, ...]] = ("grid", "source_crs")

    source: Path
    style: TerrainStyle = field(default_factory=TerrainStyle)
    grid: RasterGrid | None = None
    source_crs: str | None = None
    assume_crs: str | None = None

    @property
    def cell_size_m(self) -> float | None:
        """Cell size of the terrain's data in metres (square root of the cell area).

        What decides which of overlapping terrains is finer; None until loaded.
        """
        if self.grid is None:
            return None
        dx, dy = self.grid.resolution
        return math.sqrt(abs(dx * dy))

    def describe(self) -> list[str]:
        """Source, CRS and grid size."""
        lines = [f"Source: {self.source}"]
        if self.source_crs:
            lines.append(f"Source CRS: {self.source_crs}")
        if self.grid is None:
            lines.append("Not loaded")
        else:
            rows, cols = self.grid.shape
            rx, ry = self.grid.resolution
            lines.append(f"{cols} \u00d7 {rows} cells at {rx:g} \u00d7 {ry:g} m")
            lines.append(f"Heights: {self.grid.heights.describe()}")
            found = self.grid.value_range()
            if found is not None and found.spikes:
                lines.append(
                    f"{found.spikes} spike cell(s) from {found.minimum:.3g} to "
                    f"{found.maximum:.3g} m, outside the colour range "
                    f"{found.low:.6g}..{found.high:.6g} m"
                )
        return lines

    def identify(self, row: int | None, point: tuple[float, float, float]) -> dict[str, object]:
        """The source and its resolution (the inspector adds the point and its elevation)."""
        info: dict[str, object] = {"source": str(self.source)}
        if self.grid is not None:
            info["cell size (m)"] = "{:g} \u00d7 {:g}".format(*self.grid.resolution)
        return info

    @property
    def bounds(self) -> tuple[float, float, float, float] | None:
        """Bounds of the loaded grid in the project CRS."""
        return None if self.grid is None else self.grid.bounds

    @property
    def loaded(self) -> bool:
        """True once the grid is in memory."""
        return self.grid is not None


class ElevationSource(Protocol):
    """A DEM read from its file on demand, in the project CRS (see io/dem_source.py)."""

    shape: tuple[int, int]

    @property
    def resolution(self) -> tuple[float, float]:
        """Cell size (x, y) at full resolution, metres."""

    def sample(self, x: float, y: float) -> float:
        """Elevation at a project-CRS point at full resolution (NaN off the data)."""


@evented
@dataclass(kw_only=True, eq=False)
class PagedTerrainLayer(TerrainLayer):
    """A terrain too large for memory: drawn and sampled from its file on demand.

    Parameters
    ----------
    dem
        The file read on demand at any level of detail, once loaded.
    grid
        An overview of the DEM in memory (coarser than the file), for what needs a whole
        grid: ground under other layers, analyses, colour ranges.
    """

    data_fields: ClassVar[tuple[str, ...]] = ("dem", "grid", "source_crs")

    dem: ElevationSource | None = None

    def describe(self) -> list[str]:
        """Source, CRS, the file's own grid and the overview held in memory."""
        lines = super().describe()
        if self.dem is not None and self.grid is not None:
            rows, cols = self.dem.shape
            rx, ry = self.dem.resolution
            at = next(i for i, line in enumerate(lines) if " cells at " in line)
            lines[at] = "Overview in memory: " + lines[at]
            lines.insert(
                at, f"{cols} \u00d7 {rows} cells at {rx:g} \u00d7 {ry:g} m, read on demand"
            )
        return lines

    @property
    def cell_size_m(self) -> float | None:
        """Cell size of the file (not of the overview in memory), metres."""
        if self.dem is None:
            return None
        dx, dy = self.dem.resolution
        return math.sqrt(abs(dx * dy))

    def elevation_at(self, x: float, y: float) -> float:
        """Elevation at project-CRS point (x, y) at the file's full resolution (NaN off it)."""
        if self.dem is None:
            return float("nan")
        return float(self.dem.sample(x, y))

    @property
    def loaded(self) -> bool:
        """True once the file is open and its overview in memory."""
        return self.grid is not None and self.dem is not None
