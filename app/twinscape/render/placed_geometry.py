"""Triangles and polylines of placed assets, standing on the ground (numpy and shapely only).

:func:`asset_mesh` turns one :class:`~twinscape.model.placed.PlacedAsset` into a
:class:`PlacedMesh` in **world** coordinates (float64, project CRS, z in metres, no
exaggeration); :func:`layer_mesh` does every asset of a layer, each tagged with its row.
The visual (render/placed_visual.py) shifts them by the project origin.

Dimensions come from the asset's parameters, else its entry's, else :data:`DEFAULTS`.
The shapes live by geometry:

- render/placed_points.py: turbine, tower, mast, tank, substation, box, or the entry's
  model file (its triangles in ``Catalogue.models``, scaled by ``model_scale``). They
  stand at ``base_z`` (the lowest ground under the footprint, from the assessment) and
  turn ``rotation_deg`` clockwise from north.
- render/placed_lines.py: road, railway, pipeline, power line, draped on the ground
  (:func:`ground_z`, :func:`drape_step`, :func:`drape_lift`).
- render/placed_areas.py: solar farm, pad.
- render/placed_mesh.py: :class:`PlacedMesh`, the builder and the solid primitives.

A placement whose status is "fail" is drawn red, "warn" amber (lines: per segment; a
model: its colours mixed toward red or amber).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from twinscape.model.catalogue import Catalogue, CatalogueEntry
from twinscape.model.models3d import ModelMesh, rotation_z
from twinscape.model.placed import Assessment, PlacedAsset, PlacedAssetsLayer
from twinscape.model.raster import RasterGrid
from twinscape.render.placed_areas import pad, polygon_of, solar_farm
from twinscape.render.placed_colors import RGB, tinted
from twinscape.render.placed_lines import drape_lift, drape_step, draw_line, ground_z
from twinscape.render.placed_mesh import MeshBuilder, Param, PlacedMesh
from twinscape.render.placed_points import (
    POINT_SHAPES,
    footprint_half,
    model_footprint,
    model_solid,
)

__all__ = [
    "DEFAULTS",
    "PlacedMesh",
    "asset_mesh",
    "drape_lift",
    "drape_step",
    "ground_z",
    "layer_mesh",
]

#: Defaults of parameters an entry may leave out, per shape.
DEFAULTS: dict[str, dict[str, float]] = {
    "turbine": {"hub_height_m": 100.0, "rotor_diameter_m": 120.0},
    "tower": {"height_m": 40.0},
    "mast": {"height_m": 10.0},
    "tank": {"height_m": 8.0, "footprint_m": 12.0},
    "substation": {"height_m": 6.0, "footprint_m": 40.0},
    "box": {"height_m": 5.0, "footprint_m": 10.0},
    "road": {"width_m": 8.0},
    "railway": {"width_m": 5.0, "sleeper_spacing_m": 3.0},
    "pipeline": {"diameter_m": 1.0},
    "powerline": {"pylon_spacing_m": 350.0, "pylon_height_m": 35.0},
    "solar_farm": {"row_spacing_m": 8.0, "panel_height_m": 2.5},
    "pad": {},
}


def _rgb255(color: tuple[float, float, float]) -> RGB:
    """A 0..1 colour as 0..255 integers."""
    r, g, b = (int(round(c * 255)) for c in color)
    return r, g, b


def _base_z(asset: PlacedAsset, shape: str, p: Param,
            ground: Sequence[RasterGrid], assessment: Assessment | None,
            model: tuple[ModelMesh, float] | None = None) -> float:
    """Where the asset stands: the assessment's base, else the lowest ground under it
    (under the footprint of its ``model``, (mesh, scale), when it has one)."""
    if assessment is not None and math.isfinite(assessment.base_z):
        return float(assessment.base_z)
    coords = np.asarray(asset.coords, np.float64)
    if shape == "pad":
        design = p("pad_elevation_m")
        if math.isfinite(design):
            return design
        z = ground_z(ground, coords[:, 0], coords[:, 1])
        return float(np.nanmean(z)) if np.isfinite(z).any() else 0.0
    if len(coords) == 1 and model is not None:
        ring = model_footprint(model[0], asset.coords[0], asset.rotation_deg, model[1])
        coords = np.concatenate([coords, ring])
    elif len(coords) == 1:
        h = footprint_half(shape, p)
        offs = np.array([[0, 0], [-h, -h], [h, -h], [h, h], [-h, h]], np.float64)
        coords = coords + offs
    z = ground_z(ground, coords[:, 0], coords[:, 1])
    return float(np.nanmin(z)) if np.isfinite(z).any() else 0.0


def asset_mesh(
    asset: PlacedAsset,
    catalogue: Catalogue,
    ground: Sequence[RasterGrid] = (),
    assessment: Assessment | None = None,
) -> PlacedMesh:
    """The triangles and polylines of one asset in world coordinates (row 0).

    ``assessment`` gives the status colours and ``base_z``; without it the asset is
    "ok" and stands on the lowest ground under it. An asset whose entry is not in the
    catalogue, or with too few vertices for its geometry, has no geometry.
    """
    if asset.entry not in catalogue:
        return PlacedMesh.empty()
    entry: CatalogueEntry = catalogue.get(asset.entry)
    shape = entry.shape
    defaults = DEFAULTS.get(shape, {})

    def p(name: str) -> float:
        return asset.param(name, catalogue, defaults.get(name, math.nan))

    status = assessment.status if assessment is not None else "ok"
    rgb = _rgb255(entry.color)
    coords = np.asarray(asset.coords, np.float64)
    b = MeshBuilder()
    if entry.geometry == "point":
        mesh = catalogue.model_of(entry)
        model = None if mesh is None else (mesh, entry.model_scale)
        base = _base_z(asset, shape, p, ground, assessment, model)
        if mesh is not None:
            model_solid(b, mesh, asset.coords[0], asset.rotation_deg, entry.model_scale, base,
                        status)  # fmt: skip
        else:
            b.place(rotation_z(asset.rotation_deg), (coords[0, 0], coords[0, 1], base))
            POINT_SHAPES[shape](b, p, tinted(rgb, status))
    elif entry.geometry == "line" and len(coords) >= 2:
        draw_line(b, shape, coords, p, rgb, _line_statuses(assessment, len(coords) - 1), ground)
    elif entry.geometry == "polygon" and len(coords) >= 3:
        poly = polygon_of(coords)
        if poly is None:
            return PlacedMesh.empty()
        if shape == "solar_farm":
            solar_farm(b, poly, p, rgb, status, ground)
        else:
            pad(b, poly, rgb, status, _base_z(asset, shape, p, ground, assessment), ground)
    return b.build()


def _line_statuses(assessment: Assessment | None, segments: int) -> list[str]:
    """Status of each segment: the assessment's, else its overall status (or "ok")."""
    overall = assessment.status if assessment is not None else "ok"
    given = list(assessment.segment_status) if assessment is not None else []
    if len(given) == segments:
        if overall == "fail" and "fail" not in given:
            return ["fail"] * segments  # failing for a reason of its own (e.g. curve radius)
        return given
    return [overall] * segments


def layer_mesh(
    layer: PlacedAssetsLayer,
    assessments: Mapping[str, Assessment] | None = None,
    cache: dict | None = None,
) -> PlacedMesh:
    """Every asset of ``layer``, each triangle and line tagged with its asset's row.

    ``cache`` (a dict the caller keeps) holds each asset's mesh by what decides it, so
    an edit rebuilds only the assets it changed.
    """
    if layer.catalogue is None:
        return PlacedMesh.empty()
    assessments = assessments or {}
    meshes = []
    ground = tuple(layer.ground)
    used: dict = {}
    for row, asset in enumerate(layer.assets):
        assessment = assessments.get(asset.id)
        key = (asset, assessment, id(layer.catalogue), tuple(id(g) for g in ground))
        mesh = cache.get(key) if cache is not None else None
        if mesh is None:
            mesh = asset_mesh(asset, layer.catalogue, ground, assessment)
        used[key] = mesh
        meshes.append(mesh.with_row(row))
    if cache is not None:  # keep only what the layer still shows
        cache.clear()
        cache.update(used)
    return PlacedMesh.concat(meshes)
