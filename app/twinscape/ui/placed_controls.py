"""Styling panel of a placed-assets layer: opacity, its catalogue files and a summary.

Assets themselves are placed and edited in the Infrastructure dock and the 3D view
(ui/placement_dock.py, ui/placement_tool.py); this panel says what the layer holds:
how many assets of each entry, how many break a design limit, their total length,
area and earthworks.
"""

from __future__ import annotations

import html
import math

from twinscape.geo.design_checks import assess_layer
from twinscape.model.placed import PlacedAssetsLayer
from twinscape.ui.controls_common import LayerControls, breakable, info_table
from twinscape.ui.project_watch import ProjectWatcher


class PlacedControls(LayerControls):
    """Opacity and the facts of a placed-assets layer."""

    def __init__(self, layer: PlacedAssetsLayer, watcher: ProjectWatcher) -> None:
        super().__init__(layer)
        self.arrange()
        self.follow(watcher, style=False)

    def show_values(self) -> None:
        """Nothing to set besides the opacity (the base class does it)."""

    def info_html(self) -> str:
        """Assets per entry, problems, totals and catalogue files."""
        layer = self.layer
        assert isinstance(layer, PlacedAssetsLayer)
        rows = [(html.escape(line.split(" x ", 1)[1]) if " x " in line else "Assets",
                 html.escape(line.split(" x ", 1)[0]) if " x " in line else html.escape(line))
                for line in layer.describe()]
        if layer.catalogue is not None and layer.assets:
            reports = assess_layer(layer).values()
            bad = sum(r.status == "fail" for r in reports)
            near = sum(r.status == "warn" for r in reports)
            length = sum(r.length_m for r in reports)
            area = sum(r.area_m2 for r in reports)
            cut = sum(r.cut_m3 for r in reports if math.isfinite(r.cut_m3))
            fill = sum(r.fill_m3 for r in reports if math.isfinite(r.fill_m3))
            rows += [("Invalid", str(bad)), ("Near a limit", str(near)),
                     ("Total length", f"{length / 1000:,.2f} km"),
                     ("Total area", f"{area / 1e6:,.3f} km\u00b2"),
                     ("Cut / fill", f"{cut:,.0f} / {fill:,.0f} m\u00b3")]
        for path in layer.catalogue_files:
            rows.append(("Catalogue file", breakable(str(path))))
        return info_table(rows)
