"""Which files Twinscape opens, decided by name (open dialogs, drag-and-drop, CLI)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from twinscape.model.errors import NoReaderError

#: Suffix of project files.
PROJECT_SUFFIX = ".toml"

#: Elevation raster suffixes (lower case) that GDAL, as shipped with rasterio, reads.
DEM_EXTENSIONS: tuple[str, ...] = (
    ".tif",  # GeoTIFF / COG
    ".tiff",
    ".vrt",  # GDAL virtual raster (mosaics of tiles)
    ".hgt",  # SRTM
    ".hgt.zip",  # SRTM tiles as downloaded
    ".asc",  # ESRI ASCII grid
    ".img",  # ERDAS Imagine
    ".dt0",  # DTED levels 0-2
    ".dt1",
    ".dt2",
    ".dem",  # USGS DEM
    ".bil",  # ESRI BIL / EHdr (needs the .hdr beside it)
    ".flt",
    ".sdat",  # SAGA grid
    ".nc",  # netCDF (e.g. GEBCO bathymetry)
)

#: Filter string for a Qt file dialog listing elevation rasters.
DEM_FILE_FILTER = "Elevation rasters ({})".format(" ".join(f"*{ext}" for ext in DEM_EXTENSIONS))

#: Filter string for a Qt file dialog listing project files.
PROJECT_FILE_FILTER = f"Twinscape projects (*{PROJECT_SUFFIX})"

_HINT = "open a project (.toml) or add a DEM raster (GeoTIFF, VRT, SRTM .hgt, ESRI ASCII .asc)"

PathKind = Literal["project", "dem"]


def is_project_path(path: str | os.PathLike[str]) -> bool:
    """True when the name ends in :data:`PROJECT_SUFFIX` (any case)."""
    return Path(path).name.lower().endswith(PROJECT_SUFFIX)


def is_dem_path(path: str | os.PathLike[str]) -> bool:
    """True when the name ends in one of :data:`DEM_EXTENSIONS` (any case)."""
    name = Path(path).name.lower()
    return any(name.endswith(ext) for ext in DEM_EXTENSIONS)


def classify_path(path: str | os.PathLike[str]) -> PathKind:
    """Say what a path is by its name: ``"project"`` or ``"dem"``.

    The file is not opened, so a ``"dem"`` may still fail to read.

    Raises
    ------
    NoReaderError
        For any other kind of file, with a hint listing what can be opened.
    """
    if is_project_path(path):
        return "project"
    if is_dem_path(path):
        return "dem"
    raise NoReaderError(path, "not a file Twinscape can open", hint=_HINT)
