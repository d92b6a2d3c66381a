"""io/heights.py: heights and level counts as people and OpenStreetMap write them."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from twinscape.io.heights import (
    MAX_HEIGHT_M,
    TYPE_DEFAULT_HEIGHTS,
    MissingAttributeError,
    building_heights,
    parse_height,
    parse_heights,
    parse_levels,
    parse_levels_column,
    type_default_heights,
)


@pytest.mark.parametrize(
    ("value", "metres"),
    [
        (12, 12.0),
        (12.5, 12.5),
        (np.float32(7.5), 7.5),
        ("12", 12.0),
        (" 12 ", 12.0),
        ("12 m", 12.0),
        ("12.5m", 12.5),
        ("7 Metres", 7.0),
        ("40 ft", 12.192),
        ("40'", 12.192),
        ("40'6\"", 40 * 0.3048 + 6 * 0.0254),
        ("12,5", 12.5),
        ("3;4", 4.0),
        ("abc;14", 14.0),  # the first sensible part
        ("-3;12", 12.0),
        ("1e1", 10.0),
    ],
)
def test_heights_are_parsed_in_metres(value: object, metres: float) -> None:
    parsed, reason = parse_height(value)
    assert reason is None
    assert parsed == pytest.approx(metres)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("abc", "not a number"),
        ("12 m tall", "not a number"),
        ("12 km", "unknown unit"),
        (-5, "negative"),
        ("-5", "negative"),
        (0, "zero"),
        ("0 m", "zero"),
        (1e9, f"over {MAX_HEIGHT_M:g} m"),
        ("1e9", f"over {MAX_HEIGHT_M:g} m"),
        (1000.5, f"over {MAX_HEIGHT_M:g} m"),
        (math.inf, "not finite"),
        ("inf", "not finite"),
        ("NaN", "not finite"),
        (True, "not a number"),
        ("abc;-4", "not a number"),  # no sensible part: the first reason
    ],
)
def test_nonsense_heights_are_rejected_with_a_reason(value: object, reason: str) -> None:
    parsed, why = parse_height(value)
    assert math.isnan(parsed)
    assert why == reason


@pytest.mark.parametrize("value", [None, math.nan, np.nan, pd.NA, "", "   "])
def test_missing_heights_have_no_reason(value: object) -> None:
    parsed, why = parse_height(value)
    assert math.isnan(parsed) and why is None


@pytest.mark.parametrize(
    ("value", "levels", "reason"),
    [
        (3, 3.0, None),
        ("3", 3.0, None),
        ("3.0", 3.0, None),
        ("2.5", 2.5, None),
        ("2;3", 3.0, None),
        ("4,5", 4.5, None),
        ("-1", math.nan, "negative"),
        ("0", math.nan, "zero"),
        ("250", math.nan, "over 200 levels"),
        ("3 floors", math.nan, "not a number"),
        ("12 m", math.nan, "not a number"),
        (None, math.nan, None),
    ],
)
def test_levels(value: object, levels: float, reason: str | None) -> None:
    parsed, why = parse_levels(value)
    assert why == reason
    assert parsed == pytest.approx(levels, nan_ok=True)


def test_a_text_column_is_parsed_row_for_row() -> None:
    column = pd.Series(["12", "abc", None, "12", "-5", "1e9", "40 ft", "12"], dtype=object)
    parsed = parse_heights(column)
    expected = [12.0, math.nan, math.nan, 12.0, math.nan, math.nan, 12.192, 12.0]
    np.testing.assert_allclose(parsed.values, expected)
    assert list(parsed.reasons) == [
        None, "not a number", None, None, "negative", "over 1000 m", None, None,
    ]  # fmt: skip
    assert parsed.rejected_counts("height") == {
        "height: not a number": 1,
        "height: negative": 1,
        "height: over 1000 m": 1,
    }


def test_numeric_and_string_dtype_columns() -> None:
    numbers = parse_heights(pd.Series([10.0, np.nan, -2.0, 0.0, 2000.0, np.inf]))
    np.testing.assert_allclose(numbers.values, [10.0, np.nan, np.nan, np.nan, np.nan, np.nan])
    assert list(numbers.reasons) == [None, None, "negative", "zero", "over 1000 m", "not finite"]
    assert numbers.values.dtype == np.float64
    strings = parse_heights(pd.Series(["5 m", None, "x"], dtype="string"))
    np.testing.assert_allclose(strings.values, [5.0, np.nan, np.nan])
    assert list(strings.reasons) == [None, None, "not a number"]
    levels = parse_levels_column(pd.Series([3, 250, -1], dtype="Int64"))
    np.testing.assert_allclose(levels.values, [3.0, np.nan, np.nan])
    assert parse_heights([]).values.shape == (0,)


def test_many_rows_parse_through_their_distinct_values() -> None:
    column = pd.Series(["12 m", "9", None, "abc"] * 50_000, dtype=object)
    parsed = parse_heights(column)
    assert parsed.values.shape == (200_000,)
    assert parsed.rejected_counts() == {"not a number": 50_000}
    np.testing.assert_allclose(parsed.values[:4], [12.0, 9.0, np.nan, np.nan])


def test_type_defaults() -> None:
    assert TYPE_DEFAULT_HEIGHTS["house"] == 6.5
    assert TYPE_DEFAULT_HEIGHTS["apartments"] == TYPE_DEFAULT_HEIGHTS["residential"] == 12.0
    assert TYPE_DEFAULT_HEIGHTS["garage"] == TYPE_DEFAULT_HEIGHTS["shed"] == 3.0
    heights = type_default_heights(["house", " Church ", "yes", None, "hospital"], 5, 9.5)
    np.testing.assert_allclose(heights, [6.5, 15.0, 9.5, 9.5, 15.0])
    np.testing.assert_allclose(type_default_heights(None, 3, 7.0), [7.0, 7.0, 7.0])


def test_building_heights_prefer_attribute_then_levels_then_type() -> None:
    table = pd.DataFrame(
        {
            "HEIGHT": ["20", "abc", None, None, "-4"],
            "Building:Levels": ["9", "3", "2", None, None],
            "building": ["yes", "yes", "house", "house", "farm_auxiliary"],
        }
    )
    heights, sources, rejected = building_heights(table, storey_height=3.0, default_height=8.0)
    np.testing.assert_allclose(heights, [20.0, 9.0, 6.0, 6.5, 5.0])
    assert list(sources) == ["attribute", "levels", "levels", "type default", "type default"]
    assert rejected == {"height: not a number": 1, "height: negative": 1}


def test_building_heights_read_osm_tags_from_other_tags() -> None:
    table = pd.DataFrame(
        {
            "building": ["yes", "yes", "yes", None],
            "other_tags": [
                '"height"=>"12","building:levels"=>"3"',
                '"name"=>"A \\"quoted\\" => name","building:levels"=>"4"',
                '"roof:height"=>"99"',  # not "height"
                None,
            ],
        }
    )
    heights, sources, rejected = building_heights(table, storey_height=3.2, default_height=9.0)
    np.testing.assert_allclose(heights, [12.0, 12.8, 9.0, 9.0])
    assert list(sources) == ["attribute", "levels", "type default", "type default"]
    assert rejected == {}


def test_named_attributes() -> None:
    table = pd.DataFrame({"h_total": [15.0, np.nan], "floors_x": ["2", "5"], "height": [1, 1]})
    heights, sources, _ = building_heights(
        table,
        storey_height=3.0,
        default_height=9.0,
        height_attribute="h_total",
        levels_attribute="floors_x",
    )
    np.testing.assert_allclose(heights, [15.0, 15.0])
    assert list(sources) == ["attribute", "levels"]
    with pytest.raises(MissingAttributeError, match="has no attribute 'nope'.*h_total"):
        building_heights(table, storey_height=3.0, default_height=9.0, height_attribute="nope")
