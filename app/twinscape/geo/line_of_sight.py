"""Line of sight between two points over a DEM: the profile, what blocks it and where first.

The terrain is sampled bilinearly between cell centres (:func:`sample_elevation`) every
``step`` metres (half a cell by default) along the straight line from A to B. The sight
line runs straight from A's eye (ground + height) to B's target (ground + height). Earth
curvature and refraction lower the terrain by ``(1 - refraction) * d**2 / (2 * a)`` with
``d`` the distance from A, as :func:`twinscape.geo.viewshed.viewshed` does, so the same
settings give the same answer up to the viewshed's horizon interpolation. A sample blocks
when the terrain rises above the sight line; crossings are interpolated between samples.
Nodata samples between the ends block nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from twinscape.geo.sampling import sample_elevation
from twinscape.model.raster import RasterGrid

Point3 = tuple[float, float, float]

#: Refraction coefficient used by default (surveying's usual 0.13).
REFRACTION = 0.13
#: Semi-major axis (m) used when the grid's CRS has no ellipsoid (WGS 84's, as GDAL).
WGS84_SEMI_MAJOR = 6378137.0


def curvature_coefficient(curvature: bool = True, refraction: float = REFRACTION) -> float:
    """``gdal_viewshed -cc`` for these settings: ``1 - refraction``, or 0 without curvature."""
    if not math.isfinite(refraction) or not 0.0 <= refraction < 1.0:
        raise ValueError(f"refraction must be in [0, 1), got {refraction}")
    return 1.0 - refraction if curvature else 0.0


@lru_cache(maxsize=32)
def semi_major_axis(crs: str) -> float:
    """Semi-major axis (m) of the ellipsoid of ``crs``; WGS 84's when it has none."""
    try:
        from pyproj import CRS

        ellipsoid = CRS.from_user_input(crs).ellipsoid
    except Exception:  # noqa: BLE001 - an unknown CRS falls back as GDAL does
        return WGS84_SEMI_MAJOR
    if ellipsoid is None or not math.isfinite(ellipsoid.semi_major_metre):
        return WGS84_SEMI_MAJOR
    return float(ellipsoid.semi_major_metre)


@dataclass(frozen=True, eq=False)
class LineOfSight:
    """The sampled profile from A to B and what blocks the sight line.

    Attributes
    ----------
    distance, x, y
        Samples along the line: distance from A (m) and world coordinates (float64).
    terrain
        Ground elevation at each sample (NaN over nodata).
    sight
        Elevation of the straight sight line above each sample (world, no curvature).
    clearance
        Sight line minus curvature-lowered terrain (m): negative where terrain blocks.
    visible
        True when nothing blocks: B's target is seen from A's eye.
    blocked
        ``(start, end)`` distances from A where the sight line is below the terrain.
    obstruction
        World ``(x, y, z)`` on the ground where the terrain first rises above the sight
        line (None when visible); ``obstruction_distance`` is its distance from A.
    eye, target
        World ``(x, y, z)`` of A's eye and B's target.
    """

    distance: np.ndarray
    x: np.ndarray
    y: np.ndarray
    terrain: np.ndarray
    sight: np.ndarray
    clearance: np.ndarray
    visible: bool
    blocked: list[tuple[float, float]]
    obstruction: Point3 | None
    obstruction_distance: float | None
    eye: Point3
    target: Point3

    @property
    def length(self) -> float:
        """Horizontal distance from A to B (m)."""
        return float(self.distance[-1])

    def point_at(self, distance: float) -> Point3:
        """World ``(x, y, z)`` on the sight line at ``distance`` from A."""
        t = 0.0 if self.length == 0 else min(max(distance / self.length, 0.0), 1.0)
        return tuple(  # type: ignore[return-value]
            float(p + t * (q - p)) for p, q in zip(self.eye, self.target, strict=True)
        )

    def visible_segment(self) -> tuple[Point3, Point3]:
        """The part of the sight line seen from A: eye to the first obstruction (or to B)."""
        end = self.length if self.obstruction_distance is None else self.obstruction_distance
        return self.eye, self.point_at(end)

    def blocked_segment(self) -> tuple[Point3, Point3] | None:
        """The part hidden from A: first obstruction to B's target; None when visible."""
        if self.obstruction_distance is None:
            return None
        return self.point_at(self.obstruction_distance), self.target


