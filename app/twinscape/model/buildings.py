"""Buildings layers: footprints extruded (LoD1) or city models (LoD2) standing on the ground.

The geometry of a whole layer is one :class:`BuildingMesh` (batched: never one
object per building); per-building data lives in its ``table``, row ``i`` for the
building whose triangles carry ``triangle_building == i``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from psygnal import evented

from twinscape.model.layers import Layer
from twinscape.model.obstacles import Obstacles

#: Surface classes of :attr:`BuildingMesh.triangle_surface`.
SURFACE_WALL, SURFACE_ROOF, SURFACE_GROUND = 0, 1, 2

#: Where a building's height came from (the ``height_source`` column).
HEIGHT_SOURCES: tuple[str, ...] = ("attribute", "levels", "type default", "geometry")

#: Columns every building table has, before the source attributes.
BUILDING_COLUMNS: tuple[str, ...] = (
    "building_id",
    "height",
    "height_source",
    "footprint_area",
)

#: Colour schemes of :attr:`BuildingsStyle.color_mode`.
COLOR_MODES: tuple[str, ...] = ("single", "graduated", "categorised")

#: Ramps a graduated building style can use (render/ defines their stops).
BUILDING_RAMPS: tuple[str, ...] = ("heat", "viridis", "blues", "greys")


@dataclass(frozen=True, eq=False)
class BuildingMesh:
    """The buildings of one layer as one triangle mesh, in the project CRS.

    Parameters
    ----------
    vertices
        float64 (p, 3): world x, y and the height above the building's own ground (z >= 0).
        A vertex belongs to one building only.
    triangles
        int32 (t, 3) indices into ``vertices``, counter-clockwise seen from outside.
    triangle_building
        int32 (t,): row of ``table`` each triangle belongs to.
    triangle_surface
        uint8 (t,): :data:`SURFACE_WALL`, :data:`SURFACE_ROOF` or :data:`SURFACE_GROUND`.
    footprints
        object array (n,) of 2-D shapely (Multi)Polygons in the project CRS.
    own_base
        float64 (n,): the ground elevation the data itself gives (0 for footprints,
        the lowest z of a city model's building); used when there is no terrain.
    table
        pandas DataFrame, n rows: :data:`BUILDING_COLUMNS` then every source attribute.
    """

    vertices: np.ndarray
    triangles: np.ndarray
    triangle_building: np.ndarray
    triangle_surface: np.ndarray
    footprints: np.ndarray
    own_base: np.ndarray
    table: Any

    def __post_init__(self) -> None:
        n = len(self.table)
        if self.footprints.shape != (n,) or self.own_base.shape != (n,):
            raise ValueError(f"BuildingMesh: footprints and own_base need {n} entries")
        t = len(self.triangles)
        if self.triangle_building.shape != (t,) or self.triangle_surface.shape != (t,):
            raise ValueError(f"BuildingMesh: per-triangle arrays need {t} entries")

    @property
    def count(self) -> int:
        """Number of buildings."""
        return len(self.table)

    @property
    def vertex_building(self) -> np.ndarray:
        """int32 (p,): the building each vertex belongs to (-1 for unused vertices)."""
        owner = np.full(len(self.vertices), -1, dtype=np.int32)
        owner[self.triangles.ravel()] = np.repeat(self.triangle_building, 3)
        return owner

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) of the vertices."""
        if len(self.vertices) == 0:
            return (0.0, 0.0, 0.0, 0.0)
        lo = self.vertices[:, :2].min(axis=0)
        hi = self.vertices[:, :2].max(axis=0)
        return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])


@dataclass(frozen=True)
class BuildingsReport:
    """What happened to the features of a buildings file (shown in the layer panel).

    Parameters
    ----------
    height_sources
        Count of buildings per :data:`HEIGHT_SOURCES` entry.
    repaired
        Invalid footprints repaired with ``make_valid``.
    dropped
        Features not drawn, per reason (``{"no polygon area": 3}``).
    rejected_heights
        Height values ignored as nonsense (negative, unparsable, absurd), per reason.
    """

    height_sources: dict[str, int] = field(default_factory=dict)
    repaired: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    rejected_heights: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """Human-readable summary, one fact a line."""
        out = [f"{count} height from {source}" for source, count in self.height_sources.items()]
        if self.repaired:
            out.append(f"{self.repaired} invalid footprint(s) repaired")
        out += [f"{count} dropped: {why}" for why, count in self.dropped.items()]
        out += [f"{count} height value(s) ignored: {why}" for why, count in
                self.rejected_heights.items()]
        return out


