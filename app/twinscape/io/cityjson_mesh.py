"""Triangles, surface classes and footprints of CityJSON buildings.

Used by :mod:`twinscape.io.cityjson` on the surfaces :mod:`twinscape.io.cityjson_geometry`
collects, once their vertices are in the project CRS; pure numpy/shapely.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from twinscape.geo.triangulate import newell_normal, triangulate_planar
from twinscape.io.cityjson_geometry import BY_NORMAL, RawBuilding
from twinscape.model.buildings import SURFACE_GROUND, SURFACE_ROOF, SURFACE_WALL

#: A surface without semantics is a roof when its unit normal has z above this, a ground
#: surface below minus this, else a wall (walls may lean up to ~75 degrees from horizontal).
TILT_NZ = 0.25


@dataclass(frozen=True)
class MeshedBuilding:
    """One building's triangles in the project CRS, z above its own lowest point."""

    vertices: np.ndarray
    triangles: np.ndarray
    classes: np.ndarray
    footprint: Any
    base: float
    repaired: bool


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
    surface_class = np.where(given == BY_NORMAL, by_normal, given).astype(np.uint8)
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
