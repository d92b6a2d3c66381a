"""Recolouring a terrain off the GUI thread: its own colours and the rasters draped on it.

Baking colours (ramp x hillshade) and filtering their pyramid takes about 0.6 s for
a 4096 x 4096 DEM. With an executor, :class:`Recolourer` runs that on a worker and
keeps only the newest result; the visual picks it up on the GUI thread before the
next render, and ``on_ready`` (called from the worker) asks for that render.
Without an executor (headless rendering) it works synchronously.

At most one job runs and at most one waits: a request made while a job runs replaces
the waiting one, so a playing clock that re-drapes ten times a second costs one job at
a time and always ends on the newest picture. The terrain's own baked colours and
each drape's painted RGBA are kept between jobs (:class:`ColourCache`), so a drape
that changes (the clock, its opacity) does not re-bake the terrain, and a terrain
colour change does not re-paint the drapes.

A job that fails, or a drape that cannot be painted, is not only logged: the outcome
of every finished job (:class:`ColourOutcome`) waits with its result, the visual picks
it up on the GUI thread and tells the listeners (:func:`add_colour_listener`, the
window's status bar), or warns when nobody listens (headless rendering).
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any

import numpy as np

from twinscape.model.errors import TwinscapeError, error_line
from twinscape.model.raster import RasterGrid
from twinscape.model.style import COLOUR_FIELDS, TerrainStyle
from twinscape.render.grid_colors import baked_colors, drape_colors, terrain_shade
from twinscape.render.texture_pyramid import color_pyramid

log = logging.getLogger(__name__)

Pyramid = list[np.ndarray]
#: ``listener(layer, problem)``: a layer's colours failed (``problem``) or are right again (None).
ColourListener = Callable[[Any, "ColourProblem | None"], None]
_LISTENERS: list[ColourListener] = []


@dataclass(frozen=True)
class ColourProblem:
    """What went wrong while colouring a terrain, in one line for the user.

    ``stale``: no colours could be computed, the ones shown are those of earlier
    settings; otherwise the terrain was coloured without the drapes that failed.
    """

    message: str
    stale: bool


class ColourError(TwinscapeError, RuntimeError):
    """A picture was asked for while a terrain's colours are out of date (they failed)."""


@dataclass(frozen=True, eq=False)
class ColourRecipe:
    """What a terrain's grid-level colours were made of (kept with their pyramid).

    ``layers`` are ``(rgba, opacity, shaded, fine)`` per drape blended, bottom first,
    ``fine`` the drape's :class:`~twinscape.render.detail_compose.FinePaint` or None;
    ``shade`` the uint8 hillshade of shaded drapes (None: none); ``light`` the dimming.
    Detail textures (render/detail_compose.py) are composited from it.
    """

    base: np.ndarray
    values: np.ndarray
    transform: tuple[float, ...]
    crs: str
    resolution: tuple[float, float]
    style: TerrainStyle
    layers: tuple[tuple[np.ndarray, float, bool, Any], ...]
    shade: np.ndarray | None
    light: float

    @property
    def fine(self) -> list[Any]:
        """The fine paints of the drapes, finest first."""
        return sorted((f for *_, f in self.layers if f is not None), key=lambda f: f.resolution)


class ColourPyramid(list):
    """A colour pyramid (list of uint8 levels) with the :class:`ColourRecipe` it came from."""

    recipe: ColourRecipe | None = None


@dataclass(frozen=True)
class ColourOutcome:
    """How the newest finished colouring went (None: well)."""

    problem: ColourProblem | None


def add_colour_listener(listener: ColourListener) -> None:
    """Call ``listener(layer, problem)`` (GUI thread) when a layer's colouring fails or heals."""
    _LISTENERS.append(listener)


def remove_colour_listener(listener: ColourListener) -> None:
    """Stop calling ``listener`` (no error when it was not added)."""
    if listener in _LISTENERS:
        _LISTENERS.remove(listener)


def report_colour_problem(layer: Any, problem: ColourProblem | None) -> None:
    """Tell the listeners; with none (headless rendering) a problem becomes a warning."""
    listeners = list(_LISTENERS)
    for listener in listeners:
        try:
            listener(layer, problem)
        except Exception:  # noqa: BLE001 - a broken listener must not stop the render
            log.exception("a colour listener failed")
    if not listeners and problem is not None:
        warnings.warn(f"layer {getattr(layer, 'name', '?')!r}: {problem.message}", stacklevel=3)


