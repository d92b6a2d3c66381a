"""Buildings drawn as points, numpy only: view-dependent colours, sizes and thinning.

A building a few pixels wide is drawn as one point: a square as large as its projected
area, at the centre of its box, in the average colour of the surfaces facing the eye.
Per building the projected area and colour of its surfaces are kept in :data:`BINS`
direction bins (8 wall azimuths counter-clockwise from east, up, down), so the colour
seen from any direction is a weighted sum (walls facing the sun are lighter, and from
above only roofs count).

Points cannot be smaller than a pixel, so a class of points smaller than that is
thinned to a fixed, shuffled prefix that draws the same area as the buildings project
(stochastic simplification of aggregate detail, Cook, Halstead, Planck & Ryu 2007);
highlighted buildings are moved to the front so that they are never thinned out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from twinscape.model.buildings import BuildingMesh

#: Wall azimuth bins; with "up" and "down" they make the direction bins.
AZIMUTHS = 8
BINS = AZIMUTHS + 2
#: Thinning steps of a point class: step ``i`` draws ``1 / 2**i`` of its points.
THINNING = 5
#: Largest point size in pixels.
MAX_POINT_PX = 16

_AZ = np.arange(AZIMUTHS) * (2 * math.pi / AZIMUTHS)
_AZ_DIRS = np.stack([np.cos(_AZ), np.sin(_AZ)], axis=1)


def direction_bins(mesh: BuildingMesh) -> tuple[np.ndarray, np.ndarray]:
    """Each triangle's area split over up to three direction bins.

    Returns
    -------
    index : ndarray
        int8 (t, 3): "up" or "down", then the two wall azimuths around the normal's.
    weight : ndarray
        float32 (t, 3): area (m^2) times the normal's vertical part, then its horizontal
        part shared between the two azimuths by angle.
    """
    v = np.asarray(mesh.vertices, np.float64)
    tri = np.asarray(mesh.triangles)
    a = v[tri[:, 0]]
    u = (v[tri[:, 1]] - a).astype(np.float32)  # small: float32 keeps centimetres
    w = (v[tri[:, 2]] - a).astype(np.float32)
    nx = (u[:, 1] * w[:, 2] - u[:, 2] * w[:, 1]) / 2  # area-weighted normal
    ny = (u[:, 2] * w[:, 0] - u[:, 0] * w[:, 2]) / 2
    nz = (u[:, 0] * w[:, 1] - u[:, 1] * w[:, 0]) / 2
    pos = np.arctan2(ny, nx) * np.float32(AZIMUTHS / (2 * math.pi))
    pos[pos < 0] += AZIMUTHS
    k0 = np.floor(pos)
    f = pos - k0
    index = np.empty((len(tri), 3), np.int8)
    index[:, 0] = np.where(nz >= 0, AZIMUTHS, AZIMUTHS + 1)
    index[:, 1] = k0.astype(np.int8) % AZIMUTHS
    index[:, 2] = (index[:, 1] + 1) % AZIMUTHS
    horizontal = np.hypot(nx, ny)
    weight = np.empty((len(tri), 3), np.float32)
    weight[:, 0] = np.abs(nz)
    weight[:, 1] = horizontal * (1 - f)
    weight[:, 2] = horizontal * f
    return index, weight


def binned(
    rows: np.ndarray, index: np.ndarray, weight: np.ndarray, n: int, rgb: np.ndarray | None = None
) -> np.ndarray:
    """Per building and bin the sum of ``weight`` (rgb None: (n, BINS)) or of ``weight``
    times the triangles' colours ``rgb`` (uint8 (t, 3): (n, 3, BINS)); ``rows`` (t,) are
    the triangles' buildings, 0..n-1."""
    keys = (np.asarray(rows, np.int64)[:, None] * BINS + index).ravel()
    if rgb is None:
        return np.bincount(keys, weight.ravel(), minlength=n * BINS).reshape(n, BINS)
    out = np.empty((n, 3, BINS), np.float32)
    for c in range(3):
        out[:, c] = np.bincount(keys, (weight * rgb[:, c, None]).ravel(),
                                minlength=n * BINS).reshape(n, BINS)  # fmt: skip
    return out


def bin_weights(direction: np.ndarray, ve: float) -> np.ndarray:
    """float64 (BINS,): how much of each bin's area faces ``direction`` (unit, as drawn);
    for directions (k, 3), (k, BINS).

    Walls are drawn ``ve`` times as tall, roofs keep their area.
    """
    d = np.asarray(direction, np.float64)
    walls = ve * np.maximum(d[..., :2] @ _AZ_DIRS.T, 0.0)
    vertical = np.stack([np.maximum(d[..., 2], 0.0), np.maximum(-d[..., 2], 0.0)], axis=-1)
    return np.concatenate([walls, vertical], axis=-1)


