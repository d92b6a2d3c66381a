"""Recolouring a terrain off the GUI thread.

Baking colours (ramp x hillshade) and filtering their pyramid takes about 0.6 s for
a 4096 x 4096 DEM. With an executor, :class:`Recolourer` runs that on a worker and
keeps only the newest result; the visual picks it up on the GUI thread before the
next render, and ``on_ready`` (called from the worker) asks for that render.
Without an executor (headless rendering) it works synchronously.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future

import numpy as np

from twinscape.model.raster import RasterGrid
from twinscape.model.style import TerrainStyle
from twinscape.render.colormaps import baked_colors, color_pyramid

log = logging.getLogger(__name__)

Pyramid = list[np.ndarray]


def colour_pyramid(grid: RasterGrid, style: TerrainStyle, n_levels: int) -> Pyramid:
    """Baked colours of ``grid`` in ``style`` and their filtered pyramid (any thread)."""
    rgb = baked_colors(grid.values, grid.resolution, style)
    return color_pyramid(rgb, np.isfinite(grid.values), n_levels)


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
        self._future: Future[Pyramid] | None = None
        self._ready: Pyramid | None = None

    @property
    def busy(self) -> bool:
        """True while a background job is running."""
        future = self._future
        return future is not None and not future.done()

    def request(self, grid: RasterGrid, style: TerrainStyle, n_levels: int) -> Pyramid | None:
        """Colour ``grid`` in ``style``: the pyramid now (no executor) or None (later)."""
        if self._executor is None:
            return colour_pyramid(grid, style, n_levels)
        with self._lock:
            self._generation += 1
            generation = self._generation
            self._ready = None
        future = self._executor.submit(colour_pyramid, grid, style.copy(), n_levels)
        self._future = future
        future.add_done_callback(lambda done: self._finished(generation, done))
        return None

    def _finished(self, generation: int, future: Future[Pyramid]) -> None:
        if future.cancelled():
            return
        error = future.exception()
        if error is not None:
            log.error("recolouring the terrain failed", exc_info=error)
            return
        with self._lock:
            if generation != self._generation:
                return  # a newer request replaced this one
            self._ready = future.result()
        if self._on_ready is not None:
            self._on_ready()

    def take(self) -> Pyramid | None:
        """The newest finished pyramid, once; None when there is none (GUI thread)."""
        with self._lock:
            ready, self._ready = self._ready, None
        return ready

    def wait(self) -> Pyramid | None:
        """Wait for the running job (e.g. before a screenshot), then :meth:`take`."""
        future = self._future
        if future is not None:
            try:
                future.result()
            except Exception:  # noqa: BLE001 - logged by _finished
                pass
        return self.take()

    def cancel(self) -> None:
        """Forget any running or finished job."""
        with self._lock:
            self._generation += 1
            self._ready = None
