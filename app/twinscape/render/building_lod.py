"""Levels of detail of a buildings layer, numpy only: chunks, size classes, colours.

The layer is cut into chunks (one actor each, see
:mod:`~twinscape.render.buildings_visual`) by the centres of the buildings in a k x k
grid. Inside a chunk the buildings are sorted by size class, largest first: class ``k``
holds the buildings whose size ``max(footprint diagonal, height)`` lies below
``CLASS_EDGES[k]`` metres (and above the edge before). Level ``j`` of a chunk draws the
classes ``>= j`` as triangles, which are a prefix of the chunk's cells and points, so
every level is a view of the same arrays; each smaller class is drawn as points
(:mod:`~twinscape.render.building_points`): one per building, as large as the building
looks and in the colour of its surfaces facing the eye.

Why points rather than roofs only: at the demo town's overview a building spans about
a pixel and its walls give half of its colour (roofs are nearly the colour of the
sand). Dropping walls below 2 px made the town all but vanish (3.3/255 mean difference,
15 % of pixels off by more than 10/255); points with the walls' colour mixed in look
the same and cost one vertex instead of about eleven triangles.

Which level a frame draws is chosen in :mod:`~twinscape.render.building_levels`.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import shapely

from twinscape.geo.origin import LocalOrigin
from twinscape.model.buildings import SURFACE_GROUND, SURFACE_ROOF, BuildingMesh, BuildingsLayer
from twinscape.render.building_chunks import ChunkLOD, chunk_grid, face_points, split_at
from twinscape.render.building_colors import HIGHLIGHT, building_colors, shading
from twinscape.render.building_levels import CLASS_EDGES, N_CLASSES
from twinscape.render.building_points import BINS, PointClass, binned, direction_bins

#: Triangles a chunk (one actor) holds, roughly.
CHUNK_TRIANGLES = 12_000


def building_base(base: np.ndarray | None, mesh: BuildingMesh) -> np.ndarray:
    """float64 (n,): the elevation each building stands on (its own base where unknown)."""
    if base is None or np.shape(base) != (mesh.count,):
        return np.asarray(mesh.own_base, np.float64)
    return np.where(np.isfinite(base), base, mesh.own_base).astype(np.float64)


def style_key(layer: BuildingsLayer) -> tuple:
    """The style values the colours depend on."""
    return tuple(getattr(layer.style, f.name) for f in fields(layer.style))


# -- building sizes and chunks ---------------------------------------------------------
def building_boxes(mesh: BuildingMesh, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float64 (n, 3) low and high corners of each building (NaN without vertices)."""
    used = np.flatnonzero(owner >= 0)
    order = used[np.argsort(owner[used], kind="stable")]
    o = owner[order]
    lo = np.full((mesh.count, 3), np.nan)
    hi = np.full((mesh.count, 3), np.nan)
    if len(o):
        starts = np.flatnonzero(np.r_[True, o[1:] != o[:-1]])
        v = np.asarray(mesh.vertices, np.float64)[order]
        lo[o[starts]] = np.minimum.reduceat(v, starts, axis=0)
        hi[o[starts]] = np.maximum.reduceat(v, starts, axis=0)
    return lo, hi


def outward_solids(mesh: BuildingMesh, samples: int = 4000) -> bool:
    """True when the buildings look like extruded footprints: closed to the eye from outside.

    No ground surfaces, roofs facing up, and walls (a sample of them) facing out of their
    footprints: then faces seen from behind are never visible and may be culled. City
    models, whose surfaces may be open or turned either way, usually fail.
    """
    tri = np.asarray(mesh.triangles)
    surface = np.asarray(mesh.triangle_surface)
    if len(tri) == 0 or (surface == SURFACE_GROUND).any():
        return False
    v = np.asarray(mesh.vertices, np.float64)
    pick = np.random.default_rng(0).choice(len(tri), min(samples, len(tri)), replace=False)
    corners = v[tri[pick]]
    n = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    length = np.linalg.norm(n, axis=1)
    ok = length > 1e-9
    n = n[ok] / length[ok, None]
    roof = surface[pick][ok] == SURFACE_ROOF
    if (n[roof, 2] <= 0.5).any() or (np.abs(n[~roof, 2]) > 1e-3).any():
        return False
    mid = corners[ok][~roof].mean(axis=1)[:, :2] + 0.05 * n[~roof, :2]
    rows = np.asarray(mesh.triangle_building)[pick][ok][~roof]
    foot = np.asarray(mesh.footprints, dtype=object)[rows]
    if len(foot) == 0 or shapely.is_missing(foot).any():
        return len(foot) == 0
    inside = shapely.contains_xy(foot, mid[:, 0], mid[:, 1])
    return bool(inside.mean() <= 0.01)


