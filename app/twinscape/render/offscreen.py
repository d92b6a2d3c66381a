"""Headless rendering of a project to an image (no Qt): ``twinscape render`` and tests.

A picture larger than one tile (:data:`TILE` pixels a side, or less when the OpenGL
implementation cannot hold that, ``GL_MAX_VIEWPORT_DIMS``/``GL_MAX_RENDERBUFFER_SIZE``)
is put together from tiles: each is rendered through its own part of the camera's
frustum (``vtkCamera`` window centre and a narrower view angle), so the levels of
detail are chosen for the picture's own pixels and memory stays well under 2 GB.
A picture of more than :data:`MAX_PIXELS` is refused, and one that comes out black or
blank (the driver failed without a word) is refused rather than written.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import secrets
from pathlib import Path

import numpy as np
import pyvista as pv

from twinscape.model.bookmarks import CameraView
from twinscape.model.errors import TwinscapeError, quote_path
from twinscape.model.project import Project
from twinscape.render.scene import BACKGROUND, SceneView

#: The largest picture, in pixels (8192 x 8192 or as many): its RGB alone is 200 MB.
MAX_PIXELS = 8192 * 8192
#: Largest side of one rendered tile, in pixels (8192 x 8192 takes about 1.1 GB).
TILE = 2048
#: Pictures of more pixels are compressed faster (zlib level 1): 3x quicker, a bit larger.
FAST_PNG_PIXELS = 16 * 2**20
#: Memory allowed for the multisampled framebuffer (colour and depth of every sample).
MSAA_BYTES = 512 * 2**20
#: Samples per pixel of small pictures.
MAX_SAMPLES = 8
#: Used when the OpenGL implementation cannot be asked.
FALLBACK_GL_SIZE = 4096

_GL_MAX_RENDERBUFFER_SIZE = 0x84E8
_GL_MAX_VIEWPORT_DIMS = 0x0D3A


class RenderError(TwinscapeError, ValueError):
    """A picture cannot be rendered as asked (its size), or came out wrong."""


def _prefer_headless_window() -> None:
    """With no display, ask VTK for an EGL window instead of failing over from X."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")


_QUIET_WINDOW: list[object] = []


def silence_vtk_output() -> None:
    """Keep VTK's warnings and errors off stderr (headless commands report their own)."""
    from vtkmodules.vtkCommonCore import vtkLogger, vtkOutputWindow, vtkStringOutputWindow

    if not _QUIET_WINDOW:
        window = vtkStringOutputWindow()
        vtkOutputWindow.SetInstance(window)
        _QUIET_WINDOW.append(window)  # keep it alive
    vtkLogger.SetStderrVerbosity(vtkLogger.VERBOSITY_OFF)


@functools.lru_cache(maxsize=1)
def gl_max_size() -> tuple[int, int]:
    """(width, height) the OpenGL implementation can render into, in pixels.

    Asks a tiny off-screen window for ``GL_MAX_VIEWPORT_DIMS`` and
    ``GL_MAX_RENDERBUFFER_SIZE``; :data:`FALLBACK_GL_SIZE` when it cannot.
    """
    from vtkmodules.vtkRenderingCore import vtkRenderWindow

    _prefer_headless_window()
    window = vtkRenderWindow()
    try:
        window.SetOffScreenRendering(1)
        window.SetSize(16, 16)
        window.Render()
        state = window.GetState()
        dims, buffer = [0, 0], [0, 0]
        state.vtkglGetIntegerv(_GL_MAX_VIEWPORT_DIMS, dims)
        state.vtkglGetIntegerv(_GL_MAX_RENDERBUFFER_SIZE, buffer)
    except Exception:  # noqa: BLE001 - no GL state to ask: a size every GL 3.2 holds
        return FALLBACK_GL_SIZE, FALLBACK_GL_SIZE
    finally:
        window.Finalize()
    limits = [int(v) for v in (*dims, buffer[0])]
    if min(limits) <= 0:
        return FALLBACK_GL_SIZE, FALLBACK_GL_SIZE
    return min(dims[0], buffer[0]), min(dims[1], buffer[0])


def check_render_size(size: tuple[int, int]) -> None:
    """Raise :class:`RenderError` when a ``size`` picture is empty or too large to hold."""
    width, height = int(size[0]), int(size[1])
    if width < 1 or height < 1:
        raise RenderError(f"picture size {width}x{height} is empty")
    if width * height > MAX_PIXELS:
        raise RenderError(
            f"picture size {width}x{height} is {width * height / 1e6:.0f} megapixels, more than "
            f"the {MAX_PIXELS / 1e6:.0f} that fit in memory; use at most 8192x8192 (or as many "
            "pixels) and scale the picture up afterwards if you must"
        )


