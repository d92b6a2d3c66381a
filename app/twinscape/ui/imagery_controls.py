"""The panel of an imagery layer: brightness, contrast and opacity, and what the file is."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from twinscape.model.imagery import ImageryLayer
from twinscape.ui.controls_common import (
    LayerControls,
    PercentSlider,
    breakable,
    form_group,
    info_table,
)
from twinscape.ui.project_watch import ProjectWatcher


def signed_slider(name: str, tip: str) -> PercentSlider:
    """A -100..100 % slider named ``name``, applied when released (each step recolours)."""
    slider = PercentSlider(live=False)
    slider.setObjectName(name)
    slider.slider.setRange(-100, 100)
    slider.slider.setToolTip(tip)
    slider.label.setMinimumWidth(slider.label.fontMetrics().horizontalAdvance("-100 %") + 4)
    return slider


class ImageryControls(LayerControls):
    """The panel of one :class:`~twinscape.model.imagery.ImageryLayer`."""

    layer: ImageryLayer

    def __init__(
        self, layer: ImageryLayer, watcher: ProjectWatcher, parent: QWidget | None = None
    ) -> None:
        super().__init__(layer, parent)
        self.brightness = signed_slider(
            "brightness", "Lighter (right) or darker (left); 0 % shows the image as it is"
        )
        self.contrast = signed_slider(
            "contrast", "More (right) or less (left) contrast around mid-grey; 0 % as it is"
        )
        picture = form_group(
            "Picture", [("Brightness", self.brightness), ("Contrast", self.contrast)]
        )
        self.arrange(picture)
        self.brightness.slider.valueChanged.connect(
            lambda _v: self.write_layer("brightness", self.brightness.fraction())
        )
        self.contrast.slider.valueChanged.connect(
            lambda _v: self.write_layer("contrast", self.contrast.fraction())
        )
        self.follow(watcher, style=False)

    def show_values(self) -> None:
        """The layer's settings into the widgets."""
        self.brightness.set_fraction(self.layer.brightness)
        self.contrast.set_fraction(self.layer.contrast)

    def info_html(self) -> str:
        """Source, CRS, pixels and how they become colours."""
        layer, info = self.layer, self.layer.image
        rows = [("Source", breakable(str(layer.source)))]
        if info is None:
            return info_table([*rows, ("Data", "not loaded")])
        colours = {"rgb": "RGB", "palette": "paletted", "gray": "grey"}[info.mode]
        overviews = ", ".join(str(f) for f in info.overviews) or "none (slower when zoomed out)"
        return info_table(
            [
                *rows,
                ("CRS", breakable(info.source_crs)),
                ("Pixels", f"{info.shape[1]} \u00d7 {info.shape[0]}, {info.resolution:.3g} m"),
                ("Bands", f"{colours} {info.dtype}"
                 + (", stretched to 8 bits" if info.stretch else "")),
                ("Transparency", info.transparency),
                ("Overviews", overviews),
                ("Drawn", "as the colours of the terrain below it"),
            ]
        )  # fmt: skip
