"""Horizontal curve radius of a polyline (railway and road alignment checks).

The radius at an interior vertex is the radius of the circle through it and its
two neighbours (the circumradius of the triangle they span): exact for vertices on
a circular arc, ``inf`` where the three points are collinear and go straight on.
A vertex where the line doubles back on itself has radius 0, and one next to a
zero-length leg has NaN (no curve is defined there).
"""

from __future__ import annotations

import numpy as np


def curve_radii(line: np.ndarray) -> np.ndarray:
    """Radius of the curve at each interior vertex of a polyline.

    Parameters
    ----------
    line
        (N, 2) x, y in a metric CRS.

    Returns
    -------
    numpy.ndarray
        float64 (N - 2,) radii in the line's units (empty when N < 3).

    Examples
    --------
    >>> import numpy as np
    >>> curve_radii(np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])).round(6).tolist()
    [1.0]
    """
    points = np.asarray(line, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"the line must be (N, 2), got shape {points.shape}")
    if len(points) < 3:
        return np.empty(0, dtype=np.float64)
    p0, p1, p2 = points[:-2], points[1:-1], points[2:]
    u, v = p1 - p0, p2 - p1
    a = np.hypot(*u.T)
    b = np.hypot(*v.T)
    c = np.hypot(*(p2 - p0).T)
    cross = np.abs(u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0])  # twice the triangle's area
    with np.errstate(divide="ignore", invalid="ignore"):
        radii = a * b * c / (2.0 * cross)
    straight = cross <= 1e-12 * a * b
    forward = np.einsum("ij,ij->i", u, v) > 0
    radii[straight] = np.where(forward[straight], np.inf, 0.0)
    radii[(a == 0) | (b == 0)] = np.nan
    return radii


def min_curve_radius(line: np.ndarray) -> float:
    """Smallest curve radius along a polyline; ``inf`` when it is straight or has < 3 vertices.

    Vertices next to zero-length legs (NaN radius) are ignored.
    """
    radii = curve_radii(line)
    radii = radii[~np.isnan(radii)]
    return float(radii.min()) if radii.size else float("inf")
