"""Analysis layers are drapes: slope, aspect, viewshed, coverage and solar suitability.

On the GUI thread :func:`analysis_drape` resolves the layer against the project (the
terrain below it, the towers it is seen from) into a plan whose key holds everything
the picture depends on, and copies the headline numbers of a result already computed
onto the layer. The plan's ``paint`` runs on the colour worker: the analysis on the
terrain's full-resolution grid (cached by key, see render/analysis_drape.py), then
its colours on the grid being painted. Slope and aspect of a terrain read on demand
are also painted ``local`` ly: on each node finer than the window they were computed
on, from the node's own elevations, so close up they show the file's full resolution.
"""

from __future__ import annotations

import numpy as np

from twinscape.model.analysis import AnalysisLayer
from twinscape.model.layers import Layer
from twinscape.model.raster import RasterGrid
from twinscape.render.analysis_colors import analysis_legend
from twinscape.render.analysis_drape import apply_result, paint_plan, want
from twinscape.render.analysis_ground import DemWindow
from twinscape.render.analysis_local import LOCAL_ANALYSES, paint_local
from twinscape.render.analysis_plan import resolve
from twinscape.render.kinds import (
    DrapeContext,
    DrapeSource,
    Legend,
    register_drape,
    register_legend,
)


def analysis_drape(layer: Layer, context: DrapeContext) -> DrapeSource | None:
    """The analysis picture of ``layer``, or None when it cannot be computed (GUI thread)."""
    assert isinstance(layer, AnalysisLayer)
    plan = resolve(layer, context.layers)
    apply_result(layer, plan)
    if isinstance(plan, str):
        want(layer, None)
        return None
    want(layer, plan)

    def paint(grid: RasterGrid) -> np.ndarray:
        return paint_plan(plan, grid)

    def local(halo: np.ndarray, width: int, grid: RasterGrid) -> np.ndarray:
        return paint_local(plan, halo, width, grid)

    is_local = plan.inputs.analysis in LOCAL_ANALYSES and isinstance(plan.ground, DemWindow)
    return DrapeSource(key=plan.key, paint=paint, shaded=True, local=local if is_local else None)


register_drape(AnalysisLayer, analysis_drape)


def analysis_layer_legend(layer: Layer, context: DrapeContext) -> Legend | None:
    """The classes of the analysis picture (render/analysis_colors.py)."""
    assert isinstance(layer, AnalysisLayer)
    return Legend.of_classes(layer.name, analysis_legend(layer))


register_legend(AnalysisLayer, analysis_layer_legend)
