"""Design checks of assets standing on an area: points on their footprint, polygons inside.

``_assess_point`` fits a plane to the ground under a turbine's, tower's or tank's
footprint (:func:`point_footprint`); ``_assess_polygon`` takes the slope of the cells
inside a solar farm, pad or plot and the cut and fill of its pad; as the "Points" and
"Polygons" parts of :mod:`twinscape.geo.design_checks` describe.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import Polygon

from twinscape.geo.design_ground import _Checks, _grid_under, _lowest_under, _plane_slope
from twinscape.geo.earthworks import cut_fill_polygon
from twinscape.geo.sampling import sample_elevation
from twinscape.geo.slope import slope_aspect
from twinscape.model.catalogue import Catalogue, CatalogueEntry
from twinscape.model.placed import PlacedAsset
from twinscape.model.raster import RasterGrid

_DEG = "\N{DEGREE SIGN}"

#: Point shapes with a round footprint.
ROUND_SHAPES = ("turbine", "tank")
#: Percentile of the cell slopes inside a polygon reported as its slope.
SLOPE_PERCENTILE = 90.0


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
