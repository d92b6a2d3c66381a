"""Colours of sensor values (numpy only): alert levels, continuous ramps, legend, shading.

``ramp = "aqi"`` colours a value by the alert levels
(:class:`~twinscape.model.sensor_style.Threshold`) of its quantity: the colour of the
highest level reached, :data:`GOOD` below the first one; a quantity without levels falls
back to a continuous ramp through the same colours. The other ramps (``viridis``,
``heat``, ``blues``) are continuous over the settings' ``value_range``, or when that is
None over the robust range (2nd to 98th percentile) of every observation of the quantity
(:func:`quantity_range`), so colours do not shift as the clock moves. No value (NaN:
none yet, or stale) is :data:`NO_DATA`, a neutral grey no ramp uses.

Glyphs are drawn with lighting off, as buildings are; :func:`face_shading` bakes the
buildings' sun (north-west, 45 degrees up) and fill light into per-face factors.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from twinscape.model.sensor_data import SensorData
from twinscape.model.sensor_style import SENSOR_RAMPS, Threshold
from twinscape.model.sensors import SensorsLayer
from twinscape.render.building_colors import (
    AMBIENT,
    BUILDING_RAMP_STOPS,
    DIFFUSE,
    FILL,
    FILL_ALTITUDE,
    FILL_AZIMUTH,
    SUN_ALTITUDE,
    SUN_AZIMUTH,
    hex_rgb,
)

RGB = tuple[int, int, int]
Stops = tuple[tuple[float, RGB], ...]

#: Below the first alert level (the EPA's "good" green, #00e400).
GOOD: RGB = (0, 228, 0)
#: No value at the clock time (none yet, or older than the layer's staleness).
NO_DATA: RGB = (178, 178, 182)
#: Mast poles.
POLE: RGB = (92, 94, 100)
#: Selected stations (their pole, or their column's sides).
HIGHLIGHT: RGB = (255, 212, 0)
#: Percentiles of the observations a ramp spans when no value range is set.
ROBUST_PERCENTILES = (2.0, 98.0)

#: Continuous ramps by name (every name of ``SENSOR_RAMPS``); "aqi" is used for
#: quantities without alert levels.
SENSOR_RAMP_STOPS: dict[str, Stops] = {
    "aqi": ((0.0, GOOD), (0.2, (255, 255, 0)), (0.4, (255, 126, 0)), (0.6, (255, 0, 0)),
            (0.8, (143, 63, 151)), (1.0, (126, 0, 35))),
    "viridis": BUILDING_RAMP_STOPS["viridis"],
    "heat": BUILDING_RAMP_STOPS["heat"],
    "blues": BUILDING_RAMP_STOPS["blues"],
}  # fmt: skip
assert set(SENSOR_RAMP_STOPS) == set(SENSOR_RAMPS), "every sensor ramp needs stops"

_LUT_SIZE = 256


def _lut(stops: Stops) -> np.ndarray:
    t = np.linspace(0.0, 1.0, _LUT_SIZE)
    pos = np.array([s[0] for s in stops])
    rgb = np.array([s[1] for s in stops], np.float64)
    table = np.stack([np.interp(t, pos, rgb[:, k]) for k in range(3)], axis=1)
    return np.clip(np.rint(table), 0, 255).astype(np.uint8)


_LUTS = {name: _lut(stops) for name, stops in SENSOR_RAMP_STOPS.items()}


class RampSettings(Protocol):
    """What colours values: a :class:`~twinscape.model.sensor_style.SensorsStyle` or a surface."""

    ramp: str
    value_range: tuple[float, float] | None


# -- ranges -------------------------------------------------------------------------
def robust_range(values: np.ndarray) -> tuple[float, float] | None:
    """(2nd, 98th) percentile of the finite ``values`` (widened when equal), None if none."""
    values = np.asarray(values, np.float64)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    lo, hi = (float(v) for v in np.percentile(finite, ROBUST_PERCENTILES))
    if hi <= lo:
        lo, hi = lo - 0.5, lo + 0.5
    return lo, hi


_RANGES: weakref.WeakKeyDictionary[SensorData, dict[str, Any]] = weakref.WeakKeyDictionary()
_RANGES_LOCK = threading.Lock()


def quantity_range(data: SensorData | None, quantity: str | None) -> tuple[float, float] | None:
    """Robust range of every observation of ``quantity`` in ``data`` (computed once per data)."""
    if data is None or quantity is None or quantity not in data.quantities:
        return None
    with _RANGES_LOCK:
        cached = _RANGES.setdefault(data, {})
        if quantity in cached:
            return cached[quantity]
    code = data.quantity_code(quantity)
    result = robust_range(data.obs_value[data.obs_quantity == code])
    with _RANGES_LOCK:
        _RANGES[data][quantity] = result
    return result


def ramp_range(
    settings: RampSettings, values: np.ndarray, data_range: tuple[float, float] | None = None
) -> tuple[float, float]:
    """The (low, high) a continuous ramp spans: the setting, the data's, else ``values``'."""
    if settings.value_range is not None:
        return float(settings.value_range[0]), float(settings.value_range[1])
    span = data_range if data_range is not None else robust_range(values)
    return span if span is not None else (0.0, 1.0)


def thresholds_of(
    quantity: str | None,
    thresholds: Mapping[str, Sequence[Threshold]] | Sequence[Threshold] | None,
) -> tuple[Threshold, ...]:
    """The alert levels of ``quantity``, ascending (``thresholds`` per quantity or already its)."""
    if thresholds is None:
        return ()
    if isinstance(thresholds, Mapping):
        levels = thresholds.get(quantity, ()) if quantity is not None else ()
    else:
        levels = thresholds
    return tuple(sorted(levels, key=lambda t: t.value))


# -- colours ------------------------------------------------------------------------
def value_fraction(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """float64 position of ``values`` in ``low..high``, clipped to 0..1 (NaN stays NaN)."""
    span = high - low if high > low else 1.0
    return np.clip((np.asarray(values, np.float64) - low) / span, 0.0, 1.0)


def value_classes(
    values: np.ndarray,
    quantity: str | None,
    settings: RampSettings,
    thresholds: Mapping[str, Sequence[Threshold]] | Sequence[Threshold] | None = None,
    *,
    data_range: tuple[float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Palette index per value and the palette: ``value_colors == palette[index]``.

    The palette is small (alert levels, or the 256 steps of a continuous ramp) and its
    last entry is :data:`NO_DATA`, so a caller can shade the palette once and colour
    any number of glyph faces with one gather. Parameters as :func:`value_colors`.

    Returns
    -------
    index
        int16 (n,) into ``palette``.
    palette
        uint8 (k, 3).
    """
    values = np.asarray(values, np.float64).ravel()
    finite = np.isfinite(values)
    v = values[finite]
    levels = thresholds_of(quantity, thresholds) if settings.ramp == "aqi" else ()
    if levels:
        limits = np.array([t.value for t in levels], np.float64)
        palette = np.array([GOOD, *(hex_rgb(t.color) for t in levels), NO_DATA], np.uint8)
        inside = np.searchsorted(limits, v, side="right")
    else:
        lo, hi = ramp_range(settings, v, data_range)
        palette = np.vstack([_LUTS[settings.ramp], np.array([NO_DATA], np.uint8)])
        inside = np.rint(value_fraction(v, lo, hi) * (_LUT_SIZE - 1)).astype(np.intp)
    index = np.full(len(values), len(palette) - 1, np.int16)  # <= 257 entries: small
    index[finite] = inside
    return index, palette


