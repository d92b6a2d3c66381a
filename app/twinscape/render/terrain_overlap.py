"""Tiles of a terrain that overlaps others, built off the GUI thread, and its depth offset.

A terrain under a finer one is drawn without the samples the finer one draws (its
cut-out, :func:`~twinscape.geo.terrain_overlap.cutout_mask`) and pushed slightly back
in depth (:func:`push_behind`), so in the narrow band where both are drawn the finer
one wins without z-fighting; a terrain over a coarser one hangs skirts from its outer
edges (:func:`~twinscape.geo.terrain_overlap.skirt_floor`). :class:`OverlapTiles`
builds those tiles on an executor and hands them to the visual on the GUI thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future

from vtkmodules.vtkRenderingCore import vtkMapper

from twinscape.geo.origin import LocalOrigin
from twinscape.geo.terrain_overlap import Overlap, cutout_mask, skirt_floor
from twinscape.model.raster import RasterGrid
from twinscape.render.terrain_tiles import TerrainTiles

log = logging.getLogger(__name__)

#: Depth offset (OpenGL polygon offset factor and units) per finer terrain over a terrain.
OFFSET_FACTOR = 2.0
OFFSET_UNITS = 4.0

_OFFSETS_ON = False


def overlap_tiles(grid: RasterGrid, origin: LocalOrigin, overlap: Overlap) -> TerrainTiles:
    """Tiles of ``grid`` without the samples finer terrains draw, skirts down to coarser ones.

    Numpy only and thread-safe; the tiles have no colours yet.
    """
    return TerrainTiles(
        grid,
        origin,
        cutout=cutout_mask(grid, overlap.finer),
        skirt_floor=skirt_floor(grid, overlap.coarser),
    )


def push_behind(mappers: Iterable[vtkMapper], steps: int) -> None:
    """Offset the polygons of ``mappers`` ``steps`` depth steps away from the camera.

    The first call turns VTK's coincident-topology resolution to polygon offsets with
    zero global offsets (lines and points too), so every other mapper draws as before.
    """
    global _OFFSETS_ON
    if steps and not _OFFSETS_ON:
        vtkMapper.SetResolveCoincidentTopologyToPolygonOffset()
        vtkMapper.SetResolveCoincidentTopologyPolygonOffsetParameters(0.0, 0.0)
        vtkMapper.SetResolveCoincidentTopologyLineOffsetParameters(0.0, 0.0)
        vtkMapper.SetResolveCoincidentTopologyPointOffsetParameter(0.0)
        _OFFSETS_ON = True
    for mapper in mappers:
        mapper.SetRelativeCoincidentTopologyPolygonOffsetParameters(
            OFFSET_FACTOR * steps, OFFSET_UNITS * steps
        )


class OverlapTiles:
    """Builds the tiles of one terrain for its :class:`Overlap`, in the background if it can.

    Parameters
    ----------
    executor
        Where to build; None builds at once in :meth:`request`.
    on_ready
        Called (from the worker) when tiles wait for the GUI thread (:meth:`take`).
    """

    def __init__(
        self, executor: Executor | None = None, on_ready: Callable[[], None] | None = None
    ) -> None:
        self.overlap = Overlap()
        self._executor = executor
        self._on_ready = on_ready
        self._lock = threading.Lock()
        self._job: Future[TerrainTiles] | None = None

    def request(
        self, grid: RasterGrid, origin: LocalOrigin, overlap: Overlap
    ) -> TerrainTiles | None:
        """Build the tiles for ``overlap``: now without an executor, else None (:meth:`take`)."""
        self.cancel()
        self.overlap = overlap
        if self._executor is None:
            return overlap_tiles(grid, origin, overlap)
        try:
            job = self._executor.submit(overlap_tiles, grid, origin, overlap)
        except RuntimeError:  # the executor was shut down: the app is closing
            return None
        with self._lock:
            self._job = job
        job.add_done_callback(self._done)
        return None

    def _done(self, job: Future[TerrainTiles]) -> None:
        with self._lock:
            fresh = job is self._job
        if fresh and self._on_ready is not None:
            self._on_ready()

    def take(self, *, wait: bool = False) -> TerrainTiles | None:
        """The tiles built in the background, once (``wait``: for the running build).

        A build that failed is logged and forgotten: the tiles shown stay.
        """
        with self._lock:
            job = self._job
        if job is None or not (wait or job.done()):
            return None
        try:
            tiles = job.result()
        except Exception:  # noqa: BLE001 - the terrain keeps the tiles it shows
            log.exception("building the tiles of an overlapping terrain failed")
            tiles = None
        with self._lock:
            if self._job is not job:
                return None  # cancelled meanwhile
            self._job = None
        return tiles

    def cancel(self) -> None:
        """Forget the build under way (a new grid, origin or overlap)."""
        with self._lock:
            self._job = None
