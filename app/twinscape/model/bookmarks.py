"""Camera views and named bookmarks of them, in world coordinates with z in metres.

:func:`scale_view_z` is the one conversion between a view's real heights and the heights
a scene draws with vertical exaggeration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from psygnal import evented

Vec3 = tuple[float, float, float]

#: No world coordinate (metres in a projected CRS) is further from 0 than this: every
#: projected CRS spans less than 1e8 m, and float32 render coordinates relative to an
#: origin this far would lose whole metres.
MAX_WORLD_COORDINATE = 1e8
#: A view_up (or line of sight) shorter than this is no direction.
_MIN_UP = 1e-9


@dataclass(frozen=True)
class CameraView:
    """A camera pose in world (project CRS) coordinates, float64, z in real metres.

    Vertical exaggeration is a render setting: a view means the same place whatever the
    exaggeration (the scene converts with :func:`scale_view_z` when it draws).

    Parameters
    ----------
    position
        Eye point.
    focal_point
        Point looked at.
    view_up
        Up direction (any non-zero length). Along the line of sight (a straight-down
        map view with the default (0, 0, 1)) the scene shows north up.
    view_angle
        Vertical field of view in degrees.
    """

    position: Vec3
    focal_point: Vec3
    view_up: Vec3 = (0.0, 0.0, 1.0)
    view_angle: float = 30.0

    def __post_init__(self) -> None:
        """Check the pose can be drawn; errors read ``"<field>: <problem>"``."""
        for name in ("position", "focal_point", "view_up"):
            value = getattr(self, name)
            if len(value) != 3:
                raise ValueError(f"{name}: needs 3 numbers, got {len(value)}")
            numbers = tuple(float(v) for v in value)
            if not all(math.isfinite(v) for v in numbers):
                raise ValueError(f"{name}: must hold finite numbers, got {numbers}")
            if name != "view_up" and max(map(abs, numbers)) > MAX_WORLD_COORDINATE:
                raise ValueError(
                    f"{name}: {max(map(abs, numbers)):g} m is beyond "
                    f"\u00b1{MAX_WORLD_COORDINATE:g} m of any projected CRS"
                )
            object.__setattr__(self, name, numbers)
        view = tuple(f - p for f, p in zip(self.focal_point, self.position))
        distance = math.hypot(*view)
        if distance < _MIN_UP:  # VTK normalises the line of sight: 1e-300 would be zero
            raise ValueError(f"focal_point: must differ from position by {_MIN_UP:g} m or more")
        up = math.hypot(*self.view_up)
        if not _MIN_UP <= up < math.inf:  # VTK squares it: 1e-320 would be zero there
            raise ValueError(f"view_up: must be a non-zero direction, got {self.view_up}")
        if not 1.0 <= self.view_angle <= 120.0:
            raise ValueError(f"view_angle: {self.view_angle} is not within 1..120 degrees")


@evented
@dataclass(kw_only=True, eq=False)
class Bookmark:
    """A named camera view saved in the project."""

    name: str
    view: CameraView


def scale_view_z(view: CameraView, factor: float, base_z: float = 0.0) -> CameraView:
    """``view`` with its heights stretched by ``factor`` about ``base_z``, its roll kept.

    This one conversion maps cameras between real heights (metres) and a scene drawn with
    vertical exaggeration ``ve`` about the height ``base_z`` (the project origin's z):
    ``factor=ve`` gives the camera as drawn, ``factor=1/ve`` the real one. Eye and focal
    point keep x and y; their z becomes ``base_z + (z - base_z) * factor``, so a focal
    point on the ground stays on the ground and the eye keeps its real position.

    The line of sight tilts (steeper for ``factor > 1``), so ``view_up`` is rebuilt at the
    same roll about the new line of sight, measured from the vertical plane through it:
    an up in that plane (no roll) stays in it, orthogonal to the line of sight. A vertical
    line of sight (a map view), or an up along it, keeps ``view_up``.

    Parameters
    ----------
    view
        The camera to convert.
    factor
        Positive scale of heights above ``base_z``.
    base_z
        The height that does not move.

    Raises
    ------
    ValueError
        ``factor`` is not a positive finite number.
    """
    if not (math.isfinite(factor) and factor > 0):
        raise ValueError(f"factor: must be a positive number, got {factor}")
    if factor == 1.0:
        return view
    eye = np.array(view.position, dtype=float)
    focal = np.array(view.focal_point, dtype=float)
    eye[2] = base_z + (eye[2] - base_z) * factor
    focal[2] = base_z + (focal[2] - base_z) * factor
    up = np.array(view.view_up, dtype=float)
    before = np.subtract(view.focal_point, view.position)
    side = np.cross(before, (0.0, 0.0, 1.0))  # horizontal, to the right of the sight
    if np.linalg.norm(side) > _MIN_UP * np.linalg.norm(before):
        side /= np.linalg.norm(side)
        level = np.cross(side, before / np.linalg.norm(before))  # the up without roll
        along_level, along_side = float(up @ level), float(up @ side)
        if math.hypot(along_level, along_side) > _MIN_UP * np.linalg.norm(up):
            after = focal - eye
            new_level = np.cross(side, after / np.linalg.norm(after))
            up = along_level * new_level + along_side * side
            up /= np.linalg.norm(up)
    return CameraView(
        position=tuple(eye),  # type: ignore[arg-type]
        focal_point=tuple(focal),  # type: ignore[arg-type]
        view_up=tuple(up),  # type: ignore[arg-type]
        view_angle=view.view_angle,
    )
