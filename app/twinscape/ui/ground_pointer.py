"""Where the cursor points on the ground: rays through pixels, vertex snapping, screen positions.

Placement tools ask :class:`GroundPointer` for the world (x, y) under a pixel: the
ground itself (a ray against the elevation grids, so the asset being dragged never
gets in the way), or an existing vertex within :data:`SNAP_PX` pixels of the cursor.
Pixels are VTK display coordinates (device pixels, origin bottom-left).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from PySide6.QtGui import QMouseEvent

from twinscape.geo.ground import ground_grids
from twinscape.model.placed import assets_of
from twinscape.render.ground_pick import ground_z, ray_to_ground, world_to_display

#: Screen distance within which the cursor snaps to a vertex, and grabs a vertex handle.
SNAP_PX = 12.0

XY = tuple[float, float]


class GroundPointer:
    """Ground positions under the cursor in one main window's 3D view."""

    def __init__(self, window: Any) -> None:
        self.window = window

    def display(self, event: QMouseEvent) -> XY:
        """VTK display coordinates of a mouse event on the 3D view."""
        plotter = self.window.viewport.plotter
        ratio = plotter.devicePixelRatioF()
        pos = event.position()
        return pos.x() * ratio, (plotter.height() - pos.y() - 1) * ratio

    def ground_at(self, x: float, y: float, snap_to: Sequence[XY] = ()) -> XY | None:
        """World (x, y) on the ground under display (x, y), or a ``snap_to`` vertex nearby."""
        scene = self.window.viewport.scene
        if scene is None:
            return None
        if snap_to:
            index = self.nearest(np.asarray(snap_to, np.float64), x, y)
            if index is not None:
                return float(snap_to[index][0]), float(snap_to[index][1])
        grids = ground_grids(self.window.project.layers)
        if grids:
            hit = ray_to_ground(scene.renderer, scene.origin, grids, x, y,
                                exaggeration=scene.ground_exaggeration())
            return None if hit is None else (hit[0], hit[1])
        point = scene.pick_world(x, y)  # no terrain: whatever is drawn, or nothing
        return None if point is None else (point[0], point[1])

    def asset_vertices(self, skip: str | None = None) -> list[XY]:
        """Vertices of every placed asset (but the one with id ``skip``): snapping targets."""
        return [p for layer in assets_of(self.window.project.layers)
                for asset in layer.assets if asset.id != skip for p in asset.coords]

    def nearest(self, xy: np.ndarray, x: float, y: float, within: float = SNAP_PX) -> int | None:
        """Index of the world point of ``xy`` (N, 2) drawn nearest display (x, y), if close."""
        if len(xy) == 0:
            return None
        screen = self.to_screen(xy)
        distance = np.hypot(screen[:, 0] - x, screen[:, 1] - y)
        if not np.isfinite(distance).any():
            return None
        best = int(np.nanargmin(distance))
        return best if distance[best] <= within else None

    def on_ground(self, xy: np.ndarray) -> np.ndarray:
        """World points (N, 3): ``xy`` (N, 2) at the ground's elevation (0 off the ground)."""
        xy = np.asarray(xy, np.float64).reshape(-1, 2)
        grids = ground_grids(self.window.project.layers)
        z = ground_z(grids, xy[:, 0], xy[:, 1]) if grids else np.zeros(len(xy))
        return np.column_stack([xy, np.nan_to_num(z)])

    def to_screen(self, xy: np.ndarray) -> np.ndarray:
        """Display (x, y) of world points ``xy`` (N, 2) on the ground; NaN behind the camera."""
        scene = self.window.viewport.scene
        if scene is None:
            return np.full((len(xy), 2), np.nan)
        return world_to_display(scene.renderer, scene.origin, self.on_ground(xy),
                                exaggeration=scene.ground_exaggeration())

    def near_line(self, xy: np.ndarray, x: float, y: float, within: float = SNAP_PX) -> bool:
        """True when display (x, y) is within ``within`` pixels of the line through ``xy``."""
        screen = self.to_screen(np.asarray(xy, np.float64))
        if len(screen) == 1:
            return bool(np.hypot(*(screen[0] - (x, y))) <= within)
        return distance_to_polyline(screen, (x, y)) <= within


def distance_to_polyline(points: np.ndarray, xy: XY) -> float:
    """Smallest distance from ``xy`` to the segments of ``points`` (N, 2); inf when undefined."""
    p = np.asarray(xy, np.float64)
    a, b = points[:-1], points[1:]
    ab = b - a
    length2 = np.einsum("ij,ij->i", ab, ab)
    t = np.clip(np.einsum("ij,ij->i", p - a, ab) / np.where(length2 > 0, length2, 1.0), 0, 1)
    nearest = a + t[:, None] * ab
    distance = np.hypot(*(nearest - p).T)
    return float(np.nanmin(distance)) if np.isfinite(distance).any() else math.inf
