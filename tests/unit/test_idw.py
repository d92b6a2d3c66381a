"""geo/idw.py: inverse distance weighting against analytic cases and a float64 brute force."""

from __future__ import annotations

import time

import numpy as np
import pytest

from twinscape.geo.idw import grid_centres, idw_grid, idw_points
from twinscape.model.raster import RasterGrid

ORIGIN_X, ORIGIN_Y = 700_000.0, 3_500_000.0  # UTM-sized coordinates, as the project uses


def brute(
    xy: np.ndarray,
    v: np.ndarray,
    tx: np.ndarray,
    ty: np.ndarray,
    power: float = 2.0,
    max_distance: float | None = None,
    min_points: int = 1,
) -> np.ndarray:
    """Textbook IDW in float64 at points (tx, ty)."""
    ok = np.isfinite(v)
    xy, v = xy[ok], v[ok]
    d = np.hypot(tx[:, None] - xy[:, 0], ty[:, None] - xy[:, 1])
    with np.errstate(divide="ignore", invalid="ignore"):
        w = d**-power
        if max_distance is not None:
            w[d > max_distance] = 0.0
        est = (w * v).sum(axis=1) / w.sum(axis=1)
    count = (d <= (np.inf if max_distance is None else max_distance)).sum(axis=1)
    est[count < min_points] = np.nan
    hit = d == 0
    on = hit.any(axis=1)
    est[on] = (hit[on] * v).sum(axis=1) / hit[on].sum(axis=1)
    return est


def grid(rows: int = 60, cols: int = 80, cell: float = 25.0) -> RasterGrid:
    """A north-up grid whose cell centres sit on whole metres."""
    transform = (cell, 0.0, ORIGIN_X, 0.0, -cell, ORIGIN_Y + rows * cell)
    return RasterGrid(np.zeros((rows, cols), np.float32), transform, "EPSG:32636")


def stations(n: int, seed: int = 1, g: RasterGrid | None = None) -> tuple[np.ndarray, np.ndarray]:
    g = g or grid()
    x0, y0, x1, y1 = g.bounds
    rng = np.random.default_rng(seed)
    xy = np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])
    return xy, rng.uniform(0.0, 100.0, n)


def mesh(g: RasterGrid) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = g.cell_centers()
    gx, gy = np.meshgrid(xs, ys)
    return gx.ravel(), gy.ravel()


def test_matches_a_float64_brute_force() -> None:
    g = grid()
    xy, v = stations(40)
    tx, ty = mesh(g)
    for power in (1.0, 2.0, 3.0, 6.0):
        out = idw_grid(xy, v, g, power=power)
        assert out.dtype == np.float32 and out.shape == g.shape
        assert np.allclose(out.ravel(), brute(xy, v, tx, ty, power), rtol=1e-4, atol=1e-4)
        pts = idw_points(xy, v, np.column_stack([tx, ty]), power=power)
        assert pts.dtype == np.float64
        assert np.allclose(pts, out.ravel(), rtol=1e-5, atol=1e-4)


def test_two_stations_meet_at_the_mean_midway() -> None:
    xy = np.array([[ORIGIN_X, ORIGIN_Y], [ORIGIN_X + 1000.0, ORIGIN_Y]])
    v = np.array([10.0, 30.0])
    xs = ORIGIN_X + np.array([250.0, 500.0, 750.0])
    out = idw_grid(xy, v, (xs, np.array([ORIGIN_Y, ORIGIN_Y + 300.0])))
    assert out[:, 1] == pytest.approx([20.0, 20.0], abs=1e-5)
    # a quarter of the way: weights 1/250² and 1/750², so 9:1 for the nearer station
    assert out[0, 0] == pytest.approx((9 * 10 + 30) / 10, abs=1e-4)
    assert out[0, 2] == pytest.approx((10 + 9 * 30) / 10, abs=1e-4)
    assert idw_points(xy, v, [[ORIGIN_X + 500.0, ORIGIN_Y - 77.0]])[0] == pytest.approx(20.0)


def test_a_cell_on_a_station_takes_its_value() -> None:
    g = grid()
    xs, ys = g.cell_centers()
    xy, v = stations(30)
    xy[:5] = np.column_stack([xs[[3, 10, 40, 79, 0]], ys[[0, 7, 30, 59, 59]]])
    v[:5] = [1.234567, 98.7654321, 0.0, -5.5, 1e6]
    for power in (0.5, 2.0, 3.0, 50.0):
        out = idw_grid(xy, v, g, power=power)
        assert (
            out[[0, 7, 30, 59, 59], [3, 10, 40, 79, 0]].tolist()
            == v[:5].astype(np.float32).tolist()
        )
        assert idw_points(xy, v, xy[:5], power=power).tolist() == v[:5].tolist()
    # two stations on one spot: their mean
    both = np.vstack([xy[:1], xy[:1]])
    assert idw_grid(both, np.array([2.0, 4.0]), g)[0, 3] == 3.0


def test_large_power_tends_to_nearest_station() -> None:
    g = grid(90, 120, 10.0)
    xy, v = stations(25, seed=5, g=g)
    tx, ty = mesh(g)
    d = np.hypot(tx[:, None] - xy[:, 0], ty[:, None] - xy[:, 1])
    order = np.sort(d, axis=1)
    nearest = v[np.argmin(d, axis=1)]
    clear = order[:, 1] >= 1.05 * order[:, 0]  # away from Voronoi edges
    out = idw_grid(xy, v, g, power=500.0).ravel()
    assert clear.mean() > 0.85
    assert np.allclose(out[clear], nearest[clear], atol=1e-3)
    # a moderate power is already close, a low power is not
    err = {p: np.abs(idw_grid(xy, v, g, power=p).ravel() - nearest)[clear].mean() for p in (1, 8)}
    assert err[8] < 0.25 * err[1]


