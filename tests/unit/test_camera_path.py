"""Camera paths for videos: smooth through bookmarks, orbits at constant distance and elevation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from twinscape.model.bookmarks import CameraView
from twinscape.render.camera_path import orbit, path_through

VIEWS = [
    CameraView((0.0, -5000.0, 3000.0), (0.0, 0.0, 0.0), (0.0, 0.6, 0.8), 30.0),
    CameraView((4000.0, 1000.0, 1500.0), (500.0, 800.0, -100.0), (0.0, 0.0, 1.0), 40.0),
    CameraView((4200.0, 1200.0, 1400.0), (600.0, 900.0, -50.0), (0.0, 0.0, 1.0), 35.0),
    CameraView((-3000.0, 6000.0, 800.0), (-200.0, 300.0, 0.0), (0.0, 0.0, 1.0), 25.0),
]


def _eyes(views: list[CameraView]) -> np.ndarray:
    return np.array([v.position for v in views])


def test_path_hits_the_bookmarks_at_both_ends() -> None:
    path = path_through(VIEWS, 90)
    assert len(path) == 90
    assert path[0] == VIEWS[0] and path[-1] == VIEWS[-1]


def test_path_passes_near_every_bookmark() -> None:
    path = _eyes(path_through(VIEWS, 400, ease=False))
    for view in VIEWS[1:-1]:
        assert np.linalg.norm(path - view.position, axis=1).min() < 30.0


def _max_accel(points: np.ndarray) -> float:
    return float(np.linalg.norm(np.diff(points, 2, axis=0), axis=1).max())


def test_path_is_smooth_without_jumps() -> None:
    frames = 240
    path = path_through(VIEWS, frames)
    chord = np.linalg.norm(np.diff(_eyes(VIEWS), axis=0), axis=1).sum()
    for points in (_eyes(path), np.array([v.focal_point for v in path])):
        steps = np.linalg.norm(np.diff(points, axis=0), axis=1)
        # eased: the fastest step is about 1.5x the mean, the curve a bit longer than its chords
        assert steps.max() < 3.0 * chord / frames
    # C1: twice the frames, a quarter of the change of velocity per frame (a corner: a half)
    finer = path_through(VIEWS, 2 * frames)
    for pick in (_eyes, lambda vs: np.array([v.focal_point for v in vs])):
        assert _max_accel(pick(finer)) < 0.3 * _max_accel(pick(path))
    spread = path_through([VIEWS[0], VIEWS[1], VIEWS[3]], frames)
    assert (
        _max_accel(_eyes(spread))
        < 0.1 * np.linalg.norm(np.diff(_eyes(spread), axis=0), axis=1).max()
    )
    angles = np.array([v.view_angle for v in path])
    assert np.abs(np.diff(angles)).max() < 2.0 and 20.0 < angles.min() < angles.max() < 45.0
    for view in path[1:-1]:  # the ends are the bookmarks as saved
        sight = np.subtract(view.focal_point, view.position)
        assert abs(np.dot(view.view_up, sight)) < 1e-6 * np.linalg.norm(sight)
        assert np.linalg.norm(view.view_up) == pytest.approx(1.0)


def test_path_eases_in_and_out_and_is_even_otherwise() -> None:
    eased = np.linalg.norm(np.diff(_eyes(path_through(VIEWS[:2], 101)), axis=0), axis=1)
    assert eased[0] < 0.05 * eased.max() and eased[-1] < 0.05 * eased.max()
    even = np.linalg.norm(np.diff(_eyes(path_through(VIEWS[:2], 101, ease=False)), axis=0), axis=1)
    assert even.max() - even.min() < 0.02 * even.mean()


def test_path_turns_on_the_spot_and_repeats() -> None:
    turn = [VIEWS[0], CameraView(VIEWS[0].position, (800.0, 0.0, 0.0))]
    path = path_through(turn, 20)
    assert np.allclose(_eyes(path), VIEWS[0].position)
    assert path[-1] == turn[-1]
    still = path_through([VIEWS[1], VIEWS[1]], 5)
    assert still == [VIEWS[1]] * 5


def test_path_refuses_too_little() -> None:
    with pytest.raises(ValueError, match="2 views"):
        path_through(VIEWS[:1], 10)
    with pytest.raises(ValueError, match="2 frames"):
        path_through(VIEWS, 1)


def test_orbit_keeps_distance_and_elevation() -> None:
    view = VIEWS[1]
    views = orbit(view, 60)
    centre = np.array(view.focal_point)
    rel = _eyes(views) - centre
    dist = np.linalg.norm(rel, axis=1)
    elev = np.degrees(np.arcsin(rel[:, 2] / dist))
    start = np.subtract(view.position, view.focal_point)
    assert np.allclose(dist, np.linalg.norm(start))
    assert np.allclose(elev, math.degrees(math.asin(start[2] / np.linalg.norm(start))))
    assert all(v.focal_point == view.focal_point for v in views)
    assert np.allclose(views[0].position, view.position)
    azimuth = np.unwrap(np.arctan2(rel[:, 1], rel[:, 0]))
    steps = np.diff(azimuth)
    assert np.allclose(steps, 2 * math.pi / 60)  # counter-clockwise, one turn, no repeat


def test_orbit_around_another_point_and_clockwise() -> None:
    view = VIEWS[0]
    views = orbit(view, 8, center=(100.0, 100.0, 0.0), clockwise=True, turns=0.5)
    rel = _eyes(views) - (100.0, 100.0, 0.0)
    assert np.allclose(np.linalg.norm(rel, axis=1), math.dist(view.position, (100, 100, 0)))
    assert np.allclose(np.diff(np.unwrap(np.arctan2(rel[:, 1], rel[:, 0]))), -math.pi / 8)
    straight_down = CameraView((0.0, 0.0, 1000.0), (0.0, 0.0, 0.0), (0.0, 1.0, 0.0))
    spin = orbit(straight_down, 4)
    assert np.allclose([v.view_up for v in spin], [(0, 1, 0), (-1, 0, 0), (0, -1, 0), (1, 0, 0)],
                       atol=1e-12)  # fmt: skip
