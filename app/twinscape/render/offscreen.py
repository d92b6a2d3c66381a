"""Headless rendering of a project to an image (no Qt): ``twinscape render`` and tests.

A picture larger than one tile (:data:`~twinscape.render.offscreen_window.TILE` pixels
a side, or less when the OpenGL implementation cannot hold that,
``GL_MAX_VIEWPORT_DIMS``/``GL_MAX_RENDERBUFFER_SIZE``) is put together from tiles:
each is rendered through its own part of the camera's frustum (``vtkCamera`` window
centre and a narrower view angle), so the levels of detail are chosen for the
picture's own pixels and memory stays well under 2 GB. A picture of more than
:data:`~twinscape.render.offscreen_window.MAX_PIXELS` is refused, and one that comes
out black or blank (the driver failed without a word) is refused rather than written.
The window and its limits are in :mod:`twinscape.render.offscreen_window`; this module
renders a project through it to an array or a PNG file.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pyvista as pv

from twinscape.io.png_provenance import provenance_text, write_png
from twinscape.model.bookmarks import CameraView
from twinscape.model.errors import TwinscapeError, quote_path
from twinscape.model.project import Project
from twinscape.render.offscreen_window import (
    RenderError,
    check_not_blank,
    check_render_size,
    multi_samples,
    prefer_headless_window,
    tile_size,
)
from twinscape.render.overlay_drawing import draw_overlays
from twinscape.render.overlays import OverlayOptions, overlay_info
from twinscape.render.scene import SceneView
from twinscape.render.scene_camera import view_as_drawn


def _spans(total: int, most: int) -> list[tuple[int, int]]:
    """``[start, stop)`` of as few nearly equal parts of ``total`` as fit in ``most``."""
    count = -(-total // most)
    edges = [round(i * total / count) for i in range(count + 1)]
    return list(zip(edges[:-1], edges[1:]))


def render_to_array(
    project: Project,
    *,
    size: tuple[int, int] = (1920, 1080),
    camera: str | None = None,
    view: CameraView | None = None,
    tolerance_px: float = 1.0,
    transparent: bool = False,
    progress: Progress | None = None,
) -> np.ndarray:
    """Render ``project`` off-screen and return the image, uint8 (height, width, 3 or 4).

    Parameters
    ----------
    project
        The project; only layers already loaded are drawn.
    size
        (width, height) in pixels; may be larger than any screen, up to
        :data:`~twinscape.render.offscreen_window.MAX_PIXELS` and the OpenGL
        implementation's limits.
    camera
        Name of a bookmark to view from; None uses ``project.view`` or, when unset,
        the default oblique overview (:meth:`SceneView.frame`).
    view
        A camera view to use instead (e.g. the one on screen); wins over ``camera``.
    tolerance_px
        Screen-space error of the terrain detail.
    transparent
        Return RGBA with the sky transparent (alpha 0) instead of RGB.
    progress
        ``progress(done, total)`` after every tile (a GUI processes its events there);
        returning False cancels with :class:`RenderCancelled`.

    Raises
    ------
    KeyError
        ``camera`` names no bookmark of the project.
    RenderError
        The size cannot be rendered, or the picture came out blank.
    """
    return render_with_view(project, size=size, camera=camera, view=view,
                            tolerance_px=tolerance_px, transparent=transparent,
                            progress=progress)[0]  # fmt: skip


def render_with_view(
    project: Project,
    *,
    size: tuple[int, int] = (1920, 1080),
    camera: str | None = None,
    view: CameraView | None = None,
    tolerance_px: float = 1.0,
    transparent: bool = False,
    progress: Progress | None = None,
) -> tuple[np.ndarray, CameraView]:
    """:func:`render_to_array`, also returning the camera it was rendered from (world)."""
    if view is None:
        view = project.bookmark(camera).view if camera is not None else project.view
    check_render_size(size)
    prefer_headless_window()
    width, height = int(size[0]), int(size[1])
    most_w, most_h = tile_size()
    cols, rows = _spans(width, most_w), _spans(height, most_h)
    # The whole picture's size while the camera is framed (its aspect), a tile's to render.
    plotter = pv.Plotter(off_screen=True, window_size=[width, height], lighting="none")
    samples = multi_samples((cols[0][1] - cols[0][0], rows[0][1] - rows[0][0]))
    if samples:
        plotter.enable_anti_aliasing("msaa", multi_samples=samples)
    else:
        plotter.disable_anti_aliasing()
        plotter.render_window.SetMultiSamples(0)
    scene = SceneView(plotter, project)
    if transparent:
        _clear_background(plotter)
    channels = 4 if transparent else 3
    try:
        if view is not None:
            scene.apply_view(view)
        else:
            scene.frame()
        used = scene.current_view()
        if len(cols) == 1 and len(rows) == 1:
            image = _render_tile(plotter, scene, tolerance_px, (width, height), channels)
            _report(progress, 1, 1)
        else:
            image = np.empty((height, width, channels), np.uint8)
            whole = _TiledCamera(plotter, scene, width, height)
            total = len(cols) * len(rows)
            for i, ((y0, y1), (x0, x1)) in enumerate(itertools.product(rows, cols)):
                whole.aim(x0, x1, y0, y1)
                image[y0:y1, x0:x1] = _render_tile(plotter, scene, tolerance_px,
                                                   (x1 - x0, y1 - y0), channels)  # fmt: skip
                _report(progress, i + 1, total)
    finally:
        scene.close()
        plotter.close()
    check_not_blank(image)
    return image, used


class RenderCancelled(TwinscapeError):
    """The picture was cancelled (its progress callback returned False)."""


Progress = Callable[[int, int], "bool | None"]


def _report(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None and progress(done, total) is False:
        raise RenderCancelled("the picture was cancelled")


def _clear_background(plotter: pv.Plotter) -> None:
    """A transparent sky: alpha planes in the window, background alpha 0, no gradient."""
    plotter.render_window.SetAlphaBitPlanes(1)
    renderer = plotter.renderer
    renderer.GradientBackgroundOff()
    renderer.SetBackgroundAlpha(0.0)


def _render_tile(
    plotter: pv.Plotter,
    scene: SceneView,
    tolerance_px: float,
    size: tuple[int, int],
    channels: int = 3,
) -> np.ndarray:
    """Render the window at ``size`` and return its RGB(A), checked to be that size."""
    width, height = size
    plotter.window_size = [width, height]
    scene.settle(tolerance_px)
    plotter.render()
    image = plotter.screenshot(transparent_background=channels == 4, return_img=True)
    if image is None or image.shape[:2] != (height, width) or image.shape[2] < channels:
        got = "nothing" if image is None else "x".join(map(str, image.shape[1::-1]))
        raise RenderError(f"asked for a {width}x{height} picture, the driver gave {got}")
    return np.ascontiguousarray(image[..., :channels])


class _TiledCamera:
    """Points the camera at one tile of a larger picture (its part of the whole frustum)."""

    def __init__(self, plotter: pv.Plotter, scene: SceneView, width: int, height: int) -> None:
        self.renderer = plotter.renderer
        self.camera = self.renderer.GetActiveCamera()
        self.width, self.height = width, height
        self.angle = self.camera.GetViewAngle()
        self.scale = self.camera.GetParallelScale()
        self.colours = (np.array(self.renderer.GetBackground()),
                        np.array(self.renderer.GetBackground2()))  # fmt: skip
        self.gradient = bool(self.renderer.GetGradientBackground())

    def aim(self, x0: int, x1: int, y0: int, y1: int) -> None:
        """Frame pixel columns ``x0:x1`` and rows ``y0:y1`` (from the top) of the picture."""
        w, h = self.width, self.height
        tw, th = x1 - x0, y1 - y0
        bottom, top = h - y1, h - y0  # VTK counts rows from the bottom
        fraction = th / h
        if self.camera.GetParallelProjection():
            self.camera.SetParallelScale(self.scale * fraction)
        else:
            half = math.tan(math.radians(self.angle) / 2) * fraction
            self.camera.SetViewAngle(math.degrees(2 * math.atan(half)))
        self.camera.SetWindowCenter((x0 + x1 - w) / tw, (bottom + top - h) / th)
        if self.gradient:  # the sky's gradient spans the whole picture, not each tile
            low, high = self.colours
            self.renderer.SetBackground(*(low + (high - low) * bottom / h))
            self.renderer.SetBackground2(*(low + (high - low) * top / h))


def view_from_points(
    position: Sequence[float],
    look_at: Sequence[float],
    *,
    view_angle: float = 30.0,
) -> CameraView:
    """A camera at ``position`` looking at ``look_at`` (world x, y and real elevations).

    Cameras hold real heights (metres), whatever the vertical exaggeration the scene is
    drawn with, so ``look_at`` on the terrain stays on it.

    Raises
    ------
    RenderError
        The two points are the same, or not finite.
    """
    eye = np.array(position, float)
    target = np.array(look_at, float)
    if not (np.isfinite(eye).all() and np.isfinite(target).all()):
        raise RenderError("the camera position and look-at point must be finite numbers")
    if np.linalg.norm(eye - target) < 1e-6:
        raise RenderError("the camera position and the look-at point are the same point")
    return CameraView(position=tuple(eye), focal_point=tuple(target), view_up=(0.0, 0.0, 1.0),
                      view_angle=view_angle)  # fmt: skip


def render_to_png(
    project: Project,
    out: Path,
    *,
    size: tuple[int, int] = (1920, 1080),
    camera: str | None = None,
    view: CameraView | None = None,
    transparent: bool = False,
    overlays: OverlayOptions | None = None,
    tolerance_px: float = 1.0,
    progress: Progress | None = None,
) -> Path:
    """Render ``project`` off-screen to the PNG file ``out`` and return its path.

    The scene is settled first (every layer at full detail, colours computed), the
    ``overlays`` are drawn onto the finished picture (after tiling) and the file
    carries its provenance in text chunks (:mod:`twinscape.io.png_provenance`).
    Missing folders are created. The file is written next to ``out`` and renamed
    over it, so a failed write (a full disk) leaves no partial picture behind.
    See :func:`render_to_array` for the parameters.
    """
    image, used = render_with_view(project, size=size, camera=camera, view=view,
                                   tolerance_px=tolerance_px, transparent=transparent,
                                   progress=progress)  # fmt: skip
    return save_picture(project, out, image, used, overlays)


def save_picture(
    project: Project,
    out: Path,
    image: np.ndarray,
    view: CameraView,
    overlays: OverlayOptions | None = None,
) -> Path:
    """Draw ``overlays`` onto ``image`` and write it with provenance (atomic)."""
    out = Path(out)
    if overlays is not None and overlays.show:
        height, width = image.shape[:2]
        info = overlay_info(project, view_as_drawn(project, view), (width, height), overlays)
        image = draw_overlays(image, info, overlays)
    try:
        return write_png(out, image, provenance_text(project, view))
    except OSError as err:
        reason = err.strerror or str(err)
        raise RenderError(
            f"{quote_path(out)}: could not write the picture ({reason}); free some space "
            "or choose another place"
        ) from err
