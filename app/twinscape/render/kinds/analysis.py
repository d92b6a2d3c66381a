"""Analysis layers are drapes: slope, aspect, viewshed, coverage and solar suitability.

On the GUI thread :func:`analysis_drape` resolves the layer against the project (the
terrain below it, the towers it is seen from) into a plan whose key holds everything
the picture depends on, and copies the headline numbers of a result already computed
onto the layer. The plan's ``paint`` runs on the colour worker: the analysis on the
terrain's full-resolution grid (cached by key, see render/analysis_drape.py), then
its colours on the grid being painted.
"""

from __future__ import annotations

import numpy as np

from twinscape.model.analysis import AnalysisLayer
from twinscape.model.layers import Layer
from twinscape.model.raster import RasterGrid
from twinscape.render.analysis_colors import analysis_legend
from twinscape.render.analysis_drape import apply_result, paint_plan, resolve, want
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

    return DrapeSource(key=plan.key, paint=paint, shaded=True)


register_drape(AnalysisLayer, analysis_drape)


def analysis_layer_legend(layer: Layer, context: DrapeContext) -> Legend | None:
    """The classes of the analysis picture (render/analysis_colors.py)."""
    assert isinstance(layer, AnalysisLayer)
    return Legend.of_classes(layer.name, analysis_legend(layer))


register_legend(AnalysisLayer, analysis_layer_legend)