@evented
@dataclass(kw_only=True, eq=False)
class BuildingsStyle:
    """How a buildings layer is coloured; every field is saved in the project.

    Parameters
    ----------
    color
        Colour of every building in ``"single"`` mode (and of walls' base tone), ``#rrggbb``.
    color_mode
        ``"single"``, ``"graduated"`` (a numeric column over a ramp) or ``"categorised"``.
    color_by
        Column of the building table that drives the colour (``"height"``, ``"use"`` ...).
    ramp
        Ramp of a graduated style, one of :data:`BUILDING_RAMPS`.
    classes
        Number of classes of a graduated style (equal-count breaks).
    semantic_colors
        Colour roofs, walls and ground surfaces apart (city models, and roofs of footprints).
    """

    color: str = "#e8dcc4"
    color_mode: str = "single"
    color_by: str | None = None
    ramp: str = "heat"
    classes: int = 5
    semantic_colors: bool = True

    def __post_init__(self) -> None:
        self.validate()

    def copy(self) -> BuildingsStyle:
        """An independent copy with the same values."""
        return BuildingsStyle(**{f.name: getattr(self, f.name) for f in fields(self)})

    def validate(self) -> None:
        """Raise ValueError naming the field when a value is invalid."""
        if not _is_hex_colour(self.color):
            raise ValueError(f"color: {self.color!r} is not a #rrggbb colour")
        if self.color_mode not in COLOR_MODES:
            raise ValueError(f"color_mode: {self.color_mode!r} is not one of {COLOR_MODES}")
        if self.color_mode != "single" and not self.color_by:
            raise ValueError(f"color_by: a {self.color_mode} style needs a column")
        if self.ramp not in BUILDING_RAMPS:
            raise ValueError(f"ramp: {self.ramp!r} is not one of {BUILDING_RAMPS}")
        if not 2 <= self.classes <= 12:
            raise ValueError(f"classes: {self.classes} is not within 2..12")


def _is_hex_colour(text: Any) -> bool:
    if not isinstance(text, str) or len(text) != 7 or text[0] != "#":
        return False
    try:
        int(text[1:], 16)
    except ValueError:
        return False
    return True


@evented
@dataclass(kw_only=True, eq=False)
class BuildingsLayer(Layer):
    """Buildings from a footprint file or a city model, standing on the terrain.

    Parameters
    ----------
    source
        Absolute path of the file.
    style
        Colours.
    storey_height
        Metres per storey when a height comes from a level count.
    default_height
        Height of a building with neither height nor levels nor a known type.
    height_attribute, levels_attribute
        Columns to read heights and level counts from; None picks common names.
    mesh
        The triangulated buildings once loaded.
    base
        float64 (n,): ground elevation each building stands on (its lowest terrain
        point, or its own base without terrain), once loaded.
    report
        Counts of height sources, repairs and drops.
    source_crs, assume_crs
        The file's CRS, and the CRS to assume when it states none (saved).
    """

    kind: ClassVar[str] = "buildings"
    stands_on_ground: ClassVar[bool] = True
    data_fields: ClassVar[tuple[str, ...]] = ("mesh", "base", "report", "source_crs")
    reload_fields: ClassVar[tuple[str, ...]] = (
        "storey_height",
        "default_height",
        "height_attribute",
        "levels_attribute",
    )

    source: Path
    style: BuildingsStyle = field(default_factory=BuildingsStyle)
    storey_height: float = 3.2
    default_height: float = 9.0
    height_attribute: str | None = None
    levels_attribute: str | None = None
    mesh: BuildingMesh | None = None
    base: np.ndarray | None = None
    report: BuildingsReport | None = None
    source_crs: str | None = None
    assume_crs: str | None = None

    @property
    def bounds(self) -> tuple[float, float, float, float] | None:
        """Bounds of the buildings in the project CRS."""
        if self.mesh is None or self.mesh.count == 0:
            return None
        return self.mesh.bounds

    @property
    def loaded(self) -> bool:
        """True once the buildings are in memory."""
        return self.mesh is not None

    def occupied_ground(self) -> Obstacles | None:
        """The footprints, once loaded (the same object while mesh and name stay)."""
        if self.mesh is None or self.mesh.count == 0:
            return None
        cached: Obstacles | None = self.mesh.__dict__.get("_obstacles")
        if cached is None or cached.layer != self.name:
            labels = tuple(str(i) for i in self.mesh.table["building_id"])
            cached = Obstacles(self.name, "building", self.mesh.footprints, labels)
            self.mesh.__dict__["_obstacles"] = cached
        return cached

    def describe(self) -> list[str]:
        """Source, CRS, building count and where heights came from."""
        lines = [f"Source: {self.source}"]
        if self.source_crs:
            lines.append(f"Source CRS: {self.source_crs}")
        if self.mesh is None:
            lines.append("Not loaded")
        else:
            lines.append(f"{self.mesh.count} buildings")
            if self.report is not None:
                lines += self.report.lines()
        return lines

    def feature_label(self, row: int) -> str:
        """``building <id>`` of row ``row``."""
        if self.mesh is None or not 0 <= row < self.mesh.count:
            return f"building {row + 1}"
        return f"building {self.mesh.table['building_id'].iloc[row]}"

    def identify(self, row: int | None, point: tuple[float, float, float]) -> dict[str, object]:
        """Computed height, height source, footprint area, base, then every source attribute."""
        if row is None or self.mesh is None or not 0 <= row < self.mesh.count:
            return {}
        record = self.mesh.table.iloc[row]
        base = self.base[row] if self.base is not None else self.mesh.own_base[row]
        info: dict[str, object] = {
            "building id": record["building_id"],
            "height (m)": round(float(record["height"]), 2),
            "height source": record["height_source"],
            "footprint area (m²)": round(float(record["footprint_area"]), 1),
            "base elevation (m)": round(float(base), 2),
        }
        for column in self.mesh.table.columns:
            if column not in BUILDING_COLUMNS:
                info[str(column)] = record[column]
        return info
