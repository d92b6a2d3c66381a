"""geo/anomalies.py: flags of real Toronto air-quality series (OpenAQ, 2025-09-01..10-04).

The clean data must stay quiet; faults injected into it (a dust event, a stuck sensor, a
silence, an impossible jump) must be flagged where they are, and nowhere else.
"""

from __future__ import annotations

import time
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from twinscape.geo.anomalies import AnomalySettings, flag_anomalies
from twinscape.model.sensor_alerts import FLAG_BASELINE, FLAG_GAP, FLAG_JUMP, FLAG_STUCK

DATA = Path(__file__).resolve().parents[1] / "data"
FILES = (
    "aq_toronto_openaq_airnow_hourly_20250901-20251004.csv",
    "aq_toronto_openaq_airgradient_hourly_20250901-20251004.csv",
)
H = 3_600_000_000_000
TORONTO_NORTH, TORONTO_EAST, TORONTO_DOWNTOWN = 1274949, 1275803, 7570  # AirNow
NOBLETON, UNIONVILLE, ANNEX, BASED = 3030376, 3442588, 1612333, 5572106  # AirGradient
STATION_A = 2937895  # AirGradient, named "a"


@cache
def _load() -> tuple[pd.DataFrame, tuple[str, ...]]:
    cols = ["location_id", "location_name", "parameter", "value", "datetimeUtc"]
    df = pd.concat([pd.read_csv(DATA / f, usecols=cols) for f in FILES], ignore_index=True)
    df["t"] = pd.to_datetime(df["datetimeUtc"], utc=True).dt.as_unit("ns").astype("int64")
    names = tuple(sorted(df["parameter"].unique()))
    df["station"] = (df["location_id"].rank(method="dense") - 1).astype(np.int32)
    df["quantity"] = df["parameter"].map({n: i for i, n in enumerate(names)}).astype(np.int16)
    df = df.sort_values(["station", "quantity", "t"], kind="stable", ignore_index=True)
    return df, names


@cache
def _clean_flags() -> np.ndarray:
    return flags_of(_load()[0])


