"""How a sensor layer is drawn and when it alerts: glyphs, colour ramps, threshold levels.

:class:`SensorsStyle` holds a layer's glyph, ramp, value range, size and labels;
:class:`Threshold` is one alert level, and :data:`DEFAULT_THRESHOLDS` holds the levels
common quantities start with (US EPA AQI breakpoints, WHO guidelines).
"""

from __future__ import annotations

from dataclasses import dataclass

from psygnal import evented

#: Glyph shapes of :attr:`SensorsStyle.glyph`.
GLYPHS: tuple[str, ...] = ("mast", "column")
#: Colour ramps of sensor values (render/ defines their stops).
SENSOR_RAMPS: tuple[str, ...] = ("aqi", "viridis", "heat", "blues")


@dataclass(frozen=True)
class Threshold:
    """An alert level: at or above ``value`` a sensor is at ``level`` (drawn in ``color``)."""

    level: str
    value: float
    color: str


#: Default alert levels per quantity (µg/m³; US EPA AQI breakpoints 2024 for PM2.5 and PM10,
#: WHO 2021 24-hour guidelines as the first step; NO2 and O3 in ppb as EPA's 1-hour/8-hour).
DEFAULT_THRESHOLDS: dict[str, tuple[Threshold, ...]] = {
    "pm25": (
        Threshold("WHO guideline", 15.0, "#ffff00"),
        Threshold("unhealthy for sensitive groups", 35.5, "#ff7e00"),
        Threshold("unhealthy", 55.5, "#ff0000"),
        Threshold("very unhealthy", 125.5, "#8f3f97"),
        Threshold("hazardous", 225.5, "#7e0023"),
    ),
    "pm10": (
        Threshold("WHO guideline", 45.0, "#ffff00"),
        Threshold("unhealthy for sensitive groups", 155.0, "#ff7e00"),
        Threshold("unhealthy", 255.0, "#ff0000"),
        Threshold("very unhealthy", 355.0, "#8f3f97"),
        Threshold("hazardous", 425.0, "#7e0023"),
    ),
    "no2": (
        Threshold("moderate", 54.0, "#ffff00"),
        Threshold("unhealthy for sensitive groups", 101.0, "#ff7e00"),
        Threshold("unhealthy", 361.0, "#ff0000"),
        Threshold("very unhealthy", 650.0, "#8f3f97"),
    ),
    "o3": (
        Threshold("moderate", 55.0, "#ffff00"),
        Threshold("unhealthy for sensitive groups", 71.0, "#ff7e00"),
        Threshold("unhealthy", 86.0, "#ff0000"),
        Threshold("very unhealthy", 106.0, "#8f3f97"),
    ),
}


@evented
@dataclass(kw_only=True, eq=False)
class SensorsStyle:
    """How sensors are drawn; every field is saved in the project.

    Parameters
    ----------
    glyph
        ``"mast"`` (a pole with a coloured marker) or ``"column"`` (height encodes the value).
    ramp
        Colour ramp of values, one of :data:`SENSOR_RAMPS` (``"aqi"`` uses the thresholds).
    value_range
        (low, high) the ramp spans; None fits the data of the shown quantity.
    size
        Glyph size in metres (marker diameter; mast height is 4 x size).
    labels
        Draw each station's name and value beside it.
    """

    glyph: str = "mast"
    ramp: str = "aqi"
    value_range: tuple[float, float] | None = None
    size: float = 40.0
    labels: bool = False

    def __post_init__(self) -> None:
        if self.glyph not in GLYPHS:
            raise ValueError(f"glyph: {self.glyph!r} is not one of {GLYPHS}")
        if self.ramp not in SENSOR_RAMPS:
            raise ValueError(f"ramp: {self.ramp!r} is not one of {SENSOR_RAMPS}")
        if self.value_range is not None and not self.value_range[0] < self.value_range[1]:
            raise ValueError(f"value_range: low {self.value_range[0]} must be below high")
        if not 0.1 <= self.size <= 10_000:
            raise ValueError(f"size: {self.size} is not within 0.1..10000 m")
