"""Where a ray through a pixel meets the ground: picking that ignores what is drawn on it.

Picking by the depth buffer (:meth:`SceneView.pick_world`) finds the first surface drawn
under the cursor, which is the asset being dragged itself. Placement tools need the
terrain underneath instead, so :func:`ray_to_ground` intersects the camera ray with the
elevation grids directly: the ray is clipped to the grids' box, sampled densely and the
first crossing refined by bisection (sub-centimetre on any DEM).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from vtkmodules.vtkRenderingCore import vtkRenderer

from twinscape.geo.ground import ground_elevation
from twinscape.geo.origin import LocalOrigin
from twinscape.model.raster import RasterGrid

#: Samples along the clipped ray before the crossing is refined.
RAY_SAMPLES = 4096
#: Bisection steps refining the first crossing.
REFINE_STEPS = 30


def ground_z(grids: Sequence[RasterGrid], x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Elevation of the first grid (the finest, as ``ground_grids`` orders them) at each (x, y).

    NaN off every grid; see :func:`~twinscape.geo.ground.ground_elevation`.
    """
    return ground_elevation(grids, x, y)


def display_ray(renderer: vtkRenderer, x_px: float, y_px: float) -> tuple[np.ndarray, np.ndarray]:
    """Render-space points where the ray through display (x, y) meets the near and far planes."""
    ends = []
    for depth in (0.0, 1.0):
        renderer.SetDisplayPoint(float(x_px), float(y_px), depth)
        renderer.DisplayToWorld()
        hx, hy, hz, hw = renderer.GetWorldPoint()
        if hw == 0:
            raise ValueError("degenerate camera: the ray through the pixel is undefined")
        ends.append(np.array([hx / hw, hy / hw, hz / hw], np.float64))
    return ends[0], ends[1]


def _clip_to_box(
    start: np.ndarray, end: np.ndarray, low: np.ndarray, high: np.ndarray
) -> tuple[float, float] | None:
    """Parameters (t0, t1) of the ray start + t (end - start), t >= 0, inside the box, or None.

    The ray goes on past ``end`` (the far clipping plane may be nearer than the ground).
    """
    t0, t1 = 0.0, np.inf
    direction = end - start
    for axis in range(3):
        if abs(direction[axis]) < 1e-12:
            if not low[axis] <= start[axis] <= high[axis]:
                return None
            continue
        a = (low[axis] - start[axis]) / direction[axis]
        b = (high[axis] - start[axis]) / direction[axis]
        t0, t1 = max(t0, min(a, b)), min(t1, max(a, b))
        if t0 > t1:
            return None
    return t0, t1


def ray_to_ground(
    renderer: vtkRenderer,
    origin: LocalOrigin,
    grids: Sequence[RasterGrid],
    x_px: float,
    y_px: float,
    *,
    exaggeration: float = 1.0,
) -> tuple[float, float, float] | None:
    """World (x, y, z) where the ray through display (x, y) first meets the ground, or None.

    ``exaggeration`` is the vertical scale the ground is drawn with (render z is world
    z times it); the returned z is in true metres.
    """
    if not grids:
        return None
    near, far = display_ray(renderer, x_px, y_px)
    boxes = [grid.bounds for grid in grids]
    zs = [grid.elevation_range() for grid in grids]
    ve = exaggeration if exaggeration > 0 else 1.0
    ox, oy, oz = origin.point_to_world((0.0, 0.0, 0.0))
    # displayed render coordinates are (world - origin), z then scaled by ve (actor scale)
    low = np.array([min(b[0] for b in boxes) - ox, min(b[1] for b in boxes) - oy,
                    (min(z[0] for z in zs) - oz) * ve - 1.0])
    high = np.array([max(b[2] for b in boxes) - ox, max(b[3] for b in boxes) - oy,
                     (max(z[1] for z in zs) - oz) * ve + 1.0])
    span = _clip_to_box(near, far, low, high)
    if span is None:
        return None

    def to_world(points: np.ndarray) -> np.ndarray:
        return np.column_stack([points[:, 0] + ox, points[:, 1] + oy, points[:, 2] / ve + oz])

    def height_above(t: np.ndarray) -> np.ndarray:
        world = to_world(near[None, :] + t[:, None] * (far - near)[None, :])
        return world[:, 2] - ground_z(grids, world[:, 0], world[:, 1])

    t = np.linspace(span[0], span[1], RAY_SAMPLES)
    above = height_above(t)
    below = np.flatnonzero(above <= 0)
    if below.size == 0:
        return None
    k = int(below[0])
    if k == 0:
        hit = t[0]
    else:
        lo, hi = t[k - 1], t[k]
        for _ in range(REFINE_STEPS):
            mid = 0.5 * (lo + hi)
            value = height_above(np.array([mid]))[0]
            if np.isnan(value) or value > 0:
                lo = mid
            else:
                hi = mid
        hit = hi
    point = to_world((near + hit * (far - near))[None, :])[0]
    x, y = float(point[0]), float(point[1])
    z = float(ground_z(grids, np.array([x]), np.array([y]))[0])
    return x, y, z


def world_to_display(
    renderer: vtkRenderer,
    origin: LocalOrigin,
    points: np.ndarray,
    *,
    exaggeration: float = 1.0,
) -> np.ndarray:
    """Display (x, y) pixels (origin bottom-left) of world points (N, 3); NaN behind the camera."""
    pts = np.atleast_2d(np.asarray(points, np.float64))
    if pts.size == 0:
        return np.zeros((0, 2))
    ox, oy, oz = origin.point_to_world((0.0, 0.0, 0.0))
    render = np.column_stack([pts[:, 0] - ox, pts[:, 1] - oy, (pts[:, 2] - oz) * exaggeration])
    width, height = renderer.GetSize()
    aspect = width / height if height else 1.0
    matrix = renderer.GetActiveCamera().GetCompositeProjectionTransformMatrix(aspect, -1, 1)
    m = np.array([[matrix.GetElement(i, j) for j in range(4)] for i in range(4)])
    clip = np.column_stack([render, np.ones(len(render))]) @ m.T
    w = clip[:, 3]
    out = np.full((len(pts), 2), np.nan)
    front = w > 1e-9
    ndc = clip[front, :2] / w[front, None]
    origin_x, origin_y = renderer.GetOrigin()  # lower-left pixel of the renderer
    out[front, 0] = origin_x + (ndc[:, 0] + 1.0) / 2.0 * width
    out[front, 1] = origin_y + (ndc[:, 1] + 1.0) / 2.0 * height
    return out
