"""The infrastructure catalogue: what a planner can place, its 3D shape and its limits.

The catalogue is data, not code: ``assets/catalogue/infrastructure.toml`` ships with
the app and users add or override entries in files of their own (read by
io/catalogue.py). Each :class:`CatalogueEntry` names its geometry (a point, a line
or a polygon), the generated shape it is drawn with (or a model file, for point
entries), its colour and its numeric parameters, which are both dimensions (a
turbine's hub height, a road's width) and design limits (a road's maximum grade, a
railway's minimum curve radius, the steepest ground a solar farm may stand on).

Parameter names (metres, degrees, percent as their suffix says):

========================  =====================================================
``height_m``              height of a structure (tower, mast, tank, substation)
``hub_height_m``          wind turbine hub height above the ground
``rotor_diameter_m``      wind turbine rotor diameter
``antenna_height_m``      height of a tower's antenna above the ground
``range_m``               radio or sensing range (viewshed radius)
``footprint_m``           side (or diameter) of a point asset's base
``max_slope_deg``         steepest ground under the footprint
``width_m``               road or corridor width
``max_grade_pct``         steepest longitudinal grade of a line
``side_slope``            cut and fill batter, horizontal per vertical (2 = 2:1)
``min_curve_radius_m``    tightest horizontal curve of a railway or road
``pylon_spacing_m``       distance between power-line pylons
``pylon_height_m``        height of a pylon
``sleeper_spacing_m``     distance between railway sleepers drawn
``diameter_m``            pipe diameter
``row_spacing_m``         distance between solar panel rows
``panel_height_m``        height of a panel row's top edge
``pad_elevation_m``       design elevation of a building pad (NaN: the mean ground)
========================  =====================================================
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from twinscape.model.models3d import SCALE_RANGE, ModelMesh

#: Geometry types of catalogue entries.
GEOMETRIES: tuple[str, ...] = ("point", "line", "polygon")

#: Generated shapes render/ knows how to draw, per geometry.
SHAPES: dict[str, tuple[str, ...]] = {
    "point": ("turbine", "tower", "mast", "tank", "substation", "box"),
    "line": ("road", "railway", "pipeline", "powerline"),
    "polygon": ("solar_farm", "pad"),
}

#: Parameter names an entry may carry (see the module docstring).
PARAMETERS: tuple[str, ...] = (
    "height_m",
    "hub_height_m",
    "rotor_diameter_m",
    "antenna_height_m",
    "range_m",
    "footprint_m",
    "max_slope_deg",
    "width_m",
    "max_grade_pct",
    "side_slope",
    "min_curve_radius_m",
    "pylon_spacing_m",
    "pylon_height_m",
    "sleeper_spacing_m",
    "diameter_m",
    "row_spacing_m",
    "panel_height_m",
    "pad_elevation_m",
)

#: Fewest vertices per geometry.
MIN_VERTICES: dict[str, int] = {"point": 1, "line": 2, "polygon": 3}


@dataclass(frozen=True)
class CatalogueEntry:
    """One kind of asset a planner can place.

    Parameters
    ----------
    key
        Identifier used by placed assets and project files (``"wind_turbine"``).
    title
        Name shown in the catalogue list (``"Wind turbine"``).
    geometry
        One of :data:`GEOMETRIES`.
    shape
        Generated shape it is drawn with, one of :data:`SHAPES` for its geometry.
    color
        RGB, 0..1, of its 3D representation when the placement is valid.
    params
        Dimensions and design limits by name (see :data:`PARAMETERS`).
    model
        A model file (glTF, OBJ, STL, PLY) drawn instead of the generated shape, or None;
        point entries only. It stands like a 3D model layer: the centre of its box on the
        asset's position, its lowest point on the ground, turned by the asset's rotation.
    model_scale
        Metres per model unit (1: the file is in metres).
    description
        One line for tooltips.
    source
        The catalogue file the entry came from (None: built in code, e.g. tests).
    """

    key: str
    title: str
    geometry: str
    shape: str
    color: tuple[float, float, float] = (0.8, 0.8, 0.8)
    params: Mapping[str, float] = field(default_factory=dict)
    model: Path | None = None
    model_scale: float = 1.0
    description: str = ""
    source: Path | None = None

    def __post_init__(self) -> None:
        if not self.key or not self.key.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"key: {self.key!r} must be letters, digits, '_' or '-'")
        if self.geometry not in GEOMETRIES:
            raise ValueError(f"geometry: {self.geometry!r} is not one of {', '.join(GEOMETRIES)}")
        if self.shape not in SHAPES[self.geometry]:
            allowed = ", ".join(SHAPES[self.geometry])
            raise ValueError(f"shape: {self.shape!r} is not one of {allowed} for a {self.geometry}")
        for name, value in self.params.items():
            if name not in PARAMETERS:
                raise ValueError(f"params.{name}: unknown parameter")
            if not isinstance(value, (int, float)) or math.isinf(value):
                raise ValueError(f"params.{name}: {value!r} is not a finite number")
            if value < 0 and name != "pad_elevation_m":
                raise ValueError(f"params.{name}: {value!r} must not be negative")
        if self.model is not None and self.geometry != "point":
            raise ValueError(f"model: is only for point entries, not a {self.geometry}")
        low, high = SCALE_RANGE
        scale = self.model_scale
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not (
            low <= scale <= high
        ):
            raise ValueError(f"model_scale: {scale!r} is not within {low:g}..{high:g}")
        if len(self.color) != 3 or not all(0.0 <= c <= 1.0 for c in self.color):
            raise ValueError(f"color: {self.color!r} needs three values within 0..1")
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    def param(self, name: str, default: float = math.nan) -> float:
        """The entry's value of parameter ``name``, or ``default``."""
        return float(self.params.get(name, default))


