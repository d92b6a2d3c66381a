"""Live values: the newest per station and quantity, and how they merge with the history."""

from __future__ import annotations

import numpy as np
import pandas as pd

from twinscape.model.clock import NS
from twinscape.model.sensor_data import SensorData
from twinscape.model.sensor_live import NO_TIME, LiveState, latest_merged

HOUR = 3600 * NS


def _data() -> SensorData:
    """Three stations; pm25 at hours 0 and 2 for A and B, nothing for C."""
    return SensorData(
        station_ids=np.array(["A", "B", "C"], dtype=object),
        xyz=np.zeros((3, 3)),
        stations=pd.DataFrame({"name": ["a", "b", "c"]}),
        quantities=("pm25",),
        units={"pm25": "µg/m³"},
        obs_station=np.array([0, 0, 1, 1], np.int32),
        obs_quantity=np.zeros(4, np.int16),
        obs_time=np.array([0, 2 * HOUR, 0, 2 * HOUR]),
        obs_value=np.array([1.0, 2.0, 10.0, 20.0]),
    )


def test_apply_keeps_the_newest_and_counts_unknown_stations() -> None:
    live = LiveState(["A", "B", "C"], ["pm25"])
    emitted: list[int] = []
    live.updated.connect(lambda: emitted.append(1))
    changed = live.apply(["A", "A", "Z", "B"], ["pm25", "pm25", "pm25", "no2"],
                         np.array([5, 3, 4, 6]) * NS, np.array([50.0, 30.0, 1.0, 7.0]))
    assert changed == 2 and emitted == [1] and live.unknown == 1 and live.received == 4
    assert live.quantities == ["pm25", "no2"], "a quantity the feed brings is added"
    values, times = live.latest("pm25", 10 * NS)
    assert values[0] == 50.0 and times[0] == 5 * NS and np.isnan(values[1])
    assert live.apply(["A"], ["pm25"], np.array([4 * NS]), np.array([1.0])) == 0
    assert emitted == [1], "an older value changes nothing and emits nothing"


def test_merge_shows_live_values_newer_than_the_history_at_the_clock() -> None:
    data, live = _data(), LiveState(["A", "B", "C"])
    now = 3 * HOUR
    live.apply(["A", "B", "C"], ["pm25"] * 3,
               np.array([now - HOUR // 2, HOUR, now + 60 * NS]), np.array([99.0, 98.0, 97.0]))
    got = latest_merged(data, live, "pm25", now, staleness_s=3 * 3600)
    # A: live newer than its 02:00 observation; B: live older -> history; C: live after clock
    assert got.values[:2].tolist() == [99.0, 20.0] and np.isnan(got.values[2])
    assert got.live.tolist() == [True, False, False]
    assert got.index.tolist() == [-1, 3, -1] and got.times[2] == NO_TIME
    later = latest_merged(data, live, "pm25", now + 4 * HOUR, staleness_s=3 * 3600)
    assert np.isnan(later.values).all(), "stale, live or not"
    unfiltered = latest_merged(data, live, "pm25", now + 4 * HOUR)
    assert unfiltered.values.tolist()[:2] == [99.0, 20.0] and unfiltered.has(2)


def test_live_only_quantities_and_mismatched_stations() -> None:
    data, live = _data(), LiveState(["A", "B", "C"])
    live.apply(["C"], ["no2"], np.array([HOUR]), np.array([40.0]))
    got = latest_merged(data, live, "no2", 2 * HOUR)
    assert np.isnan(got.values[:2]).all() and got.values[2] == 40.0 and got.live[2]
    other = LiveState(["A", "B"])  # not this layer's stations: ignored
    other.apply(["A"], ["pm25"], np.array([3 * HOUR]), np.array([5.0]))
    assert latest_merged(data, other, "pm25", 3 * HOUR).values[0] == 2.0
