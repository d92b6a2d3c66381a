"""geo/earthworks.py: cut and fill against analytic volumes (plane, cone, prism)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from affine import Affine
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

from twinscape.geo.earthworks import CutFill, cut_fill_corridor, cut_fill_polygon
from twinscape.io.dem import read_dem
from twinscape.model.raster import RasterGrid

X0, Y0 = 700_000.0, 3_500_000.0  # north-west corner of the synthetic grids (UTM 36N)


def grid_of(func, n: int, res: float) -> RasterGrid:
    """An n x n grid of ``func(x, y)`` at cell centres, north-west corner at X0, Y0."""
    x = X0 + (np.arange(n) + 0.5) * res
    y = Y0 - (np.arange(n) + 0.5) * res
    xx, yy = np.meshgrid(x, y)
    return RasterGrid(
        values=func(xx, yy).astype(np.float32),
        transform=(res, 0.0, X0, 0.0, -res, Y0),
        crs="EPSG:32636",
    )


def plane(n: int = 100, res: float = 10.0) -> RasterGrid:
    """z = 0.1 * (x - X0) + 5: rising 10 % to the east, n x n cells of ``res``."""
    return grid_of(lambda x, y: 0.1 * (x - X0) + 5.0, n, res)


CONE_H, CONE_R = 100.0, 300.0
CONE_C = (X0 + 500.0, Y0 - 500.0)


def cone_values(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """A cone of height CONE_H and base radius CONE_R on flat ground at 0."""
    r = np.hypot(x - CONE_C[0], y - CONE_C[1])
    return np.maximum(CONE_H * (1.0 - r / CONE_R), 0.0)


def cone_above(h: float) -> float:
    """Volume of the cone above elevation h."""
    return math.pi * (CONE_R * (1 - h / CONE_H)) ** 2 * (CONE_H - h) / 3.0


def test_flat_pad_on_a_plane_is_exact() -> None:
    grid = plane()
    # 400 x 300 m pad from x = 203 to 603 (z 25.3 .. 65.3), levelled at its mid height 45.3:
    # each half is a wedge 200 m long, 20 m deep, 300 m wide = 600 000 m3; the pad is not
    # aligned with the cells, so its edges cut cells.
    pad = box(X0 + 203, Y0 - 507, X0 + 603, Y0 - 207)
    result = cut_fill_polygon(grid, pad, 45.3)
    assert isinstance(result, CutFill)
    assert result.area_m2 == pytest.approx(120_000.0, rel=1e-9)
    assert result.cut_m3 == pytest.approx(600_000.0, rel=1e-4)
    assert result.fill_m3 == pytest.approx(600_000.0, rel=1e-4)
    assert result.net_m3 == pytest.approx(0.0, abs=50.0)
    # a pad wholly below the plane is all cut: area x (mean height - pad)
    low = cut_fill_polygon(grid, pad, 0.0)
    assert low.fill_m3 == 0.0
    assert low.cut_m3 == pytest.approx(120_000.0 * 45.3, rel=1e-6)


def test_triangle_pad_on_a_plane() -> None:
    # a triangle's mean height is the height at its centroid, even with cells half covered
    grid = plane()
    tri = Polygon([(X0 + 111, Y0 - 123), (X0 + 777, Y0 - 321), (X0 + 350, Y0 - 888)])
    centroid_z = 0.1 * (tri.centroid.x - X0) + 5.0
    result = cut_fill_polygon(grid, tri, -10.0)
    assert result.area_m2 == pytest.approx(tri.area, rel=1e-9)
    assert result.cut_m3 == pytest.approx(tri.area * (centroid_z + 10.0), rel=1e-6)


def test_cone_volume_and_frustum() -> None:
    grid = grid_of(cone_values, 200, 5.0)
    around = Point(CONE_C).buffer(400.0, quad_segs=128)
    whole = cut_fill_polygon(grid, around, 0.0)
    assert whole.cut_m3 == pytest.approx(cone_above(0.0), rel=2e-3)
    assert whole.fill_m3 == 0.0
    # pad at 30 m over a square: cut = the tip above 30 m; fill = square x 30 - frustum 0..30
    square = box(X0 + 100, Y0 - 900, X0 + 900, Y0 - 100)
    h = 30.0
    result = cut_fill_polygon(grid, square, h)
    assert result.cut_m3 == pytest.approx(cone_above(h), rel=5e-3)
    frustum = cone_above(0.0) - cone_above(h)
    assert result.fill_m3 == pytest.approx(800.0**2 * h - frustum, rel=5e-3)
    assert result.area_m2 == pytest.approx(640_000.0)


def test_cone_written_as_geotiff_and_read_back(write_geotiff) -> None:
    res = 10.0
    values = grid_of(cone_values, 100, res).values
    path = write_geotiff(values, transform=Affine(res, 0, X0, 0, -res, Y0), nodata=-9999.0)
    grid = read_dem(path, target_crs="EPSG:32636").grid
    result = cut_fill_polygon(grid, Point(CONE_C).buffer(350.0, quad_segs=128), 50.0)
    assert result.cut_m3 == pytest.approx(cone_above(50.0), rel=0.01)


def test_multipolygon_adds_parts_and_holes_are_excluded() -> None:
    grid = plane()
    a = box(X0 + 100, Y0 - 300, X0 + 200, Y0 - 100)
    b = box(X0 + 500, Y0 - 300, X0 + 600, Y0 - 100)
    both = cut_fill_polygon(grid, MultiPolygon([a, b]), 0.0)
    parts = [cut_fill_polygon(grid, p, 0.0) for p in (a, b)]
    assert both.cut_m3 == pytest.approx(sum(p.cut_m3 for p in parts))
    assert both.area_m2 == pytest.approx(40_000.0)
    ring = box(X0 + 100, Y0 - 600, X0 + 600, Y0 - 100).difference(
        box(X0 + 200, Y0 - 500, X0 + 500, Y0 - 200)
    )
    assert cut_fill_polygon(grid, ring, 0.0).area_m2 == pytest.approx(250_000.0 - 90_000.0)


def test_nodata_is_not_counted() -> None:
    grid = plane()
    values = grid.values.copy()
    values[:, 50:] = np.nan  # east half (x >= 500 m) is nodata
    holey = RasterGrid(values, grid.transform, grid.crs)
    result = cut_fill_polygon(holey, box(X0 + 100, Y0 - 300, X0 + 300, Y0 - 100), 0.0)
    assert result.area_m2 == pytest.approx(40_000.0)
    partial = cut_fill_polygon(holey, box(X0 + 100, Y0 - 300, X0 + 800, Y0 - 100), 0.0)
    assert np.isfinite(partial.cut_m3)
    assert partial.area_m2 < 0.6 * 140_000.0


def test_polygon_partly_outside_counts_the_part_inside() -> None:
    grid = plane()
    result = cut_fill_polygon(grid, box(X0 - 500, Y0 - 200, X0 + 100, Y0 - 100), 0.0)
    assert result.area_m2 == pytest.approx(100.0 * 100.0)


def test_bad_polygons_raise() -> None:
    grid = plane()
    with pytest.raises(ValueError, match="Polygon"):
        cut_fill_polygon(grid, LineString([(X0, Y0), (X0 + 10, Y0 - 10)]), 0.0)
    with pytest.raises(ValueError, match="overlap"):
        cut_fill_polygon(grid, box(0, 0, 10, 10), 0.0)
    with pytest.raises(ValueError, match="finite"):
        cut_fill_polygon(grid, box(X0, Y0 - 10, X0 + 10, Y0), math.nan)


def flat(n: int = 100, res: float = 10.0) -> RasterGrid:
    return grid_of(lambda x, y: np.zeros_like(x), n, res)


def test_corridor_embankment_on_flat_ground_is_a_prism() -> None:
    line = np.array([[X0 + 200, Y0 - 503], [X0 + 800, Y0 - 503]])
    width, h, m = 20.0, 3.0, 2.0
    # formation only: a box 600 x 20 x 3
    plain = cut_fill_corridor(flat(), line, width, np.array([h, h]))
    assert plain.fill_m3 == pytest.approx(600 * width * h, rel=1e-9)
    assert plain.cut_m3 == 0.0
    assert plain.area_m2 == pytest.approx(600 * width)
    # with 2:1 batters the section is a trapezoid: w*h + m*h^2
    sloped = cut_fill_corridor(flat(), line, width, np.array([h, h]), side_slope=m)
    assert sloped.fill_m3 == pytest.approx(600 * (width * h + m * h * h), rel=5e-3)
    assert sloped.area_m2 == pytest.approx(600 * (width + 2 * m * h), rel=1e-2)


def test_corridor_in_cut_with_a_design_grade() -> None:
    # flat terrain, design rising from -6 m to 0 along 600 m: a wedge w * L * 6 / 2 of cut
    line = np.array([[X0 + 200, Y0 - 200], [X0 + 500, Y0 - 500], [X0 + 800, Y0 - 800]])
    length = 2 * math.hypot(300, 300)
    result = cut_fill_corridor(flat(), line, 10.0, np.array([-6.0, -3.0, 0.0]))
    assert result.cut_m3 == pytest.approx(10.0 * length * 3.0, rel=1e-3)
    assert result.fill_m3 == 0.0


def test_corridor_on_a_cross_slope_balances() -> None:
    # plane rising east, road running north at the plane's height along its centreline:
    # half the formation is in cut, half in fill, each w/2 * (w/2 * 0.1) / 2 per metre
    grid = plane()
    x = X0 + 455.0
    z = 0.1 * (x - X0) + 5.0
    line = np.array([[x, Y0 - 100], [x, Y0 - 900]])
    result = cut_fill_corridor(grid, line, 20.0, np.array([z, z]))
    per_side = 800 * 0.5 * 10.0 * (10.0 * 0.1)
    assert result.cut_m3 == pytest.approx(per_side, rel=1e-3)
    assert result.fill_m3 == pytest.approx(per_side, rel=1e-3)


def test_corridor_bad_arguments_raise() -> None:
    line = np.array([[X0 + 200, Y0 - 500], [X0 + 800, Y0 - 500]])
    with pytest.raises(ValueError, match="width"):
        cut_fill_corridor(flat(), line, 0.0, np.zeros(2))
    with pytest.raises(ValueError, match="design_z"):
        cut_fill_corridor(flat(), line, 10.0, np.zeros(3))
    with pytest.raises(ValueError, match="side slope"):
        cut_fill_corridor(flat(), line, 10.0, np.zeros(2), side_slope=-1.0)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        cut_fill_corridor(flat(), line[:1], 10.0, np.zeros(1))
    with pytest.raises(ValueError, match="overlap"):
        cut_fill_corridor(flat(), line - 1e6, 10.0, np.zeros(2))
