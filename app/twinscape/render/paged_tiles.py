"""A quadtree of terrain nodes over a DEM read on demand, numpy only (no VTK).

Node ``(depth, i, j)`` holds ``S x S`` samples (``S = 2**m + 1``, neighbours share
their edge samples) of pyramid level ``k = D - depth`` of a
:class:`~twinscape.io.dem_source.DemSource`, whose cells are ``2**k`` full-resolution
cells averaged: the root (depth 0) spans the whole DEM, each child a quadrant at twice
the resolution, the leaves (level 0) are the file's own cells. A node is read and
measured on a worker (:func:`build_node`) into a one-tile
:class:`~twinscape.render.terrain_tiles.TerrainTiles`, so its meshes (internal levels,
hole rims, skirts) and its texture (its own samples baked with the layer's style) come
from the same code as an in-memory terrain.

A node's geometric error is how far its surface may lie from the full-resolution data:
first estimated from its own samples (1.5 x the error of dropping every other sample),
then raised by what its children measure (their deviation from its surface plus their
own error) once they are read. :func:`select` walks the tree per frame: a node is drawn
when its error is within half the tolerance on screen and its samples within
``2 * TEXEL_PX * tolerance`` pixels apart, else its children are, once every child in
view is read (until then the node itself is, and the children are asked for).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from affine import Affine

from twinscape.geo.origin import LocalOrigin
from twinscape.geo.terrain_overlap import cutout_mask
from twinscape.model.raster import RasterGrid
from twinscape.render import terrain_lod as lod
from twinscape.render.paged_colours import NodeColouring, recipe_bytes
from twinscape.render.recolour import ColourRecipe
from twinscape.render.terrain_tiles import TerrainTiles

#: Samples per node side.
NODE_SAMPLES = 257
#: Extra samples read around a node so that its hillshade has no seams.
_HALO = 2
#: A node's error before its children are read: this times its error at stride 2.
_ESTIMATE = 1.5
#: An unread child's error guessed from its parent's (self-similar relief halves it).
_KID_ERROR = 0.5

Key = tuple[int, int, int]  # (depth, i, j)

_SHARED: dict[Any, np.ndarray] = {}
_SHARED_LOCK = threading.Lock()


class NodeTiles(TerrainTiles):
    """A one-tile :class:`TerrainTiles` whose face templates and texture coordinates are
    shared by every node (they depend on the shape only)."""

    def template(self, key: tuple[int, int, bool]) -> np.ndarray:
        """Shared faces of a level shape (see :meth:`TerrainTiles.template`)."""
        with _SHARED_LOCK:
            if ("faces", key) not in _SHARED:
                _SHARED["faces", key] = super().template(key)
            return _SHARED["faces", key]

    def tcoords(self, key: tuple[int, int, int, bool]) -> np.ndarray:
        """Shared texture coordinates (see :meth:`TerrainTiles.tcoords`)."""
        with _SHARED_LOCK:
            if ("tc", key) not in _SHARED:
                _SHARED["tc", key] = super().tcoords(key)
            return _SHARED["tc", key]


@dataclass(eq=False)
class Node:
    """A node read from the DEM: its samples as a one-tile :class:`NodeTiles`.

    ``deviation`` is its largest vertical distance from its parent's surface (NaN when
    the parent was not in memory when it was read); ``error`` its geometric error.
    """

    key: Key
    grid: RasterGrid
    tiles: NodeTiles
    error: float
    deviation: float
    empty: bool
    vtk: Any = field(default=None)  # the visual's VTK data of this node
    recipe: ColourRecipe | None = None  # its colours' recipe when a drape is finer

    @property
    def nbytes(self) -> int:
        """Bytes of the node's arrays (with its colours' recipe) and of its VTK data."""
        colours = sum(c.nbytes for c in self.tiles.colors) + recipe_bytes(self.recipe)
        extra = 0 if self.vtk is None else int(self.vtk.nbytes)
        return self.grid.values.nbytes + colours + extra


@dataclass(frozen=True)
class Pyramid:
    """The quadtree's geometry over a source of ``shape`` cells (level 0) and its levels.

    ``source`` provides ``shape``, ``resolution``, ``level_transform(k)``, ``crs`` and
    ``read(level, row, col, rows, cols)``.
    """

    source: Any
    origin: LocalOrigin
    samples: int = NODE_SAMPLES
    _rects: dict[Key, tuple[float, float, float, float]] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )  # rect of a key: asked for every frame, the same for the pyramid's life

    @property
    def depth(self) -> int:
        """Depth of the leaves (level 0): the root's samples cover the whole DEM."""
        step = self.samples - 1
        return max(0, math.ceil(math.log2(max(max(self.source.shape) - 1, 1) / step)))

    def level(self, key: Key) -> int:
        """Pyramid level of a node."""
        return self.depth - key[0]

    def spacing(self, key: Key) -> float:
        """Distance between a node's samples in metres."""
        return max(self.source.resolution) * (1 << self.level(key))

    def children(self, key: Key) -> list[Key]:
        """The node's children that hold any cell of the DEM."""
        depth, i, j = key
        if depth >= self.depth:
            return []
        step = self.samples - 1
        rows, cols = self.source.level_shape(self.level(key) - 1)
        return [
            (depth + 1, 2 * i + a, 2 * j + b)
            for a in (0, 1) for b in (0, 1)
            if (2 * i + a) * step < rows and (2 * j + b) * step < cols
        ]  # fmt: skip

    def rect(self, key: Key) -> tuple[float, float, float, float]:
        """(xmin, xmax, ymin, ymax) of a node's samples, render coordinates."""
        known = self._rects.get(key)
        if known is not None:
            return known
        t = self.source.level_transform(self.level(key))
        step = self.samples - 1
        r0, c0 = key[1] * step, key[2] * step
        x0, y0 = t @ (c0 + 0.5, r0 + 0.5)
        x1, y1 = t @ (c0 + step + 0.5, r0 + step + 0.5)
        ox, oy = self.origin.x, self.origin.y
        rect = (min(x0, x1) - ox, max(x0, x1) - ox, min(y0, y1) - oy, max(y0, y1) - oy)
        self._rects[key] = rect
        return rect


