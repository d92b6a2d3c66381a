"""A synthetic planned new town as building footprints: demo data and benchmark load.

``generate_district(center_xy, count=...)`` lays out a street grid (boulevards every four
blocks, local streets between), ranks the blocks by a noisy distance from the centre and
zones them: towers and offices in the core, apartment rows and courtyard blocks around it,
houses and villas further out, warehouses on one edge. Blocks are cut into plots and each
plot gets a footprint with setbacks, so no two buildings overlap. A grand mosque with its
minaret and the souq sit at the central crossing; schools, neighbourhood mosques and
hospitals are spread over the town on a lattice of blocks.

Attributes follow OpenStreetMap tags: ``building`` (the type), ``building:levels`` and
``height`` as text (``"4"``, ``"24 m"`` or ``"24"``), missing for about a third of the
buildings so that type defaults are exercised, ``name`` for a few, and ``use``
(residential, commercial, civic or industrial).

Everything is vectorised with numpy and shapely (100,000 buildings take a few seconds)
and deterministic for a given ``seed``.

Command line, from the repository root::

    python -m benchmarks.district --count 350 --out assets/buildings/deadsea_newtown_plan.gpkg

Modules: ``layout`` (street grid, zoning, plots per block), ``kinds`` (block kinds and
their plot and footprint sizes), ``footprints`` (one footprint per plot, civic buildings),
``shapes`` (rectangles, L, U and courtyard polygons), ``attributes`` (the OSM tags).
"""

from __future__ import annotations

import numpy as np
import shapely

from benchmarks.district.attributes import _tags
from benchmarks.district.footprints import _civic_buildings, _grid_buildings
from benchmarks.district.layout import _choose_blocks
from benchmarks.district.shapes import _rotate

#: Centre of the demo plan on the demo DEM (EPSG:32636): the eastern Jordan valley floor
#: between South Shuneh and Kafrein, about 31.85 N 35.62 E, -283..-255 m, slopes under 2.1
#: degrees within 900 m, 9 km north-east of the Dead Sea shore.
DEMO_CENTER: tuple[float, float] = (747250.0, 3527500.0)

#: Seed of the demo plan.
DEMO_SEED = 0


def generate_district(
    center_xy: tuple[float, float],
    *,
    count: int,
    seed: int = 0,
    crs: str = "EPSG:32636",
    rotation_deg: float = 0.0,
):
    """A planned town of exactly ``count`` building footprints around ``center_xy``.

    Parameters
    ----------
    center_xy
        Centre of the town (the central boulevard crossing) in ``crs`` (metric, projected).
    count
        Number of buildings; the town grows outwards until it holds them.
    seed
        Seed of the numpy generator: the same seed gives the same town.
    crs
        CRS of the coordinates.
    rotation_deg
        Turn of the street grid, counter-clockwise, about the centre.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``building``, ``building:levels``, ``height``, ``name``, ``use`` and the
        polygon ``geometry``, nearest the centre first.
    """
    import geopandas as gpd

    if count < 1:
        raise ValueError(f"count: {count} is not a positive number of buildings")
    rng = np.random.default_rng(seed)
    blocks = _choose_blocks(rng, count)
    parts = _grid_buildings(rng, blocks) + _civic_buildings(rng, blocks)
    geometry = np.concatenate([p["geometry"] for p in parts])
    kind = np.concatenate([p["kind"] for p in parts])
    rank = np.concatenate([p["rank"] for p in parts])
    sub = np.concatenate([p["sub"] for p in parts])
    name = np.concatenate([p["name"] for p in parts])
    order = np.lexsort((sub, rank))[:count]
    geometry, kind, name = geometry[order], kind[order], name[order]

    tags = _tags(rng, kind, name)
    cx, cy = float(center_xy[0]), float(center_xy[1])
    if rotation_deg:
        geometry = _rotate(geometry, rotation_deg)
    geometry = shapely.transform(geometry, lambda xy: xy + (cx, cy))
    return gpd.GeoDataFrame(tags, geometry=geometry, crs=crs)
