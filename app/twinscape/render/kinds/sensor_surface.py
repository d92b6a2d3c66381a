"""Sensor surfaces are drapes: the latest values at the clock, interpolated and coloured.

On the GUI thread :func:`sensor_surface_drape` reads the named sensors layer's latest
values at the clock (a vectorised search, about a millisecond for 10,000 stations) and
keys the picture by the observations it uses, so a clock that moves within one
observation interval re-paints nothing. :func:`paint_surface` then runs on the colour
worker: inverse distance weighting (:func:`twinscape.geo.idw.idw_grid`) on a grid of at
most :data:`MAX_IDW_CELLS` cells over the terrain, bilinear refinement to the terrain's
cells (values and coverage apart, so the edge at ``max_distance_m`` fades), and the
sensors' colours (:func:`~twinscape.render.sensor_colors.value_colors`), so class
boundaries stay crisp at full texture detail.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from twinscape.model.layers import Layer
from twinscape.model.raster import RasterGrid
from twinscape.model.sensor_style import Threshold
from twinscape.model.sensors import SensorsLayer
from twinscape.model.surfaces import SensorSurfaceLayer
from twinscape.render.kinds import (
    DrapeContext,
    DrapeSource,
    Legend,
    register_drape,
    register_legend,
)
from twinscape.render.parallel import on_all_cores
from twinscape.render.sensor_colors import (
    legend_entries,
    quantity_range,
    thresholds_of,
    value_colors,
)

#: Largest grid the interpolation itself runs on; finer terrain is refined bilinearly.
MAX_IDW_CELLS = 1536 * 1536
#: Rows coloured at a time (bounds the temporaries on big terrains).
STRIP_ROWS = 512


@dataclass(frozen=True)
class _Ramp:
    """The colour settings of a surface (hashable, for the drape key)."""

    ramp: str
    value_range: tuple[float, float] | None


def _interpolate(
    xy: np.ndarray, values: np.ndarray, grid: RasterGrid, power: float, max_distance: float
) -> np.ndarray:
    """float64 (rows, cols) IDW of ``values`` at ``grid``'s cell centres (NaN: no station near)."""
    from twinscape.geo.idw import idw_grid  # noqa: PLC0415 - written alongside; see module doc

    out = np.asarray(
        idw_grid(xy, values, grid, power=power, max_distance=max_distance), np.float64
    )
    if out.shape != grid.shape:
        raise ValueError(f"idw_grid returned shape {out.shape} for a {grid.shape} grid")
    return out


def coarse_grid(grid: RasterGrid, max_cells: int = MAX_IDW_CELLS) -> tuple[RasterGrid, int]:
    """A grid over ``grid``'s extent with cells ``step`` times larger, at most ``max_cells``."""
    rows, cols = grid.shape
    step = max(1, math.ceil(math.sqrt(rows * cols / max_cells)))
    if step == 1:
        return grid, 1
    a, b, c, d, e, f = grid.transform
    shape = (math.ceil(rows / step), math.ceil(cols / step))
    return RasterGrid(np.zeros(shape, np.float32), (a * step, b, c, d, e * step, f), grid.crs), step


