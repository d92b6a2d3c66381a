"""The frame budget against frames of known cost (render/frame_pacing.py).

Frames here cost ``base + per_triangle * n`` seconds, so the triangles that meet a
target time have an analytic answer the budget must reach, whatever it starts from.
"""

from __future__ import annotations

import pytest

from twinscape.render.frame_pacing import (
    CROWDED_S,
    FIXED_TRIANGLES,
    OTHERS_SHARE,
    SHARING_ABOVE_S,
    FrameBudget,
)


def fly(budget: FrameBudget, base: float, per_triangle: float, frames: int = 40) -> list[int]:
    """Moving frames that draw their whole budget; the budgets the frames had."""
    limits = []
    for _ in range(frames):
        n = budget.limit
        limits.append(n)
        budget.record(base + per_triangle * n, n)
    return limits


@pytest.mark.parametrize("start", [20_000, 1_000_000])
def test_moving_frames_reach_the_target_time_from_either_side(start: int) -> None:
    budget = FrameBudget(triangles=start)
    fly(budget, base=0.010, per_triangle=1e-7)
    expected = (budget.moving_s - 0.010) / 1e-7  # 400,000 triangles in 1/20 s
    assert budget.limit == pytest.approx(expected, rel=0.1)


def test_a_machine_slower_than_the_target_draws_the_least_terrain() -> None:
    budget = FrameBudget()
    fly(budget, base=0.055, per_triangle=5e-7)  # the frame alone takes longer than 1/20 s
    assert budget.limit == budget.min_triangles


def test_a_view_that_needs_few_triangles_does_not_inflate_the_budget() -> None:
    budget = FrameBudget(triangles=100_000)
    for _ in range(30):
        budget.record(0.005, 30_000)  # fast, but only because the view needed 30k
    assert budget.limit == 100_000


def test_one_slow_frame_does_not_halve_the_budget() -> None:
    budget = FrameBudget(triangles=100_000)
    for seconds in (0.03, 0.03, 0.5, 0.03):  # a hiccup: the median of three decides
        budget.record(seconds, 100_000)
    assert budget.limit >= 100_000


def test_a_still_view_settles_without_swinging() -> None:
    budget = FrameBudget(settled_triangles=450_000)
    base, per_triangle = 0.030, 5e-7  # 190k triangles in 1/8 s
    limits = []
    for _ in range(20):
        n = budget.settled_limit
        limits.append(n)
        budget.record_still(base + per_triangle * n, n, view="A")
    assert limits == sorted(limits, reverse=True)  # never grows back for the same view
    final = base + per_triangle * budget.settled_limit
    assert final <= 1.1 * budget.settled_s
    assert budget.settled_limit >= (budget.settled_s - base) / per_triangle / 1.4


def test_a_fast_still_view_grows_at_once_then_every_few_frames() -> None:
    budget = FrameBudget(settled_triangles=100_000)
    limits = []
    for _ in range(5):
        budget.record_still(0.02, budget.settled_limit, view="A")
        limits.append(budget.settled_limit)
    assert limits == [125_000, 125_000, 125_000, 156_250, 156_250]
    budget.record_still(0.02, budget.settled_limit, view="B")  # a new view: at once
    assert budget.settled_limit == 195_312


def test_a_shrunk_still_budget_grows_back_on_views_it_holds_up_to_where_it_started() -> None:
    # the level that fits may draw far fewer triangles than the budget (the next finer
    # one has twice as many): a frame the budget held used it, and the next may need more
    budget = FrameBudget(settled_triangles=30_000, min_triangles=20_000)
    budget.record_still(0.5, 30_000, view="A")  # slow (under load): it shrinks
    assert budget.settled_limit == 21_428 and budget.still_recovering
    for held, grown in ((False, 21_428), (True, 26_785)):
        for _ in range(3):
            budget.record_still(0.04, 14_520, view="B", held=held)
            assert budget.still_fast  # fast: another frame could grow it
        assert budget.settled_limit == grown
    for _ in range(9):
        budget.record_still(0.04, 14_520, view="B", held=True)
    assert budget.settled_limit == 33_481 and not budget.still_recovering
    for _ in range(9):  # back where it started: held frames that draw little grow it no more
        budget.record_still(0.04, 14_520, view="B", held=True)
    assert budget.settled_limit == 33_481
    budget.record_still(0.2, 14_520, view="B", held=True)
    assert not budget.still_fast


