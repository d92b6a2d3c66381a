"""What an analysis layer's result depends on: :func:`resolve` and its :class:`Plan` (GUI thread).

:func:`resolve` turns an :class:`~twinscape.model.analysis.AnalysisLayer` and the
project's layers into a :class:`Plan`: the ground it is computed on (the
full-resolution grid of the topmost ground layer below it; for a DEM read on demand, a
window of its file, render/analysis_ground.py), its :class:`Inputs` (every
number the result depends on, including the world position and height of each
observing tower, so moving a tower changes them) and its colour settings. The
*computation key* ``(grid, inputs)`` names the raw result; the drape key adds the
colours, so a new ramp repaints without recomputing (render/analysis_drape.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from twinscape.model.analysis import AnalysisLayer, Ring
from twinscape.model.layers import Layer
from twinscape.model.placed import PlacedAsset, PlacedAssetsLayer
from twinscape.model.raster import RasterGrid
from twinscape.render.analysis_ground import DemWindow, dem_window, reach_bounds

#: Observer height parameters of a placed asset, in the order they are looked for.
HEIGHT_PARAMS: tuple[str, ...] = ("antenna_height_m", "hub_height_m")


class Same:
    """Wraps an object so that keys compare it by identity (arrays, meshes)."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Same) and other.obj is self.obj

    def __hash__(self) -> int:
        return id(self.obj)


@dataclass(frozen=True)
class Inputs:
    """Everything a raw result depends on besides the ground grid (hashable)."""

    analysis: str
    observers: tuple[tuple[float, float, float], ...] = ()
    target_height: float = 0.0
    radius: float = 0.0
    curvature: bool = True
    refraction: float = 0.0
    area: Ring | None = None
    max_slope_deg: float = 0.0
    aspect_tolerance_deg: float = 0.0
    year: int = 0
    exclusions: tuple[Ring, ...] = ()
    footprints: tuple[Same, ...] = ()
    skipped: int = 0


@dataclass(frozen=True)
class Plan:
    """A resolved analysis layer: what to compute, on which grid, and its colours."""

    ground: RasterGrid | DemWindow
    inputs: Inputs
    colours: tuple[Any, ...]

    def ground_grid(self) -> RasterGrid:
        """The grid computed on (a window of a paged DEM is read now; any thread)."""
        return self.ground.grid() if isinstance(self.ground, DemWindow) else self.ground

    @property
    def compute_key(self) -> tuple[Any, ...]:
        """Names the raw result (slope and aspect of one grid share theirs)."""
        what = "slope_aspect" if self.inputs.analysis in ("slope", "aspect") else self.inputs
        return (self.ground, what)

    @property
    def key(self) -> tuple[Any, ...]:
        """Names the painted picture."""
        return ("analysis", self.inputs.analysis, self.compute_key, self.colours)


def ground_layer_below(layer: Layer, layers: Sequence[Layer]) -> Layer | None:
    """The topmost loaded ground layer below ``layer``."""
    below = list(layers)
    if layer in below:
        below = below[: below.index(layer)]
    for other in reversed(below):
        if other.provides_ground and isinstance(getattr(other, "grid", None), RasterGrid):
            return other
    return None


def ground_below(layer: Layer, layers: Sequence[Layer]) -> RasterGrid | None:
    """Grid of the topmost loaded ground layer below ``layer`` (a paged DEM's overview)."""
    ground = ground_layer_below(layer, layers)
    return None if ground is None else ground.grid


def _by_id(layers: Sequence[Layer], layer_id: str | None) -> Layer | None:
    return next((other for other in layers if other.id == layer_id), None)


def asset_height(asset: PlacedAsset, layer: PlacedAssetsLayer) -> float:
    """The observer height of a placed asset (antenna, else hub), NaN when it has none."""
    for name in HEIGHT_PARAMS:
        if name in asset.params:
            return float(asset.params[name])
        if layer.catalogue is not None and asset.entry in layer.catalogue:
            value = layer.catalogue.get(asset.entry).param(name)
            if math.isfinite(value):
                return value
    return math.nan


def _observer(layer: AnalysisLayer, layers: Sequence[Layer]) -> tuple[float, float, float] | str:
    """The viewshed's (x, y, height), or why there is none."""
    if layer.observer_asset is not None:
        layer_id, asset_id = layer.observer_asset
        placed = _by_id(layers, layer_id)
        if not isinstance(placed, PlacedAssetsLayer):
            return f"the observer's placed-assets layer {layer_id} is not in the project"
        try:
            asset = placed.asset(asset_id)
        except KeyError:
            return f"the observer asset {asset_id} is no longer in {placed.name!r}"
        height = asset_height(asset, placed)
        x, y = asset.centroid
        return x, y, height if math.isfinite(height) else float(layer.observer_height_m)
    if layer.observer is None:
        return "no observer: type its X and Y, or pick a placed tower"
    return float(layer.observer[0]), float(layer.observer[1]), float(layer.observer_height_m)


