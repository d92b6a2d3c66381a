"""Which level of each chunk of a buildings layer a frame draws, numpy only.

Level ``j`` of a chunk (:class:`~twinscape.render.building_chunks.ChunkLOD`) draws the
size classes ``>= j`` as triangles and the smaller ones as points. Per frame
(:func:`select_levels`) a class stays triangles while its largest building spans more
than the tolerance less :data:`POINT_MARGIN_PX` pixels, at the point of the chunk's box
nearest to the eye, with the scale of the terrain's screen-space error
(:mod:`~twinscape.render.terrain_lod`). Points are for moving views: still views keep
triangles down to half a pixel, screenshots every triangle.

A moving frame on a slow renderer may also hold the layer to a triangle budget
(:func:`fit_levels`): the least tolerance at or above the frame's whose levels fit it,
what the terrain's frame budget does for its tiles.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from twinscape.render.building_chunks import ChunkLOD
from twinscape.render.building_points import MAX_POINT_PX

#: Upper edges (m) of the size classes, sqrt(2) apart: 8 m .. 181 m; the last class is
#: open-ended. Narrower classes let more buildings become points (a class goes by its
#: largest building) for a few more point actors.
CLASS_EDGES = tuple(8.0 * 2.0 ** (i / 2) for i in range(10))
N_CLASSES = len(CLASS_EDGES) + 1
#: A class is drawn as points while its largest building spans at most the tolerance
#: less this many pixels: a point's outline is off by up to the building's extent, and
#: its sub-pixel coverage (and so the colour of a dense town) by up to about a pixel
#: more. So: none at 1 px (screenshots), under 0.5 px when still (2 px), under 4.5 px
#: while dragging (6 px).
POINT_MARGIN_PX = 1.5
#: What a building drawn as a point costs, in triangles (one vertex, a few pixels).
POINT_TRIANGLES = 1.0
#: A budget never turns buildings larger than the largest point into points: a
#: building 40 px wide drawn as a 16 px square is not the building any more.
MAX_FIT_TOLERANCE_PX = MAX_POINT_PX + POINT_MARGIN_PX


#: Narrowest point while a point may be off by :data:`WIDE_POINTS_FROM_PX` pixels or more
#: (a moving view): narrower ones are drawn this wide, fewer of them (``point_styles``).
WIDE_POINT_PX = 2
WIDE_POINTS_FROM_PX = 4.0


def min_point_px(tolerance_px: float) -> int:
    """The narrowest point drawn at ``tolerance_px``: :data:`WIDE_POINT_PX` while moving
    (6 px: a point may be off by 4.5 px), else one pixel (still views, screenshots)."""
    return WIDE_POINT_PX if point_threshold(tolerance_px) >= WIDE_POINTS_FROM_PX else 1


def point_threshold(tolerance_px: float) -> float:
    """Pixels a building may span and still be drawn as a point."""
    return max(tolerance_px - POINT_MARGIN_PX, 0.0)


def _size_px(extent: np.ndarray, height: np.ndarray, scale: np.ndarray, ve: float) -> np.ndarray:
    return np.maximum(extent, height * ve) * np.asarray(scale, np.float64)[:, None]


def _first_above(size_px: np.ndarray, threshold: float) -> np.ndarray:
    need = size_px > threshold
    return np.where(need.any(axis=1), need.argmax(axis=1), N_CLASSES)


def select_levels(
    extent: np.ndarray, height: np.ndarray, scale: np.ndarray, tolerance_px: float, ve: float
) -> np.ndarray:
    """Per chunk the first class drawn as triangles (``N_CLASSES``: every class as points).

    That is the smallest class whose largest building spans more than ``tolerance_px -
    POINT_MARGIN_PX`` pixels at ``scale`` px/m; ``extent`` and ``height`` are
    (chunks, N_CLASSES) largest footprint diagonal and height (m) of each class, 0 where
    the class is empty.
    """
    return _first_above(_size_px(extent, height, scale, ve), point_threshold(tolerance_px))


def level_costs(chunks: Sequence[ChunkLOD]) -> np.ndarray:
    """float64 (chunks, N_CLASSES + 1): what each level of each chunk draws, in triangles.

    Its triangles, plus :data:`POINT_TRIANGLES` for each building of the classes below
    it (drawn as points; thinning may draw fewer, so this is an upper bound).
    """
    costs = np.zeros((len(chunks), N_CLASSES + 1))
    for i, chunk in enumerate(chunks):
        below = np.zeros(N_CLASSES + 1)
        for k, pc in chunk.classes.items():
            below[k + 1] += len(pc.rows)
        costs[i] = chunk.level_triangles + POINT_TRIANGLES * np.cumsum(below)
    return costs


def fit_levels(
    extent: np.ndarray, height: np.ndarray, scale: np.ndarray, tolerance_px: float, ve: float,
    costs: np.ndarray, budget: float,
) -> tuple[np.ndarray, float]:  # fmt: skip
    """:func:`select_levels` at the least tolerance ``>= tolerance_px`` whose levels cost
    at most ``budget`` (``costs`` from :func:`level_costs`, rows as ``extent``'s).

    The levels change only where a class's size on screen crosses the threshold, so the
    tolerance is searched among those sizes (plus the margin), up to
    :data:`MAX_FIT_TOLERANCE_PX`: when no tolerance up to it fits, it is that one.
    Returns the levels and the tolerance.
    """
    rows = np.arange(len(costs))
    sizes = _size_px(extent, height, scale, ve)
    threshold = point_threshold(tolerance_px)
    levels = _first_above(sizes, threshold)
    if not len(rows) or costs[rows, levels].sum() <= budget:
        return levels, tolerance_px
    # thresholds where a class turns to points: the sizes themselves
    steps = np.unique(sizes[sizes > threshold])
    steps = steps[steps <= MAX_FIT_TOLERANCE_PX - POINT_MARGIN_PX]
    if not len(steps):  # every class is points already, or none may be
        return levels, tolerance_px
    lo, hi = 0, len(steps) - 1  # steps[-1]: the most a budget may turn into points
    while lo < hi:
        mid = (lo + hi) // 2
        if costs[rows, _first_above(sizes, float(steps[mid]))].sum() <= budget:
            hi = mid
        else:
            lo = mid + 1
    return _first_above(sizes, float(steps[hi])), float(steps[hi]) + POINT_MARGIN_PX
