"""The three cases, each run in its own child process by ``benchmarks.terrain.child``.

- ``naive``: the obvious PyVista code: the full-resolution DEM as one StructuredGrid
  with elevation scalars and a colormap.
- ``near_empty``: one small cube; the floor this machine allows for a frame.
- ``twinscape``: the app's own path, ``open_data_files`` then ``SceneView``.

Every case returns a plain dict: timings in seconds, memory in MiB.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pyvista as pv

from benchmarks.terrain.measure import (
    current_rss_mb,
    drawn_triangles,
    frame_stats,
    grab,
    make_plotter,
    orbit,
    peak_rss_mb,
    save_png,
)

#: A camera in world coordinates: position, focal_point, view_up (3-tuples), view_angle.
View = dict[str, Any]


def run_near_empty(frames: int, *, png: Path | None = None) -> dict[str, Any]:
    """One small cube at PyVista's default camera."""
    rss_before = current_rss_mb()
    plotter = make_plotter()
    start = time.perf_counter()
    plotter.add_mesh(pv.Cube(x_length=10.0, y_length=10.0, z_length=10.0), color="tan")
    built = time.perf_counter()
    image = grab(plotter)
    first = time.perf_counter()
    result = first_frame_result(plotter, start, start, built, first, rss_before)
    result["orbit"] = frame_stats(orbit(plotter, frames))
    _finish(plotter, image, png, result)
    return result


def run_naive(
    dem: Path, frames: int, *, view: View | None = None, png: Path | None = None
) -> dict[str, Any]:
    """The full-resolution DEM as one coloured StructuredGrid, as a PyVista user writes it.

    Coordinates are local (world minus the centre of the DEM's bounds); nodata is
    filled with the lowest valid elevation so the mesh stays one piece. ``view``
    (world coordinates, e.g. Twinscape's default view) sets the camera; without
    it PyVista's default camera is used.
    """
    rss_before = current_rss_mb()
    plotter = make_plotter()
    start = time.perf_counter()
    elevation, xs, ys, centre = _read_naive(dem)
    loaded = time.perf_counter()
    xx, yy = np.meshgrid(xs - centre[0], ys - centre[1])
    grid = pv.StructuredGrid(xx, yy, elevation)
    grid["elevation"] = elevation.ravel(order="F")
    plotter.add_mesh(grid, scalars="elevation", cmap="terrain")
    if view is not None:
        _apply_view(plotter, view, offset=(centre[0], centre[1], 0.0))
    built = time.perf_counter()
    image = grab(plotter)
    first = time.perf_counter()
    result = first_frame_result(plotter, start, loaded, built, first, rss_before)
    result["camera"] = "twinscape default view" if view is not None else "pyvista default"
    result["orbit"] = frame_stats(orbit(plotter, frames))
    _finish(plotter, image, png, result)
    return result


def _read_naive(dem: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[float, float]]:
    """Elevation (float32, nodata filled), cell-centre x and y, and the bounds centre."""
    import rasterio

    with rasterio.open(dem) as src:
        band = src.read(1, masked=True).astype(np.float32)
        transform, bounds = src.transform, src.bounds
    elevation = band.filled(float(band.min()))
    rows, cols = elevation.shape
    xs = transform.c + transform.a * (np.arange(cols) + 0.5)
    ys = transform.f + transform.e * (np.arange(rows) + 0.5)
    centre = ((bounds.left + bounds.right) / 2.0, (bounds.bottom + bounds.top) / 2.0)
    return elevation, xs, ys, centre


def _apply_view(plotter: pv.Plotter, view: View, offset: tuple[float, float, float]) -> None:
    """Set the camera from a world-coordinate view, shifted into local coordinates.

    Goes through ``Plotter.camera_position``, which also keeps PyVista from resetting
    the camera on the first render.
    """
    plotter.camera_position = [
        tuple(np.subtract(view["position"], offset)),
        tuple(np.subtract(view["focal_point"], offset)),
        tuple(view["view_up"]),
    ]
    plotter.camera.view_angle = float(view["view_angle"])
    plotter.renderer.ResetCameraClippingRange()


def first_frame_result(
    plotter: pv.Plotter,
    start: float,
    loaded: float,
    built: float,
    first: float,
    rss_before: float,
) -> dict[str, Any]:
    """Timings of the first frame and what is drawn at the first view."""
    return {
        "first_frame_s": first - start,
        "load_s": loaded - start,
        "build_s": built - loaded,
        "first_render_s": first - built,
        "triangles": drawn_triangles(plotter),
        "rss_before_mb": rss_before,
    }


def _finish(
    plotter: pv.Plotter, image: np.ndarray, png: Path | None, result: dict[str, Any]
) -> None:
    """Save the first image, record peak memory, close the plotter."""
    result["peak_rss_mb"] = peak_rss_mb()
    if png is not None:
        save_png(image, png)
        result["png"] = str(png)
    plotter.close()
