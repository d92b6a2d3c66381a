"""geo/sampling.py: bilinear elevation at world points, NaN where undefined."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio

from twinscape.geo.sampling import sample_elevation
from twinscape.model.raster import RasterGrid

X0, Y0, RES = 700_000.0, 3_500_000.0, 30.0


def plane_grid(rows: int = 4, cols: int = 5) -> RasterGrid:
    """Values z = 0.5 * x' + 0.25 * y' of each cell centre (x', y' relative to the corner)."""
    xs = (np.arange(cols) + 0.5) * RES
    ys = -(np.arange(rows) + 0.5) * RES
    values = (0.5 * xs[np.newaxis, :] + 0.25 * ys[:, np.newaxis]).astype(np.float32)
    return RasterGrid(values=values, transform=(RES, 0.0, X0, 0.0, -RES, Y0), crs="EPSG:32636")


def plane(x: float | np.ndarray, y: float | np.ndarray) -> float | np.ndarray:
    return 0.5 * (x - X0) + 0.25 * (y - Y0)


def test_scalar_at_cell_centre_is_the_sample() -> None:
    grid = plane_grid()
    value = sample_elevation(grid, X0 + 1.5 * RES, Y0 - 2.5 * RES)
    assert isinstance(value, float)
    assert value == pytest.approx(float(grid.values[2, 1]))


def test_bilinear_is_exact_on_a_plane_between_centres() -> None:
    grid = plane_grid()
    rng = np.random.default_rng(0)
    x = rng.uniform(X0 + 0.5 * RES, X0 + 4.5 * RES, 200)
    y = rng.uniform(Y0 - 3.5 * RES, Y0 - 0.5 * RES, 200)
    values = sample_elevation(grid, x, y)
    assert isinstance(values, np.ndarray) and values.shape == (200,)
    np.testing.assert_allclose(values, plane(x, y), atol=1e-3)


def test_outer_half_cell_clamps_to_the_edge_samples() -> None:
    grid = plane_grid()
    xmin, ymin, xmax, ymax = grid.bounds
    # the north-west corner takes the corner sample, not NaN
    assert sample_elevation(grid, xmin, ymax) == pytest.approx(float(grid.values[0, 0]))
    assert sample_elevation(grid, xmax, ymin) == pytest.approx(float(grid.values[-1, -1]))
    # along the western edge: interpolated along y only, using column 0
    y = Y0 - 1.0 * RES  # halfway between the centres of rows 0 and 1
    expected = (grid.values[0, 0] + grid.values[1, 0]) / 2
    assert sample_elevation(grid, xmin + 0.25 * RES, y) == pytest.approx(float(expected))


def test_outside_the_grid_is_nan() -> None:
    grid = plane_grid()
    xmin, ymin, xmax, ymax = grid.bounds
    x = np.array([xmin - 0.01, xmax + 0.01, (xmin + xmax) / 2, (xmin + xmax) / 2, np.nan, np.inf])
    y = np.array([Y0 - 10, Y0 - 10, ymax + 0.01, ymin - 0.01, Y0 - 10, Y0 - 10])
    assert np.isnan(sample_elevation(grid, x, y)).all()
    assert np.isnan(sample_elevation(grid, xmin - 1.0, ymax))


def test_nodata_neighbours_make_nan_only_when_they_weigh() -> None:
    grid = plane_grid()
    grid.values[1, 1] = np.nan
    centre_01 = (X0 + 1.5 * RES, Y0 - 0.5 * RES)  # cell (0, 1), next to the hole
    assert np.isfinite(sample_elevation(grid, X0 + 1.5 * RES, Y0 - 0.5 * RES))
    assert sample_elevation(grid, *centre_01) == pytest.approx(float(grid.values[0, 1]))
    # any point whose 2x2 neighbourhood weighs the hole is NaN
    assert np.isnan(sample_elevation(grid, X0 + 1.2 * RES, Y0 - 1.2 * RES))
    assert np.isnan(sample_elevation(grid, X0 + 1.5 * RES, Y0 - 1.0 * RES))
    # far from the hole all is well
    assert sample_elevation(grid, X0 + 3.7 * RES, Y0 - 3.2 * RES) == pytest.approx(
        plane(X0 + 3.7 * RES, Y0 - 3.2 * RES), abs=1e-3
    )


def test_broadcasting_keeps_shape() -> None:
    grid = plane_grid()
    xs = X0 + np.linspace(1, 149, 6).reshape(2, 3)
    out = sample_elevation(grid, xs, Y0 - 60.0)
    assert out.shape == (2, 3) and out.dtype == np.float64
    out_list = sample_elevation(grid, [X0 + 45.0], [Y0 - 45.0])
    assert isinstance(out_list, np.ndarray) and out_list.shape == (1,)
    assert sample_elevation(grid, np.empty(0), np.empty(0)).shape == (0,)


@pytest.mark.parametrize("shape", [(1, 1), (1, 4), (3, 1)])
def test_degenerate_grids(shape: tuple[int, int]) -> None:
    values = np.arange(shape[0] * shape[1], dtype=np.float32).reshape(shape) + 7
    grid = RasterGrid(values=values, transform=(RES, 0.0, X0, 0.0, -RES, Y0), crs="EPSG:32636")
    xmin, ymin, xmax, ymax = grid.bounds
    assert sample_elevation(grid, xmin, ymax) == 7.0
    assert sample_elevation(grid, xmax, ymin) == float(values[-1, -1])
    assert np.isfinite(sample_elevation(grid, (xmin + xmax) / 2, (ymin + ymax) / 2))


def test_non_square_cells() -> None:
    values = np.array([[0.0, 10.0], [20.0, 30.0]], dtype=np.float32)
    grid = RasterGrid(values=values, transform=(10.0, 0.0, 0.0, 0.0, -40.0, 80.0), crs="EPSG:32636")
    # centre of the four cell centres: (10, 40)
    assert sample_elevation(grid, 10.0, 40.0) == pytest.approx(15.0)
    assert sample_elevation(grid, 12.5, 60.0) == pytest.approx(7.5)  # row 0, 3/4 across
    assert sample_elevation(grid, 5.0, 40.0) == pytest.approx(10.0)  # column 0, halfway down


def test_demo_dem_cell_centres_return_the_file_values(demo_utm: Path) -> None:
    with rasterio.open(demo_utm) as src:
        raw = src.read(1).astype(np.float32)
        raw[raw == src.nodata] = np.nan
        transform = tuple(src.transform)[:6]
    grid = RasterGrid(values=raw, transform=transform, crs="EPSG:32636")
    xs, ys = grid.cell_centers()
    gx, gy = np.meshgrid(xs[::7], ys[::11])
    sampled = sample_elevation(grid, gx, gy)
    expected = raw[::11, ::7]
    np.testing.assert_array_equal(np.isnan(sampled), np.isnan(expected))
    np.testing.assert_allclose(sampled[np.isfinite(sampled)], expected[np.isfinite(expected)])
    # between centres stays within the local min/max (bilinear never overshoots)
    mid = sample_elevation(grid, gx[:-1, :-1] + 45.0, gy[:-1, :-1] - 45.0)
    ok = np.isfinite(mid)
    assert ok.mean() > 0.8
    assert np.nanmin(mid) >= -420.0 and np.nanmax(mid) <= 1295.0
