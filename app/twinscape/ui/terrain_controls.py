"""Style controls of a terrain layer: colour ramp, hillshade, exaggeration, opacity.

Widgets write to the model (``layer.style.<field> = value``) and the model's events
write back to the widgets (ui/controls_common.py), so the panel always shows the model.
While the sun follows the clock, the azimuth and altitude boxes are disabled and show
the sun at the clock's time (the style keeps the user's own values for when it is off).
"""

from __future__ import annotations

import contextlib

import numpy as np
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QCheckBox, QComboBox, QGroupBox, QWidget
from shiboken6 import isValid

from twinscape.geo.sun import SunSite
from twinscape.model.clock import ProjectClock
from twinscape.model.raster import RasterGrid
from twinscape.model.style import COLORMAPS
from twinscape.model.terrain import TerrainLayer
from twinscape.render.colormaps import RAMPS, ramp_lut
from twinscape.render.sun_follow import grid_site
from twinscape.ui.controls_common import (
    LayerControls,
    PercentSlider,
    breakable,
    form_group,
    info_table,
    spin_box,
)
from twinscape.ui.project_watch import ProjectWatcher

MINUS = "\u2212"


def ramp_icon(name: str, width: int = 72, height: int = 14) -> QIcon:
    """A swatch of the colour ramp ``name`` for the ramp combo box."""
    stops = RAMPS.get(name)
    if not stops:
        return QIcon()
    lut = ramp_lut(stops, width)
    rgb = np.ascontiguousarray(np.repeat(lut[None, :, :], height, axis=0).astype(np.uint8))
    image = QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()
    pixmap = QPixmap.fromImage(image)
    painter = QPainter(pixmap)
    painter.setPen(QColor(0, 0, 0, 90))
    painter.drawRect(0, 0, width - 1, height - 1)
    painter.end()
    return QIcon(pixmap)


def _metres(value: float) -> str:
    text = f"{abs(value):,.0f}".replace(",", " ")
    return f"{MINUS if value < 0 else ''}{text} m"


