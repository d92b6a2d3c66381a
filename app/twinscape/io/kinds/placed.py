"""The placed kind: infrastructure a planner placed on the terrain, saved in the project.

The assets live in the project file itself; reading the layer loads the catalogue
(the built-in one, then the layer's own ``catalogue_files``, with the model files their
entries name, off the GUI thread: drawing finds them in ``Catalogue.models``) and takes
the ground from the project. An asset whose entry no catalogue has is kept as it is
(and saved back unchanged), with a warning. Files exported by io/placed_export.py (a GeoPackage
or GeoJSON with a ``twinscape_entry`` column) open as a new placed layer: reading it
imports their assets, reprojected to the project CRS.

.. code-block:: toml

    [[layers]]
    kind = "placed"
    name = "Wind farm"
    catalogue_files = ["my_catalogue.toml"]   # optional, relative to the project

    [[layers.assets]]
    id = "9c1e0b7d3f2a"
    entry = "wind_turbine"
    coords = [[747250.0, 3527500.0]]          # one vertex; lines 2+, polygons 3+ (open)
    rotation_deg = 0.0                        # optional
    name = "T1"                               # optional
    params = { hub_height_m = 120.0 }         # optional: overrides the entry's
"""

from __future__ import annotations

import math
import stat
from pathlib import Path
from typing import Any

import pyogrio

from twinscape.geo.crs import LonLatTransformer, utm_crs_for
from twinscape.geo.design_checks import assess_layer
from twinscape.io.catalogue import load_catalogue, params_from_table
from twinscape.io.file_checks import read_head, resolve_path
from twinscape.io.kinds import LayerData, LayerKind, LoadContext, register_kind
from twinscape.io.layer_sources import layer_name, relative_path
from twinscape.io.placed_export import ENTRY_COLUMN, import_assets
from twinscape.io.toml_schema import TableReader
from twinscape.model.catalogue import Catalogue
from twinscape.model.errors import ReaderError
from twinscape.model.layers import Layer
from twinscape.model.obstacles import Obstacles
from twinscape.model.placed import PlacedAsset, PlacedAssetsLayer, check_vertices, use_assessor
from twinscape.model.raster import RasterGrid

#: Sniffing confidence of an export: above the 1.0 of generic vector files (footprints),
#: since the ``twinscape_entry`` column proves the file is ours.
EXPORT_CONFIDENCE = 1.5
_KEYS = ("catalogue_files", "assets")
_ASSET_KEYS = ("id", "entry", "coords", "rotation_deg", "name", "params")
_EXTENSIONS = (".gpkg", ".geojson")


# -- sniffing and reading --------------------------------------------------------------
def sniff_placed(path: Path) -> float:
    """:data:`EXPORT_CONFIDENCE` for an exported assets file, else 0 (never blocks)."""
    name = path.name.lower()
    if name.endswith((".geojson", ".json")):
        head = read_head(path)
        return EXPORT_CONFIDENCE if head and f'"{ENTRY_COLUMN}"'.encode() in head else 0.0
    if name.endswith(".gpkg"):
        try:
            if not stat.S_ISREG(path.stat().st_mode):
                return 0.0
            fields = pyogrio.read_info(path)["fields"]
        except Exception:  # not a readable GeoPackage: let its own kind explain
            return 0.0
        return EXPORT_CONFIDENCE if ENTRY_COLUMN in list(fields) else 0.0
    return 0.0


def new_placed(path: Path, assume_crs: str | None) -> PlacedAssetsLayer:
    """An unloaded layer that imports the assets of the exported file ``path``."""
    return PlacedAssetsLayer(name=layer_name(path), import_from=path)


def read_placed(layer: Layer, context: LoadContext) -> LayerData:
    """Load the catalogue and take the ground; import the assets of an exported file.

    A user catalogue file that cannot be read is skipped with a warning, so the
    project still opens; assets of entries no catalogue has are kept, with a warning.

    Raises
    ------
    ReaderError, CRSError
        From :func:`~twinscape.io.placed_export.import_assets` (importing a file).
    ProjectFileError
        The built-in catalogue is broken.
    LoadCancelled
        The user cancelled.
    """
    assert isinstance(layer, PlacedAssetsLayer)
    warnings: list[str] = []
    catalogue = load_catalogue(layer.catalogue_files, warnings=warnings)
    context.check()
    crs = context.project_crs or (context.ground[0].crs if context.ground else None)
    values: dict[str, Any] = {"catalogue": catalogue, "ground": tuple(context.ground)}
    assets = layer.assets
    if layer.import_from is not None:
        source = layer.import_from
        if crs is None:
            crs = _utm_of(source)
        assets = tuple(import_assets(source, project_crs=crs, catalogue=catalogue))
        values.update(assets=assets, import_from=None)
    context.report(1.0)
    warnings.extend(_asset_warnings(layer.name, assets, catalogue))
    # None when the project has no CRS yet and nothing was imported: apply_load leaves it.
    return LayerData(crs=crs, values=values, warnings=tuple(warnings))  # type: ignore[arg-type]


def _utm_of(path: Path) -> str:
    """The UTM zone of an exported file's centre (a project with no CRS yet)."""
    try:
        info = pyogrio.read_info(path, force_total_bounds=True)
    except Exception as err:
        raise ReaderError(path, f"cannot be read as vector data ({err})") from err
    if info.get("crs") is None or info.get("total_bounds") is None:
        raise ReaderError(path, "states no CRS or has no features",
                          hint="export it again with its CRS")  # fmt: skip
    x0, y0, x1, y1 = info["total_bounds"]
    try:
        lon, lat = LonLatTransformer(info["crs"]).to_lonlat((x0 + x1) / 2, (y0 + y1) / 2)
    except ValueError as err:
        raise ReaderError(path, str(err)) from err
    return utm_crs_for(lon, lat)