def _valid(rows: Any, n: int) -> np.ndarray:
    rows = np.unique(np.asarray(list(rows), np.int64))
    return rows[(rows >= 0) & (rows < n)]


@dataclass
class BuildingLOD:
    """Everything numpy of a buildings visual: chunks, levels, shading and colours."""

    chunks: list[ChunkLOD]
    shade: np.ndarray  # float32 (t,): shading factor per triangle
    bin_index: np.ndarray  # int8 (t, 3): direction bins of each triangle (building_points)
    bin_weight: np.ndarray  # float32 (t, 3)
    triangle_building: np.ndarray  # (t,): the mesh's, not a copy
    spans: np.ndarray  # int64 (n, 3): chunk (-1: no triangles), first and end cell
    outward: bool  # back faces may be culled
    origin: LocalOrigin
    base: np.ndarray  # float64 (n,): bases the points stand on
    chunk_triangles: int = CHUNK_TRIANGLES
    plain: np.ndarray | None = None  # uint8 (t, 3): colours of the style, no highlight
    colour_key: tuple | None = None  # style of ``plain``

    @classmethod
    def build(
        cls, mesh: BuildingMesh, base: np.ndarray, origin: LocalOrigin,
        chunk_triangles: int = CHUNK_TRIANGLES,
    ) -> BuildingLOD:  # fmt: skip
        """Chunks and levels of ``mesh`` on ``base``, in render coordinates of ``origin``."""
        n, owner = mesh.count, mesh.vertex_building
        lo, hi = building_boxes(mesh, owner)
        diagonal = np.nan_to_num(np.hypot(*(hi - lo)[:, :2].T))
        tall = np.nan_to_num(hi[:, 2])
        size_class = np.searchsorted(CLASS_EDGES, np.maximum(diagonal, tall), side="right")
        chunk = chunk_grid((lo[:, :2] + hi[:, :2]) / 2, len(mesh.triangles), chunk_triangles)
        # one key orders chunks, then classes (largest first), then buildings
        key = (chunk * N_CLASSES + (N_CLASSES - 1 - size_class)) * max(n, 1) + np.arange(n)
        tb = np.asarray(mesh.triangle_building)
        tri = np.argsort(key[tb], kind="stable")
        t_chunk = chunk[tb[tri]]
        ids = np.unique(t_chunk)
        t_cut = np.searchsorted(t_chunk, ids[1:])
        t_class = size_class[tb[tri]]
        spans = np.full((n, 3), -1, np.int64)
        first = np.flatnonzero(np.r_[True, tb[tri][1:] != tb[tri][:-1]])
        rows = tb[tri][first]
        start = np.r_[0, t_cut][np.searchsorted(ids, chunk[rows])]
        spans[rows] = np.c_[np.searchsorted(ids, chunk[rows]), first - start,
                            np.r_[first[1:], len(tri)] - start]  # fmt: skip
        index, weight = direction_bins(mesh)
        area = binned(tb, index, weight, n)
        rnd = np.random.default_rng(0).random(n)
        lod = cls([], shading(mesh), index, weight, tb, spans, outward_solids(mesh), origin,
                  np.asarray(base, np.float64), chunk_triangles)  # fmt: skip
        centre = np.c_[(lo[:, :2] + hi[:, :2]) / 2, (lo[:, 2] + hi[:, 2]) / 2]
        levels = np.arange(N_CLASSES + 1)[:, None]
        corners, surface = np.asarray(mesh.triangles, np.int64), np.asarray(mesh.triangle_surface)
        for c, (ct, tcls) in enumerate(zip(split_at(tri, t_cut), split_at(t_class, t_cut))):
            members = np.flatnonzero(spans[:, 0] == c)
            extent, height = np.zeros(N_CLASSES), np.zeros(N_CLASSES)
            np.maximum.at(extent, size_class[members], diagonal[members])
            np.maximum.at(height, size_class[members], tall[members])
            classes = {}
            for k in np.unique(size_class[members]):
                these = members[size_class[members] == k]
                these = these[np.argsort(rnd[these])]
                classes[int(k)] = PointClass.of(int(k), these, centre[these], area[these])
            level_triangles = (tcls[None, :] >= levels).sum(axis=1)
            vert, conn, rep = face_points(corners[ct], lod.shade[ct], surface[ct])
            last = np.maximum.accumulate(conn.reshape(-1, 3).max(axis=1)) if len(ct) else conn
            lod.chunks.append(ChunkLOD(
                tri=ct, vert=vert, points=np.zeros((len(vert), 3), np.float32),
                offsets=np.arange(0, 3 * len(ct) + 1, 3, dtype=np.int64), connectivity=conn,
                building=tb[ct].astype(np.int32), surface=surface[ct].astype(np.uint8),
                colors=np.zeros((len(ct), 3), np.uint8), rep=rep,
                point_colors=np.zeros((len(vert), 3), np.uint8),
                level_triangles=level_triangles,
                level_points=np.where(level_triangles > 0, last[level_triangles - 1] + 1, 0),
                extent=extent, height=height, classes=classes, box=np.zeros(6),
            ))  # fmt: skip
        lod.place(mesh, lod.base, origin, owner)
        return lod

    def point_classes(self) -> list[PointClass]:
        """Every point class of every chunk."""
        return [pc for chunk in self.chunks for pc in chunk.classes.values()]

    def place(
        self, mesh: BuildingMesh, base: np.ndarray, origin: LocalOrigin,
        owner: np.ndarray | None = None,
    ) -> None:  # fmt: skip
        """Write the render points for ``base`` and ``origin`` in place (boxes too)."""
        self.base, self.origin = np.asarray(base, np.float64), origin
        owner = mesh.vertex_building if owner is None else owner
        shift = np.array([origin.x, origin.y, origin.z])
        for chunk in self.chunks:
            world = np.array(mesh.vertices[chunk.vert], np.float64)
            world[:, 2] += self.base[owner[chunk.vert]]
            chunk.points[:] = world - shift
            lo, hi = world.min(axis=0) - shift, world.max(axis=0) - shift
            chunk.box = np.array([lo[0], hi[0], lo[1], hi[1], lo[2], hi[2]])
            for pc in chunk.classes.values():
                centre = pc.centre.copy()
                centre[:, 2] += self.base[pc.rows]
                pc.points[:] = centre - shift

    # -- colours ------------------------------------------------------------------------
    def _lit(self, tris: np.ndarray) -> np.ndarray:
        """uint8 (k, 3) highlight colour of triangles ``tris``, shaded."""
        lit = np.asarray(HIGHLIGHT, np.float64) * self.shade[tris][:, None]
        return np.clip(np.rint(lit), 0, 255).astype(np.uint8)

    def colour(self, layer: BuildingsLayer, highlight: Sequence[int] = ()) -> None:
        """Colour every triangle and point for the layer's style, ``highlight`` rows lit."""
        self.plain = building_colors(layer, shade=self.shade)
        self.colour_key = style_key(layer)
        self._apply(_valid(highlight, len(self.base)))

    def _apply(self, lit: np.ndarray) -> None:
        """Write :attr:`plain` with the rows ``lit`` highlighted into chunks and points."""
        assert self.plain is not None
        rgb = self.plain
        if len(lit):
            rgb = rgb.copy()
            tris = np.concatenate([self.cells_of(r)[1] for r in lit])
            rgb[tris] = self._lit(tris)
        for chunk in self.chunks:
            chunk.colors[:] = rgb[chunk.tri]
            chunk.point_colors[:] = chunk.colors[chunk.rep]
        classes = self.point_classes()
        if classes:
            sums = binned(self.triangle_building, self.bin_index, self.bin_weight,
                          len(self.base), rgb)  # fmt: skip
            for pc in classes:
                pc.set_sums(sums)
        self.promote(lit)

    def cells_of(self, row: int) -> tuple[int, np.ndarray]:
        """Chunk and mesh triangles of building ``row`` (-1 and none without triangles)."""
        c, first, end = (int(v) for v in self.spans[row])
        return (c, self.chunks[c].tri[first:end]) if c >= 0 else (-1, np.zeros(0, np.int64))

    def highlight(self, old: Sequence[int], new: Sequence[int]) -> set[int]:
        """Recolour only the buildings whose highlight changed; returns the chunks touched."""
        n = len(self.base)
        rows = _valid(set(old) ^ set(new), n)
        if self.plain is None or not len(rows):
            return set()
        if len(rows) > 256:  # many: all at once is faster
            self._apply(_valid(new, n))
            return set(range(len(self.chunks)))
        lit = np.zeros(n, bool)
        lit[_valid(new, n)] = True
        touched, tris, rgbs = set(), [], []
        for row in rows:
            c, t = self.cells_of(int(row))
            if c < 0:
                continue
            first, end = self.spans[row, 1:]
            rgb = self._lit(t) if lit[row] else self.plain[t]
            chunk = self.chunks[c]
            chunk.colors[first:end] = rgb
            p0, p1 = np.searchsorted(chunk.rep, [first, end])
            chunk.point_colors[p0:p1] = rgb[chunk.rep[p0:p1] - first]
            touched.add(c)
            tris.append(t)
            rgbs.append(rgb)
        if tris:
            t = np.concatenate(tris)
            local = np.searchsorted(rows, self.triangle_building[t])
            sums = np.zeros((n, 3, BINS), np.float32)
            sums[rows] = binned(local, self.bin_index[t], self.bin_weight[t], len(rows),
                                np.concatenate(rgbs))  # fmt: skip
            for c in touched:
                for pc in self.chunks[c].classes.values():
                    which = np.flatnonzero(np.isin(pc.rows, rows))
                    if len(which):
                        pc.set_sums(sums, which)
        self.promote(_valid(new, n))
        return touched

    def promote(self, rows: np.ndarray) -> None:
        """Put the buildings ``rows`` first in their point classes (never thinned out)."""
        marked = np.zeros(len(self.base), bool)
        marked[rows] = True
        for pc in self.point_classes():
            pc.promote(marked)


# -- preparation off the GUI thread ----------------------------------------------------
_PREPARED: weakref.WeakKeyDictionary[BuildingMesh, BuildingLOD] = weakref.WeakKeyDictionary()
_PREPARED_LOCK = threading.Lock()


def prepare_buildings(
    layer: BuildingsLayer, origin: LocalOrigin, *, keep: bool = True
) -> BuildingLOD:
    """Chunks, levels, shading and colours of a loaded layer (numpy only, any thread).

    The slow part of showing 100,000 buildings (about a second): a loader runs it on
    its worker thread and, with ``keep``, the result is kept (weakly, per mesh) for the
    layer's visual to adopt instead of building it on the GUI thread.
    """
    mesh = layer.mesh
    assert mesh is not None
    lod = BuildingLOD.build(mesh, building_base(layer.base, mesh), origin)
    lod.colour(layer)
    if keep:
        with _PREPARED_LOCK:
            _PREPARED[mesh] = lod
    return lod


def take_prepared(mesh: Any) -> BuildingLOD | None:
    """The preparation kept for ``mesh``, once (None when there is none)."""
    with _PREPARED_LOCK:
        return _PREPARED.pop(mesh, None)
