"""Extrude 2-D footprints into LoD1 block buildings: walls and a flat roof, one mesh for all.

:func:`repair_footprints` first makes them valid polygons with area (counting what it
drops and why); :func:`extrude_footprints` then triangulates them.

Walls are built for every ring (outer rings and courtyards) in numpy, all buildings at
once; roofs of strictly convex footprints without holes (most buildings) are fans, also
in numpy, and every other roof goes through earcut
(:func:`twinscape.geo.triangulate.triangulate_rings`) one polygon at a time.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import shapely

from twinscape.geo.triangulate import triangulate_rings
from twinscape.model.buildings import SURFACE_ROOF, SURFACE_WALL

#: Polygons triangulated between two calls of the ``progress`` callback.
_PROGRESS_EVERY = 2000

_POINTS_OR_LINES = "points or lines, not polygons"

Extruded = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def extrude_footprints(
    footprints: np.ndarray,
    heights: np.ndarray,
    *,
    progress: Callable[[float], None] | None = None,
) -> Extruded:
    """Triangulate LoD1 solids: each footprint raised to its height, with walls and a roof.

    Parameters
    ----------
    footprints
        Object array (n,) of valid 2-D shapely Polygons / MultiPolygons (e.g. after
        ``shapely.make_valid``) in a projected CRS. Non-polygonal parts are ignored;
        an empty footprint gives no triangles.
    heights
        float64 (n,): height of each building above its own ground, finite and > 0.
    progress
        Called with a fraction 0..1 while roofs are triangulated; it may raise (e.g.
        :class:`~twinscape.model.errors.LoadCancelled`) to stop.

    Returns
    -------
    vertices
        float64 (p, 3): x, y and z (0 at the base, the height at the top). The vertices of a
        building form one contiguous range and no building shares one with another. Each
        ring point has three: base, wall top and roof (so the roof edge stays sharp).
    triangles
        int32 (t, 3), counter-clockwise seen from outside: walls face away from the
        building (into the courtyard for holes), roofs face up. No ground faces.
    triangle_building
        int32 (t,): index into ``footprints`` of each triangle; triangles are sorted by it.
    triangle_surface
        uint8 (t,): :data:`~twinscape.model.buildings.SURFACE_WALL` or
        :data:`~twinscape.model.buildings.SURFACE_ROOF`.

    Raises
    ------
    ValueError
        When the arrays differ in length or a height is not finite and positive.
    """
    footprints = np.asarray(footprints, dtype=object).reshape(-1)
    heights = np.asarray(heights, dtype=np.float64).reshape(-1)
    if footprints.shape != heights.shape:
        raise ValueError(f"{len(footprints)} footprints but {len(heights)} heights")
    bad = ~(np.isfinite(heights) & (heights > 0))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(f"height of footprint {first} is {heights[first]}: must be > 0")
    rings = _Rings.of(footprints)
    vertices = _vertices(rings, heights)
    wall_tris, wall_owner = _walls(rings)
    roof_tris, roof_owner = _roofs(rings, progress)
    triangles = np.concatenate([wall_tris, roof_tris]).astype(np.int32, copy=False)
    owner = np.concatenate([wall_owner, roof_owner]).astype(np.int32, copy=False)
    surface = np.concatenate(
        [
            np.full(len(wall_tris), SURFACE_WALL, dtype=np.uint8),
            np.full(len(roof_tris), SURFACE_ROOF, dtype=np.uint8),
        ]
    )
    order = np.argsort(owner, kind="stable")
    if progress is not None:
        progress(1.0)
    return vertices, triangles[order], owner[order], surface[order]


def repair_footprints(
    footprints: np.ndarray, *, min_width: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Valid 2-D (Multi)Polygons with area, ready for :func:`extrude_footprints`.

    Invalid polygons go through ``shapely.make_valid`` (structure method, polygonal parts
    kept), collections keep their polygons, parts thinner than ``min_width`` on average
    (2 x area / perimeter: slivers left by clipped or self-intersecting outlines) are
    removed, and anything without polygon area is dropped with a reason.

    Parameters
    ----------
    footprints
        Object array (n,) of shapely geometries or None.
    min_width
        Mean width (CRS units) under which a polygon part is a sliver; 0 keeps every part.

    Returns
    -------
    geometries
        Object array (n,): the repaired footprint, or None where dropped.
    reasons
        Object array (n,): why a footprint was dropped, None where kept (and for None input).
    repaired
        bool (n,): footprints changed by the repair (kept or not).
    """
    geoms = np.array(footprints, dtype=object).reshape(-1)
    reasons = np.full(len(geoms), None, dtype=object)
    present = ~shapely.is_missing(geoms)
    reasons[present & shapely.is_empty(geoms)] = "empty geometry"
    kind = shapely.get_type_id(geoms)
    reasons[present & np.isin(kind, (0, 1, 2, 4, 5))] = _POINTS_OR_LINES
    geoms[reasons.astype(bool)] = None
    present = ~shapely.is_missing(geoms)
    repaired = present & ~shapely.is_valid(geoms)
    if repaired.any():
        geoms[repaired] = shapely.make_valid(
            geoms[repaired], method="structure", keep_collapsed=False
        )
    mixed = present & (shapely.get_type_id(geoms) == 7)
    if mixed.any():
        parts, owner = shapely.get_parts(geoms[mixed], return_index=True)
        keep = (shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)
        geoms[mixed] = _multipolygons(parts[keep], owner[keep], int(mixed.sum()))
    no_area = present & ~(shapely.area(geoms) > 0)
    reasons[no_area & repaired] = "collapsed polygon (no area once repaired)"
    reasons[no_area & ~repaired & mixed] = _POINTS_OR_LINES
    reasons[no_area & ~repaired & ~mixed] = "no polygon area"
    geoms[no_area] = None
    if min_width > 0:
        _drop_slivers(geoms, reasons, repaired, min_width)
    return geoms, reasons, repaired


