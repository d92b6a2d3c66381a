"""Buildings layers are drawn by :class:`~twinscape.render.buildings_visual.BuildingsVisual`."""

from __future__ import annotations

from twinscape.geo.origin import LocalOrigin
from twinscape.model.buildings import BuildingsLayer
from twinscape.model.layers import Layer
from twinscape.render.building_colors import building_legend
from twinscape.render.building_lod import prepare_buildings
from twinscape.render.buildings_visual import BuildingsVisual
from twinscape.render.kinds import DrapeContext, Legend, register_legend, register_visual


def prepare_building_lod(layer: Layer, origin: LocalOrigin) -> None:
    """Chunks, levels of detail, shading and colours of a loaded buildings layer (numpy
    only, on the loader's worker thread), kept for its visual to adopt."""
    assert isinstance(layer, BuildingsLayer)
    if layer.mesh is not None and len(layer.mesh.triangles):
        prepare_buildings(layer, origin)


def buildings_legend(layer: Layer, context: DrapeContext) -> Legend | None:
    """The style's classes (graduated, categorised) or its roof and wall colours."""
    assert isinstance(layer, BuildingsLayer)
    if layer.mesh is None:
        return None
    return Legend.of_classes(layer.name, building_legend(layer))


register_visual(BuildingsLayer, BuildingsVisual, prepare=prepare_building_lod)
register_legend(BuildingsLayer, buildings_legend)
