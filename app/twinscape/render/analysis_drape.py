"""Analysis layers as drapes: resolved on the GUI thread, computed and painted on a worker.

:func:`resolve` (GUI thread) turns an :class:`~twinscape.model.analysis.AnalysisLayer`
and the project's layers into a :class:`Plan`: the ground it is computed on (the
full-resolution grid of the topmost ground layer below it; for a DEM read on demand, a
window of its file, render/analysis_ground.py), its :class:`Inputs` (every
number the result depends on, including the world position and height of each
observing tower, so moving a tower changes them) and its colour settings. The
*computation key* ``(grid, inputs)`` names the raw result; the drape key adds the
colours, so a new ramp repaints without recomputing.

:func:`~twinscape.render.analysis_compute.compute` (any thread) runs the geo/ analysis
on the ground grid. Raw results
are kept by computation key in :data:`RESULTS` (a byte-bounded LRU), so repainting
(another opacity, another level of detail, another ramp, a second terrain) never
recomputes; a painted grid other than the ground gets the result resampled to its
cells (nearest cell centre). A computation whose key no layer wants any more is
cancelled between chunks of work.

Headline numbers (areas, percentages, slope range) travel back to the layer on the
GUI thread: the drape function copies them from :data:`RESULTS` whenever it runs,
and :func:`add_result_listener` tells a GUI (from the worker thread) that a result
arrived, so that it can call :func:`refresh_summaries` on its own thread.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from twinscape.model.analysis import AnalysisLayer, Ring
from twinscape.model.errors import LoadCancelled
from twinscape.model.layers import Layer
from twinscape.model.placed import PlacedAsset, PlacedAssetsLayer
from twinscape.model.raster import RasterGrid
from twinscape.render.analysis_colors import (
    aspect_rgba,
    coverage_rgba,
    slope_rgba,
    solar_rgba,
    viewshed_rgba,
)
from twinscape.render.analysis_compute import AnalysisResult, compute
from twinscape.render.analysis_ground import DemWindow, dem_window, reach_bounds

log = logging.getLogger(__name__)

#: Bytes of raw results kept (slope and aspect of a 4096 x 4096 grid take 128 MiB).
CACHE_BYTES = 512 * 1024 * 1024
#: Observer height parameters of a placed asset, in the order they are looked for.
HEIGHT_PARAMS: tuple[str, ...] = ("antenna_height_m", "hub_height_m")


# -- what a result depends on (GUI thread) -----------------------------------------------
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


# -- raw results (any thread) -----------------------------------------------------------
class ResultCache:
    """Raw results by computation key: a byte-bounded LRU; one computation per key at a time."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, AnalysisResult] = OrderedDict()
        self._lock = threading.Lock()
        self._busy: dict[Hashable, threading.Lock] = {}
        self.progress: dict[Hashable, float] = {}

    def get(self, key: Hashable) -> AnalysisResult | None:
        """The result of ``key`` if it is computed."""
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def put(self, key: Hashable, result: AnalysisResult) -> None:
        """Keep ``result``, forgetting the least recently used beyond :attr:`max_bytes`."""
        with self._lock:
            self._items[key] = result
            self._items.move_to_end(key)
            total = sum(r.nbytes for r in self._items.values())
            while total > self.max_bytes and len(self._items) > 1:
                _, old = self._items.popitem(last=False)
                total -= old.nbytes

    def compute(self, key: Hashable, work: Callable[[], AnalysisResult]) -> AnalysisResult:
        """The result of ``key``, computed by ``work()`` unless known (waits for a twin job)."""
        with self._lock:
            gate = self._busy.setdefault(key, threading.Lock())
        with gate:
            hit = self.get(key)
            if hit is not None:
                return hit
            self.progress[key] = 0.0
            try:
                result = work()
            finally:
                self.progress.pop(key, None)
                with self._lock:
                    self._busy.pop(key, None)
            self.put(key, result)
            return result

    def clear(self) -> None:
        """Forget every result."""
        with self._lock:
            self._items.clear()


#: The results of every analysis layer of the process.
RESULTS = ResultCache()
#: Computation key each analysis layer (by id) wants now (set on the GUI thread).
_WANTED: dict[str, Hashable] = {}
_WANTED_LOCK = threading.Lock()
_LISTENERS: list[Callable[[Hashable], None]] = []


def add_result_listener(listener: Callable[[Hashable], None]) -> None:
    """Call ``listener(compute_key)`` (on the worker thread) when a result is computed."""
    _LISTENERS.append(listener)


def remove_result_listener(listener: Callable[[Hashable], None]) -> None:
    """Stop calling ``listener``."""
    if listener in _LISTENERS:
        _LISTENERS.remove(listener)


