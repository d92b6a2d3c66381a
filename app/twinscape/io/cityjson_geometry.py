"""Geometry of CityJSON buildings: grouping, LoD choice, surfaces, templates, triangles, footprints.

Used by :mod:`twinscape.io.cityjson`; pure numpy/shapely, and knows nothing of files.
A building is one ``Building`` CityObject with every ``BuildingPart``,
``BuildingInstallation`` and ``BuildingConstructiveElement`` below it (through
``"parents"``); a part without a building above it is a building of its own.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely

from twinscape.geo.triangulate import newell_normal, triangulate_planar
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
#: A surface without semantics is a roof when its unit normal has z above this, a ground
#: surface below minus this, else a wall (walls may lean up to ~75 degrees from horizontal).
TILT_NZ = 0.25
_SEMANTIC_CLASS = {"RoofSurface": SURFACE_ROOF, "GroundSurface": SURFACE_GROUND}
_BY_NORMAL = -1  # surface class still to be decided from the normal


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
    indices into ``vertices``; ``classes`` holds a SURFACE_* or -1 (decide by the normal).
    """

    building_id: str
    attributes: dict[str, Any]
    vertices: np.ndarray
    surfaces: list[list[np.ndarray]] = field(default_factory=list)
    classes: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class MeshedBuilding:
    """One building's triangles in the project CRS, z above its own lowest point."""

    vertices: np.ndarray
    triangles: np.ndarray
    classes: np.ndarray
    footprint: Any
    base: float
    repaired: bool


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
                yield rings, _BY_NORMAL


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


def mesh_buildings(
    raws: list[RawBuilding], xyz: np.ndarray, step: Callable[[float], None]
) -> list[MeshedBuilding | None]:
    """Triangulate the buildings (``xyz``: all their vertices in the project CRS, in order).

    Hole-free triangles and quads split well by a diagonal are done at once with numpy;
    every other surface goes through :func:`triangulate_planar`. A building with no
    surface of any area gives None. ``step(fraction)`` is called now and then.
    """
    starts = np.cumsum([0] + [len(r.vertices) for r in raws])
    surfaces = [[ring + start for ring in s] for raw, start in zip(raws, starts)
                for s in raw.surfaces]
    counts = np.cumsum([0] + [len(r.surfaces) for r in raws])
    ids, tris, done, done_normals = _quick_triangles(surfaces, xyz)
    normal = np.zeros((len(surfaces), 3))
    normal[done] = done_normals
    quick = np.zeros(len(surfaces), dtype=bool)
    quick[done] = True
    slow = np.flatnonzero(~quick)
    for count, number in enumerate(slow):
        if count % 256 == 0:
            step(0.5 * count / len(slow))
        rings = surfaces[number]
        origin = xyz[rings[0][0]] if len(rings[0]) else np.zeros(3)
        kept = [_clean(ring, xyz[ring] - origin) for ring in rings]
        kept = [k for k in kept if len(k[0]) >= 3] if len(kept[0][0]) >= 3 else []
        local = triangulate_planar([points for _, points in kept]) if kept else []
        if len(local):
            ids.append(np.full(len(local), number))
            tris.append(np.concatenate([index for index, _ in kept])[local])
            normal[number] = newell_normal(kept[0][1])
    tri_surface = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
    order = np.argsort(tri_surface, kind="stable")
    tri_surface = tri_surface[order]
    triangles = np.concatenate(tris)[order] if tris else np.zeros((0, 3), dtype=np.int64)
    length = np.linalg.norm(normal, axis=1)
    nz = np.divide(normal[:, 2], length, out=np.zeros(len(length)), where=length > 0)
    by_normal = np.where(np.abs(nz) <= TILT_NZ, SURFACE_WALL,
                         np.where(nz > 0, SURFACE_ROOF, SURFACE_GROUND))
    given = np.array([c for raw in raws for c in raw.classes], dtype=np.int64)
    surface_class = np.where(given == _BY_NORMAL, by_normal, given).astype(np.uint8)
    has_area = np.bincount(tri_surface, minlength=len(surfaces)) > 0
    bounds = np.searchsorted(tri_surface, counts)
    out: list[MeshedBuilding | None] = []
    for b in range(len(raws)):
        if b % 64 == 0:
            step(0.5 + 0.5 * b / len(raws))
        first, last = bounds[b], bounds[b + 1]
        if first == last:
            out.append(None)
            continue
        span = range(counts[b], counts[b + 1])
        grounds = [s for s in span if has_area[s] and surface_class[s] == SURFACE_GROUND]
        outline = grounds or [s for s in span if has_area[s] and abs(nz[s]) > 1e-3]
        used, local = np.unique(triangles[first:last], return_inverse=True)
        points = xyz[used]
        base = float(points[:, 2].min())
        points[:, 2] -= base
        polygons = [[xyz[ring][:, :2] for ring in surfaces[s] if len(ring) >= 3] for s in outline]
        footprint, repaired = _footprint(polygons, points)
        out.append(None if footprint is None else MeshedBuilding(
            vertices=points,
            triangles=local.reshape(-1, 3).astype(np.int32),
            classes=surface_class[tri_surface[first:last]],
            footprint=footprint,
            base=base,
            repaired=repaired,
        ))
    return out