def test_max_distance_masks_and_limits_contributions() -> None:
    g = grid()
    xy, v = stations(6, seed=3)
    tx, ty = mesh(g)
    dmin = np.hypot(tx[:, None] - xy[:, 0], ty[:, None] - xy[:, 1]).min(axis=1)
    out = idw_grid(xy, v, g, max_distance=400.0).ravel()
    assert np.array_equal(np.isnan(out), dmin > 400.0)
    assert 0.1 < np.isnan(out).mean() < 0.9
    ref = brute(xy, v, tx, ty, max_distance=400.0)
    assert np.allclose(out, ref, rtol=1e-4, atol=1e-4, equal_nan=True)
    two = idw_grid(xy, v, g, max_distance=600.0, min_points=2, nodata=-9999.0).ravel()
    ref2 = brute(xy, v, tx, ty, max_distance=600.0, min_points=2)
    assert np.array_equal(two == -9999.0, np.isnan(ref2))
    assert np.allclose(two[two != -9999.0], ref2[~np.isnan(ref2)], rtol=1e-4, atol=1e-4)


def test_nan_values_are_ignored() -> None:
    g = grid()
    xy, v = stations(20)
    holed = v.copy()
    holed[[2, 7, 11]] = np.nan
    keep = np.isfinite(holed)
    assert np.array_equal(idw_grid(xy, holed, g), idw_grid(xy[keep], v[keep], g))
    assert np.isnan(idw_grid(xy, np.full(20, np.nan), g)).all()
    assert np.isnan(idw_grid(np.zeros((0, 2)), np.zeros(0), g)).all()
    assert (idw_points(xy, np.full(20, np.nan), xy[:3], nodata=-1.0) == -1.0).all()


def test_symmetric_layout_gives_a_symmetric_grid() -> None:
    g = grid(64, 64, 10.0)
    cx, cy = ORIGIN_X + 320.0, ORIGIN_Y + 320.0  # the grid's centre
    offsets = np.array([[-200.0, 130.0], [-90.0, -170.0], [45.0, 260.0]])
    xy = np.vstack([offsets, offsets * [-1, 1]]) + [cx, cy]  # mirrored east-west
    v = np.array([5.0, 40.0, 17.0, 5.0, 40.0, 17.0])
    out = idw_grid(xy, v, g)
    assert np.allclose(out, out[:, ::-1], rtol=1e-5)
    # four stations at the corners of a square with equal values: symmetric both ways
    sq = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]]) * 150.0 + [cx, cy]
    four = idw_grid(sq, np.array([1.0, 2.0, 2.0, 1.0]), g)
    assert np.allclose(four, four[::-1, ::-1], rtol=1e-5)
    assert np.allclose(four, four.T, rtol=1e-5)


def test_linear_field_is_reproduced_at_the_centre() -> None:
    g = grid(101, 101, 10.0)
    cx, cy = ORIGIN_X + 505.0, ORIGIN_Y + 505.0

    def field(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return 12.0 + 0.03 * (x - cx) - 0.05 * (y - cy)

    lattice = np.arange(-450.0, 451.0, 100.0)
    lx, ly = np.meshgrid(lattice + cx, lattice + cy)
    out = idw_grid(np.column_stack([lx.ravel(), ly.ravel()]), field(lx, ly).ravel(), g)
    assert out[50, 50] == pytest.approx(12.0, abs=1e-4)  # symmetric lattice: exact
    rng = np.random.default_rng(9)
    rx, ry = rng.uniform(cx - 500, cx + 500, 400), rng.uniform(cy - 500, cy + 500, 400)
    near = idw_grid(np.column_stack([rx, ry]), field(rx, ry), g)[50, 50]
    span = 0.08 * 1000  # the field's range over the area
    assert abs(near - 12.0) < 0.05 * span


def test_grid_orientation_and_explicit_centres() -> None:
    g = grid()
    xs, ys = grid_centres(g)
    assert np.allclose(xs, g.cell_centers()[0]) and np.allclose(ys, g.cell_centers()[1])
    x0, y0, x1, y1 = g.bounds
    xy = np.array([[x1 - 1, y1 - 1], [x0 + 1, y0 + 1]])  # north-east hot, south-west cold
    out = idw_grid(xy, np.array([100.0, 0.0]), g)
    assert out[0, -1] > 99 and out[-1, 0] < 1  # row 0 is the northern edge
    assert np.array_equal(out, idw_grid(xy, np.array([100.0, 0.0]), (xs, ys)))


def test_bad_input_raises() -> None:
    g = grid()
    xy, v = stations(3)
    with pytest.raises(ValueError, match="xy"):
        idw_grid(xy[:, :1], v, g)
    with pytest.raises(ValueError, match="xy"):
        idw_grid(xy, v[:2], g)
    with pytest.raises(ValueError, match="power"):
        idw_grid(xy, v, g, power=0.0)
    with pytest.raises(ValueError, match="max_distance"):
        idw_grid(xy, v, g, max_distance=-1.0)
    with pytest.raises(ValueError, match="min_points"):
        idw_points(xy, v, xy, min_points=0)
    with pytest.raises(ValueError, match="1-D"):
        idw_grid(xy, v, (np.zeros((2, 2)), np.zeros(3)))


def test_a_moderate_grid_is_quick() -> None:
    g = grid(512, 512, 10.0)
    xy, v = stations(100, g=g)
    begin = time.perf_counter()
    out = idw_grid(xy, v, g)
    assert time.perf_counter() - begin < 2.0
    assert np.isfinite(out).all()
