"""What the point classes of a buildings layer show, decided for all of them at once:
which are points, their sizes and thinning, and whose colours are due again.

Per frame, :meth:`LayerPoints.update` computes the sizes, thinning steps and turns of
every point class of every chunk in view with a few numpy operations, and touches only the
classes whose state changed: at the overview of 100,000 buildings about 430 classes are
shown, of which a frame of an orbit changes about 60.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from twinscape.render.building_actors import ChunkActors, PointActors
from twinscape.render.building_points import BINS, bin_weights, point_styles, thinned


class LayerPoints:
    """The point classes of every chunk as flat arrays, and the
    :class:`~twinscape.render.building_actors.PointActors` showing them (in each chunk's
    ``points``, by class, made on first use)."""

    def __init__(self, chunks: Sequence[ChunkActors]) -> None:
        self.chunks = list(chunks)
        owner, classes, area, buildings = [], [], [], []
        for c, chunk in enumerate(self.chunks):
            for k in sorted(chunk.data.classes):
                pc = chunk.data.classes[k]
                owner.append(c)
                classes.append(k)
                area.append(pc.mean_area)
                buildings.append(len(pc.rows))
        n = len(owner)
        self.chunk = np.array(owner, np.int64)
        self.classes = np.array(classes, np.int64)
        self.mean_area = np.array(area, np.float64).reshape(n, BINS)
        self.buildings = np.array(buildings, np.int64)
        self.shown = np.zeros(n, bool)
        self.size = np.full(n, -1, np.int64)
        self.step = np.full(n, -1, np.int64)
        self.direction = np.full((n, 3), np.nan)  # seen from, at the last colours
        self.shaded = np.zeros(n, np.int64)  # points coloured for it
        self.key = np.full((n, 2), np.nan)  # colour version and exaggeration of them

    def update(
        self, levels: np.ndarray, seen: np.ndarray, toward: np.ndarray, scale: np.ndarray,
        ve: float, colour_version: int, reshade_cos: float, min_px: int = 1,
    ) -> None:  # fmt: skip
        """Per chunk ``seen`` (in view; the others keep what they show), show the classes
        below its ``levels`` as points seen from ``toward`` (unit vectors to the eye) at
        ``scale`` px/m, at least ``min_px`` wide (``point_styles``). A class's colours are
        recomputed when it turned past ``reshade_cos``, has a new colour version or
        exaggeration, or shows more points."""
        if not len(self.chunk):
            return
        mine = seen[self.chunk]
        below = mine & (self.classes < levels[self.chunk])
        for i in np.flatnonzero(mine & self.shown & ~below):
            self._actors(i).shown = False
        self.shown[mine & ~below] = False
        idx = np.flatnonzero(below)
        if not len(idx):
            return
        owner = self.chunk[idx]
        eye = np.asarray(toward, np.float64)[owner]
        weights = bin_weights(eye, ve)
        area = np.einsum("ij,ij->i", self.mean_area[idx], weights) * scale[owner] ** 2
        size, step = point_styles(area, min_px)
        count = thinned(self.buildings[idx], step)
        turned = ~(np.einsum("ij,ij->i", self.direction[idx], eye) >= reshade_cos)  # NaN: new
        key = np.array([float(colour_version), float(ve)])
        shade = turned | (self.key[idx] != key).any(axis=1) | (self.shaded[idx] < count)
        changed = shade | ~self.shown[idx] | (size != self.size[idx]) | (step != self.step[idx])
        for j in np.flatnonzero(changed):
            i = int(idx[j])
            pts = self._actors(i)
            pts.show(int(step[j]))
            pts.size = int(size[j])
            pts.shown = True
            if shade[j]:
                pts.pc.shade(weights[j], pts.count)
                self.direction[i], self.key[i], self.shaded[i] = eye[j], key, pts.count
                pts.version += 1
        self.shown[idx] = True
        self.size[idx], self.step[idx] = size, step

    def _actors(self, i: int) -> PointActors:
        chunk, k = self.chunks[int(self.chunk[i])], int(self.classes[i])
        pts = chunk.points.get(k)
        if pts is None:
            pts = chunk.points[k] = PointActors(chunk.data.classes[k])
        return pts