def flags_of(df: pd.DataFrame, **kw: object) -> np.ndarray:
    return flag_anomalies(
        df["station"].to_numpy(np.int32),
        df["quantity"].to_numpy(np.int16),
        df["t"].to_numpy(np.int64),
        df["value"].to_numpy(np.float64),
        quantities=_load()[1],
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def real() -> pd.DataFrame:
    return _load()[0].copy()


def series(df: pd.DataFrame, location: int, parameter: str) -> np.ndarray:
    return ((df["location_id"] == location) & (df["parameter"] == parameter)).to_numpy()


def at(iso: str) -> int:
    return pd.Timestamp(iso).value


def has(flags: np.ndarray, bit: int) -> np.ndarray:
    return (flags & bit) > 0


# --- clean real data -------------------------------------------------------------------


def test_clean_real_data_gives_few_flags(real: pd.DataFrame) -> None:
    flags = _clean_flags()
    rates = {
        n: has(flags, b).mean()
        for n, b in (
            ("baseline", FLAG_BASELINE),
            ("stuck", FLAG_STUCK),
            ("gap", FLAG_GAP),
            ("jump", FLAG_JUMP),
        )
    }
    print({k: f"{v:.3%}" for k, v in rates.items()}, f"any {(flags > 0).mean():.3%}")
    assert flags.dtype == np.uint8 and len(flags) == len(real) == 52413
    assert (flags > 0).mean() < 0.01
    assert rates["baseline"] < 0.008
    assert rates["stuck"] == 0  # coarse AirNow values repeat for 12 h: not judged
    assert rates["jump"] < 0.0005


def test_gap_flags_are_exactly_the_real_silences(real: pd.DataFrame) -> None:
    # independent: hourly series, so a silence is a step > max(4 x 1 h, 3 h)
    step = real.groupby(["station", "quantity"])["t"].diff()
    expected = np.flatnonzero((step > 4 * H).to_numpy())
    assert np.array_equal(np.flatnonzero(has(_clean_flags(), FLAG_GAP)), expected)
    assert len(expected) == 83  # AirGradient outages of 5 h to 44 h, all quantities at once


def test_real_events_are_flagged(real: pd.DataFrame) -> None:
    flags = _clean_flags()
    t = real["t"].to_numpy()
    # a local PM2.5 episode at Toronto Downtown only (61-90 µg/m³ against ~10)
    downtown = series(real, TORONTO_DOWNTOWN, "pm25")
    episode = downtown & (t >= at("2025-09-21T15:00Z")) & (t <= at("2025-09-21T20:00Z"))
    assert has(flags[episode], FLAG_BASELINE).sum() >= 4
    # Nobleton's particle count jumps from ~1,250 to ~38,700 for 15 h (fog-like)
    surge = series(real, NOBLETON, "um003") & (t == at("2025-09-16T03:00Z"))
    assert flags[surge][0] & FLAG_BASELINE and flags[surge][0] & FLAG_JUMP


# --- injected faults --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "day"),
    [
        (TORONTO_NORTH, "2025-09-12"),
        (TORONTO_EAST, "2025-09-25"),
        (TORONTO_DOWNTOWN, "2025-09-25"),
        (NOBLETON, "2025-09-12"),
        (STATION_A, "2025-09-25"),
    ],
)
def test_dust_event_at_one_station(real: pd.DataFrame, location: int, day: str) -> None:
    start = at(f"{day}T06:00Z")
    pm = series(real, location, "pm25")
    t = real["t"].to_numpy()
    baseline = real.loc[pm & (t >= start - 48 * H) & (t < start), "value"].median()
    event = pm & (t >= start) & (t < start + 6 * H)
    hours = (t[event] - start) // H + 1
    real.loc[event, "value"] = baseline * (1 + 7 * hours / 6)  # rises to 8x over 6 h
    flags = flags_of(real)
    assert np.array_equal(hours, np.arange(1, 7))
    assert has(flags[event], FLAG_BASELINE)[-2:].all()  # 6.8x and 8x
    assert has(flags[event], FLAG_BASELINE).sum() >= 3
    assert not has(flags[event], FLAG_JUMP).any()
    clean = _clean_flags()
    assert np.array_equal(flags[~pm], clean[~pm])  # the other stations stay as they were


@pytest.mark.parametrize(
    ("location", "parameter", "start"),
    [
        (UNIONVILLE, "temperature", "2025-09-20T12:00Z"),
        (STATION_A, "relativehumidity", "2025-09-15T03:00Z"),
        (NOBLETON, "pm25", "2025-09-25T18:00Z"),
        (BASED, "um003", "2025-09-14T00:00Z"),
    ],
)
def test_stuck_sensor(real: pd.DataFrame, location: int, parameter: str, start: str) -> None:
    t = real["t"].to_numpy()
    one = series(real, location, parameter)
    last = np.flatnonzero(one & (t == at(start)))[0]
    stuck = one & (t > t[last]) & (t <= t[last] + 12 * H)
    real.loc[stuck, "value"] = real["value"].iloc[last]  # repeats its last value for 12 h
    flags = flags_of(real)
    assert stuck.sum() == 12
    assert np.array_equal(has(flags, FLAG_STUCK), stuck)


def test_flat_lines_that_are_ordinary_are_not_stuck(real: pd.DataFrame) -> None:
    t = real["t"].to_numpy()
    # integer µg/m³ at a reference monitor: values repeat for hours in clean air
    north = series(real, TORONTO_NORTH, "pm25")
    i = np.flatnonzero(north & (t == at("2025-09-20T00:00Z")))[0]
    hold = north & (t > t[i]) & (t <= t[i] + 12 * H)
    real.loc[hold, "value"] = real["value"].iloc[i]
    # a sensor resting at its floor (zero) for 12 h
    based = series(real, BASED, "pm1")
    j = np.flatnonzero(based & (t == at("2025-09-20T00:00Z")))[0]
    real.loc[based & (t >= t[j]) & (t < t[j] + 12 * H), "value"] = 0.0
    assert not has(flags_of(real), FLAG_STUCK).any()