def _drop_slivers(
    geoms: np.ndarray, reasons: np.ndarray, repaired: np.ndarray, min_width: float
) -> None:
    """Remove parts thinner than ``min_width`` on average, in place."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        thin = 2 * shapely.area(parts) / shapely.length(parts) < min_width
    if not thin.any():
        return
    touched = np.unique(owner[thin])
    kept = ~thin & np.isin(owner, touched)
    geoms[touched] = _multipolygons(
        parts[kept], np.searchsorted(touched, owner[kept]), len(touched)
    )
    gone = touched[shapely.is_empty(geoms[touched])]
    repaired[touched] = True
    reasons[gone] = f"sliver (under {min_width:g} m wide)"
    geoms[gone] = None


def _multipolygons(polygons: np.ndarray, owner: np.ndarray, count: int) -> np.ndarray:
    """``count`` MultiPolygons, number ``i`` made of the polygons whose owner is ``i``."""
    out = np.array([shapely.MultiPolygon()] * count, dtype=object)
    if len(polygons):
        owners, compact = np.unique(owner, return_inverse=True)
        out[owners] = shapely.multipolygons(polygons, indices=compact)
    return out


class _Rings:
    """The open rings of every polygon part: exteriors counter-clockwise, holes clockwise."""

    xy: np.ndarray  # float64 (P, 2): ring points, without closing points
    ring_start: np.ndarray  # int64 (r,): index of each ring's first point in xy
    ring_size: np.ndarray  # int64 (r,): points of each ring (>= 3)
    ring_part: np.ndarray  # int64 (r,): polygon part of each ring (exterior first)
    part_building: np.ndarray  # int64 (m,): footprint of each part
    point_building: np.ndarray  # int64 (P,): footprint of each point

    @classmethod
    def of(cls, footprints: np.ndarray) -> _Rings:
        parts, part_building = shapely.get_parts(footprints, return_index=True)
        polygonal = (shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)
        parts, part_building = parts[polygonal], part_building[polygonal]
        parts = shapely.orient_polygons(shapely.remove_repeated_points(parts), exterior_cw=False)
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
        counts = np.bincount(coord_ring, minlength=len(rings))
        closing = np.cumsum(counts)[counts > 0] - 1
        keep = np.ones(len(coords), dtype=bool)
        keep[closing] = False
        size = np.maximum(counts - 1, 0)
        # a ring of fewer than 3 points has no area: drop it (and the holes of such an exterior)
        exterior = np.ones(len(rings), dtype=bool)
        exterior[1:] = ring_part[1:] != ring_part[:-1]
        ok = size >= 3
        part_ok = np.zeros(len(parts), dtype=bool)
        part_ok[ring_part[exterior]] = ok[exterior]
        ok &= part_ok[ring_part]
        keep &= ok[coord_ring]
        self = cls()
        self.xy = coords[keep]
        self.ring_size = size[ok]
        self.ring_start = np.concatenate([[0], np.cumsum(self.ring_size)[:-1]]).astype(np.int64)
        self.ring_part = ring_part[ok]
        self.part_building = part_building
        self.point_building = np.repeat(part_building[self.ring_part], self.ring_size)
        return self

    def next_index(self) -> np.ndarray:
        """Index of each point's successor along its ring (wrapping to the ring's start)."""
        idx = np.arange(len(self.xy))
        nxt = idx + 1
        ends = self.ring_start + self.ring_size - 1
        nxt[ends] = self.ring_start
        return nxt

    def prev_index(self) -> np.ndarray:
        """Index of each point's predecessor along its ring."""
        idx = np.arange(len(self.xy))
        prv = idx - 1
        prv[self.ring_start] = self.ring_start + self.ring_size - 1
        return prv