def tile_size() -> tuple[int, int]:
    """Largest (width, height) of one tile: :data:`TILE`, or what the driver can hold."""
    max_w, max_h = gl_max_size()
    return min(TILE, max_w), min(TILE, max_h)


def _spans(total: int, most: int) -> list[tuple[int, int]]:
    """``[start, stop)`` of as few nearly equal parts of ``total`` as fit in ``most``."""
    count = -(-total // most)
    edges = [round(i * total / count) for i in range(count + 1)]
    return list(zip(edges[:-1], edges[1:]))


def multi_samples(size: tuple[int, int]) -> int:
    """Multisamples per pixel for a ``size`` picture: 8 when small, none when huge."""
    per_sample = int(size[0]) * int(size[1]) * 8  # RGBA8 colour + 32-bit depth
    samples = MAX_SAMPLES
    while samples > 1 and samples * per_sample > MSAA_BYTES:
        samples //= 2
    return samples if samples > 1 else 0


def _background_rgb() -> np.ndarray:
    return np.round(np.array(BACKGROUND) * 255).astype(np.int16)


def check_not_blank(image: np.ndarray) -> None:
    """Raise :class:`RenderError` when ``image`` is one colour: black, or the bare background.

    The background is a gradient, so a picture in one colour means nothing was drawn,
    not even the sky; a driver that cannot hold the framebuffer leaves it black.
    """
    first = image[0, 0, :3].astype(np.int16)
    if not (image[..., :3] == first.astype(image.dtype)).all():
        return
    bare = (np.abs(_background_rgb() - first).max(axis=1) <= 1).any()
    if not first.any() or bare:
        height, width = image.shape[:2]
        colour = "sky" if first.any() else "black"
        raise RenderError(
            f"the {width}x{height} picture came out blank (all {colour}): the graphics "
            "driver could not draw it; try a smaller size"
        )


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
        (width, height) in pixels; may be larger than any screen, up to
        :data:`MAX_PIXELS` and the OpenGL implementation's limits.
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
    RenderError
        The size cannot be rendered, or the picture came out blank.
    """
    if view is None:
        view = project.bookmark(camera).view if camera is not None else project.view
    check_render_size(size)
    _prefer_headless_window()
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
    try:
        if view is not None:
            scene.apply_view(view)
        else:
            scene.frame()
        if len(cols) == 1 and len(rows) == 1:
            image = _render_tile(plotter, scene, tolerance_px, (width, height))
        else:
            image = np.empty((height, width, 3), np.uint8)
            whole = _TiledCamera(plotter, scene, width, height)
            for y0, y1 in rows:
                for x0, x1 in cols:
                    whole.aim(x0, x1, y0, y1)
                    image[y0:y1, x0:x1] = _render_tile(plotter, scene, tolerance_px,
                                                       (x1 - x0, y1 - y0))  # fmt: skip
    finally:
        scene.close()
        plotter.close()
    check_not_blank(image)
    return image


def _render_tile(
    plotter: pv.Plotter, scene: SceneView, tolerance_px: float, size: tuple[int, int]
) -> np.ndarray:
    """Render the window at ``size`` and return its RGB, checked to be that size."""
    width, height = size
    plotter.window_size = [width, height]
    scene.settle(tolerance_px)
    plotter.render()
    image = plotter.screenshot(return_img=True)
    if image is None or image.shape[:2] != (height, width):
        got = "nothing" if image is None else f"{image.shape[1]}x{image.shape[0]}"
        raise RenderError(f"asked for a {width}x{height} picture, the driver gave {got}")
    return np.ascontiguousarray(image[..., :3])


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


def render_to_png(
    project: Project,
    out: Path,
    *,
    size: tuple[int, int] = (1920, 1080),
    camera: str | None = None,
) -> Path:
    """Render ``project`` off-screen to the PNG file ``out`` and return its path.

    Missing folders are created. The file is written next to ``out`` and renamed
    over it, so a failed write (a full disk) leaves no partial picture behind.
    See :func:`render_to_array` for the parameters.
    """
    from PIL import Image

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    image = render_to_array(project, size=size, camera=camera)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "xb") as stream:  # "x": never through an existing file or symlink
            level = 1 if image.shape[0] * image.shape[1] > FAST_PNG_PIXELS else 6
            Image.fromarray(image).save(stream, format="PNG", compress_level=level)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, out)
    except OSError as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        reason = err.strerror or str(err)
        raise RenderError(
            f"{quote_path(out)}: could not write the picture ({reason}); free some space "
            "or choose another place"
        ) from err
    return out
