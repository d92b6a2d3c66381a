"""World (float64, project CRS) <-> render (float32-safe, origin-relative) coordinates.

VTK and the GPU work in float32: a UTM northing of 3,100,000 m has a float32
step of 0.25 m. Every coordinate is therefore shifted by the project origin
before it becomes a VTK point, in float64, and only then cast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LocalOrigin:
    """The world point that maps to render (0, 0, 0)."""

    x: float
    y: float
    z: float = 0.0

    @classmethod
    def of(cls, origin: tuple[float, float, float] | None) -> LocalOrigin:
        """Build from a project's origin tuple (None means the world origin)."""
        return cls(*origin) if origin is not None else cls(0.0, 0.0, 0.0)

    def to_render(self, points: np.ndarray) -> np.ndarray:
        """World points (N, 3) float64 -> render points (N, 3) float32."""
        pts = np.asarray(points, dtype=np.float64)
        return (pts - np.array([self.x, self.y, self.z])).astype(np.float32)

    def to_world(self, points: np.ndarray) -> np.ndarray:
        """Render points (N, 3) -> world points (N, 3) float64."""
        pts = np.asarray(points, dtype=np.float64)
        return pts + np.array([self.x, self.y, self.z])

    def point_to_render(self, xyz: tuple[float, float, float]) -> tuple[float, float, float]:
        """One world point -> render point, in float64 (for cameras)."""
        return (xyz[0] - self.x, xyz[1] - self.y, xyz[2] - self.z)

    def point_to_world(self, xyz: tuple[float, float, float]) -> tuple[float, float, float]:
        """One render point -> world point, in float64."""
        return (xyz[0] + self.x, xyz[1] + self.y, xyz[2] + self.z)
