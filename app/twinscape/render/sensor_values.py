"""The values a sensors layer shows at the clock, written into its glyphs in place.

:class:`SensorValues` is a mixin of :class:`~twinscape.render.sensors_visual.SensorsVisual`.
:meth:`SensorValues.set_time` (SceneView calls it when the project clock moves) asks
the data for the latest values and, only when an observation changed, rewrites the
colour array (and the column tops) in place: no new VTK object, no new actor.
:meth:`SensorValues.set_highlight` marks selected stations in the same arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from vtkmodules.vtkCommonDataModel import vtkPolyData

from twinscape.model.sensor_live import latest_merged
from twinscape.model.sensors import SensorsLayer
from twinscape.render.sensor_colors import (
    quantity_range,
    ramp_range,
    value_classes,
    value_fraction,
)
from twinscape.render.sensor_glyphs import FaceColours, GlyphTemplate, column_heights
from twinscape.render.sensor_labels import SensorLabels


class SensorValues:
    """Values, colours, column heights and highlight of
    :class:`~twinscape.render.sensors_visual.SensorsVisual` (its glyph arrays, in place)."""

    layer: SensorsLayer
    values: np.ndarray
    _time_ns: int | None
    _index: np.ndarray | None
    _times: np.ndarray | None
    _highlight: tuple[int, ...]
    _polydata: vtkPolyData | None
    _template: GlyphTemplate | None
    _labels: SensorLabels | None
    _faces: FaceColours
    _colors: np.ndarray
    _points: np.ndarray

    def set_time(self, time_ns: int) -> None:
        """Show the latest value of every station at ``time_ns`` (ns since the epoch, UTC).

        A live value newer than the history's latest (at or before ``time_ns``, within
        the layer's staleness) is shown instead.
        """
        self._time_ns = int(time_ns)
        self._update_values(force=False)

    def refresh(self, *_: Any) -> None:
        """Recompute values and colours (quantity, staleness, thresholds or ramp changed)."""
        self._update_values(force=True)

    def _quantity(self) -> str | None:
        quantity = self.layer.shown_quantity
        data = self.layer.data
        known = data is not None and quantity in self.layer.known_quantities
        return quantity if known else None

    def _update_values(self, *, force: bool) -> bool:
        """Recolour when the values shown changed (or ``force``); True when recoloured."""
        data, quantity = self.layer.data, self._quantity()
        if self._polydata is None or data is None:
            return False
        if quantity is None or self._time_ns is None:
            values, index = np.full(data.count, np.nan), np.full(data.count, -1)
            times = index
        else:
            shown = latest_merged(
                data, self.layer.live_state, quantity, self._time_ns,
                staleness_s=self.layer.staleness_s,
            )  # fmt: skip
            values, index, times = shown.values, shown.index, shown.times
        if (
            not force
            and self._index is not None
            and self._times is not None
            and np.array_equal(index, self._index)
            and np.array_equal(times, self._times)
        ):
            return False  # the same observations: nothing to redraw
        self._index, self._times, self.values = index, times, values
        self._write_colours()
        if self.layer.style.glyph == "column":
            self._update_heights()
            self._points_modified()
        if self._labels is not None:
            unit = data.units.get(quantity, "") if quantity is not None else ""
            self._labels.set_values(values, unit)
        return True

    def _fraction(self, values: np.ndarray) -> np.ndarray:
        quantity = self._quantity()
        lo, hi = ramp_range(self.layer.style, values, quantity_range(self.layer.data, quantity))
        return value_fraction(values, lo, hi)

    def _update_heights(self) -> None:
        template = self._template
        if template is None or not len(template.moving):
            return
        heights = column_heights(self._fraction(self.values), self.layer.style.size)
        feet_z = self._feet()[:, 2]
        self._points[:, template.moving, 2] = (feet_z + heights)[:, None]

    def _value_classes(self) -> tuple[np.ndarray, np.ndarray]:
        quantity = self._quantity()
        return value_classes(
            self.values, quantity, self.layer.style, self.layer.thresholds,
            data_range=quantity_range(self.layer.data, quantity),
        )  # fmt: skip

    def _write_colours(self) -> None:
        """The value colours into the value faces, in place (one gather per update)."""
        assert self._polydata is not None
        index, palette = self._value_classes()
        self._faces.write_values(self._colors, index, palette, self._highlight)
        self._colours_modified()

    def _colours_modified(self) -> None:
        assert self._polydata is not None
        self._polydata.GetCellData().GetScalars().Modified()
        self._polydata.Modified()

    def set_highlight(self, rows: Sequence[int]) -> None:
        """Draw these stations as selected: pole (mast) or sides (column) in yellow."""
        rows = tuple(int(r) for r in rows)
        if rows != self._highlight:
            self._highlight = rows
            if self._polydata is not None:
                self._write_colours()  # un-marks column sides
                self._faces.write_frame(self._colors, rows)
                self._colours_modified()