class ColourCache:
    """The last baked terrain colours and painted drapes of one grid (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._base: tuple[RasterGrid, tuple, np.ndarray] | None = None
        self._shade: tuple[RasterGrid, tuple, np.ndarray | None] | None = None
        self._paints: dict[Hashable, tuple[RasterGrid, np.ndarray | None]] = {}
        self._failures: dict[Hashable, str] = {}

    def base(self, grid: RasterGrid, style: TerrainStyle) -> np.ndarray:
        """uint8 (rows, cols, 3) baked colours of ``grid`` in ``style`` (read only)."""
        key = tuple(getattr(style, name) for name in COLOUR_FIELDS)
        with self._lock:
            hit = self._base
        if hit is not None and hit[0] is grid and hit[1] == key:
            return hit[2]
        rgb = baked_colors(grid.values, grid.resolution, style)
        rgb.flags.writeable = False
        with self._lock:
            self._base = (grid, key, rgb)
        return rgb

    def shade(self, grid: RasterGrid, style: TerrainStyle) -> np.ndarray | None:
        """uint8 hillshade of ``grid`` in ``style``'s sun (:func:`terrain_shade`), kept."""
        key = (style.hillshade, style.hillshade_strength > 0, style.sun_azimuth,
               style.sun_altitude)  # fmt: skip
        with self._lock:
            hit = self._shade
        if hit is not None and hit[0] is grid and hit[1] == key:
            return hit[2]
        light = terrain_shade(grid.values, grid.resolution, style)
        with self._lock:
            self._shade = (grid, key, light)
        return light

    def paint(self, grid: RasterGrid, drape: Any) -> np.ndarray | None:
        """RGBA of ``drape`` (a :class:`~twinscape.render.kinds.Drape`) over ``grid``.

        A drape that fails to paint is logged and left out (None), and its problem is
        kept for :meth:`failures`; the others show.
        """
        key = drape.source.key
        with self._lock:
            hit = self._paints.get(key)
        if hit is not None and hit[0] is grid:
            return hit[1]
        failure = None
        try:
            rgba = np.asarray(drape.source.paint(grid))
            if rgba.shape != (*grid.shape, 4) or rgba.dtype != np.uint8:
                raise ValueError(f"painted {rgba.dtype} {rgba.shape}, not uint8 {grid.shape}x4")
        except Exception as err:  # noqa: BLE001 - one bad drape must not lose the terrain
            log.exception("painting a drape failed")
            rgba = None
            failure = error_line(err, 300)
        with self._lock:
            self._paints[key] = (grid, rgba)
            if failure is None:
                self._failures.pop(key, None)
            else:
                self._failures[key] = failure
        return rgba

    def failures(self, keys: Sequence[Hashable]) -> list[str]:
        """Why the drapes of ``keys`` that failed to paint are left out, one line each."""
        with self._lock:
            return [self._failures[k] for k in keys if k in self._failures]

    def keep(self, keys: Sequence[Hashable]) -> None:
        """Forget the paints of every other key (drapes that changed or went)."""
        with self._lock:
            self._paints = {k: v for k, v in self._paints.items() if k in set(keys)}
            self._failures = {k: v for k, v in self._failures.items() if k in set(keys)}

    def clear(self) -> None:
        """Forget everything (a new grid)."""
        with self._lock:
            self._base = self._shade = None
            self._paints.clear()
            self._failures.clear()


def colour_pyramid(
    grid: RasterGrid,
    style: TerrainStyle,
    n_levels: int,
    drapes: Sequence[Any] = (),
    cache: ColourCache | None = None,
    *,
    light: float = 1.0,
) -> Pyramid:
    """Baked colours of ``grid`` in ``style``, ``drapes`` over them, and the pyramid (any thread).

    ``drapes`` are :class:`~twinscape.render.kinds.Drape` objects, bottom first;
    ``light`` (0..1) dims the result (night, render/sun_follow.py). The pyramid keeps
    its :class:`ColourRecipe` (for detail textures finer than the grid).
    """
    cache = ColourCache() if cache is None else cache
    base = cache.base(grid, style)
    cache.keep([d.source.key for d in drapes])
    layers, fine = [], []
    for drape in drapes:
        rgba = cache.paint(grid, drape)
        if rgba is not None and drape.opacity > 0:
            layers.append((rgba, float(drape.opacity), bool(drape.source.shaded)))
            fine.append(getattr(drape.source, "fine", None))
    shade = None
    if layers:
        shade = cache.shade(grid, style) if any(shaded for _, _, shaded in layers) else None
        rgb = drape_colors(base, grid.values, grid.resolution, style, layers, shade=shade)
    else:
        rgb = base.copy()  # color_pyramid fills hole rims in place
    if light < 1.0:
        dim_colours(rgb, light)
    pyramid = ColourPyramid(color_pyramid(rgb, np.isfinite(grid.values), n_levels))
    pyramid.recipe = ColourRecipe(
        base, grid.values, tuple(grid.transform), grid.crs, grid.resolution, style,
        tuple((*layer, f) for layer, f in zip(layers, fine)), shade, light,
    )  # fmt: skip
    return pyramid


