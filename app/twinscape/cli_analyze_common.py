"""What the ``twinscape analyze`` commands share: their error, argument checks and inputs.

A DEM over the in-memory limit (:data:`~twinscape.io.kinds.terrain.MAX_TERRAIN_CELLS`)
is analysed from its file at full resolution (:func:`open_large_dem`), any other is
read whole (:func:`read_dem`).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from twinscape.cli_args import CliError, check_out
from twinscape.model.errors import ReaderError
from twinscape.model.raster import RasterGrid

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

    from twinscape.io.dem_full import FullResDem

#: Nodata of the float rasters written (slope, aspect, irradiance).
SLOPE_NODATA = -9999.0


class AnalyzeError(CliError):
    """A bad argument of ``twinscape analyze``."""


class Placed(Protocol):
    """Anything with a CRS and bounds: a grid, a DEM read on demand."""

    @property
    def crs(self) -> str: ...

    @property
    def bounds(self) -> tuple[float, float, float, float]: ...


def check_out_file(out: Path) -> None:
    """Fail before any work when ``--out`` cannot be written (its folder must exist)."""
    check_out(out, make_folders=False, error=AnalyzeError)


def numbers(text: str, option: str, form: str) -> list[float]:
    """Comma-separated finite numbers, or :class:`AnalyzeError` naming ``option``."""
    try:
        values = [float(part) for part in text.replace(" ", "").split(",")]
    except ValueError:
        raise AnalyzeError(f"{option} must look like {form}, got {text!r}") from None
    if not all(math.isfinite(v) for v in values):
        raise AnalyzeError(f"{option} must hold finite numbers, got {text!r}")
    return values


def to_dem_crs(points: np.ndarray, crs: str | None, dem: Placed, option: str) -> np.ndarray:
    """Points given in ``crs`` (None: the DEM's) as x, y in the CRS of ``dem``."""
    if crs is None:
        return points
    from pyproj import Transformer
    from pyproj.exceptions import CRSError as ProjCRSError

    try:
        transformer = Transformer.from_crs(crs, dem.crs, always_xy=True)
    except ProjCRSError:
        raise AnalyzeError(f"--crs {crs!r} is not a CRS pyproj knows (e.g. EPSG:32636)") from None
    x, y = transformer.transform(points[:, 0], points[:, 1])
    out = np.column_stack([x, y]).astype(np.float64)
    if not np.isfinite(out).all():
        raise AnalyzeError(f"{option} cannot be converted from {crs} to the DEM's {dem.crs}")
    return out


def inside(dem: Placed, x: float, y: float) -> bool:
    """True when (x, y) lies within the bounds of ``dem`` (edges included)."""
    xmin, ymin, xmax, ymax = dem.bounds
    return xmin <= x <= xmax and ymin <= y <= ymax


def read_dem(path: Path) -> RasterGrid:
    """The whole DEM in memory on its own cells and CRS."""
    from twinscape.io.analysis_rasters import read_dem_native

    return read_dem_native(path)


def is_large(path: Path) -> bool:
    """True for a DEM over the in-memory limit (it is then read window by window)."""
    from twinscape.io.dem_source import pageable_cells
    from twinscape.io.kinds.terrain import MAX_TERRAIN_CELLS

    return pageable_cells(path) > MAX_TERRAIN_CELLS


def open_large_dem(path: Path) -> FullResDem | None:
    """A DEM over the in-memory limit opened for full-resolution window reads, else None."""
    from twinscape.io.dem_full import open_dem_full

    return open_dem_full(path) if is_large(path) else None


def read_polygons(path: Path, crs: str) -> BaseGeometry:
    """All polygons of a vector file, unioned, in ``crs`` (reprojected from the file's CRS).

    Raises :class:`ReaderError` when the file cannot be read, states no CRS, holds
    no features or holds other geometries than polygons.
    """
    import geopandas as gpd
    import shapely

    if not path.is_file():
        raise ReaderError(path, "no such file")
    try:
        frame = gpd.read_file(path)
    except Exception as err:  # pyogrio raises its own DataSourceError and friends
        raise ReaderError(path, f"cannot be read as a vector file: {err}") from err
    if frame.crs is None:
        raise ReaderError(path, "states no CRS", hint=f"save it with one, e.g. {crs}")
    geoms = frame.geometry[~frame.geometry.isna() & ~frame.geometry.is_empty]
    if geoms.empty:
        raise ReaderError(path, "holds no geometry")
    kinds = set(geoms.geom_type)
    if not kinds <= {"Polygon", "MultiPolygon"}:
        raise ReaderError(path, f"holds {', '.join(sorted(kinds))}; a polygon is needed")
    source = frame.crs.to_string()
    geoms = geoms.to_crs(crs)
    if not np.isfinite(geoms.total_bounds).all():
        raise ReaderError(
            path,
            f"its coordinates do not fit its CRS {source}",
            hint="GeoJSON is always longitude/latitude; save projected data as GeoPackage",
        )
    union = shapely.union_all(shapely.make_valid(geoms.to_numpy()))
    if union.geom_type == "GeometryCollection":
        union = shapely.union_all([g for g in union.geoms if g.geom_type.endswith("Polygon")])
    return union
