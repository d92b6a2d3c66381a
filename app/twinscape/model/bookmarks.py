"""Camera views and named bookmarks of them."""

from __future__ import annotations

import math
from dataclasses import dataclass

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
    """A camera pose in world (project CRS) coordinates, float64.

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
