"""CityJSON geometry objects to each building's surfaces: grouping, LoD choice, boundaries,
semantics and templates.

Used by :mod:`twinscape.io.cityjson`; pure numpy, and knows nothing of files. A building
is one ``Building`` CityObject with every ``BuildingPart``, ``BuildingInstallation`` and
``BuildingConstructiveElement`` below it (through ``"parents"``); a part without a
building above it is a building of its own. Its surfaces are triangulated by
:mod:`twinscape.io.cityjson_mesh`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from twinscape.model.buildings import SURFACE_GROUND, SURFACE_ROOF, SURFACE_WALL

#: CityObject types drawn as (pieces of) buildings.
BUILDING_TYPES = frozenset(
    {"Building", "BuildingPart", "BuildingInstallation", "BuildingConstructiveElement"}
)
#: Building pieces that are inside it and never drawn (counted as dropped).
INTERIOR_TYPES = frozenset({"BuildingRoom", "BuildingStorey", "BuildingUnit", "BuildingFurniture"})
#: Geometry types that have surfaces.
SURFACE_GEOMETRIES = frozenset(
    {"MultiSurface", "CompositeSurface", "Solid", "MultiSolid", "CompositeSolid"}
)
#: The class of a surface without semantics: decided from its normal when meshed.
BY_NORMAL = -1
_SEMANTIC_CLASS = {"RoofSurface": SURFACE_ROOF, "GroundSurface": SURFACE_GROUND}


class GeometryError(ValueError):
    """Corrupt geometry; the message names the CityObject."""


@dataclass(frozen=True)
class Templates:
    """``"geometry-templates"``: template geometries and their (real-coordinate) vertices."""

    geometries: list[Any]
    vertices: np.ndarray


@dataclass
class RawBuilding:
    """One building's surfaces before reprojection.

    ``vertices`` are in the file's CRS; each surface is a list of rings (outer first) of
    indices into ``vertices``; ``classes`` holds a SURFACE_* or :data:`BY_NORMAL`.
    """

    building_id: str
    attributes: dict[str, Any]
    vertices: np.ndarray
    surfaces: list[list[np.ndarray]] = field(default_factory=list)
    classes: list[int] = field(default_factory=list)


def parse_lod(value: Any) -> float:
    """A geometry's ``"lod"`` (``2``, ``"2"``, ``"2.2"``) as a number; 0 when unreadable."""
    try:
        lod = float(value)
    except (TypeError, ValueError):
        return 0.0
    return lod if math.isfinite(lod) else 0.0


def collect_buildings(
    objects: dict[str, Any],
    vertices: np.ndarray,
    templates: Templates | None,
    dropped: Counter[str],
    step: Callable[[float], None],
) -> list[RawBuilding]:
    """Group building objects under their root Building and gather their surfaces.

    Each group is drawn at the highest whole LoD any member has (LoD2 over LoD1); each
    member contributes its highest geometry of that LoD. A root's lower-LoD geometry
    is skipped (it generalises its parts); a part's is counted in ``dropped``.
    ``step(fraction)`` is called now and then (it raises to cancel).

    Raises
    ------
    GeometryError
        Malformed boundaries, vertex or template index out of range.
    """
    parent_of: dict[str, str] = {}
    for oid, obj in objects.items():
        if isinstance(obj, dict) and obj.get("type") in BUILDING_TYPES:
            for child in obj.get("children") or []:
                if isinstance(child, str) and child in objects:
                    parent_of.setdefault(child, oid)
    for oid, obj in objects.items():
        parents = obj.get("parents") if isinstance(obj, dict) else None
        named = [p for p in parents or [] if isinstance(p, str) and p in objects]
        if named:
            parent_of[oid] = named[0]
    groups: dict[str, list[str]] = {}
    for oid, obj in objects.items():
        kind = obj.get("type") if isinstance(obj, dict) else None
        if kind in BUILDING_TYPES:
            groups.setdefault(_root_of(oid, objects, parent_of), []).append(oid)
        elif kind in INTERIOR_TYPES:
            dropped[f"inside a building, not drawn ({kind})"] += 1
        else:
            dropped[f"not a building ({kind})"] += 1
    position = {oid: i for i, oid in enumerate(objects)}
    out: list[RawBuilding] = []
    for number, root in enumerate(sorted(groups, key=position.__getitem__)):  # file order
        if number % 64 == 0:
            step(number / len(groups))
        members = sorted(groups[root], key=lambda oid: oid != root)  # the root first
        raw = _collect_group(root, members, objects, vertices, templates, dropped)
        if raw is not None:
            out.append(raw)
    return out


