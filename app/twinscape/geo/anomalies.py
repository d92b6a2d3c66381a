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
silence before the next value. Pure numpy/pandas, no Qt or VTK.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from twinscape.model.sensor_alerts import FLAG_BASELINE, FLAG_GAP, FLAG_JUMP, FLAG_STUCK

HOUR = 3_600_000_000_000  # ns
DAY = 24 * HOUR
_MAD_SIGMA = 1.482602218505602  # MAD x this estimates the standard deviation of normal data
_CHUNK = 1 << 20  # observations per chunk: bounds memory
_MAX_WINDOW = 512  # baseline samples per window (longer windows are subsampled evenly)
_BATCH = 1 << 22  # matrix elements sorted per call

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


@dataclass
class _Series:
    """Whole series of one chunk: ``seg`` 0..k-1 per value, steps between neighbours."""

    seg: np.ndarray
    t: np.ndarray
    x: np.ndarray

    def __post_init__(self) -> None:
        first = np.r_[True, self.seg[1:] != self.seg[:-1]]
        self.lo = np.flatnonzero(first)  # first value of each series
        self.same = ~first[1:]  # step i (value i to i+1) stays in one series
        self.dt, self.dx = np.diff(self.t), np.diff(self.x)


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


def _jumps(
    c: _Series, rate: np.ndarray, q90: np.ndarray, med_dt: np.ndarray, s: AnomalySettings
) -> np.ndarray:
    """Values reached by an impossible step (a spike's values, not its return)."""
    seg, x, dx, sseg = c.seg, c.x, c.dx, c.seg[1:]
    hours = np.maximum(c.dt / HOUR, s.jump_min_hours)
    steps = np.maximum(c.dt / np.where(med_dt > 0, med_dt, np.inf)[sseg], 1.0)
    lim = np.where(np.isfinite(rate[sseg]), rate[sseg] * hours, s.jump_factor * q90[sseg] * steps)
    with np.errstate(invalid="ignore"):
        big = np.flatnonzero(c.same & (np.abs(dx) > lim))
    out = np.zeros(len(x), bool)
    open_step, open_seg = -1, -1
    for i in big.tolist():  # rare by construction: resolve spikes in order
        if (
            seg[i] == open_seg
            and i - open_step <= s.jump_spike_length
            and dx[i] * dx[open_step] < 0
            and abs(x[i + 1] - x[open_step]) <= lim[i]
        ):
            out[open_step + 1 : i + 1] = True  # the excursion; its return is normal
            open_seg = -1
            continue
        out[i + 1] = True
        open_step, open_seg = i, seg[i]
    return out


def _stuck(c: _Series, fine: np.ndarray, s: AnomalySettings) -> np.ndarray:
    """Repeats of long flat runs in finely resolved series that normally vary."""
    seg, t, x, n, k = c.seg, c.t, c.x, len(c.x), len(c.lo)
    out = np.zeros(n, bool)
    flat = np.flatnonzero(
        c.same & (np.abs(c.dx) <= s.stuck_tolerance * np.maximum(1.0, abs(x[1:])))
    )
    if flat.size == 0:
        return out
    brk = np.diff(flat) != 1
    ra, rb = flat[np.r_[True, brk]], flat[np.r_[brk, True]]  # first, last flat step of a run
    rseg, rval, steps = seg[ra], x[ra], rb - ra + 1
    long_ = (steps + 1 >= s.stuck_min_count) & (t[rb + 1] - t[ra] >= s.stuck_min_hours * HOUR)
    if not long_.any():
        return out
    tol = s.stuck_tolerance * np.maximum(1.0, np.abs(rval))
    smin, smax = np.minimum.reduceat(x, c.lo)[rseg], np.maximum.reduceat(x, c.lo)[rseg]
    bound = (np.abs(rval - smin) <= tol) | (np.abs(rval - smax) <= tol)
    excl = long_ | bound  # the flat share of a series counts its other steps
    skipped = np.bincount(rseg[excl], weights=steps[excl], minlength=k)
    judged = np.diff(np.r_[c.lo, n]) - 1 - skipped
    flats = np.bincount(rseg, weights=steps, minlength=k) - skipped
    varies = fine & (judged > 0) & (flats <= s.stuck_max_flat_fraction * judged)
    hit = long_ & ~bound & varies[rseg]
    if hit.any():  # every repeat: values ra+1 .. rb+1
        edge = np.zeros(n + 1, np.int64)
        np.add.at(edge, ra[hit] + 1, 1)
        np.add.at(edge, rb[hit] + 2, -1)
        out = np.cumsum(edge[:n]) > 0
    return out


