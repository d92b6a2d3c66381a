"""3D model layers: one model file (glTF, OBJ, STL, PLY) placed on the terrain.

A model's geometry is a :class:`ModelMesh` in its own units (z up); where it
stands is a :class:`ModelPlacement` in the project CRS: a map position, a
rotation clockwise from north, a uniform scale and a height above the ground.
The model's lowest point stands on the lowest terrain point under its footprint
(:attr:`ModelLayer.base`), so it never floats above a slope.

The same placement serves any asset put on the terrain (turbines, towers): the
matrix from model units to world coordinates is :meth:`ModelLayer.model_matrix`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import shapely
from psygnal import evented

from twinscape.model.layers import Layer
from twinscape.model.obstacles import Obstacles
from twinscape.model.raster import RasterGrid

#: Axes a model file may treat as up (glTF: "y" by its specification).
UP_AXES: tuple[str, ...] = ("y", "z")
#: Points of a model that stand on its map position: the centre of its footprint's
#: box, or the model's own origin (x = y = 0; useful for a tower's axis).
ANCHORS: tuple[str, ...] = ("centre", "origin")
#: Limits of a placement's scale and height offset.
SCALE_RANGE = (1e-6, 1e6)
Z_OFFSET_RANGE = (-100_000.0, 100_000.0)

#: ``finder(layer, grids) -> base or None``: the lowest ground under a placed model.
#: Installed by io/kinds/models.py (model/ cannot import geo/); see :func:`use_ground_finder`.
GroundFinder = Callable[["ModelLayer", tuple[RasterGrid, ...]], "float | None"]
_ground_finder: GroundFinder | None = None


def use_ground_finder(finder: GroundFinder | None) -> None:
    """Say how a model that moves finds its new base on the ground it stands on."""
    global _ground_finder
    _ground_finder = finder


@dataclass(frozen=True, eq=False)
class ModelMesh:
    """The triangles of one model file, scene nodes flattened, in model units with z up.

    Parameters
    ----------
    vertices
        float64 (p, 3) in the file's units, after node transforms and the up-axis
        conversion (z up, y north at rotation 0).
    triangles
        int32 (t, 3) indices into ``vertices``.
    colors
        uint8 (t, 3) RGB per triangle (the file's colours or materials, else neutral).
    footprint
        float64 (k, 2): the convex hull of the vertices seen from above (x, y),
        counter-clockwise, not closed.
    name
        The model's name (the file's scene name, or its file name).
    parts
        Number of meshes the file's scene held.
    """

    vertices: np.ndarray
    triangles: np.ndarray
    colors: np.ndarray
    footprint: np.ndarray
    name: str = "model"
    parts: int = 1

    def __post_init__(self) -> None:
        if self.vertices.ndim != 2 or self.vertices.shape[1] != 3:
            raise ValueError(f"ModelMesh: vertices need shape (p, 3), got {self.vertices.shape}")
        t = len(self.triangles)
        if self.triangles.shape != (t, 3) or self.colors.shape != (t, 3):
            raise ValueError(f"ModelMesh: triangles and colors need shape ({t}, 3)")
        if self.footprint.ndim != 2 or self.footprint.shape[1] != 2 or len(self.footprint) < 3:
            raise ValueError("ModelMesh: footprint needs at least 3 (x, y) points")

    @property
    def count(self) -> int:
        """Number of triangles."""
        return len(self.triangles)

    @property
    def box(self) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) corners of the vertices, model units."""
        return self.vertices.min(axis=0), self.vertices.max(axis=0)

    @property
    def extent(self) -> np.ndarray:
        """float64 (3,): width (x), depth (y) and height (z), model units."""
        low, high = self.box
        return high - low


@dataclass(frozen=True)
class ModelPlacement:
    """Where a model stands: every value is saved in the project.

    Parameters
    ----------
    x, y
        Map position of the model's anchor in the project CRS (metres); None until
        placed (a new model goes to the middle of the terrain).
    rotation_deg
        Degrees clockwise from north about the vertical, kept in 0..360.
    scale
        Uniform scale (1: the file's size, in its units times the layer's ``unit_scale``).
    z_offset
        Metres above the ground when snapped; else the elevation of the model's
        lowest point (metres above the vertical datum).
    snap_to_ground
        Stand on the lowest terrain point under the footprint.
    """

    x: float | None = None
    y: float | None = None
    rotation_deg: float = 0.0
    scale: float = 1.0
    z_offset: float = 0.0
    snap_to_ground: bool = True

    def __post_init__(self) -> None:
        for name in ("x", "y"):
            value = getattr(self, name)
            if value is not None and not _finite(value):
                raise ValueError(f"{name}: {value!r} is not a finite number")
        if not _finite(self.rotation_deg):
            raise ValueError(f"rotation_deg: {self.rotation_deg!r} is not a finite number")
        object.__setattr__(self, "rotation_deg", float(self.rotation_deg) % 360.0)
        low, high = SCALE_RANGE
        if not _finite(self.scale) or not low <= self.scale <= high:
            raise ValueError(f"scale: {self.scale!r} is not within {low:g}..{high:g}")
        low, high = Z_OFFSET_RANGE
        if not _finite(self.z_offset) or not low <= self.z_offset <= high:
            raise ValueError(f"z_offset: {self.z_offset!r} is not within {low:g}..{high:g}")
        if not isinstance(self.snap_to_ground, bool):
            raise ValueError(f"snap_to_ground: {self.snap_to_ground!r} is not true or false")

    @property
    def placed(self) -> bool:
        """True once the model has a map position."""
        return self.x is not None and self.y is not None


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def rotation_z(rotation_deg: float) -> np.ndarray:
    """3 x 3 rotation about the vertical, ``rotation_deg`` clockwise seen from above."""
    a = math.radians(rotation_deg)
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])


