"""Level choice of a buildings layer under a triangle budget (render/building_levels.py).

The binary search of :func:`fit_levels` is checked against a plain scan of tolerances on
a fine grid: the least tolerance whose levels fit, found without knowing where levels
change.
"""

from __future__ import annotations

import numpy as np
import pytest

from twinscape.render.building_levels import (
    MAX_FIT_TOLERANCE_PX,
    N_CLASSES,
    fit_levels,
    select_levels,
)

VE = 1.0


def chunks(seed: int = 3, n: int = 12) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``n`` chunks: class sizes on their edges, scales from 0.05 to 2 px/m, and costs
    that fall level by level (a class as points is cheaper than as triangles)."""
    rng = np.random.default_rng(seed)
    edges = 8.0 * 2.0 ** (np.arange(N_CLASSES) / 2)
    extent = np.where(rng.random((n, N_CLASSES)) < 0.8, edges * 0.9, 0.0)
    height = extent * rng.uniform(0.3, 1.2, (n, N_CLASSES))
    scale = np.geomspace(0.05, 2.0, n)
    per_class = rng.integers(100, 2000, (n, N_CLASSES)) * (extent > 0)
    triangles = np.c_[np.cumsum(per_class[:, ::-1], axis=1)[:, ::-1], np.zeros(n)]
    points = np.c_[np.zeros(n), np.cumsum(per_class // 10, axis=1)]
    return extent, height, scale, triangles + points


def cost(levels: np.ndarray, costs: np.ndarray) -> float:
    return float(costs[np.arange(len(costs)), levels].sum())


def scanned(extent, height, scale, tol, costs, budget) -> np.ndarray:  # noqa: ANN001
    """The levels of the least tolerance on a 0.001 px grid that fits (or the largest)."""
    for t in np.arange(tol, MAX_FIT_TOLERANCE_PX + 1e-9, 0.001):
        levels = select_levels(extent, height, scale, float(t), VE)
        if cost(levels, costs) <= budget:
            return levels
    return select_levels(extent, height, scale, MAX_FIT_TOLERANCE_PX, VE)


def test_a_budget_that_holds_everything_changes_nothing() -> None:
    extent, height, scale, costs = chunks()
    plain = select_levels(extent, height, scale, 6.0, VE)
    levels, tol = fit_levels(extent, height, scale, 6.0, VE, costs, cost(plain, costs))
    assert tol == 6.0 and np.array_equal(levels, plain)


@pytest.mark.parametrize("share", [0.9, 0.6, 0.3])
def test_the_least_tolerance_that_fits_as_a_scan_finds_it(share: float) -> None:
    extent, height, scale, costs = chunks()
    full = cost(select_levels(extent, height, scale, 6.0, VE), costs)
    least = cost(select_levels(extent, height, scale, MAX_FIT_TOLERANCE_PX, VE), costs)
    budget = least + share * (full - least)  # between the most and the least it can draw
    levels, tol = fit_levels(extent, height, scale, 6.0, VE, costs, budget)
    assert cost(levels, costs) <= budget
    assert tol > 6.0
    assert np.array_equal(levels, scanned(extent, height, scale, 6.0, costs, budget))


def test_buildings_larger_than_a_point_stay_triangles_whatever_the_budget() -> None:
    extent, height, scale, costs = chunks()
    levels, tol = fit_levels(extent, height, scale, 6.0, VE, costs, 0.0)
    assert tol <= MAX_FIT_TOLERANCE_PX
    size_px = np.maximum(extent, height * VE) * scale[:, None]
    big = size_px > MAX_FIT_TOLERANCE_PX  # wider than the largest point: never points
    for c in range(len(levels)):
        assert not (big[c, : levels[c]]).any()
    assert np.array_equal(levels, select_levels(extent, height, scale, MAX_FIT_TOLERANCE_PX, VE))


def test_every_class_points_already_is_kept() -> None:
    extent, height, scale, costs = chunks()
    tiny = scale * 1e-3  # far away: every class spans far under a pixel
    levels, tol = fit_levels(extent, height, tiny, 6.0, VE, costs, 0.0)
    assert tol == 6.0 and (levels == N_CLASSES).all()
