"""Analysis results as layers: slope, aspect, viewshed, coverage and solar suitability.

An :class:`AnalysisLayer` reads no file: it holds the settings of one analysis of the
terrain it lies on (the topmost ground layer below it) and its inputs by reference (a
placed tower by its layer and asset ids, a placed-assets layer, an exclusions layer),
so it is saved in the project and recomputed whenever an input changes (the terrain,
a setting, a tower that moved). It is a *drape* (``drapes = True``): render/ computes
it on the terrain's full-resolution grid off the GUI thread and paints it into the
terrain's colours. The headline numbers of the last result (visible area, percentage
covered, suitable area, slope range) are :attr:`AnalysisLayer.summary`, a data field
set on the GUI thread when a result is ready: derived, never saved, never an edit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

from psygnal import evented

from twinscape.model.layers import Layer

#: The analyses an :class:`AnalysisLayer` can hold.
ANALYSES: tuple[str, ...] = ("slope", "aspect", "viewshed", "coverage", "solar")
#: Titles of the analyses (menus, tooltips).
ANALYSIS_TITLES: dict[str, str] = {
    "slope": "Slope",
    "aspect": "Aspect",
    "viewshed": "Viewshed",
    "coverage": "Coverage (cumulative viewshed)",
    "solar": "Solar suitability",
}
#: Colour ramps of slope classes (``traffic``: green, yellow, red).
SLOPE_RAMPS: tuple[str, ...] = ("traffic", "viridis", "greys")
#: Default slope class breaks in degrees (the first is 0, the last 90).
SLOPE_BREAKS: tuple[float, ...] = (0.0, 5.0, 10.0, 15.0, 20.0, 30.0, 45.0, 90.0)
#: Limits of the viewshed radius and of observer and target heights (m).
RADIUS_RANGE = (10.0, 200_000.0)
HEIGHT_RANGE = (0.0, 1_000.0)
#: Limits of the refraction coefficient.
REFRACTION_RANGE = (-1.0, 1.0)
#: Limits of the solar slope limit and aspect tolerance (degrees).
SOLAR_SLOPE_RANGE = (0.0, 60.0)
ASPECT_TOLERANCE_RANGE = (0.0, 180.0)
#: Years the solar irradiance may be computed for.
YEAR_RANGE = (1950, 2100)

Ring = tuple[tuple[float, float], ...]


def _ring(points: object, what: str) -> Ring:
    """A polygon ring of finite (x, y) vertices (at least three), closing vertex dropped."""
    try:
        ring = tuple((float(x), float(y)) for x, y in points)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise ValueError(f"{what}: must be a list of (x, y) vertices") from None
    if len(ring) > 3 and ring[0] == ring[-1]:
        ring = ring[:-1]
    if len(ring) < 3:
        raise ValueError(f"{what}: a polygon needs at least 3 vertices, got {len(ring)}")
    if not all(math.isfinite(v) for xy in ring for v in xy):
        raise ValueError(f"{what}: vertices must be finite numbers")
    return ring


def _within(name: str, value: float, limits: tuple[float, float], unit: str = "") -> None:
    if not (math.isfinite(value) and limits[0] <= value <= limits[1]):
        raise ValueError(f"{name}: {value} is not within {limits[0]:g}..{limits[1]:g}{unit}")


@evented
@dataclass(kw_only=True, eq=False)
class AnalysisLayer(Layer):
    """One analysis of the terrain below it, draped on that terrain.

    Parameters
    ----------
    analysis
        One of :data:`ANALYSES`.
    ramp, breaks
        Slope: the colour ramp (one of :data:`SLOPE_RAMPS`) and the class breaks in
        degrees, increasing from 0 to 90 (between 3 and 13 of them).
    observer
        Viewshed: the observer's world (x, y), used when ``observer_asset`` is None.
    observer_asset
        Viewshed: ``(placed-assets layer id, asset id)`` of the tower or turbine the
        viewshed is seen from (its centroid; its antenna or hub height when set).
    observer_height_m, target_height_m
        Eye height above the observer's ground and target height above each cell.
    radius_m
        Viewshed and coverage reach.
    curvature, refraction
        Lower distant cells for the earth's curvature, less the refraction coefficient.
    observers
        Coverage: ``(x, y, height)`` observers typed in.
    observers_layer
        Coverage: a placed-assets layer id; every tower and turbine in it observes.
    area
        Coverage: a polygon ring (world coordinates) whose covered percentage is reported.
    max_slope_deg, aspect_tolerance_deg
        Solar: the steepest ground allowed and how far (degrees) the slope may face
        away from the equator.
    exclusions
        Solar: polygon rings where nothing may be built.
    exclusions_layer
        Solar: id of a layer whose polygons (placed polygons, building footprints) are
        exclusions too.
    year
        Solar: the year the annual irradiance is computed over.
    summary
        Headline numbers of the last result (data field: set by render/, never saved).
    problem
        Why the last computation gave no result ("" when it did; data field).
    """

    kind: ClassVar[str] = "analysis"
    #: Drawn as colours over the terrain tiles (render/kinds ``register_drape``).
    drapes: ClassVar[bool] = True
    data_fields: ClassVar[tuple[str, ...]] = ("summary", "problem")

    analysis: str
    ramp: str = "traffic"
    breaks: tuple[float, ...] = SLOPE_BREAKS
    observer: tuple[float, float] | None = None
    observer_asset: tuple[str, str] | None = None
    observer_height_m: float = 30.0
    target_height_m: float = 0.0
    radius_m: float = 20_000.0
    curvature: bool = True
    refraction: float = 0.13
    observers: tuple[tuple[float, float, float], ...] = ()
    observers_layer: str | None = None
    area: Ring | None = None
    max_slope_deg: float = 10.0
    aspect_tolerance_deg: float = 45.0
    exclusions: tuple[Ring, ...] = ()
    exclusions_layer: str | None = None
    year: int = 2025
    opacity: float = 0.6
    summary: dict[str, float] = field(default_factory=dict)
    problem: str = ""

    def __post_init__(self) -> None:
        self.breaks = tuple(float(b) for b in self.breaks)
        if self.observer is not None:
            self.observer = (float(self.observer[0]), float(self.observer[1]))
        if self.observer_asset is not None:
            self.observer_asset = (str(self.observer_asset[0]), str(self.observer_asset[1]))
        self.observers = tuple(
            (float(x), float(y), float(h)) for x, y, h in self.observers
        )  # fmt: skip
        if self.area is not None:
            self.area = _ring(self.area, "area")
        self.exclusions = tuple(
            _ring(ring, f"exclusions[{i}]") for i, ring in enumerate(self.exclusions)
        )  # fmt: skip
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming the field when a setting is out of range."""
        if self.analysis not in ANALYSES:
            raise ValueError(f"analysis: {self.analysis!r} is not one of {', '.join(ANALYSES)}")
        if self.ramp not in SLOPE_RAMPS:
            raise ValueError(f"ramp: {self.ramp!r} is not one of {', '.join(SLOPE_RAMPS)}")
        check_breaks(self.breaks)
        if self.observer is not None and not all(math.isfinite(v) for v in self.observer):
            raise ValueError(f"observer: {self.observer} is not a finite (x, y)")
        if self.observer_asset is not None and not all(self.observer_asset):
            raise ValueError("observer_asset: needs a layer id and an asset id")
        _within("observer_height_m", self.observer_height_m, HEIGHT_RANGE, " m")
        _within("target_height_m", self.target_height_m, HEIGHT_RANGE, " m")
        _within("radius_m", self.radius_m, RADIUS_RANGE, " m")
        _within("refraction", self.refraction, REFRACTION_RANGE)
        for i, (x, y, h) in enumerate(self.observers):
            if not (math.isfinite(x) and math.isfinite(y)):
                raise ValueError(f"observers[{i}]: ({x}, {y}) is not a finite (x, y)")
            _within(f"observers[{i}]", h, HEIGHT_RANGE, " m")
        _within("max_slope_deg", self.max_slope_deg, SOLAR_SLOPE_RANGE, "\u00b0")
        _within("aspect_tolerance_deg", self.aspect_tolerance_deg, ASPECT_TOLERANCE_RANGE, "\u00b0")
        if not YEAR_RANGE[0] <= int(self.year) <= YEAR_RANGE[1]:
            raise ValueError(f"year: {self.year} is not within {YEAR_RANGE[0]}..{YEAR_RANGE[1]}")
        _within("opacity", self.opacity, (0.0, 1.0))

    @property
    def title(self) -> str:
        """What the analysis is ("Viewshed")."""
        return ANALYSIS_TITLES[self.analysis]

    def describe(self) -> list[str]:
        """The analysis, its main settings and, once computed, its headline numbers."""
        lines = [self.title + " of the terrain below"]
        if self.analysis in ("viewshed", "coverage"):
            lines.append(
                f"Radius {self.radius_m / 1000:g} km, target {self.target_height_m:g} m"
                + (", earth curvature" if self.curvature else "")
            )
        elif self.analysis == "solar":
            lines.append(
                f"Slope below {self.max_slope_deg:g}\u00b0, facing within "
                f"{self.aspect_tolerance_deg:g}\u00b0 of the equator, year {self.year}"
            )
        if self.problem:
            lines.append(f"Not computed: {self.problem}")
        lines.extend(summary_lines(self.analysis, self.summary))
        return lines