class TerrainControls(LayerControls):
    """The styling panel of one :class:`TerrainLayer`."""

    layer: TerrainLayer

    def __init__(
        self, layer: TerrainLayer, watcher: ProjectWatcher, parent: QWidget | None = None
    ) -> None:
        super().__init__(layer, parent)
        self.colormap = QComboBox()
        self.colormap.setObjectName("colormap")
        self.colormap.setIconSize(QSize(72, 14))
        for name in COLORMAPS:
            self.colormap.addItem(ramp_icon(name), name.capitalize(), name)
        self.sea_ramp = QCheckBox("Water colours below sea level")
        self.sea_ramp.setObjectName("seaRamp")
        self.sea_level = spin_box(
            "seaLevel", -11000.0, 9000.0, decimals=1, step=5.0, suffix=" m",
            tip="Water level: 0 m for the open sea, \u2212405 m for the Dead Sea, "
            "a reservoir's full-supply level for a dam study",
        )  # fmt: skip

        self.hillshade = QGroupBox("Hillshade")
        self.hillshade.setObjectName("hillshade")
        self.hillshade.setCheckable(True)
        self.sun_azimuth = spin_box(
            "sunAzimuth", 0, 360, step=15, suffix="\u00b0", wrapping=True,
            tip="Direction the light comes from, clockwise from north",
        )  # fmt: skip
        self.sun_altitude = spin_box(
            "sunAltitude", 0, 90, step=5, suffix="\u00b0",
            tip="Height of the sun above the horizon",
        )  # fmt: skip
        self.sun_from_clock = QCheckBox("Sun follows the clock")
        self.sun_from_clock.setObjectName("sunFromClock")
        self.sun_from_clock.setToolTip(
            "Light the terrain from the sun's real position over it at the project clock's "
            "time, dark at night; azimuth and altitude then show that sun"
        )
        self.strength = PercentSlider(live=False)  # each step recolours the terrain
        self.strength.setObjectName("hillshadeStrength")
        self.exaggeration = spin_box(
            "verticalExaggeration", 0.01, 100.0, decimals=2, step=0.5,  # what TerrainStyle accepts
            suffix=" \u00d7", tip="Heights are drawn this many times taller (display only)",
        )  # fmt: skip

        colour = form_group("Colour", [
            ("Colour ramp", self.colormap), ("", self.sea_ramp), ("Sea level", self.sea_level),
        ])  # fmt: skip
        form_group(self.hillshade, [
            ("", self.sun_from_clock), ("Sun azimuth", self.sun_azimuth),
            ("Sun altitude", self.sun_altitude), ("Strength", self.strength),
        ])  # fmt: skip
        self.arrange(colour, self.hillshade, rendering=[("Exaggeration", self.exaggeration)])

        self.colormap.currentIndexChanged.connect(
            lambda _i: self.write_style("colormap", self.colormap.currentData())
        )
        self.sea_ramp.toggled.connect(lambda on: self.write_style("sea_ramp", bool(on)))
        self.sea_ramp.toggled.connect(self.sea_level.setEnabled)
        self.sea_level.valueChanged.connect(lambda v: self.write_style("sea_level", float(v)))
        self.hillshade.toggled.connect(lambda on: self.write_style("hillshade", bool(on)))
        self.sun_azimuth.valueChanged.connect(lambda v: self.write_style("sun_azimuth", float(v)))
        self.sun_altitude.valueChanged.connect(lambda v: self.write_style("sun_altitude", float(v)))
        self.sun_from_clock.toggled.connect(lambda on: self.write_style("sun_from_clock", bool(on)))
        self.strength.slider.valueChanged.connect(
            lambda _v: self.write_style("hillshade_strength", self.strength.fraction())
        )
        self.exaggeration.valueChanged.connect(
            lambda v: self.write_style("vertical_exaggeration", float(v))
        )
        self._site: tuple[RasterGrid, SunSite | None] | None = None
        self._watcher = watcher
        self._clock: ProjectClock | None = None
        watcher.project_replaced.connect(self._follow_clock)
        watcher.project_changed.connect(self._on_project_field)
        self._follow_clock()
        self.follow(watcher)

    # -- model -> widgets --------------------------------------------------------------
    def show_values(self) -> None:
        style = self.layer.style
        index = self.colormap.findData(style.colormap)
        self.colormap.setCurrentIndex(max(index, 0))
        self.sea_ramp.setChecked(style.sea_ramp)
        self.sea_level.setValue(getattr(style, "sea_level", 0.0))
        self.sea_level.setEnabled(style.sea_ramp)
        self.hillshade.setChecked(style.hillshade)
        following = bool(style.sun_from_clock)
        self.sun_from_clock.setChecked(following)
        self.sun_azimuth.setEnabled(not following)
        self.sun_altitude.setEnabled(not following)
        if not self.show_clock_sun():
            self.sun_altitude.setMinimum(0)  # the style's own sun is above the horizon
            self.sun_azimuth.setValue(int(round(style.sun_azimuth)) % 360)
            self.sun_altitude.setValue(int(round(style.sun_altitude)))
        self.strength.set_fraction(style.hillshade_strength)
        self.exaggeration.setValue(style.vertical_exaggeration)

    # -- the clock's sun -----------------------------------------------------------------
    def _follow_clock(self, *_: object) -> None:
        """Listen to the watched project's clock (psygnal holds this panel weakly)."""
        if self._clock is not None:
            self._clock.events.current.disconnect(self._on_clock_time)
        project = self._watcher.project
        self._clock = None if project is None else project.clock
        if self._clock is not None:
            self._clock.events.current.connect(self._on_clock_time)
        if isValid(self) and self._clock is not None:
            self.show_clock_sun()

    def _on_project_field(self, name: str) -> None:
        if name == "clock":
            self._follow_clock()

    def _on_clock_time(self, *_: object) -> None:
        if isValid(self):  # the panel may be deleted before Python lets it go
            self.show_clock_sun()

    def clock_sun(self) -> tuple[float, float] | None:
        """(grid azimuth, apparent altitude) of the sun at the clock's time, when followed."""
        clock, grid = self._clock, self.layer.grid
        if not self.layer.style.sun_from_clock or clock is None or grid is None:
            return None
        if self._site is None or self._site[0] is not grid:
            self._site = (grid, grid_site(grid))
        site = self._site[1]
        return None if site is None else site.sun(clock.current)

    def show_clock_sun(self) -> bool:
        """Show the clock's sun in the azimuth and altitude boxes; False when not following."""
        sun = self.clock_sun()
        if sun is None:
            return False
        azimuth, altitude = sun
        with contextlib.nullcontext() if self.syncing else self._quiet():
            self.sun_altitude.setMinimum(-90)  # below the horizon at night
            self.sun_azimuth.setValue(int(round(azimuth)) % 360)
            self.sun_altitude.setValue(int(round(altitude)))
        return True

    def info_html(self) -> str:
        layer = self.layer
        rows = [
            ("Source", breakable(layer.source.name)),
            ("Folder", breakable(str(layer.source.parent))),
        ]
        if layer.source_crs:
            rows.append(("Source CRS", layer.source_crs))
        grid = layer.grid
        if grid is None:
            rows.append(("Status", "not loaded"))
        else:
            h, w = grid.shape
            rx, ry = grid.resolution
            rows.append(("Size", f"{w} \u00d7 {h} cells"))
            rows.append(("Cell size", f"{rx:g} \u00d7 {ry:g} m"))
            try:  # the range was computed once, on the loader's thread (io/dem.py)
                low, high = grid.elevation_range()
                rows.append(("Elevation", f"{_metres(low)} to {_metres(high)}"))
            except ValueError:
                rows.append(("Elevation", "no valid cells"))
            rows.append(("Heights", grid.heights.describe()))
        return info_table(rows)
