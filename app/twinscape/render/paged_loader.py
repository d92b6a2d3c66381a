"""Nodes of a paged terrain in memory: read in a background pool, kept in an LRU bounded by bytes.

The GUI thread hands over each frame's wish list (coarsest and nearest first), takes in
the nodes whose reads finished (:meth:`NodeStore.adopt`) and drops the least recently
used ones beyond the byte bound (:meth:`NodeStore.trim`), never the root nor a node
drawn this frame. A few reads are in flight at a time, and each read that lands starts
the next of the latest wish list, so the pool keeps reading between frames while a
stale list never clogs it. Workers only read and compute numpy arrays; ``on_update`` is
called from a worker when a read lands, so that the viewport renders again.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from concurrent.futures import TimeoutError as FutureTimeout

from twinscape.model.raster import RasterGrid
from twinscape.render.paged_colours import NodeColouring
from twinscape.render.paged_tiles import Key, Node, Pyramid, build_node

log = logging.getLogger(__name__)

#: Default bound of the nodes in memory (arrays and VTK data), bytes.
NODE_CACHE_BYTES = 256 * 2**20
ROOT: Key = (0, 0, 0)


class NodeStore:
    """Nodes of one :class:`Pyramid` in memory, and their background reads.

    Parameters
    ----------
    pyramid
        The quadtree.
    colouring
        How nodes are coloured (style, ramp range, sun, drapes).
    finer
        Finer terrains drawn over this one: their cells are cut out of the nodes.
    cache_bytes
        Bound of :attr:`nbytes` (the root and the nodes drawn are kept regardless).
    on_update
        Called from a worker whenever a read finished.
    workers
        Threads reading nodes.
    """

    def __init__(
        self, pyramid: Pyramid, colouring: NodeColouring,
        *, finer: Sequence[RasterGrid] = (), cache_bytes: int = NODE_CACHE_BYTES,
        on_update: Callable[[], None] | None = None,
        workers: int = max(1, min(os.cpu_count() or 1, 4)),
    ) -> None:  # fmt: skip
        self.pyramid, self.colouring, self.finer = pyramid, colouring, tuple(finer)
        self.cache_bytes = cache_bytes
        self._on_update = on_update
        self._nodes: OrderedDict[Key, Node] = OrderedDict()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="paged-terrain")
        self._max_inflight = 2 * workers
        self._inflight: dict[Key, Future[Node]] = {}
        self._failed: set[Key] = set()
        self._wish: list[Key] = []  # the latest wish list, best first
        self._running = 0  # reads started and not finished
        self._lock = threading.RLock()  # guards the three above (workers start reads;
        # a cancelled read calls back at once)
        self.reads = 0  # nodes read so far
        self.request([ROOT])  # in the background too: colouring it may compute a drape

    # -- lookups --------------------------------------------------------------------
    def get(self, key: Key) -> Node | None:
        """The node when in memory (now the most recently used), else None."""
        node = self._nodes.get(key)
        if node is not None:
            self._nodes.move_to_end(key)
        return node

    def nodes(self) -> Iterable[Node]:
        """The nodes in memory."""
        return self._nodes.values()

    @property
    def nbytes(self) -> int:
        """Bytes held by the nodes in memory."""
        return sum(node.nbytes for node in self._nodes.values())

    @property
    def pending(self) -> bool:
        """True while reads are in flight or finished but not yet taken in."""
        return bool(self._inflight)

    # -- reads ----------------------------------------------------------------------
    def _build(self, key: Key) -> Node:
        self.reads += 1
        return build_node(self.pyramid, key, self.colouring, self._parent(key), self.finer)

    def _parent(self, key: Key) -> Node | None:
        """The parent in memory, or the one being read (waited for: it started first)."""
        if key[0] == 0:
            return None
        pkey = (key[0] - 1, key[1] // 2, key[2] // 2)
        parent = self._nodes.get(pkey)
        future = None if parent is not None else self._inflight.get(pkey)
        if future is None or not (future.running() or future.done()):
            return parent  # a parent still queued may wait behind this read
        try:
            return future.result(timeout=60.0)
        except (Exception, FutureTimeout):  # its own read reports the failure
            return None

    def request(self, wanted: Iterable[Key]) -> None:
        """Read ``wanted`` (best first) from now on, replacing the last wish list; a few
        reads at a time, each one landing starts the next."""
        with self._lock:
            self._wish = list(wanted)
            self._start()

    def _start(self) -> None:
        """Start the first reads of the wish list that fit in the pool (lock held)."""
        while self._wish and self._running < self._max_inflight:
            key = self._wish.pop(0)
            if key in self._inflight or key in self._nodes or key in self._failed:
                continue
            self._running += 1
            future = self._pool.submit(self._build, key)
            self._inflight[key] = future
            future.add_done_callback(self._landed)

    def _landed(self, future: Future[Node]) -> None:
        with self._lock:
            self._running -= 1
            if self._on_update is not None:  # not closed
                self._start()
        on_update = self._on_update  # None once closed: the viewport may be gone
        if on_update is not None:
            on_update()

    def adopt(self) -> int:
        """Take in the nodes whose reads finished (GUI thread); returns how many."""
        taken = 0
        with self._lock:
            for key, future in [(k, f) for k, f in self._inflight.items() if f.done()]:
                if future.cancelled():
                    pass
                elif future.exception() is not None:
                    self._failed.add(key)
                    log.warning("%s: %s", self.pyramid.source.path, future.exception())
                else:
                    self._nodes[key] = future.result()  # in memory before out of flight
                    taken += 1
                del self._inflight[key]
        return taken

    def wait(self, keys: Iterable[Key]) -> None:
        """Block until the reads of ``keys`` (requested first) have finished, then adopt."""
        keys = list(keys)
        wanted = set(keys)
        while True:
            with self._lock:
                self._wish = list(keys)
                self._start()
                futures = [f for k, f in self._inflight.items() if k in wanted]
            if not futures:
                break
            wait(futures)
            self.adopt()

    def trim(self, keep: Iterable[Key]) -> None:
        """Drop least recently used nodes while over the bound, never ``keep`` nor the root."""
        keep = set(keep) | {ROOT}
        used = self.nbytes
        for key in list(self._nodes):
            if used <= self.cache_bytes:
                break
            if key in keep:
                continue
            used -= self._nodes.pop(key).nbytes

    def close(self) -> None:
        """Cancel the reads not started, drop every node, and tell nobody of reads landing."""
        with self._lock:
            self._on_update = None
            self._wish = []
            for future in self._inflight.values():
                future.cancel()
            self._inflight.clear()
            self._running = 0
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._nodes.clear()
