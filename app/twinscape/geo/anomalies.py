"""Anomaly flags of sensor observations: baseline departures, flat lines, silences, jumps.

:func:`flag_anomalies` takes the observation arrays of a
:class:`~twinscape.model.sensor_data.SensorData` (sorted by station, quantity, time) and returns
one uint8 of flag bits per observation. Each series (equal station and quantity) is judged
on its own; :class:`AnomalySettings` documents every threshold.

``FLAG_BASELINE``
    A robust z-score above ``baseline_z`` against the median and MAD of the
    ``baseline_hours`` before the observation's block (``baseline_step_hours`` blocks aligned
    to the UTC clock: the baseline never holds the point itself nor an event building up
    just before it), and, where the same time of day on enough previous days is known, above
    ``seasonal_z`` against that seasonal baseline too, so a normal diurnal swing (rush-hour
    NO, afternoon ozone) is not flagged. The scale never drops below the series'
    quantisation step nor half its 90th percentile step, so a sensor resting at zero does
    not flag every small rise.
``FLAG_STUCK``
    Every repeat of a flat run (equal within ``stuck_tolerance``) of at least
    ``stuck_min_count`` values spanning ``stuck_min_hours``; its first value is a real
    reading. Not judged: runs at the series' own minimum or maximum (a zero count at night,
    humidity saturated at 100 %), and series whose values sit on a coarse grid (ppm to 3
    decimals, integer µg/m³: reference monitors repeat a value for hours in clean air).
``FLAG_GAP``
    The first observation after a silence longer than ``gap_factor`` x the series' median
    interval and ``gap_min_hours``.
``FLAG_JUMP``
    A step beyond ``max_rate_per_hour[quantity]`` x its hours (at least ``jump_min_hours``),
    or for other quantities beyond ``jump_factor`` x the series' 90th percentile non-zero
    step (a MAD of steps is zero for quantised or mostly-zero series). A spike returning to
    its previous level within ``jump_spike_length`` values flags the spike, not the return;
    a level shift flags its first value only.

NaN (non-finite) values are no observation: never flagged, skipped, and a run of them is a
silence before the next value. The jump, stuck and baseline detectors are in
:mod:`twinscape.geo.anomaly_detectors`. Pure numpy/pandas, no Qt or VTK.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from twinscape.geo.anomaly_detectors import HOUR, _baseline, _jumps, _Series, _stuck
from twinscape.model.sensor_alerts import FLAG_BASELINE, FLAG_GAP, FLAG_JUMP, FLAG_STUCK

_CHUNK = 1 << 20  # observations per chunk: bounds memory

#: Plausible change within one hour per quantity (units of the usual sensor feeds: °C, %,
#: µg/m³). Gases are left out on purpose: feeds send them in ppm or ppb.
DEFAULT_MAX_RATE_PER_HOUR: dict[str, float] = {
    "temperature": 20.0,
    "relativehumidity": 50.0,
    "pm1": 500.0,
    "pm25": 500.0,
    "pm10": 1000.0,
}


@dataclass(frozen=True)
class AnomalySettings:
    """Thresholds of :func:`flag_anomalies`; the defaults keep clean hourly data quiet.

    Parameters
    ----------
    baseline_hours, baseline_step_hours
        Rolling window length, and the clock-aligned blocks sharing one window before them.
    baseline_min_points
        Fewer values in the window (or a window less than half covered): no baseline flag.
    baseline_z
        Robust z-score (departure / (1.4826 MAD)) above which a value departs.
    baseline_min_scale
        Floor of the scale as a fraction of the series' 90th percentile non-zero step.
    seasonal_days, seasonal_min_days, seasonal_tolerance_hours
        Previous days whose same time of day (within the tolerance) form the seasonal
        baseline (0: off); with fewer found the rolling baseline decides alone.
    seasonal_z
        Within this robust z-score of its seasonal baseline a value is normal for the time
        of day and not flagged.
    stuck_min_hours, stuck_min_count, stuck_tolerance
        Shortest flat run flagged (duration, values); "equal" within this relative
        tolerance (absolute below magnitude 1).
    stuck_max_flat_fraction, stuck_min_resolution
        Series flat in more of their other steps, or whose 90th percentile non-zero step is
        fewer quantisation steps (smallest non-zero step), are not judged.
    gap_factor, gap_min_hours
        A silence longer than ``gap_factor`` x the median interval and ``gap_min_hours``.
    max_rate_per_hour
        Plausible change per hour by quantity name (case and punctuation ignored:
        ``"PM2.5"`` is ``"pm25"``). Steps shorter than ``jump_min_hours`` get its allowance.
    jump_min_hours, jump_factor
        See above; ``jump_factor`` x the 90th percentile non-zero step for other quantities.
    jump_spike_length
        Longest excursion (values) whose return to the previous level is not a jump.
    """

    baseline_hours: float = 48.0
    baseline_step_hours: float = 6.0
    baseline_min_points: int = 12
    baseline_z: float = 7.0
    baseline_min_scale: float = 0.5
    seasonal_days: int = 7
    seasonal_min_days: int = 3
    seasonal_tolerance_hours: float = 0.5
    seasonal_z: float = 3.0
    stuck_min_hours: float = 6.0
    stuck_min_count: int = 4
    stuck_tolerance: float = 1e-9
    stuck_max_flat_fraction: float = 0.1
    stuck_min_resolution: float = 50.0
    gap_factor: float = 4.0
    gap_min_hours: float = 3.0
    max_rate_per_hour: dict[str, float] = field(
        default_factory=lambda: dict(DEFAULT_MAX_RATE_PER_HOUR), hash=False
    )
    jump_min_hours: float = 1.0
    jump_factor: float = 20.0
    jump_spike_length: int = 3


def flag_anomalies(
    station: np.ndarray,
    quantity: np.ndarray,
    time_ns: np.ndarray,
    value: np.ndarray,
    *,
    quantities: tuple[str, ...] = (),
    settings: AnomalySettings | None = None,
) -> np.ndarray:
    """Anomaly flag bits of every observation.

    Parameters
    ----------
    station, quantity, time_ns, value
        One entry per observation, sorted by (station, quantity, time) as in
        :class:`~twinscape.model.sensor_data.SensorData`: int32, int16, int64 ns UTC, float64
        (NaN = no value).
    quantities
        Quantity names by code, to look up ``settings.max_rate_per_hour``; codes without a
        name use the robust jump rule.
    settings
        Thresholds; None: :class:`AnomalySettings` defaults.

    Returns
    -------
    numpy.ndarray
        uint8 (m,): OR of ``FLAG_BASELINE``, ``FLAG_STUCK``, ``FLAG_GAP``, ``FLAG_JUMP``.

    Raises
    ------
    ValueError
        When the arrays differ in length or are not sorted.
    """
    s = settings or AnomalySettings()
    t = np.asarray(time_ns)
    if t.dtype.kind == "M":
        t = t.astype("datetime64[ns]").view(np.int64)
    t, x = t.astype(np.int64, copy=False), np.asarray(value, np.float64)
    st, qu, m = np.asarray(station), np.asarray(quantity), len(t)
    if not (st.ndim == qu.ndim == t.ndim == x.ndim == 1 and len(st) == len(qu) == len(x) == m):
        raise ValueError("flag_anomalies: station, quantity, time and value need equal 1-D lengths")
    flags = np.zeros(m, np.uint8)
    if m == 0:
        return flags
    key = st.astype(np.int64) * (1 << 32) + qu.astype(np.int64)
    dk, dt = np.diff(key), np.diff(t)
    bad = (dk < 0) | ((dk == 0) & (dt < 0))
    if bad.any():
        i = int(np.argmax(bad)) + 1
        raise ValueError(
            f"flag_anomalies: observation {i} is out of (station, quantity, time) order"
        )
    valid = np.isfinite(x)
    keep = None if valid.all() else np.flatnonzero(valid)
    first = np.r_[True, dk != 0]
    if keep is not None:
        if keep.size == 0:
            return flags
        series = np.cumsum(first)[keep]
        first = np.r_[True, series[1:] != series[:-1]]
        t, x, qu = t[keep], x[keep], qu[keep]
    seg = np.cumsum(first) - 1
    starts = np.flatnonzero(first)
    rates = {_norm(k): float(v) for k, v in s.max_rate_per_hour.items()}
    table = np.array([rates.get(_norm(q), np.nan) for q in quantities] + [np.nan])
    code = qu[starts].astype(np.int64)
    rate = table[np.where((code >= 0) & (code < len(quantities)), code, len(quantities))]
    lookback = s.seasonal_days * 24 + s.seasonal_tolerance_hours
    pad = int(max(s.baseline_hours + s.baseline_step_hours, lookback) * HOUR) + 1
    per_chunk = (1 << 62) // (int(t.max()) - int(t.min()) + 2 * pad + 1)
    if per_chunk < 1:
        raise ValueError("flag_anomalies: observation times span too long")
    ordinal = np.arange(len(starts))
    cut = np.diff(starts // _CHUNK) != 0
    cut |= np.diff(ordinal // per_chunk) != 0
    bounds = np.r_[starts[np.r_[True, cut]], len(t)]
    for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        chunk = _flag_chunk(
            seg[lo:hi] - seg[lo], t[lo:hi], x[lo:hi], rate[seg[lo] : seg[hi - 1] + 1], s, pad
        )
        if keep is None:
            flags[lo:hi] = chunk
        else:
            flags[keep[lo:hi]] = chunk
    return flags


def _norm(name: str) -> str:
    """``"PM2.5"`` -> ``"pm25"``: lower case, letters and digits only."""
    return "".join(ch for ch in name.lower() if ch.isalnum())


def _flag_chunk(
    seg: np.ndarray, t: np.ndarray, x: np.ndarray, rate: np.ndarray, s: AnomalySettings, pad: int
) -> np.ndarray:
    """Flags of whole series ``seg`` (0..k-1, contiguous), all values finite."""
    c = _Series(seg, t, x)
    flags, k, same, sseg = np.zeros(len(t), np.uint8), len(c.lo), c.same, seg[1:]
    tick = same & (c.dt > 0)
    med_dt = _per_series(c.dt[tick], sseg[tick], k, None)
    moved = same & (c.dx != 0)
    step = np.abs(c.dx)
    q90 = _per_series(step[moved], sseg[moved], k, 0.9)
    res = np.minimum.reduceat(np.r_[np.where(moved, step, np.inf), np.inf], c.lo)
    res[np.isinf(res)] = 0.0  # quantisation step: the smallest non-zero step
    limit = np.maximum(s.gap_factor * np.nan_to_num(med_dt), s.gap_min_hours * HOUR)
    _set(flags[1:], same & (c.dt > limit[sseg]), FLAG_GAP)
    _set(flags, _jumps(c, rate, q90, med_dt, s), FLAG_JUMP)
    fine = np.nan_to_num(q90) >= s.stuck_min_resolution * res
    _set(flags, _stuck(c, fine, s), FLAG_STUCK)
    floor = np.fmax(res, s.baseline_min_scale * np.nan_to_num(q90))
    key = seg * (int(t.max()) - int(t.min()) + 2 * pad + 1) + (t - t.min()) + pad
    _set(flags, _baseline(c, key, floor, s), FLAG_BASELINE)
    return flags


def _set(flags: np.ndarray, where: np.ndarray, bit: int) -> None:
    np.bitwise_or(flags, np.uint8(bit), out=flags, where=where)


def _per_series(values: np.ndarray, groups: np.ndarray, k: int, q: float | None) -> np.ndarray:
    """Median (``q`` None) or quantile ``q`` of ``values`` per group 0..k-1; NaN if none."""
    out = np.full(k, np.nan)
    if values.size:
        g = pd.Series(values).groupby(groups)
        r = g.median() if q is None else g.quantile(q)
        out[r.index.to_numpy()] = r.to_numpy()
    return out
