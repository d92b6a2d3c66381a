"""What the placing and editing tools draw while they work: previews, sketches, messages.

An asset being placed or dragged is not in its layer yet: the layer's visual draws it
as a translucent preview coloured by its assessment (geo/design_checks.py, without
earthworks, which take most of a second on a long road), and the vertices clicked so
far as a sketch. Lines clicked for an analysis (a profile) go to the window's
measure overlay instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from twinscape.geo.design_checks import assess
from twinscape.model.placed import Assessment, PlacedAsset, PlacedAssetsLayer, assets_of


class AssetPreview:
    """Previews of one main window's placed-assets layers."""

    def __init__(self, window: Any) -> None:
        self.window = window
        #: The assessment of the last asset previewed (for the status bar and tests).
        self.last: Assessment | None = None

    def visual(self, layer: PlacedAssetsLayer | None) -> Any:
        """The visual drawing ``layer``, or None."""
        scene = self.window.viewport.scene
        if scene is None or layer is None:
            return None
        return scene.visuals.get(id(layer))

    def show(self, layer: PlacedAssetsLayer, asset: PlacedAsset) -> str:
        """Draw ``asset`` as ``layer``'s preview; returns a one-line status of its fit."""
        report = (assess(asset, layer.catalogue, layer.ground, obstacles=layer.obstacles,
                         earthworks=False)
                  if layer.catalogue else None)
        self.last = report
        visual = self.visual(layer)
        if visual is not None:
            visual.set_preview(asset, report)
        self.window.viewport.request_render()
        title = layer.entry_of(asset)
        if report is None:
            return title
        if report.issues:
            return f"{title} ({report.status}): {report.issues[0]}"
        return f"{title}: ok"

    def sketch(self, layer: PlacedAssetsLayer | None, points: np.ndarray | None) -> None:
        """Draw the vertices clicked so far (world (N, 3)) on ``layer``'s visual."""
        visual = self.visual(layer)
        if visual is not None:
            visual.set_preview(None, None)
            visual.set_sketch(points)
        self.window.viewport.request_render()

    def measure(self, points: np.ndarray | None) -> None:
        """Draw a line clicked for an analysis (world (N, 3)); None removes it."""
        self.window.measure_overlay.show_line(points)
        self.window.viewport.request_render()

    def clear(self) -> None:
        """Remove every preview, sketch and measuring line."""
        self.window.measure_overlay.show_line(None)
        for layer in assets_of(self.window.project.layers):
            visual = self.visual(layer)
            if visual is not None:
                visual.set_preview(None, None)
                visual.set_sketch(None)
        self.window.viewport.request_render()
