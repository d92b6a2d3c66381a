"""Detectors of :func:`~twinscape.geo.anomalies.flag_anomalies`: jumps, stuck runs, baselines.

Each detector takes the whole series of one chunk (:class:`_Series`, all values finite) and
the thresholds of :class:`~twinscape.geo.anomalies.AnomalySettings`, and returns a bool per
value. The rolling and seasonal baselines rest on the robust statistics at the end: median
and MAD of sliding windows, batched by window length. Pure numpy, no Qt or VTK.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from twinscape.geo.anomalies import AnomalySettings

HOUR = 3_600_000_000_000  # ns
DAY = 24 * HOUR
_MAD_SIGMA = 1.482602218505602  # MAD x this estimates the standard deviation of normal data
_MAX_WINDOW = 512  # baseline samples per window (longer windows are subsampled evenly)
_BATCH = 1 << 22  # matrix elements sorted per call


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