def value_colors(
    values: np.ndarray,
    quantity: str | None,
    settings: RampSettings,
    thresholds: Mapping[str, Sequence[Threshold]] | Sequence[Threshold] | None = None,
    *,
    data_range: tuple[float, float] | None = None,
) -> np.ndarray:
    """uint8 (n, 3) RGB of ``values`` (any shape, flattened) in the ramp of ``settings``.

    Parameters
    ----------
    values
        Values of ``quantity``; NaN (no value) is :data:`NO_DATA`.
    quantity
        Which alert levels apply (``"pm25"``).
    settings
        ``ramp`` and ``value_range`` (a sensors style, a sensor surface).
    thresholds
        Alert levels per quantity (``SensorsLayer.thresholds``) or those of ``quantity``.
    data_range
        Range of a continuous ramp when ``settings.value_range`` is None (normally
        :func:`quantity_range`); None: the robust range of ``values``.
    """
    index, palette = value_classes(values, quantity, settings, thresholds, data_range=data_range)
    return palette[index]


def legend_entries(
    quantity: str | None,
    settings: RampSettings,
    thresholds: Mapping[str, Sequence[Threshold]] | Sequence[Threshold] | None,
    *,
    unit: str = "",
    data_range: tuple[float, float] | None = None,
    steps: int = 5,
) -> list[tuple[str, RGB]]:
    """Legend ``(label, rgb)`` of values coloured by :func:`value_colors`, "no data" last."""
    suffix = f" {unit}" if unit else ""
    levels = thresholds_of(quantity, thresholds) if settings.ramp == "aqi" else ()
    if levels:
        entries = [(f"good (< {levels[0].value:g}{suffix})", GOOD)]
        entries += [(f"{t.level} (\u2265 {t.value:g}{suffix})", hex_rgb(t.color)) for t in levels]
    else:
        lo, hi = ramp_range(settings, np.zeros(0), data_range)
        marks = np.linspace(lo, hi, steps)
        rgb = value_colors(marks, quantity, settings, (), data_range=(lo, hi))
        entries = [(f"{m:.4g}{suffix}", tuple(int(c) for c in row)) for m, row in zip(marks, rgb)]
    entries.append(("no data", NO_DATA))
    return entries  # type: ignore[return-value]