def _baseline(c: _Series, key: np.ndarray, floor: np.ndarray, s: AnomalySettings) -> np.ndarray:
    """Values departing from the rolling and (where known) the seasonal baseline."""
    seg, t, x, n = c.seg, c.t, c.x, len(c.x)
    step, window = int(s.baseline_step_hours * HOUR), int(s.baseline_hours * HOUR)
    block = t // step
    new = np.r_[True, (seg[1:] != seg[:-1]) | (block[1:] != block[:-1])]
    row = np.cumsum(new) - 1
    heads = np.flatnonzero(new)
    block_key = key[heads] - (t[heads] - block[heads] * step)  # where each block starts
    a, b = np.searchsorted(key, block_key - window), np.searchsorted(key, block_key)
    lead = x[c.lo][seg]
    med, mad = _median_mad(
        (x - lead).astype(np.float32), a, b - a, lead[np.minimum(a, n - 1)], s.baseline_min_points
    )
    scale = np.maximum(_MAD_SIGMA * mad[row], floor[seg])
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (x - med[row]) / scale
    known = (b - a >= s.baseline_min_points) & (t[np.maximum(b - 1, 0)] - t[a] >= window // 2)
    out = known[row] & (np.abs(z) > s.baseline_z)
    if s.seasonal_days <= 0 or not out.any():
        return out
    idx = np.flatnonzero(out)  # only candidates need the seasonal look-up
    tol = int(s.seasonal_tolerance_hours * HOUR)
    target = key[idx, None] - np.arange(1, s.seasonal_days + 1) * DAY
    j = np.searchsorted(key, target - tol)
    jj = np.minimum(j, n - 1)
    found = (j < n) & (key[jj] <= target + tol)
    days_found = found.sum(axis=1)
    dev = np.where(found, x[jj] - x[idx, None], np.inf).astype(np.float32)  # before - now
    dev.sort(axis=1)
    zs_med, zs_mad = np.full(len(idx), np.nan), np.full(len(idx), np.nan)
    for d in np.unique(days_found[days_found > 0]).tolist():
        r = days_found == d
        zs_med[r], zs_mad[r] = _sorted_median_mad(dev[r], d)
    with np.errstate(invalid="ignore", divide="ignore"):
        zs = -zs_med / np.maximum(_MAD_SIGMA * zs_mad, scale[idx])
    agree = (np.sign(zs) == np.sign(z[idx])) & (np.abs(zs) > s.seasonal_z)
    out[idx] = (days_found < s.seasonal_min_days) | agree
    return out


def _median_mad(
    x: np.ndarray, start: np.ndarray, count: np.ndarray, off: np.ndarray, min_count: int
) -> tuple[np.ndarray, np.ndarray]:
    """Median and MAD of ``x[start:start+count]`` per row (NaN below ``min_count``).

    ``x`` is float32 relative to ``off`` (per row). Rows go by window length; windows
    longer than ``_MAX_WINDOW`` are subsampled evenly.
    """
    med, mad = np.full(len(start), np.nan), np.full(len(start), np.nan)
    eff = np.minimum(count, _MAX_WINDOW)
    ok = eff >= max(min_count, 1)
    for w in np.unique(eff[ok]).tolist():
        sel = np.flatnonzero(ok & (eff == w))
        view = np.lib.stride_tricks.sliding_window_view(x, w)
        for part in np.array_split(sel, max(1, len(sel) * w // _BATCH)):
            c = count[part, None]
            if (c > w).any():  # long windows: an even subsample
                mat = x[start[part, None] + (np.arange(w) * c) // w]
            else:
                mat = view[start[part]]
            mat.sort(axis=1)
            m_, d_ = _sorted_median_mad(mat, w)
            med[part], mad[part] = m_ + off[part], d_
    return med, mad


def _sorted_median_mad(mat: np.ndarray, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Median and MAD of the first ``w`` values of each sorted row."""
    lo_, hi_ = (w - 1) // 2, w // 2
    med = 0.5 * (mat[:, lo_] + mat[:, hi_])
    mad = _kth_deviation(mat[:, :w], med, lo_)
    if hi_ != lo_:
        mad = 0.5 * (mad + _kth_deviation(mat[:, :w], med, hi_))
    return med, mad


def _kth_deviation(mat: np.ndarray, center: np.ndarray, k: int) -> np.ndarray:
    """k-th smallest (0-based) |row - center| of each sorted row.

    The k+1 values nearest the centre are neighbours in the sorted row, so the answer is
    the narrowest reach of any k+1 neighbours: no second sort.
    """
    n = mat.shape[1]
    left = center[:, None] - mat[:, : n - k]
    return np.maximum(left, mat[:, k:] - center[:, None]).min(axis=1)
