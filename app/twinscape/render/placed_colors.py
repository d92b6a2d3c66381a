"""Colours of placed assets (numpy only): the status palette and the baked shading.

One palette says how a placement fits the ground everywhere it is drawn: a road's
segments, a failing pylon span, a red turbine, the preview of an asset being placed.
Shading is baked per triangle with the buildings' sun and fill light
(render/building_colors.py), so a turbine is lit from the same sun as the terrain
and the buildings around it (lighting is off in VTK, as for every other layer).
"""

from __future__ import annotations

import numpy as np

from twinscape.render.building_colors import (
    AMBIENT,
    DIFFUSE,
    FILL,
    FILL_ALTITUDE,
    FILL_AZIMUTH,
    HIGHLIGHT,
    SUN_ALTITUDE,
    SUN_AZIMUTH,
)

RGB = tuple[int, int, int]

#: Status of a placement (or of one segment of a line) -> colour: green, amber, red.
STATUS_RGB: dict[str, RGB] = {
    "ok": (46, 168, 72),
    "warn": (247, 163, 28),
    "fail": (226, 35, 35),
}
#: Share of the status colour in a "warn" solid (the rest is the entry's colour).
WARN_MIX = 0.75
#: Share of the selection colour in a selected asset's colours.
HIGHLIGHT_MIX = 0.55
#: Colour of the rubber band and the vertices clicked so far.
SKETCH_RGB: RGB = (255, 255, 255)

__all__ = ["HIGHLIGHT", "HIGHLIGHT_MIX", "SKETCH_RGB", "STATUS_RGB", "WARN_MIX",
           "highlighted", "shade", "status_rgb", "tinted"]


def status_rgb(status: str) -> RGB:
    """The palette colour of ``status`` ("ok", "warn", "fail"; unknown: "ok")."""
    return STATUS_RGB.get(status, STATUS_RGB["ok"])


def tinted(rgb: RGB, status: str) -> RGB:
    """The colour a solid of colour ``rgb`` is drawn with when its placement is ``status``.

    ok keeps ``rgb``, warn mixes in amber, fail is red.
    """
    if status == "fail":
        return STATUS_RGB["fail"]
    if status == "warn":
        amber = np.asarray(STATUS_RGB["warn"], np.float64)
        mixed = np.asarray(rgb, np.float64) * (1 - WARN_MIX) + amber * WARN_MIX
        r, g, b = (int(v) for v in np.rint(mixed))
        return r, g, b
    return rgb


def _direction(azimuth: float, altitude: float) -> np.ndarray:
    az, alt = np.radians(azimuth), np.radians(altitude)
    return np.array([np.sin(az) * np.cos(alt), np.cos(az) * np.cos(alt), np.sin(alt)])


def shade(rgb: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """uint8 (t, 3): ``rgb`` (t, 3) lit for unit ``normals`` (t, 3); an upward face keeps it."""
    sun, fill = _direction(SUN_AZIMUTH, SUN_ALTITUDE), _direction(FILL_AZIMUTH, FILL_ALTITUDE)
    flat = AMBIENT + DIFFUSE * sun[2] + FILL * fill[2]
    lit = np.maximum(normals @ sun, 0.0) * DIFFUSE + np.maximum(normals @ fill, 0.0) * FILL
    factor = (lit + AMBIENT) / flat
    out = np.asarray(rgb, np.float64) * factor[:, None]
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def highlighted(rgb: np.ndarray) -> np.ndarray:
    """uint8 (t, 3): colours mixed with the selection colour (a selected asset)."""
    mixed = np.asarray(rgb, np.float64) * (1 - HIGHLIGHT_MIX)
    mixed += np.asarray(HIGHLIGHT, np.float64) * HIGHLIGHT_MIX
    return np.clip(np.rint(mixed), 0, 255).astype(np.uint8)