@dataclass(frozen=True)
class Catalogue:
    """The entries a project can place, by key (later files override earlier ones).

    ``models`` holds the triangles of the entries' model files by path, read once when
    the catalogue is loaded (io/catalogue.py); an entry whose model is missing from it
    is drawn with its generated shape.
    """

    entries: Mapping[str, CatalogueEntry] = field(default_factory=dict)
    models: Mapping[Path, ModelMesh] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "entries", MappingProxyType(dict(self.entries)))
        object.__setattr__(self, "models", MappingProxyType(dict(self.models)))

    def __iter__(self) -> Iterator[CatalogueEntry]:
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, key: object) -> bool:
        return key in self.entries

    def get(self, key: str) -> CatalogueEntry:
        """The entry called ``key``; KeyError names the known ones."""
        try:
            return self.entries[key]
        except KeyError:
            known = ", ".join(sorted(self.entries))
            raise KeyError(f"no catalogue entry {key!r}; the catalogue has {known}") from None

    def of_geometry(self, geometry: str) -> list[CatalogueEntry]:
        """Entries of one geometry, in catalogue order."""
        return [entry for entry in self if entry.geometry == geometry]

    def model_of(self, entry: CatalogueEntry) -> ModelMesh | None:
        """The triangles of ``entry``'s model file (None: none, or not read)."""
        return None if entry.model is None else self.models.get(entry.model)

    def merged(
        self, entries: Iterable[CatalogueEntry], models: Mapping[Path, ModelMesh] | None = None
    ) -> Catalogue:
        """A catalogue with ``entries`` (and their ``models``) added, replacing entries of
        the same key."""
        return Catalogue({**self.entries, **{entry.key: entry for entry in entries}},
                         {**self.models, **(models or {})})  # fmt: skip


def with_params(entry: CatalogueEntry, **params: Any) -> CatalogueEntry:
    """``entry`` with some parameters changed (tests and user overrides)."""
    return replace(entry, params={**entry.params, **params})