def _axis(n_fine: int, n_coarse: int, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bilinear neighbours and weight along one axis (fine cell centres in coarse cells)."""
    u = (np.arange(n_fine) + 0.5) / step - 0.5
    u = np.clip(u, 0.0, n_coarse - 1)
    i0 = np.minimum(np.floor(u).astype(np.intp), max(n_coarse - 2, 0))
    i1 = np.minimum(i0 + 1, n_coarse - 1)
    return i0, i1, (u - i0)


class Refiner:
    """Bilinear refinement of a coarse field to the terrain's cells, strip by strip.

    NaN cells weigh nothing, so values never blur into NaN and the coverage (the
    interpolated weight, 0..1) falls smoothly to 0 where the interpolation stops.
    Separable: the columns are interpolated once for every coarse row, then each
    strip interpolates between two of those rows (float32 throughout).

    Parameters
    ----------
    coarse
        (coarse rows, coarse cols) values, NaN where there are none.
    shape
        (rows, cols) of the fine grid.
    step
        Fine cells per coarse cell.
    """

    def __init__(self, coarse: np.ndarray, shape: tuple[int, int], step: int) -> None:
        valid = np.isfinite(coarse)
        data = np.where(valid, coarse, 0.0).astype(np.float32)
        weight = valid.astype(np.float32)
        c0, c1, fc = _axis(shape[1], coarse.shape[1], step)
        fc = fc.astype(np.float32)[None, :]
        self._weight = weight[:, c0] * (1 - fc) + weight[:, c1] * fc
        self._total = data[:, c0] * (1 - fc) + data[:, c1] * fc
        self._rows = _axis(shape[0], coarse.shape[0], step)

    def rows(self, r0: int, r1: int) -> tuple[np.ndarray, np.ndarray]:
        """(values, coverage) of fine rows ``r0:r1``, float32 (r1 - r0, cols)."""
        i0, i1, fr = (a[r0:r1] for a in self._rows)
        fr = fr.astype(np.float32)[:, None]
        weight = self._weight[i0] * (1 - fr) + self._weight[i1] * fr
        total = self._total[i0] * (1 - fr) + self._total[i1] * fr
        with np.errstate(invalid="ignore", divide="ignore"):
            values = np.where(weight > 1e-6, total / weight, np.float32(np.nan))
        return values, weight


def paint_surface(
    grid: RasterGrid,
    xy: np.ndarray,
    values: np.ndarray,
    *,
    power: float,
    max_distance: float,
    quantity: str,
    settings: Any,
    thresholds: tuple[Threshold, ...],
    data_range: tuple[float, float] | None,
) -> np.ndarray:
    """uint8 (rows, cols, 4) RGBA of the interpolated values over ``grid`` (any thread)."""
    target, step = coarse_grid(grid)
    field = _interpolate(xy, values, target, power, max_distance)
    rows, cols = grid.shape
    rgba = np.zeros((rows, cols, 4), np.uint8)
    refiner = Refiner(field, (rows, cols), step) if step > 1 else None

    def strip(r0: int) -> None:
        r1 = min(rows, r0 + STRIP_ROWS)
        if refiner is None:
            part, cover = field[r0:r1], np.isfinite(field[r0:r1]).astype(np.float32)
        else:
            part, cover = refiner.rows(r0, r1)
        rgb = value_colors(part, quantity, settings, thresholds, data_range=data_range)
        rgba[r0:r1, :, :3] = rgb.reshape(r1 - r0, cols, 3)
        alpha = np.clip(cover * 255.0 + 0.5, 0, 255).astype(np.uint8)
        alpha[~np.isfinite(part) | ~np.isfinite(grid.values[r0:r1])] = 0
        rgba[r0:r1, :, 3] = alpha

    on_all_cores(strip, range(0, rows, STRIP_ROWS))
    return rgba


def sensor_surface_drape(layer: Layer, context: DrapeContext) -> DrapeSource | None:
    """The surface of the latest values at the clock, or None when there is nothing to show."""
    assert isinstance(layer, SensorSurfaceLayer)
    sensors = context.layer_with_id(layer.sensors_layer_id)
    if not isinstance(sensors, SensorsLayer) or sensors.data is None:
        return None
    data = sensors.data
    quantity = layer.quantity or sensors.shown_quantity
    if quantity is None or quantity not in data.quantities:
        return None
    values, _, index = data.latest(quantity, context.time_ns, staleness_s=sensors.staleness_s)
    ok = np.isfinite(values) & np.isfinite(data.xyz[:, :2]).all(axis=1)
    if not ok.any():
        return None
    thresholds = thresholds_of(quantity, sensors.thresholds)
    data_range = quantity_range(data, quantity)
    settings = _Ramp(layer.ramp, None if layer.value_range is None else tuple(layer.value_range))
    power, max_distance = float(layer.power), float(layer.max_distance_m)
    xy, shown = np.array(data.xyz[ok, :2], np.float64), np.array(values[ok], np.float64)
    key = (
        "sensor_surface", data, quantity, power, max_distance, settings, thresholds,
        data_range, np.where(ok, index, -1).tobytes(),
    )  # fmt: skip

    def paint(grid: RasterGrid) -> np.ndarray:
        return paint_surface(
            grid, xy, shown, power=power, max_distance=max_distance, quantity=quantity,
            settings=settings, thresholds=thresholds, data_range=data_range,
        )  # fmt: skip

    return DrapeSource(key=key, paint=paint, shaded=True)


def sensor_surface_legend(layer: Layer, context: DrapeContext) -> Legend | None:
    """The surface's colours: its ramp over the interpolated quantity."""
    assert isinstance(layer, SensorSurfaceLayer)
    sensors = context.layer_with_id(layer.sensors_layer_id)
    if not isinstance(sensors, SensorsLayer) or sensors.data is None:
        return None
    quantity = layer.quantity or sensors.shown_quantity
    settings = _Ramp(layer.ramp, None if layer.value_range is None else tuple(layer.value_range))
    unit = sensors.data.units.get(quantity, "") if quantity is not None else ""
    entries = legend_entries(
        quantity, settings, sensors.thresholds, unit=unit,
        data_range=quantity_range(sensors.data, quantity),
    )  # fmt: skip
    title = layer.name if quantity is None else f"{layer.name}: {quantity}"
    return Legend.of_classes(title, entries[:-1])  # a surface has no "no data" colour


register_drape(SensorSurfaceLayer, sensor_surface_drape)
register_legend(SensorSurfaceLayer, sensor_surface_legend)