def _root_of(oid: str, objects: dict[str, Any], parent_of: dict[str, str]) -> str:
    """The topmost building object above ``oid`` (itself when it has no building parent)."""
    seen = {oid}
    current = oid
    while True:
        parent = parent_of.get(current)
        if parent is None or parent in seen or not isinstance(objects[parent], dict) or (
            objects[parent].get("type") not in BUILDING_TYPES
        ):
            return current
        seen.add(parent)
        current = parent


def _collect_group(
    root: str,
    members: list[str],
    objects: dict[str, Any],
    vertices: np.ndarray,
    templates: Templates | None,
    dropped: Counter[str],
) -> RawBuilding | None:
    """The surfaces of one building group, or None (counted in ``dropped``)."""
    choices = {oid: _surface_geometries(oid, objects[oid], templates) for oid in members}
    lods = [math.floor(lod) for geoms in choices.values() for lod, _ in geoms]
    if not lods:
        kinds = sorted({str(g.get("type")) for oid in members
                        for g in objects[oid].get("geometry") or [] if isinstance(g, dict)})
        dropped[f"no surface geometry ({', '.join(kinds)})" if kinds else "no geometry"] += 1
        return None
    level = max(lods)
    builder = _Builder(len(vertices))
    for oid in members:
        picked = [(lod, g) for lod, g in choices[oid] if math.floor(lod) == level]
        if picked:
            builder.add(oid, max(picked, key=lambda item: item[0])[1], vertices, templates)
        elif choices[oid] and oid != root:
            dropped[f"part with a lower LoD than LoD{level} of its building"] += 1
    attributes = objects[root].get("attributes")
    raw = builder.finish(root, attributes if isinstance(attributes, dict) else {}, vertices)
    if raw is None:
        dropped["no surfaces in its geometry"] += 1
    return raw


def _surface_geometries(
    oid: str, obj: dict[str, Any], templates: Templates | None
) -> list[tuple[float, dict[str, Any]]]:
    """(lod, geometry) of the object's geometries that have surfaces (instances resolved)."""
    out = []
    for geom in obj.get("geometry") or []:
        if not isinstance(geom, dict):
            raise GeometryError(f"CityObject {oid!r}: a geometry is not a JSON object")
        kind = geom.get("type")
        if kind == "GeometryInstance":
            template = _template(oid, geom, templates)
            if template.get("type") in SURFACE_GEOMETRIES:
                out.append((parse_lod(template.get("lod")), geom))
        elif kind in SURFACE_GEOMETRIES:
            out.append((parse_lod(geom.get("lod")), geom))
    return out


def _template(oid: str, geom: dict[str, Any], templates: Templates | None) -> dict[str, Any]:
    index = geom.get("template")
    if templates is None or not isinstance(index, int) or not 0 <= index < len(
        templates.geometries
    ) or not isinstance(templates.geometries[index], dict):
        raise GeometryError(f"CityObject {oid!r}: geometry template {index!r} does not exist")
    return templates.geometries[index]


