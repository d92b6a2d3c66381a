"""Headless rendering of a project to an image (no Qt): ``twinscape render`` and tests."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyvista as pv

from twinscape.model.bookmarks import CameraView
from twinscape.model.project import Project
from twinscape.render.scene import SceneView


def _prefer_headless_window() -> None:
    """With no display, ask VTK for an EGL window instead of failing over from X."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")


def render_to_array(
    project: Project,
    *,
    size: tuple[int, int] = (1920, 1080),
    camera: str | None = None,
    view: CameraView | None = None,
    tolerance_px: float = 1.0,
) -> np.ndarray:
    """Render ``project`` off-screen and return the RGB image, uint8 (height, width, 3).

    Parameters
    ----------
    project
        The project; only layers already loaded are drawn.
    size
        (width, height) in pixels; may be larger than any screen.
    camera
        Name of a bookmark to view from; None uses ``project.view`` or, when unset,
        the default oblique overview (:meth:`SceneView.frame`).
    view
        A camera view to use instead (e.g. the one on screen); wins over ``camera``.
    tolerance_px
        Screen-space error of the terrain detail.

    Raises
    ------
    KeyError
        ``camera`` names no bookmark of the project.
    """
    if view is None:
        view = project.bookmark(camera).view if camera is not None else project.view
    _prefer_headless_window()
    plotter = pv.Plotter(off_screen=True, window_size=[int(size[0]), int(size[1])], lighting="none")
    scene = SceneView(plotter, project)
    try:
        if view is not None:
            scene.apply_view(view)
        else:
            scene.frame()
        scene.settle(tolerance_px)
        plotter.render()
        image = plotter.screenshot(return_img=True)
    finally:
        scene.close()
        plotter.close()
    return np.ascontiguousarray(image[..., :3])


def render_to_png(
    project: Project,
    out: Path,
    *,
    size: tuple[int, int] = (1920, 1080),
    camera: str | None = None,
) -> Path:
    """Render ``project`` off-screen to the PNG file ``out`` and return its path.

    See :func:`render_to_array` for the parameters.
    """
    from PIL import Image

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    image = render_to_array(project, size=size, camera=camera)
    Image.fromarray(image).save(out)
    return out