def build_node(
    pyramid: Pyramid,
    key: Key,
    colouring: NodeColouring,
    parent: Node | None,
    finer: Sequence[RasterGrid] = (),
) -> Node:
    """Read, measure and colour one node (any thread).

    Cells covered by the ``finer`` terrains over it are cut out (see
    :func:`~twinscape.geo.terrain_overlap.cutout_mask`).
    """
    level, s = pyramid.level(key), pyramid.samples
    r0, c0 = key[1] * (s - 1), key[2] * (s - 1)
    src = pyramid.source
    halo = src.read(level, r0 - _HALO, c0 - _HALO, s + 2 * _HALO, s + 2 * _HALO)
    z = np.ascontiguousarray(halo[_HALO:-_HALO, _HALO:-_HALO])
    transform = src.level_transform(level) @ Affine.translation(c0, r0)
    grid = RasterGrid(values=z, transform=tuple(transform)[:6], crs=src.crs)
    cutout = cutout_mask(grid, finer) if finer else None
    tiles = NodeTiles(grid, pyramid.origin, tile_size=s, cutout=cutout)
    empty = bool(tiles.empty[0])
    recipe = None
    if not empty:
        rgb, recipe = colouring.rgb(halo, _HALO, grid)
        tiles.set_colors(rgb)
    errors = tiles.errors[0]
    own = float(errors[1]) if len(errors) > 1 else 0.0
    error = 0.0 if level == 0 else _ESTIMATE * own
    deviation = math.nan if parent is None or empty else _deviation(parent, key, z, s)
    margin = 0.05 * pyramid.spacing(key)
    # Neighbours may be at other depths: a crack is at most both nodes' errors, and the
    # node with the larger one hangs a skirt of twice its own.
    depth = np.broadcast_to(2.0 * (errors[:, None] + error) + margin, (len(errors), 4)).copy()
    rows, cols = src.level_shape(level)
    depth[:, [key[1] == 0, r0 + s >= rows, key[2] == 0, c0 + s >= cols]] = 0.0
    tiles.skirt_depth[0] = depth  # none on the DEM's own edges
    return Node(key, grid, tiles, error, deviation, empty, recipe=recipe)


