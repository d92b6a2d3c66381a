"""Terrain tile arrays built on a worker thread, most wanted first (numpy only, no VTK).

The GUI thread tells a :class:`TileBuilder` which arrays it wants as a list of
:class:`Job` (most wanted first); :meth:`TileBuilder.want` replaces the previous
wishes, so a tile that left the view is not built any more. One daemon thread builds
them and keeps the results until the GUI thread takes them (:meth:`TileBuilder.take`)
to wrap them in VTK objects; ``on_ready`` is called from the worker when the first
result after a take lands (the GUI turns it into a render request). A reset (new
grid, origin or skirts) starts a new generation: results of older ones are dropped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One array to build: ``build()`` runs on the worker and returns it."""

    key: Hashable
    build: Callable[[], Any]


class TileBuilder:
    """One worker thread (started on the first job) building :class:`Job` results.

    Parameters
    ----------
    on_ready
        Called from the worker when a result waits and none waited before.
    """

    def __init__(self, on_ready: Callable[[], None] | None = None) -> None:
        self.on_ready = on_ready
        self._cond = threading.Condition()
        self._queue: list[Job] = []
        self._busy: Hashable | None = None
        self._busy_gen = 0  # the generation the job being built belongs to
        self._done: dict[Hashable, Any] = {}
        self._failed: set[Hashable] = set()
        self._gen = 0
        self._thread: threading.Thread | None = None
        self._closed = False

    def want(self, jobs: list[Job]) -> None:
        """Build ``jobs`` (most wanted first) instead of what was wanted before.

        Jobs being built for this generation, already built (not yet taken) or failed
        in it are skipped; one being built for an older generation (its result will be
        dropped) is wanted again.
        """
        with self._cond:
            if self._closed:
                return
            skip = self._done.keys() | self._failed
            if self._busy_gen == self._gen:
                skip |= {self._busy}
            self._queue = [job for job in jobs if job.key not in skip]
            if self._queue and self._thread is None:
                self._thread = threading.Thread(target=self._run, name="terrain-tiles", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def take(self, limit: int | None = None) -> list[tuple[Hashable, Any]]:
        """Up to ``limit`` (None: all) finished results, oldest first, as ``(key, value)``."""
        with self._cond:
            keys = list(self._done)[:limit]
            return [(key, self._done.pop(key)) for key in keys]

    @property
    def waiting(self) -> int:
        """Finished results not taken yet."""
        with self._cond:
            return len(self._done)

    def pending(self) -> bool:
        """True while jobs wait, one is being built or results wait to be taken."""
        with self._cond:
            return bool(self._queue or self._busy is not None or self._done)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no job waits or runs; False if ``timeout`` (seconds) passed first."""
        with self._cond:
            return self._cond.wait_for(
                lambda: self._closed or not (self._queue or self._busy is not None), timeout
            )

    def reset(self) -> None:
        """Forget every wish and result: what is being built now is dropped when done."""
        with self._cond:
            self._gen += 1
            self._queue.clear()
            self._done.clear()
            self._failed.clear()

    def close(self) -> None:
        """Stop the worker after the job it is on (does not wait for it)."""
        with self._cond:
            self._closed = True
            self._queue.clear()
            self._done.clear()
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closed or bool(self._queue))
                if self._closed:
                    return
                job, gen = self._queue.pop(0), self._gen
                self._busy, self._busy_gen = job.key, gen
            try:
                value, ok = job.build(), True
            except Exception:  # noqa: BLE001 - a broken tile must not stop the others
                log.exception("building terrain tile %r failed", job.key)
                value, ok = None, False
            with self._cond:
                self._busy = None
                current = gen == self._gen and not self._closed
                first = current and ok and not self._done
                if current and ok:
                    self._done[job.key] = value
                elif current:
                    self._failed.add(job.key)
                self._cond.notify_all()
            if first and self.on_ready is not None:
                try:
                    self.on_ready()
                except Exception:  # noqa: BLE001 - the render request is best effort
                    log.exception("asking for a render after a tile build failed")
