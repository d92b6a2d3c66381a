"""Glyph shapes of sensor stations (numpy only): one template copied to every station.

A glyph is a small triangle mesh in metres around its station's foot point (0, 0, 0);
the layer's mesh is the template translated to every station, station ``i`` owning
points ``i*V .. i*V+V-1`` and triangles ``i*F .. i*F+F-1``, so per-station values map to
the arrays by a reshape (no index arrays, no loops).

``mast``
    A thin square pole from the ground up to ``4 * size`` with an icosahedron of
    diameter ``size`` at the top (the marker, coloured by the value).
``column``
    A square box ``size`` wide whose height encodes the value
    (:func:`column_heights`); its four top points move with the value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from twinscape.render.sensor_colors import shaded

#: Mast height and pole width, in glyph sizes.
MAST_HEIGHT, POLE_WIDTH = 4.0, 0.12
#: Column heights for the bottom and the top of the value range, in glyph sizes, and
#: for no value (a flat grey slab, lower than any value's column).
COLUMN_LOW, COLUMN_HIGH, COLUMN_NONE = 0.25, 8.0, 0.1
#: Labels float this far (glyph sizes) above the top of a glyph.
LABEL_GAP = 0.6


@dataclass(frozen=True)
class GlyphTemplate:
    """One station's glyph.

    Attributes
    ----------
    points
        float64 (V, 3) in metres around the foot point.
    faces
        int64 (F, 3) counter-clockwise seen from outside.
    coloured
        bool (F,): faces drawn in the value's colour (the rest is pole or column side).
    moving
        int (k,): points whose z follows the value (column tops), empty for masts.
    normals
        float64 (F, 3) unit outward normals (heights change, directions do not).
    top
        Height of the glyph's top above its foot (columns: at the highest value).
    """

    points: np.ndarray
    faces: np.ndarray
    coloured: np.ndarray
    moving: np.ndarray
    normals: np.ndarray
    top: float


def icosahedron() -> tuple[np.ndarray, np.ndarray]:
    """Unit-radius icosahedron: (12, 3) points, (20, 3) outward counter-clockwise faces."""
    p = (1.0 + math.sqrt(5.0)) / 2.0
    pts = np.array(
        [(-1, p, 0), (1, p, 0), (-1, -p, 0), (1, -p, 0), (0, -1, p), (0, 1, p),
         (0, -1, -p), (0, 1, -p), (p, 0, -1), (p, 0, 1), (-p, 0, -1), (-p, 0, 1)],
        np.float64,
    )  # fmt: skip
    faces = np.array(
        [(0, 11, 5), (0, 5, 1), (0, 1, 7), (0, 7, 10), (0, 10, 11), (1, 5, 9), (5, 11, 4),
         (11, 10, 2), (10, 7, 6), (7, 1, 8), (3, 9, 4), (3, 4, 2), (3, 2, 6), (3, 6, 8),
         (3, 8, 9), (4, 9, 5), (2, 4, 11), (6, 2, 10), (8, 6, 7), (9, 8, 1)],
        np.int64,
    )  # fmt: skip
    return pts / np.linalg.norm(pts, axis=1, keepdims=True), faces


def _box(half: float, z0: float, z1: float, *, top: bool) -> tuple[np.ndarray, np.ndarray]:
    """A square prism: 8 points (bottom ring, top ring) and its 4 sides (+ the top)."""
    ring = np.array([(-half, -half), (half, -half), (half, half), (-half, half)])
    pts = np.vstack([np.c_[ring, np.full(4, z0)], np.c_[ring, np.full(4, z1)]])
    faces = []
    for k in range(4):
        a, b = k, (k + 1) % 4
        faces += [(a, b, b + 4), (a, b + 4, a + 4)]
    if top:
        faces += [(4, 5, 6), (4, 6, 7)]
    return pts, np.array(faces, np.int64)


def _normals(points: np.ndarray, faces: np.ndarray) -> np.ndarray:
    a, b, c = (points[faces[:, k]] for k in range(3))
    n = np.cross(b - a, c - a)
    return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)


def glyph_template(glyph: str, size: float) -> GlyphTemplate:
    """The template of ``glyph`` (``"mast"`` or ``"column"``) for glyphs ``size`` metres wide."""
    if glyph == "mast":
        height = MAST_HEIGHT * size
        pole_pts, pole_faces = _box(POLE_WIDTH * size / 2, 0.0, height, top=False)
        ball, ball_faces = icosahedron()
        ball = ball * (size / 2) + np.array([0.0, 0.0, height])
        points = np.vstack([pole_pts, ball])
        faces = np.vstack([pole_faces, ball_faces + len(pole_pts)])
        coloured = np.r_[np.zeros(len(pole_faces), bool), np.ones(len(ball_faces), bool)]
        return GlyphTemplate(
            points, faces, coloured, np.zeros(0, int), _normals(points, faces), height + size / 2
        )
    if glyph == "column":
        points, faces = _box(size / 2, 0.0, COLUMN_LOW * size, top=True)
        coloured = np.ones(len(faces), bool)
        normals = _normals(np.vstack([points[:4], points[4:] + [0, 0, size]]), faces)
        return GlyphTemplate(
            points, faces, coloured, np.arange(4, 8), normals, COLUMN_HIGH * size
        )
    raise ValueError(f"unknown glyph {glyph!r}")


def column_heights(fraction: np.ndarray, size: float) -> np.ndarray:
    """Heights (m) of columns at ``fraction`` 0..1 of the value range (NaN: a flat slab)."""
    f = np.asarray(fraction, np.float64)
    heights = size * (COLUMN_LOW + (COLUMN_HIGH - COLUMN_LOW) * np.nan_to_num(f, nan=0.0))
    return np.where(np.isnan(f), size * COLUMN_NONE, heights)


def glyph_points(feet: np.ndarray, template: GlyphTemplate) -> np.ndarray:
    """float32 (n * V, 3): the template at every foot point (float64 render coordinates)."""
    pts = np.asarray(feet, np.float64)[:, None, :] + template.points[None, :, :]
    return pts.reshape(-1, 3).astype(np.float32)


def glyph_faces(n: int, template: GlyphTemplate) -> np.ndarray:
    """int64 (n * F, 3): the template's faces for ``n`` stations."""
    offsets = (np.arange(n, dtype=np.int64) * len(template.points))[:, None, None]
    return (template.faces[None, :, :] + offsets).reshape(-1, 3)