def point_styles(area_px: np.ndarray, min_px: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """int (k,) point sizes (px) and thinning steps for points of mean projected areas
    ``area_px`` (k,) px^2: as large as the area, or one pixel thinned to it.

    Points that would be narrower than ``min_px`` (at least a pixel) are drawn ``min_px``
    wide instead, thinned so that they draw the same area: on llvmpipe a point costs
    about 160 ns whatever its size up to 2 px, so a quarter of them at 2 px cost a third.
    """
    area = np.asarray(area_px, np.float64)
    big = area >= 0.7
    size = np.where(big, np.clip(np.rint(np.sqrt(np.maximum(area, 0.0))), 1, MAX_POINT_PX), 1)
    step = np.clip(np.rint(-np.log2(np.maximum(area, 1e-9))), 0, THINNING - 1)
    step = np.where(big, 0, step)
    widen = big & (size < min_px)
    if widen.any():
        size = np.where(widen, min_px, size)
        wider = np.rint(np.log2(min_px**2 / np.maximum(area, 1e-9)))
        step = np.where(widen, np.clip(wider, 0, THINNING - 1), step)
    return size.astype(np.int64), step.astype(np.int64)


def thinned(count: Any, step: Any) -> Any:
    """Points drawn of ``count`` at thinning ``step`` (ints, or int arrays alike)."""
    return -(-count // (1 << step))


@dataclass
class PointClass:
    """The buildings of one size class of one chunk, drawn as points.

    Arrays are in drawing order (a fixed shuffle, highlighted buildings first); the
    visual wraps ``points``, ``colors`` and ``rows`` without copying, so every change
    is made in place.
    """

    size_class: int
    rows: np.ndarray  # int32 (m,): building table rows
    centre: np.ndarray  # float64 (m, 3): world x, y of the box centre, mid height above base
    area: np.ndarray  # float32 (m, BINS): projected area (m^2) per direction bin
    points: np.ndarray  # float32 (m, 3): render points (z not exaggerated)
    colour_sums: np.ndarray  # float32 (m, 3, BINS): area x colour per bin
    flat: np.ndarray  # float32 (m, 3): colour averaged over all surfaces
    colors: np.ndarray  # uint8 (m, 3): the colours drawn
    mean_area: np.ndarray  # float64 (BINS,): mean of ``area``

    @classmethod
    def of(
        cls, size_class: int, rows: np.ndarray, centre: np.ndarray, area: np.ndarray
    ) -> PointClass:
        """A class of buildings ``rows`` (in drawing order), not placed nor coloured yet."""
        m = len(rows)
        return cls(size_class, rows.astype(np.int32), centre, area.astype(np.float32),
                   np.zeros((m, 3), np.float32), np.zeros((m, 3, BINS), np.float32),
                   np.zeros((m, 3), np.float32), np.zeros((m, 3), np.uint8),
                   area.mean(axis=0, dtype=np.float64) if m else np.zeros(BINS))  # fmt: skip

    def set_sums(self, sums: np.ndarray, which: np.ndarray | None = None) -> None:
        """Take colour sums (n, 3, BINS) of all buildings, for the positions ``which``."""
        at = slice(None) if which is None else which
        self.colour_sums[at] = sums[self.rows[at]]
        total = np.maximum(self.area[at].sum(axis=1), 1e-9)[:, None]
        self.flat[at] = self.colour_sums[at].sum(axis=2) / total

    def shade(self, weights: np.ndarray, count: int) -> None:
        """Write the colours of the first ``count`` buildings seen for bin ``weights``."""
        w = weights.astype(np.float32)
        total = self.area[:count] @ w
        rgb = self.colour_sums[:count] @ w
        seen = total > 1e-6
        rgb[seen] /= total[seen, None]
        rgb[~seen] = self.flat[:count][~seen]
        np.clip(np.rint(rgb), 0, 255, out=rgb)
        self.colors[:count] = rgb

    def promote(self, marked: np.ndarray) -> bool:
        """Move the buildings with ``marked[row]`` to the front (thinning keeps them)."""
        first = marked[self.rows]
        count = int(first.sum())
        if count == 0 or first[:count].all():
            return False
        order = np.argsort(~first, kind="stable")
        for name in ("rows", "centre", "area", "points", "colour_sums", "flat", "colors"):
            arr = getattr(self, name)
            arr[:] = arr[order]
        return True
