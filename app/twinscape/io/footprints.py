"""Read building footprints (GeoPackage, GeoJSON, Shapefile, FlatGeobuf, OSM) into LoD1 solids.

The first polygon layer of the file is read with pyogrio, reprojected to the project
CRS, repaired (``shapely.make_valid``, polygonal parts kept) and extruded to each
building's height: its height attribute, else its level count x the storey height,
else a default for its type. Nothing is dropped silently: every feature without
polygon area, every repair and every rejected height value is counted in the report.
"""

from __future__ import annotations

import math
import os
import re
import stat
import warnings
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
import shapely
from pyproj import Transformer
from pyproj.exceptions import ProjError

from twinscape.geo.crs import (
    LonLatTransformer,
    crs_label,
    horizontal_crs,
    is_projected_metric,
    normalize_crs,
    same_crs,
    utm_crs_for,
)
from twinscape.geo.extrude import extrude_footprints, repair_footprints
from twinscape.io.buildings_read import BuildingsRead
from twinscape.io.heights import MissingAttributeError, building_heights
from twinscape.model.buildings import (
    BUILDING_COLUMNS,
    HEIGHT_SOURCES,
    BuildingMesh,
    BuildingsReport,
)
from twinscape.model.errors import CRSError, LoadCancelled, MissingCRSError, ReaderError

Progress = Callable[[float], None]
Cancelled = Callable[[], bool]

#: File name endings (lower case) of footprint files; ``.gdb`` is an Esri FileGDB folder.
FOOTPRINT_EXTENSIONS: tuple[str, ...] = (
    ".gpkg", ".geojson", ".json", ".shp", ".shp.zip", ".zip", ".fgb",
    ".osm", ".osm.pbf", ".pbf", ".gdb",
)  # fmt: skip
#: Attributes identifying a feature; the GDAL feature id is used where they are empty.
ID_COLUMNS: tuple[str, ...] = ("id", "osm_id", "gml_id", "building_id", "objectid", "uuid")
#: Polygon parts thinner than this on average (metres) are slivers and removed.
MIN_WIDTH_M = 0.05
#: More features than this are refused (a country-size file; clip it first).
MAX_FEATURES = 3_000_000

