"""Videos of a project (no Qt): a sensor replay, a camera path through bookmarks, an orbit.

A video is a sequence of :class:`Frame` (a camera view and a clock time, either may stay
as it is). :class:`VideoRecorder` renders them off-screen one at a time with ONE plotter
and scene, each settled to full detail, and streams them to ffmpeg (MP4 H.264 or GIF by
the file's suffix, see :mod:`~twinscape.render.video_encoder`); the file is written under
a temporary name and renamed when complete, and removed when cancelled or failed.
The GUI feeds a recorder frame by frame from a timer; :func:`render_video` loops.

The recorder draws a *stage*: a light copy of the project sharing its layers but with its
own clock, so that a replay moves neither the project's clock nor the views following it.
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyvista as pv
from psygnal.containers import EventedList

from twinscape.model.bookmarks import CameraView
from twinscape.model.clock import ProjectClock
from twinscape.model.errors import TwinscapeError, quote_path
from twinscape.model.layers import time_extent_of
from twinscape.model.project import Project
from twinscape.render.camera_path import orbit, path_through
from twinscape.render.offscreen_window import check_not_blank, gl_max_size, multi_samples
from twinscape.render.scene import SceneView
from twinscape.render.video_encoder import Encoder, EncoderError

#: Suffix -> format.
FORMATS = {".mp4": "mp4", ".gif": "gif"}
#: Smallest and largest side of a video, pixels (H.264 level 6.2 goes to 8192).
MIN_SIDE, MAX_SIDE = 16, 8192
#: Largest video: 8K UHD (7680 x 4320) or as many pixels.
MAX_VIDEO_PIXELS = 7680 * 4320
#: Frame rates; a GIF counts its delays in 1/100 s and players slow delays under 2/100 s.
MAX_FPS, MAX_GIF_FPS = 120, 50
#: Longest video, seconds.
MAX_DURATION_S = 3600.0
#: Screen-space error of the terrain detail in every frame (as screenshots).
TOLERANCE_PX = 1.0

Progress = Callable[[int, int], None]


class VideoError(TwinscapeError, ValueError):
    """A video cannot be made as asked (size, rate, time range) or could not be written."""


class VideoCancelled(TwinscapeError):
    """The user cancelled the video; its partial file was removed."""


@dataclass(frozen=True)
class Frame:
    """One frame: the camera (None: as it is) and the clock time (None: as it is)."""

    view: CameraView | None = None
    time: datetime | None = None


@dataclass(frozen=True)
class VideoInfo:
    """What :meth:`VideoRecorder.finish` wrote."""

    path: Path
    frames: int
    size: tuple[int, int]
    fps: float
    bytes: int

    @property
    def seconds(self) -> float:
        """Length of the video."""
        return self.frames / self.fps


# -- checks ---------------------------------------------------------------------------
def video_format(out: Path) -> str:
    """``"mp4"`` or ``"gif"`` from the suffix of ``out``; VideoError for any other."""
    fmt = FORMATS.get(Path(out).suffix.lower())
    if fmt is None:
        raise VideoError(f"{quote_path(out)}: a video must be an .mp4 (H.264) or a .gif file")
    return fmt


def check_video(out: Path, size: tuple[int, int], fps: float) -> str:
    """Check the file suffix, ``size`` and ``fps`` of a video; return its format.

    No graphics needed: what the driver can render is checked by the recorder.
    """
    fmt = video_format(out)
    width, height = int(size[0]), int(size[1])
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise VideoError(f"video size {width}x{height} is outside {MIN_SIDE}..{MAX_SIDE} pixels")
    if width * height > MAX_VIDEO_PIXELS:
        raise VideoError(f"video size {width}x{height} is larger than 8K (7680x4320 pixels)")
    if fmt == "mp4" and (width % 2 or height % 2):
        even = f"{width + width % 2}x{height + height % 2}"
        raise VideoError(f"MP4 (H.264) needs an even width and height, not {width}x{height}; "
                         f"use e.g. {even}")  # fmt: skip
    most = MAX_GIF_FPS if fmt == "gif" else MAX_FPS
    if not (math.isfinite(fps) and 1 <= fps <= most):
        raise VideoError(f"{fps:g} frames per second is outside 1..{most} for {fmt.upper()}")
    return fmt


def frame_count(seconds: float, fps: float) -> int:
    """Frames of a ``seconds`` long video at ``fps`` (at least 2)."""
    if not (math.isfinite(seconds) and 0 < seconds <= MAX_DURATION_S):
        raise VideoError(f"duration {seconds:g} s is outside 0..{MAX_DURATION_S:g} s")
    return max(2, round(seconds * fps))


def replay_range(
    project: Project, start: datetime | None = None, end: datetime | None = None
) -> tuple[datetime, datetime]:
    """The time range of a replay: ``start``..``end`` (default: the data's), checked.

    Raises VideoError when no layer has time-dependent data, ``start`` is not before
    ``end``, or either lies outside the data's time extent.
    """
    extent = time_extent_of(project.layers)
    if extent is None:
        raise VideoError("nothing to replay: no layer has time-dependent data (e.g. sensors)")
    first, last = extent
    start = first if start is None else start
    end = last if end is None else end
    if start >= end:
        raise VideoError(f"the replay must start before it ends: {start.isoformat()} is not "
                         f"before {end.isoformat()}")  # fmt: skip
    for name, when in (("start", start), ("end", end)):
        if not first <= when <= last:
            raise VideoError(f"the replay {name} {when.isoformat()} is outside the data, which "
                             f"spans {first.isoformat()} to {last.isoformat()}")  # fmt: skip
    return start, end


# -- frame builders -----------------------------------------------------------------------
def spread_times(start: datetime, end: datetime, count: int) -> list[datetime]:
    """``count`` instants from ``start`` to ``end``, both included, evenly spaced."""
    if count < 2:
        return [start][:count]
    span = end - start
    return [start + span * i / (count - 1) for i in range(count)]


def _with_times(
    views: Sequence[CameraView | None], start: datetime | None, end: datetime | None
) -> list[Frame]:
    if start is None or end is None:
        return [Frame(view, start or end) for view in views]
    return [Frame(v, t) for v, t in zip(views, spread_times(start, end, len(views)))]


def replay_frames(
    project: Project,
    start: datetime | None,
    end: datetime | None,
    fps: float,
    *,
    duration_s: float | None = None,
    speed: float | None = None,
    view: CameraView | None = None,
) -> list[Frame]:
    """A sensor replay from ``start`` to ``end`` (default: the data's extent), camera fixed.

    The video lasts ``duration_s`` seconds, or plays ``speed`` simulated seconds per
    second (default: 10 s). ``view`` None keeps the recorder's starting camera.
    """
    start, end = replay_range(project, start, end)
    if duration_s is None:
        duration_s = 10.0 if speed is None else (end - start).total_seconds() / speed
    return _with_times([view] * frame_count(duration_s, fps), start, end)


def path_frames(
    views: Sequence[CameraView],
    seconds: float,
    fps: float,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[Frame]:
    """A smooth flight through ``views`` (bookmarks) in ``seconds``; the clock runs
    from ``start`` to ``end`` meanwhile, or stays at ``start``/``end``/as it is."""
    return _with_times(path_through(views, frame_count(seconds, fps)), start, end)


def orbit_frames(
    view: CameraView,
    seconds: float,
    fps: float,
    *,
    point: Sequence[float] | None = None,
    turns: float = 1.0,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[Frame]:
    """``turns`` orbits in ``seconds`` around ``point`` (default: the view's focal point)."""
    return _with_times(orbit(view, frame_count(seconds, fps), center=point, turns=turns),
                       start, end)  # fmt: skip


# -- rendering ----------------------------------------------------------------------------
def _stage(project: Project) -> Project:
    """A project sharing ``project``'s layers with a clock of its own (see the module doc)."""
    clock = project.clock
    return Project(
        name=project.name,
        crs=project.crs,
        origin=project.origin,
        layers=EventedList(list(project.layers)),
        clock=ProjectClock(
            current=clock.current, start=clock.start, end=clock.end, rate=clock.rate
        ),
        view=project.view,
        path=project.path,
    )


def _temp_path(out: Path) -> Path:
    return out.with_name(f".{out.stem}.{os.getpid()}.{secrets.token_hex(4)}.part{out.suffix}")


class VideoRecorder:
    """Renders frames off-screen with one plotter and streams them into a video file.

    Parameters
    ----------
    project
        The project (loaded layers are drawn; its clock is left alone).
    out
        The .mp4 or .gif to write; missing folders are made.
    size
        (width, height) in pixels.
    fps
        Frames per second.
    view
        The starting camera; None: ``project.view``, else the default overview.

    Use :meth:`add` per frame, then :meth:`finish`; :meth:`cancel` (or leaving a
    ``with`` block by an exception) removes the partial file.
    """

    def __init__(
        self,
        project: Project,
        out: Path,
        *,
        size: tuple[int, int],
        fps: float,
        view: CameraView | None = None,
    ) -> None:
        self.out = Path(out)
        self.fmt = check_video(self.out, size, fps)
        self.size = (int(size[0]), int(size[1]))
        self.fps = fps
        most = gl_max_size()  # also picks a headless GL window when there is no display
        if self.size[0] > most[0] or self.size[1] > most[1]:
            raise VideoError(f"video size {self.size[0]}x{self.size[1]} is more than the "
                             f"graphics driver can draw ({most[0]}x{most[1]})")  # fmt: skip
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.temp = _temp_path(self.out)
        self.stage = _stage(project)
        self.plotter: Any = pv.Plotter(off_screen=True, window_size=list(self.size),
                                       lighting="none")  # fmt: skip
        samples = multi_samples(self.size)
        if samples:
            self.plotter.enable_anti_aliasing("msaa", multi_samples=samples)
        else:  # a huge frame: no room for the samples
            self.plotter.disable_anti_aliasing()
            self.plotter.render_window.SetMultiSamples(0)
        self.scene: SceneView | None = SceneView(self.plotter, self.stage)
        start = view if view is not None else self.stage.view
        if start is not None:
            self.scene.apply_view(start)
        else:
            self.scene.frame()
        #: The camera the video starts from (frames with no view keep it).
        self.start_view = self.scene.current_view()
        self.encoder: Encoder | None = None
        self.frames = 0

    def add(self, frame: Frame) -> np.ndarray:
        """Render ``frame`` at full detail, send it to the encoder and return its RGB."""
        scene = self.scene
        if scene is None:
            raise RuntimeError("the video was finished or cancelled")
        if frame.time is not None and frame.time != self.stage.clock.current:
            self.stage.show_time(frame.time)
        if frame.view is not None:
            scene.apply_view(frame.view)
        scene.settle(TOLERANCE_PX)
        self.plotter.render()
        image = self.plotter.screenshot(return_img=True)
        width, height = self.size
        if image is None or image.shape[:2] != (height, width):
            got = "nothing" if image is None else f"{image.shape[1]}x{image.shape[0]}"
            raise VideoError(f"asked for {width}x{height} frames, the driver gave {got}")
        image = np.ascontiguousarray(image[..., :3])
        if self.encoder is None:
            check_not_blank(image)  # the driver failed without a word: say so, write nothing
            self.encoder = Encoder(self.temp, self.fmt, self.size, self.fps, shown=self.out)
        self.encoder.write(image)
        self.frames += 1
        return image

    def finish(self) -> VideoInfo:
        """Close the video, move it to ``out`` and return what was written."""
        if self.encoder is None:
            self.cancel()
            raise VideoError(f"{quote_path(self.out)}: no frames to write")
        encoder, self.encoder = self.encoder, None
        try:
            encoder.finish()
            with open(self.temp, "rb+") as stream:
                os.fsync(stream.fileno())
            os.replace(self.temp, self.out)
        except (EncoderError, OSError) as err:
            self._remove_temp()
            if isinstance(err, EncoderError):
                raise
            raise VideoError(f"{quote_path(self.out)}: could not write the video "
                             f"({err.strerror or err}); choose another place") from err  # fmt: skip
        finally:
            self._close_scene()
        return VideoInfo(self.out, self.frames, self.size, self.fps, self.out.stat().st_size)

    def cancel(self) -> None:
        """Stop, remove the partial file and free the renderer; idempotent."""
        if self.encoder is not None:
            encoder, self.encoder = self.encoder, None
            encoder.abort()
        self._remove_temp()
        self._close_scene()

    def _remove_temp(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.temp.unlink()

    def _close_scene(self) -> None:
        if self.scene is not None:
            scene, self.scene = self.scene, None
            scene.close()
            self.plotter.close()

    def __enter__(self) -> VideoRecorder:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is not None or self.scene is not None:
            self.cancel()


def render_video(
    project: Project,
    out: Path,
    *,
    frames: Iterable[Frame] | Callable[[CameraView], Iterable[Frame]],
    size: tuple[int, int] = (1920, 1080),
    fps: float = 30,
    view: CameraView | None = None,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> VideoInfo:
    """Render ``frames`` of ``project`` into the video ``out`` (.mp4 or .gif).

    ``frames`` may be a function of the starting camera (``view``, else the project's
    view, else the overview), e.g. ``lambda v: orbit_frames(v, 10, 30)``.
    ``progress(done, total)`` is called after each frame (total 0 when unknown);
    ``cancelled()`` is asked before each: True removes the partial file and raises
    :class:`VideoCancelled`.
    """
    with VideoRecorder(project, out, size=size, fps=fps, view=view) as recorder:
        todo = frames(recorder.start_view) if callable(frames) else frames
        total = len(todo) if isinstance(todo, Sequence) else 0
        for i, frame in enumerate(todo):
            if cancelled is not None and cancelled():
                raise VideoCancelled(f"{quote_path(out)}: cancelled; no file was written")
            recorder.add(frame)
            if progress is not None:
                progress(i + 1, total)
        return recorder.finish()
