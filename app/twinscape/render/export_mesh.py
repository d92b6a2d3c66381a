"""What a scene export holds, numpy only: layers of triangle and line parts, and their colours.

An :class:`ExportScene` is what every writer (glTF/GLB, OBJ + MTL, VTK multiblock) reads.
Points are **render coordinates** (world minus the project origin, float32) with **true
heights**: vertical exaggeration is a display setting and is undone before a part is
made. Colours are per vertex (uint8 RGBA, sRGB) or one colour for the whole part; a
part may also carry a texture (the terrain's baked colours) with texture coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Kinds of part: triangles (3 point indices per cell) and line segments (2).
TRIANGLES, LINES = "triangles", "lines"
CORNERS = {TRIANGLES: 3, LINES: 2}


@dataclass
class ExportPart:
    """Triangles or line segments of one layer, with their colours and data arrays.

    Attributes
    ----------
    kind
        :data:`TRIANGLES` or :data:`LINES`.
    points
        float32 (n, 3) render coordinates, true heights.
    cells
        int64 (m, 3) triangles or (m, 2) segments, indices into ``points``.
    colors
        uint8 (n, 4) sRGB RGBA per point, or None (``color`` applies to all).
    color
        RGBA 0..1 of the whole part when ``colors`` is None.
    opacity
        The layer's opacity as drawn (0..1).
    cell_data, point_data
        Named arrays per cell / per point (kept by the VTK export).
    uv, texture
        Texture coordinates float32 (n, 2) with ``v`` down from the image's top row (glTF's
        convention) and the uint8 (h, w, 3) image, row 0 at the top; None without texture.
    """

    kind: str
    points: np.ndarray
    cells: np.ndarray
    colors: np.ndarray | None = None
    color: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    opacity: float = 1.0
    cell_data: dict[str, np.ndarray] = field(default_factory=dict)
    point_data: dict[str, np.ndarray] = field(default_factory=dict)
    uv: np.ndarray | None = None
    texture: np.ndarray | None = None

    @property
    def n_cells(self) -> int:
        """Triangles or segments."""
        return len(self.cells)

    def vertex_colors(self) -> np.ndarray:
        """uint8 (n, 4) RGBA per point (``color`` repeated when there is none per point)."""
        if self.colors is not None:
            return self.colors
        rgba = np.round(np.clip(self.color, 0.0, 1.0) * 255).astype(np.uint8)
        return np.tile(rgba, (len(self.points), 1))


@dataclass
class ExportLayer:
    """One layer of the scene: its name, kind, id and parts (one node / group / block)."""

    name: str
    kind: str
    layer_id: str
    parts: list[ExportPart]

    @property
    def triangles(self) -> int:
        """Triangles of all parts."""
        return sum(p.n_cells for p in self.parts if p.kind == TRIANGLES)

    @property
    def vertices(self) -> int:
        """Points of all parts."""
        return sum(len(p.points) for p in self.parts)


@dataclass
class ExportScene:
    """Layers to write, and where they are: the project CRS and origin (world metres)."""

    name: str
    crs: str | None
    origin: tuple[float, float, float]
    layers: list[ExportLayer]
    warnings: list[str] = field(default_factory=list)

    @property
    def triangles(self) -> int:
        """Triangles of every layer."""
        return sum(layer.triangles for layer in self.layers)

    @property
    def vertices(self) -> int:
        """Points of every layer."""
        return sum(layer.vertices for layer in self.layers)


def split_cell_colors(
    cells: np.ndarray, cell_rgba: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-vertex colours for cells coloured one by one (glTF and OBJ colour vertices).

    A point used by cells of different colours becomes one vertex per colour; points
    shared by cells of the same colour stay shared. Returns ``(source, new_cells,
    rgba)``: ``source`` (k,) the original point of each new vertex, ``new_cells`` the
    cells over the new vertices (same order) and ``rgba`` uint8 (k, 4) their colours.
    """
    cells = np.asarray(cells, np.int64)
    rgba = np.ascontiguousarray(cell_rgba, np.uint8).reshape(-1, 4)
    packed = rgba.view(np.uint32).ravel().astype(np.int64)
    corners = cells.shape[1]
    keys = (cells << 32) | np.repeat(packed, corners).reshape(-1, corners)
    unique, inverse = np.unique(keys.ravel(), return_inverse=True)
    source = unique >> 32
    colours = (unique & 0xFFFFFFFF).astype(np.uint32).view(np.uint8).reshape(-1, 4)
    return source, inverse.reshape(cells.shape).astype(np.int64), colours


