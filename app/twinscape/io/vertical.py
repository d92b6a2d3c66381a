"""The vertical unit and height reference of a DEM, from its band's unit and its CRS.

Two places may say what a DEM's heights are:

- the band's unit type (GDAL's ``GetUnitType``, rasterio's ``src.units``): free text
  such as ``"m"``, ``"ft"``, ``"US survey foot"``; GDAL fills it in from a GeoTIFF's
  vertical CRS;
- the CRS: the vertical part of a compound CRS (EPSG:32611+6360 is NAVD88 height in US
  survey feet), or the third axis of a geographic or projected 3D CRS (EPSG:4979 holds
  ellipsoidal heights).

When both state a length unit and they disagree, the CRS wins and the reader warns: a
CRS is a formal definition, while unit strings are free text that tools fill in loosely.
Without a vertical CRS, a unit string that is no known length is a warning too, and
the heights are taken as metres. Heights are converted to metres with the exact factors
(0.3048 m to the foot, 1200/3937 m to the US survey foot); a depth axis (positive down)
also flips the sign. A vertical CRS whose datum is unknown gives a unit but no datum.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from pyproj import CRS
from pyproj.database import get_units_map

from twinscape.geo.crs import to_pyproj
from twinscape.model.raster import MAX_ABS_ELEVATION
from twinscape.model.vertical import ELLIPSOIDAL, GRAVITY, UNKNOWN, HeightReference

FOOT_M = 0.3048
US_SURVEY_FOOT_M = 1200.0 / 3937.0

#: Unit strings seen in DEMs ("|"-separated, lower case, "_" and "-" read as spaces).
_ALIAS_GROUPS: tuple[tuple[str, str, float], ...] = (
    ("m|metre|meter|metres|meters", "metre", 1.0),
    ("ft|foot|feet|international foot|intl foot", "foot", FOOT_M),
    (
        "ftus|us ft|ft us|usft|us foot|us feet|foot us|feet us|us survey foot|us survey feet|"
        "us survey ft|survey foot|survey feet|foot (us survey)|u.s. survey foot",
        "US survey foot",
        US_SURVEY_FOOT_M,
    ),
    ("cm|centimetre|centimeter|centimetres|centimeters", "centimetre", 0.01),
    ("mm|millimetre|millimeter|millimetres|millimeters", "millimetre", 0.001),
    ("km|kilometre|kilometer|kilometres|kilometers", "kilometre", 1000.0),
)
_ALIASES: dict[str, tuple[str, float]] = {
    alias: (name, metres) for aliases, name, metres in _ALIAS_GROUPS for alias in aliases.split("|")
}
#: At most this many characters of a band's unit string are read and shown.
_SHOWN_UNIT = 40
#: Two feet this close (the foot and the US survey foot, 2 ppm apart) are no conflict.
_SAME_UNIT_RTOL = 1e-5


@dataclass(frozen=True)
class VerticalUnits:
    """How to read a DEM's heights in metres, and what they are measured from.

    Parameters
    ----------
    heights
        The height reference recorded on the grid.
    to_metres
        Factor from the file's values to metres (negative for depths).
    notes
        One-line warnings naming the file (conflicting or unknown units).
    """

    heights: HeightReference
    to_metres: float = 1.0
    notes: tuple[str, ...] = ()

    def apply(self, values: np.ndarray) -> None:
        """Convert ``values`` (float) to metres in place.

        Cells a unit larger than the metre takes beyond :data:`MAX_ABS_ELEVATION` become NaN.
        """
        if self.to_metres == 1.0:
            return
        np.multiply(values, values.dtype.type(self.to_metres), out=values)
        if abs(self.to_metres) > 1.0:
            with np.errstate(invalid="ignore"):
                values[np.abs(values) > MAX_ABS_ELEVATION] = np.nan


def unit_factor(text: str) -> tuple[str, float] | None:
    """(name, metres per unit) of a length unit string, None when it is no known length."""
    key = re.sub(r"[\s_\-]+", " ", text.strip().lower()).rstrip(".")
    return _ALIASES.get(key) or _ALIASES.get(key.replace(" ", "")) or _linear_units().get(key)


@cache
def _linear_units() -> dict[str, tuple[str, float]]:
    """EPSG's linear units by lower-case name and PROJ short name (e.g. "clarke's foot")."""
    found: dict[str, tuple[str, float]] = {}
    for name, unit in get_units_map(category="linear").items():
        entry = (name, float(unit.conv_factor))
        found[name.lower()] = entry
        if unit.proj_short_name:
            found[unit.proj_short_name.lower()] = entry
    return found


