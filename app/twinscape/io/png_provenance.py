"""Provenance of Twinscape screenshots in PNG text chunks (as ParaView embeds its state).

A screenshot carries ``twinscape:project`` (the project file, or its name when unsaved),
``twinscape:camera`` (JSON: world ``position``, ``focal_point``, ``view_up``,
``view_angle`` and ``"z": "metres"``: real heights, not exaggerated, like every Twinscape
camera), ``twinscape:time`` (the clock, ISO 8601 UTC), ``twinscape:crs``,
``twinscape:version`` and the standard ``Software`` and ``Title``. :func:`read_provenance`
reads them back; any PNG reader shows them (``PIL.Image.open(path).text``).

Pictures written before cameras held real heights have no ``"z"`` in their camera: its
heights are as drawn, at an exaggeration the picture does not record (its version,
0.1.0, is the same as today's). :meth:`Provenance.real_camera` converts such a camera
with the exaggeration of the project it is opened in, as a project file of that time is
converted with its own ground's (io/project_cameras.py): right for a picture of that
project at its saved exaggeration, the usual case.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from twinscape import __version__
from twinscape.io.project_cameras import file_exaggeration
from twinscape.model.bookmarks import CameraView, scale_view_z
from twinscape.model.project import Project

PREFIX = "twinscape:"
PROJECT_KEY = f"{PREFIX}project"
CAMERA_KEY = f"{PREFIX}camera"
TIME_KEY = f"{PREFIX}time"
CRS_KEY = f"{PREFIX}crs"
VERSION_KEY = f"{PREFIX}version"
#: The camera's ``"z"``: heights are real metres (pictures without it hold them as drawn).
METRES = "metres"
#: Pictures of more pixels are compressed faster (zlib level 1): 3x quicker, a bit larger.
FAST_PNG_PIXELS = 16 * 2**20


@dataclass(frozen=True)
class Provenance:
    """What a Twinscape PNG says about how it was made."""

    project: str | None
    camera: CameraView | None
    time: datetime | None
    crs: str | None
    version: str | None
    #: The camera's heights are as drawn at an unrecorded exaggeration (an older picture).
    heights_drawn: bool = False

    def real_camera(self, project: Project) -> CameraView | None:
        """The camera with real heights, to open in ``project`` (None when there is none).

        An older picture's heights are divided by the exaggeration of ``project``'s
        ground about its origin's z; None when that puts the camera beyond any CRS.
        """
        if self.camera is None or not self.heights_drawn:
            return self.camera
        base = project.origin[2] if project.origin is not None else 0.0
        try:
            return scale_view_z(self.camera, 1.0 / file_exaggeration(project), base)
        except ValueError:
            return None

    def same_project(self, project: Project) -> bool:
        """True when the picture was made of ``project`` (its file, else its name)."""
        if self.project is None:
            return False
        if project.path is not None:
            with contextlib.suppress(OSError):
                return Path(self.project).resolve() == Path(project.path).resolve()
        return self.project == project.name


def provenance_text(project: Project, view: CameraView) -> dict[str, str]:
    """The text chunks of a screenshot of ``project`` seen from ``view``."""
    camera = {
        "position": [float(v) for v in view.position],
        "focal_point": [float(v) for v in view.focal_point],
        "view_up": [float(v) for v in view.view_up],
        "view_angle": float(view.view_angle),
        "z": METRES,
    }
    when = project.clock.current.astimezone(timezone.utc)
    return {
        "Title": project.name,
        "Software": f"Twinscape {__version__}",
        PROJECT_KEY: str(project.path) if project.path is not None else project.name,
        CAMERA_KEY: json.dumps(camera),
        TIME_KEY: when.isoformat().replace("+00:00", "Z"),
        CRS_KEY: project.crs or "",
        VERSION_KEY: __version__,
    }


def _camera(text: str | None) -> tuple[CameraView | None, bool]:
    """The camera of a ``twinscape:camera`` chunk and whether its heights are as drawn."""
    if not text:
        return None, False
    try:
        data = json.loads(text)
        drawn = data.get("z") != METRES
        vectors = [tuple(float(v) for v in data[k]) for k in ("position", "focal_point",
                                                               "view_up")]  # fmt: skip
        angle = float(data["view_angle"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return None, False
    numbers = [*(v for vec in vectors for v in vec), angle]
    if any(len(vec) != 3 for vec in vectors) or not all(map(math.isfinite, numbers)):
        return None, False
    try:
        view = CameraView(position=vectors[0], focal_point=vectors[1], view_up=vectors[2],
                          view_angle=angle)  # fmt: skip
    except ValueError:  # beyond any CRS, a zero view-up, an angle VTK cannot draw
        return None, False
    return view, drawn


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value.astimezone(timezone.utc) if value.tzinfo is not None else None


def read_provenance(path: str | os.PathLike[str]) -> Provenance | None:
    """The provenance of a Twinscape PNG, or None (not a PNG, or none of its chunks)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            if image.format != "PNG":
                return None
            text = dict(getattr(image, "text", {}) or {})
    except (OSError, UnidentifiedImageError, ValueError):
        return None
    if not any(key.startswith(PREFIX) for key in text):
        return None
    camera, drawn = _camera(text.get(CAMERA_KEY))
    return Provenance(
        project=text.get(PROJECT_KEY) or None,
        camera=camera,
        time=_time(text.get(TIME_KEY)),
        crs=text.get(CRS_KEY) or None,
        version=text.get(VERSION_KEY) or None,
        heights_drawn=drawn,
    )


def has_provenance(path: str | os.PathLike[str]) -> bool:
    """True for a ``.png`` that carries Twinscape provenance (a camera to restore)."""
    if Path(path).suffix.lower() != ".png":
        return False
    found = read_provenance(path)
    return found is not None and found.camera is not None


def write_png(path: str | os.PathLike[str], image: np.ndarray, text: dict[str, str]) -> Path:
    """Write ``image`` (uint8 RGB or RGBA) as a PNG with ``text`` chunks, atomically.

    The file is written next to ``path`` (never through an existing file or symlink),
    flushed to disk and renamed over it, so a failed write leaves no partial picture.
    Missing folders are created. Raises OSError.
    """
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    info = PngInfo()
    for key, value in text.items():
        if value.isascii():
            info.add_text(key, value)
        else:
            info.add_itxt(key, value)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    level = 1 if image.shape[0] * image.shape[1] > FAST_PNG_PIXELS else 6
    try:
        with open(tmp, "xb") as stream:
            Image.fromarray(np.ascontiguousarray(image)).save(
                stream, format="PNG", compress_level=level, pnginfo=info
            )
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return out
