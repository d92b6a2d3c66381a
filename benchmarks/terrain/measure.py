"""Measuring inside one benchmark child process: frames, orbit, memory, triangles, image diffs.

Everything here works on a plain ``pyvista.Plotter`` so that the three cases are
timed by the same code.
"""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyvista as pv
from vtkmodules.vtkCommonDataModel import (
    vtkCompositeDataSet,
    vtkDataObject,
    vtkPolyData,
    vtkStructuredGrid,
)

from benchmarks.terrain import ORBIT_STEP_DEG, WINDOW_SIZE

#: Pixels whose largest channel difference exceeds this (0..255) count as "differing".
DIFF_THRESHOLD = 10
#: Longest wait (s) for a view to complete, and the pause between frames while refining.
COMPLETE_TIMEOUT_S = 300.0
REFINE_PAUSE_S = 0.01
#: Without ``scene.refining``: at most this many frames to reach a steady triangle count.
STEADY_MAX_FRAMES = 6


def make_plotter() -> pv.Plotter:
    """The offscreen plotter every case draws into (PyVista defaults, 1280 x 720)."""
    return pv.Plotter(off_screen=True, window_size=list(WINDOW_SIZE))


def grab(plotter: pv.Plotter) -> np.ndarray:
    """Render one frame and read the image back; returns (rows, cols, 3) uint8.

    ``Plotter.render`` is a no-op before the first render, when ``screenshot``
    renders instead; afterwards ``screenshot`` only reads back, so the explicit
    render is what draws the frame.
    """
    plotter.render()
    return plotter.screenshot(return_img=True)


@dataclass
class FrameTimes:
    """Seconds per frame: wall clock, and CPU of this process (all its threads, llvmpipe's too).

    CPU time hardly changes when other processes load the machine, wall time does:
    the pair tells a slow frame from a busy machine.
    """

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


def orbit(
    plotter: pv.Plotter,
    frames: int,
    *,
    step_deg: float = ORBIT_STEP_DEG,
) -> FrameTimes:
    """Turn the camera ``step_deg`` about the focal point per frame, timing each frame.

    A frame is timed from the camera move to the image read back. The clipping
    range is reset as VTK's interactor styles do after a rotation.
    """
    times = FrameTimes()
    camera = plotter.renderer.GetActiveCamera()
    for _ in range(frames):
        wall, cpu = time.perf_counter(), time.process_time()
        camera.Azimuth(step_deg)
        plotter.renderer.ResetCameraClippingRange()
        grab(plotter)
        times.wall.append(time.perf_counter() - wall)
        times.cpu.append(time.process_time() - cpu)
    return times


def frame_stats(times: FrameTimes) -> dict[str, float | int | list[float]]:
    """Median and p90 of wall time, median CPU time, and the raw lists (seconds)."""
    if not times.wall:
        return {"frames": 0}
    wall = np.asarray(times.wall)
    return {
        "frames": len(wall),
        "median_s": float(np.median(wall)),
        "p90_s": float(np.percentile(wall, 90)),
        "mean_s": float(wall.mean()),
        "cpu_median_s": float(np.median(times.cpu)),
        "times_s": [round(t, 6) for t in times.wall],
        "cpu_times_s": [round(t, 6) for t in times.cpu],
    }


def scene_triangles(scene: Any, plotter: pv.Plotter) -> int:
    """Triangles drawn: the scene's own count when it has one, else the visible actors'."""
    if callable(getattr(scene, "triangles", None)):
        return int(scene.triangles())
    return drawn_triangles(plotter)


