"""The chunks of a buildings layer, numpy only: which chunk each building falls in, and
one chunk's cells, points and colours as :class:`ChunkLOD` holds them
(:mod:`~twinscape.render.building_lod` builds them; see there for the levels).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from twinscape.render.building_points import PointClass


def chunk_grid(centre: np.ndarray, triangles: int, chunk_triangles: int) -> np.ndarray:
    """int (n,): chunk of each building, by its centre (n, 2) in a k x k grid over them."""
    n = len(centre)
    k = max(1, math.ceil(math.sqrt(triangles / max(chunk_triangles, 1))))
    if n == 0 or k == 1:
        return np.zeros(n, int)
    c = np.nan_to_num(centre)
    x0, y0 = c.min(axis=0)
    x1, y1 = c.max(axis=0)
    cx = np.clip(((c[:, 0] - x0) / max(x1 - x0, 1e-9) * k).astype(int), 0, k - 1)
    cy = np.clip(((c[:, 1] - y0) / max(y1 - y0, 1e-9) * k).astype(int), 0, k - 1)
    return cy * k + cx


@dataclass
class ChunkLOD:
    """One chunk: its cells sorted by size class (largest first) and its point classes.

    Level ``j`` draws the first ``level_triangles[j]`` cells and ``level_points[j]``
    points as triangles (the classes ``>= j``); the others as :attr:`classes`. Colours
    are drawn per point (per-cell colours are looked up per fragment, which cost llvmpipe
    about 9 % of a close-up frame of a town), so cells share a point only when they share
    its colour too: the same surface class and shading (the faces of a building).
    """

    tri: np.ndarray  # int64 (t,): mesh triangle of each cell
    vert: np.ndarray  # int64 (p,): mesh vertex of each point
    points: np.ndarray  # float32 (p, 3): render points (z not exaggerated)
    offsets: np.ndarray  # int64 (t + 1,)
    connectivity: np.ndarray  # int64 (3 t,): into points
    building: np.ndarray  # int32 (t,)
    surface: np.ndarray  # uint8 (t,)
    colors: np.ndarray  # uint8 (t, 3): colour of each cell
    rep: np.ndarray  # int64 (p,): the first cell using each point (non-decreasing)
    point_colors: np.ndarray  # uint8 (p, 3): ``colors[rep]``, what is drawn
    level_triangles: np.ndarray  # int (N_CLASSES + 1,)
    level_points: np.ndarray  # int (N_CLASSES + 1,)
    extent: np.ndarray  # float64 (N_CLASSES,): largest footprint diagonal (0: no building)
    height: np.ndarray  # float64 (N_CLASSES,): largest height
    classes: dict[int, PointClass]
    box: np.ndarray  # float64 (6,): render xmin, xmax, ymin, ymax, zmin, zmax


def face_points(
    corners: np.ndarray, shade: np.ndarray, surface: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points of cells ``corners`` (t, 3 mesh vertices) shared only by cells of the same
    shading and surface class: (mesh vertex of each point, connectivity (3 t,), first
    cell of each point), points in the order the cells first use them."""
    _, shade_id = np.unique(shade, return_inverse=True)
    group = shade_id.astype(np.int64) * 256 + surface.astype(np.int64)
    _, index = np.unique(corners.ravel(), return_inverse=True)
    key = index.astype(np.int64) * (int(group.max(initial=0)) + 1) + np.repeat(group, 3)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    taken = first[order]
    return corners.ravel()[taken], rank[inverse].astype(np.int64), taken // 3


def split_at(values: np.ndarray, cuts: np.ndarray) -> list[np.ndarray]:
    """``values`` cut before each index of ``cuts``, each part contiguous."""
    return [np.ascontiguousarray(a) for a in np.split(values, cuts)]
