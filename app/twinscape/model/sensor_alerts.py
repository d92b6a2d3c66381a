"""Small display helpers of sensor alerts: anomaly flag names, ages and alert levels.

:func:`flag_names` spells out the anomaly bits of
:attr:`~twinscape.model.sensor_data.SensorData.flags`, :func:`format_age` writes an age in
seconds briefly, and :func:`alert_levels` finds the highest
:class:`~twinscape.model.sensor_style.Threshold` each value reaches.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from twinscape.model.sensor_style import Threshold

#: Anomaly flag bits of :attr:`~twinscape.model.sensor_data.SensorData.flags` (one uint8 per
#: observation).
FLAG_BASELINE, FLAG_STUCK, FLAG_GAP, FLAG_JUMP = 1, 2, 4, 8
FLAG_NAMES: dict[int, str] = {
    FLAG_BASELINE: "departs from its baseline",
    FLAG_STUCK: "stuck (flat line)",
    FLAG_GAP: "silent before this (gap)",
    FLAG_JUMP: "impossible jump",
}


def flag_names(bits: int) -> list[str]:
    """Names of the anomaly bits set in ``bits`` (see :data:`FLAG_NAMES`)."""
    return [name for bit, name in FLAG_NAMES.items() if int(bits) & bit]


def format_age(seconds: float) -> str:
    """A short age: ``"40 s"``, ``"12 min"``, ``"3 h 05 min"``, ``"2 d 4 h"``; ``"—"`` if none."""
    if not math.isfinite(seconds):
        return "\u2014"
    s = max(0, int(round(seconds)))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86400:
        return f"{s // 3600} h {s % 3600 // 60:02d} min"
    return f"{s // 86400} d {s % 86400 // 3600} h"


def alert_levels(thresholds: Sequence[Threshold], values: np.ndarray) -> np.ndarray:
    """Index into ``thresholds`` of the highest level each value reaches (-1: none, or NaN).

    ``thresholds`` may come in any order; the result indexes them as given.
    """
    values = np.asarray(values, dtype=float)
    if not thresholds:
        return np.full(values.shape, -1, np.int64)
    order = np.argsort([t.value for t in thresholds], kind="stable")
    steps = np.array([thresholds[i].value for i in order], dtype=float)
    with np.errstate(invalid="ignore"):
        reached = np.searchsorted(steps, np.nan_to_num(values, nan=-np.inf), side="right") - 1
    return np.where(reached >= 0, order[np.maximum(reached, 0)], -1).astype(np.int64)
