"""Line assets draped on the ground, and the ground sampling all placed assets share.

Each segment of a line is cut at about the terrain's cell size (:func:`drape_step`) and
every vertex is set on the bilinear ground (:func:`ground_z`) plus :func:`drape_lift`
(so the terrain does not poke through):

``road``        ribbon of ``width_m``, each segment in the status palette
                (render/placed_colors.py) of its ``segment_status``, and a centre line.
``railway``     ballast ribbon of ``width_m``, a sleeper every ``sleeper_spacing_m``
                and two rails; failing segments are red, warning ones amber.
``pipeline``    an octagonal pipe of ``diameter_m`` on low supports.
``powerline``   lattice pylons of ``pylon_height_m`` at every vertex and at most
                ``pylon_spacing_m`` apart, three sagging conductors per span.

Repeated parts (sleepers, pylons) are capped at :data:`MAX_REPEATS` per asset by
spacing them out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from twinscape.geo.sampling import sample_elevation
from twinscape.model.raster import RasterGrid
from twinscape.render.placed_colors import RGB, status_rgb, tinted
from twinscape.render.placed_mesh import MeshBuilder, Param, beam, beams, prism, prisms
from twinscape.render.placed_points import FENCE_RGB, lattice

#: Lift of draped lines over the ground: the larger of this (m) ...
DRAPE_LIFT_M = 0.4
#: ... and this share of the terrain's cell size.
DRAPE_LIFT_PER_CELL = 0.02
#: Densification step of draped lines without ground (m).
DEFAULT_STEP_M = 50.0
#: Most sleepers or pylons drawn per asset (the spacing grows beyond).
MAX_REPEATS = 4000
#: Sag of a conductor at mid-span, as a share of the span.
SAG_FRACTION = 0.03
#: Points per conductor span.
SPAN_POINTS = 13

SLEEPER_RGB: RGB = (96, 74, 56)
RAIL_RGB: RGB = (52, 54, 60)
CONDUCTOR_RGB: RGB = (34, 34, 38)


def ground_z(ground: Sequence[RasterGrid], x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """float64: bilinear ground at (x, y) from the topmost grid with data (NaN off all)."""
    x, y = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(y, np.float64))
    z = np.full(x.shape, np.nan)
    for grid in ground:
        todo = ~np.isfinite(z)
        if not todo.any():
            break
        z[todo] = sample_elevation(grid, x[todo], y[todo])
    return z


def drape_step(ground: Sequence[RasterGrid]) -> float:
    """Densification step of draped lines: the topmost grid's cell size."""
    if not ground:
        return DEFAULT_STEP_M
    return float(min(ground[0].resolution))


def drape_lift(ground: Sequence[RasterGrid]) -> float:
    """Height of draped ribbons over the bilinear ground (m)."""
    if not ground:
        return DRAPE_LIFT_M
    return max(DRAPE_LIFT_M, DRAPE_LIFT_PER_CELL * drape_step(ground))


def fill_nan(z: np.ndarray, along: np.ndarray | None = None, fallback: float = 0.0) -> np.ndarray:
    """``z`` with NaNs interpolated along ``along`` from the finite values (else ``fallback``)."""
    z = np.asarray(z, np.float64).copy()
    bad = ~np.isfinite(z)
    if not bad.any():
        return z
    if bad.all():
        z[:] = fallback
        return z
    s = np.arange(len(z), dtype=np.float64) if along is None else np.asarray(along, np.float64)
    z[bad] = np.interp(s[bad], s[~bad], z[~bad])
    return z


@dataclass(frozen=True)
class Drape:
    """A line cut at the terrain's step: points, their distance along, their segment."""

    xy: np.ndarray  # (m, 2)
    along: np.ndarray  # (m,)
    segment: np.ndarray  # (m - 1,) index of the asset segment of each piece
    z: np.ndarray  # (m,) ground + lift


def drape_line(coords: np.ndarray, ground: Sequence[RasterGrid], lift: float,
               step: float) -> Drape:
    """Cut every segment of ``coords`` (n, 2) into pieces of at most ``step``, on the ground."""
    pts, segs = [coords[:1]], []
    for i in range(len(coords) - 1):
        a, c = coords[i], coords[i + 1]
        n = max(int(np.ceil(np.linalg.norm(c - a) / step)), 1)
        t = np.arange(1, n + 1)[:, None] / n
        pts.append(a + (c - a) * t)
        segs.append(np.full(n, i))
    xy = np.concatenate(pts)
    along = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(xy, axis=0), axis=1))])
    z = fill_nan(ground_z(ground, xy[:, 0], xy[:, 1]), along) + lift
    return Drape(xy, along, np.concatenate(segs) if segs else np.zeros(0, int), z)


