"""Cut and fill volumes between the terrain and a design surface (pure numpy + shapely).

The terrain is the bilinear surface through the cell centres (as
:func:`twinscape.geo.sampling.sample_elevation`). Volumes are integrated over the
plan area of the works by a midpoint rule on sub-cells: every grid cell is split
into ``subdivisions x subdivisions`` sub-cells. Sub-cells wholly inside the
footprint count with their full area at their centre; those the footprint's
boundary crosses count with the exact area of the covered piece (shapely), sampled
at the piece's centroid. A plane terrain under a flat pad is therefore integrated
exactly; curved terrain converges with the square of the sub-cell size.

Where the terrain is nodata (NaN) nothing is counted, neither volume nor area.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from twinscape.geo.sampling import sample_elevation
from twinscape.model.raster import RasterGrid

#: Sub-cells per cell side (the default); 4 gives 16 terrain samples per cell.
SUBDIVISIONS = 4
_CHUNK_CELLS = 1 << 15  # cells classified per chunk (x subdivisions^2 samples)

#: ``depths(x, y, z) -> (cut, fill, works)``: non-negative cut and fill depths in metres
#: at sample points, and whether each point is part of the works' plan area.
Depths = Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class CutFill:
    """Earthwork volumes of one footprint.

    Parameters
    ----------
    cut_m3
        Volume of terrain above the design surface (to excavate), cubic metres.
    fill_m3
        Volume between the design surface and terrain below it (to fill), cubic metres.
    area_m2
        Plan area of the works over valid terrain, square metres.
    """

    cut_m3: float
    fill_m3: float
    area_m2: float

    @property
    def net_m3(self) -> float:
        """Cut minus fill: positive means surplus material."""
        return self.cut_m3 - self.fill_m3


def cut_fill_polygon(
    grid: RasterGrid,
    polygon: Polygon | MultiPolygon,
    elevation: float,
    *,
    subdivisions: int = SUBDIVISIONS,
) -> CutFill:
    """Cut and fill to level the terrain inside ``polygon`` to a flat pad at ``elevation``.

    Parameters
    ----------
    grid
        Terrain (north-up, NaN = nodata).
    polygon
        Pad footprint in world coordinates of ``grid.crs``; holes are excluded.
    elevation
        Pad elevation in the grid's vertical units (metres).
    subdivisions
        Sub-cells per cell side used for the integration (>= 1).

    Returns
    -------
    CutFill
        ``area_m2`` is the footprint area over valid terrain.

    Raises
    ------
    ValueError
        ``polygon`` is not a non-empty valid (Multi)Polygon, does not overlap the
        grid, or ``elevation`` is not finite.
    """
    _check_polygon(polygon)
    if not math.isfinite(elevation):
        raise ValueError(f"pad elevation must be finite, got {elevation}")
    level = float(elevation)

    def depths(
        _x: np.ndarray, _y: np.ndarray, z: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return np.maximum(z - level, 0.0), np.maximum(level - z, 0.0), np.ones(z.shape, bool)

    cut, fill, area = _integrate(grid, polygon, depths, subdivisions)
    return CutFill(cut_m3=cut, fill_m3=fill, area_m2=area)


def cut_fill_corridor(
    grid: RasterGrid,
    line: np.ndarray,
    width_m: float,
    design_z: np.ndarray,
    *,
    side_slope: float | None = None,
    subdivisions: int = SUBDIVISIONS,
) -> CutFill:
    """Cut and fill for a road or rail corridor built to a design grade line.

    The formation is ``width_m`` wide, centred on ``line``, with flat ends at the
    first and last vertex. At every point its design elevation is that of the
    nearest point of the centreline, where the design grade line runs linearly
    (by distance along the line) between the vertices' ``design_z``.

    Side slopes (``side_slope`` given) are batters of ``side_slope`` horizontal to
    1 vertical (h:v, e.g. 2.0 for 2:1) running from the formation edges up to the
    terrain in cut and down to it in fill, until they daylight. Without them the
    works stop at the formation edges (vertical walls). Ends have no batters.

    Parameters
    ----------
    grid
        Terrain (north-up, NaN = nodata).
    line
        (N, 2) world x, y of the centreline in ``grid.crs``, N >= 2.
    width_m
        Formation width in metres (> 0).
    design_z
        (N,) design elevations at the vertices.
    side_slope
        Batter ratio h:v (> 0), or None for none.
    subdivisions
        Sub-cells per cell side used for the integration (>= 1).

    Returns
    -------
    CutFill
        ``area_m2`` is the plan area of the works over valid terrain: the
        formation plus, with side slopes, the batters up to their daylight line.

    Raises
    ------
    ValueError
        Malformed line or design elevations, non-positive width or side slope, or a
        corridor that does not overlap the grid.
    """
    points, design = _check_corridor(line, width_m, design_z, side_slope)
    centreline = LineString(points)
    shapely.prepare(centreline)
    chainage = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(points, axis=0).T))])
    half = 0.5 * float(width_m)
    reach = half
    if side_slope is not None:
        zmin, zmax = _terrain_range(grid, centreline.buffer(half, cap_style="flat"))
        rise = max(zmax - float(design.min()), float(design.max()) - zmin, 0.0)
        reach = half + float(side_slope) * rise
    footprint = centreline.buffer(reach, cap_style="flat", join_style="round")

    def depths(
        x: np.ndarray, y: np.ndarray, z: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pts = shapely.points(x, y)
        level = np.interp(shapely.line_locate_point(centreline, pts), chainage, design)
        cut, fill = z - level, level - z
        if side_slope is None:
            return np.maximum(cut, 0.0), np.maximum(fill, 0.0), np.ones(z.shape, bool)
        beyond = np.maximum(shapely.distance(centreline, pts) - half, 0.0)
        cut -= beyond / side_slope
        fill -= beyond / side_slope
        works = (beyond == 0) | (cut > 0) | (fill > 0)
        return np.maximum(cut, 0.0), np.maximum(fill, 0.0), works

    cut, fill, area = _integrate(grid, footprint, depths, subdivisions)
    return CutFill(cut_m3=cut, fill_m3=fill, area_m2=area)


def _check_polygon(polygon: BaseGeometry) -> None:
    """Raise ValueError unless ``polygon`` is a non-empty valid (Multi)Polygon."""
    if not isinstance(polygon, Polygon | MultiPolygon):
        raise ValueError(f"need a Polygon or MultiPolygon, got {polygon.geom_type}")
    if polygon.is_empty or polygon.area <= 0:
        raise ValueError("the polygon is empty")
    if not polygon.is_valid:
        raise ValueError(f"the polygon is invalid: {shapely.is_valid_reason(polygon)}")


def _check_corridor(
    line: np.ndarray, width_m: float, design_z: np.ndarray, side_slope: float | None
) -> tuple[np.ndarray, np.ndarray]:
    """Validate corridor arguments; return float64 (N, 2) points and (N,) design elevations."""
    points = np.asarray(line, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2 or len(points) < 2:
        raise ValueError(f"the line must be (N, 2) with N >= 2, got shape {points.shape}")
    design = np.asarray(design_z, dtype=np.float64).reshape(-1)
    if design.shape != (len(points),):
        raise ValueError(f"design_z needs {len(points)} values, got {design.size}")
    if not (np.isfinite(points).all() and np.isfinite(design).all()):
        raise ValueError("the line and design elevations must be finite")
    if np.any(np.hypot(*np.diff(points, axis=0).T) == 0):
        raise ValueError("the line repeats a vertex")
    if not (math.isfinite(width_m) and width_m > 0):
        raise ValueError(f"width must be positive, got {width_m}")
    if side_slope is not None and not (math.isfinite(side_slope) and side_slope > 0):
        raise ValueError(f"side slope (h:v) must be positive, got {side_slope}")
    return points, design


def _cell_window(grid: RasterGrid, geom: BaseGeometry) -> tuple[int, int, int, int] | None:
    """(row0, row1, col0, col1) half-open range of cells the geometry's bounds touch."""
    a, _, c, _, e, f = grid.transform
    rows, cols = grid.shape
    xmin, ymin, xmax, ymax = geom.bounds
    col0 = max(int(math.floor((xmin - c) / a)), 0)
    col1 = min(int(math.ceil((xmax - c) / a)), cols)
    row0 = max(int(math.floor((ymax - f) / e)), 0)
    row1 = min(int(math.ceil((ymin - f) / e)), rows)
    if col0 >= col1 or row0 >= row1:
        return None
    return row0, row1, col0, col1