def test_while_recovering_frames_at_six_tenths_of_their_time_count_as_fast() -> None:
    # a held still view on 2 cores of llvmpipe draws in 0.4-0.55 of its time (measured:
    # 44-70 ms of 125): it must still grow back, while a budget at its start needs half
    budget = FrameBudget(settled_triangles=30_000, min_triangles=20_000)
    budget.record_still(0.5, 30_000, view="A")
    slow_share = 0.6 * budget.settled_s
    for _ in range(3):
        budget.record_still(slow_share, 14_520, view="B", held=True)
        assert budget.still_fast
    assert budget.settled_limit == 26_785
    steady = FrameBudget(settled_triangles=30_000)
    for _ in range(6):
        steady.record_still(slow_share, 30_000, view="C")
    assert steady.settled_limit == 37_500 and not steady.still_fast  # grown once, for view C


def test_start_and_stop_time_moving_and_still_frames_apart() -> None:
    budget = FrameBudget(triangles=100_000, settled_triangles=100_000)
    budget.start(False)  # a screenshot: not timed
    budget.stop(10**9)
    assert (budget.limit, budget.settled_limit) == (100_000, 100_000)
    budget.start(False, view="A")  # a still frame, far under its time
    budget.stop(100_000)
    assert budget.settled_limit == 125_000 and budget.limit == 100_000


def test_a_fixed_budget_replaces_both() -> None:
    budget = FrameBudget(fixed=5_000)
    fly(budget, base=0.001, per_triangle=1e-9)
    assert budget.limit == 5_000
    assert budget.settled_limit == 15_000


def test_when_the_terrain_has_nothing_left_the_rest_coarsens_then_recovers() -> None:
    budget = FrameBudget()
    fly(budget, base=0.080, per_triangle=1e-7, frames=20)  # buildings alone take 80 ms
    assert budget.limit == budget.min_triangles
    assert budget.coarsen == 8.0
    fly(budget, base=0.010, per_triangle=1e-7, frames=20)  # they turned to points: fast
    assert budget.coarsen == 1.0
    assert budget.limit > budget.min_triangles


def test_a_still_view_slowed_for_a_while_gets_its_detail_back() -> None:
    budget = FrameBudget(settled_triangles=450_000)
    for _ in range(6):  # builds landing, another job on the machine: slow frames
        budget.record_still(0.5, budget.settled_limit, view="A")
    slowed = budget.settled_limit
    assert slowed < 100_000
    base, per_triangle = 0.010, 1e-7  # the view itself is cheap: 1M triangles in 1/8 s
    limits = []
    for _ in range(40):
        n = budget.settled_limit
        budget.record_still(base + per_triangle * n, n, view="A")
        limits.append(budget.settled_limit)
    assert budget.settled_limit > 4 * slowed
    assert base + per_triangle * budget.settled_limit <= 1.1 * budget.settled_s  # never slow
    assert limits == sorted(limits)  # grew back without swinging


def test_slow_moving_frames_give_the_other_visuals_a_share_of_the_terrain() -> None:
    budget = FrameBudget()
    assert budget.others_allowance(100_000) is None  # nothing known yet: no bound
    for _ in range(3):  # a software renderer: 30 ms frames
        budget.record(0.030, budget.limit)
    allowance = budget.others_allowance(100_000)
    assert allowance == int(OTHERS_SHARE * (100_000 + FIXED_TRIANGLES))
    assert budget.others_allowance(200_000) > allowance  # more terrain, more for the rest
    for _ in range(3):  # between the two edges: it stays as it is
        budget.record(0.8 * SHARING_ABOVE_S, budget.limit)
    assert budget.others_allowance(100_000) == allowance
    for _ in range(3):  # a graphics card: 5 ms frames
        budget.record(0.005, budget.limit)
    assert budget.others_allowance(100_000) is None
    budget.fixed = 50_000  # scripts and tests choose the budget themselves
    for _ in range(3):
        budget.record(0.030, 50_000)
    assert budget.others_allowance(100_000) is None


def test_a_crowded_frame_aims_tighter_so_the_terrain_gives_way() -> None:
    budget = FrameBudget(triangles=400_000)
    for _ in range(3):  # a software renderer: sharing on
        budget.record(0.045, budget.limit)
    assert budget.sharing and budget.target_s == budget.moving_s
    budget.record_share(50_000, 20_000)  # buildings over their allowance even at their coarsest
    assert budget.crowded and budget.target_s == CROWDED_S
    limits = fly(budget, base=0.010, per_triangle=1e-7, frames=30)
    expected = (CROWDED_S - 0.010) / 1e-7  # the terrain shrinks to what fits in 1/30 s
    assert budget.limit == pytest.approx(expected, rel=0.15)
    assert limits[-1] < limits[0]
    budget.record_share(17_000, 20_000)  # between 0.8 and 1 of it: still crowded
    assert budget.crowded
    budget.record_share(10_000, 20_000)  # well within: back to the usual target
    assert not budget.crowded and budget.target_s == budget.moving_s
