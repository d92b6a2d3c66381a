"""The off-screen render window and what it can hold (no Qt).

Which window VTK is asked for when there is no display, VTK's own output kept off
stderr, the OpenGL implementation's limits (``GL_MAX_VIEWPORT_DIMS``,
``GL_MAX_RENDERBUFFER_SIZE``) and from them the largest tile and the multisamples
per pixel, and the checks that refuse a picture too large to hold or one that came
out blank. :mod:`twinscape.render.offscreen` and :mod:`twinscape.render.video`
render through these.
"""

from __future__ import annotations

import functools
import os

import numpy as np

from twinscape.model.errors import TwinscapeError
from twinscape.render.scene import BACKGROUND

#: The largest picture, in pixels (8192 x 8192 or as many): its RGB alone is 200 MB.
MAX_PIXELS = 8192 * 8192
#: Largest side of one rendered tile, in pixels (8192 x 8192 takes about 1.1 GB).
TILE = 2048
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


def prefer_headless_window() -> None:
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

    prefer_headless_window()
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