class _Builder:
    """Collects one group's rings as indices into file vertices, then extra (instance) ones."""

    def __init__(self, n_file: int) -> None:
        self.n_file = n_file
        self.extra: list[np.ndarray] = []
        self.n_extra = 0
        self.surfaces: list[list[np.ndarray]] = []
        self.classes: list[int] = []

    def add(
        self, oid: str, geom: dict[str, Any], vertices: np.ndarray, templates: Templates | None
    ) -> None:
        offset, limit = 0, self.n_file
        if geom.get("type") == "GeometryInstance":
            template = _template(oid, geom, templates)
            assert templates is not None
            anchor = _indices(oid, geom.get("boundaries"), self.n_file)
            try:
                matrix = np.asarray(geom.get("transformationMatrix", np.eye(4).ravel()), float)
            except (TypeError, ValueError):
                matrix = np.zeros(0)
            if len(anchor) != 1 or matrix.shape != (16,) or not np.isfinite(matrix).all():
                raise GeometryError(f"CityObject {oid!r}: malformed GeometryInstance")
            local = templates.vertices
            placed = local @ matrix.reshape(4, 4)[:3, :3].T + matrix.reshape(4, 4)[:3, 3]
            self.extra.append(placed + vertices[anchor[0]])
            offset, limit = self.n_file + self.n_extra, len(local)
            self.n_extra += len(local)
            geom = template
        for rings, cls in _surfaces(oid, geom):
            indices = [_indices(oid, ring, limit) + offset for ring in rings]
            self.surfaces.append(indices)
            self.classes.append(cls)

    def finish(
        self, oid: str, attributes: dict[str, Any], vertices: np.ndarray
    ) -> RawBuilding | None:
        if not self.surfaces:
            return None
        used, inverse = np.unique(
            np.concatenate([r for s in self.surfaces for r in s]), return_inverse=True
        )
        coords = np.empty((len(used), 3))
        own = used < self.n_file
        coords[own] = vertices[used[own]]
        if self.extra:
            coords[~own] = np.concatenate(self.extra)[used[~own] - self.n_file]
        sizes = np.cumsum([len(r) for s in self.surfaces for r in s])[:-1]
        flat = iter(np.split(inverse.astype(np.int64), sizes))
        surfaces = [[next(flat) for _ in s] for s in self.surfaces]
        return RawBuilding(oid, attributes, coords, surfaces, self.classes)


def _surfaces(oid: str, geom: dict[str, Any]) -> Iterator[tuple[list[Any], int]]:
    """(rings, class) of every exterior surface of a surface geometry."""
    kind, boundaries = geom.get("type"), geom.get("boundaries")
    semantics = geom.get("semantics") if isinstance(geom.get("semantics"), dict) else {}
    types = [s.get("type") if isinstance(s, dict) else None
             for s in semantics.get("surfaces") or []]
    values = semantics.get("values")
    if not isinstance(boundaries, list):
        raise GeometryError(f"CityObject {oid!r}: {kind} boundaries are not a list")
    if kind in ("MultiSurface", "CompositeSurface"):
        shells = [(boundaries, values)]
    elif kind == "Solid":  # the exterior shell only: inner shells are cavities
        shells = [(boundaries[0], _at(values, 0))] if boundaries else []
    else:
        shells = [(solid[0], _at(values, i, 0)) for i, solid in enumerate(boundaries)
                  if isinstance(solid, list) and solid]
    for surfaces, classes in shells:
        if not isinstance(surfaces, list):
            raise GeometryError(f"CityObject {oid!r}: malformed {kind} boundaries")
        for j, rings in enumerate(surfaces):
            if not isinstance(rings, list) or not rings:
                raise GeometryError(f"CityObject {oid!r}: malformed {kind} surface {j}")
            value = _at(classes, j)
            if isinstance(value, int) and 0 <= value < len(types):
                yield rings, _SEMANTIC_CLASS.get(types[value], SURFACE_WALL)
            else:
                yield rings, BY_NORMAL


def _at(values: Any, *path: int) -> Any:
    for index in path:
        if not isinstance(values, list) or index >= len(values):
            return None
        values = values[index]
    return values


def _indices(oid: str, ring: Any, limit: int) -> np.ndarray:
    """A ring's vertex indices, checked to be integers within ``range(limit)``."""
    try:
        indices = np.asarray(ring if isinstance(ring, list) else [[]])
    except (ValueError, OverflowError):  # ragged or huge
        indices = np.zeros((0, 0))
    if indices.ndim != 1 or (len(indices) and indices.dtype.kind not in "iu"):
        raise GeometryError(f"CityObject {oid!r}: a ring is not a list of vertex indices")
    indices = indices.astype(np.int64)
    if len(indices) and (indices.min() < 0 or indices.max() >= limit):
        bad = int(indices.max()) if indices.max() >= limit else int(indices.min())
        raise GeometryError(
            f"CityObject {oid!r}: vertex index {bad} is out of range (0..{limit - 1})"
        )
    return indices
