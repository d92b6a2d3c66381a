"""Export placed assets to GeoPackage or GeoJSON, and import such files back.

One feature per asset (a point, a line string or a polygon), in the project CRS or
another one (EPSG:4326 for web maps), with attributes a GIS can style and query:
``twinscape_entry`` (the catalogue key, which marks the file as a Twinscape export),
``id``, ``name``, ``type`` (the entry's title), ``geom_type``, ``rotation_deg``, every
parameter in use (``hub_height_m``, ``width_m``, ``max_grade_pct``, ...: the asset's own
value, else its entry's), and the assessment: ``length_m``, ``area_m2``,
``steepest_grade_pct`` (the steepest design grade measured; ``max_grade_pct`` is the
limit), ``ground_grade_pct``, ``min_radius_m``, ``slope_deg``, ``cut_m3``, ``fill_m3``,
``base_z``, ``status`` and ``issues`` (joined by "; "). Numbers that are not measured
are null. Files are written atomically (a temporary file beside the target, then renamed).

Importing reads the geometry and ``twinscape_entry``, ``id``, ``name``,
``rotation_deg`` and the parameter columns back; a parameter differing from the
entry's value becomes the asset's own, so values edited in a GIS come back too.
"""

from __future__ import annotations

import math
import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry

from twinscape.geo.crs import same_crs
from twinscape.geo.design_checks import assess_layer
from twinscape.io.file_checks import check_regular_file
from twinscape.model.catalogue import PARAMETERS, Catalogue
from twinscape.model.errors import CRSError, MissingCRSError, ReaderError, TwinscapeError
from twinscape.model.placed import Assessment, PlacedAsset, PlacedAssetsLayer

#: The column that marks a file as a Twinscape placed-assets export.
ENTRY_COLUMN = "twinscape_entry"
#: Layer name inside exported GeoPackages.
GPKG_LAYER = "placed_assets"
#: Writers by suffix.
DRIVERS: dict[str, str] = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON"}
#: Largest export file imported.
MAX_IMPORT_BYTES = 512_000_000
#: Assessment fields exported, by column name (``max_grade_pct`` is the entry's limit, so
#: the steepest grade measured is ``steepest_grade_pct``).
MEASURES: dict[str, str] = {
    "length_m": "length_m",
    "area_m2": "area_m2",
    "steepest_grade_pct": "max_grade_pct",
    "ground_grade_pct": "ground_grade_pct",
    "min_radius_m": "min_radius_m",
    "slope_deg": "slope_deg",
    "cut_m3": "cut_m3",
    "fill_m3": "fill_m3",
    "base_z": "base_z",
}
_GEOMETRY_OF = {"Point": "point", "LineString": "line", "Polygon": "polygon"}


class ExportError(TwinscapeError, OSError):
    """An export could not be written; ``str(err)`` is ``<path>: <problem>``."""

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")

    def __str__(self) -> str:
        return self.args[0]


def export_driver(path: str | os.PathLike[str]) -> str:
    """The OGR driver for ``path`` by its suffix; ExportError for another suffix."""
    suffix = Path(path).suffix.lower()
    if suffix not in DRIVERS:
        raise ExportError(
            path, f"cannot export to {suffix or 'a file without suffix'}; use .gpkg or .geojson"
        )
    return DRIVERS[suffix]


