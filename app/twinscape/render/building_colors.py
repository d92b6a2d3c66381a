"""Per-triangle colours of a buildings layer (numpy only): style, classes and baked shading.

Buildings are drawn with lighting off, as the terrain is, so what is drawn is
exactly these colours. The shading is baked in once per mesh
(:func:`shading`): a sun from the north-west, 45 degrees up (the terrain's
hillshade sun), plus a weak fill light from the south-west so that walls facing
different ways read apart. The factor is normalised so that a flat roof keeps its
colour exactly: a legend entry is the colour of the roofs seen from above.

Colour schemes (:class:`~twinscape.model.buildings.BuildingsStyle`):

``single``
    ``style.color`` (a warm light stone by default); with ``semantic_colors``
    roofs are a little darker and warmer than walls and ground surfaces dark grey.
``graduated``
    A numeric column cut into equal-count (quantile) classes over a ramp of
    :data:`BUILDING_RAMP_STOPS`; missing values are a neutral grey.
``categorised``
    The :data:`MAX_CATEGORIES` most frequent values of a column, each its own colour
    of :data:`QUALITATIVE`, the rest grouped as "other".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from twinscape.model.buildings import (
    BUILDING_RAMPS,
    SURFACE_GROUND,
    SURFACE_ROOF,
    BuildingMesh,
    BuildingsLayer,
    BuildingsStyle,
)

RGB = tuple[int, int, int]
Stops = tuple[tuple[float, RGB], ...]

#: Ramps of graduated styles, light/low to dark/high (every name of ``BUILDING_RAMPS``).
BUILDING_RAMP_STOPS: dict[str, Stops] = {
    "heat": ((0.0, (255, 240, 170)), (0.35, (253, 184, 99)), (0.7, (230, 97, 50)),
             (1.0, (165, 25, 40))),
    "viridis": ((0.0, (68, 1, 84)), (0.25, (59, 82, 139)), (0.5, (33, 145, 140)),
                (0.75, (94, 201, 98)), (1.0, (253, 231, 37))),
    "blues": ((0.0, (222, 235, 247)), (0.5, (107, 174, 214)), (1.0, (8, 69, 148))),
    "greys": ((0.0, (240, 240, 240)), (0.5, (160, 160, 160)), (1.0, (60, 60, 60))),
}  # fmt: skip

#: Qualitative palette of categorised styles (Tableau 10 and a light blue).
QUALITATIVE: tuple[RGB, ...] = (
    (78, 121, 167), (242, 142, 43), (225, 87, 89), (118, 183, 178), (89, 161, 79),
    (237, 201, 72), (176, 122, 161), (255, 157, 167), (156, 117, 95), (160, 203, 232),
    (186, 176, 60),
)  # fmt: skip
#: Distinct values a categorised style shows before grouping the rest as "other".
MAX_CATEGORIES = len(QUALITATIVE)
OTHER: RGB = (176, 176, 176)
#: Buildings with no value in a graduated style.
NO_DATA: RGB = (150, 150, 150)
#: Ground surfaces (the underside of city-model buildings) with semantic colours.
GROUND: RGB = (82, 82, 82)
#: Highlighted (selected) buildings.
HIGHLIGHT: RGB = (255, 212, 0)
#: Roofs of a single-colour style with semantic colours: the colour times this.
ROOF_TINT = (0.90, 0.83, 0.76)

#: Sun (from azimuth degrees clockwise from north, altitude degrees) and light weights.
SUN_AZIMUTH, SUN_ALTITUDE = 315.0, 45.0
FILL_AZIMUTH, FILL_ALTITUDE = 225.0, 10.0
AMBIENT, DIFFUSE, FILL = 0.5, 0.5, 0.12

assert set(BUILDING_RAMP_STOPS) == set(BUILDING_RAMPS), "every building ramp needs stops"


def hex_rgb(text: str) -> RGB:
    """``"#rrggbb"`` -> (r, g, b)."""
    return int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16)


def _direction(azimuth: float, altitude: float) -> np.ndarray:
    az, alt = math.radians(azimuth), math.radians(altitude)
    return np.array([math.sin(az) * math.cos(alt), math.cos(az) * math.cos(alt), math.sin(alt)])


def triangle_normals(mesh: BuildingMesh) -> np.ndarray:
    """float32 (t, 3) unit normals (zero for degenerate triangles)."""
    v = np.asarray(mesh.vertices, np.float64)
    tri = np.asarray(mesh.triangles)
    a = v[tri[:, 0]]
    u, w = v[tri[:, 1]] - a, v[tri[:, 2]] - a  # small: float32 keeps centimetres
    u, w = u.astype(np.float32), w.astype(np.float32)
    n = np.empty_like(u)
    n[:, 0] = u[:, 1] * w[:, 2] - u[:, 2] * w[:, 1]
    n[:, 1] = u[:, 2] * w[:, 0] - u[:, 0] * w[:, 2]
    n[:, 2] = u[:, 0] * w[:, 1] - u[:, 1] * w[:, 0]
    length = np.sqrt(np.einsum("ij,ij->i", n, n))[:, None]
    return np.divide(n, length, out=np.zeros_like(n), where=length > 0)


def shading(mesh: BuildingMesh) -> np.ndarray:
    """float32 (t,) brightness factor per triangle; 1 for a flat roof.

    ``(AMBIENT + DIFFUSE * max(0, n . sun) + FILL * max(0, n . fill))`` divided by its
    value for an upward normal.
    """
    n = triangle_normals(mesh)
    sun, fill = _direction(SUN_AZIMUTH, SUN_ALTITUDE), _direction(FILL_AZIMUTH, FILL_ALTITUDE)
    flat = AMBIENT + DIFFUSE * sun[2] + FILL * fill[2]
    lit = np.maximum(n @ (sun * (DIFFUSE / flat)).astype(np.float32), 0.0)
    lit += np.maximum(n @ (fill * (FILL / flat)).astype(np.float32), 0.0)
    return lit + np.float32(AMBIENT / flat)


def ramp_colors(ramp: str, t: np.ndarray) -> np.ndarray:
    """float64 (k, 3) colours of ``ramp`` at positions ``t`` in 0..1."""
    stops = BUILDING_RAMP_STOPS[ramp]
    pos = np.array([s[0] for s in stops])
    rgb = np.array([s[1] for s in stops], np.float64)
    t = np.clip(np.asarray(t, np.float64), 0.0, 1.0)
    return np.stack([np.interp(t, pos, rgb[:, k]) for k in range(3)], axis=-1)


def roof_color(color: RGB) -> RGB:
    """The roof colour of a single-colour style with semantic colours."""
    return tuple(int(round(c * f)) for c, f in zip(color, ROOF_TINT))  # type: ignore[return-value]


# -- classes ------------------------------------------------------------------------
def _column(table: Any, name: str | None) -> Any:
    """The column ``name`` of ``table`` (a DataFrame), None when there is none."""
    if name is None or table is None or name not in getattr(table, "columns", ()):
        return None
    return table[name]


def _numeric(column: Any, n: int) -> np.ndarray:
    """float64 (n,) values of a column; NaN where missing or not a number."""
    if column is None:
        return np.full(n, np.nan)
    try:
        out = np.asarray(column.to_numpy(dtype="float64", na_value=np.nan), np.float64)
    except (TypeError, ValueError):
        out = np.full(n, np.nan)
        for i, v in enumerate(column.to_numpy(dtype=object)):
            try:
                out[i] = float(v)
            except (TypeError, ValueError):
                pass
    return np.where(np.isfinite(out), out, np.nan)


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or str(v) in ("<NA>", "NaT")


def _label_breaks(breaks: np.ndarray) -> list[str]:
    for decimals in range(1, 5):
        text = [f"{b:.{decimals}f}" for b in breaks]
        if len(set(text)) == len(text):
            break
    return [f"{lo} \u2013 {hi}" for lo, hi in zip(text[:-1], text[1:])]


def graduated_classes(values: np.ndarray, classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Equal-count breaks of finite ``values`` and the class of each value (-1 for NaN).

    Returns
    -------
    breaks
        float64 (k + 1,) increasing class limits, ``k <= classes`` (ties merge classes).
    index
        int (n,): class of each value, -1 where the value is NaN.
    """
    finite = np.isfinite(values)
    if not finite.any():
        return np.zeros(0), np.full(len(values), -1)
    breaks = np.unique(np.quantile(values[finite], np.linspace(0.0, 1.0, classes + 1)))
    if len(breaks) == 1:
        breaks = np.array([breaks[0], breaks[0]])
    index = np.clip(np.searchsorted(breaks[1:-1], values, side="right"), 0, len(breaks) - 2)
    return breaks, np.where(finite, index, -1)