def _asset_warnings(
    layer_name_: str, assets: tuple[PlacedAsset, ...], catalogue: Catalogue
) -> list[str]:
    """One line per catalogue entry no catalogue has, and per asset of the wrong shape."""
    warnings: list[str] = []
    missing: dict[str, int] = {}
    for asset in assets:
        if asset.entry not in catalogue:
            missing[asset.entry] = missing.get(asset.entry, 0) + 1
            continue
        try:
            check_vertices(asset, catalogue.get(asset.entry).geometry)
        except ValueError as err:
            warnings.append(f"layer {layer_name_!r}: asset {asset.id} ({asset.entry}): {err}")
    for key, count in missing.items():
        warnings.append(
            f"layer {layer_name_!r}: catalogue entry {key!r} is in no catalogue file; its "
            f"{count} asset(s) are kept unchanged but not drawn or checked"
        )
    return warnings


def restand_placed(layer: Layer, ground: tuple[RasterGrid, ...]) -> dict[str, Any]:
    """The new ground the assets stand on (their assessments follow it)."""
    return {"ground": tuple(ground)}


def obstruct_placed(layer: Layer, obstacles: tuple[Obstacles, ...]) -> dict[str, Any]:
    """What other layers stand on the ground (the assets' assessments check against it)."""
    return {"obstacles": tuple(obstacles)}


# -- project files ----------------------------------------------------------------------
def placed_from_table(
    table: TableReader, folder: Path, common: dict[str, Any]
) -> PlacedAssetsLayer:
    """A placed-assets layer from its project-file table (errors name the key)."""
    files = table.raw("catalogue_files", [])
    if not isinstance(files, list):
        raise table.fail("catalogue_files", f"must be a list of file names, got {files!r}")
    paths: list[Path] = []
    for index, item in enumerate(files):
        if not isinstance(item, str) or not item.strip():
            raise table.fail(f"catalogue_files[{index}]", f"must be a file name, got {item!r}")
        path = Path(item)
        paths.append(path if path.is_absolute() else resolve_path(folder / path))
    assets: list[PlacedAsset] = []
    ids: set[str] = set()
    for sub in table.array_of_tables("assets"):
        asset = _asset_from(sub)
        if asset.id in ids:
            raise sub.fail("id", f"{asset.id!r} is used by another asset of this layer")
        ids.add(asset.id)
        assets.append(asset)
    return PlacedAssetsLayer(
        **{"name": "Placed assets", **common},
        catalogue_files=tuple(paths),
        assets=tuple(assets),
    )


def _asset_from(table: TableReader) -> PlacedAsset:
    """One ``[[layers.assets]]`` table."""
    table.warn_unknown(_ASSET_KEYS)
    coords = table.raw("coords")
    if not isinstance(coords, list) or not coords:
        raise table.fail("coords", f"must be a list of [x, y] pairs, got {coords!r}")
    for index, pair in enumerate(coords):
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                for v in pair
            )
        ):
            raise table.fail(f"coords[{index}]", f"must be [x, y] finite numbers, got {pair!r}")
    name = table.raw("name", "")
    if not isinstance(name, str):
        raise table.fail("name", f"must be a string, got {name!r}")
    fields: dict[str, Any] = {}
    if "id" in table.table:
        fields["id"] = table.string("id")
    try:
        return PlacedAsset(
            entry=table.string("entry"),
            coords=tuple((float(x), float(y)) for x, y in coords),
            rotation_deg=table.number("rotation_deg", 0.0),
            name=name,
            params=params_from_table(table.sub("params")),
            **fields,
        )
    except ValueError as err:  # the asset's own checks, "<field>: <problem>"
        key, _, problem = str(err).partition(": ")
        raise table.fail(key, problem or str(err)) from err


def placed_to_table(layer: Layer, folder: Path) -> dict[str, Any]:
    """The placed-assets keys of a project-file table."""
    assert isinstance(layer, PlacedAssetsLayer)
    table: dict[str, Any] = {}
    if layer.catalogue_files:
        table["catalogue_files"] = [relative_path(p, folder) for p in layer.catalogue_files]
    table["assets"] = [_asset_to(asset) for asset in layer.assets]
    return table


def _asset_to(asset: PlacedAsset) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": asset.id,
        "entry": asset.entry,
        "coords": [[x, y] for x, y in asset.coords],
        "rotation_deg": asset.rotation_deg,
    }
    if asset.name:
        row["name"] = asset.name
    if asset.params:
        row["params"] = {name: float(value) for name, value in asset.params.items()}
    return row


# identify lists each asset's assessment (model/ cannot import geo/)
use_assessor(assess_layer)

PLACED = register_kind(
    LayerKind(
        name="placed",
        layer_type=PlacedAssetsLayer,
        title="Placed assets",
        file_types="Twinscape asset exports (GeoPackage, GeoJSON)",
        extensions=_EXTENSIONS,
        sniff=sniff_placed,
        new_layer=new_placed,
        read=read_placed,
        table_keys=_KEYS,
        from_table=placed_from_table,
        to_table=placed_to_table,
        icon="placed",
        restand=restand_placed,
        obstruct=obstruct_placed,
        order=50,
    )
)
