"""Layers of a project. A layer is data plus how to show it; never a view."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

from psygnal import evented

from twinscape.model.raster import RasterGrid
from twinscape.model.style import TerrainStyle


def _new_id() -> str:
    return uuid.uuid4().hex[:12]


@evented
@dataclass(kw_only=True, eq=False)
class Layer:
    """Fields every layer has.

    Parameters
    ----------
    name
        Shown in the layer tree.
    visible
        Drawn or not.
    opacity
        0 (invisible) to 1 (opaque).
    id
        Stable identity within the project (saved).
    """

    name: str
    visible: bool = True
    opacity: float = 1.0
    id: str = field(default_factory=_new_id)

    @property
    def kind(self) -> str:
        """Short name of the layer kind, as written in project files."""
        raise NotImplementedError(f"{type(self).__name__} does not define its kind")

    @property
    def bounds(self) -> tuple[float, float, float, float] | None:
        """(xmin, ymin, xmax, ymax) in the project CRS, or None when not loaded."""
        return None


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

    source: Path
    style: TerrainStyle = field(default_factory=TerrainStyle)
    grid: RasterGrid | None = None
    source_crs: str | None = None
    assume_crs: str | None = None

    @property
    def kind(self) -> str:
        """``"terrain"``."""
        return "terrain"

    @property
    def bounds(self) -> tuple[float, float, float, float] | None:
        """Bounds of the loaded grid in the project CRS."""
        return None if self.grid is None else self.grid.bounds

    @property
    def loaded(self) -> bool:
        """True once the grid is in memory."""
        return self.grid is not None
