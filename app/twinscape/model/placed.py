"""Placed infrastructure: turbines, towers, roads, railways, solar farms on the terrain.

A :class:`PlacedAssetsLayer` holds the assets a planner placed, each a frozen
:class:`PlacedAsset` (an entry of the :mod:`catalogue <twinscape.model.catalogue>`
plus its world coordinates in the project CRS). Assets are immutable: an edit
replaces the asset, so undo (model/commands.py) keeps the old one and every change
of :attr:`PlacedAssetsLayer.assets` fires ``layer.events.assets``.

How well a placement works on the ground (grades, curve radii, slope under the
footprint, cut and fill) is an :class:`Assessment`, computed by geo/design_checks.py
from the layer's :attr:`~PlacedAssetsLayer.ground`; assessments are derived data,
never saved.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import ClassVar

from psygnal import evented

from twinscape.model.catalogue import GEOMETRIES, MIN_VERTICES, PARAMETERS, Catalogue
from twinscape.model.layers import Layer, _new_id
from twinscape.model.obstacles import Obstacles
from twinscape.model.raster import RasterGrid

#: Statuses of an assessment and of a line's segments, best first.
STATUSES: tuple[str, ...] = ("ok", "warn", "fail")
#: A value over this fraction of its design limit is a warning (amber).
WARN_FRACTION = 0.8

#: ``assessor(layer) -> {asset id: Assessment}``; installed by geo/io (model/ cannot
#: import geo/), used by :meth:`PlacedAssetsLayer.identify`. See :func:`use_assessor`.
Assessor = Callable[["PlacedAssetsLayer"], "Mapping[str, Assessment]"]
_assessor: Assessor | None = None


def use_assessor(assessor: Assessor | None) -> None:
    """Say how a layer's assets are assessed on its ground (for identify)."""
    global _assessor
    _assessor = assessor


@dataclass(frozen=True)
class PlacedAsset:
    """One placed asset.

    Parameters
    ----------
    entry
        Key of its :class:`~twinscape.model.catalogue.CatalogueEntry`.
    coords
        World (x, y) vertices in the project CRS: one for a point asset, two or more
        for a line, three or more for a polygon (an open ring).
    rotation_deg
        Clockwise from north (point assets).
    name
        Label given by the user ("" shows the entry's title).
    params
        Parameters overriding the entry's (a taller hub, a pad's design elevation).
    id
        Stable identity within the layer (saved).
    """

    entry: str
    coords: tuple[tuple[float, float], ...]
    rotation_deg: float = 0.0
    name: str = ""
    params: Mapping[str, float] = field(default_factory=dict)
    id: str = field(default_factory=_new_id)

    def __post_init__(self) -> None:
        coords = tuple((float(x), float(y)) for x, y in self.coords)
        if not coords:
            raise ValueError("coords: an asset needs at least one vertex")
        if not all(math.isfinite(v) for xy in coords for v in xy):
            raise ValueError("coords: vertices must be finite numbers")
        if not math.isfinite(self.rotation_deg):
            raise ValueError(f"rotation_deg: {self.rotation_deg!r} is not a finite number")
        for name, value in self.params.items():
            if name not in PARAMETERS:
                raise ValueError(f"params.{name}: unknown parameter")
            if not isinstance(value, (int, float)) or math.isinf(value):
                raise ValueError(f"params.{name}: {value!r} is not a finite number")
        object.__setattr__(self, "coords", coords)
        object.__setattr__(self, "rotation_deg", float(self.rotation_deg) % 360.0)
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    def __hash__(self) -> int:
        return hash((self.id, self.entry, self.coords, self.rotation_deg, self.name,
                     tuple(sorted(self.params.items()))))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PlacedAsset):
            return NotImplemented
        return (self.id, self.entry, self.coords, self.rotation_deg, self.name,
                dict(self.params)) == (other.id, other.entry, other.coords, other.rotation_deg,
                                       other.name, dict(other.params))  # fmt: skip

    def moved(self, dx: float, dy: float) -> PlacedAsset:
        """The same asset shifted by (dx, dy) metres."""
        return replace(self, coords=tuple((x + dx, y + dy) for x, y in self.coords))

    def with_vertex(self, index: int, xy: tuple[float, float]) -> PlacedAsset:
        """The same asset with vertex ``index`` moved to ``xy``."""
        coords = list(self.coords)
        coords[index] = (float(xy[0]), float(xy[1]))
        return replace(self, coords=tuple(coords))

    def param(self, name: str, catalogue: Catalogue, default: float = math.nan) -> float:
        """This asset's value of ``name``: its own override, else its entry's."""
        if name in self.params:
            return float(self.params[name])
        return catalogue.get(self.entry).param(name, default)

    @property
    def centroid(self) -> tuple[float, float]:
        """Mean of its vertices (where a point asset stands)."""
        n = len(self.coords)
        return sum(x for x, _ in self.coords) / n, sum(y for _, y in self.coords) / n