# -- painting (any thread) ---------------------------------------------------------------
def colour_result(plan: Plan, result: AnalysisResult) -> np.ndarray:
    """uint8 (rows, cols, 4) of ``result`` on the plan's ground grid."""
    arrays, kind = result.arrays, plan.inputs.analysis
    if not arrays:
        return np.zeros((*plan.ground.shape, 4), np.uint8)
    if kind == "slope":
        ramp, breaks = plan.colours
        return slope_rgba(arrays["slope"], ramp, breaks)
    if kind == "aspect":
        return aspect_rgba(arrays["aspect"])
    if kind == "viewshed":
        return viewshed_rgba(arrays["visible"], arrays["in_range"])
    if kind == "coverage":
        return coverage_rgba(arrays["count"], int(plan.colours[0]))
    low, high = result.summary.get("irradiance_min"), result.summary.get("irradiance_max")
    span = None if low is None or high is None else (low, high)
    return solar_rgba(arrays["mask"], arrays.get("irradiance"), span)


def resample_rgba(rgba: np.ndarray, source: RasterGrid, target: RasterGrid) -> np.ndarray:
    """``rgba`` on ``source``'s cells moved to ``target``'s (nearest cell centre; clear outside)."""
    if source is target or (source.shape == target.shape and source.transform == target.transform):
        return rgba
    a, _, c, _, e, f = source.transform
    xs, ys = target.cell_centers()
    cols = np.floor((xs - c) / a).astype(np.int64)
    rows = np.floor((ys - f) / e).astype(np.int64)
    ok_c = (cols >= 0) & (cols < source.shape[1])
    ok_r = (rows >= 0) & (rows < source.shape[0])
    out = rgba[np.clip(rows, 0, source.shape[0] - 1)][:, np.clip(cols, 0, source.shape[1] - 1)]
    out[~ok_r] = 0
    out[:, ~ok_c] = 0
    return np.ascontiguousarray(out)


def paint_plan(plan: Plan, grid: RasterGrid) -> np.ndarray:
    """RGBA of the plan over ``grid`` (worker thread): computed once per key, then cached."""
    key = plan.compute_key

    def cancelled() -> bool:
        with _WANTED_LOCK:
            return key not in _WANTED.values()

    def progress(fraction: float) -> None:
        RESULTS.progress[key] = float(fraction)

    while True:
        try:
            result = RESULTS.compute(
                key, lambda: compute(plan, progress=progress, cancelled=cancelled)
            )
            break
        except LoadCancelled:
            if cancelled():  # no layer wants it any more
                return np.zeros((*grid.shape, 4), np.uint8)
            # wanted again since it was cancelled: compute after all
    for listener in list(_LISTENERS):
        try:
            listener(key)
        except Exception:  # noqa: BLE001 - a listener must not lose the picture
            log.exception("analysis result listener failed")
    return resample_rgba(colour_result(plan, result), plan.ground_grid(), grid)


# -- back on the GUI thread --------------------------------------------------------------
def want(layer: AnalysisLayer, plan: Plan | None) -> None:
    """Record the computation ``layer`` wants now (None: none; older ones may be cancelled)."""
    with _WANTED_LOCK:
        if plan is None:
            _WANTED.pop(layer.id, None)
        else:
            _WANTED[layer.id] = plan.compute_key


def apply_result(layer: AnalysisLayer, plan: Plan | str) -> bool:
    """Copy the headline numbers (or the problem) of ``plan``'s result onto ``layer``.

    GUI thread. Returns True when the result is known (computed, or a problem).
    """
    if isinstance(plan, str):
        _set(layer, {}, plan)
        return True
    result = RESULTS.get(plan.compute_key)
    if result is None:
        return False
    _set(layer, result.summary, result.problem)
    return True


def _set(layer: AnalysisLayer, summary: dict[str, float], problem: str) -> None:
    if layer.summary != summary:
        layer.summary = dict(summary)
    if layer.problem != problem:
        layer.problem = problem


def refresh_summaries(layers: Sequence[Layer]) -> None:
    """Copy the known results onto every analysis layer of ``layers`` (GUI thread)."""
    layers = list(layers)
    for layer in layers:
        if isinstance(layer, AnalysisLayer):
            apply_result(layer, resolve(layer, layers))


def computing(layer: AnalysisLayer, layers: Sequence[Layer]) -> float | None:
    """How far the computation of ``layer``'s current result is (0..1), None when idle."""
    plan = resolve(layer, layers)
    if isinstance(plan, str):
        return None
    return RESULTS.progress.get(plan.compute_key)