def compact(part: ExportPart) -> ExportPart:
    """``part`` without the points no cell uses (indices renumbered)."""
    used = np.zeros(len(part.points), bool)
    used[part.cells.ravel()] = True
    if used.all():
        return part
    index = np.cumsum(used) - 1
    return ExportPart(
        kind=part.kind, points=part.points[used], cells=index[part.cells],
        colors=None if part.colors is None else part.colors[used], color=part.color,
        opacity=part.opacity, cell_data=part.cell_data,
        point_data={k: v[used] for k, v in part.point_data.items()},
        uv=None if part.uv is None else part.uv[used], texture=part.texture,
    )  # fmt: skip


def merge_parts(parts: list[ExportPart]) -> list[ExportPart]:
    """Parts of one layer joined per kind and opacity (a textured part stays on its own).

    Data arrays are kept when every joined part has them with the same shape per item
    and dtype; per-point colours are made for parts that have one colour only.
    """
    groups: dict[tuple, list[ExportPart]] = {}
    alone: list[ExportPart] = []
    for part in parts:
        if not part.n_cells:
            continue
        if part.texture is not None:
            alone.append(part)
        else:
            groups.setdefault((part.kind, round(part.opacity, 4)), []).append(part)
    merged = [_join(group) for group in groups.values()]
    return sorted(merged, key=lambda p: p.kind != TRIANGLES) + alone


def _common(arrays: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    names = [n for n in arrays[0] if all(n in a for a in arrays)]
    keep = {}
    for name in names:
        first = arrays[0][name]
        if all(a[name].dtype == first.dtype and a[name].shape[1:] == first.shape[1:]
               for a in arrays):  # fmt: skip
            keep[name] = np.concatenate([a[name] for a in arrays])
    return keep


def _join(group: list[ExportPart]) -> ExportPart:
    if len(group) == 1:
        return group[0]
    offsets = np.cumsum([0] + [len(p.points) for p in group[:-1]])
    colours = None
    if any(p.colors is not None for p in group) or len({p.color for p in group}) > 1:
        colours = np.concatenate([p.vertex_colors() for p in group])
    return ExportPart(
        kind=group[0].kind,
        points=np.concatenate([p.points for p in group]).astype(np.float32),
        cells=np.concatenate([p.cells + o for p, o in zip(group, offsets)]),
        colors=colours, color=group[0].color, opacity=group[0].opacity,
        cell_data=_common([p.cell_data for p in group]),
        point_data=_common([p.point_data for p in group]),
    )  # fmt: skip


def srgb_to_linear(rgb: np.ndarray) -> np.ndarray:
    """sRGB values 0..1 to linear light 0..1 (glTF's vertex colours are linear)."""
    rgb = np.asarray(rgb, np.float64)
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(rgb: np.ndarray) -> np.ndarray:
    """Linear light 0..1 to sRGB 0..1 (to read glTF vertex colours back)."""
    rgb = np.asarray(rgb, np.float64)
    return np.where(rgb <= 0.0031308, rgb * 12.92, 1.055 * rgb ** (1 / 2.4) - 0.055)


def render_to_yup(points: np.ndarray) -> np.ndarray:
    """Z-up render points (x, y, z) as Y-up (x, z, -y), glTF's axes (a proper rotation)."""
    p = np.asarray(points)
    return np.stack([p[:, 0], p[:, 2], -p[:, 1]], axis=1).astype(np.float32)


def yup_to_world(points: np.ndarray, origin: tuple[float, float, float]) -> np.ndarray:
    """Y-up file points back to world coordinates: (X, -Z, Y) + origin, float64."""
    p = np.asarray(points, np.float64)
    return np.stack([p[:, 0], -p[:, 2], p[:, 1]], axis=1) + np.asarray(origin, np.float64)