def _side_normals(xy: np.ndarray) -> np.ndarray:
    """Mitred left normals at the vertices of a polyline (length up to 2 at sharp bends)."""
    d = np.diff(xy, axis=0)
    d /= np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-12)
    left = np.column_stack([-d[:, 1], d[:, 0]])
    n = np.concatenate([left[:1], left[:-1] + left[1:], left[-1:]])
    n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
    cos = np.concatenate([[1.0], np.einsum("ij,ij->i", n[1:-1], left[1:]), [1.0]])
    return n / np.clip(cos, 0.5, 1.0)[:, None]


def _ribbon(b: MeshBuilder, line: Drape, width: float, ground: Sequence[RasterGrid],
            lift: float, rgb: np.ndarray) -> None:
    """A ribbon of ``width`` along ``line`` (``rgb`` per piece), each edge vertex on the ground."""
    n = _side_normals(line.xy) * (width / 2)
    edges = []
    for sign in (1.0, -1.0):
        exy = line.xy + sign * n
        ez = fill_nan(ground_z(ground, exy[:, 0], exy[:, 1]), line.along, np.nanmean(line.z))
        edges.append(np.column_stack([exy, ez + lift]))
    left, right = edges
    m = len(line.xy)
    verts = np.concatenate([left, right])
    i = np.arange(m - 1)
    tris = np.concatenate([np.stack([i, m + i, m + i + 1], 1), np.stack([i, m + i + 1, i + 1], 1)])
    b.solid((verts, tris), np.concatenate([rgb, rgb]), orient="up")


def _segment_colours(line: Drape, statuses: Sequence[str], base: RGB | None) -> np.ndarray:
    """(m - 1, 3) colour of each piece: the palette (``base`` None) or ``base`` tinted."""
    table = np.array([status_rgb(s) if base is None else tinted(base, s) for s in statuses],
                     np.float64).reshape(-1, 3)  # fmt: skip
    return table[line.segment]


def _stations(line: Drape, spacing: float) -> tuple[np.ndarray, int]:
    """Distances along ``line`` every ``spacing`` (capped at MAX_REPEATS) and their count."""
    length = float(line.along[-1])
    spacing = max(spacing, length / (MAX_REPEATS - 1), 1e-3)
    s = np.arange(int(np.floor(length / spacing + 1e-9)) + 1) * spacing
    return s, len(s)