def categories(values: np.ndarray) -> tuple[list[Any], np.ndarray]:
    """The most frequent distinct values (at most :data:`MAX_CATEGORIES`) and each row's.

    Returns
    -------
    shown
        Values with a colour of their own, most frequent first (ties by text).
    index
        int (n,): position in ``shown`` of each value, -1 for "other".
    """
    keys = np.array(["" if _missing(v) else str(v) for v in values], dtype=object)
    uniq, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    order = sorted(range(len(uniq)), key=lambda i: (-counts[i], str(uniq[i])))
    keep = order[:MAX_CATEGORIES]
    position = np.full(len(uniq), -1)
    position[keep] = np.arange(len(keep))
    return [uniq[i] for i in keep], position[inverse.ravel()]


# -- per building and per triangle --------------------------------------------------
def _row_colors(style: BuildingsStyle, table: Any, n: int) -> tuple[np.ndarray, list]:
    """float64 (n, 3) colour per building and the legend entries."""
    if style.color_mode == "graduated":
        values = _numeric(_column(table, style.color_by), n)
        breaks, index = graduated_classes(values, style.classes)
        k = len(breaks) - 1
        if k < 1:  # no number in the column (a text column, all empty): all "no data"
            return np.tile(np.array(NO_DATA, np.float64), (n, 1)), [("no data", NO_DATA)]
        palette = ramp_colors(style.ramp, np.linspace(0, 1, k) if k > 1 else np.full(k, 0.5))
        colors = np.tile(np.array(NO_DATA, np.float64), (n, 1))
        colors[index >= 0] = palette[index[index >= 0]]
        legend = list(zip(_label_breaks(breaks), _rgb_list(palette)))
        if (index < 0).any():
            legend.append(("no data", NO_DATA))
        return colors, legend
    if style.color_mode == "categorised":
        column = _column(table, style.color_by)
        raw = np.full(n, None, object) if column is None else column.to_numpy(dtype=object)
        shown, index = categories(raw)
        colors = np.tile(np.array(OTHER, np.float64), (n, 1))
        if shown:
            colors[index >= 0] = np.array(QUALITATIVE, np.float64)[index[index >= 0]]
        legend = [(v if v != "" else "(no value)", QUALITATIVE[i]) for i, v in enumerate(shown)]
        if (index < 0).any():
            legend.append(("other", OTHER))
        return colors, legend
    color = hex_rgb(style.color)
    return np.tile(np.array(color, np.float64), (n, 1)), []