def anchor_point(mesh: ModelMesh, anchor: str) -> np.ndarray:
    """float64 (3,): the model point (model units) that stands at the placement's x, y.

    z is always the model's lowest point, so the model stands on the ground.
    """
    low, high = mesh.box
    if anchor == "origin":
        return np.array([0.0, 0.0, low[2]])
    return np.array([(low[0] + high[0]) / 2, (low[1] + high[1]) / 2, low[2]])


def model_matrix(
    mesh: ModelMesh,
    placement: ModelPlacement,
    *,
    unit_scale: float = 1.0,
    anchor: str = "centre",
    elevation: float = 0.0,
) -> np.ndarray:
    """float64 4 x 4 from model units to world coordinates (x, y, z in metres).

    Move the anchor to (0, 0, 0), scale by ``placement.scale * unit_scale``, rotate
    clockwise about the vertical, then move to (x, y, ``elevation``).
    """
    if not placement.placed:
        raise ValueError("the model has no position (x, y) yet")
    linear = rotation_z(placement.rotation_deg) * (placement.scale * unit_scale)
    matrix = np.eye(4)
    matrix[:3, :3] = linear
    where = np.array([placement.x, placement.y, elevation], np.float64)
    matrix[:3, 3] = where - linear @ anchor_point(mesh, anchor)
    return matrix


def placed_footprint(
    mesh: ModelMesh, placement: ModelPlacement, *, unit_scale: float = 1.0, anchor: str = "centre"
) -> np.ndarray:
    """float64 (k, 2): world x, y of the mesh's footprint under ``placement``."""
    m = model_matrix(mesh, placement, unit_scale=unit_scale, anchor=anchor)
    return mesh.footprint @ m[:2, :2].T + m[:2, 3]


