"""What already occupies the ground: footprints that placed infrastructure must keep clear of.

A layer whose features stand on the ground as solids (buildings, a placed 3D model)
offers them as :class:`Obstacles` (:meth:`twinscape.model.layers.Layer.occupied_ground`);
loading hands every loaded layer's obstacles to the layers checked against them (placed
assets), whose design checks then report a road through a house or a turbine on a roof
(:mod:`twinscape.geo.design_conflicts`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Obstacles:
    """The footprints of one layer's features, in the project CRS.

    Parameters
    ----------
    layer
        Name of the layer they belong to, for messages.
    noun
        What one feature is ("building"; plural with an s).
    footprints
        object array (n,) of shapely (Multi)Polygons.
    labels
        (n,) the features' ids ("b12"), in the same order.
    """

    layer: str
    noun: str
    footprints: np.ndarray
    labels: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.labels) != len(self.footprints):
            raise ValueError(
                f"Obstacles: {len(self.footprints)} footprints but {len(self.labels)} labels"
            )
