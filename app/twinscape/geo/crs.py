"""Coordinate reference systems: pick, normalise, describe and transform (pyproj).

Every CRS Twinscape stores is a string: ``"EPSG:nnnn"`` when the CRS has an
EPSG code, otherwise WKT2. Functions here accept anything pyproj understands
(``"EPSG:32636"``, ``32636``, WKT, PROJ strings, ``pyproj.CRS``, rasterio CRS)
and raise :class:`ValueError` with a readable message for anything else.
"""

from __future__ import annotations

import math
from typing import Any, overload

import numpy as np
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as PyprojCRSError
from pyproj.exceptions import ProjError

#: Confidence (0-100) pyproj must have before a CRS is written as its EPSG code.
EPSG_MIN_CONFIDENCE = 70

_METRE_NAMES = frozenset({"metre", "meter", "m"})


def utm_crs_for(lon: float, lat: float) -> str:
    """Return the WGS 84 UTM zone CRS containing a point.

    Parameters
    ----------
    lon, lat
        Degrees (WGS 84). Longitudes are wrapped into (-180, 180]; 180 and -180
        (the same meridian) give zone 60.

    Returns
    -------
    str
        ``"EPSG:326zz"`` north of the equator, ``"EPSG:327zz"`` south of it;
        the Norway (32V) and Svalbard (31X-37X) exceptions are honoured.
    """
    if not (math.isfinite(lon) and math.isfinite(lat)) or not -90.0 <= lat <= 90.0:
        raise ValueError(f"({lon}, {lat}) is not a valid longitude/latitude in degrees")
    lon = 180.0 - (180.0 - lon) % 360.0  # wrap into (-180, 180]: 180 is zone 60's edge
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    zone = _special_zone(lon, lat) or zone
    return f"EPSG:{32600 + zone}" if lat >= 0.0 else f"EPSG:{32700 + zone}"


def _special_zone(lon: float, lat: float) -> int | None:
    """The zone of the Norway / Svalbard exceptions, or None elsewhere."""
    if 56.0 <= lat < 64.0 and 3.0 <= lon < 12.0:
        return 32
    if 72.0 <= lat <= 84.0 and 0.0 <= lon < 42.0:
        for edge, zone in ((9.0, 31), (21.0, 33), (33.0, 35), (42.0, 37)):
            if lon < edge:
                return zone
    return None


def to_pyproj(crs: Any) -> CRS:
    """Parse anything pyproj understands into a :class:`pyproj.CRS`.

    Raises
    ------
    ValueError
        When ``crs`` is empty or not a CRS; the message quotes the input.
    """
    if isinstance(crs, CRS):
        return crs
    if crs is None or (isinstance(crs, str) and not crs.strip()):
        raise ValueError("no coordinate reference system given (empty value)")
    try:
        return CRS.from_user_input(crs)
    except (PyprojCRSError, TypeError, ValueError) as err:
        shown = repr(crs) if len(repr(crs)) <= 80 else repr(crs)[:77] + "...'"
        raise ValueError(
            f"{shown} is not a coordinate reference system (write e.g. EPSG:32636): {err}"
        ) from err


def normalize_crs(crs: Any) -> str:
    """Return ``"EPSG:nnnn"`` when the CRS has a confident EPSG code, else WKT2.

    A compound CRS whose parts both have codes becomes ``"EPSG:h+v"``.
    """
    parsed = to_pyproj(crs)
    code = _epsg_code(parsed)
    return f"EPSG:{code}" if code is not None else parsed.to_wkt()


def _epsg_code(crs: CRS) -> str | None:
    """``"32636"``, ``"32636+5773"`` for compounds, or None without a confident code."""
    code = crs.to_epsg(min_confidence=EPSG_MIN_CONFIDENCE)
    if code is not None:
        return str(code)
    if crs.is_compound and len(crs.sub_crs_list) == 2:
        parts = [sub.to_epsg(min_confidence=EPSG_MIN_CONFIDENCE) for sub in crs.sub_crs_list]
        if None not in parts:
            return f"{parts[0]}+{parts[1]}"
    return None


def same_crs(a: Any, b: Any) -> bool:
    """True when two CRS inputs describe the same CRS (axis order ignored)."""
    pa, pb = to_pyproj(a), to_pyproj(b)
    return normalize_crs(pa) == normalize_crs(pb) or pa.equals(pb, ignore_axis_order=True)


def horizontal_crs(crs: Any) -> CRS:
    """The horizontal part of a CRS (the first component of a compound CRS)."""
    parsed = to_pyproj(crs)
    if parsed.is_compound and parsed.sub_crs_list:
        return parsed.sub_crs_list[0]
    return parsed


def is_projected_metric(crs: Any) -> bool:
    """True when the (horizontal) CRS is projected with both axes in metres."""
    horizontal = horizontal_crs(crs)
    if not horizontal.is_projected:
        return False
    axes = horizontal.axis_info[:2]
    return len(axes) == 2 and all(
        axis.unit_name.lower() in _METRE_NAMES and axis.unit_conversion_factor == 1.0
        for axis in axes
    )


def crs_label(crs: Any) -> str:
    """A short human label: ``"EPSG:32636 WGS 84 / UTM zone 36N"`` or just the name."""
    parsed = to_pyproj(crs)
    code = _epsg_code(parsed)
    name = parsed.name or "unnamed CRS"
    return f"EPSG:{code} {name}" if code is not None else name


class LonLatTransformer:
    """Convert between a project CRS and WGS 84 longitude/latitude (x = lon, y = lat).

    Parameters
    ----------
    project_crs
        Any CRS pyproj understands (usually the project's ``"EPSG:326zz"``).
    """

    def __init__(self, project_crs: Any) -> None:
        self.crs = normalize_crs(project_crs)
        parsed = to_pyproj(project_crs)
        try:
            self._to_lonlat = Transformer.from_crs(parsed, "EPSG:4326", always_xy=True)
            self._from_lonlat = Transformer.from_crs("EPSG:4326", parsed, always_xy=True)
        except ProjError as err:  # e.g. a local engineering CRS: not tied to the Earth
            raise ValueError(
                f"{crs_label(parsed)} cannot be converted to longitude/latitude: {err}"
            ) from err

    @overload
    def to_lonlat(self, x: float, y: float) -> tuple[float, float]: ...
    @overload
    def to_lonlat(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...

    def to_lonlat(self, x: Any, y: Any) -> tuple[Any, Any]:
        """Project coordinates -> (lon, lat) degrees; floats in, floats out."""
        return _transform(self._to_lonlat, x, y)

    @overload
    def from_lonlat(self, lon: float, lat: float) -> tuple[float, float]: ...
    @overload
    def from_lonlat(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...

    def from_lonlat(self, lon: Any, lat: Any) -> tuple[Any, Any]:
        """(lon, lat) degrees -> project coordinates; floats in, floats out."""
        return _transform(self._from_lonlat, lon, lat)

    def __repr__(self) -> str:
        return f"LonLatTransformer({self.crs!r})"


def _transform(transformer: Transformer, a: Any, b: Any) -> tuple[Any, Any]:
    """Run ``transformer`` on scalars (-> floats) or arrays (-> float64 arrays)."""
    if np.ndim(a) == 0 and np.ndim(b) == 0:
        u, v = transformer.transform(float(a), float(b))
        return float(u), float(v)
    a_arr, b_arr = np.broadcast_arrays(
        np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    )
    u, v = transformer.transform(a_arr, b_arr)
    return np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64)