def dim_colours(rgb: np.ndarray, light: float, *, rows_per_chunk: int = 512) -> None:
    """Scale uint8 colours by ``light`` (0..1) in place, in strips (small temporaries)."""
    scale = np.uint16(round(min(max(light, 0.0), 1.0) * 256))
    for r0 in range(0, rgb.shape[0], rows_per_chunk):
        part = rgb[r0 : r0 + rows_per_chunk]
        part[...] = ((part.astype(np.uint16) * scale + 128) >> 8).astype(np.uint8)


class Recolourer:
    """Computes colour pyramids, in the background when given an executor.

    Parameters
    ----------
    executor
        Where to run the work; None computes synchronously in :meth:`request`.
    on_ready
        Called (from the worker thread) when a background result is ready.
    """

    def __init__(
        self, executor: Executor | None = None, on_ready: Callable[[], None] | None = None
    ) -> None:
        self._executor = executor
        self._on_ready = on_ready
        self._lock = threading.Lock()
        self._generation = 0
        self._future: Future[None] | None = None
        self._waiting: tuple[int, tuple] | None = None
        self._ready: Pyramid | None = None
        self._outcome: ColourOutcome | None = None
        self.cache = ColourCache()

    @property
    def busy(self) -> bool:
        """True while a background job is running or waiting."""
        future = self._future
        return self._waiting is not None or (future is not None and not future.done())

    def request(
        self,
        grid: RasterGrid,
        style: TerrainStyle,
        n_levels: int,
        drapes: Sequence[Any] = (),
        *,
        light: float = 1.0,
    ) -> Pyramid | None:
        """Colour ``grid`` in ``style`` with ``drapes``: the pyramid now (no executor) or None.

        ``light`` dims the colours (see :func:`colour_pyramid`). With an executor the
        job starts at once when none runs; otherwise it waits, replacing any job that
        waited before it.
        """
        if self._executor is None:
            pyramid = colour_pyramid(grid, style, n_levels, tuple(drapes), self.cache, light=light)
            with self._lock:
                self._outcome = self._drape_outcome(drapes)
            return pyramid
        with self._lock:
            self._generation += 1
            self._ready = None
            job = (self._generation, (grid, style.copy(), n_levels, tuple(drapes), light))
            running = self._future is not None and not self._future.done()
            if running:
                self._waiting = job
                return None
            self._submit(job)
        return None

    def _submit(self, job: tuple[int, tuple]) -> None:
        """Start ``job`` (called with the lock held)."""
        assert self._executor is not None
        try:
            self._future = self._executor.submit(self._run, *job)
        except RuntimeError:  # the executor was shut down: the app is closing
            self._future = None

    def _drape_outcome(self, drapes: Sequence[Any]) -> ColourOutcome:
        """The outcome of a job that computed colours: drapes that could not be painted."""
        failed = self.cache.failures([d.source.key for d in drapes])
        if not failed:
            return ColourOutcome(None)
        what = "a layer draped on it" if len(failed) == 1 else f"{len(failed)} draped layers"
        return ColourOutcome(
            ColourProblem(f"{what} could not be painted and is left out: {failed[0]}", False)
        )

    def _run(self, generation: int, args: tuple) -> None:
        """The worker: compute, keep the result (or the failure) if still the newest job's."""
        result: Pyramid | None = None
        try:
            grid, style, n_levels, drapes, light = args
            result = colour_pyramid(grid, style, n_levels, drapes, self.cache, light=light)
        except Exception as err:  # noqa: BLE001 - told to the user by the visual
            log.exception("recolouring the terrain failed")
            outcome = ColourOutcome(
                ColourProblem(f"its colours could not be computed: {error_line(err, 300)}", True)
            )
        else:
            outcome = self._drape_outcome(args[3])
        with self._lock:
            fresh = generation == self._generation
            if fresh:
                self._ready = result
                self._outcome = outcome
            waiting, self._waiting = self._waiting, None
            if waiting is not None:
                self._submit(waiting)  # before returning: wait() then sees the next future
        if fresh and self._on_ready is not None:
            self._on_ready()

    def take_outcome(self) -> ColourOutcome | None:
        """How the newest finished job went, once; None when no job finished since."""
        with self._lock:
            outcome, self._outcome = self._outcome, None
        return outcome

    def take(self) -> Pyramid | None:
        """The newest finished pyramid, once; None when there is none (GUI thread)."""
        with self._lock:
            ready, self._ready = self._ready, None
        return ready

    def wait(self) -> Pyramid | None:
        """Wait for the running and the waiting job (before a screenshot), then :meth:`take`."""
        while True:
            with self._lock:
                future = self._future
            if future is None:
                break
            try:
                future.result()
            except Exception:  # noqa: BLE001 - kept as the outcome by _run
                pass
            with self._lock:
                if self._future is future and self._waiting is None:
                    break
        return self.take()

    def cancel(self) -> None:
        """Forget any running, waiting or finished job."""
        with self._lock:
            self._generation += 1
            self._ready = None
            self._outcome = None
            self._waiting = None
