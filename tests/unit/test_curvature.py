"""geo/curvature.py: circumradius against circles of known radius."""

from __future__ import annotations

import math

import numpy as np
import pytest

from twinscape.geo.curvature import curve_radii, min_curve_radius


def arc(radius: float, start_deg: float, stop_deg: float, n: int, centre=(0.0, 0.0)) -> np.ndarray:
    t = np.radians(np.linspace(start_deg, stop_deg, n))
    return np.column_stack([centre[0] + radius * np.cos(t), centre[1] + radius * np.sin(t)])


@pytest.mark.parametrize("radius", [12.5, 300.0, 1200.0, 25_000.0])
def test_vertices_on_a_circle_give_its_radius(radius: float) -> None:
    # far from the origin (UTM-sized coordinates) and unevenly spaced vertices
    line = arc(radius, 10.0, 130.0, 9, centre=(712_345.6, 3_456_789.0))
    line = np.vstack([line[:3], line[4:]])
    radii = curve_radii(line)
    assert radii.shape == (len(line) - 2,)
    np.testing.assert_allclose(radii, radius, rtol=1e-6)
    assert min_curve_radius(line) == pytest.approx(radius, rel=1e-6)


def test_straight_and_compound_alignments() -> None:
    straight = np.array([[0.0, 0.0], [100.0, 100.0], [250.0, 250.0], [400.0, 400.0]])
    assert np.isinf(curve_radii(straight)).all()
    assert min_curve_radius(straight) == math.inf
    assert min_curve_radius(straight[:2]) == math.inf
    # a tangent, then a 500 m curve, then a 200 m curve the other way
    first = arc(500.0, -90.0, -60.0, 5, centre=(0.0, 500.0))
    end = first[-1]
    second_centre = end + (end - np.array([0.0, 500.0])) / 500.0 * 200.0
    heading = math.degrees(math.atan2(*(end - second_centre)[::-1]))
    second = arc(200.0, heading + 180.0, heading + 180.0 - 30.0, 5, centre=tuple(second_centre))
    line = np.vstack([[[-300.0, 0.0]], first, second[1:]])
    radii = curve_radii(line)
    np.testing.assert_allclose(radii[1:4], 500.0, rtol=1e-6)
    np.testing.assert_allclose(radii[-3:], 200.0, rtol=1e-6)
    assert min_curve_radius(line) == pytest.approx(200.0, rel=1e-6)


def test_degenerate_vertices() -> None:
    back = np.array([[0.0, 0.0], [10.0, 0.0], [5.0, 0.0]])
    assert curve_radii(back).tolist() == [0.0]
    repeated = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 0.0], [20.0, 5.0]])
    radii = curve_radii(repeated)
    assert np.isnan(radii).all()
    assert min_curve_radius(repeated) == math.inf
    with pytest.raises(ValueError):
        curve_radii(np.zeros((3, 3)))
