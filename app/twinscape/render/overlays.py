"""What the overlays on a rendered picture say (numpy, no Qt, no VTK, no drawing).

Scale bar, north arrow, legend of the visible layers, data attribution, title and the
clock's time: :class:`OverlayOptions` chooses them, :func:`overlay_info` collects their
contents into an :class:`OverlayInfo`, and
:func:`~twinscape.render.overlay_drawing.draw_overlays` draws them.

- Scale bar: a round length (1, 2 or 5 times a power of ten) from the metres per pixel
  at the focal point, ``2 d tan(view_angle / 2) / height`` with ``d`` the camera's
  distance to it; true at the picture's centre, only approximate far from it in
  oblique views (perspective).
- North arrow: **grid north** of the project CRS (+y), as seen at the focal point; in
  UTM it differs from true north by the meridian convergence (under 3 degrees in a zone).
- Legend: each visible layer's :func:`~twinscape.render.kinds.layer_legend`.
- Attribution: a layer's own ``attribution`` text if its kind gives one, else
  ``"<Kind>: <source file name>"``; then the project-level text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from twinscape import __version__
from twinscape.model.bookmarks import CameraView
from twinscape.model.clock import to_ns
from twinscape.model.layers import Layer
from twinscape.model.project import Project
from twinscape.render.kinds import DrapeContext, Legend, layer_legend

#: Every overlay, by the name ``--overlays`` and the dialog use.
OVERLAY_NAMES = ("scale", "north", "legend", "attribution", "title", "time")


@dataclass(frozen=True)
class OverlayOptions:
    """Which overlays to draw, and their texts.

    Parameters
    ----------
    show
        Names from :data:`OVERLAY_NAMES`.
    title
        The title; None uses the project's name.
    attribution
        Project-level attribution line; None: ``"<project> · Twinscape <version>"``.
    """

    show: frozenset[str] = frozenset(OVERLAY_NAMES)
    title: str | None = None
    attribution: str | None = None

    def __post_init__(self) -> None:
        unknown = set(self.show) - set(OVERLAY_NAMES)
        if unknown:
            raise ValueError(
                f"unknown overlay {', '.join(sorted(unknown))}; use all or some of "
                f"{','.join(OVERLAY_NAMES)}"
            )


@dataclass(frozen=True)
class OverlayInfo:
    """What the overlays say about one picture (see :func:`overlay_info`)."""

    metres_per_pixel: float | None
    north_deg: float
    title: str
    time: datetime
    legends: tuple[Legend, ...] = ()
    attribution: tuple[str, ...] = field(default=())


def metres_per_pixel(view: CameraView, height_px: int) -> float | None:
    """Ground metres per picture pixel at the focal point (None for a degenerate camera)."""
    d = float(np.linalg.norm(np.subtract(view.focal_point, view.position)))
    if not d > 0 or height_px < 1:
        return None
    return 2.0 * d * math.tan(math.radians(view.view_angle) / 2.0) / height_px


def north_angle(view: CameraView) -> float:
    """Screen angle of grid north at the focal point, degrees clockwise from straight up."""
    forward = np.subtract(view.focal_point, view.position).astype(float)
    right = np.cross(forward, view.view_up)
    up = np.cross(right, forward)
    rn, un = np.linalg.norm(right), np.linalg.norm(up)
    if not (rn > 0 and un > 0):
        return 0.0
    north = np.array([0.0, 1.0, 0.0])
    x, y = float(north @ right) / rn, float(north @ up) / un
    if math.hypot(x, y) < 1e-9:  # looking along north: it points into the picture
        return 0.0
    return math.degrees(math.atan2(x, y))


def nice_length(metres: float) -> float:
    """The largest 1, 2 or 5 times a power of ten not above ``metres``."""
    power = 10.0 ** math.floor(math.log10(metres))
    return max(m * power for m in (1, 2, 5) if m * power <= metres * (1 + 1e-9))


def length_label(metres: float, *, unit: bool = True) -> str:
    """``"500 m"``, ``"2 km"``, ``"2.5 km"`` (no unit: the number alone, in the same unit)."""
    km = metres >= 1000
    value = metres / 1000 if km else metres
    text = f"{value:,.6g}"
    return f"{text} {'km' if km else 'm'}" if unit else text


def layer_attribution(layer: Layer) -> str | None:
    """A layer's data credit: its kind's ``attribution`` text, else its source file's name."""
    own = getattr(layer, "attribution", None)
    if isinstance(own, str) and own.strip():
        return own.strip()
    source = getattr(layer, "source", None)
    if isinstance(source, Path):
        return f"{layer.kind.replace('_', ' ').capitalize()}: {source.name}"
    return None


def overlay_info(
    project: Project, view: CameraView, size: tuple[int, int], options: OverlayOptions
) -> OverlayInfo:
    """Collect the overlays' contents for a ``size`` picture of ``project`` from ``view``."""
    layers = list(project.layers)
    context = DrapeContext(time_ns=to_ns(project.clock.current), layers=layers)
    shown = [layer for layer in reversed(layers) if layer.visible and layer.loaded]
    legends = tuple(g for g in (layer_legend(layer, context) for layer in shown) if g)
    credits = [c for c in (layer_attribution(layer) for layer in shown) if c]
    credits.append(options.attribution or f"{project.name} \u00b7 Twinscape {__version__}")
    return OverlayInfo(
        metres_per_pixel=metres_per_pixel(view, int(size[1])),
        north_deg=north_angle(view),
        title=options.title if options.title is not None else project.name,
        time=project.clock.current,
        legends=legends,
        attribution=tuple(dict.fromkeys(credits)),
    )