def _deviation(parent: Node, key: Key, z: np.ndarray, s: int) -> float:
    """Largest |z - parent's bilinear surface| at the samples of child ``key``."""
    pz = parent.tiles.values
    step = s - 1
    # child sample r (its level) lies at parent-level cell (r + 0.5) / 2 - 0.5
    pr0, pc0 = parent.key[1] * step, parent.key[2] * step
    rows = (key[1] * step + np.arange(s) + 0.5) / 2 - 0.5 - pr0
    cols = (key[2] * step + np.arange(s) + 0.5) / 2 - 0.5 - pc0
    r = np.clip(rows, 0, s - 1)
    c = np.clip(cols, 0, s - 1)
    r0 = np.minimum(r.astype(int), s - 2)
    c0 = np.minimum(c.astype(int), s - 2)
    fr, fc = (r - r0)[:, None], (c - c0)[None, :]
    a, b = pz[np.ix_(r0, c0)], pz[np.ix_(r0, c0 + 1)]
    c_, d = pz[np.ix_(r0 + 1, c0)], pz[np.ix_(r0 + 1, c0 + 1)]
    surface = (a * (1 - fc) + b * fc) * (1 - fr) + (c_ * (1 - fc) + d * fc) * fr
    dev = np.abs(z - surface)
    return float(np.nanmax(dev)) if np.isfinite(dev).any() else 0.0


@dataclass
class Choice:
    """What one frame draws and wants: node keys with their mesh, rim and texture levels."""

    drawn: dict[Key, tuple[int, int, int]] = field(default_factory=dict)
    wanted: list[tuple[tuple[int, float], Key]] = field(default_factory=list)


def select(
    pyramid: Pyramid,
    nodes: Callable[[Key], Node | None],
    planes: np.ndarray,
    scale_of: Callable[[np.ndarray], np.ndarray],
    tolerance_px: float,
    ve: float,
) -> Choice:
    """Choose the nodes to draw for one frame (see the module); wants the root until read.

    ``nodes(key)`` returns a node in memory or None, ``scale_of(boxes)`` the screen pixels
    per metre of (n, 6) render boxes, ``planes`` the frustum's side planes.
    """
    choice = Choice()
    root = nodes((0, 0, 0))
    if root is None:
        choice.wanted.append(((0, 0.0), (0, 0, 0)))
        return choice
    stack = [root]
    while stack:
        node = stack.pop()
        if node.empty:
            continue
        box = node.tiles.bbox[:1]
        if lod.boxes_outside(box, planes, ve)[0]:
            continue
        scale = float(scale_of(box)[0])
        error = refined_error(pyramid, node, nodes)
        spacing = pyramid.spacing(node.key)
        enough = (
            error * ve * scale <= 0.5 * tolerance_px
            and spacing * scale <= 2.0 * lod.TEXEL_PX * tolerance_px
        )
        kids = [] if enough else pyramid.children(node.key)
        if kids:
            boxes = np.array([_child_box(pyramid, node, k, nodes(k)) for k in kids])
            seen = ~lod.boxes_outside(boxes, planes, ve)
            shown = [k for k, s in zip(kids, seen) if s]
            missing = [k for k in shown if nodes(k) is None]
            if not missing:
                stack.extend(n for n in (nodes(k) for k in shown) if n is not None)
                continue
            kid_scale = scale_of(boxes[seen])
            limits = (2.0 * lod.TEXEL_PX * tolerance_px, 0.5 * tolerance_px / ve)
            for k, ks, kbox in zip(shown, kid_scale, boxes[seen]):
                if nodes(k) is None:
                    choice.wanted.append(((k[0], -float(ks)), k))
                    guess = Guess(kbox[4:], error * _KID_ERROR, limits)
                    if guess.refines(pyramid.spacing(k), float(ks)):
                        _want_below(pyramid, k, guess, planes, scale_of, ve, choice)
            # standing in for its children a while: its own samples to the tolerance
            error = 0.0
        choice.drawn[node.key] = _levels(node, error, scale, tolerance_px, ve)
    choice.wanted.sort()
    return choice