def render_until_complete(
    scene: Any, plotter: pv.Plotter, timeout: float = COMPLETE_TIMEOUT_S
) -> dict[str, Any]:
    """Render the current view until it is complete; when and after how many frames.

    Complete means ``scene.refining()`` is False (when the scene has it: tile builds
    run in the background and are swapped in at later frames; a short pause between
    frames lets them run), a frame draws as many triangles as the one before, and that
    one was drawn at full quality (not a passing frame without multisampling). Returns
    ``end`` (``perf_counter`` at the end of the first complete frame), ``frames``, the
    complete ``image``, ``timed_out`` (not complete within ``timeout`` or, without
    ``refining``, :data:`STEADY_MAX_FRAMES`), and the very first frame's ``first_end``,
    ``first_image`` and ``first_triangles``.
    """
    refining = getattr(scene, "refining", None)
    quality = getattr(scene, "quality", None)

    def reduced() -> bool:  # the frame just drawn was a passing one (no multisampling)
        return bool(getattr(quality, "moving", False))

    start = time.perf_counter()
    image = grab(plotter)
    end, frames, was_reduced = time.perf_counter(), 1, reduced()
    previous = scene_triangles(scene, plotter)
    first = {"first_end": end, "first_image": image, "first_triangles": previous}
    while time.perf_counter() - start < timeout:
        busy = callable(refining) and bool(refining())
        if busy:
            time.sleep(REFINE_PAUSE_S)
        elif not callable(refining) and frames >= STEADY_MAX_FRAMES:
            break
        next_image = grab(plotter)
        frames += 1
        triangles = scene_triangles(scene, plotter)
        if not busy and triangles == previous and not was_reduced:
            return {"end": end, "frames": frames - 1, "image": image, "timed_out": False, **first}
        image, end, previous, was_reduced = next_image, time.perf_counter(), triangles, reduced()
    return {"end": end, "frames": frames, "image": image, "timed_out": True, **first}


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux ru_maxrss is KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def current_rss_mb() -> float:
    """Resident memory of this process now, in MiB (from /proc/self/status)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def drawn_triangles(plotter: pv.Plotter) -> int:
    """Triangles in the inputs of the visible actors (quads count as two, strips as n-2)."""
    total = 0
    actors = plotter.renderer.GetActors()
    actors.InitTraversal()
    for _ in range(actors.GetNumberOfItems()):
        actor = actors.GetNextActor()
        if not actor.GetVisibility() or actor.GetMapper() is None:
            continue
        mapper = actor.GetMapper()
        total += _triangles_in(mapper.GetInputDataObject(0, 0))
    return total


def _triangles_in(data: vtkDataObject | None) -> int:
    """Triangle count of one data object, walking the leaves of composite data."""
    if data is None:
        return 0
    if isinstance(data, vtkCompositeDataSet):
        it = data.NewIterator()
        it.InitTraversal()
        count = 0
        while not it.IsDoneWithTraversal():
            count += _triangles_in(it.GetCurrentDataObject())
            it.GoToNextItem()
        return count
    if isinstance(data, vtkStructuredGrid):
        nx, ny, nz = pv.wrap(data).dimensions
        return 2 * max(nx - 1, 0) * max(ny - 1, 0) * max(nz, 1)
    if isinstance(data, vtkPolyData):
        return _cells_as_triangles(data.GetPolys()) + _cells_as_triangles(data.GetStrips())
    return 2 * int(data.GetNumberOfCells()) if hasattr(data, "GetNumberOfCells") else 0


def _cells_as_triangles(cells: object) -> int:
    """Sum over cells of (points - 2): a polygon or strip of n points is n - 2 triangles."""
    n_cells = cells.GetNumberOfCells()  # type: ignore[attr-defined]
    n_ids = cells.GetNumberOfConnectivityIds()  # type: ignore[attr-defined]
    return int(n_ids - 2 * n_cells)


def image_difference(
    a: np.ndarray, b: np.ndarray, threshold: int = DIFF_THRESHOLD
) -> dict[str, float]:
    """Mean absolute difference (0..255) and the fraction of pixels differing by > threshold."""
    if a.shape != b.shape:
        raise ValueError(f"image shapes differ: {a.shape} vs {b.shape}")
    diff = np.abs(a[..., :3].astype(np.int16) - b[..., :3].astype(np.int16))
    per_pixel = diff.max(axis=-1)
    return {
        "mean_abs_diff": float(diff.mean()),
        "frac_pixels_over_threshold": float((per_pixel > threshold).mean()),
        "max_abs_diff": int(per_pixel.max()),
        "threshold": threshold,
    }


def save_png(image: np.ndarray, path: Path) -> None:
    """Write an RGB image (for looking at what was measured)."""
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.ascontiguousarray(image[..., :3])).save(path)