def _point(p: Sequence[float], default_height: float, name: str) -> tuple[float, float, float]:
    """(x, y, height above ground) of an end given as (x, y) or (x, y, height)."""
    values = tuple(float(v) for v in p)
    if len(values) == 2:
        x, y, h = values[0], values[1], default_height
    elif len(values) == 3:
        if default_height != 0.0:
            raise ValueError(f"line of sight: {name} has a height and a {name} height was given")
        x, y, h = values
    else:
        raise ValueError(f"line of sight: {name} must be (x, y) or (x, y, height), got {p!r}")
    if not all(math.isfinite(v) for v in (x, y, h)):
        raise ValueError(f"line of sight: {name} ({x}, {y}, {h}) is not finite")
    return x, y, h


def line_of_sight(
    grid: RasterGrid,
    a: Sequence[float],
    b: Sequence[float],
    *,
    observer_height: float = 0.0,
    target_height: float = 0.0,
    curvature: bool = True,
    refraction: float = REFRACTION,
    step: float | None = None,
) -> LineOfSight:
    """Whether B is seen from A over the terrain, and where the terrain blocks the view.

    Parameters
    ----------
    grid
        Elevation (NaN = nodata) in a projected metric CRS.
    a, b
        Observer and target as ``(x, y)`` (heights from ``observer_height`` and
        ``target_height``) or ``(x, y, height above ground)``, in ``grid.crs``.
    curvature, refraction
        As :func:`twinscape.geo.viewshed.viewshed`.
    step
        Sample spacing (m); half the smaller cell side by default.
    """
    ax, ay, ah = _point(a, float(observer_height), "observer")
    bx, by, bh = _point(b, float(target_height), "target")
    res = min(grid.resolution)
    step = res / 2.0 if step is None else float(step)
    if not (math.isfinite(step) and step > 0):
        raise ValueError(f"line of sight: step must be a positive distance, got {step}")
    coef = curvature_coefficient(curvature, refraction)
    ga, gb = sample_elevation(grid, ax, ay), sample_elevation(grid, bx, by)
    for name, (x, y), g in (("observer", (ax, ay), ga), ("target", (bx, by), gb)):
        if not math.isfinite(g):
            raise ValueError(
                f"line of sight: {name} ({x:.3f}, {y:.3f}) is outside the DEM or on nodata"
            )
    length = math.hypot(bx - ax, by - ay)
    n = max(int(math.ceil(length / step)), 1) + 1
    t = np.linspace(0.0, 1.0, n)
    x, y = ax + t * (bx - ax), ay + t * (by - ay)
    distance = t * length
    terrain = np.asarray(sample_elevation(grid, x, y), np.float64)
    terrain[0], terrain[-1] = ga, gb
    drop = coef * distance**2 / (2.0 * semi_major_axis(grid.crs)) if coef else 0.0 * distance
    eye_z, target_z = ga + ah, gb + bh - float(drop[-1])
    straight = eye_z + t * (target_z - eye_z)  # sight line in the curvature-lowered frame
    clearance = straight - (terrain - drop)
    sight = straight + drop  # back to world elevations above each sample
    inner = np.zeros(n, bool)
    inner[1:-1] = True
    with np.errstate(invalid="ignore"):
        below = inner & (clearance < 0.0)
    blocked = _runs(below, distance, clearance)
    first = blocked[0][0] if blocked else None
    obstruction = None
    if first is not None:
        ox, oy = ax + (bx - ax) * first / length, ay + (by - ay) * first / length
        oz = sample_elevation(grid, ox, oy)
        obstruction = (float(ox), float(oy), float(oz))
    return LineOfSight(
        distance=distance, x=x, y=y, terrain=terrain, sight=sight, clearance=clearance,
        visible=not blocked, blocked=blocked, obstruction=obstruction,
        obstruction_distance=first, eye=(ax, ay, float(eye_z)),
        target=(bx, by, float(gb + bh)),
    )


def _runs(
    below: np.ndarray, distance: np.ndarray, clearance: np.ndarray
) -> list[tuple[float, float]]:
    """Distance intervals of the runs of ``below``, ends interpolated where clearance is 0."""
    if not below.any():
        return []
    edges = np.diff(below.astype(np.int8))
    starts = list(np.nonzero(edges == 1)[0] + 1)
    ends = list(np.nonzero(edges == -1)[0])
    if below[0]:
        starts.insert(0, 0)
    if below[-1]:
        ends.append(len(below) - 1)

    def cross(i: int, j: int) -> float:
        """Distance where clearance crosses 0 between samples i and j (j's when undefined)."""
        ci, cj = clearance[i], clearance[j]
        if not (math.isfinite(ci) and math.isfinite(cj)) or ci == cj:
            return float(distance[j])
        f = ci / (ci - cj)
        return float(distance[i] + f * (distance[j] - distance[i]))

    return [
        (cross(s - 1, s) if s > 0 else float(distance[s]),
         cross(e + 1, e) if e + 1 < len(below) else float(distance[e]))
        for s, e in zip(starts, ends, strict=True)
    ]
