"""Cameras of the buildings benchmark and what is measured at each of them.

The cameras are world coordinates taken from the Twinscape case (``_town_views``) and
handed to the other cases as JSON; ``_orbits`` takes the first image and the settled and
interactive orbits of a Twinscape scene, ``_interleaved`` the same scene's orbits with its
buildings shown and hidden in turn; ``_apply_local_view`` shifts a camera into the
naive case's local coordinates.
"""

from __future__ import annotations

import time
from typing import Any

from benchmarks.buildings import CLOSE_HALF_SIDE, WARMUP_FRAMES


def _view_dict(view: Any) -> dict[str, Any]:
    return {
        "position": [float(v) for v in view.position],
        "focal_point": [float(v) for v in view.focal_point],
        "view_up": [float(v) for v in view.view_up],
        "view_angle": float(view.view_angle),
    }


def _camera_view(view: dict[str, Any]) -> Any:
    from twinscape.model.bookmarks import CameraView

    return CameraView(
        position=tuple(view["position"]),
        focal_point=tuple(view["focal_point"]),
        view_up=tuple(view["view_up"]),
        view_angle=float(view["view_angle"]),
    )


def _town_views(scene: Any, layer: Any) -> dict[str, dict[str, Any]]:
    """The overview and close cameras of a loaded buildings layer (world coordinates)."""
    import numpy as np

    mesh = layer.mesh
    base = np.asarray(layer.base if layer.base is not None else mesh.own_base, float)
    top = float(np.nanmax(base + mesh.table["height"].to_numpy(float)))
    zlo = float(np.nanmin(base))
    ve = scene.ground_exaggeration()  # frame() takes z as drawn
    zlo, top = zlo * ve, top * ve
    x0, y0, x1, y1 = mesh.bounds
    views = {}
    scene.frame((x0, y0, zlo, x1, y1, top))
    views["overview"] = _view_dict(scene.current_view())
    cx, cy, h = (x0 + x1) / 2, (y0 + y1) / 2, CLOSE_HALF_SIDE
    scene.frame((cx - h, cy - h, zlo, cx + h, cy + h, top))
    views["close"] = _view_dict(scene.current_view())
    return views


def _timed(module: Any, name: str, into: dict[str, float]) -> None:
    """Wrap ``module.name`` so that its calls add their seconds to ``into[name]``."""
    fn = getattr(module, name, None)
    if fn is None:
        return

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            into[name] = into.get(name, 0.0) + time.perf_counter() - start

    setattr(module, name, wrapper)


def _points(scene: Any) -> int:
    """Buildings drawn as points (one vertex each) by the scene's visuals."""
    return int(sum(getattr(v, "points", 0) for v in scene.visuals.values()))


def _orbits(scene: Any, plotter: Any, frames: int, view: dict[str, Any]) -> dict[str, Any]:
    """From ``view``: first image, then a settled orbit and an interactive one."""
    from benchmarks.terrain.measure import frame_stats, grab, orbit

    out: dict[str, Any] = {}
    scene.apply_view(_camera_view(view))
    start = time.perf_counter()
    image = grab(plotter)
    out["first_image_s"] = time.perf_counter() - start
    out["triangles"] = int(scene.triangles())
    out["points"] = _points(scene)
    out["orbit"] = frame_stats(orbit(plotter, frames))
    scene.apply_view(_camera_view(view))
    scene.interacting = True
    try:
        grab(plotter)
        out["triangles_interactive"] = int(scene.triangles())
        out["points_interactive"] = _points(scene)
        out["orbit_interactive"] = frame_stats(orbit(plotter, frames))
    finally:
        scene.interacting = False
    out["_image"] = image
    return out


def _apply_local_view(
    plotter: Any, view: dict[str, Any], offset: tuple[float, float, float]
) -> None:
    """A world-coordinate camera shifted into the naive case's local coordinates."""
    import numpy as np

    plotter.camera_position = [
        tuple(np.subtract(view["position"], offset)),
        tuple(np.subtract(view["focal_point"], offset)),
        tuple(view["view_up"]),
    ]
    plotter.camera.view_angle = float(view["view_angle"])
    plotter.renderer.ResetCameraClippingRange()


def _interleaved(
    scene: Any, plotter: Any, layer: Any, frames: int, view: dict[str, Any], rounds: int
) -> dict[str, Any]:
    """Interactive orbits from ``view`` with the buildings shown and hidden, alternating
    ``rounds`` times in this process, each with a new frame budget (as a new scene has)
    that :data:`WARMUP_FRAMES` frames settle to what is drawn. The terrain alone is drawn
    seconds apart from the town, so the ratio does not take the machine's drift between
    processes along (measured here: the same frames, in the same LOD state, took 44 to
    63 ms from one process to the next, CPU time alike)."""
    import numpy as np

    from benchmarks.terrain.measure import orbit

    times: dict[bool, list[list[float]]] = {True: [], False: []}
    cpu: dict[bool, list[float]] = {True: [], False: []}
    try:
        for _ in range(rounds):
            for shown in (True, False):
                layer.visible = shown
                scene.budget = type(scene.budget)()  # each orbit learns from scratch
                scene.apply_view(_camera_view(view))
                scene.interacting = True
                orbit(plotter, WARMUP_FRAMES)
                scene.apply_view(_camera_view(view))
                measured = orbit(plotter, frames)
                scene.interacting = False
                times[shown].append(measured.wall)
                cpu[shown].extend(measured.cpu)
    finally:
        layer.visible, scene.interacting = True, False
    town, alone = np.concatenate(times[True]), np.concatenate(times[False])
    return {
        "rounds": rounds,
        "town_median_s": float(np.median(town)),
        "terrain_alone_median_s": float(np.median(alone)),
        "ratio": float(np.median(town) / np.median(alone)),
        "cpu_ratio": float(np.median(cpu[True]) / np.median(cpu[False])),
        "round_ratios": [
            float(np.median(a) / np.median(b)) for a, b in zip(times[True], times[False])
        ],
        "town_times_s": town.tolist(),
        "terrain_alone_times_s": alone.tolist(),
    }
