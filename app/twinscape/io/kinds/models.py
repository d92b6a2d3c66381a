"""The model kind: a 3D model file (glTF/GLB, OBJ, STL, PLY) placed on the terrain.

A model file has no CRS: its placement is in the project CRS, so a model can only
join a project that has one (from its terrain, or stated). A model with no position
yet goes to the middle of the topmost terrain. Its base is the lowest terrain point
under its placed footprint (:func:`twinscape.geo.ground.footprint_bases`), worked out
when it is read, when the terrain changes (``restand``) and whenever it moves
(installed here as the model's ground finder, since model/ cannot import geo/).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from twinscape.geo.ground import footprint_bases
from twinscape.io.file_checks import check_regular_file
from twinscape.io.kinds import LayerData, LayerKind, LoadContext, register_kind
from twinscape.io.layer_sources import layer_name, source_path, source_table
from twinscape.io.models3d import (
    MODEL_EXTENSIONS,
    MODEL_FILE_HINT,
    default_up_axis,
    read_model,
    sniff_model,
)
from twinscape.io.toml_schema import TableReader, settings_from_table, settings_to_table
from twinscape.model.errors import CRSError, ReaderError
from twinscape.model.layers import Layer
from twinscape.model.models3d import (
    ANCHORS,
    SCALE_RANGE,
    UP_AXES,
    Z_OFFSET_RANGE,
    ModelLayer,
    ModelMesh,
    ModelPlacement,
    placed_footprint,
    use_ground_finder,
)
from twinscape.model.raster import RasterGrid

_SETTINGS = ("up_axis", "unit_scale", "anchor")


def ground_base(
    mesh: ModelMesh,
    placement: ModelPlacement,
    grids: tuple[RasterGrid, ...],
    *,
    unit_scale: float = 1.0,
    anchor: str = "centre",
) -> float | None:
    """The lowest terrain elevation under the placed footprint (None: no terrain there)."""
    if not grids or not placement.placed:
        return None
    ring = placed_footprint(mesh, placement, unit_scale=unit_scale, anchor=anchor)
    footprint = np.empty(1, dtype=object)
    footprint[0] = shapely.Polygon(ring)
    base = footprint_bases(footprint, np.array([np.nan]), grids)[0]
    return float(base) if np.isfinite(base) else None


def _layer_base(layer: ModelLayer, grids: tuple[RasterGrid, ...]) -> float | None:
    assert layer.mesh is not None
    return ground_base(
        layer.mesh, layer.placement, grids, unit_scale=layer.unit_scale, anchor=layer.anchor
    )


use_ground_finder(_layer_base)


def new_model(path: Path, assume_crs: str | None) -> ModelLayer:
    """An unloaded model layer for ``path`` (its up axis by format; no position yet)."""
    return ModelLayer(name=layer_name(path), source=path, up_axis=default_up_axis(path))


def ground_centre(grid: RasterGrid) -> tuple[float, float]:
    """The middle of the grid's box, or of its valid cells when the box's middle is nodata."""
    x0, y0, x1, y1 = grid.bounds
    rows, cols = grid.shape
    if np.isfinite(grid.values[rows // 2, cols // 2]):
        return (x0 + x1) / 2, (y0 + y1) / 2
    valid_r, valid_c = np.nonzero(np.isfinite(grid.values))
    if len(valid_r) == 0:
        return (x0 + x1) / 2, (y0 + y1) / 2
    xs, ys = grid.cell_centers()
    return float(xs[int(np.median(valid_c))]), float(ys[int(np.median(valid_r))])


def read_placed_model(layer: Layer, context: LoadContext) -> LayerData:
    """Read the model of ``layer`` and stand it on ``context.ground``.

    Raises
    ------
    ReaderError
        From :func:`~twinscape.io.models3d.read_model`, or when the model has no
        position and there is no terrain to put it on.
    CRSError
        The project has no CRS yet (a model file states none).
    LoadCancelled
        The user cancelled.
    """
    assert isinstance(layer, ModelLayer)
    check_regular_file(layer.source, hint=MODEL_FILE_HINT, missing="file not found")  # say it first
    crs = context.project_crs or (context.ground[0].crs if context.ground else None)
    if crs is None:
        raise CRSError(
            layer.source,
            "a 3D model states no CRS and the project has none yet",
            hint="add terrain first, or set the project CRS",
        )
    placement = layer.placement
    if not placement.placed and not context.ground:
        raise ReaderError(
            layer.source,
            "has no position and there is no terrain to put it on",
            hint="add terrain first, or give the model a position (x, y)",
        )
    mesh = read_model(
        layer.source, up_axis=layer.up_axis, progress=context.progress,
        cancelled=context.cancelled,
    )  # fmt: skip
    context.check()
    values: dict[str, Any] = {}
    if not placement.placed:
        x, y = ground_centre(context.ground[0])
        placement = replace(placement, x=x, y=y)
        values["placement"] = placement  # first: the model has no mesh yet when it moves
    base = ground_base(
        mesh, placement, context.ground, unit_scale=layer.unit_scale, anchor=layer.anchor
    )
    values.update(mesh=mesh, ground=context.ground, base=base)
    return LayerData(crs=crs, values=values)


def restand_model(layer: Layer, ground: tuple[RasterGrid, ...]) -> dict[str, Any]:
    """The model's new base on ``ground`` (and the ground, to re-base it when it moves)."""
    assert isinstance(layer, ModelLayer) and layer.mesh is not None
    return {"ground": tuple(ground), "base": _layer_base(layer, tuple(ground))}


