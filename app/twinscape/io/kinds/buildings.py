"""The buildings kind: footprints (GeoPackage, GeoJSON, Shapefile, FlatGeobuf, OSM) extruded
to LoD1 solids, or CityJSON city models (LoD1/LoD2), standing on the terrain."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twinscape.geo.ground import footprint_bases
from twinscape.io.buildings_read import BuildingsRead
from twinscape.io.cityjson import CITYJSON_EXTENSIONS, read_cityjson, sniff_cityjson
from twinscape.io.footprints import FOOTPRINT_EXTENSIONS, read_footprints, sniff_footprints
from twinscape.io.kinds import LayerData, LayerKind, LoadContext, register_kind
from twinscape.io.layer_sources import assumed_crs, layer_name, source_path, source_table
from twinscape.io.toml_schema import TableReader, settings_from_table, settings_to_table
from twinscape.model.buildings import BuildingsLayer, BuildingsStyle
from twinscape.model.layers import Layer
from twinscape.model.raster import RasterGrid

_SETTINGS = ("storey_height", "default_height", "height_attribute", "levels_attribute")


def sniff_buildings(path: Path) -> float:
    """Confidence that ``path`` holds buildings: a city model or a footprint file."""
    return max(sniff_cityjson(path), sniff_footprints(path))


def new_buildings(path: Path, assume_crs: str | None) -> BuildingsLayer:
    """An unloaded buildings layer for ``path``."""
    return BuildingsLayer(name=layer_name(path), source=path, assume_crs=assume_crs)


def read_buildings(layer: Layer, context: LoadContext) -> LayerData:
    """Read the buildings of ``layer`` and stand them on ``context.ground``.

    Raises
    ------
    ReaderError, CRSError, LoadCancelled
        From the footprint or CityJSON reader, naming the file.
    """
    assert isinstance(layer, BuildingsLayer)
    read: BuildingsRead
    if sniff_cityjson(layer.source) > 0:
        read = read_cityjson(
            layer.source,
            target_crs=context.project_crs,
            assume_crs=layer.assume_crs,
            progress=context.progress,
            cancelled=context.cancelled,
        )
    else:
        read = read_footprints(
            layer.source,
            target_crs=context.project_crs,
            assume_crs=layer.assume_crs,
            storey_height=layer.storey_height,
            default_height=layer.default_height,
            height_attribute=layer.height_attribute,
            levels_attribute=layer.levels_attribute,
            progress=context.progress,
            cancelled=context.cancelled,
        )
    context.check()
    base = footprint_bases(read.mesh.footprints, read.mesh.own_base, context.ground)
    warnings = tuple(
        f"{layer.source}: {line}" for line in read.report.lines() if "dropped" in line
    )
    return LayerData(
        crs=read.target_crs,
        values={
            "mesh": read.mesh,
            "base": base,
            "report": read.report,
            "source_crs": read.source_crs,
        },
        warnings=warnings,
    )


def restand_buildings(layer: Layer, ground: tuple[RasterGrid, ...]) -> dict[str, Any]:
    """New bases of ``layer``'s buildings on ``ground``."""
    assert isinstance(layer, BuildingsLayer) and layer.mesh is not None
    return {"base": footprint_bases(layer.mesh.footprints, layer.mesh.own_base, ground)}


def buildings_from_table(
    table: TableReader, folder: Path, common: dict[str, Any]
) -> BuildingsLayer:
    """A buildings layer from its project-file table."""
    source = source_path(table, folder)
    default = BuildingsLayer(name="", source=source)
    return BuildingsLayer(
        **{"name": source.stem, **common},
        source=source,
        assume_crs=assumed_crs(table),
        storey_height=table.number("storey_height", default.storey_height, low=0.5, high=20.0),
        default_height=table.number("default_height", default.default_height, low=0.5, high=1000),
        height_attribute=table.string("height_attribute", None),
        levels_attribute=table.string("levels_attribute", None),
        style=settings_from_table(table.sub("style"), BuildingsStyle, _style_values),
    )


def _style_values(table: TableReader, default: BuildingsStyle) -> dict[str, Any]:
    return {
        "color": table.string("color", default.color),
        "color_mode": table.string("color_mode", default.color_mode),
        "color_by": table.string("color_by", None),
        "ramp": table.string("ramp", default.ramp),
        "classes": int(table.number("classes", default.classes, low=2, high=12)),
        "semantic_colors": table.boolean("semantic_colors", default.semantic_colors),
    }


def buildings_to_table(layer: Layer, folder: Path) -> dict[str, Any]:
    """The buildings keys of a project-file table."""
    assert isinstance(layer, BuildingsLayer)
    table = source_table(layer.source, folder, layer.assume_crs)
    for name in _SETTINGS:
        value = getattr(layer, name)
        if value is not None:
            table[name] = value
    table["style"] = settings_to_table(layer.style)
    return table


BUILDINGS = register_kind(
    LayerKind(
        name="buildings",
        layer_type=BuildingsLayer,
        title="Buildings",
        file_types="Buildings (footprints, OpenStreetMap, CityJSON)",
        extensions=tuple(dict.fromkeys((*FOOTPRINT_EXTENSIONS, *CITYJSON_EXTENSIONS))),
        sniff=sniff_buildings,
        new_layer=new_buildings,
        read=read_buildings,
        table_keys=("source", "assume_crs", *_SETTINGS, "style"),
        from_table=buildings_from_table,
        to_table=buildings_to_table,
        icon="buildings",
        restand=restand_buildings,
        order=10,
    )
)