@dataclass(frozen=True)
class Assessment:
    """How a placed asset fits the ground: measures and the problems found.

    Parameters
    ----------
    status
        Worst of its checks, one of :data:`STATUSES`.
    issues
        One line per problem ("grade 14.2 % on segment 3 exceeds 8 %").
    ground_z
        Terrain elevation under each vertex (NaN off the terrain).
    base_z
        Where a point or polygon asset's base stands (lowest ground under it), or the
        design surface of a pad; NaN with no ground.
    length_m, area_m2
        Horizontal length of a line, area of a polygon (0 otherwise).
    segment_grades_pct, segment_status
        Per segment of a line: grade in percent along the ground and its status.
    max_grade_pct, min_radius_m, slope_deg
        Steepest grade of a line, tightest curve radius (inf when straight) and the
        steepest ground under a footprint (NaN when not measured).
    ground_grade_pct
        Steepest grade of the ground itself along a line, sampled about every grid
        cell (how rough the terrain is between vertices; NaN when not measured).
    cut_m3, fill_m3
        Earthworks volumes (0 when not measured).
    """

    status: str
    issues: tuple[str, ...] = ()
    ground_z: tuple[float, ...] = ()
    base_z: float = math.nan
    length_m: float = 0.0
    area_m2: float = 0.0
    segment_grades_pct: tuple[float, ...] = ()
    segment_status: tuple[str, ...] = ()
    max_grade_pct: float = math.nan
    min_radius_m: float = math.inf
    slope_deg: float = math.nan
    ground_grade_pct: float = math.nan
    cut_m3: float = 0.0
    fill_m3: float = 0.0

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status: {self.status!r} is not one of {STATUSES}")


def assessment_attributes(assessment: Assessment) -> dict[str, object]:
    """The measures of an assessment worth listing (rounded, unmeasured ones left out)."""
    info: dict[str, object] = {"status": assessment.status}
    if assessment.issues:
        info["problems"] = "; ".join(assessment.issues)
    measures = {
        "base elevation (m)": (assessment.base_z, 2),
        "length (m)": (assessment.length_m, 1),
        "area (m2)": (assessment.area_m2, 1),
        "max grade (%)": (assessment.max_grade_pct, 2),
        "min curve radius (m)": (assessment.min_radius_m, 1),
        "ground slope (deg)": (assessment.slope_deg, 2),
        "cut (m3)": (assessment.cut_m3, 0),
        "fill (m3)": (assessment.fill_m3, 0),
    }
    for label, (value, digits) in measures.items():
        if math.isfinite(value) and (value != 0.0 or label.startswith(("cut", "fill"))):
            info[label] = round(value, digits) if digits else int(round(value))
    return info


def check_vertices(asset: PlacedAsset, geometry: str) -> None:
    """Raise ValueError when ``asset`` has too few vertices for ``geometry``."""
    if geometry not in GEOMETRIES:
        raise ValueError(f"geometry: {geometry!r} is not one of {', '.join(GEOMETRIES)}")
    need = MIN_VERTICES[geometry]
    if geometry == "point" and len(asset.coords) != 1:
        raise ValueError(f"coords: a point asset has one vertex, got {len(asset.coords)}")
    if len(asset.coords) < need:
        raise ValueError(f"coords: a {geometry} needs {need} or more vertices, got "
                         f"{len(asset.coords)}")


