"""The base of every layer kind. A layer is data plus how to show it; never a view.

Each kind lives in its own module (model/terrain.py, model/buildings.py, ...);
docs/ARCHITECTURE.md has the recipe for adding one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from psygnal import evented

from twinscape.model.obstacles import Obstacles


def _new_id() -> str:
    return uuid.uuid4().hex[:12]


#: The clock time :meth:`Layer.identify` reports time-dependent values at (see
#: :func:`identify_time`); None: each layer's own default (e.g. its latest data).
_IDENTIFY_TIME: ContextVar[datetime | None] = ContextVar("identify_time", default=None)


@contextmanager
def identify_time(when: datetime | None) -> Iterator[None]:
    """Within this block, ``Layer.identify`` gives time-dependent values at ``when``.

    The window identifies at the project clock's time; ``identify`` keeps its
    ``(row, point)`` signature, so kinds without time ignore this.
    """
    token = _IDENTIFY_TIME.set(when)
    try:
        yield
    finally:
        _IDENTIFY_TIME.reset(token)


def current_identify_time() -> datetime | None:
    """The time set by the innermost :func:`identify_time` block, or None."""
    return _IDENTIFY_TIME.get()


@evented
@dataclass(kw_only=True, eq=False)
class Layer:
    """Fields every layer has.

    Parameters
    ----------
    name
        Shown in the layer tree.
    visible
        Drawn or not.
    opacity
        0 (invisible) to 1 (opaque).
    id
        Stable identity within the project (saved).
    attribution
        Credit for the layer's data ("SRTM, courtesy of the U.S. Geological Survey"),
        shown on screenshots and videos; empty: the source file's name is shown.
    """

    #: Short name of the layer kind, as written in project files (set by each kind).
    kind: ClassVar[str] = ""
    #: True for layers other layers stand on (terrain): see geo/ground.py.
    provides_ground: ClassVar[bool] = False
    #: True for layers placed on the ground (buildings, models): re-based when it changes.
    stands_on_ground: ClassVar[bool] = False
    #: Fields holding data read from files: set by loading, never an edit, never saved.
    data_fields: ClassVar[tuple[str, ...]] = ()
    #: Settings that change how the file is read: changing one reloads the layer's data.
    reload_fields: ClassVar[tuple[str, ...]] = ()

    name: str
    visible: bool = True
    opacity: float = 1.0
    id: str = field(default_factory=_new_id)
    attribution: str = ""

    @property
    def loaded(self) -> bool:
        """True once the layer's data is in memory (a layer without data: always)."""
        return True

    def describe(self) -> list[str]:
        """Facts about the layer for tooltips and the inspector, one per line."""
        return []

    def feature_label(self, row: int) -> str:
        """Short name of feature ``row`` for the status bar and the inspector title."""
        return f"feature {row + 1}"

    def identify(self, row: int | None, point: tuple[float, float, float]) -> dict[str, object]:
        """Attributes of feature ``row`` (None: the surface) clicked at world ``point``."""
        return {}

    @property
    def bounds(self) -> tuple[float, float, float, float] | None:
        """(xmin, ymin, xmax, ymax) in the project CRS, or None when not loaded."""
        return None

    def occupied_ground(self) -> Obstacles | None:
        """Footprints placed infrastructure must keep clear of (buildings), or None."""
        return None

    @property
    def time_extent(self) -> tuple[datetime, datetime] | None:
        """(first, last) UTC time of time-dependent data the clock should span, or None."""
        return None

    @property
    def time_step(self) -> float | None:
        """Typical interval of the layer's time-dependent data in seconds, or None."""
        return None


def time_extent_of(layers: Iterable[Layer]) -> tuple[datetime, datetime] | None:
    """Union of the :attr:`Layer.time_extent` of ``layers``, or None when none has one."""
    spans = [span for span in (layer.time_extent for layer in layers) if span is not None]
    if not spans:
        return None
    return min(s[0] for s in spans), max(s[1] for s in spans)


def time_step_of(layers: Iterable[Layer]) -> float | None:
    """The finest :attr:`Layer.time_step` of ``layers`` (seconds), or None."""
    steps = [s for s in (layer.time_step for layer in layers) if s is not None and s > 0]
    return min(steps) if steps else None