# -- project files ------------------------------------------------------------------
def model_from_table(table: TableReader, folder: Path, common: dict[str, Any]) -> ModelLayer:
    """A model layer from its project-file table."""
    source = source_path(table, folder)
    up_axis = table.string("up_axis", default_up_axis(source))
    if up_axis not in UP_AXES:
        raise table.fail("up_axis", f"{up_axis!r} is not one of {', '.join(UP_AXES)}")
    anchor = table.string("anchor", "centre")
    if anchor not in ANCHORS:
        raise table.fail("anchor", f"{anchor!r} is not one of {', '.join(ANCHORS)}")
    return ModelLayer(
        **{"name": source.stem, **common},
        source=source,
        up_axis=up_axis,
        unit_scale=table.number("unit_scale", 1.0, low=1e-6, high=1e6),
        anchor=anchor,
        placement=settings_from_table(table.sub("placement"), ModelPlacement, _placement_values),
    )


def _placement_values(table: TableReader, default: ModelPlacement) -> dict[str, Any]:
    x = table.number("x") if "x" in table.table else None
    y = table.number("y") if "y" in table.table else None
    if (x is None) != (y is None):
        raise table.fail("y" if x is not None else "x", "is required when the other is given")
    return {
        "x": x,
        "y": y,
        "rotation_deg": table.number("rotation_deg", default.rotation_deg),
        "scale": table.number("scale", default.scale, low=SCALE_RANGE[0], high=SCALE_RANGE[1]),
        "z_offset": table.number(
            "z_offset", default.z_offset, low=Z_OFFSET_RANGE[0], high=Z_OFFSET_RANGE[1]
        ),
        "snap_to_ground": table.boolean("snap_to_ground", default.snap_to_ground),
    }


def model_to_table(layer: Layer, folder: Path) -> dict[str, Any]:
    """The model keys of a project-file table."""
    assert isinstance(layer, ModelLayer)
    table = source_table(layer.source, folder)
    for name in _SETTINGS:
        table[name] = getattr(layer, name)
    table["placement"] = settings_to_table(layer.placement)
    return table


MODEL = register_kind(
    LayerKind(
        name="model",
        layer_type=ModelLayer,
        title="3D model",
        file_types="3D models (glTF, OBJ, STL, PLY)",
        extensions=MODEL_EXTENSIONS,
        sniff=sniff_model,
        new_layer=new_model,
        read=read_placed_model,
        table_keys=("source", *_SETTINGS, "placement"),
        from_table=model_from_table,
        to_table=model_to_table,
        icon="model",
        restand=restand_model,
        order=20,
    )
)
