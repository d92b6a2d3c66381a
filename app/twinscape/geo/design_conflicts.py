"""Placed assets against what already stands on the ground: a road through a house.

:func:`check_conflicts` finds the features of other layers (buildings, placed 3D models:
:class:`~twinscape.model.obstacles.Obstacles`) that an asset's ground footprint
intersects, and reports them as issues of its assessment:

- **Roads and railways**: the corridor of ``width_m`` (the centre line when unset)
  *crosses* a building: a failure.
- **Power lines** *pass over* and **pipelines** *run under* buildings: a warning (a
  span or a buried pipe can be built so, at a cost the planner should see).
- **Points** (turbines, towers, tanks) *stand on* a building when their footprint
  (:func:`~twinscape.geo.design_areas.point_footprint`) touches it, and **polygons**
  (solar farms, pads) *cover* it: a failure.

Each obstacle layer's footprints are put in one shapely ``STRtree`` on first use and
kept while the layer's :class:`~twinscape.model.obstacles.Obstacles` object lives, so
checking an asset being dragged costs one tree query per layer.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections.abc import Sequence

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from twinscape.geo.design_areas import point_footprint
from twinscape.geo.design_ground import _Checks
from twinscape.model.catalogue import Catalogue, CatalogueEntry
from twinscape.model.obstacles import Obstacles
from twinscape.model.placed import PlacedAsset

#: Line shapes that may share ground with a building, as a warning: what they do there.
PASSING_SHAPES = {"powerline": "passes over", "pipeline": "runs under"}
#: Features named in one message; the rest are counted.
NAMED = 3

_TREES: weakref.WeakKeyDictionary[Obstacles, shapely.STRtree] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def check_conflicts(
    asset: PlacedAsset,
    entry: CatalogueEntry,
    catalogue: Catalogue,
    xy: np.ndarray,
    obstacles: Sequence[Obstacles],
    checks: _Checks,
) -> None:
    """Add an issue to ``checks`` per layer of ``obstacles`` whose features ``asset``
    (vertices ``xy``, valid for its geometry) runs into; see the module docstring."""
    if not obstacles:
        return
    shape = taken_ground(asset, entry, catalogue, xy)
    if entry.geometry == "line":
        verb = PASSING_SHAPES.get(entry.shape, "crosses")
        status = "warn" if entry.shape in PASSING_SHAPES else "fail"
    else:
        verb, status = ("stands on" if entry.geometry == "point" else "covers"), "fail"
    for layer in obstacles:
        hits = np.sort(_tree(layer).query(shape, predicate="intersects"))
        if len(hits):
            checks.add(status, f"{verb} {_listed(layer, hits)}")


def taken_ground(
    asset: PlacedAsset, entry: CatalogueEntry, catalogue: Catalogue, xy: np.ndarray
) -> BaseGeometry:
    """The ground ``asset`` takes: a line's corridor of ``width_m`` (its centre line
    when unset), a point's footprint, a polygon's area (repaired when invalid)."""
    if entry.geometry == "point":
        return point_footprint(asset, entry, catalogue)
    if entry.geometry == "line":
        line = shapely.LineString(xy)
        width = asset.param("width_m", catalogue)
        if math.isfinite(width) and width > 0:
            return line.buffer(width / 2.0, cap_style="flat", join_style="round")
        return line
    return shapely.make_valid(shapely.Polygon(xy))


def _tree(layer: Obstacles) -> shapely.STRtree:
    with _LOCK:
        tree = _TREES.get(layer)
        if tree is None:
            tree = _TREES[layer] = shapely.STRtree(layer.footprints)
    return tree


def _listed(layer: Obstacles, hits: np.ndarray) -> str:
    """ "3 buildings of layer 'Newtown': b1, b2, b7" (the first :data:`NAMED` named)."""
    names = ", ".join(layer.labels[i] for i in hits[:NAMED])
    more = f" and {len(hits) - NAMED} more" if len(hits) > NAMED else ""
    noun = layer.noun if len(hits) == 1 else f"{layer.noun}s"
    return f"{len(hits)} {noun} of layer {layer.layer!r}: {names}{more}"