class FaceColours:
    """Writes station colours into a glyph mesh's face colours ``(n, F, 3)``, in place.

    Value faces (the marker, or the whole column) take the value's palette colour; the
    frame (a mast's pole) is grey. A selected station shows the highlight on its frame:
    the pole, or a column's sides. Shading per face is baked in; the palette is shaded
    once (:func:`~twinscape.render.sensor_colors.shaded`), so an update is one gather.

    Parameters
    ----------
    template
        The glyph.
    shade
        float32 (F,) brightness per face
        (:func:`~twinscape.render.sensor_colors.face_shading`).
    frame_rgb, highlight_rgb
        Colours of the frame and of a selected station's frame.
    """

    def __init__(
        self,
        template: GlyphTemplate,
        shade: np.ndarray,
        frame_rgb: tuple[int, int, int],
        highlight_rgb: tuple[int, int, int],
    ) -> None:
        value = np.flatnonzero(template.coloured)
        contiguous = len(value) and value[-1] - value[0] + 1 == len(value)
        self.value: slice | np.ndarray = (
            slice(int(value[0]), int(value[-1]) + 1) if contiguous else value
        )  # a slice writes faster
        self.frame = np.flatnonzero(~template.coloured)
        side = np.abs(template.normals[:, 2]) < 0.5
        self.marked = self.frame if len(self.frame) else np.flatnonzero(side)
        self._shade = np.asarray(shade, np.float32)
        self._frame_rgb = shaded(np.array([frame_rgb]), self._shade)[0]
        self._marked_rgb = shaded(np.array([highlight_rgb]), self._shade)[0]
        self._key: bytes | None = None
        self._table = np.zeros((0, 0, 3), np.uint8)

    def _shaded_palette(self, palette: np.ndarray) -> np.ndarray:
        key = palette.tobytes()
        if key != self._key:
            self._key = key
            self._table = shaded(palette, self._shade[self.value])
        return self._table

    def write_values(
        self, colors: np.ndarray, index: np.ndarray, palette: np.ndarray, highlight: tuple
    ) -> None:
        """Palette colour ``palette[index[i]]`` on station ``i``'s value faces (then marks)."""
        colors[:, self.value] = self._shaded_palette(palette)[index]
        if len(self.frame) == 0:
            self._mark(colors, highlight)

    def write_frame(self, colors: np.ndarray, highlight: tuple) -> None:
        """The frame colour everywhere, and the highlight on the selected stations."""
        if len(self.frame):
            colors[:, self.frame] = self._frame_rgb[self.frame]
        self._mark(colors, highlight)

    def _mark(self, colors: np.ndarray, highlight: tuple) -> None:
        rows = np.array([r for r in highlight if 0 <= r < len(colors)], np.intp)
        if len(rows) and len(self.marked):
            colors[np.ix_(rows, self.marked)] = self._marked_rgb[self.marked]

