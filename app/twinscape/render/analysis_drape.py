"""Analysis layers as drapes: computed and painted on a worker, summaries back on the GUI thread.

The plan of a layer (what to compute, on which ground, in which colours) is resolved on
the GUI thread by :func:`~twinscape.render.analysis_plan.resolve`.

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
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence

import numpy as np

from twinscape.model.analysis import AnalysisLayer
from twinscape.model.errors import LoadCancelled
from twinscape.model.layers import Layer
from twinscape.model.raster import RasterGrid
from twinscape.render.analysis_colors import (
    aspect_rgba,
    coverage_rgba,
    slope_rgba,
    solar_rgba,
    viewshed_rgba,
)
from twinscape.render.analysis_compute import AnalysisResult, compute
from twinscape.render.analysis_plan import Plan, resolve

log = logging.getLogger(__name__)

#: Bytes of raw results kept (slope and aspect of a 4096 x 4096 grid take 128 MiB).
CACHE_BYTES = 512 * 1024 * 1024


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