@evented
@dataclass(kw_only=True, eq=False)
class ModelLayer(Layer):
    """A 3D model file placed on the terrain.

    Parameters
    ----------
    source
        Absolute path of the model file.
    placement
        Position, rotation, scale and height (replaced as a whole: it is frozen).
    up_axis
        The file's up axis, one of :data:`UP_AXES` (changing it re-reads the file).
    unit_scale
        Metres per model unit (0.001 for a model drawn in millimetres).
    anchor
        Which point stands on the map position, one of :data:`ANCHORS`.
    mesh
        The model's triangles once loaded.
    base
        Lowest ground elevation under the placed footprint (None: no terrain under it).
    ground
        The elevation grids the model was stood on (to re-base it when it moves).
    """

    kind: ClassVar[str] = "model"
    stands_on_ground: ClassVar[bool] = True
    data_fields: ClassVar[tuple[str, ...]] = ("mesh", "base", "ground")
    reload_fields: ClassVar[tuple[str, ...]] = ("up_axis",)
    #: Fields that move the model's footprint (so its base).
    placement_fields: ClassVar[tuple[str, ...]] = ("placement", "unit_scale", "anchor")

    source: Path
    placement: ModelPlacement = field(default_factory=ModelPlacement)
    up_axis: str = "z"
    unit_scale: float = 1.0
    anchor: str = "centre"
    mesh: ModelMesh | None = field(default=None, repr=False)
    base: float | None = None
    ground: tuple[RasterGrid, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        self.validate()
        for name in self.placement_fields:
            getattr(self.events, name).connect(self._moved)

    def validate(self) -> None:
        """Raise ValueError naming the field when a setting is invalid."""
        if self.up_axis not in UP_AXES:
            raise ValueError(f"up_axis: {self.up_axis!r} is not one of {UP_AXES}")
        if self.anchor not in ANCHORS:
            raise ValueError(f"anchor: {self.anchor!r} is not one of {ANCHORS}")
        if not _finite(self.unit_scale) or not 1e-6 <= self.unit_scale <= 1e6:
            raise ValueError(f"unit_scale: {self.unit_scale!r} is not within 1e-06..1e+06")
        if not isinstance(self.placement, ModelPlacement):
            raise ValueError(f"placement: {self.placement!r} is not a ModelPlacement")

    def _moved(self, *_: object) -> None:
        """Stand on the ground again where the footprint now is."""
        if _ground_finder is not None and self.mesh is not None and self.placement.placed:
            self.base = _ground_finder(self, self.ground)

    # -- geometry -------------------------------------------------------------------
    def anchor_point(self) -> np.ndarray:
        """float64 (3,): the model point (model units) put at (x, y, elevation)."""
        assert self.mesh is not None
        return anchor_point(self.mesh, self.anchor)

    @property
    def elevation(self) -> float:
        """World z of the model's lowest point: ground (when snapped) plus the offset."""
        p = self.placement
        ground = self.base if p.snap_to_ground and self.base is not None else 0.0
        return float(ground) + p.z_offset

    @property
    def metres_per_unit(self) -> float:
        """Model units to metres: the placement's scale times :attr:`unit_scale`."""
        return self.placement.scale * self.unit_scale

    def model_matrix(self) -> np.ndarray:
        """float64 4 x 4 from model units to world coordinates (see :func:`model_matrix`)."""
        if self.mesh is None:
            raise ValueError(f"model {self.name!r} is not loaded")
        return model_matrix(
            self.mesh,
            self.placement,
            unit_scale=self.unit_scale,
            anchor=self.anchor,
            elevation=self.elevation,
        )

    def placed_footprint(self) -> np.ndarray | None:
        """float64 (k, 2) world x, y of the footprint as placed (None before)."""
        if self.mesh is None or not self.placement.placed:
            return None
        return placed_footprint(
            self.mesh, self.placement, unit_scale=self.unit_scale, anchor=self.anchor
        )

    def occupied_ground(self) -> Obstacles | None:
        """The placed footprint, once placed (the same object while it does not move)."""
        ring = self.placed_footprint()
        if ring is None:
            return None
        key = (self.name, self.placement, self.unit_scale, self.anchor, id(self.mesh))
        cached = self.__dict__.get("_occupied")
        if cached is None or cached[0] != key:
            shapes = np.empty(1, dtype=object)
            shapes[0] = shapely.Polygon(ring)
            cached = self.__dict__["_occupied"] = (key, Obstacles(self.name, "model", shapes,
                                                                  (self.source.name,)))  # fmt: skip
        return cached[1]

    @property
    def size_m(self) -> np.ndarray | None:
        """float64 (3,): width, depth and height in metres (before rotation)."""
        return None if self.mesh is None else self.mesh.extent * self.metres_per_unit

    @property
    def bounds(self) -> tuple[float, float, float, float] | None:
        """The placed footprint's box in the project CRS."""
        footprint = self.placed_footprint()
        if footprint is None:
            return None
        (x0, y0), (x1, y1) = footprint.min(axis=0), footprint.max(axis=0)
        return float(x0), float(y0), float(x1), float(y1)

    @property
    def loaded(self) -> bool:
        """True once the model's triangles are in memory."""
        return self.mesh is not None

    # -- description ----------------------------------------------------------------
    def describe(self) -> list[str]:
        """Source, triangles, size and where the model stands."""
        lines = [f"Source: {self.source}"]
        if self.mesh is None:
            return [*lines, "Not loaded"]
        w, d, h = self.size_m  # type: ignore[misc]
        p = self.placement
        lines += [
            f"{self.mesh.count:,} triangles".replace(",", " "),
            f"Size: {w:.1f} \u00d7 {d:.1f} \u00d7 {h:.1f} m",
        ]
        if not p.placed:
            return [*lines, "Not placed yet"]
        ground = f"ground {self.base:.1f} m" if self.base is not None else "no terrain"
        return [
            *lines,
            f"Position: {p.x:.1f}, {p.y:.1f}; rotation {p.rotation_deg:g}\u00b0; scale {p.scale:g}",
            f"Stands at {self.elevation:.1f} m ({ground})",
        ]

    def feature_label(self, row: int) -> str:
        """The model's name."""
        return self.mesh.name if self.mesh is not None else self.name

    def identify(self, row: int | None, point: tuple[float, float, float]) -> dict[str, object]:
        """Model name, file, triangles, size, placement and elevations."""
        if self.mesh is None:
            return {}
        w, d, h = self.size_m  # type: ignore[misc]
        p = self.placement
        return {
            "model": self.mesh.name,
            "file": self.source.name,
            "triangles": self.mesh.count,
            "size (m)": f"{w:.2f} \u00d7 {d:.2f} \u00d7 {h:.2f}",
            "position (x, y)": f"{p.x:.2f}, {p.y:.2f}" if p.placed else None,
            "rotation (\u00b0)": round(p.rotation_deg, 2),
            "scale": p.scale,
            "snapped to ground": "yes" if p.snap_to_ground else "no",
            "base elevation (m)": None if self.base is None else round(self.base, 2),
            "model bottom (m)": round(self.elevation, 2),
        }