def test_silent_sensor(real: pd.DataFrame) -> None:
    t = real["t"].to_numpy()
    one = series(real, UNIONVILLE, "temperature")
    gone = one & (t >= at("2025-09-24T02:00Z")) & (t < at("2025-09-24T12:00Z"))
    assert gone.sum() == 10
    kept = real[~gone].reset_index(drop=True)
    flags = flags_of(kept)
    after = np.flatnonzero(
        series(kept, UNIONVILLE, "temperature") & (kept["t"] == at("2025-09-24T12:00Z"))
    )
    assert flags[after[0]] & FLAG_GAP
    assert np.array_equal(
        has(flags, FLAG_GAP),
        has(_clean_flags()[~gone], FLAG_GAP) | (np.arange(len(kept)) == after[0]),
    )


def test_silent_station_flags_every_quantity(real: pd.DataFrame) -> None:
    t = real["t"].to_numpy()
    gone = (real["location_id"] == TORONTO_EAST).to_numpy() & (t >= at("2025-09-18T00:00Z"))
    gone &= t < at("2025-09-18T10:00Z")
    kept = real[~gone].reset_index(drop=True)
    flags = flags_of(kept)
    resumed = (kept["location_id"] == TORONTO_EAST) & (kept["t"] == at("2025-09-18T10:00Z"))
    assert resumed.sum() == 5 and has(flags[resumed.to_numpy()], FLAG_GAP).all()


@pytest.mark.parametrize(
    ("location", "parameter", "when", "add"),
    [
        (TORONTO_NORTH, "pm25", "2025-09-15T12:00Z", 900.0),
        (UNIONVILLE, "pm25", "2025-09-27T05:00Z", 900.0),
        (UNIONVILLE, "temperature", "2025-09-10T15:00Z", 40.0),
        (ANNEX, "temperature", "2025-09-03T04:00Z", -40.0),
        (TORONTO_EAST, "no2", "2025-09-22T10:00Z", 0.5),  # ppm, no rate: the robust rule
    ],
)
def test_impossible_jump(
    real: pd.DataFrame, location: int, parameter: str, when: str, add: float
) -> None:
    hit = series(real, location, parameter) & (real["t"] == at(when)).to_numpy()
    assert hit.sum() == 1
    real.loc[hit, "value"] += add
    flags = flags_of(real)
    changed = has(flags, FLAG_JUMP) != has(_clean_flags(), FLAG_JUMP)
    assert np.array_equal(changed, hit)  # the spike only, not its return
    assert flags[hit][0] & FLAG_JUMP


# --- rules on small synthetic series -----------------------------------------------------


def hourly(values: list[float] | np.ndarray, start: int = 0, **kw: object) -> np.ndarray:
    v = np.asarray(values, np.float64)
    n = len(v)
    t = at("2025-01-01T00:00Z") + (start + np.arange(n, dtype=np.int64)) * H
    return flag_anomalies(
        np.zeros(n, np.int32), np.zeros(n, np.int16), t, v, quantities=("pm25",), **kw
    )


def wave(n: int) -> np.ndarray:
    h = np.arange(n)
    return 20 + 8 * np.sin(2 * np.pi * h / 24) + np.random.default_rng(7).normal(0, 0.5, n)


def test_smooth_diurnal_series_is_quiet() -> None:
    assert not hourly(wave(24 * 20)).any()


def test_level_shift_flags_its_first_value_and_a_spike_its_values() -> None:
    v = wave(24 * 10)
    shifted = v.copy()
    shifted[100:] += 800.0  # a recalibration: one impossible step
    assert np.flatnonzero(hourly(shifted) & FLAG_JUMP).tolist() == [100]
    spiked = v.copy()
    spiked[150:152] += 900.0  # two values up, then back
    assert np.flatnonzero(hourly(spiked) & FLAG_JUMP).tolist() == [150, 151]


def test_gap_threshold() -> None:
    t = at("2025-01-01T00:00Z") + np.r_[np.arange(20), 23, np.arange(28, 40)] * H
    v = wave(len(t))
    f = flag_anomalies(np.zeros(len(t), np.int32), np.zeros(len(t), np.int16), t, v)
    # 4 h after hour 19 is 4x the 1-h interval: not a gap; 5 h after hour 23 is
    assert np.flatnonzero(f & FLAG_GAP).tolist() == [21]


