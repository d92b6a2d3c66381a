"""Design checks of placed assets against the ground: grades, curves, slopes, earthworks.

:func:`assess` measures one :class:`~twinscape.model.placed.PlacedAsset` on the
terrain grids (topmost first, as :func:`twinscape.geo.ground.ground_grids` gives
them) and checks it against its catalogue entry's limits; :func:`assess_layer`
does every asset of a layer, keeping results so that calling it every frame
recomputes only the assets that changed. Pure numpy and shapely: no Qt, no VTK.

What is measured (numbers in messages are 1-based: "vertex 1", "segment 1"):

- **Every asset**: ``ground_z``, the terrain under each vertex, from the topmost
  grid with data there; a vertex off every grid is an issue ("vertex 2 is off the
  terrain", a warning: nothing can be checked there).
- **Lines** (roads, railways, pipelines, power lines): the horizontal ``length_m``;
  per segment the *design grade* ``(z_end - z_start) / horizontal length`` between
  the ground at its two vertices, in percent, signed (positive uphill in drawing
  order). This is the grade a road engineer builds: the road runs straight between
  its vertices' ground elevations (the design grade line) and earthworks take up the
  ground in between. Each segment is ``ok``/``warn``/``fail`` against
  ``max_grade_pct`` (warn above :data:`WARN_FRACTION` of it); ``max_grade_pct`` is
  the steepest absolute design grade. ``ground_grade_pct`` is the steepest grade of
  the ground itself along the line, sampled every grid cell: how hard the terrain
  is, not a check. ``min_radius_m`` is the tightest circumradius of three
  consecutive vertices (:mod:`twinscape.geo.curvature`), checked against
  ``min_curve_radius_m`` (warn when the limit is above :data:`WARN_FRACTION` of the
  radius). Roads and railways with a ``width_m`` get the cut and fill of their
  corridor built to the design grade line, with ``side_slope`` batters
  (:func:`twinscape.geo.earthworks.cut_fill_corridor`).
- **Points** (turbines, towers, tanks): the ground under the footprint (a square of
  side ``footprint_m`` turned by the asset's rotation; a circle of that diameter for
  turbines and tanks) is fitted with a plane by least squares through samples on a
  7 x 7 lattice and the outline; ``slope_deg`` is the tilt of that plane (the slope a
  foundation has to take up), checked against ``max_slope_deg``. ``base_z`` is the
  lowest ground under the footprint (:func:`twinscape.geo.ground.footprint_bases`).
- **Polygons** (solar farms, pads, plots): ``area_m2``; ``slope_deg`` is the 90th
  percentile of the Horn slope (:mod:`twinscape.geo.slope`) of the grid cells whose
  centres lie inside (90 % of the area is at most this steep; the plane fit when no
  cell centre is inside), checked against ``max_slope_deg``. An entry or asset with a
  ``pad_elevation_m`` gets the cut and fill of a flat pad at that elevation
  (:func:`twinscape.geo.earthworks.cut_fill_polygon`); NaN levels it at the
  area-weighted mean ground, where cut equals fill. ``base_z`` is the pad
  elevation, or else the lowest ground inside.
"""

from __future__ import annotations

import logging
import math
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import Polygon

from twinscape.geo.curvature import curve_radii
from twinscape.geo.earthworks import cut_fill_corridor, cut_fill_polygon
from twinscape.geo.ground import footprint_bases
from twinscape.geo.sampling import sample_elevation
from twinscape.geo.slope import slope_aspect
from twinscape.model.catalogue import Catalogue, CatalogueEntry
from twinscape.model.placed import (
    STATUSES,
    WARN_FRACTION,
    Assessment,
    PlacedAsset,
    PlacedAssetsLayer,
    check_vertices,
)
from twinscape.model.raster import RasterGrid

_LOG = logging.getLogger(__name__)
_DEG = "\N{DEGREE SIGN}"

#: Line shapes whose corridor is built to a design grade line (cut and fill).
CORRIDOR_SHAPES = ("road", "railway")
#: Point shapes with a round footprint.
ROUND_SHAPES = ("turbine", "tank")
#: Percentile of the cell slopes inside a polygon reported as its slope.
SLOPE_PERCENTILE = 90.0
_LATTICE = 7  # samples per side of a point footprint's plane fit
_MAX_SAMPLES = 20_000  # ground samples per line segment for the steepest ground grade


