"""Footprint polygons built in bulk with shapely: rectangles, L and U shapes, courtyard rings."""

from __future__ import annotations

import math

import numpy as np
import shapely


def _ring(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    return np.stack([xs, ys], axis=-1)


def _rects(x0, y0, x1, y1) -> np.ndarray:
    xs = np.stack([x0, x1, x1, x0, x0], axis=-1)
    ys = np.stack([y0, y0, y1, y1, y0], axis=-1)
    return shapely.polygons(_ring(xs, ys))


def _ells(x0, y0, x1, y1, *, cut_x, cut_y, sx, sy) -> np.ndarray:
    """Rectangles with the corner (``sx``, ``sy``) (+1 = east/north) cut out, CCW."""
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    a, b = (x1 - x0) / 2, (y1 - y0) / 2
    u = np.stack([-a, a, a, a - cut_x, a - cut_x, -a], axis=-1)
    v = np.stack([-b, -b, b - cut_y, b - cut_y, b, b], axis=-1)
    xs = cx[:, None] + sx[:, None] * u
    ys = cy[:, None] + sy[:, None] * v
    flip = sx * sy < 0  # a mirror turns the ring clockwise
    xs[flip], ys[flip] = xs[flip, ::-1], ys[flip, ::-1]
    xs = np.concatenate([xs, xs[:, :1]], axis=1)
    ys = np.concatenate([ys, ys[:, :1]], axis=1)
    return shapely.polygons(_ring(xs, ys))


def _us(x0, y0, x1, y1, w) -> np.ndarray:
    """U shapes open to the north with arms ``w`` wide, CCW."""
    xs = np.stack([x0, x1, x1, x1 - w, x1 - w, x0 + w, x0 + w, x0, x0], axis=-1)
    ys = np.stack([y0, y0, y1, y1, y0 + w, y0 + w, y1, y1, y0], axis=-1)
    return shapely.polygons(_ring(xs, ys))


def _courtyards(x0, y0, x1, y1, depth) -> np.ndarray:
    shells = shapely.linearrings(
        _ring(np.stack([x0, x1, x1, x0, x0], axis=-1), np.stack([y0, y0, y1, y1, y0], axis=-1))
    )
    a0, b0, a1, b1 = x0 + depth, y0 + depth, x1 - depth, y1 - depth
    holes = shapely.linearrings(
        _ring(  # clockwise, as OGC wants interior rings
            np.stack([a0, a0, a1, a1, a0], axis=-1), np.stack([b0, b1, b1, b0, b0], axis=-1)
        )
    )
    return shapely.polygons(shells, holes=holes[:, None])


def _rotate(geometry: np.ndarray, degrees: float) -> np.ndarray:
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    rot = np.array([[c, s], [-s, c]])
    return shapely.transform(geometry, lambda xy: xy @ rot)