@evented
@dataclass(kw_only=True, eq=False)
class PlacedAssetsLayer(Layer):
    """Infrastructure placed by the planner, saved in the project.

    Parameters
    ----------
    assets
        The placed assets, in the order they were placed.
    catalogue_files
        The user's own catalogue files (absolute paths), read after the built-in one.
    catalogue
        The merged catalogue (set by loading; never saved).
    ground
        Elevation grids the assets stand on, topmost first (set by loading and
        re-basing; never saved).
    obstacles
        What other layers already stand on the ground (buildings), which the assets'
        design checks report running into (set by loading; never saved).
    import_from
        An exported assets file (GeoPackage, GeoJSON) whose assets loading imports
        into this layer, then clears (a layer made by opening such a file; never saved).
    """

    kind: ClassVar[str] = "placed"
    stands_on_ground: ClassVar[bool] = True
    data_fields: ClassVar[tuple[str, ...]] = ("catalogue", "ground", "obstacles")
    reload_fields: ClassVar[tuple[str, ...]] = ("catalogue_files",)

    assets: tuple[PlacedAsset, ...] = ()
    catalogue_files: tuple[Path, ...] = ()
    catalogue: Catalogue | None = None
    ground: tuple[RasterGrid, ...] = ()
    obstacles: tuple[Obstacles, ...] = ()
    import_from: Path | None = None

    @property
    def loaded(self) -> bool:
        """True once the catalogue is read."""
        return self.catalogue is not None

    @property
    def bounds(self) -> tuple[float, float, float, float] | None:
        """Box of every asset's vertices, or None when there are none."""
        xy = [p for asset in self.assets for p in asset.coords]
        if not xy:
            return None
        xs, ys = [p[0] for p in xy], [p[1] for p in xy]
        return min(xs), min(ys), max(xs), max(ys)

    def index_of(self, asset_id: str) -> int:
        """Position of the asset with ``asset_id``; KeyError when there is none."""
        for index, asset in enumerate(self.assets):
            if asset.id == asset_id:
                return index
        raise KeyError(f"no placed asset with id {asset_id!r} in layer {self.name!r}")

    def asset(self, asset_id: str) -> PlacedAsset:
        """The asset with ``asset_id``."""
        return self.assets[self.index_of(asset_id)]

    def insert(self, asset: PlacedAsset, index: int | None = None) -> None:
        """Add ``asset`` (at ``index``, default last); its id must be new."""
        if any(a.id == asset.id for a in self.assets):
            raise ValueError(f"an asset with id {asset.id!r} is already placed")
        if self.catalogue is not None:
            check_vertices(asset, self.catalogue.get(asset.entry).geometry)
        assets = list(self.assets)
        assets.insert(len(assets) if index is None else index, asset)
        self.assets = tuple(assets)

    def replace_asset(self, asset: PlacedAsset) -> PlacedAsset:
        """Put ``asset`` in place of the one with its id; returns the one replaced."""
        index = self.index_of(asset.id)
        if self.catalogue is not None:
            check_vertices(asset, self.catalogue.get(asset.entry).geometry)
        old = self.assets[index]
        self.assets = self.assets[:index] + (asset,) + self.assets[index + 1:]
        return old

    def remove(self, asset_id: str) -> tuple[int, PlacedAsset]:
        """Remove the asset with ``asset_id``; returns its position and the asset."""
        index = self.index_of(asset_id)
        old = self.assets[index]
        self.assets = self.assets[:index] + self.assets[index + 1:]
        return index, old

    def entry_of(self, asset: PlacedAsset) -> str:
        """Title of the asset's catalogue entry (its key when the catalogue lacks it)."""
        if self.catalogue is not None and asset.entry in self.catalogue:
            return self.catalogue.get(asset.entry).title
        return asset.entry

    def feature_label(self, row: int) -> str:
        """The asset's name, or its entry's title and number."""
        asset = self.assets[row]
        return asset.name or f"{self.entry_of(asset)} {row + 1}"

    def identify(self, row: int | None, point: tuple[float, float, float]) -> dict[str, object]:
        """The asset's entry, parameters and, once assessed, its measures and problems."""
        if row is None or not 0 <= row < len(self.assets):
            return {}
        asset = self.assets[row]
        info: dict[str, object] = {"asset": self.feature_label(row), "type": self.entry_of(asset),
                                   "id": asset.id, "vertices": len(asset.coords)}
        if len(asset.coords) == 1:
            info["rotation (deg)"] = round(asset.rotation_deg, 1)
        if self.catalogue is not None and asset.entry in self.catalogue:
            entry = self.catalogue.get(asset.entry)
            for name in entry.params:
                info[name] = asset.param(name, self.catalogue)
        assessment = None if _assessor is None else _assessor(self).get(asset.id)
        if assessment is not None:
            info.update(assessment_attributes(assessment))
        return info

    def describe(self) -> list[str]:
        """How many assets of each entry."""
        counts: dict[str, int] = {}
        for asset in self.assets:
            counts[self.entry_of(asset)] = counts.get(self.entry_of(asset), 0) + 1
        if not counts:
            return ["No assets placed yet"]
        return [f"{count} x {title}" for title, count in sorted(counts.items())]


def assets_of(layers: Iterable[Layer]) -> list[PlacedAssetsLayer]:
    """The placed-assets layers among ``layers``."""
    return [layer for layer in layers if isinstance(layer, PlacedAssetsLayer)]
