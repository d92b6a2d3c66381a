"""The buildings of a CityJSON file as one layer: its mesh, building table and report.

Each building meshed by :mod:`twinscape.io.cityjson_mesh` adds its triangles to the
layer's mesh (tagged with its row) and one row to the table: :data:`BUILDING_COLUMNS`
(its height is ``measuredHeight``, else the top of its geometry), then its attributes,
nested values as JSON text.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from twinscape.io.cityjson_geometry import RawBuilding
from twinscape.io.cityjson_mesh import mesh_buildings
from twinscape.io.heights import parse_height
from twinscape.io.progress import Progress
from twinscape.model.buildings import BUILDING_COLUMNS, BuildingMesh, BuildingsReport
from twinscape.model.errors import ReaderError


def assemble_buildings(
    path: Path,
    raws: list[RawBuilding],
    xyz: np.ndarray,
    dropped: Counter[str],
    step: Progress,
) -> tuple[BuildingMesh, BuildingsReport]:
    """Triangulate every building and build the layer's mesh, table and report.

    Parameters
    ----------
    raws, xyz
        The buildings and all their vertices in the project CRS, in order.
    dropped
        Counts of what was dropped so far, by reason; buildings with no surface of any
        area are added.
    step
        Progress 0..1 while triangulating (it raises to cancel).

    Raises
    ------
    ReaderError
        No building has a surface with any area.
    """
    vertices, triangles, owners, classes, footprints, bases, rows = [], [], [], [], [], [], []
    sources: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    count = repaired = 0
    for raw, meshed in zip(raws, mesh_buildings(raws, xyz, step)):
        if meshed is None:
            dropped["no surface with any area"] += 1
            continue
        triangles.append(meshed.triangles + count)
        count += len(meshed.vertices)
        vertices.append(meshed.vertices)
        owners.append(np.full(len(meshed.triangles), len(rows), dtype=np.int32))
        classes.append(meshed.classes)
        footprints.append(meshed.footprint)
        bases.append(meshed.base)
        repaired += int(meshed.repaired)
        rows.append(_row(raw, meshed.vertices, meshed.footprint.area, sources, rejected))
    if not rows:
        why = ", ".join(f"{n} {reason}" for reason, n in dropped.items())
        raise ReaderError(path, f"no building has usable geometry ({why})")
    footprint_array = np.empty(len(footprints), dtype=object)
    footprint_array[:] = footprints
    mesh = BuildingMesh(
        vertices=np.concatenate(vertices),
        triangles=np.concatenate(triangles).astype(np.int32),
        triangle_building=np.concatenate(owners),
        triangle_surface=np.concatenate(classes).astype(np.uint8),
        footprints=footprint_array,
        own_base=np.asarray(bases, dtype=np.float64),
        table=_table(rows),
    )
    report = BuildingsReport(height_sources=dict(sources), repaired=repaired,
                             dropped=dict(dropped), rejected_heights=dict(rejected))
    return mesh, report


def _row(
    raw: RawBuilding,
    vertices: np.ndarray,
    area: float,
    sources: Counter[str],
    rejected: Counter[str],
) -> dict[str, Any]:
    """The table row of one building: BUILDING_COLUMNS then its flattened attributes."""
    height, why = parse_height(raw.attributes.get("measuredHeight"))
    if why is not None:
        rejected[f"measuredHeight: {why}"] += 1
    source = "attribute" if math.isfinite(height) else "geometry"
    if source == "geometry":
        height = float(vertices[:, 2].max())
    sources[source] += 1
    row: dict[str, Any] = dict(zip(BUILDING_COLUMNS, (raw.building_id, height, source, area)))
    for name, value in raw.attributes.items():
        key = f"attr_{name}" if name in BUILDING_COLUMNS else str(name)
        row[key] = json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) \
            else value
    return row


def _table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """BUILDING_COLUMNS, then every attribute in order of first appearance."""
    columns = list(BUILDING_COLUMNS)
    seen = set(columns)
    for row in rows:
        for key in row:
            if key not in seen:
                seen.add(key)
                columns.append(key)
    table = pd.DataFrame.from_records(rows, columns=columns)
    table["height"] = table["height"].astype(np.float64)
    table["footprint_area"] = table["footprint_area"].astype(np.float64)
    return table