def _quick_triangles(
    surfaces: list[list[np.ndarray]], xyz: np.ndarray
) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray, np.ndarray]:
    """Triangles of the hole-free triangles and quads that one diagonal splits into two
    triangles facing the surface's normal.

    Returns
    -------
    (numbers, triangles, done, normals)
        Lists of per-triangle surface numbers and of (k, 3) vertex indices; the surfaces
        done and their (area-weighted) normals.
    """
    numbers: list[np.ndarray] = []
    triangles: list[np.ndarray] = []
    normals: list[np.ndarray] = []
    done: list[np.ndarray] = []
    for size in (3, 4):
        picked = [i for i, s in enumerate(surfaces) if len(s) == 1 and len(s[0]) == size]
        if not picked:
            continue
        rings = np.array([surfaces[i][0] for i in picked])
        p = xyz[rings] - xyz[rings[:, :1]]
        a1 = _cross(p[:, 1], p[:, 2])
        if size == 3:
            normal, tris = a1, rings[:, None, :]
            good = np.einsum("ij,ij->i", a1, a1) > 0
        else:  # the fan from corner 0, else from corner 1
            normal = a1 + _cross(p[:, 2], p[:, 3])
            fans = []
            for c in (0, 1):
                q = np.roll(p, -c, axis=1)
                faces = (_cross(q[:, 1] - q[:, 0], q[:, 2] - q[:, 0]),
                         _cross(q[:, 2] - q[:, 0], q[:, 3] - q[:, 0]))
                fans.append(np.all([np.einsum("ij,ij->i", f, normal) > 0 for f in faces], axis=0))
            good = fans[0] | fans[1]
            corner = np.where(fans[0], 0, 1)[:, None, None] + np.array([[0, 1, 2], [0, 2, 3]])
            tris = np.take_along_axis(rings, corner.reshape(len(rings), 6) % 4, axis=1)
            tris = tris.reshape(len(rings), 2, 3)
        chosen = np.asarray(picked)[good]
        numbers.append(np.repeat(chosen, tris.shape[1]))
        triangles.append(tris[good].reshape(-1, 3))
        normals.append(normal[good])
        done.append(chosen)
    if not done:
        return numbers, triangles, np.zeros(0, dtype=np.int64), np.zeros((0, 3))
    return numbers, triangles, np.concatenate(done), np.concatenate(normals)


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cross product of (n, 3) arrays (np.cross is slow on small inputs)."""
    return np.column_stack((a[:, 1] * b[:, 2] - a[:, 2] * b[:, 1],
                            a[:, 2] * b[:, 0] - a[:, 0] * b[:, 2],
                            a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]))


def _clean(index: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop consecutive duplicate points and the closing point (as the triangulator does)."""
    if len(points) == 0:
        return index, points
    keep = np.ones(len(points), dtype=bool)
    keep[1:] = np.any(points[1:] != points[:-1], axis=1)
    index, points = index[keep], points[keep]
    if len(points) > 1 and np.array_equal(points[0], points[-1]):
        index, points = index[:-1], points[:-1]
    return index, points


def _footprint(polygons: list[list[np.ndarray]], points: np.ndarray) -> tuple[Any, bool]:
    """Union of the 2-D polygons (valid), else the convex hull of the points; None if no area."""
    parts, repaired = [], False
    for rings in polygons:
        try:
            polygon = shapely.Polygon(rings[0], rings[1:])
        except (ValueError, shapely.errors.GEOSException):  # a ring of under 3 points
            continue
        if not polygon.is_valid:
            polygon, repaired = shapely.make_valid(polygon), True
        parts.extend(_polygonal(polygon))
    shape = _as_polygonal(shapely.union_all(parts)) if parts else None
    if shape is None or shape.area <= 0:
        shape = _as_polygonal(shapely.MultiPoint(points[:, :2]).convex_hull)
    if shape is None or shape.area <= 0:
        return None, repaired
    return shape, repaired


def _polygonal(geometry: Any) -> list[Any]:
    """The Polygon pieces of any geometry."""
    if geometry.geom_type == "Polygon":
        return [] if geometry.is_empty else [geometry]
    if geometry.geom_type in ("MultiPolygon", "GeometryCollection"):
        return [p for part in shapely.get_parts(geometry) for p in _polygonal(part)]
    return []


def _as_polygonal(geometry: Any) -> Any:
    """A valid Polygon or MultiPolygon from a geometry, or None."""
    pieces = _polygonal(geometry if geometry.is_valid else shapely.make_valid(geometry))
    if not pieces:
        return None
    return pieces[0] if len(pieces) == 1 else shapely.MultiPolygon(pieces)
