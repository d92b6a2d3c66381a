"""Colours of analysis results and their legends (numpy only, any thread).

- slope: classes between the layer's breaks, coloured along its ramp (``traffic``:
  green on gentle ground, yellow, red on cliffs);
- aspect: eight compass classes on a circular palette (north red, east yellow, south
  cyan, west blue), flat ground grey;
- viewshed: visible cells green, hidden cells within range a translucent dark veil,
  cells out of range clear;
- coverage: cells seen by nobody clear, by 1..N observers a sequential ramp;
- solar: suitable cells yellow to orange-red with their annual irradiance, the rest clear.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from twinscape.model.analysis import AnalysisLayer
from twinscape.render.colormaps import Stops, ramp_lut

RGBA = tuple[int, int, int, int]

#: Slope ramps by name (every name of ``model.analysis.SLOPE_RAMPS``).
SLOPE_STOPS: dict[str, Stops] = {
    "traffic": (
        (0.00, (26, 150, 65)),  # green
        (0.25, (166, 217, 106)),
        (0.50, (255, 230, 90)),  # yellow
        (0.75, (253, 141, 60)),
        (1.00, (215, 25, 28)),  # red
    ),
    "viridis": (
        (0.00, (68, 1, 84)),
        (0.25, (59, 82, 139)),
        (0.50, (33, 145, 140)),
        (0.75, (94, 201, 98)),
        (1.00, (253, 231, 37)),
    ),
    "greys": ((0.00, (245, 245, 245)), (1.00, (30, 30, 30))),
}
#: Compass classes of aspect, clockwise from north, with their circular palette.
ASPECT_CLASSES: tuple[tuple[str, tuple[int, int, int]], ...] = (
    ("North", (230, 40, 40)),
    ("North-east", (250, 150, 30)),
    ("East", (245, 230, 40)),
    ("South-east", (80, 200, 60)),
    ("South", (40, 200, 210)),
    ("South-west", (40, 130, 230)),
    ("West", (60, 50, 210)),
    ("North-west", (200, 50, 200)),
)
FLAT_RGB = (150, 150, 150)
VISIBLE_RGBA: RGBA = (30, 210, 70, 255)
HIDDEN_RGBA: RGBA = (20, 20, 40, 110)
#: Coverage ramp: one observer pale yellow, many dark blue.
COVERAGE_STOPS: Stops = (
    (0.00, (255, 237, 120)),
    (0.35, (120, 200, 110)),
    (0.70, (40, 150, 190)),
    (1.00, (35, 50, 150)),
)
#: Solar suitability: low irradiance yellow, high orange-red.
SOLAR_STOPS: Stops = ((0.00, (255, 225, 60)), (1.00, (240, 90, 20)))
#: Most coverage classes the legend lists one by one (more are grouped).
MAX_COVERAGE_CLASSES = 8


def ramp_colours(stops: Stops, n: int) -> np.ndarray:
    """uint8 (n, 3) colours evenly spaced along ``stops`` (one class: its first colour)."""
    if n <= 1:
        return np.asarray([stops[0][1]], np.uint8)[:n]
    lut = ramp_lut(stops, 256)
    index = np.round(np.linspace(0, 255, n)).astype(int)
    return np.round(lut[index]).astype(np.uint8)


def slope_palette(ramp: str, breaks: Sequence[float]) -> np.ndarray:
    """uint8 (classes, 3) colours of the slope classes."""
    return ramp_colours(SLOPE_STOPS[ramp], len(breaks) - 1)


def slope_rgba(slope: np.ndarray, ramp: str, breaks: Sequence[float]) -> np.ndarray:
    """uint8 (rows, cols, 4) of slope degrees (NaN clear), classed by ``breaks``."""
    palette = slope_palette(ramp, breaks)
    inner = np.asarray(breaks[1:-1], np.float32)
    valid = np.isfinite(slope)
    index = np.searchsorted(inner, np.where(valid, slope, 0.0), side="right")
    rgba = np.zeros((*slope.shape, 4), np.uint8)
    rgba[..., :3] = palette[index]
    rgba[..., 3] = np.where(valid, 255, 0)
    return rgba


def aspect_rgba(aspect: np.ndarray) -> np.ndarray:
    """uint8 (rows, cols, 4) of aspect degrees (negative: flat, grey; NaN clear)."""
    palette = np.asarray([rgb for _, rgb in ASPECT_CLASSES] + [FLAT_RGB], np.uint8)
    valid = np.isfinite(aspect)
    a = np.where(valid, aspect, 0.0)
    index = np.where(a < 0, 8, (np.floor((a + 22.5) / 45.0).astype(np.int64)) % 8)
    rgba = np.zeros((*aspect.shape, 4), np.uint8)
    rgba[..., :3] = palette[index]
    rgba[..., 3] = np.where(valid, 255, 0)
    return rgba


def viewshed_rgba(visible: np.ndarray, in_range: np.ndarray) -> np.ndarray:
    """uint8 (rows, cols, 4): visible green, hidden in range dark and translucent."""
    rgba = np.zeros((*visible.shape, 4), np.uint8)
    rgba[in_range] = HIDDEN_RGBA
    rgba[visible > 0] = VISIBLE_RGBA
    return rgba


def coverage_palette(n: int) -> np.ndarray:
    """uint8 (n, 3) colours of counts 1..n."""
    return ramp_colours(COVERAGE_STOPS, max(n, 1))


def coverage_rgba(count: np.ndarray, n: int) -> np.ndarray:
    """uint8 (rows, cols, 4) of observer counts: 0 clear, 1..n along the coverage ramp."""
    palette = coverage_palette(n)
    seen = count > 0
    index = np.clip(count.astype(np.int64), 1, max(n, 1)) - 1
    rgba = np.zeros((*count.shape, 4), np.uint8)
    rgba[..., :3] = palette[index]
    rgba[..., 3] = np.where(seen, 255, 0)
    return rgba


def solar_rgba(
    mask: np.ndarray, irradiance: np.ndarray | None, irradiance_range: tuple[float, float] | None
) -> np.ndarray:
    """uint8 (rows, cols, 4): suitable cells by irradiance (yellow low, orange high), rest clear."""
    rgba = np.zeros((*mask.shape, 4), np.uint8)
    suitable = mask.astype(bool)
    lut = ramp_lut(SOLAR_STOPS, 256)
    if irradiance is None or irradiance_range is None:
        rgb = np.round(lut[200]).astype(np.uint8)
        rgba[suitable, :3] = rgb
    else:
        low, high = irradiance_range
        t = (np.asarray(irradiance, np.float32)[suitable] - low) / max(high - low, 1e-6)
        index = np.clip(np.nan_to_num(t) * 255, 0, 255).astype(np.int64)
        rgba[suitable, :3] = np.round(lut[index]).astype(np.uint8)
    rgba[suitable, 3] = 255
    return rgba


def _rgba(rgb: Sequence[int], alpha: int = 255) -> RGBA:
    return int(rgb[0]), int(rgb[1]), int(rgb[2]), int(alpha)


def analysis_legend(layer: AnalysisLayer) -> list[tuple[str, RGBA]]:
    """The legend of ``layer``'s picture: ``(label, RGBA)`` per class, as drawn."""
    kind = layer.analysis
    if kind == "slope":
        palette = slope_palette(layer.ramp, layer.breaks)
        b = layer.breaks
        return [(f"{b[i]:g}\u2013{b[i + 1]:g}\u00b0", _rgba(rgb)) for i, rgb in enumerate(palette)]
    if kind == "aspect":
        return [(name, _rgba(rgb)) for name, rgb in ASPECT_CLASSES] + [("Flat", _rgba(FLAT_RGB))]
    if kind == "viewshed":
        return [("Visible", VISIBLE_RGBA), ("Hidden (within range)", HIDDEN_RGBA)]
    if kind == "coverage":
        n = int(layer.summary.get("max_count", 0)) or max(len(layer.observers), 1)
        palette = coverage_palette(n)
        if n <= MAX_COVERAGE_CLASSES:
            return [(f"Seen by {i + 1}", _rgba(rgb)) for i, rgb in enumerate(palette)]
        picks = np.unique(np.round(np.linspace(0, n - 1, MAX_COVERAGE_CLASSES)).astype(int))
        return [(f"Seen by {i + 1}", _rgba(palette[i])) for i in picks]
    lut = ramp_lut(SOLAR_STOPS, 256)
    low = layer.summary.get("irradiance_min")
    high = layer.summary.get("irradiance_max")
    if low is None or high is None:
        return [("Suitable", _rgba(np.round(lut[200])))]
    return [
        (f"Suitable, {low:.0f} kWh/m2/yr", _rgba(np.round(lut[0]))),
        (f"Suitable, {high:.0f} kWh/m2/yr", _rgba(np.round(lut[255]))),
    ]
