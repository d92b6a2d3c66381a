"""The sensor_surface kind: an interpolated field of a sensors layer, draped on the terrain.

A surface reads no file: its data is the sensors layer it names, so it opens no file
(``sniff`` is always 0, ``new_layer`` refuses) and ``read`` has nothing to assign. Only
its project-file keys are handled here:

.. code-block:: toml

    [[layers]]
    kind = "sensor_surface"
    name = "PM2.5 surface"
    opacity = 0.7
    sensors_layer_id = "3f2a9c1e0b7d"
    quantity = "pm25"          # optional: the quantity the sensors layer shows
    power = 2.0
    max_distance_m = 20000.0
    ramp = "aqi"
    value_range = [0.0, 150.0] # optional: fits the observations
"""

from __future__ import annotations

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
from twinscape.model.layers import Layer
from twinscape.model.sensor_style import SENSOR_RAMPS
from twinscape.model.surfaces import DISTANCE_RANGE, POWER_RANGE, SensorSurfaceLayer

_KEYS = ("sensors_layer_id", "quantity", "power", "max_distance_m", "ramp", "value_range")
_DEFAULT = SensorSurfaceLayer(name="sensor surface", sensors_layer_id="-")


def surface_from_table(
    table: TableReader, folder: Path, common: dict[str, Any]
) -> SensorSurfaceLayer:
    """A sensor surface from its project-file table (errors name the key)."""
    ramp = table.string("ramp", _DEFAULT.ramp)
    if ramp not in SENSOR_RAMPS:
        raise table.fail("ramp", f"{ramp!r} is not one of {', '.join(SENSOR_RAMPS)}")
    value_range = table.vector("value_range", 2, None)
    if value_range is not None and not value_range[0] < value_range[1]:
        raise table.fail("value_range", f"low {value_range[0]:g} must be below high")
    quantity = table.string("quantity", None)
    if "opacity" not in table.table:
        common = {**common, "opacity": _DEFAULT.opacity}
    return SensorSurfaceLayer(
        **{"name": "sensor surface", **common},
        sensors_layer_id=table.string("sensors_layer_id"),
        quantity=quantity,
        power=table.number("power", _DEFAULT.power, low=POWER_RANGE[0], high=POWER_RANGE[1]),
        max_distance_m=table.number(
            "max_distance_m", _DEFAULT.max_distance_m, low=DISTANCE_RANGE[0],
            high=DISTANCE_RANGE[1],
        ),  # fmt: skip
        ramp=ramp,
        value_range=value_range,
    )


def surface_to_table(layer: Layer, folder: Path) -> dict[str, Any]:
    """The surface keys of a project-file table (unset options left out)."""
    assert isinstance(layer, SensorSurfaceLayer)
    table: dict[str, Any] = {
        "sensors_layer_id": layer.sensors_layer_id,
        "power": float(layer.power),
        "max_distance_m": float(layer.max_distance_m),
        "ramp": layer.ramp,
    }
    if layer.quantity is not None:
        table["quantity"] = layer.quantity
    if layer.value_range is not None:
        table["value_range"] = [float(v) for v in layer.value_range]
    return table


SENSOR_SURFACE = register_kind(
    LayerKind(
        name="sensor_surface",
        layer_type=SensorSurfaceLayer,
        title="Sensor surface",
        file_types="Sensor surfaces",
        extensions=(),
        sniff=sniff_nothing,
        new_layer=refuse_files(
            "a sensor surface is made from a sensors layer, not read from a file",
            hint="add the sensors file, then a surface of it",
        ),
        read=read_nothing,
        table_keys=_KEYS,
        from_table=surface_from_table,
        to_table=surface_to_table,
        icon="surface",
        order=60,
    )
)
