"""How a terrain layer looks: colour ramp, hillshade, exaggeration."""

from __future__ import annotations

from dataclasses import dataclass, fields

from psygnal import evented

from twinscape.model.raster import MAX_ABS_ELEVATION

#: Colour ramps a terrain can use; render/colormaps.py defines their stops.
COLORMAPS: tuple[str, ...] = ("desert", "mountain", "sand", "gray")

#: Style fields that change a terrain's colours; the others change its geometry only.
COLOUR_FIELDS: tuple[str, ...] = (
    "colormap",
    "elevation_range",
    "sea_ramp",
    "sea_level",
    "hillshade",
    "sun_azimuth",
    "sun_altitude",
    "sun_from_clock",
    "hillshade_strength",
)


@evented
@dataclass(kw_only=True, eq=False)
class TerrainStyle:
    """Styling of a terrain layer; every field is saved in the project.

    Parameters
    ----------
    colormap
        Name of a hypsometric ramp in :data:`COLORMAPS` for land at or above 0 m.
    elevation_range
        (low, high) metres the ramp is stretched over; ``None`` fits the data.
    sea_ramp
        Colour terrain below ``sea_level`` with the bathymetric ramp.
    sea_level
        Water level in metres for the sea ramp: 0 for the open sea, -405 for the
        Dead Sea, a reservoir's full-supply level for a dam study.
    hillshade
        Shade the colours by sun illumination.
    sun_azimuth
        Degrees clockwise from north the light comes from.
    sun_altitude
        Degrees above the horizon.
    sun_from_clock
        Light the hillshade from the sun's real position at the project clock's time
        (over the terrain's centre), dark at night; ``sun_azimuth`` and ``sun_altitude``
        keep the user's own sun for when it is off (render/sun_follow.py).
    hillshade_strength
        0 (flat colours) to 1 (full shading).
    vertical_exaggeration
        Render-time scale of heights; the model keeps true metres.
    """

    colormap: str = "desert"
    elevation_range: tuple[float, float] | None = None
    sea_ramp: bool = True
    sea_level: float = 0.0
    hillshade: bool = True
    sun_azimuth: float = 315.0
    sun_altitude: float = 45.0
    sun_from_clock: bool = False
    hillshade_strength: float = 0.65
    vertical_exaggeration: float = 1.0

    def __post_init__(self) -> None:
        self.validate()

    def copy(self) -> TerrainStyle:
        """An independent copy with the same values (its own events)."""
        return TerrainStyle(**{f.name: getattr(self, f.name) for f in fields(self)})

    def validate(self) -> None:
        """Raise ValueError naming the field when a value is out of range."""
        if self.colormap not in COLORMAPS:
            raise ValueError(f"colormap: unknown ramp {self.colormap!r}; one of {COLORMAPS}")
        if self.elevation_range is not None:
            lo, hi = self.elevation_range
            if not lo < hi:
                raise ValueError(f"elevation_range: low {lo} must be below high {hi}")
            if not -MAX_ABS_ELEVATION <= lo < hi <= MAX_ABS_ELEVATION:
                raise ValueError(
                    f"elevation_range: {lo}..{hi} m is not within \u00b1{MAX_ABS_ELEVATION:g} m"
                )
        if not -11000.0 <= self.sea_level <= 9000.0:
            raise ValueError(f"sea_level: {self.sea_level} m is not within -11000..9000")
        if not 0.0 <= self.sun_azimuth <= 360.0:
            raise ValueError(f"sun_azimuth: {self.sun_azimuth} is not within 0..360 degrees")
        if not 0.0 <= self.sun_altitude <= 90.0:
            raise ValueError(f"sun_altitude: {self.sun_altitude} is not within 0..90 degrees")
        if not isinstance(self.sun_from_clock, bool):
            raise ValueError(f"sun_from_clock: must be true or false, got {self.sun_from_clock!r}")
        if not 0.0 <= self.hillshade_strength <= 1.0:
            raise ValueError(f"hillshade_strength: {self.hillshade_strength} is not within 0..1")
        if not 0.01 <= self.vertical_exaggeration <= 100.0:
            raise ValueError(
                f"vertical_exaggeration: {self.vertical_exaggeration} is not within 0.01..100"
            )
