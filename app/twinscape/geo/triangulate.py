"""Polygon triangulation (mapbox_earcut): holes stay open, any ring order, 2-D or planar 3-D."""

from __future__ import annotations

from collections.abc import Sequence

import mapbox_earcut
import numpy as np


def triangulate_rings(rings: Sequence[np.ndarray]) -> np.ndarray:
    """Triangles filling a polygon given as its outer ring then its holes.

    Parameters
    ----------
    rings
        (k, 2) arrays of x, y; the first is the outer ring, the rest are holes. A ring
        may repeat its first point at the end (it is dropped). Rings with fewer than
        3 distinct points are skipped.

    Returns
    -------
    int32 (m, 3)
        Indices into the concatenation of the rings (after dropping closing points),
        counter-clockwise in x, y whatever the rings' orientation.
    """
    kept = [_open_ring(np.asarray(r, dtype=np.float64)[:, :2]) for r in rings]
    kept = [r for r in kept if len(r) >= 3]
    if not kept:
        return np.zeros((0, 3), dtype=np.int32)
    points = np.concatenate(kept)
    ends = np.cumsum([len(r) for r in kept]).astype(np.uint32)
    tris = np.asarray(mapbox_earcut.triangulate_float64(points, ends), dtype=np.int32)
    tris = tris.reshape(-1, 3)
    if len(tris):
        a, b, c = points[tris[:, 0]], points[tris[:, 1]], points[tris[:, 2]]
        ab, ac = b - a, c - a
        cross = ab[:, 0] * ac[:, 1] - ab[:, 1] * ac[:, 0]
        flip = cross < 0
        tris[flip] = tris[flip][:, [0, 2, 1]]
    return tris


def ring_sizes(rings: Sequence[np.ndarray]) -> list[int]:
    """Point counts of ``rings`` as :func:`triangulate_rings` indexes them."""
    return [n for n in (len(_open_ring(np.asarray(r))) for r in rings) if n >= 3]


def triangulate_planar(rings: Sequence[np.ndarray]) -> np.ndarray:
    """Triangles of a planar 3-D polygon (outer ring then holes), wound like the outer ring.

    The rings are projected onto the plane of the polygon (Newell's normal of the outer
    ring), triangulated there, and the triangles turned so their normal agrees with the
    outer ring's orientation (a roof stays facing up, a wall outwards).

    Returns
    -------
    int32 (m, 3)
        Indices into the concatenation of the rings after dropping closing points.
    """
    kept = [_open_ring(np.asarray(r, dtype=np.float64)) for r in rings]
    kept = [r for r in kept if len(r) >= 3]
    if not kept:
        return np.zeros((0, 3), dtype=np.int32)
    normal = newell_normal(kept[0])
    length = np.linalg.norm(normal)
    if length == 0:
        return np.zeros((0, 3), dtype=np.int32)
    normal /= length
    helper = np.array([1.0, 0.0, 0.0]) if abs(normal[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    u = np.cross(normal, helper)
    u /= np.linalg.norm(u)
    v = np.cross(normal, u)
    flat = [np.column_stack((r @ u, r @ v)) for r in kept]
    tris = triangulate_rings(flat)  # counter-clockwise in (u, v), i.e. facing +normal
    return tris


def newell_normal(ring: np.ndarray) -> np.ndarray:
    """Normal of a (possibly non-convex) 3-D ring by Newell's method, length = 2 x area."""
    p = np.asarray(ring, dtype=np.float64)
    q = np.roll(p, -1, axis=0)
    return np.array(
        [
            np.sum((p[:, 1] - q[:, 1]) * (p[:, 2] + q[:, 2])),
            np.sum((p[:, 2] - q[:, 2]) * (p[:, 0] + q[:, 0])),
            np.sum((p[:, 0] - q[:, 0]) * (p[:, 1] + q[:, 1])),
        ]
    )


def _open_ring(ring: np.ndarray) -> np.ndarray:
    """The ring without its closing point and without consecutive duplicates."""
    if len(ring) == 0:
        return ring
    keep = np.ones(len(ring), dtype=bool)
    keep[1:] = np.any(ring[1:] != ring[:-1], axis=1)
    ring = ring[keep]
    if len(ring) > 1 and np.array_equal(ring[0], ring[-1]):
        ring = ring[:-1]
    return ring