def check_breaks(breaks: tuple[float, ...]) -> None:
    """Raise ValueError unless ``breaks`` rise strictly from 0 to 90 with 3..13 values."""
    if not 3 <= len(breaks) <= 13:
        raise ValueError(f"breaks: {len(breaks)} breaks, need 3..13")
    if breaks[0] != 0.0 or breaks[-1] != 90.0:
        low, high = breaks[0], breaks[-1]
        raise ValueError(f"breaks: must start at 0 and end at 90, got {low:g}..{high:g}")
    if any(b <= a for a, b in zip(breaks, breaks[1:], strict=False)):
        raise ValueError("breaks: must increase")


def summary_lines(analysis: str, summary: dict[str, float]) -> list[str]:
    """The headline numbers of a result as text, one per line (none before it is computed)."""
    s = summary
    if not s:
        return []
    if analysis == "slope" and "max_deg" in s:
        low, high, mean = s["min_deg"], s["max_deg"], s["mean_deg"]
        return [f"Slope {low:.1f}..{high:.1f}\u00b0, mean {mean:.1f}\u00b0"]
    if analysis == "aspect" and "flat_pct" in s:
        return [f"Flat ground {s['flat_pct']:.1f} %"]
    if analysis == "viewshed" and "visible_km2" in s:
        return [
            f"Visible area {s['visible_km2']:.2f} km\u00b2 "
            f"({s['visible_pct']:.1f} % of the terrain within range)"
        ]
    if analysis == "coverage" and "covered_km2" in s:
        lines = [f"Covered area {s['covered_km2']:.2f} km\u00b2 by {int(s['observers'])} observers"]
        if "area_pct" in s:
            lines.append(f"Area covered {s['area_pct']:.1f} %")
        return lines
    if analysis == "solar" and "suitable_km2" in s:
        line = f"Suitable area {s['suitable_km2']:.2f} km\u00b2"
        if "irradiance_kwh_m2" in s:
            line += f", mean irradiance {s['irradiance_kwh_m2']:.0f} kWh/m\u00b2/year"
        return [line]
    return []
