"""The analysis kind: slope, aspect, viewshed, coverage or solar suitability of the terrain.

An analysis reads no file: it is computed from the terrain below it (and the placed
assets it names) by render/, so it opens no file (``sniff`` is always 0, ``new_layer``
refuses) and ``read`` has nothing to assign. Only its project-file keys are handled
here; each analysis uses its own and the others keep their defaults:

.. code-block:: toml

    [[layers]]
    kind = "analysis"
    name = "Viewshed of tower 1"
    opacity = 0.6
    analysis = "viewshed"            # slope | aspect | viewshed | coverage | solar
    ramp = "traffic"                 # slope colours
    breaks = [0, 5, 10, 15, 20, 30, 45, 90]
    observer = [735000.0, 3460000.0] # or observer_asset = ["<layer id>", "<asset id>"]
    observer_height_m = 30.0
    target_height_m = 0.0
    radius_m = 20000.0
    curvature = true
    refraction = 0.13
    observers = [[735000.0, 3460000.0, 30.0]]   # coverage; and/or observers_layer
    observers_layer = "<placed-assets layer id>"
    area = [[730000.0, 3455000.0], [740000.0, 3455000.0], [740000.0, 3465000.0]]
    max_slope_deg = 10.0             # solar
    aspect_tolerance_deg = 45.0
    exclusions = [[[731000.0, 3456000.0], [732000.0, 3456000.0], [732000.0, 3457000.0]]]
    exclusions_layer = "<layer id>"
    year = 2025
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from twinscape.io.kinds import (
    LayerKind,
    read_nothing,
    refuse_files,
    register_kind,
    sniff_nothing,
)
from twinscape.io.toml_schema import TableReader
from twinscape.model.analysis import (
    ANALYSES,
    ANALYSIS_TITLES,
    ASPECT_TOLERANCE_RANGE,
    HEIGHT_RANGE,
    RADIUS_RANGE,
    REFRACTION_RANGE,
    SLOPE_RAMPS,
    SOLAR_SLOPE_RANGE,
    YEAR_RANGE,
    AnalysisLayer,
    Ring,
    check_breaks,
)
from twinscape.model.layers import Layer

_KEYS = (
    "analysis", "ramp", "breaks", "observer", "observer_asset", "observer_height_m",
    "target_height_m", "radius_m", "curvature", "refraction", "observers", "observers_layer",
    "area", "max_slope_deg", "aspect_tolerance_deg", "exclusions", "exclusions_layer", "year",
)  # fmt: skip
_DEFAULT = AnalysisLayer(name="analysis", analysis="slope")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _points(table: TableReader, name: str, value: Any, width: int) -> tuple[tuple[float, ...], ...]:
    """A list of ``width``-number lists (vertices, observers), errors naming ``name``."""
    if not isinstance(value, list):
        raise table.fail(name, f"must be a list of [{', '.join('x y h'.split()[:width])}]")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, list) or len(item) != width or not all(map(_is_number, item)):
            raise table.fail(f"{name}[{i}]", f"must be a list of {width} finite numbers, "
                                             f"got {item!r}")  # fmt: skip
        out.append(tuple(float(v) for v in item))
    return tuple(out)


def _ring(table: TableReader, name: str, value: Any) -> Ring:
    ring = _points(table, name, value, 2)
    if len(ring) > 3 and ring[0] == ring[-1]:
        ring = ring[:-1]
    if len(ring) < 3:
        raise table.fail(name, f"a polygon needs at least 3 vertices, got {len(ring)}")
    return ring  # type: ignore[return-value]


def _ids(table: TableReader, name: str) -> tuple[str, str] | None:
    value = table.raw(name, None)
    if value is None:
        return None
    if (
        not isinstance(value, list) or len(value) != 2
        or not all(isinstance(v, str) and v.strip() for v in value)
    ):  # fmt: skip
        raise table.fail(name, f"must be [layer id, asset id] strings, got {value!r}")
    return value[0], value[1]


def analysis_from_table(
    table: TableReader, folder: Path, common: dict[str, Any]
) -> AnalysisLayer:
    """An analysis layer from its project-file table (errors name the key)."""
    d = _DEFAULT
    analysis = table.string("analysis")
    if analysis not in ANALYSES:
        raise table.fail("analysis", f"{analysis!r} is not one of {', '.join(ANALYSES)}")
    ramp = table.string("ramp", d.ramp)
    if ramp not in SLOPE_RAMPS:
        raise table.fail("ramp", f"{ramp!r} is not one of {', '.join(SLOPE_RAMPS)}")
    raw_breaks = table.raw("breaks", None)
    breaks = d.breaks
    if raw_breaks is not None:
        if not isinstance(raw_breaks, list) or not all(map(_is_number, raw_breaks)):
            raise table.fail("breaks", f"must be a list of numbers, got {raw_breaks!r}")
        breaks = tuple(float(b) for b in raw_breaks)
        try:
            check_breaks(breaks)
        except ValueError as err:
            raise table.fail("breaks", str(err).partition(": ")[2]) from None
    observer = table.vector("observer", 2, None)
    raw_observers = table.raw("observers", None)
    observers = () if raw_observers is None else _points(table, "observers", raw_observers, 3)
    for i, (_, _, h) in enumerate(observers):
        if not HEIGHT_RANGE[0] <= h <= HEIGHT_RANGE[1]:
            raise table.fail(f"observers[{i}]", f"height {h:g} is not within "
                                                f"{HEIGHT_RANGE[0]:g}..{HEIGHT_RANGE[1]:g} m")
    raw_area = table.raw("area", None)
    raw_exclusions = table.raw("exclusions", None)
    if raw_exclusions is not None and not isinstance(raw_exclusions, list):
        raise table.fail("exclusions", "must be a list of polygons (lists of [x, y])")
    exclusions = tuple(
        _ring(table, f"exclusions[{i}]", ring) for i, ring in enumerate(raw_exclusions or [])
    )
    year = table.number("year", d.year, low=YEAR_RANGE[0], high=YEAR_RANGE[1])
    if year != int(year):
        raise table.fail("year", f"must be a whole year, got {year:g}")
    if "opacity" not in table.table:
        common = {**common, "opacity": d.opacity}

    def number(name: str, limits: tuple[float, float]) -> float:
        return table.number(name, getattr(d, name), low=limits[0], high=limits[1])

    settings: dict[str, Any] = {
        "analysis": analysis,
        "ramp": ramp,
        "breaks": breaks,
        "observer": observer,
        "observer_asset": _ids(table, "observer_asset"),
        "observer_height_m": number("observer_height_m", HEIGHT_RANGE),
        "target_height_m": number("target_height_m", HEIGHT_RANGE),
        "radius_m": number("radius_m", RADIUS_RANGE),
        "curvature": table.boolean("curvature", d.curvature),
        "refraction": number("refraction", REFRACTION_RANGE),
        "observers": observers,
        "observers_layer": table.string("observers_layer", None),
        "area": None if raw_area is None else _ring(table, "area", raw_area),
        "max_slope_deg": number("max_slope_deg", SOLAR_SLOPE_RANGE),
        "aspect_tolerance_deg": number("aspect_tolerance_deg", ASPECT_TOLERANCE_RANGE),
        "exclusions": exclusions,
        "exclusions_layer": table.string("exclusions_layer", None),
        "year": int(year),
    }
    try:
        return AnalysisLayer(**{"name": ANALYSIS_TITLES[analysis], **common}, **settings)
    except ValueError as err:  # the model's own refusal ("<field>: <problem>")
        key, _, problem = str(err).partition(": ")
        raise table.fail(key, problem or str(err)) from err


def analysis_to_table(layer: Layer, folder: Path) -> dict[str, Any]:
    """The analysis keys of a project-file table: every setting of its analysis."""
    assert isinstance(layer, AnalysisLayer)
    table: dict[str, Any] = {"analysis": layer.analysis}
    if layer.analysis == "slope":
        table["ramp"] = layer.ramp
        table["breaks"] = [float(b) for b in layer.breaks]
    if layer.analysis in ("viewshed", "coverage"):
        table.update(
            target_height_m=float(layer.target_height_m),
            radius_m=float(layer.radius_m),
            curvature=bool(layer.curvature),
            refraction=float(layer.refraction),
        )
    if layer.analysis == "viewshed":
        if layer.observer is not None:
            table["observer"] = [float(v) for v in layer.observer]
        if layer.observer_asset is not None:
            table["observer_asset"] = list(layer.observer_asset)
        table["observer_height_m"] = float(layer.observer_height_m)
    if layer.analysis == "coverage":
        if layer.observers:
            table["observers"] = [[float(v) for v in o] for o in layer.observers]
        if layer.observers_layer is not None:
            table["observers_layer"] = layer.observers_layer
        table["observer_height_m"] = float(layer.observer_height_m)
        if layer.area is not None:
            table["area"] = [[float(x), float(y)] for x, y in layer.area]
    if layer.analysis == "solar":
        table.update(
            max_slope_deg=float(layer.max_slope_deg),
            aspect_tolerance_deg=float(layer.aspect_tolerance_deg),
            year=int(layer.year),
        )
        if layer.exclusions:
            table["exclusions"] = [[[float(x), float(y)] for x, y in r] for r in layer.exclusions]
        if layer.exclusions_layer is not None:
            table["exclusions_layer"] = layer.exclusions_layer
    return table


ANALYSIS = register_kind(
    LayerKind(
        name="analysis",
        layer_type=AnalysisLayer,
        title="Analysis",
        file_types="Analysis results",
        extensions=(),
        sniff=sniff_nothing,
        new_layer=refuse_files(
            "an analysis is computed from the terrain, not read from a file",
            hint="add the terrain, then an analysis of it",
        ),
        read=read_nothing,
        table_keys=_KEYS,
        from_table=analysis_from_table,
        to_table=analysis_to_table,
        icon="analysis",
        order=70,
    )
)
