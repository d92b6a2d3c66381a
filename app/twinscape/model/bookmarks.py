"""Camera views and named bookmarks of them."""

from __future__ import annotations

from dataclasses import dataclass

from psygnal import evented

Vec3 = tuple[float, float, float]


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
        Up direction (unit vector).
    view_angle
        Vertical field of view in degrees.
    """

    position: Vec3
    focal_point: Vec3
    view_up: Vec3 = (0.0, 0.0, 1.0)
    view_angle: float = 30.0

    def __post_init__(self) -> None:
        for name in ("position", "focal_point", "view_up"):
            value = getattr(self, name)
            if len(value) != 3:
                raise ValueError(f"{name}: needs 3 numbers, got {len(value)}")
            object.__setattr__(self, name, tuple(float(v) for v in value))
        if self.position == self.focal_point:
            raise ValueError("position and focal_point must differ")
        if not 1.0 <= self.view_angle <= 120.0:
            raise ValueError(f"view_angle: {self.view_angle} is not within 1..120 degrees")


@evented
@dataclass(kw_only=True, eq=False)
class Bookmark:
    """A named camera view saved in the project."""

    name: str
    view: CameraView
