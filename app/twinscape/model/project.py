"""The project: CRS, local origin, layers, bookmarks and the clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from psygnal import evented
from psygnal.containers import EventedList

from twinscape.model.bookmarks import Bookmark, CameraView
from twinscape.model.clock import ProjectClock
from twinscape.model.layers import Layer, time_extent_of

Vec3 = tuple[float, float, float]


@evented
@dataclass(kw_only=True, eq=False)
class Project:
    """Everything a project file holds, plus where it lives.

    Parameters
    ----------
    name
        Title shown in the window.
    crs
        Projected, metric CRS every layer is reprojected to (``"EPSG:32636"``);
        ``None`` until the first layer picks it.
    origin
        World point subtracted from every coordinate before it reaches VTK's
        float32 (see geo/origin.py); ``None`` until the first layer sets it.
    layers
        Drawing order: index 0 is drawn first (bottom of the layer tree).
    bookmarks
        Named camera views.
    clock
        Project time.
    view
        The camera when the project was last saved.
    path
        The project file, or None for an unsaved project.
    """

    name: str = "Untitled"
    crs: str | None = None
    origin: Vec3 | None = None
    layers: EventedList[Layer] = field(default_factory=EventedList)
    bookmarks: EventedList[Bookmark] = field(default_factory=EventedList)
    clock: ProjectClock = field(default_factory=ProjectClock)
    view: CameraView | None = None
    path: Path | None = None

    def layer_by_id(self, layer_id: str) -> Layer:
        """Return the layer with ``layer_id``; KeyError names it when missing."""
        for layer in self.layers:
            if layer.id == layer_id:
                return layer
        raise KeyError(f"no layer with id {layer_id!r}")

    def bookmark(self, name: str) -> Bookmark:
        """Return the bookmark called ``name``; KeyError lists the known ones."""
        for mark in self.bookmarks:
            if mark.name == name:
                return mark
        known = ", ".join(repr(m.name) for m in self.bookmarks) or "none"
        raise KeyError(f"no camera bookmark named {name!r} (known: {known})")

    def show_time(self, when: datetime) -> None:
        """Move the clock to ``when``, widening its range to include it."""
        clock = self.clock
        assert clock.start is not None and clock.end is not None
        self.clock = ProjectClock(
            start=min(clock.start, when),
            end=max(clock.end, when),
            current=when,
            rate=clock.rate,
        )

    def fit_clock(self) -> None:
        """Span the clock over the time extent of the layers (now at its end), if they have one."""
        extent = time_extent_of(self.layers)
        if extent is not None:
            self.clock = ProjectClock(
                start=extent[0], end=extent[1], current=extent[1], rate=self.clock.rate
            )

    def bounds(self) -> tuple[float, float, float, float] | None:
        """Union of the bounds of all loaded layers, or None."""
        boxes = [b for b in (layer.bounds for layer in self.layers) if b is not None]
        if not boxes:
            return None
        return (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )

    def adopt_origin(self, bounds: tuple[float, float, float, float]) -> None:
        """Set the origin from ``bounds`` (see :func:`origin_for`) if it is unset."""
        if self.origin is None:
            self.origin = origin_for(bounds)


def origin_for(bounds: tuple[float, float, float, float]) -> Vec3:
    """The origin a project takes from its first data: the centre, rounded to 100 m."""
    cx = round((bounds[0] + bounds[2]) / 2 / 100.0) * 100.0
    cy = round((bounds[1] + bounds[3]) / 2 / 100.0) * 100.0
    return (cx, cy, 0.0)