def assets_frame(
    layer: PlacedAssetsLayer,
    *,
    project_crs: str,
    crs: str | None = None,
    assessments: dict[str, Assessment] | None = None,
) -> gpd.GeoDataFrame:
    """The layer's assets as a GeoDataFrame with the export's columns, in ``crs``
    (default the project CRS). ``assessments`` defaults to :func:`assess_layer`'s."""
    catalogue = layer.catalogue or Catalogue()
    if assessments is None:
        assessments = assess_layer(layer)
    used = [
        name for name in PARAMETERS
        if any(name in _params_of(asset, catalogue) for asset in layer.assets)
    ]  # fmt: skip
    rows: list[dict[str, Any]] = []
    geometries: list[BaseGeometry] = []
    for asset in layer.assets:
        entry = catalogue.entries.get(asset.entry)
        found = assessments.get(asset.id)
        params = _params_of(asset, catalogue)
        row: dict[str, Any] = {
            ENTRY_COLUMN: asset.entry,
            "id": asset.id,
            "name": asset.name,
            "type": entry.title if entry is not None else asset.entry,
            "geom_type": entry.geometry if entry is not None else _guess_geometry(asset),
            "rotation_deg": asset.rotation_deg,
        }
        for name in used:
            row[name] = _number(params.get(name, math.nan))
        for column, name in MEASURES.items():
            row[column] = _number(getattr(found, name)) if found is not None else math.nan
        row["status"] = found.status if found is not None else ""
        row["issues"] = "; ".join(found.issues) if found is not None else ""
        rows.append(row)
        geometries.append(_geometry(asset, row["geom_type"]))
    columns = [ENTRY_COLUMN, "id", "name", "type", "geom_type", "rotation_deg", *used,
               *MEASURES, "status", "issues"]  # fmt: skip
    frame = gpd.GeoDataFrame(rows, columns=columns, geometry=geometries, crs=project_crs)
    for name in ["rotation_deg", *used, *MEASURES]:
        frame[name] = frame[name].astype("float64")
    if crs is not None and not same_crs(crs, project_crs):
        frame = frame.to_crs(crs)
    return frame


