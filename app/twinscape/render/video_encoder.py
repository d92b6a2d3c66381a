"""Frames to an MP4 (H.264) or GIF file through the ffmpeg that imageio-ffmpeg bundles (no Qt).

The ffmpeg binary is ``imageio_ffmpeg.get_ffmpeg_exe()``: the one shipped in the wheel,
never one the user may or may not have installed. Frames are piped to it as raw RGB
one at a time, so memory stays that of one frame whatever the length of the video.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np

from twinscape.model.errors import TwinscapeError, one_line, quote_path

#: Constant-quality H.264 (0 lossless .. 51 worst): 20 is visually clean for terrain.
H264_CRF = 20
#: One palette per frame (GIF allows a local colour table per frame): streamed, no second pass.
GIF_FILTER = "split[a][b];[a]palettegen=stats_mode=single[p];[b][p]paletteuse=new=1"
#: How much of ffmpeg's complaint a message quotes.
_STDERR_TAIL = 300


class EncoderError(TwinscapeError, OSError):
    """ffmpeg could not encode or write the video."""


def ffmpeg_exe() -> str:
    """Path of the ffmpeg bundled with imageio-ffmpeg."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def _output_args(fmt: str) -> list[str]:
    if fmt == "mp4":
        return ["-c:v", "libx264", "-preset", "medium", "-crf", str(H264_CRF),
                "-pix_fmt", "yuv420p", "-movflags", "+faststart", "-f", "mp4"]  # fmt: skip
    if fmt == "gif":
        return ["-vf", GIF_FILTER, "-loop", "0", "-f", "gif"]
    raise ValueError(f"unknown video format {fmt!r}")


class Encoder:
    """An ffmpeg process writing ``path`` from RGB frames of ``size`` at ``fps``.

    Parameters
    ----------
    path
        The file to write (a temporary name: the caller renames it when complete).
    fmt
        ``"mp4"`` (H.264, yuv420p, even sizes only) or ``"gif"``.
    size
        (width, height) of every frame in pixels.
    fps
        Frames per second.
    shown
        The file named in error messages (the final name), default ``path``.
    """

    def __init__(
        self, path: Path, fmt: str, size: tuple[int, int], fps: float, *, shown: Path | None = None
    ) -> None:
        self.path = Path(path)
        self.shown = self.path if shown is None else Path(shown)
        self.size = (int(size[0]), int(size[1]))
        self.frames = 0
        rate = Fraction(fps).limit_denominator(1001)
        cmd = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error",
               "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{self.size[0]}x{self.size[1]}",
               "-framerate", str(rate), "-i", "pipe:0", "-an", *_output_args(fmt),
               str(self.path)]  # fmt: skip
        self._stderr = tempfile.TemporaryFile()
        try:
            self._proc = subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=self._stderr,
                creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
            )
        except OSError as err:
            self._stderr.close()
            raise EncoderError(f"cannot start ffmpeg ({err.strerror or err})") from err

    def write(self, image: np.ndarray) -> None:
        """Send one RGB uint8 (height, width, 3) frame."""
        width, height = self.size
        if image.shape != (height, width, 3) or image.dtype != np.uint8:
            raise ValueError(f"frame is {image.shape} {image.dtype}, expected ({height}, "
                             f"{width}, 3) uint8")  # fmt: skip
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(np.ascontiguousarray(image).data)
        except OSError as err:  # ffmpeg quit: a full disk, a bad size
            self._proc.wait()
            raise self._failure(err.strerror or str(err)) from None
        self.frames += 1

    def finish(self) -> None:
        """Flush, wait for ffmpeg to write the file's end, and check that it succeeded."""
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.close()
        except OSError:
            pass
        code = self._proc.wait()
        try:
            if code != 0:
                raise self._failure(f"ffmpeg exited with code {code}")
        finally:
            self._stderr.close()

    def abort(self) -> None:
        """Stop ffmpeg at once (the partial file is the caller's to remove)."""
        with contextlib.suppress(OSError):
            assert self._proc.stdin is not None
            self._proc.stdin.close()
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        self._stderr.close()

    def _failure(self, what: str) -> EncoderError:
        self._stderr.seek(0)
        said = self._stderr.read().decode("utf-8", "replace").strip()
        detail = f": {one_line(said[-_STDERR_TAIL:], _STDERR_TAIL)}" if said else ""
        return EncoderError(
            f"{quote_path(self.shown)}: could not encode the video ({what}{detail}); free some "
            "space or choose another place"
        )