def _vertices(rings: _Rings, heights: np.ndarray) -> np.ndarray:
    """Three vertices per ring point, interleaved: base (3i), wall top (3i+1), roof (3i+2)."""
    count = len(rings.xy)
    vertices = np.empty((count, 3, 3), dtype=np.float64)
    vertices[:, :, :2] = rings.xy[:, np.newaxis, :]
    top = heights[rings.point_building]
    vertices[:, 0, 2] = 0.0
    vertices[:, 1, 2] = top
    vertices[:, 2, 2] = top
    return vertices.reshape(-1, 3)


def _walls(rings: _Rings) -> tuple[np.ndarray, np.ndarray]:
    """Two triangles per ring edge i -> j: (base i, base j, top j) and (base i, top j, top i)."""
    i = np.arange(len(rings.xy), dtype=np.int64)
    j = rings.next_index()
    tris = np.empty((len(i), 2, 3), dtype=np.int64)
    tris[:, 0] = np.column_stack((3 * i, 3 * j, 3 * j + 1))
    tris[:, 1] = np.column_stack((3 * i, 3 * j + 1, 3 * i + 1))
    return tris.reshape(-1, 3), np.repeat(rings.point_building, 2)


def _roofs(
    rings: _Rings, progress: Callable[[float], None] | None
) -> tuple[np.ndarray, np.ndarray]:
    """Roof triangles (fans for strictly convex single-ring parts, earcut for the rest)."""
    part_rings = np.bincount(rings.ring_part, minlength=len(rings.part_building))
    first_ring = np.concatenate([[0], np.cumsum(part_rings)[:-1]]).astype(np.int64)
    has_rings = part_rings > 0
    convex = np.zeros(len(rings.part_building), dtype=bool)
    if len(rings.xy):
        p, c, n = rings.xy[rings.prev_index()], rings.xy, rings.xy[rings.next_index()]
        cross = (c[:, 0] - p[:, 0]) * (n[:, 1] - c[:, 1]) - (c[:, 1] - p[:, 1]) * (
            n[:, 0] - c[:, 0]
        )
        ring_convex = np.minimum.reduceat(cross, rings.ring_start) > 0
        single = has_rings & (part_rings == 1)
        convex[single] = ring_convex[first_ring[single]]
    fan_rings = first_ring[convex]
    fan_tris = _fans(rings.ring_start[fan_rings], rings.ring_size[fan_rings])
    fan_owner = np.repeat(rings.part_building[convex], rings.ring_size[fan_rings] - 2)
    others = np.flatnonzero(has_rings & ~convex)
    tris_list, owner_list = [fan_tris], [fan_owner]
    xy, starts, sizes = rings.xy, rings.ring_start.tolist(), rings.ring_size.tolist()
    first_ring, part_rings = first_ring.tolist(), part_rings.tolist()
    for done, part in enumerate(others):
        if progress is not None and done % _PROGRESS_EVERY == 0:
            progress(done / len(others))
        r0, r1 = first_ring[part], first_ring[part] + part_rings[part]
        start = starts[r0]
        ring_list = [xy[starts[r] : starts[r] + sizes[r]] for r in range(r0, r1)]
        local = triangulate_rings(ring_list)
        tris_list.append(3 * (local.astype(np.int64) + start) + 2)
        owner_list.append(np.full(len(local), rings.part_building[part], dtype=np.int64))
    return np.concatenate(tris_list), np.concatenate(owner_list)


def _fans(start: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Fan triangles (s, s+m, s+m+1), m = 1..k-2, of convex rings, as roof vertex indices."""
    per = np.maximum(size - 2, 0)
    total = int(per.sum())
    if total == 0:
        return np.zeros((0, 3), dtype=np.int64)
    s = np.repeat(start, per)
    m = np.arange(total) - np.repeat(np.cumsum(per) - per, per) + 1
    tris = np.column_stack((s, s + m, s + m + 1))
    return 3 * tris + 2