@dataclass(frozen=True)
class Guess:
    """What an unread node's descendants are guessed to be: heights within ``z_range``
    and an error of ``error`` (each level down :data:`_KID_ERROR` times its parent's);
    ``limits`` are the sample spacing (px) and error (m * px) that refine a node."""

    z_range: np.ndarray
    error: float
    limits: tuple[float, float]

    def refines(self, spacing: float, scale: float, depth_below: int = 0) -> bool:
        """True when a node of ``spacing`` at ``scale`` px/m would be replaced by its kids."""
        error = self.error * _KID_ERROR**depth_below
        return spacing * scale > self.limits[0] or error * scale > self.limits[1]


def _want_below(
    pyramid: Pyramid, key: Key, guess: Guess, planes: np.ndarray,
    scale_of: Callable[[np.ndarray], np.ndarray], ve: float, choice: Choice,
) -> None:  # fmt: skip
    """Want the descendants of an unread node that the view is guessed to refine to, so
    that they are read in the same round rather than one level per frame (see
    :class:`Guess`; their boxes are their rects over the guessed heights)."""
    level, below = [key], 0
    while level:
        below += 1
        kids = [k for parent in level for k in pyramid.children(parent)]
        if not kids:
            return
        boxes = np.array([[*pyramid.rect(k), *guess.z_range] for k in kids])
        seen = ~lod.boxes_outside(boxes, planes, ve)
        kids = [k for k, s in zip(kids, seen) if s]
        if not kids:
            return
        scales = scale_of(boxes[seen])
        choice.wanted.extend(((k[0], -float(ks)), k) for k, ks in zip(kids, scales))
        level = [
            k for k, ks in zip(kids, scales)
            if guess.refines(pyramid.spacing(k), float(ks), below)
        ]  # fmt: skip


def refined_error(pyramid: Pyramid, node: Node, nodes: Callable[[Key], Node | None]) -> float:
    """The node's error, raised by its children's deviations when they are all read."""
    error = node.error
    kids = [nodes(k) for k in pyramid.children(node.key)]
    if kids and all(k is not None for k in kids):
        for kid in kids:
            assert kid is not None
            if not math.isnan(kid.deviation):
                error = max(error, kid.deviation + kid.error)
        node.error = error
    return error


def _child_box(pyramid: Pyramid, node: Node, key: Key, child: Node | None) -> np.ndarray:
    if child is not None:
        return child.tiles.bbox[0]
    x0, x1, y0, y1 = pyramid.rect(key)
    z0, z1 = node.tiles.bbox[0, 4:]
    return np.array([x0, x1, y0, y1, z0 - node.error, z1 + node.error])


def _levels(
    node: Node, error: float, scale: float, tolerance_px: float, ve: float
) -> tuple[int, int, int]:
    """Mesh level, rim level and texture level of a drawn node."""
    tiles = node.tiles
    sc = np.array([scale])
    left = max(tolerance_px - error * ve * scale, 0.25 * tolerance_px)
    level = int(tiles.select_levels(sc, left, ve=ve)[0])
    rim = int(min(tiles.rim_levels(sc, tolerance_px)[0], max(level, 0)))
    tex = int(tiles.texture_levels(sc)[0])
    return max(level, 0), rim, tex
