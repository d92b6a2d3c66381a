"""Provenance of Twinscape screenshots in PNG text chunks (as ParaView embeds its state).

A screenshot carries ``twinscape:project`` (the project file, or its name when unsaved),
``twinscape:camera`` (JSON: world ``position``, ``focal_point``, ``view_up``,
``view_angle``; z as drawn, i.e. exaggerated, like every Twinscape camera),
``twinscape:time`` (the clock, ISO 8601 UTC), ``twinscape:crs``, ``twinscape:version``
and the standard ``Software`` and ``Title``. :func:`read_provenance` reads them back;
any PNG reader shows them (``PIL.Image.open(path).text``).
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
from twinscape.model.bookmarks import CameraView
from twinscape.model.project import Project

PREFIX = "twinscape:"
PROJECT_KEY = f"{PREFIX}project"
CAMERA_KEY = f"{PREFIX}camera"
TIME_KEY = f"{PREFIX}time"
CRS_KEY = f"{PREFIX}crs"
VERSION_KEY = f"{PREFIX}version"
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


def _camera(text: str | None) -> CameraView | None:
    if not text:
        return None
    try:
        data = json.loads(text)
        vectors = [tuple(float(v) for v in data[k]) for k in ("position", "focal_point",
                                                               "view_up")]  # fmt: skip
        angle = float(data["view_angle"])
    except (ValueError, KeyError, TypeError):
        return None
    numbers = [*(v for vec in vectors for v in vec), angle]
    if any(len(vec) != 3 for vec in vectors) or not all(map(math.isfinite, numbers)):
        return None
    if not 0 < angle < 180 or vectors[0] == vectors[1]:
        return None
    return CameraView(position=vectors[0], focal_point=vectors[1], view_up=vectors[2],
                      view_angle=angle)  # fmt: skip


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
    return Provenance(
        project=text.get(PROJECT_KEY) or None,
        camera=_camera(text.get(CAMERA_KEY)),
        time=_time(text.get(TIME_KEY)),
        crs=text.get(CRS_KEY) or None,
        version=text.get(VERSION_KEY) or None,
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