def vertical_units(path: Path, crs: Any, band_unit: str | None) -> VerticalUnits:
    """What the heights of the DEM at ``path`` are, from its CRS and its band's unit type.

    Parameters
    ----------
    path
        The file, named in the notes.
    crs
        Its CRS (or the one assumed for it), anything pyproj reads; None or one that
        cannot be read states no vertical unit (the reader reports a bad CRS itself).
    band_unit
        Band 1's unit type, empty or None when it has none.
    """
    parsed = _parse(crs)
    axis = _vertical_axis(parsed) if parsed is not None else None
    kind, datum = _reference(parsed, axis)
    band = (band_unit or "").strip()[:_SHOWN_UNIT]  # free text from the file: kept short
    band_known = unit_factor(band) if band else None
    notes: list[str] = []
    if axis is not None:
        name, factor = unit_factor(axis.unit_name) or (axis.unit_name, axis.unit_conversion_factor)
        if band_known is not None and not math.isclose(
            band_known[1], factor, rel_tol=_SAME_UNIT_RTOL
        ):
            notes.append(
                f"{path}: band unit {band!r} disagrees with its vertical CRS, which says "
                f"{name}; heights read as {name} and converted to metres"
            )
        sign = -1.0 if axis.direction.lower() == "down" else 1.0
        return VerticalUnits(HeightReference(kind, datum, name), sign * factor, tuple(notes))
    if band_known is not None:
        name, factor = band_known
        return VerticalUnits(HeightReference(kind, datum, name), factor)
    if band:
        notes.append(f"{path}: unknown height unit {band!r}; heights read as metres")
    return VerticalUnits(HeightReference(kind, datum), 1.0, tuple(notes))


def _parse(crs: Any) -> CRS | None:
    """The CRS as pyproj reads it (a bound CRS's source), None when there is none."""
    if not crs:
        return None
    try:
        parsed = to_pyproj(crs)
    except ValueError:
        return None
    return parsed.source_crs if parsed.is_bound and parsed.source_crs is not None else parsed


def _vertical_axis(crs: CRS) -> Any:
    """The up or down axis of a compound or 3D CRS (pyproj ``Axis``), None for a 2D CRS."""
    if crs.is_compound:
        parts = [sub for sub in crs.sub_crs_list if sub.is_vertical or len(sub.axis_info) == 3]
        crs = parts[-1] if parts else crs
    axes = crs.axis_info
    if crs.is_vertical and axes:
        return axes[0]
    if len(axes) == 3 and axes[2].direction.lower() in ("up", "down"):
        return axes[2]
    return None


def _reference(crs: CRS | None, axis: Any) -> tuple[str, str]:
    """(kind, datum name) of the heights: ellipsoidal, gravity-related or unknown."""
    if crs is None or axis is None:
        return UNKNOWN, ""
    if "ellipsoidal" in axis.name.lower():
        geodetic = crs.geodetic_crs
        return ELLIPSOIDAL, f"{geodetic.name} ellipsoid" if geodetic is not None else ""
    vertical = next((sub for sub in crs.sub_crs_list if sub.is_vertical), crs)
    datum = vertical.datum.name if vertical.datum is not None else ""
    if datum.strip().lower() in ("", "unknown", "unnamed"):  # a unit, but no datum
        return UNKNOWN, ""
    return GRAVITY, vertical.name
