"""Slope and aspect of a DEM read on demand, painted from each node's own elevations.

The plan computes them once on a window of the file (at most
:data:`~twinscape.render.analysis_ground.MAX_ANALYSIS_CELLS` cells, so on a coarser
level for a large extent); a node finer than that window is painted here instead, from
its own samples and a halo around them, so close up the picture has the file's full
resolution and no seams at node edges. Same formula (geo/slope.py) and colours as the
plan's result.
"""

from __future__ import annotations

import numpy as np

from twinscape.model.raster import RasterGrid
from twinscape.render.analysis_compute import AnalysisResult
from twinscape.render.analysis_drape import colour_result, paint_plan
from twinscape.render.analysis_ground import DemWindow
from twinscape.render.analysis_plan import Plan

#: Analyses whose value at a cell depends only on the terrain around it.
LOCAL_ANALYSES = ("slope", "aspect")


def paint_local(plan: Plan, halo: np.ndarray, width: int, grid: RasterGrid) -> np.ndarray:
    """RGBA of a local analysis over ``grid`` from its own elevations (worker thread).

    ``halo``: ``grid``'s elevations with ``width`` samples more on every side. A grid
    not finer than the one the plan computes on gets :func:`paint_plan` (which also
    computes the plan's result and its headline numbers); a finer one its own slope
    and aspect, in the plan's colours, clear outside the plan's ground.
    """
    ground = plan.ground
    if not isinstance(ground, DemWindow) or plan.inputs.analysis not in LOCAL_ANALYSES:
        return paint_plan(plan, grid)
    coarse = ground.dem.level_transform(ground.level)
    if min(grid.resolution) >= 0.99 * min(abs(coarse.a), abs(coarse.e)):
        return paint_plan(plan, grid)
    from twinscape.geo.slope import slope_aspect  # noqa: PLC0415 - heavy, as analysis_compute

    slope, aspect = slope_aspect(halo, grid.resolution, flat=-1.0)
    inner = (slice(width, halo.shape[0] - width), slice(width, halo.shape[1] - width))
    result = AnalysisResult({"slope": slope[inner], "aspect": aspect[inner]}, {})
    rgba = colour_result(plan, result)
    rgba[~_inside_window(grid, ground)] = 0
    return rgba


def _inside_window(grid: RasterGrid, window: DemWindow) -> np.ndarray:
    """bool (rows, cols): ``grid``'s cells whose centres lie in ``window``'s cells."""
    coarse = window.dem.level_transform(window.level)
    xs, ys = grid.cell_centers()
    cols = (xs - coarse.c) / coarse.a - window.col
    rows = (ys - coarse.f) / coarse.e - window.row
    ok_c = (cols >= 0) & (cols < window.cols)
    ok_r = (rows >= 0) & (rows < window.rows)
    return ok_r[:, None] & ok_c[None, :]
