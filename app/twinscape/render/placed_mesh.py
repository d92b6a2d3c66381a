"""The geometry of placed assets and how it is put together (numpy only).

:class:`PlacedMesh` holds solids and polylines in world coordinates, each triangle and
line segment tagged with its asset's row. :class:`MeshBuilder` collects the parts of one
asset (optionally turned and moved into place), orients and shades its triangles and
returns a :class:`PlacedMesh`. :func:`prism`, :func:`prisms`, :func:`beam`,
:func:`beams` and :func:`box` are the solids the shapes are made of.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from twinscape.render.placed_colors import RGB, shade

#: An asset's parameter by name (its own, else its entry's, else the shape's default).
Param = Callable[[str], float]


@dataclass(frozen=True, eq=False)
class PlacedMesh:
    """Solids and polylines of placed assets in world coordinates.

    Parameters
    ----------
    vertices, triangles
        float64 (p, 3) and int64 (t, 3).
    rows, colors
        Per triangle: int32 asset row and uint8 RGB (shading baked in).
    line_points, lines
        float64 (q, 3) and int64 (s, 2): two-point line segments (edges, rails,
        conductors, fences, outlines).
    line_rows, line_colors
        Per line segment: int32 asset row and uint8 RGB.
    parts
        Counts of repeated parts ("sleepers", "pylons", "panel_rows").
    """

    vertices: np.ndarray
    triangles: np.ndarray
    rows: np.ndarray
    colors: np.ndarray
    line_points: np.ndarray
    lines: np.ndarray
    line_rows: np.ndarray
    line_colors: np.ndarray
    parts: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def empty(cls) -> PlacedMesh:
        """No geometry."""
        return cls(np.zeros((0, 3)), np.zeros((0, 3), np.int64), np.zeros(0, np.int32),
                   np.zeros((0, 3), np.uint8), np.zeros((0, 3)), np.zeros((0, 2), np.int64),
                   np.zeros(0, np.int32), np.zeros((0, 3), np.uint8))  # fmt: skip

    @property
    def triangle_count(self) -> int:
        """Number of triangles."""
        return len(self.triangles)

    def with_row(self, row: int) -> PlacedMesh:
        """The same geometry tagged with asset ``row``."""
        return PlacedMesh(
            self.vertices, self.triangles, np.full(len(self.triangles), row, np.int32),
            self.colors, self.line_points, self.lines, np.full(len(self.lines), row, np.int32),
            self.line_colors, self.parts,
        )  # fmt: skip

    @classmethod
    def concat(cls, meshes: Sequence[PlacedMesh]) -> PlacedMesh:
        """All ``meshes`` in one (indices shifted; parts summed)."""
        meshes = [m for m in meshes if len(m.triangles) or len(m.lines)]
        if not meshes:
            return cls.empty()
        v_off = np.cumsum([0] + [len(m.vertices) for m in meshes[:-1]])
        p_off = np.cumsum([0] + [len(m.line_points) for m in meshes[:-1]])
        parts: dict[str, int] = {}
        for m in meshes:
            for key, n in m.parts.items():
                parts[key] = parts.get(key, 0) + n
        return cls(
            np.concatenate([m.vertices for m in meshes]),
            np.concatenate([m.triangles + o for m, o in zip(meshes, v_off)]),
            np.concatenate([m.rows for m in meshes]),
            np.concatenate([m.colors for m in meshes]),
            np.concatenate([m.line_points for m in meshes]),
            np.concatenate([m.lines + o for m, o in zip(meshes, p_off)]),
            np.concatenate([m.line_rows for m in meshes]),
            np.concatenate([m.line_colors for m in meshes]),
            parts,
        )



def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def prism(
    p0: Sequence[float], p1: Sequence[float], r0: float, r1: float, sides: int, *,
    u: Sequence[float] | None = None, flat: float = 1.0, phase: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """A closed (tapered) prism from ``p0`` to ``p1``: radius ``r0`` at ``p0``, ``r1`` at ``p1``.

    ``u`` is the first axis of the cross-section (default: horizontal), ``flat`` squeezes
    the second one (a blade), ``phase`` turns the polygon (pi/4 with 4 sides: a beam).
    Returns float64 (2 * sides + 2, 3) vertices and int64 triangles.
    """
    a0, a1 = np.asarray(p0, np.float64), np.asarray(p1, np.float64)
    axis = _unit(a1 - a0)
    if u is None:
        ref = np.array([0.0, 0.0, 1.0]) if abs(axis[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
        uu = _unit(np.cross(ref, axis))
    else:
        uu = np.asarray(u, np.float64)
        uu = _unit(uu - (uu @ axis) * axis)
    vv = np.cross(axis, uu)
    ang = phase + 2 * np.pi * np.arange(sides) / sides
    ring = np.cos(ang)[:, None] * uu + (flat * np.sin(ang))[:, None] * vv
    verts = np.concatenate([a0 + r0 * ring, a1 + r1 * ring, [a0, a1]])
    i = np.arange(sides)
    j = (i + 1) % sides
    s = sides
    tris = np.concatenate([
        np.stack([i, j, s + j], 1), np.stack([i, s + j, s + i], 1),
        np.stack([np.full(s, 2 * s), j, i], 1), np.stack([np.full(s, 2 * s + 1), s + i, s + j], 1),
    ])  # fmt: skip
    return verts, tris.astype(np.int64)


def prisms(
    p0: np.ndarray, p1: np.ndarray, r0: float, r1: float, sides: int, phase: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Many closed prisms at once (as :func:`prism`, horizontal first axis), facing out.

    ``p0`` and ``p1`` are (k, 3); returns (k * (2 * sides + 2), 3) vertices and triangles.
    """
    a0 = np.atleast_2d(np.asarray(p0, np.float64))
    a1 = np.atleast_2d(np.asarray(p1, np.float64))
    k = len(a0)
    if k == 0:
        return np.zeros((0, 3)), np.zeros((0, 3), np.int64)
    axis = a1 - a0
    axis /= np.maximum(np.linalg.norm(axis, axis=1, keepdims=True), 1e-12)
    ref = np.where((np.abs(axis[:, 2]) < 0.9)[:, None], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0])
    uu = np.cross(ref, axis)
    uu /= np.maximum(np.linalg.norm(uu, axis=1, keepdims=True), 1e-12)
    vv = np.cross(axis, uu)
    ang = phase + 2 * np.pi * np.arange(sides) / sides
    ring = (np.cos(ang)[None, :, None] * uu[:, None, :]
            + np.sin(ang)[None, :, None] * vv[:, None, :])  # (k, sides, 3)
    verts = np.concatenate([a0[:, None] + r0 * ring, a1[:, None] + r1 * ring, a0[:, None],
                            a1[:, None]], axis=1)  # fmt: skip
    _, tris = prism((0, 0, 0), (0, 0, 1), 1.0, 1.0, sides)
    n = 2 * sides + 2
    tris = (tris[None] + (np.arange(k) * n)[:, None, None]).reshape(-1, 3)
    return verts.reshape(-1, 3), tris


