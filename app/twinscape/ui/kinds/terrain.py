"""Terrain layers are styled by :class:`~twinscape.ui.terrain_controls.TerrainControls`."""

from __future__ import annotations

from twinscape.model.terrain import TerrainLayer
from twinscape.ui.kinds import register_controls
from twinscape.ui.terrain_controls import TerrainControls

register_controls(TerrainLayer, TerrainControls)  # type: ignore[arg-type]
