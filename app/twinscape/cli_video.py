"""``twinscape video``: a sensor replay, a camera path or an orbit rendered to MP4 or GIF.

::

    twinscape video PROJECT|DATA... --out replay.mp4 [--from T --to T]
        [--path BOOKMARK,BOOKMARK,...|--orbit] [--camera BOOKMARK] [--duration SECONDS]
        [--fps 30] [--size 1920x1080]

Without ``--path`` or ``--orbit`` the video replays the time-dependent layers (sensors)
from ``--from`` to ``--to`` (default: all their data) with the camera fixed at
``--camera``, the project's saved view or the overview. With them, the camera flies
through the bookmarks or circles the view's focal point, and the clock runs from
``--from`` to ``--to`` meanwhile (or stays at the one given, or as saved).

Everything that can be checked before loading is (the file's suffix, size, rate, the
folder and disk of ``--out``); every failure is one line (a :class:`TwinscapeError`).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from twinscape.cli_args import (
    CliError,
    add_inputs_and_out,
    check_out,
    instant_arg,
    load_inputs,
    names_arg,
    positive_arg,
    print_warnings,
    size_arg,
)
from twinscape.model.errors import quote_path

if TYPE_CHECKING:
    from twinscape.model.bookmarks import CameraView
    from twinscape.model.project import Project

#: Bytes per pixel and frame a video may take, for the free-space check (generous).
_BYTES_PER_PIXEL = {"mp4": 0.05, "gif": 0.5}


class VideoCliError(CliError):
    """A bad argument of ``twinscape video``."""


def _fps(text: str) -> int:
    if not text.strip().isdigit() or not 1 <= int(text) <= 120:
        raise argparse.ArgumentTypeError(f"fps must be a whole number 1..120, got {text!r}")
    return int(text)


def add_video_parser(commands: argparse._SubParsersAction) -> None:
    """Add the ``video`` sub-command to ``commands``."""
    video = commands.add_parser(
        "video", help="render a sensor replay, a camera path or an orbit to MP4 or GIF"
    )
    add_inputs_and_out(video, "the .mp4 or .gif to write")
    video.add_argument("--from", dest="start", type=instant_arg, metavar="T",
                       help="clock time of the first frame, e.g. 2025-04-14T00:00Z")  # fmt: skip
    video.add_argument("--to", dest="end", type=instant_arg, metavar="T",
                       help="clock time of the last frame")  # fmt: skip
    camera = video.add_mutually_exclusive_group()
    camera.add_argument("--path", type=names_arg, metavar="BOOKMARK,BOOKMARK,...",
                        help="fly smoothly through these camera bookmarks")  # fmt: skip
    camera.add_argument("--orbit", action="store_true",
                        help="circle the view's focal point once")  # fmt: skip
    video.add_argument(
        "--camera",
        metavar="BOOKMARK",
        help="starting view of a replay or an orbit (default: the saved view)",
    )
    video.add_argument("--turns", type=positive_arg, default=1.0,
                       help="orbits in the video (default 1)")  # fmt: skip
    video.add_argument("--duration", type=positive_arg, default=10.0, metavar="SECONDS",
                       help="length of the video (default 10 s)")  # fmt: skip
    video.add_argument("--fps", type=_fps, default=30, help="frames per second (default 30)")
    video.add_argument("--size", type=size_arg, default=(1920, 1080),
                       help="WIDTHxHEIGHT pixels (default 1920x1080)")  # fmt: skip


def _check_before_loading(args: argparse.Namespace) -> None:
    """Check everything that needs no data."""
    from twinscape.render.video import check_video, frame_count

    fmt = check_video(args.out, args.size, args.fps)
    frames = frame_count(args.duration, args.fps)
    if args.start is not None and args.end is not None and args.start >= args.end:
        raise VideoCliError(f"--from {args.start.isoformat()} is not before --to "
                            f"{args.end.isoformat()}")  # fmt: skip
    if args.path is not None and len(args.path) < 2:
        raise VideoCliError('--path needs two or more bookmarks, e.g. --path "A,B"')
    need = int(args.size[0] * args.size[1] * frames * _BYTES_PER_PIXEL[fmt]) + 2**20
    check_out(args.out, what="video", need_bytes=need)


def _bookmark_view(project: Project, name: str, source: Path) -> CameraView:
    try:
        return project.bookmark(name).view
    except KeyError as err:
        raise VideoCliError(f"{quote_path(project.path or source)}: {err.args[0]}") from None


def _clock_times(
    project: Project, start: datetime | None, end: datetime | None
) -> tuple[datetime | None, datetime | None]:
    """``--from``/``--to`` of a path or orbit, checked against the data when given."""
    from twinscape.model.layers import time_extent_of
    from twinscape.render.video import replay_range

    if start is not None and end is not None:
        return replay_range(project, start, end)
    when = start or end
    extent = time_extent_of(project.layers)
    if when is not None and extent is not None and not extent[0] <= when <= extent[1]:
        raise VideoCliError(f"the time {when.isoformat()} is outside the data, which spans "
                            f"{extent[0].isoformat()} to {extent[1].isoformat()}")  # fmt: skip
    return start, end


def _progress(done: int, total: int) -> None:
    if total and sys.stderr.isatty():
        end = "\n" if done == total else ""
        print(f"\rtwinscape: frame {done}/{total}", end=end, file=sys.stderr, flush=True)


def run_video(args: argparse.Namespace) -> int:
    """Run ``twinscape video``; returns 0, or raises a one-line TwinscapeError."""
    _check_before_loading(args)
    os.environ.setdefault("PYVISTA_OFF_SCREEN", "true")
    from twinscape.render.offscreen_window import silence_vtk_output
    from twinscape.render.video import (
        orbit_frames,
        path_frames,
        render_video,
        replay_frames,
    )

    silence_vtk_output()
    project, notes = load_inputs(args.paths)
    print_warnings(notes)
    source = args.paths[0]
    view = None if args.camera is None else _bookmark_view(project, args.camera, source)
    if args.path is not None:
        views = [_bookmark_view(project, name, source) for name in args.path]
        start, end = _clock_times(project, args.start, args.end)
        frames = path_frames(views, args.duration, args.fps, start=start, end=end)
    elif args.orbit:
        start, end = _clock_times(project, args.start, args.end)

        def frames(first: CameraView) -> list:
            return orbit_frames(first, args.duration, args.fps, turns=args.turns,
                                start=start, end=end)  # fmt: skip
    else:
        frames = replay_frames(project, args.start, args.end, args.fps,
                               duration_s=args.duration, view=view)  # fmt: skip
    began = time.perf_counter()
    info = render_video(project, args.out, frames=frames, size=args.size, fps=args.fps,
                        view=view, progress=_progress)  # fmt: skip
    took = time.perf_counter() - began
    print(
        f"wrote {quote_path(info.path)} ({info.frames} frames, {info.size[0]}x{info.size[1]}, "
        f"{info.fps:g} fps, {info.seconds:.1f} s, {info.bytes / 1e6:.1f} MB) in {took:.1f} s"
    )
    return 0
