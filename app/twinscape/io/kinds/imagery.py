"""The imagery kind: orthophotos and satellite pictures draped on the terrain as its colour.

Files are recognised by their format, not their suffix alone: a ``.tif`` of three or
more 8-bit bands, or whose bands are red/green/blue/palette, is imagery (the terrain
kind declines it); an elevation raster stays terrain. Its project-file table:

.. code-block:: toml

    [[layers]]
    kind = "imagery"
    name = "Orthophoto 2024"
    opacity = 1.0
    source = "data/ortho.tif"
    assume_crs = "EPSG:32636"  # optional: for a file that states no CRS
    brightness = 0.0           # -1..1
    contrast = 0.0             # -1..1
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twinscape.io.imagery import looks_like_imagery, read_imagery
from twinscape.io.kinds import LayerData, LayerKind, LoadContext, has_suffix, register_kind
from twinscape.io.layer_sources import assumed_crs, layer_name, source_path, source_table
from twinscape.io.toml_schema import TableReader
from twinscape.model.imagery import ADJUST_RANGE, ImageryLayer
from twinscape.model.layers import Layer

#: Suffixes (lower case) of image files offered in file dialogs.
IMAGERY_EXTENSIONS: tuple[str, ...] = (".tif", ".tiff", ".vrt", ".jp2", ".img")
#: Sniff confidence of a file whose format says it is a picture (terrain's is 0.8).
IMAGERY_CONFIDENCE = 0.9


def sniff_imagery(path: Path) -> float:
    """Confidence that ``path`` is imagery: by suffix, then by its bands' format."""
    if has_suffix(path, IMAGERY_EXTENSIONS) and looks_like_imagery(path):
        return IMAGERY_CONFIDENCE
    return 0.0


def new_imagery(path: Path, assume_crs: str | None) -> ImageryLayer:
    """An unloaded imagery layer for ``path``."""
    return ImageryLayer(name=layer_name(path), source=path, assume_crs=assume_crs)


def read_imagery_layer(layer: Layer, context: LoadContext) -> LayerData:
    """Read what the image of ``layer`` is, for the project (any thread).

    Raises
    ------
    ReaderError, CRSError, LoadCancelled
        As :func:`twinscape.io.imagery.read_imagery`.
    """
    assert isinstance(layer, ImageryLayer)
    result = read_imagery(
        layer.source,
        target_crs=context.project_crs,
        assume_crs=layer.assume_crs,
        progress=context.progress,
        cancelled=context.cancelled,
    )
    return LayerData(crs=result.target_crs, values={"image": result.info}, warnings=result.warnings)


def imagery_from_table(table: TableReader, folder: Path, common: dict[str, Any]) -> ImageryLayer:
    """An imagery layer from its project-file table (errors name the key)."""
    source = source_path(table, folder)
    low, high = ADJUST_RANGE
    return ImageryLayer(
        **{"name": source.stem, **common},
        source=source,
        assume_crs=assumed_crs(table),
        brightness=table.number("brightness", 0.0, low=low, high=high),
        contrast=table.number("contrast", 0.0, low=low, high=high),
    )


def imagery_to_table(layer: Layer, folder: Path) -> dict[str, Any]:
    """The imagery keys of a project-file table."""
    assert isinstance(layer, ImageryLayer)
    table = source_table(layer.source, folder, layer.assume_crs)
    table["brightness"] = float(layer.brightness)
    table["contrast"] = float(layer.contrast)
    return table


IMAGERY = register_kind(
    LayerKind(
        name="imagery",
        layer_type=ImageryLayer,
        title="Imagery",
        file_types="Imagery (orthophotos, satellite pictures)",
        extensions=IMAGERY_EXTENSIONS,
        sniff=sniff_imagery,
        new_layer=new_imagery,
        read=read_imagery_layer,
        table_keys=("source", "assume_crs", "brightness", "contrast"),
        from_table=imagery_from_table,
        to_table=imagery_to_table,
        icon="imagery",
        order=15,
    )
)