def test_settings_switch_rules() -> None:
    v = wave(24 * 10)
    v[120:140] = v[119]
    assert np.flatnonzero(hourly(v) & FLAG_STUCK).tolist() == list(range(120, 140))
    loose = AnomalySettings(stuck_min_hours=24.0)
    assert not (hourly(v, settings=loose) & FLAG_STUCK).any()


# --- edge cases --------------------------------------------------------------------------


def test_empty_and_single_point() -> None:
    empty = flag_anomalies(
        np.zeros(0, np.int32), np.zeros(0, np.int16), np.zeros(0, np.int64), np.zeros(0)
    )
    assert empty.dtype == np.uint8 and empty.shape == (0,)
    assert hourly([5.0]).tolist() == [0]
    assert hourly([np.nan]).tolist() == [0]


def test_all_nan_series_beside_real_ones(real: pd.DataFrame) -> None:
    blank = series(real, UNIONVILLE, "pm1")
    real.loc[blank, "value"] = np.nan
    flags = flags_of(real)
    assert not flags[blank].any()
    assert np.array_equal(flags[~blank], _clean_flags()[~blank])


def test_nans_inside_a_series_are_not_anomalies() -> None:
    v = wave(24 * 10)
    v[[30, 31, 77, 150, 200]] = np.nan  # no value: skipped, not flagged
    v[100:103] = np.nan  # 3 h without values: a 4 h step, not a gap
    assert not hourly(v).any()
    v[120:125] = v[119] + 900.0  # a jump across NaNs still counts
    v[122] = np.nan
    f = hourly(v)
    assert f[122] == 0 and f[120] & FLAG_JUMP


def test_unsorted_input_raises() -> None:
    n = 6
    st, qu = np.zeros(n, np.int32), np.zeros(n, np.int16)
    t, v = np.arange(n, dtype=np.int64) * H, np.ones(n)
    with pytest.raises(ValueError, match="order"):
        flag_anomalies(st, qu, t[::-1].copy(), v)
    with pytest.raises(ValueError, match="order"):
        flag_anomalies(np.array([0, 0, 0, 1, 1, 0], np.int32), qu, t, v)
    with pytest.raises(ValueError, match="order"):
        flag_anomalies(st, np.array([0, 0, 1, 1, 0, 0], np.int16), t, v)
    with pytest.raises(ValueError, match="lengths"):
        flag_anomalies(st, qu, t, v[:-1])
    # a new series may start earlier in time
    flag_anomalies(st, np.array([0, 0, 0, 1, 1, 1], np.int16), np.r_[t[3:], t[:3]], v)


def test_fourteen_series_take_milliseconds() -> None:
    n, k = 800, 14
    t = np.tile(at("2025-09-01T00:00Z") + np.arange(n, dtype=np.int64) * H, k)
    v = np.concatenate([wave(n) + i for i in range(k)])
    st, qu = np.repeat(np.arange(k, dtype=np.int32), n), np.zeros(n * k, np.int16)
    flag_anomalies(st, qu, t, v)
    begin = time.perf_counter()
    flag_anomalies(st, qu, t, v, quantities=("pm25",))
    assert time.perf_counter() - begin < 0.5


def test_rate_lookup_by_quantity_name() -> None:
    v = wave(24 * 10)
    v[120:] += 300.0  # beyond the robust rule, within 500 µg/m³ per hour
    n = len(v)
    t = at("2025-01-01T00:00Z") + np.arange(n, dtype=np.int64) * H
    st, qu = np.zeros(n, np.int32), np.zeros(n, np.int16)

    def jumps(name: str, **kw: object) -> list[int]:
        f = flag_anomalies(st, qu, t, v, quantities=(name,), **kw)  # type: ignore[arg-type]
        return np.flatnonzero(f & FLAG_JUMP).tolist()

    assert jumps("PM2.5") == [] and jumps("pm_25") == []
    assert jumps("unknown") == [120]
    assert jumps("PM2.5", settings=AnomalySettings(max_rate_per_hour={"pm25": 100.0})) == [120]