def _rgb_list(colors: np.ndarray) -> list[RGB]:
    return [tuple(int(round(c)) for c in row) for row in colors]  # type: ignore[misc]


def building_colors(
    layer: BuildingsLayer,
    *,
    highlight: Sequence[int] = (),
    shade: np.ndarray | None = None,
) -> np.ndarray:
    """uint8 (t, 3) RGB per triangle of ``layer.mesh``, shading baked in.

    Parameters
    ----------
    layer
        A loaded buildings layer (no mesh: an empty array).
    highlight
        Rows of the building table drawn in :data:`HIGHLIGHT`.
    shade
        :func:`shading` of the mesh if already known (it depends on the mesh only).
    """
    mesh = layer.mesh
    if mesh is None or len(mesh.triangles) == 0:
        return np.zeros((0, 3), np.uint8)
    style = layer.style
    rows, _ = _row_colors(style, mesh.table, mesh.count)
    building = np.asarray(mesh.triangle_building)
    surface = np.asarray(mesh.triangle_surface)
    rgb = rows[building]
    if style.semantic_colors:
        if style.color_mode == "single":
            roof = surface == SURFACE_ROOF
            rgb[roof] = roof_color(hex_rgb(style.color))
        rgb[surface == SURFACE_GROUND] = GROUND
    if len(highlight):
        marked = np.zeros(mesh.count, bool)
        picked = np.asarray(highlight, dtype=np.int64)
        marked[picked[(picked >= 0) & (picked < mesh.count)]] = True
        rgb[marked[building]] = HIGHLIGHT
    factor = shading(mesh) if shade is None else shade
    return np.clip(np.rint(rgb * factor[:, None]), 0, 255).astype(np.uint8)


def building_legend(layer: BuildingsLayer) -> list[tuple[str, RGB]]:
    """Legend entries ``(label, (r, g, b))`` of the layer's style, as roofs show them.

    Single colour: one entry (roofs and walls apart with semantic colours, plus ground
    surfaces when the mesh has any); graduated: one entry per class (``"12.0 – 18.5"``)
    and "no data"; categorised: one per value, most frequent first, and "other".
    """
    style = layer.style
    mesh = layer.mesh
    if style.color_mode != "single":
        n = 0 if mesh is None else mesh.count
        return _row_colors(style, None if mesh is None else mesh.table, n)[1]
    color = hex_rgb(style.color)
    if not style.semantic_colors:
        return [("Buildings", color)]
    legend = [("Roofs", roof_color(color)), ("Walls", color)]
    if mesh is not None and (np.asarray(mesh.triangle_surface) == SURFACE_GROUND).any():
        legend.append(("Ground surfaces", GROUND))
    return legend