def _terrain_range(grid: RasterGrid, geom: BaseGeometry) -> tuple[float, float]:
    """(min, max) valid elevation of the cells under the bounds of ``geom``."""
    window = _cell_window(grid, geom)
    if window is None:
        raise ValueError("the corridor does not overlap the grid")
    r0, r1, c0, c1 = window
    block = grid.values[r0:r1, c0:c1]
    finite = block[np.isfinite(block)]
    if finite.size == 0:
        return 0.0, 0.0
    return float(finite.min()), float(finite.max())


def _integrate(
    grid: RasterGrid, footprint: BaseGeometry, depths: Depths, subdivisions: int
) -> tuple[float, float, float]:
    """Integrate cut and fill depths over ``footprint``.

    Returns (cut, fill, plan area of the works over valid terrain).
    """
    if subdivisions < 1:
        raise ValueError(f"subdivisions must be >= 1, got {subdivisions}")
    window = _cell_window(grid, footprint)
    if window is None or not footprint.intersects(shapely.box(*grid.bounds)):
        raise ValueError("the footprint does not overlap the grid")
    shapely.prepare(footprint)
    r0, r1, c0, c1 = window
    a, _, c, _, e, f = grid.transform
    s = subdivisions
    sub_a, sub_e = a / s, e / s
    offsets = (np.arange(s) + 0.5) / s  # sub-cell centres in cell units
    totals = np.zeros(3, dtype=np.float64)
    rows_per_chunk = max(1, _CHUNK_CELLS // (c1 - c0))
    for top in range(r0, r1, rows_per_chunk):
        bottom = min(top + rows_per_chunk, r1)
        rr, cc = np.mgrid[top:bottom, c0:c1]
        x0 = c + a * cc.ravel()
        y0 = f + e * rr.ravel()
        boxes = shapely.box(x0, y0 + e, x0 + a, y0)
        full = shapely.contains(footprint, boxes)
        partial = ~full & shapely.intersects(footprint, boxes)
        # Whole cells: every sub-cell centre with the full sub-cell area.
        fx = (x0[full][:, None, None] + a * offsets[None, None, :]).repeat(s, axis=1)
        fy = (y0[full][:, None, None] + e * offsets[None, :, None]).repeat(s, axis=2)
        _accumulate(totals, grid, fx.ravel(), fy.ravel(), abs(sub_a * sub_e), depths)
        # Cut cells: exact covered piece of each sub-cell, sampled at its centroid.
        if partial.any():
            steps = np.arange(s)[None, :]
            px = np.tile(x0[partial][:, None] + sub_a * steps, (1, s))  # varies with k
            py = (y0[partial][:, None] + sub_e * steps).repeat(s, axis=1)  # varies with j
            sub_boxes = shapely.box(px, py + sub_e, px + sub_a, py).ravel()
            pieces = shapely.intersection(sub_boxes, footprint)
            weights = shapely.area(pieces)
            keep = weights > 0
            centres = shapely.get_coordinates(shapely.centroid(pieces[keep]))
            _accumulate(totals, grid, centres[:, 0], centres[:, 1], weights[keep], depths)
    cut, fill, area = (float(v) for v in totals)
    return cut, fill, area


def _accumulate(
    totals: np.ndarray,
    grid: RasterGrid,
    x: np.ndarray,
    y: np.ndarray,
    weights: float | np.ndarray,
    depths: Depths,
) -> None:
    """Add the weighted cut, fill and works area of samples at x, y into ``totals``."""
    if x.size == 0:
        return
    z = sample_elevation(grid, x, y)
    valid = np.isfinite(z)
    w = np.broadcast_to(np.asarray(weights, dtype=np.float64), x.shape)[valid]
    x, y, z = x[valid], y[valid], z[valid]
    cut, fill, works = depths(x, y, z)
    totals[0] += float(np.dot(w, cut))
    totals[1] += float(np.dot(w, fill))
    totals[2] += float(w[works].sum())