@dataclass
class _Checks:
    """Issues and the worst status found so far."""

    issues: list[str]
    status: str = "ok"

    def add(self, status: str, issue: str) -> None:
        self.issues.append(issue)
        if STATUSES.index(status) > STATUSES.index(self.status):
            self.status = status

    def limit(self, value: float, limit: float, message: str, unit: str) -> str:
        """Check ``value`` (a magnitude) against a maximum; the status, issue added if any."""
        if not (math.isfinite(value) and math.isfinite(limit)):
            return "ok"
        if value > limit:
            self.add("fail", f"{message} exceeds {limit:g}{unit}")
            return "fail"
        if value > WARN_FRACTION * limit:
            self.add("warn", f"{message} is close to the {limit:g}{unit} limit")
            return "warn"
        return "ok"


def ground_at(grids: Sequence[RasterGrid], x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Elevation at points from the topmost grid with data there (NaN off every grid)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    z = np.full(np.broadcast(x, y).shape, np.nan)
    for grid in grids:
        todo = ~np.isfinite(z)
        if not todo.any():
            break
        xs, ys = np.broadcast_arrays(x, y)
        z[todo] = sample_elevation(grid, xs[todo], ys[todo])
    return z


def assess(
    asset: PlacedAsset,
    catalogue: Catalogue,
    ground: tuple[RasterGrid, ...],
    *,
    earthworks: bool = True,
) -> Assessment:
    """How ``asset`` fits the ground ``ground`` (topmost first); see the module docstring.

    ``earthworks=False`` leaves out cut and fill (0), the slow part (about half a second
    for 15 km of road in mountains at 90 m): for live feedback while an asset is dragged.
    """
    if asset.entry not in catalogue:
        return Assessment(status="fail", issues=(f"catalogue entry {asset.entry!r} is unknown",))
    entry = catalogue.get(asset.entry)
    try:
        check_vertices(asset, entry.geometry)
    except ValueError as err:
        return Assessment(status="fail", issues=(str(err).partition(": ")[2] or str(err),))
    xy = np.asarray(asset.coords, dtype=np.float64)
    checks = _Checks(issues=[])
    if not ground:
        checks.add("warn", "no terrain is loaded: nothing was checked")
        z = np.full(len(xy), np.nan)
    else:
        z = ground_at(ground, xy[:, 0], xy[:, 1])
        for index in np.flatnonzero(~np.isfinite(z)):
            checks.add("warn", f"vertex {index + 1} is off the terrain")
    values: dict[str, object] = {}
    if entry.geometry == "line":
        values = _assess_line(asset, entry, catalogue, xy, z, ground, checks, earthworks)
    elif entry.geometry == "point":
        values = _assess_point(asset, entry, catalogue, xy, ground, checks)
    else:
        values = _assess_polygon(asset, catalogue, xy, ground, checks, earthworks)
    return Assessment(
        status=checks.status,
        issues=tuple(checks.issues),
        ground_z=tuple(float(v) for v in z),
        **values,  # type: ignore[arg-type]
    )


# -- lines ----------------------------------------------------------------------------
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


# -- points ---------------------------------------------------------------------------
def point_footprint(asset: PlacedAsset, entry: CatalogueEntry, catalogue: Catalogue) -> Polygon:
    """The footprint of a point asset: a square of side ``footprint_m`` turned by its
    rotation, or a circle of that diameter for round shapes (1 m when unset)."""
    side = asset.param("footprint_m", catalogue)
    side = side if math.isfinite(side) and side > 0 else 1.0
    x, y = asset.coords[0]
    if entry.shape in ROUND_SHAPES:
        return shapely.Point(x, y).buffer(side / 2.0, quad_segs=8)
    half = side / 2.0
    corners = np.array([[-half, -half], [half, -half], [half, half], [-half, half]])
    angle = math.radians(asset.rotation_deg)  # clockwise from north
    cos, sin = math.cos(angle), math.sin(angle)
    rotated = corners @ np.array([[cos, -sin], [sin, cos]])
    return Polygon(rotated + (x, y))


def _assess_point(
    asset: PlacedAsset,
    entry: CatalogueEntry,
    catalogue: Catalogue,
    xy: np.ndarray,
    ground: tuple[RasterGrid, ...],
    checks: _Checks,
) -> dict[str, object]:
    footprint = point_footprint(asset, entry, catalogue)
    slope = _plane_slope(footprint, ground)
    checks.limit(
        slope, asset.param("max_slope_deg", catalogue),
        f"slope {slope:.1f}{_DEG} under the footprint", _DEG,
    )  # fmt: skip
    return {"slope_deg": slope, "base_z": _lowest_under(footprint, ground)}


def _plane_slope(footprint: Polygon, ground: tuple[RasterGrid, ...]) -> float:
    """Tilt (degrees) of the least-squares plane through ground samples on ``footprint``."""
    if not ground:
        return math.nan
    x0, y0, x1, y1 = footprint.bounds
    gx, gy = np.meshgrid(np.linspace(x0, x1, _LATTICE), np.linspace(y0, y1, _LATTICE))
    inside = shapely.contains_xy(footprint, gx, gy)
    ring = np.asarray(footprint.exterior.coords)[:-1]
    x = np.concatenate([gx[inside], ring[:, 0]])
    y = np.concatenate([gy[inside], ring[:, 1]])
    z = ground_at(ground, x, y)
    ok = np.isfinite(z)
    if ok.sum() < 3:
        return math.nan
    cx, cy = x[ok].mean(), y[ok].mean()
    design = np.column_stack([x[ok] - cx, y[ok] - cy, np.ones(int(ok.sum()))])
    (a, b, _), *_ = np.linalg.lstsq(design, z[ok], rcond=None)
    return float(math.degrees(math.atan(math.hypot(a, b))))


def _lowest_under(shape: Polygon, ground: tuple[RasterGrid, ...]) -> float:
    """Lowest ground under ``shape`` (vertices and cell centres inside), NaN off the terrain."""
    if not ground:
        return math.nan
    footprints = np.empty(1, dtype=object)
    footprints[0] = shape
    return float(footprint_bases(footprints, np.array([np.nan]), ground)[0])


# -- polygons -------------------------------------------------------------------------
def _assess_polygon(
    asset: PlacedAsset,
    catalogue: Catalogue,
    xy: np.ndarray,
    ground: tuple[RasterGrid, ...],
    checks: _Checks,
    earthworks: bool,
) -> dict[str, object]:
    polygon = Polygon(xy)
    if not polygon.is_valid or polygon.area <= 0:
        checks.add("fail", "the outline crosses itself or encloses no area")
        return {"area_m2": float(abs(polygon.area))}
    values: dict[str, object] = {"area_m2": float(polygon.area)}
    if not ground:
        return values
    slope = _area_slope(polygon, ground)
    values["slope_deg"] = slope
    checks.limit(
        slope, asset.param("max_slope_deg", catalogue),
        f"slope {slope:.1f}{_DEG} (90th percentile) inside the area", _DEG,
    )  # fmt: skip
    values["base_z"] = _lowest_under(polygon, ground)
    pad = _pad_elevation(asset, catalogue)
    if pad is not None and earthworks:
        grid = _grid_under(ground, xy)
        try:
            if math.isnan(pad):
                pad = _mean_ground(grid, polygon)
            works = cut_fill_polygon(grid, polygon, pad)
        except ValueError as err:
            checks.add("warn", f"earthworks not computed: {err}")
        else:
            values.update(cut_m3=works.cut_m3, fill_m3=works.fill_m3, base_z=float(pad))
    return values


def _pad_elevation(asset: PlacedAsset, catalogue: Catalogue) -> float | None:
    """The pad's design elevation (NaN: the mean ground), or None when it is no pad."""
    if "pad_elevation_m" in asset.params:
        return float(asset.params["pad_elevation_m"])
    entry = catalogue.get(asset.entry)
    if "pad_elevation_m" in entry.params:
        return float(entry.params["pad_elevation_m"])
    return None


def _mean_ground(grid: RasterGrid, polygon: Polygon) -> float:
    """Area-weighted mean ground inside ``polygon``: the pad level where cut equals fill.

    Cut minus fill at any level ``e`` is ``area * (mean - e)``, so one integration at a
    first guess gives the mean exactly (with the same integration as the volumes).
    """
    guess = sample_elevation(grid, *polygon.representative_point().coords[0])
    guess = float(guess) if math.isfinite(guess) else float(np.nanmean(grid.values))
    works = cut_fill_polygon(grid, polygon, guess)
    if works.area_m2 <= 0:
        raise ValueError("no terrain under the pad")
    return guess + works.net_m3 / works.area_m2


def _area_slope(polygon: Polygon, ground: tuple[RasterGrid, ...]) -> float:
    """90th-percentile Horn slope of the cells inside ``polygon`` (plane fit if none)."""
    grid = _grid_under(ground, np.asarray(polygon.exterior.coords))
    a, _, c, _, e, f = grid.transform
    rows, cols = grid.shape
    x0, y0, x1, y1 = polygon.bounds
    c0 = max(int(math.floor((x0 - c) / a)) - 1, 0)
    c1 = min(int(math.ceil((x1 - c) / a)) + 1, cols)
    r0 = max(int(math.floor((y1 - f) / e)) - 1, 0)
    r1 = min(int(math.ceil((y0 - f) / e)) + 1, rows)
    if c0 < c1 and r0 < r1:
        window = grid.values[r0:r1, c0:c1]
        slope, _ = slope_aspect(window, grid.resolution, compute_edges=True)
        xs = c + a * (np.arange(c0, c1) + 0.5)
        ys = f + e * (np.arange(r0, r1) + 0.5)
        inside = shapely.contains_xy(polygon, *np.meshgrid(xs, ys)) & np.isfinite(slope)
        if inside.any():
            return float(np.percentile(slope[inside], SLOPE_PERCENTILE))
    return _plane_slope(polygon, ground)


def _grid_under(ground: tuple[RasterGrid, ...], xy: np.ndarray) -> RasterGrid:
    """The topmost grid with data at every point, else the one with data at most of them."""
    best, best_count = ground[0], -1
    for grid in ground:
        count = int(np.isfinite(sample_elevation(grid, xy[:, 0], xy[:, 1])).sum())
        if count == len(xy):
            return grid
        if count > best_count:
            best, best_count = grid, count
    return best


# -- layers ---------------------------------------------------------------------------
@dataclass
class _LayerCache:
    """Assessments of one layer's assets for one catalogue and ground."""

    catalogue: Catalogue
    ground: tuple[RasterGrid, ...]
    results: dict[PlacedAsset, tuple[Assessment, bool]]  # with earthworks or not


_CACHE: weakref.WeakKeyDictionary[PlacedAssetsLayer, _LayerCache] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def assess_layer(layer: PlacedAssetsLayer, *, earthworks: bool = True) -> dict[str, Assessment]:
    """Assessments of every asset of ``layer`` by asset id ({} until it is loaded).

    Results are kept per layer (weakly) while its catalogue and ground stay the same
    objects, so calling this every frame only assesses assets added or changed since
    the last call; results of assets no longer in the layer are dropped. An asset whose
    assessment fails unexpectedly is reported as failed with the error, and logged.
    ``earthworks=False`` (while dragging) skips cut and fill for changed assets and
    reuses full results where it has them.
    """
    catalogue = layer.catalogue
    if catalogue is None:
        return {}
    ground = tuple(layer.ground)
    with _LOCK:
        cache = _CACHE.get(layer)
        if (
            cache is None
            or cache.catalogue is not catalogue
            or len(cache.ground) != len(ground)
            or any(a is not b for a, b in zip(cache.ground, ground))
        ):
            cache = _LayerCache(catalogue=catalogue, ground=ground, results={})
            _CACHE[layer] = cache
        known = dict(cache.results)
    results: dict[PlacedAsset, tuple[Assessment, bool]] = {}
    for asset in layer.assets:
        found = known.get(asset)
        if found is None or (earthworks and not found[1]):
            found = (_assess_safely(asset, catalogue, ground, earthworks), earthworks)
        results[asset] = found
    with _LOCK:
        if _CACHE.get(layer) is cache:
            cache.results = results
    return {asset.id: found[0] for asset, found in results.items()}


def _assess_safely(
    asset: PlacedAsset, catalogue: Catalogue, ground: tuple[RasterGrid, ...], earthworks: bool
) -> Assessment:
    try:
        return assess(asset, catalogue, ground, earthworks=earthworks)
    except Exception as err:  # a frame must never fail on one asset
        _LOG.exception("assessing placed asset %s (%s) failed", asset.id, asset.entry)
        return Assessment(status="fail", issues=(f"could not be assessed: {err}",))
