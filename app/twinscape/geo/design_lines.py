"""Design checks of line assets: design grades, curve radii, ground grade, corridor earthworks.

``_assess_line`` measures a road, railway, pipeline or power line on the ground and
checks it against its catalogue entry's limits, as the "Lines" part of
:mod:`twinscape.geo.design_checks` describes.
"""

from __future__ import annotations

import math

import numpy as np

from twinscape.geo.curvature import curve_radii
from twinscape.geo.design_ground import _Checks, _grid_under, ground_at
from twinscape.geo.earthworks import cut_fill_corridor
from twinscape.model.catalogue import Catalogue, CatalogueEntry
from twinscape.model.placed import WARN_FRACTION, PlacedAsset
from twinscape.model.raster import RasterGrid

#: Line shapes whose corridor is built to a design grade line (cut and fill).
CORRIDOR_SHAPES = ("road", "railway")
_MAX_SAMPLES = 20_000  # ground samples per line segment for the steepest ground grade


def _assess_line(
    asset: PlacedAsset,
    entry: CatalogueEntry,
    catalogue: Catalogue,
    xy: np.ndarray,
    z: np.ndarray,
    ground: tuple[RasterGrid, ...],
    checks: _Checks,
    earthworks: bool,
) -> dict[str, object]:
    lengths = np.hypot(*np.diff(xy, axis=0).T)
    limit = asset.param("max_grade_pct", catalogue)
    grades: list[float] = []
    statuses: list[str] = []
    for index, length in enumerate(lengths):
        number = index + 1
        if length == 0:
            checks.add("fail", f"segment {number} has no length (a repeated vertex)")
            grades.append(math.nan)
            statuses.append("fail")
            continue
        rise = z[index + 1] - z[index]
        if not math.isfinite(rise):
            grades.append(math.nan)
            statuses.append("warn")
            continue
        grade = float(100.0 * rise / length)
        grades.append(grade)
        statuses.append(
            checks.limit(abs(grade), limit, f"grade {abs(grade):.1f} % on segment {number}", " %")
        )
    finite = [abs(g) for g in grades if math.isfinite(g)]
    radii = curve_radii(xy)
    known = radii[~np.isnan(radii)]
    min_radius = float(known.min()) if known.size else math.inf
    min_allowed = asset.param("min_curve_radius_m", catalogue)
    if math.isfinite(min_allowed) and min_allowed > 0:
        for index, radius in enumerate(radii):
            if not np.isnan(radius):
                _check_radius(float(radius), min_allowed, index + 2, checks)
    values: dict[str, object] = {
        "length_m": float(lengths.sum()),
        "segment_grades_pct": tuple(grades),
        "segment_status": tuple(statuses),
        "max_grade_pct": max(finite) if finite else math.nan,
        "ground_grade_pct": _steepest_ground(xy, lengths, ground),
        "min_radius_m": min_radius,
    }
    width = asset.param("width_m", catalogue)
    if earthworks and entry.shape in CORRIDOR_SHAPES and math.isfinite(width) and width > 0:
        if np.isfinite(z).all() and (lengths > 0).all():
            side = asset.param("side_slope", catalogue)
            side_slope = side if math.isfinite(side) and side > 0 else None
            grid = _grid_under(ground, xy)
            try:
                works = cut_fill_corridor(grid, xy, width, z, side_slope=side_slope)
            except ValueError as err:
                checks.add("warn", f"earthworks not computed: {err}")
            else:
                values.update(cut_m3=works.cut_m3, fill_m3=works.fill_m3)
    return values


def _check_radius(radius: float, limit: float, vertex: int, checks: _Checks) -> None:
    """Check a curve radius against a minimum (a tighter curve is worse)."""
    if radius < limit:
        checks.add(
            "fail", f"curve radius {radius:.0f} m at vertex {vertex} is below the "
            f"{limit:g} m minimum",
        )  # fmt: skip
    elif radius == 0 or limit / radius > WARN_FRACTION:
        checks.add(
            "warn", f"curve radius {radius:.0f} m at vertex {vertex} is close to the "
            f"{limit:g} m minimum",
        )  # fmt: skip


def _steepest_ground(xy: np.ndarray, lengths: np.ndarray, ground: tuple[RasterGrid, ...]) -> float:
    """Steepest absolute grade (%) of the ground along the line, sampled about every cell."""
    if not ground:
        return math.nan
    step = min(min(grid.resolution) for grid in ground)
    steepest = math.nan
    for index, length in enumerate(lengths):
        if length == 0:
            continue
        count = int(min(max(math.ceil(length / step), 1), _MAX_SAMPLES)) + 1
        t = np.linspace(0.0, 1.0, count)
        points = xy[index] + t[:, None] * (xy[index + 1] - xy[index])
        z = ground_at(ground, points[:, 0], points[:, 1])
        rise = np.abs(np.diff(z)) / (length / (count - 1)) * 100.0
        rise = rise[np.isfinite(rise)]
        if rise.size:
            steepest = float(rise.max()) if math.isnan(steepest) else max(steepest, rise.max())
    return float(steepest)
