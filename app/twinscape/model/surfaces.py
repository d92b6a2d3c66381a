"""Surfaces interpolated from sensors: a field of one quantity draped on the terrain.

A :class:`SensorSurfaceLayer` reads no file: it names a
:class:`~twinscape.model.sensors.SensorsLayer` of the project (by its ``id``) and
interpolates that layer's latest values at the project clock (inverse distance
weighting) over the terrain it lies on. It is a *drape* (``drapes = True``): render/
paints it into the terrain's colours instead of drawing actors of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from psygnal import evented

from twinscape.model.layers import Layer
from twinscape.model.sensor_style import SENSOR_RAMPS

#: Limits of :attr:`SensorSurfaceLayer.power` and :attr:`SensorSurfaceLayer.max_distance_m`.
POWER_RANGE = (0.1, 10.0)
DISTANCE_RANGE = (1.0, 1_000_000.0)


@evented
@dataclass(kw_only=True, eq=False)
class SensorSurfaceLayer(Layer):
    """An inverse-distance-weighted surface of one quantity of a sensors layer.

    Parameters
    ----------
    sensors_layer_id
        ``id`` of the :class:`~twinscape.model.sensors.SensorsLayer` it interpolates.
    quantity
        The quantity interpolated; None: the one the sensors layer shows.
    power
        IDW power: weights fall as ``distance ** -power``.
    max_distance_m
        Stations farther than this from a cell do not count; a cell with none is
        left uncoloured (the terrain shows).
    ramp
        Colour ramp, one of :data:`~twinscape.model.sensor_style.SENSOR_RAMPS` (``"aqi"``
        colours by the sensors layer's thresholds for the quantity).
    value_range
        (low, high) the ramp spans; None fits the quantity's observations.
    opacity
        How much of the terrain's own colour the surface covers (0..1).
    """

    kind: ClassVar[str] = "sensor_surface"
    #: Drawn as colours over the terrain tiles (render/kinds ``register_drape``).
    drapes: ClassVar[bool] = True

    sensors_layer_id: str
    quantity: str | None = None
    power: float = 2.0
    max_distance_m: float = 20_000.0
    ramp: str = "aqi"
    value_range: tuple[float, float] | None = None
    opacity: float = 0.7

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming the field when a setting is out of range."""
        if not self.sensors_layer_id:
            raise ValueError("sensors_layer_id: names no sensors layer")
        if self.ramp not in SENSOR_RAMPS:
            raise ValueError(f"ramp: {self.ramp!r} is not one of {SENSOR_RAMPS}")
        if not POWER_RANGE[0] <= self.power <= POWER_RANGE[1]:
            low, high = POWER_RANGE
            raise ValueError(f"power: {self.power} is not within {low}..{high}")
        if not DISTANCE_RANGE[0] <= self.max_distance_m <= DISTANCE_RANGE[1]:
            raise ValueError(
                f"max_distance_m: {self.max_distance_m} is not within "
                f"{DISTANCE_RANGE[0]:g}..{DISTANCE_RANGE[1]:g} m"
            )
        if self.value_range is not None and not self.value_range[0] < self.value_range[1]:
            raise ValueError(f"value_range: low {self.value_range[0]} must be below high")
        if not 0.0 <= self.opacity <= 1.0:
            raise ValueError(f"opacity: {self.opacity} is not within 0..1")

    def describe(self) -> list[str]:
        """What is interpolated and how."""
        quantity = self.quantity or "the quantity the sensors show"
        return [
            f"Interpolates {quantity} of sensors layer {self.sensors_layer_id}",
            f"Inverse distance weighting, power {self.power:g}, "
            f"stations within {self.max_distance_m / 1000:g} km",
        ]
