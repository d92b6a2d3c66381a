"""Line of sight: known obstruction on a synthetic ridge, earth curvature, errors."""

from __future__ import annotations

import numpy as np
import pytest

from twinscape.geo.line_of_sight import curvature_coefficient, line_of_sight, semi_major_axis
from twinscape.geo.sampling import sample_elevation
from twinscape.model.raster import RasterGrid

CRS = "EPSG:32636"
X0, Y0 = 500_000.0, 3_500_000.0


def ridge_grid() -> RasterGrid:
    """Flat ground with a one-cell ridge 100 m high along column 50 (centre x = X0 + 505)."""
    values = np.zeros((50, 100), np.float32)
    values[:, 50] = 100.0
    return RasterGrid(values, (10.0, 0.0, X0, 0.0, -10.0, Y0 + 500.0), CRS)


def test_ridge_blocks_at_the_known_point() -> None:
    grid = ridge_grid()
    y = Y0 + 255.0
    los = line_of_sight(grid, (X0 + 5.0, y), (X0 + 995.0, y), observer_height=2.0,
                        target_height=2.0, curvature=False)
    assert not los.visible
    # bilinear terrain rises from 0 at x = 495 to 100 at 505: it passes 2 m at 495.2
    assert los.obstruction is not None and los.obstruction_distance is not None
    ox, oy, oz = los.obstruction
    assert ox == pytest.approx(X0 + 495.2, abs=1e-6)
    assert oy == pytest.approx(y) and oz == pytest.approx(2.0, abs=1e-6)
    assert los.obstruction_distance == pytest.approx(490.2, abs=1e-6)
    assert los.blocked == [pytest.approx((490.2, 509.8), abs=1e-6)]
    # the GUI draws the eye-to-obstruction part green and the rest red
    (g0, g1), red = los.visible_segment(), los.blocked_segment()
    assert g0 == pytest.approx((X0 + 5.0, y, 2.0)) and g1 == pytest.approx((X0 + 495.2, y, 2.0))
    assert red is not None and red[1] == pytest.approx((X0 + 995.0, y, 2.0))
    assert los.length == pytest.approx(990.0)
    # the profile is the terrain sampled along the line
    assert np.allclose(los.terrain, sample_elevation(grid, los.x, los.y))
    assert los.clearance.min() == pytest.approx(2.0 - 100.0)


def test_high_enough_ends_see_over_the_ridge() -> None:
    grid = ridge_grid()
    y = Y0 + 255.0
    los = line_of_sight(grid, (X0 + 5.0, y, 150.0), (X0 + 995.0, y, 150.0), curvature=False)
    assert los.visible and los.blocked == [] and los.obstruction is None
    assert los.blocked_segment() is None
    assert los.visible_segment()[1] == pytest.approx((X0 + 995.0, y, 150.0))
    same = line_of_sight(grid, (X0 + 5.0, y), (X0 + 995.0, y), observer_height=150.0,
                         target_height=150.0, curvature=False)
    assert np.array_equal(same.clearance, los.clearance)


def test_earth_curvature_hides_far_low_targets() -> None:
    grid = RasterGrid(np.zeros((5, 2000), np.float32), (10.0, 0.0, X0, 0.0, -10.0, Y0), CRS)
    c = curvature_coefficient(True, 0.13) / (2.0 * semi_major_axis(CRS))
    limit = np.sqrt(8.0 / c)  # two 2 m ends see each other up to ~10.8 km
    y = Y0 - 25.0
    near = line_of_sight(grid, (X0 + 5.0, y), (X0 + 5.0 + 0.95 * limit, y),
                         observer_height=2.0, target_height=2.0)
    far = line_of_sight(grid, (X0 + 5.0, y), (X0 + 5.0 + 1.05 * limit, y),
                        observer_height=2.0, target_height=2.0)
    assert near.visible and not far.visible
    assert far.obstruction_distance is not None
    assert far.obstruction_distance < 0.5 * far.length < far.blocked[0][1]
    flat = line_of_sight(grid, (X0 + 5.0, y), (X0 + 5.0 + 1.05 * limit, y),
                         observer_height=2.0, target_height=2.0, curvature=False)
    assert flat.visible


def test_nodata_between_the_ends_blocks_nothing() -> None:
    grid = ridge_grid()
    values = grid.values.copy()
    values[:, 50] = np.nan
    holed = RasterGrid(values, grid.transform, CRS)
    y = Y0 + 255.0
    los = line_of_sight(holed, (X0 + 5.0, y, 2.0), (X0 + 995.0, y, 2.0), curvature=False)
    assert los.visible and np.isnan(los.terrain).any()


@pytest.mark.parametrize(
    ("a", "b", "kwargs", "match"),
    [
        ((0.0, 0.0), (X0 + 50.0, Y0 + 50.0), {}, "observer .* outside the DEM or on nodata"),
        ((X0 + 50.0, Y0 + 50.0), (X0 + 5000.0, Y0 + 50.0), {}, "target"),
        ((X0 + 50.0,), (X0 + 60.0, Y0 + 50.0), {}, r"\(x, y\) or \(x, y, height\)"),
        ((X0 + 50.0, Y0 + 50.0, 2.0), (X0 + 60.0, Y0 + 50.0), {"observer_height": 3.0},
         "height was given"),
        ((X0 + 50.0, Y0 + 50.0), (X0 + 60.0, float("nan")), {}, "not finite"),
        ((X0 + 50.0, Y0 + 50.0), (X0 + 60.0, Y0 + 50.0), {"step": 0.0}, "step"),
    ],
)
def test_bad_arguments(a: tuple, b: tuple, kwargs: dict, match: str) -> None:
    grid = ridge_grid()
    with pytest.raises(ValueError, match=match) as info:
        line_of_sight(grid, a, b, **kwargs)
    assert "\n" not in str(info.value)
