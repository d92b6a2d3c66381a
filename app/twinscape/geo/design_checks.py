"""Design checks of placed assets against the ground: grades, curves, slopes, earthworks.

:func:`assess` measures one :class:`~twinscape.model.placed.PlacedAsset` on the
terrain grids (topmost first, as :func:`twinscape.geo.ground.ground_grids` gives
them) and checks it against its catalogue entry's limits; :func:`assess_layer`
does every asset of a layer, keeping results so that calling it every frame
recomputes only the assets that changed. Pure numpy and shapely: no Qt, no VTK.

What is measured (numbers in messages are 1-based: "vertex 1", "segment 1"):

- **Every asset**: ``ground_z``, the terrain under each vertex, from the topmost
  grid with data there; a vertex off every grid is an issue ("vertex 2 is off the
  terrain", a warning: nothing can be checked there).
- **Lines** (roads, railways, pipelines, power lines): the horizontal ``length_m``;
  per segment the *design grade* ``(z_end - z_start) / horizontal length`` between
  the ground at its two vertices, in percent, signed (positive uphill in drawing
  order). This is the grade a road engineer builds: the road runs straight between
  its vertices' ground elevations (the design grade line) and earthworks take up the
  ground in between. Each segment is ``ok``/``warn``/``fail`` against
  ``max_grade_pct`` (warn above :data:`WARN_FRACTION` of it); ``max_grade_pct`` is
  the steepest absolute design grade. ``ground_grade_pct`` is the steepest grade of
  the ground itself along the line, sampled every grid cell: how hard the terrain
  is, not a check. ``min_radius_m`` is the tightest circumradius of three
  consecutive vertices (:mod:`twinscape.geo.curvature`), checked against
  ``min_curve_radius_m`` (warn when the limit is above :data:`WARN_FRACTION` of the
  radius). Roads and railways with a ``width_m`` get the cut and fill of their
  corridor built to the design grade line, with ``side_slope`` batters
  (:func:`twinscape.geo.earthworks.cut_fill_corridor`).
- **Points** (turbines, towers, tanks): the ground under the footprint (a square of
  side ``footprint_m`` turned by the asset's rotation; a circle of that diameter for
  turbines and tanks) is fitted with a plane by least squares through samples on a
  7 x 7 lattice and the outline; ``slope_deg`` is the tilt of that plane (the slope a
  foundation has to take up), checked against ``max_slope_deg``. ``base_z`` is the
  lowest ground under the footprint (:func:`twinscape.geo.ground.footprint_bases`).
- **Polygons** (solar farms, pads, plots): ``area_m2``; ``slope_deg`` is the 90th
  percentile of the Horn slope (:mod:`twinscape.geo.slope`) of the grid cells whose
  centres lie inside (90 % of the area is at most this steep; the plane fit when no
  cell centre is inside), checked against ``max_slope_deg``. An entry or asset with a
  ``pad_elevation_m`` gets the cut and fill of a flat pad at that elevation
  (:func:`twinscape.geo.earthworks.cut_fill_polygon`); NaN levels it at the
  area-weighted mean ground, where cut equals fill. ``base_z`` is the pad
  elevation, or else the lowest ground inside.
- **What stands there** (buildings of other layers): a road or railway corridor, a
  point's footprint or a polygon running into one fails; a power line passing over
  or a pipeline running under one warns (:mod:`twinscape.geo.design_conflicts`).

The measures live in :mod:`~twinscape.geo.design_lines` (lines) and
:mod:`~twinscape.geo.design_areas` (points and polygons), on the ground helpers of
:mod:`~twinscape.geo.design_ground`.
"""

from __future__ import annotations

import logging
import threading
import weakref
from dataclasses import dataclass

import numpy as np

from twinscape.geo.design_areas import _assess_point, _assess_polygon
from twinscape.geo.design_conflicts import check_conflicts
from twinscape.geo.design_ground import _Checks, ground_at
from twinscape.geo.design_lines import _assess_line
from twinscape.model.catalogue import Catalogue
from twinscape.model.obstacles import Obstacles
from twinscape.model.placed import Assessment, PlacedAsset, PlacedAssetsLayer, check_vertices
from twinscape.model.raster import RasterGrid

_LOG = logging.getLogger(__name__)


