"""Read building footprints (GeoPackage, GeoJSON, Shapefile, FlatGeobuf, OSM) into LoD1 solids.

The first polygon layer of the file is read with pyogrio (io/footprint_layers.py),
reprojected to the project CRS, repaired (``shapely.make_valid``, polygonal parts
kept) and extruded to each building's height: its height attribute, else its level
count x the storey height, else a default for its type. Nothing is dropped silently:
every feature without polygon area, every repair and every rejected height value is
counted in the report.
"""

from __future__ import annotations

import math
import os
import re
import stat
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from pyproj.exceptions import ProjError

from twinscape.geo.crs import crs_label, horizontal_crs, normalize_crs, same_crs
from twinscape.geo.extrude import extrude_footprints, repair_footprints
from twinscape.io.buildings_read import BuildingsRead
from twinscape.io.file_checks import check_regular_file, read_head
from twinscape.io.footprint_layers import VECTOR_HINT, read_polygon_layer
from twinscape.io.heights import MissingAttributeError, building_heights
from twinscape.io.progress import Cancelled, Progress, ProgressReporter
from twinscape.io.reader_crs import file_crs, pick_target_crs
from twinscape.model.buildings import (
    BUILDING_COLUMNS,
    HEIGHT_SOURCES,
    BuildingMesh,
    BuildingsReport,
)
from twinscape.model.errors import CRSError, ReaderError

#: File name endings (lower case) of footprint files; ``.gdb`` is an Esri FileGDB folder.
FOOTPRINT_EXTENSIONS: tuple[str, ...] = (
    ".gpkg", ".geojson", ".json", ".shp", ".shp.zip", ".zip", ".fgb",
    ".osm", ".osm.pbf", ".pbf", ".gdb",
)  # fmt: skip
#: Attributes identifying a feature; the GDAL feature id is used where they are empty.
ID_COLUMNS: tuple[str, ...] = ("id", "osm_id", "gml_id", "building_id", "objectid", "uuid")
#: Polygon parts thinner than this on average (metres) are slivers and removed.
MIN_WIDTH_M = 0.05

_NO_CRS_HINT = (
    "set one with ogr2ogr -a_srs EPSG:xxxx, or give its layer "
    'assume_crs = "EPSG:xxxx" in the project file'
)
_GEOJSON_TYPE = re.compile(rb'"type"\s*:\s*"(FeatureCollection|Feature)"')


def sniff_footprints(path: str | os.PathLike[str]) -> float:
    """How likely a path is a footprint file, 0..1, from its name and at most its first 4 KB.

    Non-regular files (FIFOs, devices) are never opened: their name alone decides, and the
    reader then reports the problem.
    """
    path = Path(path)
    name = path.name.lower()
    if name.endswith((".city.json", ".city.jsonl")):
        return 0.0
    try:
        mode = path.stat().st_mode
    except OSError:
        mode = 0
    if stat.S_ISDIR(mode):
        return 1.0 if name.endswith(".gdb") else 0.0
    regular = stat.S_ISREG(mode)
    if name.endswith((".gpkg", ".shp", ".shp.zip", ".fgb", ".osm", ".osm.pbf")):
        return 1.0
    if name.endswith(".pbf"):
        return 0.7  # may be a vector tile
    if name.endswith((".geojson", ".json")):
        guess = 0.5 if name.endswith(".geojson") else 0.1
        head = read_head(path)
        if head is None:
            return guess
        if b"CityJSON" in head:
            return 0.0
        return 0.9 if _GEOJSON_TYPE.search(head) else guess
    if name.endswith(".zip") and regular:
        try:
            with zipfile.ZipFile(path) as archive:
                names = [n.lower() for n in archive.namelist()[:1000]]
        except (OSError, zipfile.BadZipFile):
            return 0.0
        inner = (".shp", ".gpkg", ".geojson", ".fgb")
        return 0.9 if any(n.endswith(inner) for n in names) else 0.0
    return 0.0