def _at(line: Drape, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points (k, 3) and unit directions (k, 2) at distances ``s`` along ``line``."""
    piece = np.clip(np.searchsorted(line.along, s, side="right") - 1, 0, len(line.xy) - 2)
    a, c = line.xy[piece], line.xy[piece + 1]
    span = np.maximum(line.along[piece + 1] - line.along[piece], 1e-12)
    t = np.clip((s - line.along[piece]) / span, 0.0, 1.0)[:, None]
    xy = a + (c - a) * t
    z = line.z[piece] + (line.z[piece + 1] - line.z[piece]) * t[:, 0]
    d = (c - a) / np.maximum(np.linalg.norm(c - a, axis=1, keepdims=True), 1e-12)
    return np.column_stack([xy, z]), d


def _road(b: MeshBuilder, line: Drape, p: Param, rgb: RGB,
          statuses: Sequence[str], ground: Sequence[RasterGrid], lift: float) -> None:
    width = p("width_m")
    colours = _segment_colours(line, statuses, None)
    _ribbon(b, line, width, ground, lift, colours)
    # a centre line in the same colours keeps a far road a line of pixels wide
    b.polyline(np.column_stack([line.xy, line.z + 0.1 * lift]), colours)


def _railway(b: MeshBuilder, line: Drape, p: Param, rgb: RGB,
             statuses: Sequence[str], ground: Sequence[RasterGrid], lift: float) -> None:
    width = p("width_m")
    _ribbon(b, line, width, ground, lift, _segment_colours(line, statuses, rgb))
    s, count = _stations(line, p("sleeper_spacing_m"))
    points, d = _at(line, s)
    across = np.column_stack([-d[:, 1], d[:, 0], np.zeros(len(d))]) * (0.28 * width)
    centre = points + [0.0, 0.0, 0.11]
    b.solid(beams(centre - across, centre + across, 0.22), SLEEPER_RGB, orient="keep")
    b.count("sleepers", count)
    n = _side_normals(line.xy)
    gauge = min(0.72, 0.3 * width)  # half the standard gauge and the rail's head
    for sign in (1.0, -1.0):
        rail = np.column_stack([line.xy + sign * gauge * n, line.z + 0.25])
        b.polyline(rail, RAIL_RGB)


def _pipeline(b: MeshBuilder, line: Drape, p: Param, rgb: RGB,
              statuses: Sequence[str], ground: Sequence[RasterGrid], lift: float) -> None:
    radius = max(p("diameter_m"), 0.1) / 2
    rise = 0.5 + radius
    colours = _segment_colours(line, statuses, rgb)
    pts = np.column_stack([line.xy, line.z + rise])
    tube = prisms(pts[:-1], pts[1:], radius, radius, 8, phase=math.pi / 8)
    b.solid(tube, np.repeat(colours, 32, axis=0), orient="keep")  # 8 sides: 32 triangles
    s, _ = _stations(line, 12.0)
    feet, _ = _at(line, s)
    b.solid(beams(feet - [0, 0, lift], feet + [0, 0, rise - radius], 0.25), FENCE_RGB,
            orient="keep")


def _powerline(b: MeshBuilder, line: Drape, coords: np.ndarray, p: Param, rgb: RGB,
               statuses: Sequence[str], lift: float) -> None:
    spacing, height = p("pylon_spacing_m"), p("pylon_height_m")
    seg_len = np.linalg.norm(np.diff(coords, axis=0), axis=1)
    spans = np.maximum(np.ceil(seg_len / max(spacing, 1e-3)), 1).astype(int)
    if spans.sum() + 1 > MAX_REPEATS:
        spans = np.maximum((spans * (MAX_REPEATS - 1) / spans.sum()).astype(int), 1)
    seg_start = np.concatenate([[0.0], np.cumsum(seg_len)])
    s = np.concatenate([seg_start[i] + seg_len[i] * np.arange(spans[i]) / spans[i]
                        for i in range(len(spans))] + [[seg_start[-1]]])  # fmt: skip
    span_segment = np.repeat(np.arange(len(spans)), spans)
    feet, d = _at(line, np.minimum(s, line.along[-1]))
    feet[:, 2] -= lift
    # direction at a pylon: the bisector of the spans it carries
    dirs = np.diff(feet[:, :2], axis=0)
    dirs /= np.maximum(np.linalg.norm(dirs, axis=1, keepdims=True), 1e-12)
    at = np.concatenate([dirs[:1], dirs[:-1] + dirs[1:], dirs[-1:]]) if len(dirs) else d
    at /= np.maximum(np.linalg.norm(at, axis=1, keepdims=True), 1e-12)
    arm = 0.3 * height
    attach_local = np.array([[-arm, 0, 0.78 * height - 2.0], [arm, 0, 0.78 * height - 2.0],
                             [0, 0, height]])  # fmt: skip
    attach = []
    span_status = [statuses[k] for k in span_segment]
    for k, (foot, dd) in enumerate(zip(feet, at)):
        near = [span_status[j] for j in (k - 1, k) if 0 <= j < len(span_status)]
        worst = max(near, key=("ok", "warn", "fail").index) if near else "ok"
        # local x across the line, y along it
        rot = np.array([[dd[1], dd[0], 0.0], [-dd[0], dd[1], 0.0], [0.0, 0.0, 1.0]])
        b.place(rot, foot)
        colour = tinted(rgb, worst)
        lattice(b, 0.2 * height, 0.05 * height, 0.78 * height, colour)
        b.solid(prism((0, 0, 0.78 * height), (0, 0, height), 0.025 * height, 0.01 * height, 4,
                      phase=math.pi / 4), colour)  # fmt: skip
        b.solid(beam((-arm, 0, 0.78 * height), (arm, 0, 0.78 * height), 0.035 * height), colour)
        b.place(np.eye(3), np.zeros(3), floor=False)
        attach.append(attach_local @ rot.T + foot)
    b.count("pylons", len(feet))
    t = np.linspace(0.0, 1.0, SPAN_POINTS)[:, None]
    for k in range(len(attach) - 1):
        a, c = attach[k], attach[k + 1]
        span = float(np.linalg.norm(c[0, :2] - a[0, :2]))
        sag = SAG_FRACTION * span * 4 * t[:, 0] * (1 - t[:, 0])
        colour = (CONDUCTOR_RGB if span_status[k] == "ok" else status_rgb(span_status[k]))
        for w in range(3):
            pts = a[w] + (c[w] - a[w]) * t
            pts[:, 2] -= sag
            b.polyline(pts, colour)


def draw_line(b: MeshBuilder, shape: str, coords: np.ndarray, p: Param, rgb: RGB,
              statuses: Sequence[str], ground: Sequence[RasterGrid]) -> None:
    """Drape the vertices ``coords`` (n, 2) on ``ground`` and add the ``shape`` along them.

    ``statuses`` is the status of each of the n - 1 segments.
    """
    lift = drape_lift(ground)
    line = drape_line(coords, ground, lift, drape_step(ground))
    if shape == "powerline":
        _powerline(b, line, coords, p, rgb, statuses, lift)
    else:
        draw = {"road": _road, "railway": _railway, "pipeline": _pipeline}[shape]
        draw(b, line, p, rgb, statuses, ground, lift)
