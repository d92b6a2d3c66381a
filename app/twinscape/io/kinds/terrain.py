"""The terrain kind: DEM rasters (anything GDAL reads) drawn as a tiled 3D surface."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from twinscape.io.dem import DemResult, read_dem
from twinscape.io.dem_source import pageable_cells, read_paged
from twinscape.io.imagery import looks_like_imagery
from twinscape.io.kinds import LayerData, LayerKind, LoadContext, has_suffix, register_kind
from twinscape.io.layer_sources import assumed_crs, layer_name, source_path, source_table
from twinscape.io.toml_schema import TableReader, settings_from_table, settings_to_table
from twinscape.model.layers import Layer
from twinscape.model.style import TerrainStyle
from twinscape.model.terrain import PagedTerrainLayer, TerrainLayer

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

#: The most cells a terrain is drawn from (5000 x 5000, ~0.9 GB peak with its tiles);
#: a larger DEM is read averaged to this size, with a warning.
MAX_TERRAIN_CELLS = 25_000_000


def sniff_dem(path: Path) -> float:
    """Confidence that ``path`` is an elevation raster: by its suffix, unless it is a picture.

    An RGB(A) or paletted raster is imagery (io/imagery.py), never elevations.
    """
    if not has_suffix(path, DEM_EXTENSIONS) or looks_like_imagery(path):
        return 0.0
    return 0.8


def terrain_type(path: Path) -> type[TerrainLayer]:
    """:class:`PagedTerrainLayer` (read on demand) past :data:`MAX_TERRAIN_CELLS` cells."""
    return PagedTerrainLayer if pageable_cells(path) > MAX_TERRAIN_CELLS else TerrainLayer


def new_terrain(path: Path, assume_crs: str | None) -> TerrainLayer:
    """An unloaded terrain layer for ``path``."""
    return terrain_type(path)(name=layer_name(path), source=path, assume_crs=assume_crs)


def read_terrain(layer: Layer, context: LoadContext) -> LayerData:
    """Read the DEM of ``layer`` for the project (reduced past :data:`MAX_TERRAIN_CELLS`).

    The warnings are the reader's own (cells that are no elevations, a decimated read
    without overviews), then how a DEM too large to draw was reduced.

    Raises
    ------
    ReaderError, CRSError, LoadCancelled
        As :func:`twinscape.io.dem.read_dem`.
    """
    assert isinstance(layer, TerrainLayer)
    if isinstance(layer, PagedTerrainLayer):
        dem, grid = read_paged(
            layer.source, target_crs=context.project_crs, assume_crs=layer.assume_crs,
            progress=context.progress, cancelled=context.cancelled,
        )  # fmt: skip
        values = {"dem": dem, "grid": grid, "source_crs": dem.source_crs}
        return LayerData(crs=dem.crs, values=values)
    result = read_dem(
        layer.source,
        target_crs=context.project_crs,
        assume_crs=layer.assume_crs,
        progress=context.progress,
        cancelled=context.cancelled,
        max_cells=MAX_TERRAIN_CELLS,
    )
    warnings = result.warnings
    rows, cols = result.source_shape
    if rows * cols > MAX_TERRAIN_CELLS:
        warnings = (*warnings, _reduced_note(layer.source, result))
    return LayerData(
        crs=result.target_crs,
        values={"grid": result.grid, "source_crs": result.source_crs},
        warnings=warnings,
    )


def _reduced_note(source: Path, result: DemResult) -> str:
    """One line on the grid a DEM too large to draw was read to, as it was read.

    The grid is what was drawn: after a decimated read it is only the part of the file
    holding data, and it was sampled, not averaged, when the file has no overviews
    (read_dem's own note says so).
    """
    rows, cols = result.source_shape
    shown_rows, shown_cols = result.grid.shape
    dx, dy = result.grid.resolution
    size = f"{dx:.4g}" if math.isclose(dx, dy, rel_tol=0.01) else f"{dx:.4g} x {dy:.4g}"
    sampled = any("no overviews" in note for note in result.warnings)
    return (
        f"{source}: {rows} x {cols} cells is more than Twinscape draws at once; read "
        f"{'sampled' if sampled else 'averaged'} to {shown_rows} x {shown_cols} cells of {size} m"
    )


def terrain_from_table(table: TableReader, folder: Path, common: dict[str, Any]) -> TerrainLayer:
    """A terrain layer from its project-file table."""
    source = source_path(table, folder)
    return terrain_type(source)(
        **{"name": source.stem, **common},
        source=source,
        style=settings_from_table(table.sub("style"), TerrainStyle, _style_values),
        assume_crs=assumed_crs(table),
    )


def _style_values(table: TableReader, default: TerrainStyle) -> dict[str, Any]:
    values: dict[str, Any] = {
        "colormap": table.string("colormap", default.colormap),
        "elevation_range": table.vector("elevation_range", 2, None),
        "sea_ramp": table.boolean("sea_ramp", default.sea_ramp),
        "hillshade": table.boolean("hillshade", default.hillshade),
        "sun_from_clock": table.boolean("sun_from_clock", default.sun_from_clock),
    }
    numbers = (
        "sea_level",
        "sun_azimuth",
        "sun_altitude",
        "hillshade_strength",
        "vertical_exaggeration",
    )
    for name in numbers:
        values[name] = table.number(name, getattr(default, name))
    return values


def terrain_to_table(layer: Layer, folder: Path) -> dict[str, Any]:
    """The terrain keys of a project-file table."""
    assert isinstance(layer, TerrainLayer)
    table = source_table(layer.source, folder, layer.assume_crs)
    table["style"] = settings_to_table(layer.style)
    return table


TERRAIN = register_kind(
    LayerKind(
        name="terrain",
        layer_type=TerrainLayer,
        title="Terrain",
        file_types="Elevation rasters",
        extensions=DEM_EXTENSIONS,
        sniff=sniff_dem,
        new_layer=new_terrain,
        read=read_terrain,
        table_keys=("source", "assume_crs", "style"),
        from_table=terrain_from_table,
        to_table=terrain_to_table,
        icon="terrain",
        order=0,
    )
)