def export_assets(
    layer: PlacedAssetsLayer,
    path: str | os.PathLike[str],
    *,
    project_crs: str,
    crs: str | None = None,
) -> Path:
    """Write the layer's assets to a GeoPackage (``.gpkg``) or GeoJSON (``.geojson``).

    Parameters
    ----------
    layer
        A loaded placed-assets layer (its catalogue gives titles and parameters).
    path
        The file to write; replaced atomically if it exists.
    project_crs
        The CRS of the assets' coordinates.
    crs
        The CRS to write in (e.g. ``"EPSG:4326"``); None keeps the project CRS.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ExportError
        Unknown suffix, or the file could not be written.
    """
    target = Path(path).resolve()
    driver = export_driver(target)
    frame = assets_frame(layer, project_crs=project_crs, crs=crs)
    temp = target.with_name(f".{target.stem}.{secrets.token_hex(4)}.tmp{target.suffix}")
    try:
        options: dict[str, Any] = {"layer": GPKG_LAYER} if driver == "GPKG" else {}
        if len(frame) == 0:
            options["geometry_type"] = "Unknown"
        pyogrio.write_dataframe(frame, temp, driver=driver, **options)
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except (OSError, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as err:
        raise ExportError(target, f"could not be written ({err})") from err
    finally:
        temp.unlink(missing_ok=True)
    return target


def _params_of(asset: PlacedAsset, catalogue: Catalogue) -> dict[str, float]:
    entry = catalogue.entries.get(asset.entry)
    return {**(dict(entry.params) if entry is not None else {}), **asset.params}


def _number(value: float) -> float:
    """Finite numbers as they are; NaN and infinities as NaN (null in the file)."""
    return float(value) if math.isfinite(value) else math.nan


def _guess_geometry(asset: PlacedAsset) -> str:
    """Geometry of an asset whose entry is unknown, by its vertex count."""
    return {1: "point", 2: "line"}.get(len(asset.coords), "polygon")


def _geometry(asset: PlacedAsset, geometry: str) -> BaseGeometry:
    if geometry == "point" or len(asset.coords) == 1:
        return Point(asset.coords[0])
    if geometry == "line" or len(asset.coords) == 2:
        return LineString(asset.coords)
    return Polygon(asset.coords)


# -- import ---------------------------------------------------------------------------
def import_assets(
    path: str | os.PathLike[str], *, project_crs: str, catalogue: Catalogue
) -> list[PlacedAsset]:
    """Placed assets from a file written by :func:`export_assets`, in ``project_crs``.

    Raises
    ------
    ReaderError
        Not a regular file, unreadable, no ``twinscape_entry`` column, an entry the
        catalogue lacks, or a geometry that does not fit its entry; one line naming
        the file and the feature (1-based).
    MissingCRSError
        The file states no CRS.
    """
    path = Path(path).resolve()
    check_regular_file(path, hint="give an exported .gpkg or .geojson file",
                       max_bytes=MAX_IMPORT_BYTES)  # fmt: skip
    try:
        frame = pyogrio.read_dataframe(path)
    except Exception as err:  # GDAL's own messages for a damaged file
        raise ReaderError(path, f"cannot be read as vector data ({err})") from err
    if ENTRY_COLUMN not in frame.columns:
        raise ReaderError(
            path, f"has no {ENTRY_COLUMN} column: not an export of Twinscape placed assets",
            hint="add it as buildings or other data instead",
        )  # fmt: skip
    if frame.crs is None:
        raise MissingCRSError(path, "states no CRS", hint="export it again with its CRS")
    try:
        frame = frame.to_crs(project_crs)
    except Exception as err:
        raise CRSError(path, f"cannot be reprojected to {project_crs} ({err})") from err
    assets: list[PlacedAsset] = []
    seen: set[str] = set()
    for number, (_, row) in enumerate(frame.iterrows(), start=1):
        asset = _asset_from(path, number, row, catalogue, seen)
        seen.add(asset.id)
        assets.append(asset)
    return assets


def _asset_from(
    path: Path, number: int, row: Any, catalogue: Catalogue, seen: set[str]
) -> PlacedAsset:
    key = row[ENTRY_COLUMN]
    if not isinstance(key, str) or not key:
        raise ReaderError(path, f"feature {number}: {ENTRY_COLUMN} is empty")
    if key not in catalogue:
        raise ReaderError(
            path, f"feature {number}: catalogue entry {key!r} is unknown",
            hint="add the catalogue file that defines it to the layer first",
        )  # fmt: skip
    entry = catalogue.get(key)
    coords = _coords_of(path, number, row.geometry, entry.geometry)
    params: dict[str, float] = {}
    for name in PARAMETERS:
        value = _float(row.get(name))
        if value is None:
            continue
        own = entry.param(name)
        if not (math.isfinite(own) and math.isclose(value, own, rel_tol=1e-9, abs_tol=1e-9)):
            params[name] = value
    rotation = _float(row.get("rotation_deg"))
    name = row.get("name")
    asset_id = row.get("id")
    fields: dict[str, Any] = {}
    if isinstance(asset_id, str) and asset_id and asset_id not in seen:
        fields["id"] = asset_id
    try:
        return PlacedAsset(
            entry=key, coords=coords, rotation_deg=rotation or 0.0,
            name=name if isinstance(name, str) else "", params=params, **fields,
        )  # fmt: skip
    except ValueError as err:
        raise ReaderError(path, f"feature {number}: {err}") from err


def _float(value: Any) -> float | None:
    """A number from a cell, None for null/NaN/text."""
    if value is None or isinstance(value, (bool, str)):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _coords_of(
    path: Path, number: int, geometry: BaseGeometry | None, expected: str
) -> Sequence[tuple[float, float]]:
    """Vertices of a feature's geometry, checked against the entry's geometry."""
    if geometry is None or geometry.is_empty:
        raise ReaderError(path, f"feature {number}: has no geometry")
    if geometry.geom_type.startswith("Multi") and len(geometry.geoms) == 1:
        geometry = geometry.geoms[0]
    found = _GEOMETRY_OF.get(geometry.geom_type)
    if found != expected:
        raise ReaderError(
            path, f"feature {number}: a {geometry.geom_type} where its entry needs a {expected}"
        )
    if found == "polygon":
        ring = np.asarray(geometry.exterior.coords)[:-1, :2]  # an open ring, as drawn
        return [tuple(map(float, xy)) for xy in ring]
    return [tuple(map(float, xy)) for xy in np.asarray(geometry.coords)[:, :2]]
