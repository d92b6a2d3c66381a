"""Smooth camera paths for videos: through bookmarks, or an orbit around a point (numpy only).

A path through bookmarks is a centripetal Catmull-Rom spline (no cusps or loops between
close views) over one vector per view: eye, focal point, view-up and view angle, the last
two scaled to metres at the views' mean viewing distance so that a turn or a zoom counts
as much as the motion it shows on screen. The spline is sampled at constant speed along
that vector's arc length, eased in and out (smoothstep), so the camera starts and stops
gently and never jumps at a bookmark. The first and last frame are the bookmarks themselves.

An orbit turns the view about the vertical axis through a point: the distance and the
elevation angle of the eye stay those of the starting view.

Views are in world coordinates with real heights (metres), so a path is planned in the
real landscape and shows the same flight at any vertical exaggeration: the scene draws
each frame's view with the exaggeration of the moment.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from twinscape.model.bookmarks import CameraView

#: Spline samples per segment used to measure arc length.
ARC_SAMPLES = 96
#: Centripetal Catmull-Rom (0.5): no cusps or self-intersections within a segment.
ALPHA = 0.5


def _ease(x: np.ndarray) -> np.ndarray:
    """Smoothstep: 0 -> 0, 1 -> 1, zero slope at both ends (a C1 start and stop)."""
    return x * x * (3.0 - 2.0 * x)


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(n > 0, n, 1.0)


def _state(views: Sequence[CameraView], scale: float) -> np.ndarray:
    """(n, 10) vectors: eye, focal point, unit view-up and angle (radians), the last two x scale."""
    rows = []
    for v in views:
        up = _unit(np.asarray(v.view_up, dtype=float))
        angle = math.radians(v.view_angle) * scale
        rows.append([*v.position, *v.focal_point, *(up * scale), angle])
    return np.array(rows, dtype=float)


def _view_of(row: np.ndarray, scale: float) -> CameraView:
    """The camera view of one state vector (view-up made perpendicular to the line of sight)."""
    eye, focal = row[0:3], row[3:6]
    sight = _unit(focal - eye)
    up = row[6:9] / scale
    up = up - np.dot(up, sight) * sight
    if np.linalg.norm(up) < 1e-6:
        up = np.array([0.0, 0.0, 1.0])
    angle = min(max(math.degrees(row[9] / scale), 1.0), 120.0)
    return CameraView(
        position=tuple(eye), focal_point=tuple(focal), view_up=tuple(_unit(up)), view_angle=angle
    )


class _Spline:
    """Centripetal Catmull-Rom through ``points`` (n, d), n >= 2, knots by chord length."""

    def __init__(self, points: np.ndarray) -> None:
        first, last = 2 * points[0] - points[1], 2 * points[-1] - points[-2]
        self.p = np.vstack([first, points, last])
        chords = np.linalg.norm(np.diff(self.p, axis=0), axis=1)
        self.t = np.concatenate([[0.0], np.cumsum(chords**ALPHA)])
        self.segments = len(points) - 1

    @property
    def span(self) -> tuple[float, float]:
        """Parameter values of the first and last control point."""
        return float(self.t[1]), float(self.t[-2])

    def __call__(self, u: np.ndarray) -> np.ndarray:
        """Points at parameters ``u`` (m,) -> (m, d); Barry and Goldman's pyramid."""
        u = np.clip(np.asarray(u, dtype=float), *self.span)
        i = np.clip(np.searchsorted(self.t, u, side="right") - 1, 1, self.segments)
        t0, t1, t2, t3 = (self.t[i + k][:, None] for k in (-1, 0, 1, 2))
        p0, p1, p2, p3 = (self.p[i + k] for k in (-1, 0, 1, 2))
        x = u[:, None]

        def lerp(a: np.ndarray, b: np.ndarray, ta: np.ndarray, tb: np.ndarray) -> np.ndarray:
            return ((tb - x) * a + (x - ta) * b) / (tb - ta)

        a1, a2, a3 = lerp(p0, p1, t0, t1), lerp(p1, p2, t1, t2), lerp(p2, p3, t2, t3)
        return lerp(lerp(a1, a2, t0, t2), lerp(a2, a3, t1, t3), t1, t2)


def path_through(
    views: Sequence[CameraView], frames: int, *, ease: bool = True
) -> list[CameraView]:
    """``frames`` camera views along a smooth path through ``views`` in order.

    Parameters
    ----------
    views
        Two or more camera views (bookmarks); repeated views are passed once.
    frames
        Number of views to return, at least 2: the first is ``views[0]``, the last
        ``views[-1]``, exactly.
    ease
        Start and stop gently (smoothstep on the arc length); False: constant speed.
    """
    if frames < 2:
        raise ValueError(f"a camera path needs at least 2 frames, got {frames}")
    if len(views) < 2:
        raise ValueError(f"a camera path needs at least 2 views, got {len(views)}")
    scale = float(np.mean([math.dist(v.position, v.focal_point) for v in views]))
    state = _state(views, scale)
    keep = [0]
    for i in range(1, len(state)):
        if np.linalg.norm(state[i] - state[keep[-1]]) > 1e-9 * max(scale, 1.0):
            keep.append(i)
    if len(keep) < 2:  # every view the same: stand still
        return [views[0]] * (frames - 1) + [views[-1]]
    spline = _Spline(state[keep])
    lo, hi = spline.span
    dense = np.linspace(lo, hi, ARC_SAMPLES * spline.segments + 1)
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(spline(dense), axis=0), axis=1))])
    s = np.linspace(0.0, 1.0, frames)
    if ease:
        s = _ease(s)
    rows = spline(np.interp(s * arc[-1], arc, dense))
    middle = [_view_of(row, scale) for row in rows[1:-1]]
    return [views[0], *middle, views[-1]]


def _turn(vectors: np.ndarray, angle: float) -> np.ndarray:
    """Rotate (..., 3) ``vectors`` by ``angle`` radians about the z axis (counter-clockwise)."""
    c, s = math.cos(angle), math.sin(angle)
    x, y, z = vectors[..., 0], vectors[..., 1], vectors[..., 2]
    return np.stack([c * x - s * y, s * x + c * y, z], axis=-1)


def orbit(
    view: CameraView,
    frames: int,
    *,
    center: Sequence[float] | None = None,
    turns: float = 1.0,
    clockwise: bool = False,
) -> list[CameraView]:
    """``frames`` views circling ``center`` (default: the view's focal point), looking at it.

    The eye keeps its distance from ``center`` and its elevation angle; it turns
    ``turns`` times (seen from above, counter-clockwise unless ``clockwise``). A whole
    turn ends one step short of the start, so a looping video does not repeat a frame.
    """
    if frames < 1:
        raise ValueError(f"an orbit needs at least 1 frame, got {frames}")
    if not math.isfinite(turns) or turns == 0:
        raise ValueError(f"turns must be a non-zero number, got {turns}")
    focal = np.asarray(view.focal_point if center is None else center, dtype=float)
    offset = np.asarray(view.position, dtype=float) - focal
    up = np.asarray(view.view_up, dtype=float)
    sign = -1.0 if clockwise else 1.0
    angles = sign * 2 * math.pi * turns * np.arange(frames) / frames
    out = []
    for angle in angles:
        eye = focal + _turn(offset, float(angle))
        row = np.concatenate([eye, focal, _turn(up, float(angle)), [math.radians(view.view_angle)]])
        out.append(_view_of(row, 1.0))
    return out