def read_footprints(
    path: str | os.PathLike[str],
    *,
    target_crs: str | None,
    assume_crs: str | None = None,
    storey_height: float = 3.2,
    default_height: float = 9.0,
    height_attribute: str | None = None,
    levels_attribute: str | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> BuildingsRead:
    """Read the footprints of a vector file and extrude them to block (LoD1) buildings.

    Parameters
    ----------
    path
        GeoPackage, GeoJSON, Shapefile (or a zip of one), FlatGeobuf, FileGDB folder, or an
        OSM extract (``.osm``/``.osm.pbf``: its ``multipolygons`` tagged ``building``).
        The first layer holding polygons is read.
    target_crs
        Projected metric CRS of the result; None picks the UTM zone of the data's centre.
    assume_crs
        CRS of a file that states none (ignored when it has one).
    storey_height
        Metres per level when a height comes from a level count.
    default_height
        Height of buildings with neither height, levels nor a known type.
    height_attribute, levels_attribute
        Attribute (or OSM tag in ``other_tags``) to read; None picks among
        :data:`~twinscape.io.heights.HEIGHT_COLUMNS` /
        :data:`~twinscape.io.heights.LEVELS_COLUMNS` the first one with values.
    progress
        Called with a non-decreasing fraction 0..1.
    cancelled
        Polled between steps; returning True raises :class:`LoadCancelled`.

    Returns
    -------
    BuildingsRead
        The mesh (``table`` rows are the kept features, in file order), the report and CRSs.

    Raises
    ------
    ReaderError
        Missing, non-regular, empty, truncated or unreadable file; no polygon features;
        an attribute named that does not exist.
    CRSError, MissingCRSError
        No usable CRS (unless ``assume_crs``), or a ``target_crs`` not projected in metres.
    LoadCancelled
        ``cancelled()`` returned True.
    """
    path = Path(path)
    if not (math.isfinite(storey_height) and storey_height > 0):
        raise ValueError(f"storey_height must be > 0, got {storey_height}")
    if not (math.isfinite(default_height) and default_height > 0):
        raise ValueError(f"default_height must be > 0, got {default_height}")
    step = ProgressReporter(path, progress, cancelled)
    check_regular_file(path, hint=VECTOR_HINT, folder_suffixes=(".gdb",))
    step.step(0.0)
    meta, fids, wkb, table = read_polygon_layer(path)
    step.step(0.35)
    source = file_crs(path, meta.get("crs"), assume_crs, hint=_NO_CRS_HINT)
    source = normalize_crs(horizontal_crs(source))  # x, y only: heights are attributes
    geoms, reasons = _decode(wkb)
    repaired = np.zeros(len(geoms), dtype=bool)
    geoms = _repair(geoms, reasons, repaired)  # in the source CRS: no slivers from reprojection
    _require_polygons(path, reasons)
    target = pick_target_crs(path, source, target_crs, lambda: _centre(geoms))
    step.check()
    geoms = _reproject(path, geoms, reasons, source, target)
    geoms = _repair(geoms, reasons, repaired, MIN_WIDTH_M)
    step.step(0.5)
    keep = _require_polygons(path, reasons)
    dropped = _count(reasons[~keep])
    table = table[keep].reset_index(drop=True)
    fids = fids[keep] if fids is not None else np.flatnonzero(keep)
    geoms = geoms[keep]
    try:
        heights, sources, rejected = building_heights(
            table,
            storey_height=storey_height,
            default_height=default_height,
            height_attribute=height_attribute,
            levels_attribute=levels_attribute,
        )
    except MissingAttributeError as err:
        raise ReaderError(path, err.problem, hint=err.hint) from err
    table = _building_table(table, fids, heights, sources, shapely.area(geoms))
    vertices, triangles, owner, surface = extrude_footprints(
        geoms, heights, progress=step.span(0.5, 0.98)
    )
    mesh = BuildingMesh(
        vertices=vertices,
        triangles=triangles,
        triangle_building=owner,
        triangle_surface=surface,
        footprints=geoms,
        own_base=np.zeros(len(geoms)),
        table=table,
    )
    found = _count(sources)
    report = BuildingsReport(
        height_sources={key: found[key] for key in HEIGHT_SOURCES if key in found},
        repaired=int(repaired[keep].sum()),
        dropped=dropped,
        rejected_heights=rejected,
    )
    step.step(1.0)
    return BuildingsRead(mesh=mesh, report=report, source_crs=source, target_crs=target)


def _require_polygons(path: Path, reasons: np.ndarray) -> np.ndarray:
    """The kept features (no drop reason); ReaderError when there are none."""
    keep = ~reasons.astype(bool)
    if not keep.any():
        why = ", ".join(f"{n} {reason}" for reason, n in _count(reasons).items())
        raise ReaderError(path, f"has no polygon features ({why})", hint=VECTOR_HINT)
    return keep


def _centre(geoms: np.ndarray) -> tuple[float, float]:
    """The middle of the geometries' bounding box."""
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    return (xmin + xmax) / 2, (ymin + ymax) / 2


def _decode(wkb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2-D geometries (None where unreadable) and per-feature drop reasons (None = kept)."""
    missing = np.array([w is None for w in wkb], dtype=bool)
    geoms = shapely.force_2d(shapely.from_wkb(wkb, on_invalid="ignore"))
    reasons = np.full(len(wkb), None, dtype=object)
    reasons[missing] = "no geometry"
    reasons[~missing & shapely.is_missing(geoms)] = "unreadable geometry (e.g. a ring of 2 points)"
    return geoms, reasons


def _repair(
    geoms: np.ndarray, reasons: np.ndarray, repaired: np.ndarray, min_width: float = 0.0
) -> np.ndarray:
    """:func:`repair_footprints`, merging its reasons and repairs into the running ones."""
    geoms, why, fixed = repair_footprints(geoms, min_width=min_width)
    first = ~reasons.astype(bool)
    reasons[first] = why[first]
    repaired |= fixed
    return geoms


def _reproject(
    path: Path, geoms: np.ndarray, reasons: np.ndarray, source: str, target: str
) -> np.ndarray:
    """Geometries in ``target``; features landing outside it are dropped (reason set)."""
    if same_crs(source, target):
        return geoms
    try:
        transformer = Transformer.from_crs(source, target, always_xy=True)
    except ProjError as err:
        raise CRSError(
            path, f"cannot reproject from {crs_label(source)} to {crs_label(target)}: {err}"
        ) from err

    def move(xy: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack((x, y))

    out = shapely.transform(geoms, move)
    coords, owner = shapely.get_coordinates(out, return_index=True)
    bad = np.unique(owner[~np.isfinite(coords).all(axis=1)])
    reasons[bad] = f"outside the area of {crs_label(target)}"
    out[bad] = None
    return out


def _building_table(
    table: pd.DataFrame,
    fids: np.ndarray,
    heights: np.ndarray,
    sources: np.ndarray,
    areas: np.ndarray,
) -> pd.DataFrame:
    """:data:`BUILDING_COLUMNS` then the source attributes (clashing names get " (source)")."""
    ids = pd.Series(np.asarray(fids).astype(str), dtype=object)
    by_lower = {str(c).lower(): c for c in reversed(table.columns)}
    chain = [by_lower[c] for c in ID_COLUMNS if c in by_lower]
    if "osm_way_id" in by_lower:  # GDAL's OSM layout: relations in osm_id, ways in osm_way_id
        chain.insert(chain.index(by_lower["osm_id"]) + 1 if "osm_id" in by_lower else 0,
                     by_lower["osm_way_id"])  # fmt: skip
    for column in reversed(chain):
        values = table[column]
        present = values.notna().to_numpy()
        if pd.api.types.is_float_dtype(values.dtype) and (values[present] % 1 == 0).all():
            values = values.astype("Int64")  # 12.0 -> "12"
        ids[present] = values[present].astype(str).to_numpy()
    front = pd.DataFrame(
        {
            BUILDING_COLUMNS[0]: ids.to_numpy(dtype=object),
            BUILDING_COLUMNS[1]: heights,
            BUILDING_COLUMNS[2]: sources,
            BUILDING_COLUMNS[3]: np.asarray(areas, dtype=np.float64),
        }
    )
    renamed = {}
    for column in table.columns:
        new = column
        while new in BUILDING_COLUMNS or new in renamed.values():
            new = f"{new} (source)"
        renamed[column] = new
    return pd.concat([front, table.rename(columns=renamed)], axis=1)


def _count(values: np.ndarray) -> dict[str, int]:
    """Occurrences of each non-None value, in order of first appearance."""
    counts: dict[str, int] = {}
    for value in values:
        if value is not None:
            counts[value] = counts.get(value, 0) + 1
    return counts
