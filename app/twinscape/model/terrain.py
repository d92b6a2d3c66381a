"""Terrain layers: a DEM shown as a 3D surface."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

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
