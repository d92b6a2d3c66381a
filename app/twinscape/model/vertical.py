"""What a terrain's heights are measured from, and the warning when a project mixes them.

Heights above the ellipsoid (GNSS surveys, a geographic 3D CRS such as EPSG:4979) and
heights above the geoid (gravity-related: EGM96 EPSG:5773, EGM2008 EPSG:3855, NAVD88...)
differ by the geoid undulation, from about -106 to +85 m over the Earth. Most DEMs do not
say which they hold (SRTM is EGM96 but rarely says so): those are ``unknown`` and never
warned about.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from twinscape.model.layers import Layer

ELLIPSOIDAL = "ellipsoidal"
GRAVITY = "gravity"
UNKNOWN = "unknown"
HEIGHT_KINDS = (ELLIPSOIDAL, GRAVITY, UNKNOWN)


@dataclass(frozen=True)
class HeightReference:
    """What the heights of a grid are (they are always metres once read).

    Parameters
    ----------
    kind
        ``"ellipsoidal"``, ``"gravity"`` (above a geoid or another gravity-related
        surface) or ``"unknown"`` (the file does not say).
    datum
        The vertical reference as the file names it ("EGM96 height", "WGS 84 ellipsoid"),
        empty when unknown.
    source_unit
        The unit the file stored heights in ("metre", "US survey foot").
    """

    kind: str = UNKNOWN
    datum: str = ""
    source_unit: str = "metre"

    def __post_init__(self) -> None:
        if self.kind not in HEIGHT_KINDS:
            raise ValueError(f"height kind {self.kind!r} is not one of {HEIGHT_KINDS}")

    def label(self) -> str:
        """A short description: ``"above the geoid (EGM96 height)"``, ``"not stated"``."""
        where = {
            ELLIPSOIDAL: "above the ellipsoid",
            GRAVITY: "above the geoid",
            UNKNOWN: "not stated",
        }[self.kind]
        return f"{where} ({self.datum})" if self.datum else where

    def describe(self) -> str:
        """:meth:`label` and the unit the file stored, when not metres."""
        if self.source_unit == "metre":
            return self.label()
        return f"{self.label()}, read in {self.source_unit} as metres"


#: Heights whose reference the file does not state, stored in metres.
UNKNOWN_HEIGHTS = HeightReference()


def heights_of(layer: Layer) -> HeightReference:
    """The height reference of a layer's grid (:data:`UNKNOWN_HEIGHTS` without one)."""
    grid = getattr(layer, "grid", None)
    return getattr(grid, "heights", UNKNOWN_HEIGHTS)


def mixed_heights_note(layers: Iterable[Layer], layer: Layer) -> str | None:
    """One line when ``layer``, just loaded, mixes ellipsoidal and geoid heights in the ground.

    Only ground layers whose heights state their kind count. The warning comes once, when
    the second kind arrives: a project whose ground already mixes them gets no more.
    """
    mine = heights_of(layer)
    if not layer.provides_ground or mine.kind == UNKNOWN:
        return None
    known = [
        (other, heights_of(other))
        for other in layers
        if other is not layer and other.provides_ground and heights_of(other).kind != UNKNOWN
    ]
    kinds = {ref.kind for _, ref in known}
    if len(kinds) != 1 or mine.kind in kinds:
        return None
    other, theirs = known[0]
    return (
        f"terrain {layer.name!r} has heights {mine.label()} but {other.name!r} "
        f"{theirs.label()}: the two differ by the geoid undulation, typically tens of "
        "metres (-106 to +85 m worldwide), so one surface floats above or sinks below "
        "the other; convert one to the other's vertical datum (e.g. gdalwarp -t_srs "
        "EPSG:4326+5773 for EGM96 heights, with PROJ's geoid grid)"
    )