_NO_CRS_HINT = (
    "set one with ogr2ogr -a_srs EPSG:xxxx, or give its layer "
    'assume_crs = "EPSG:xxxx" in the project file'
)
_VECTOR_HINT = "add building footprints (GeoPackage, GeoJSON, Shapefile, FlatGeobuf, OSM)"
_GDAL_ERRORS = (
    pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, shapely.errors.GEOSException,
)  # fmt: skip
_CORRUPT_HINT = "it may be truncated or corrupt: check it with ogrinfo, or export it again"
_OSM_BUILDINGS = "building IS NOT NULL AND building <> 'no'"
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
        if not regular:
            return guess
        try:
            with open(path, "rb") as f:
                head = f.read(4096)
        except OSError:
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
    step = _Progress(path, progress, cancelled)
    _check_file(path)
    step.report(0.0)
    meta, fids, wkb, table = _read_layer(path)
    step.report(0.35)
    source = _source_crs(path, meta.get("crs"), assume_crs)
    geoms, reasons = _decode(wkb)
    repaired = np.zeros(len(geoms), dtype=bool)
    geoms = _repair(geoms, reasons, repaired)  # in the source CRS: no slivers from reprojection
    _require_polygons(path, reasons)
    target = _target_crs(path, source, target_crs, geoms)
    step.check()
    geoms = _reproject(path, geoms, reasons, source, target)
    geoms = _repair(geoms, reasons, repaired, MIN_WIDTH_M)
    step.report(0.5)
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

    def extrude_progress(fraction: float) -> None:
        step.check()
        step.report(0.5 + 0.48 * fraction)

    vertices, triangles, owner, surface = extrude_footprints(
        geoms, heights, progress=extrude_progress
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
    step.report(1.0)
    return BuildingsRead(mesh=mesh, report=report, source_crs=source, target_crs=target)


class _Progress:
    """Forwards monotonic progress fractions and raises when cancelled."""

    def __init__(self, path: Path, progress: Progress | None, cancelled: Cancelled | None) -> None:
        self._path, self._progress, self._cancelled = path, progress, cancelled
        self._last = -1.0

    def check(self) -> None:
        if self._cancelled is not None and self._cancelled():
            raise LoadCancelled(f"{self._path}: loading cancelled")

    def report(self, fraction: float) -> None:
        self.check()
        fraction = min(max(fraction, 0.0), 1.0)
        if self._progress is not None and fraction > self._last:
            self._last = fraction
            self._progress(fraction)


def _require_polygons(path: Path, reasons: np.ndarray) -> np.ndarray:
    """The kept features (no drop reason); ReaderError when there are none."""
    keep = ~reasons.astype(bool)
    if not keep.any():
        why = ", ".join(f"{n} {reason}" for reason, n in _count(reasons).items())
        raise ReaderError(path, f"has no polygon features ({why})", hint=_VECTOR_HINT)
    return keep


def _check_file(path: Path) -> None:
    """Refuse missing, empty and non-regular files before GDAL opens (and blocks on) them."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ReaderError(path, "file does not exist") from None
    except OSError as err:
        raise ReaderError(path, f"cannot be read: {err.strerror or err}") from err
    if stat.S_ISDIR(info.st_mode):
        if path.suffix.lower() == ".gdb":
            return
        raise ReaderError(path, "is a folder, not a file", hint=_VECTOR_HINT)
    if not stat.S_ISREG(info.st_mode):
        raise ReaderError(path, "is not a regular file (a pipe, device or socket)")
    if info.st_size == 0:
        raise ReaderError(path, "is empty (0 bytes)")


@contextmanager
def _gdal_errors(path: Path, problem: str) -> Iterator[None]:
    """Turn pyogrio/GDAL/GEOS exceptions into a one-line :class:`ReaderError`."""
    try:
        yield
    except _GDAL_ERRORS as err:
        message = " ".join(str(err).replace(str(path), path.name).split())
        message = message.rsplit("failed: ", 1)[-1]  # sqlite: drop the failed statement
        first, _, rest = message.partition("; ")
        message = first if rest == first else message
        if len(message) > 160:
            message = message[:157] + "..."
        raise ReaderError(path, f"{problem}: {message.rstrip('.')}", hint=_CORRUPT_HINT) from err


def _read_layer(path: Path) -> tuple[dict[str, Any], np.ndarray | None, np.ndarray, pd.DataFrame]:
    """Meta, feature ids, WKB and attribute table of the first polygon layer."""
    with _gdal_errors(path, "GDAL cannot read it as vector data"):
        layers = pyogrio.list_layers(path)
        layer = _pick_layer(path, [(str(n), t) for n, t in layers])
        info = pyogrio.read_info(path, layer=layer)
        if info["features"] > MAX_FEATURES:
            raise ReaderError(
                path,
                f"has {info['features']:,} features, more than the {MAX_FEATURES:,} "
                "Twinscape reads",
                hint="clip it to the area you need, e.g. ogr2ogr -spat xmin ymin xmax ymax",
            )
        where = _OSM_BUILDINGS if info["driver"] == "OSM" else None
        with warnings.catch_warnings():  # GDAL's notes on odd rings: counted as drops below
            warnings.simplefilter("ignore", RuntimeWarning)
            meta, fids, wkb, fields = pyogrio.raw.read(
                path, layer=layer, return_fids=True, where=where
            )
    if len(wkb) == 0:
        what = "no buildings" if where else "no features"
        raise ReaderError(path, f"has {what} (layer {layer!r})", hint=_VECTOR_HINT)
    names = [str(n) for n in meta["fields"]]
    table = pd.DataFrame(dict(zip(names, fields)), index=pd.RangeIndex(len(wkb)))
    return meta, (np.asarray(fids) if fids is not None else None), np.asarray(wkb), table


def _pick_layer(path: Path, layers: Sequence[tuple[str, Any]]) -> str:
    """The first polygon layer, else the first of unknown/mixed geometry type."""
    spatial = [(name, str(kind)) for name, kind in layers if kind is not None]
    for name, kind in spatial:
        if "polygon" in kind.lower() or "surface" in kind.lower():
            return name
    for name, kind in spatial:
        if kind.lower() in ("unknown", "geometry", "geometrycollection"):
            return name
    if not spatial:
        raise ReaderError(path, "has no layer with geometries", hint=_VECTOR_HINT)
    shown = ", ".join(f"{name} ({kind})" for name, kind in spatial[:5])
    raise ReaderError(path, f"has no polygon layer, only {shown}", hint=_VECTOR_HINT)


def _source_crs(path: Path, crs: Any, assume_crs: str | None) -> str:
    """The file's CRS, else ``assume_crs``, normalised (horizontal part only)."""
    if not crs and not assume_crs:
        raise MissingCRSError(path, "has no coordinate reference system", hint=_NO_CRS_HINT)
    try:
        return normalize_crs(horizontal_crs(crs or assume_crs))
    except ValueError as err:
        what, hint = ("its CRS", _NO_CRS_HINT) if crs else ("assume_crs", None)
        raise CRSError(path, f"{what} is unusable: {err}", hint=hint) from err


def _target_crs(path: Path, source: str, target_crs: str | None, geoms: np.ndarray) -> str:
    """``target_crs`` checked to be projected in metres, or the UTM zone of the centre."""
    if target_crs is None:
        xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
        try:
            lon, lat = LonLatTransformer(source).to_lonlat((xmin + xmax) / 2, (ymin + ymax) / 2)
            return utm_crs_for(lon, lat)
        except ValueError as err:
            raise CRSError(
                path, f"cannot place its centre on Earth in {crs_label(source)}"
            ) from err
    try:
        target = normalize_crs(target_crs)
    except ValueError as err:
        raise CRSError(path, f"target CRS: {err}") from err
    if not is_projected_metric(target):
        raise CRSError(
            path,
            f"cannot use {crs_label(target)} as the target CRS: it is not projected in metres",
            hint="use a UTM zone, e.g. EPSG:32636",
        )
    return target


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
