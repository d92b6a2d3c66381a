"""The analyses themselves (any thread): slope, aspect, viewshed, coverage, solar suitability.

:func:`compute` runs the geo/ analysis of a :class:`~twinscape.render.analysis_plan.Plan`
on its ground grid and returns an :class:`AnalysisResult`: the raw arrays and the
headline numbers the layer shows. render/analysis_plan.py decides what to compute,
render/analysis_drape.py caches the results and paints them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from twinscape.model.errors import LoadCancelled
from twinscape.model.raster import RasterGrid

if TYPE_CHECKING:
    from twinscape.render.analysis_plan import Inputs, Plan


@dataclass(frozen=True, eq=False)
class AnalysisResult:
    """A raw result on its ground grid, with its headline numbers.

    ``arrays`` by analysis: ``slope``/``aspect`` (float32 degrees; aspect -1 on flat
    ground), ``visible``/``in_range`` (viewshed), ``count`` (coverage, uint16),
    ``mask``/``irradiance`` (solar). ``problem`` says why there is none.
    """

    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    summary: dict[str, float] = field(default_factory=dict)
    problem: str = ""

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays."""
        return sum(int(a.nbytes) for a in self.arrays.values())


def cell_area_km2(grid: RasterGrid) -> float:
    """Area of one cell in km2 (the grid is metric)."""
    a, e = grid.resolution
    return a * e / 1e6


def _in_range(grid: RasterGrid, x: float, y: float, radius: float) -> np.ndarray:
    """Cells whose centre is within ``radius`` of the centre of the cell holding (x, y)."""
    a, _, c, _, e, f = grid.transform
    col, row = math.floor((x - c) / a), math.floor((y - f) / e)
    rows, cols = grid.shape
    dc = (np.arange(cols) - col) * a
    dr = (np.arange(rows) - row) * e
    return (dr[:, None] ** 2 + dc[None, :] ** 2 <= radius * radius) & np.isfinite(grid.values)


def _slope_aspect(grid: RasterGrid, **watch: Any) -> AnalysisResult:
    from twinscape.geo.slope import slope_aspect  # noqa: PLC0415 - numba-free, but heavy

    slope, aspect = slope_aspect(grid.values, grid.resolution, flat=-1.0, **watch)
    valid = slope[np.isfinite(slope)]
    if valid.size == 0:
        return AnalysisResult(problem="the terrain has no cell with a slope")
    flat = np.count_nonzero(aspect == -1.0)
    summary = {
        "min_deg": float(valid.min()), "max_deg": float(valid.max()),
        "mean_deg": float(valid.mean()), "flat_pct": float(100.0 * flat / valid.size),
    }  # fmt: skip
    return AnalysisResult({"slope": slope, "aspect": aspect}, summary)


def _viewshed(grid: RasterGrid, inputs: Inputs, **watch: Any) -> AnalysisResult:
    from twinscape.geo.viewshed import viewshed  # noqa: PLC0415 - compiles numba on first use

    ((x, y, height),) = inputs.observers
    visible = viewshed(
        grid, (x, y), observer_height=height, target_height=inputs.target_height,
        radius=inputs.radius, curvature=inputs.curvature, refraction=inputs.refraction, **watch,
    )  # fmt: skip
    in_range = _in_range(grid, x, y, inputs.radius)
    seen = int(np.count_nonzero(visible))
    summary = {
        "visible_km2": seen * cell_area_km2(grid),
        "visible_pct": 100.0 * seen / max(int(np.count_nonzero(in_range)), 1),
        "observer_height_m": float(height),
    }
    return AnalysisResult({"visible": visible, "in_range": in_range}, summary)


def _coverage(grid: RasterGrid, inputs: Inputs, **watch: Any) -> AnalysisResult:
    import shapely  # noqa: PLC0415

    from twinscape.geo.viewshed_coverage import (  # noqa: PLC0415
        coverage_fraction,
        cumulative_viewshed,
    )

    count = cumulative_viewshed(
        grid, list(inputs.observers), target_height=inputs.target_height, radius=inputs.radius,
        curvature=inputs.curvature, refraction=inputs.refraction, **watch,
    )  # fmt: skip
    seen = int(np.count_nonzero(count))
    summary = {
        "covered_km2": seen * cell_area_km2(grid),
        "observers": float(len(inputs.observers)),
        "max_count": float(count.max()) if count.size else 0.0,
        "skipped": float(inputs.skipped),
    }
    problem = ""
    if inputs.area is not None:
        try:
            fraction = coverage_fraction(count, grid, shapely.Polygon(inputs.area))
            summary["area_pct"] = 100.0 * fraction
        except ValueError as err:
            problem = str(err)
    return AnalysisResult({"count": count}, summary, problem)


def _exclusion_polygons(inputs: Inputs) -> list[Any]:
    """Shapely polygons of the exclusion rings and footprints."""
    import shapely  # noqa: PLC0415

    polygons = [shapely.Polygon(ring) for ring in inputs.exclusions]
    for source in inputs.footprints:  # thousands of buildings: one multipolygon
        shapes = [g for g in np.asarray(source.obj, dtype=object).ravel() if g is not None]
        parts = [p for p in shapely.get_parts(shapes) if p.geom_type == "Polygon"]
        if parts:
            polygons.append(shapely.MultiPolygon(parts))
    return polygons


def _solar(grid: RasterGrid, inputs: Inputs, **watch: Any) -> AnalysisResult:
    from twinscape.geo.solar import solar_suitability  # noqa: PLC0415 - pvlib is heavy

    result = solar_suitability(
        grid, max_slope_deg=inputs.max_slope_deg,
        aspect_tolerance_deg=inputs.aspect_tolerance_deg, year=inputs.year,
        exclusions=_exclusion_polygons(inputs), **watch,
    )  # fmt: skip
    mask = np.asarray(result.mask, bool)
    arrays = {"mask": mask}
    summary = {"suitable_km2": float(result.area_km2)}
    irradiance = getattr(result, "irradiance", None)
    if irradiance is not None:
        irr = np.asarray(irradiance, np.float32)
        arrays["irradiance"] = irr
        shown = irr[mask & np.isfinite(irr)]
        if shown.size:
            summary.update(
                irradiance_kwh_m2=float(shown.mean()), irradiance_min=float(shown.min()),
                irradiance_max=float(shown.max()),
            )  # fmt: skip
    return AnalysisResult(arrays, summary)


def compute(
    plan: Plan,
    *,
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> AnalysisResult:
    """The raw result of ``plan`` on its ground grid (any thread; LoadCancelled if cancelled).

    A refusal of the analysis (an observer outside the terrain, an area holding no cell)
    is a result with its ``problem``, not an exception.
    """
    watch = {"progress": progress, "cancelled": cancelled}
    grid, inputs = plan.ground_grid(), plan.inputs
    try:
        if inputs.analysis in ("slope", "aspect"):
            return _slope_aspect(grid, **watch)
        if inputs.analysis == "viewshed":
            return _viewshed(grid, inputs, **watch)
        if inputs.analysis == "coverage":
            return _coverage(grid, inputs, **watch)
        return _solar(grid, inputs, **watch)
    except LoadCancelled:
        raise
    except ValueError as err:
        return AnalysisResult(problem=str(err).removeprefix("viewshed: "))
