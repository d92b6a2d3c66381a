"""Polygon assets, following the ground.

``solar_farm``  east-west rows of panels tilted to the south, one every ``row_spacing_m``,
                clipped to the polygon (shrunk by half a panel's depth, so no panel
                leaves it) and following the ground, inside a draped fence.
``pad``         a flat slab at ``base_z`` (the design elevation) with walls down (or up)
                to the ground and its outline.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import shapely
from shapely.geometry import LineString, Polygon

from twinscape.geo.triangulate import triangulate_rings
from twinscape.model.raster import RasterGrid
from twinscape.render.placed_colors import RGB, status_rgb, tinted
from twinscape.render.placed_lines import drape_lift, drape_line, drape_step, fill_nan, ground_z
from twinscape.render.placed_mesh import MeshBuilder, Param
from twinscape.render.placed_points import FENCE_RGB

#: Tilt of solar panels (degrees) and the height of their lower edge (m).
PANEL_TILT_DEG = 25.0
PANEL_LOW_M = 0.6
#: Length of a table of panels along a row, and the gap between tables (m).
PANEL_TABLE_M = 24.0
PANEL_GAP_M = 1.5

FRAME_RGB: RGB = (200, 204, 210)
EARTH_RGB: RGB = (150, 120, 88)


def polygon_of(coords: np.ndarray) -> Polygon | None:
    """The asset's ring as a valid polygon (its largest part), or None."""
    poly = Polygon(coords)
    if not poly.is_valid:
        fixed = shapely.make_valid(poly)
        parts = [g for g in getattr(fixed, "geoms", [fixed]) if isinstance(g, Polygon)]
        poly = max(parts, key=lambda g: g.area) if parts else None
    return poly if poly is not None and poly.area > 0 else None


def solar_farm(b: MeshBuilder, poly: Polygon, p: Param, rgb: RGB, status: str,
               ground: Sequence[RasterGrid]) -> None:
    """Rows of panels inside ``poly`` and a fence round it (red or amber when not "ok")."""
    step = drape_step(ground)
    spacing = max(p("row_spacing_m"), 0.5)
    top = max(p("panel_height_m"), PANEL_LOW_M + 0.2)
    depth = min((top - PANEL_LOW_M) / math.tan(math.radians(PANEL_TILT_DEG)), 0.7 * spacing)
    inner = poly.buffer(-depth / 2)
    colour = tinted(rgb, status)
    rows = 0
    if not inner.is_empty:
        xmin, ymin, xmax, ymax = inner.bounds
        for y in np.arange(ymin + spacing / 2, ymax, spacing):
            cut = LineString([(xmin - 1, y), (xmax + 1, y)]).intersection(inner)
            for piece in getattr(cut, "geoms", [cut]):
                if not isinstance(piece, LineString) or piece.length < 1.0:
                    continue
                x0, x1 = sorted(np.asarray(piece.coords)[[0, -1], 0])
                _panel_row(b, x0, x1, y, depth, top, ground, step, colour)
                rows += 1
    b.count("panel_rows", rows)
    fence = drape_line(np.asarray(poly.exterior.coords), ground, drape_lift(ground) + 1.0, step)
    b.polyline(np.column_stack([fence.xy, fence.z]),
               FENCE_RGB if status == "ok" else status_rgb(status))


def _panel_row(b: MeshBuilder, x0: float, x1: float, y: float, depth: float, top: float,
               ground: Sequence[RasterGrid], step: float, colour: RGB) -> None:
    """One row of panel tables from ``x0`` to ``x1``, tilted south, a light frame on top."""
    table = PANEL_TABLE_M + PANEL_GAP_M
    count = max(int(np.floor((x1 - x0 + PANEL_GAP_M) / table)), 1)
    starts = x0 + table * np.arange(count)
    ends = np.minimum(starts + PANEL_TABLE_M, x1)
    n_per = max(int(np.ceil(PANEL_TABLE_M / min(step, 25.0))), 1)
    t = np.linspace(0.0, 1.0, n_per + 1)
    x = (starts[:, None] + (ends - starts)[:, None] * t).ravel()  # (count * (n_per + 1),)
    rise = top - PANEL_LOW_M
    edges = [(y - depth / 2, PANEL_LOW_M), (y + 0.38 * depth, PANEL_LOW_M + 0.88 * rise),
             (y + depth / 2, top)]  # fmt: skip
    rows_xyz = []
    for ye, h in edges:
        ys = np.full_like(x, ye)
        rows_xyz.append(np.column_stack([x, ys, fill_nan(ground_z(ground, x, ys), x) + h]))
    m = len(x)
    verts = np.concatenate(rows_xyz)
    i = (np.arange(count)[:, None] * (n_per + 1) + np.arange(n_per)).ravel()
    for k, rgb in ((0, colour), (1, FRAME_RGB)):
        lo, hi = k * m, (k + 1) * m
        tris = np.concatenate([np.stack([lo + i, lo + i + 1, hi + i + 1], 1),
                               np.stack([lo + i, hi + i + 1, hi + i], 1)])
        b.solid((verts, tris), rgb, orient="up")


def pad(b: MeshBuilder, poly: Polygon, rgb: RGB, status: str, base: float,
        ground: Sequence[RasterGrid]) -> None:
    """A slab at ``base`` over ``poly``, earth walls to the ground and its outline."""
    ring = np.asarray(poly.exterior.coords)[:-1]
    tris = triangulate_rings([ring])
    b.solid((np.column_stack([ring, np.full(len(ring), base)]), tris), tinted(rgb, status),
            orient="up")
    line = drape_line(np.asarray(poly.exterior.coords), ground, 0.0, drape_step(ground))
    g = fill_nan(ground_z(ground, line.xy[:, 0], line.xy[:, 1]), line.along, base)
    m = len(line.xy)
    verts = np.concatenate([np.column_stack([line.xy, np.full(m, base)]),
                            np.column_stack([line.xy, g])])
    i = np.arange(m - 1)
    wall = np.concatenate([np.stack([i, i + 1, m + i + 1], 1), np.stack([i, m + i + 1, m + i], 1)])
    centre = np.array([*poly.centroid.coords[0], base])
    a, c = verts[wall[:, 0]], verts[wall[:, 1]]
    outward = np.einsum("ij,ij->i", np.cross(c - a, [0.0, 0.0, 1.0]), a - centre) > 0
    wall[~outward] = wall[~outward][:, [0, 2, 1]]
    b.solid((verts, wall), EARTH_RGB, orient="keep")
    b.polyline(np.column_stack([line.xy, np.full(m, base + 0.1)]), tinted((90, 90, 90), status))