def beams(p0: np.ndarray, p1: np.ndarray, width: float) -> tuple[np.ndarray, np.ndarray]:
    """Square beams of side ``width`` from each ``p0`` (k, 3) to ``p1`` (k, 3)."""
    r = width / math.sqrt(2)
    return prisms(p0, p1, r, r, 4, phase=math.pi / 4)


def beam(p0: Sequence[float], p1: Sequence[float], width: float) -> tuple[np.ndarray, np.ndarray]:
    """A square beam of side ``width`` from ``p0`` to ``p1``."""
    return beams(np.asarray([p0], np.float64), np.asarray([p1], np.float64), width)


_BOX_TRIS = np.array([
    [0, 2, 1], [0, 3, 2], [4, 5, 6], [4, 6, 7], [0, 1, 5], [0, 5, 4],
    [1, 2, 6], [1, 6, 5], [2, 3, 7], [2, 7, 6], [3, 0, 4], [3, 4, 7],
], np.int64)  # fmt: skip


def box(lo: Sequence[float], hi: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """An axis-aligned box between corners ``lo`` and ``hi``."""
    (x0, y0, z0), (x1, y1, z1) = lo, hi
    verts = np.array([[x0, y0, z0], [x1, y0, z0], [x1, y1, z0], [x0, y1, z0],
                      [x0, y0, z1], [x1, y0, z1], [x1, y1, z1], [x0, y1, z1]], np.float64)
    return verts, _BOX_TRIS


class MeshBuilder:
    """Collects the solids and polylines of one asset (with an optional placement)."""

    def __init__(self) -> None:
        self.rotation = np.eye(3)
        self.offset = np.zeros(3)
        self.floor = False
        self._verts: list[np.ndarray] = []
        self._tris: list[np.ndarray] = []
        self._rgb: list[np.ndarray] = []
        self._count = 0
        self._points: list[np.ndarray] = []
        self._segs: list[np.ndarray] = []
        self._seg_rgb: list[np.ndarray] = []
        self._pcount = 0
        self.parts: dict[str, int] = {}

    def place(self, rotation: np.ndarray, offset: Sequence[float], floor: bool = True) -> None:
        """Following parts are local: turned by ``rotation`` then moved by ``offset``.

        With ``floor`` nothing reaches below local z = 0 (beam ends stay on the base).
        """
        self.rotation = np.asarray(rotation, np.float64)
        self.offset = np.asarray(offset, np.float64)
        self.floor = floor

    def _to_world(self, verts: np.ndarray) -> np.ndarray:
        verts = np.asarray(verts, np.float64)
        if self.floor:
            verts = np.column_stack([verts[:, :2], np.maximum(verts[:, 2], 0.0)])
        return verts @ self.rotation.T + self.offset

    def solid(self, part: tuple[np.ndarray, np.ndarray], rgb: RGB | np.ndarray,
              orient: str = "out") -> None:
        """Add triangles; ``orient`` "out" (convex: away from its centre), "up" or "keep"."""
        verts, tris = part
        if len(tris) == 0:
            return
        verts = self._to_world(verts)
        tris = np.asarray(tris, np.int64).copy()
        a, b, c = verts[tris[:, 0]], verts[tris[:, 1]], verts[tris[:, 2]]
        n = np.cross(b - a, c - a)
        if orient == "out":
            flip = np.einsum("ij,ij->i", n, (a + b + c) / 3 - verts.mean(axis=0)) < 0
        elif orient == "up":
            flip = n[:, 2] < 0
        else:
            flip = np.zeros(len(tris), bool)
        tris[flip] = tris[flip][:, [0, 2, 1]]
        self._verts.append(verts)
        self._tris.append(tris + self._count)
        rgb_arr = np.asarray(rgb, np.float64)
        self._rgb.append(np.broadcast_to(rgb_arr, (len(tris), 3)) if rgb_arr.ndim == 1
                         else rgb_arr)
        self._count += len(verts)

    def polyline(self, points: np.ndarray, rgb: RGB | np.ndarray, closed: bool = False) -> None:
        """Add a polyline (``rgb`` one colour or one per segment)."""
        points = self._to_world(points)
        k = len(points)
        if k < 2:
            return
        i = np.arange(k if closed else k - 1)
        segs = np.stack([i, (i + 1) % k], 1) + self._pcount
        self._points.append(points)
        self._segs.append(segs)
        rgb_arr = np.asarray(rgb, np.float64)
        self._seg_rgb.append(np.broadcast_to(rgb_arr, (len(segs), 3)) if rgb_arr.ndim == 1
                             else rgb_arr)
        self._pcount += k

    def count(self, part: str, n: int) -> None:
        """Note ``n`` more repeated parts."""
        self.parts[part] = self.parts.get(part, 0) + n

    def build(self) -> PlacedMesh:
        """The collected geometry, shaded, tagged with row 0."""
        empty = PlacedMesh.empty()
        if self._tris:
            verts = np.concatenate(self._verts)
            tris = np.concatenate(self._tris)
            a, b, c = verts[tris[:, 0]], verts[tris[:, 1]], verts[tris[:, 2]]
            n = np.cross(b - a, c - a)
            length = np.linalg.norm(n, axis=1, keepdims=True)
            n = np.divide(n, length, out=np.zeros_like(n), where=length > 0)
            colors = shade(np.concatenate(self._rgb), n)
        else:
            verts, tris, colors = empty.vertices, empty.triangles, empty.colors
        if self._segs:
            points = np.concatenate(self._points)
            segs = np.concatenate(self._segs)
            seg_rgb = np.clip(np.rint(np.concatenate(self._seg_rgb)), 0, 255).astype(np.uint8)
        else:
            points, segs, seg_rgb = empty.line_points, empty.lines, empty.line_colors
        return PlacedMesh(verts, tris, np.zeros(len(tris), np.int32), colors, points, segs,
                          np.zeros(len(segs), np.int32), seg_rgb, dict(self.parts))  # fmt: skip