def layer_observers(placed: PlacedAssetsLayer) -> list[tuple[float, float, float]]:
    """(x, y, height) of the towers and turbines (point assets with an antenna or hub)."""
    out = []
    for asset in placed.assets:
        height = asset_height(asset, placed)
        if len(asset.coords) == 1 and math.isfinite(height):
            out.append((*asset.coords[0], height))
    return out


def _polygon_rings(placed: PlacedAssetsLayer) -> list[Ring]:
    """Rings of a placed-assets layer's polygon assets."""
    rings = []
    for asset in placed.assets:
        catalogue = placed.catalogue
        if catalogue is not None and asset.entry in catalogue:
            polygon = catalogue.get(asset.entry).geometry == "polygon"
        else:
            polygon = len(asset.coords) >= 3
        if polygon and len(asset.coords) >= 3:
            rings.append(asset.coords)
    return rings


def resolve(layer: AnalysisLayer, layers: Sequence[Layer]) -> Plan | str:
    """The plan of ``layer`` among the project's ``layers``, or why it cannot be computed.

    A DEM read from its file on demand is analysed on a window of it (see
    :mod:`~twinscape.render.analysis_ground`), at full resolution where the window fits.
    """
    terrain = ground_layer_below(layer, layers)
    if terrain is None:
        return "no terrain below this layer"
    ground: RasterGrid = terrain.grid
    kind = layer.analysis
    reach = {
        "target_height": float(layer.target_height_m), "radius": float(layer.radius_m),
        "curvature": bool(layer.curvature), "refraction": float(layer.refraction),
    }  # fmt: skip
    colours: tuple[Any, ...] = ()
    if kind in ("slope", "aspect"):
        inputs = Inputs(kind)
        if kind == "slope":
            colours = (layer.ramp, tuple(layer.breaks))
    elif kind == "viewshed":
        observer = _observer(layer, layers)
        if isinstance(observer, str):
            return observer
        inputs = Inputs(kind, observers=(observer,), **reach)
    elif kind == "coverage":
        observers = list(layer.observers)
        if layer.observers_layer is not None:
            placed = _by_id(layers, layer.observers_layer)
            if not isinstance(placed, PlacedAssetsLayer):
                return f"the observers' layer {layer.observers_layer} is not in the project"
            observers += layer_observers(placed)
        if not observers:
            return "no observers: add towers or turbines, or type observers"
        inside = [o for o in observers if _on_grid(ground, o[0], o[1])]
        skipped = len(observers) - len(inside)
        if not inside:
            return f"none of the {len(observers)} observers stands on the terrain"
        inputs = Inputs(kind, observers=tuple(inside), area=layer.area, skipped=skipped, **reach)
        colours = (len(inside),)
    else:
        rings: list[Ring] = list(layer.exclusions)
        footprints: tuple[Same, ...] = ()
        if layer.exclusions_layer is not None:
            source = _by_id(layers, layer.exclusions_layer)
            if source is None:
                return f"the exclusions layer {layer.exclusions_layer} is not in the project"
            if isinstance(source, PlacedAssetsLayer):
                rings += _polygon_rings(source)
            else:
                mesh = getattr(source, "mesh", None)
                if mesh is not None and getattr(mesh, "footprints", None) is not None:
                    footprints = (Same(mesh.footprints),)
        inputs = Inputs(
            kind, max_slope_deg=float(layer.max_slope_deg),
            aspect_tolerance_deg=float(layer.aspect_tolerance_deg), year=int(layer.year),
            exclusions=tuple(rings), footprints=footprints,
        )  # fmt: skip
    dem = getattr(terrain, "dem", None)
    if dem is not None:
        bounds = reach_bounds(inputs.observers, inputs.radius) if inputs.observers else None
        return Plan(dem_window(dem, bounds), inputs, colours)
    return Plan(ground, inputs, colours)


def _on_grid(grid: RasterGrid, x: float, y: float) -> bool:
    """True when (x, y) lies in a cell of ``grid`` that holds a value."""
    a, _, c, _, e, f = grid.transform
    col, row = (x - c) / a, (y - f) / e
    rows, cols = grid.shape
    if not (0 <= col < cols and 0 <= row < rows):
        return False
    return bool(np.isfinite(grid.values[int(row), int(col)]))