def assess(
    asset: PlacedAsset,
    catalogue: Catalogue,
    ground: tuple[RasterGrid, ...],
    *,
    obstacles: tuple[Obstacles, ...] = (),
    earthworks: bool = True,
) -> Assessment:
    """How ``asset`` fits the ground ``ground`` (topmost first) and what stands on it
    (``obstacles``: :func:`~twinscape.geo.design_conflicts.check_conflicts`); see the
    module docstring.

    ``earthworks=False`` leaves out cut and fill (0), the slow part (about half a second
    for 15 km of road in mountains at 90 m): for live feedback while an asset is dragged.
    """
    if asset.entry not in catalogue:
        return Assessment(status="fail", issues=(f"catalogue entry {asset.entry!r} is unknown",))
    entry = catalogue.get(asset.entry)
    try:
        check_vertices(asset, entry.geometry)
    except ValueError as err:
        return Assessment(status="fail", issues=(str(err).partition(": ")[2] or str(err),))
    xy = np.asarray(asset.coords, dtype=np.float64)
    checks = _Checks(issues=[])
    if not ground:
        checks.add("warn", "no terrain is loaded: nothing was checked")
        z = np.full(len(xy), np.nan)
    else:
        z = ground_at(ground, xy[:, 0], xy[:, 1])
        for index in np.flatnonzero(~np.isfinite(z)):
            checks.add("warn", f"vertex {index + 1} is off the terrain")
    values: dict[str, object] = {}
    if entry.geometry == "line":
        values = _assess_line(asset, entry, catalogue, xy, z, ground, checks, earthworks)
    elif entry.geometry == "point":
        values = _assess_point(asset, entry, catalogue, xy, ground, checks)
    else:
        values = _assess_polygon(asset, catalogue, xy, ground, checks, earthworks)
    check_conflicts(asset, entry, catalogue, xy, obstacles, checks)
    return Assessment(
        status=checks.status,
        issues=tuple(checks.issues),
        ground_z=tuple(float(v) for v in z),
        **values,  # type: ignore[arg-type]
    )


# -- layers ---------------------------------------------------------------------------
@dataclass
class _LayerCache:
    """Assessments of one layer's assets for one catalogue, ground and obstacles."""

    catalogue: Catalogue
    ground: tuple[RasterGrid, ...]
    obstacles: tuple[Obstacles, ...]
    results: dict[PlacedAsset, tuple[Assessment, bool]]  # with earthworks or not


_CACHE: weakref.WeakKeyDictionary[PlacedAssetsLayer, _LayerCache] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def assess_layer(layer: PlacedAssetsLayer, *, earthworks: bool = True) -> dict[str, Assessment]:
    """Assessments of every asset of ``layer`` by asset id ({} until it is loaded).

    Results are kept per layer (weakly) while its catalogue, ground and obstacles stay
    the same objects, so calling this every frame only assesses assets added or changed since
    the last call; results of assets no longer in the layer are dropped. An asset whose
    assessment fails unexpectedly is reported as failed with the error, and logged.
    ``earthworks=False`` (while dragging) skips cut and fill for changed assets and
    reuses full results where it has them.
    """
    catalogue = layer.catalogue
    if catalogue is None:
        return {}
    ground, obstacles = tuple(layer.ground), tuple(layer.obstacles)
    with _LOCK:
        cache = _CACHE.get(layer)
        if (
            cache is None
            or cache.catalogue is not catalogue
            or not _same(cache.ground, ground)
            or not _same(cache.obstacles, obstacles)
        ):
            cache = _LayerCache(catalogue, ground, obstacles, results={})
            _CACHE[layer] = cache
        known = dict(cache.results)
    results: dict[PlacedAsset, tuple[Assessment, bool]] = {}
    for asset in layer.assets:
        found = known.get(asset)
        if found is None or (earthworks and not found[1]):
            found = (_assess_safely(asset, catalogue, ground, obstacles, earthworks), earthworks)
        results[asset] = found
    with _LOCK:
        if _CACHE.get(layer) is cache:
            cache.results = results
    return {asset.id: found[0] for asset, found in results.items()}


def _same(a: tuple[object, ...], b: tuple[object, ...]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


def _assess_safely(
    asset: PlacedAsset,
    catalogue: Catalogue,
    ground: tuple[RasterGrid, ...],
    obstacles: tuple[Obstacles, ...],
    earthworks: bool,
) -> Assessment:
    try:
        return assess(asset, catalogue, ground, obstacles=obstacles, earthworks=earthworks)
    except Exception as err:  # a frame must never fail on one asset
        _LOG.exception("assessing placed asset %s (%s) failed", asset.id, asset.entry)
        return Assessment(status="fail", issues=(f"could not be assessed: {err}",))