def sensor_legend(layer: SensorsLayer) -> list[tuple[str, RGB]]:
    """Legend of a sensors layer's colours (its shown quantity, style and thresholds)."""
    quantity = layer.shown_quantity
    data = layer.data
    unit = data.units.get(quantity, "") if data is not None and quantity is not None else ""
    return legend_entries(
        quantity, layer.style, layer.thresholds, unit=unit,
        data_range=quantity_range(data, quantity),
    )  # fmt: skip


# -- shading ------------------------------------------------------------------------
def _direction(azimuth: float, altitude: float) -> np.ndarray:
    az, alt = math.radians(azimuth), math.radians(altitude)
    return np.array([math.sin(az) * math.cos(alt), math.cos(az) * math.cos(alt), math.sin(alt)])


def face_shading(normals: np.ndarray) -> np.ndarray:
    """float32 (k,) brightness of faces with unit ``normals`` (k, 3); 1 for an upward face.

    The buildings' lights (:mod:`~twinscape.render.building_colors`), so glyphs and
    buildings read alike.
    """
    n = np.asarray(normals, np.float64)
    sun, fill = _direction(SUN_AZIMUTH, SUN_ALTITUDE), _direction(FILL_AZIMUTH, FILL_ALTITUDE)
    flat = AMBIENT + DIFFUSE * sun[2] + FILL * fill[2]
    lit = AMBIENT + DIFFUSE * np.maximum(n @ sun, 0.0) + FILL * np.maximum(n @ fill, 0.0)
    return (lit / flat).astype(np.float32)


def shaded(rgb: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """uint8 (n, k, 3): each colour of ``rgb`` (n, 3) times each face factor (k,)."""
    out = np.asarray(rgb, np.float32)[:, None, :] * np.asarray(factors, np.float32)[None, :, None]
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)
