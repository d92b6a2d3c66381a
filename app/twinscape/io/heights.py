"""Parse building heights and level counts from attribute values, as people and OSM write them.

Values come as numbers or text: ``12``, ``"12 m"``, ``"12.5m"``, ``"40 ft"``, ``"40'"``,
``"40'6\\""``, ``"12,5"`` (decimal comma), ``"3;4"`` (several values: the largest sensible
one wins). Nonsense is rejected with a short reason (``"negative"``, ``"not a number"``...)
so a reader can count it instead of drawing a 1e9 m tower. Parsing works on the distinct
values of a column, so a column of 100,000 rows with a few hundred distinct texts is cheap.
:func:`building_heights` picks the columns (or OSM tags in ``other_tags``) of a building
table and decides each height: attribute, else levels x storey height, else type default.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

#: Heights above this many metres are rejected as absurd (the tallest building is 828 m).
MAX_HEIGHT_M = 1000.0
#: Level counts above this are rejected as absurd (the most storeys built is 163).
MAX_LEVELS = 200.0

FOOT_M = 0.3048
INCH_M = 0.0254

#: Typical heights (m) of OSM ``building=*`` types, used when a building has neither a
#: height nor a level count. Keys are lower case; unknown types (and ``yes``) get the
#: layer's default height.
TYPE_DEFAULT_HEIGHTS: dict[str, float] = {
    "house": 6.5, "detached": 6.5, "semidetached_house": 6.5, "terrace": 7.0, "bungalow": 4.0,
    "cabin": 3.5, "hut": 3.0, "farm": 6.5, "residential": 12.0, "apartments": 12.0,
    "dormitory": 12.0, "hotel": 18.0, "commercial": 8.0, "retail": 8.0, "supermarket": 7.0,
    "kiosk": 3.0, "industrial": 8.0, "warehouse": 8.0, "manufacture": 8.0, "hangar": 12.0,
    "office": 15.0, "government": 15.0, "public": 12.0, "civic": 12.0, "church": 15.0,
    "cathedral": 30.0, "chapel": 8.0, "mosque": 15.0, "temple": 12.0, "synagogue": 12.0,
    "school": 10.0, "kindergarten": 5.0, "university": 15.0, "college": 12.0, "hospital": 15.0,
    "train_station": 12.0, "transportation": 8.0, "stadium": 20.0, "sports_hall": 10.0,
    "parking": 9.0, "garage": 3.0, "garages": 3.0, "carport": 2.5, "shed": 3.0, "roof": 4.0,
    "service": 4.0, "barn": 7.0, "farm_auxiliary": 5.0, "greenhouse": 4.0, "cowshed": 5.0,
    "stable": 5.0, "silo": 15.0, "storage_tank": 10.0, "water_tower": 25.0,
    "transformer_tower": 6.0, "bunker": 3.0, "toilets": 3.0, "ruins": 4.0, "construction": 9.0,
}

_UNITS_M: dict[str, float] = {
    "": 1.0, "m": 1.0, "meter": 1.0, "meters": 1.0, "metre": 1.0, "metres": 1.0,
    "ft": FOOT_M, "feet": FOOT_M, "foot": FOOT_M, "'": FOOT_M, "\u2032": FOOT_M,  # prime
    '"': INCH_M, "in": INCH_M, "\u2033": INCH_M,  # double prime
}
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?|[+-]?(?:inf(?:inity)?|nan)"
_VALUE = re.compile(rf"^({_NUMBER})\s*([a-z'\"\u2032\u2033]*)$")
_FEET_INCHES = re.compile(r"^(\d+(?:\.\d+)?)\s*['\u2032]\s*(\d+(?:\.\d+)?)\s*[\"\u2033]$")
_SEPARATORS = re.compile(r"[;|]")

#: Attributes holding heights in metres, most specific first (matched ignoring case).
HEIGHT_COLUMNS: tuple[str, ...] = (
    "height", "building:height", "building_height", "bldg_height", "measuredheight",
    "measured_height", "height_m", "hoehe", "hauteur", "altura",
)  # fmt: skip
#: Attributes holding level (storey) counts.
LEVELS_COLUMNS: tuple[str, ...] = (
    "building:levels", "building_levels", "levels", "num_floors", "floors",
    "number_of_floors", "storeys", "stories", "storeysaboveground",
)  # fmt: skip
#: Attributes holding the kind of building (OSM ``building=*`` values and the like).
TYPE_COLUMNS: tuple[str, ...] = ("building", "building_type", "type", "use", "usage", "class")

# Reasons a value is rejected (per-row ``reasons`` entries).
NEGATIVE, ZERO, NOT_A_NUMBER, NOT_FINITE = "negative", "zero", "not a number", "not finite"
UNKNOWN_UNIT = "unknown unit"
TOO_HIGH = f"over {MAX_HEIGHT_M:g} m"
TOO_MANY_LEVELS = f"over {MAX_LEVELS:g} levels"


class Parsed(NamedTuple):
    """Values parsed from a column, row for row.

    Attributes
    ----------
    values
        float64 (n,): metres (heights) or level counts; NaN where there is no usable value.
    reasons
        object (n,): why a present value was rejected, or None (accepted or missing).
    """

    values: np.ndarray
    reasons: np.ndarray

    def rejected_counts(self, label: str = "") -> dict[str, int]:
        """Count rejections per reason, each key prefixed with ``label: `` when given."""
        present = [r for r in self.reasons if r is not None]
        keys, counts = np.unique(np.asarray(present, dtype=object).astype(str), return_counts=True)
        prefix = f"{label}: " if label else ""
        return {f"{prefix}{k}": int(c) for k, c in zip(keys, counts)}


def parse_height(value: Any) -> tuple[float, str | None]:
    """Parse one height in metres.

    Parameters
    ----------
    value
        A number, a text like ``"12"``, ``"12.5 m"``, ``"40 ft"``, ``"40'6\\""``, ``"12,5"``,
        ``"10;12"``, or None / NaN (missing).

    Returns
    -------
    (float, str | None)
        Metres and None when accepted; NaN and None when missing; NaN and the reason
        (:data:`NEGATIVE`, :data:`ZERO`, :data:`NOT_A_NUMBER`, :data:`NOT_FINITE`,
        :data:`UNKNOWN_UNIT`, :data:`TOO_HIGH`) when rejected.
    """
    return _parse(value, metres=True)


def parse_levels(value: Any) -> tuple[float, str | None]:
    """Parse one level count (``3``, ``"3.0"``, ``"2;3"`` -> 3.0); see :func:`parse_height`.

    Units are not accepted; zero, negative and more than :data:`MAX_LEVELS` are rejected.
    """
    return _parse(value, metres=False)


def parse_heights(values: pd.Series | Sequence[Any] | np.ndarray) -> Parsed:
    """Parse a column of heights (metres), vectorised over its distinct values.

    Parameters
    ----------
    values
        Numbers, texts or None; see :func:`parse_height`.

    Returns
    -------
    Parsed
        ``values`` in metres (NaN where missing or rejected) and per-row ``reasons``.
    """
    return _parse_column(values, metres=True)


def parse_levels_column(values: pd.Series | Sequence[Any] | np.ndarray) -> Parsed:
    """Parse a column of level counts, vectorised over its distinct values.

    Returns
    -------
    Parsed
        Level counts (NaN where missing or rejected) and per-row ``reasons``.
    """
    return _parse_column(values, metres=False)


def type_default_heights(types: Iterable[Any] | None, count: int, default: float) -> np.ndarray:
    """Heights from building types (:data:`TYPE_DEFAULT_HEIGHTS`), else ``default``.

    Parameters
    ----------
    types
        Building type per row (``"house"``, ``"Apartments "``...), or None for no column.
    count
        Number of rows (used when ``types`` is None).
    default
        Height of rows whose type is missing or unknown (``"yes"``).

    Returns
    -------
    float64 (count,)
    """
    if types is None:
        return np.full(count, float(default))
    series = pd.Series(list(types) if not isinstance(types, pd.Series) else types, dtype=object)
    keys = series.map(lambda v: v.strip().lower() if isinstance(v, str) else None)
    heights = keys.map(TYPE_DEFAULT_HEIGHTS).astype(np.float64).to_numpy(copy=True)
    heights[np.isnan(heights)] = float(default)
    return heights


class MissingAttributeError(KeyError):
    """An attribute named by the user is neither a column nor an OSM tag of the table."""

    def __init__(self, problem: str, hint: str) -> None:
        super().__init__(problem)
        self.problem, self.hint = problem, hint

    def __str__(self) -> str:
        return f"{self.problem}; {self.hint}"


def building_heights(
    table: pd.DataFrame,
    *,
    storey_height: float,
    default_height: float,
    height_attribute: str | None = None,
    levels_attribute: str | None = None,
) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Height of each row of a building table: its height, else levels, else its type.

    Attributes are matched ignoring case, then looked up as OSM tags in an ``other_tags``
    hstore column (``"height"=>"12","building:levels"=>"3"``, GDAL's OSM layout).

    Parameters
    ----------
    table
        Source attributes, one row per building.
    storey_height
        Metres per level.
    default_height
        Height when there is neither a height, a level count nor a known type.
    height_attribute, levels_attribute
        Attribute to use; None picks the first of :data:`HEIGHT_COLUMNS` /
        :data:`LEVELS_COLUMNS` that has values.

    Returns
    -------
    heights
        float64 (n,) metres, all finite and > 0.
    sources
        object (n,): ``"attribute"``, ``"levels"`` or ``"type default"`` per row.
    rejected
        Rejected values per ``"<attribute>: <reason>"``.

    Raises
    ------
    MissingAttributeError
        ``height_attribute`` or ``levels_attribute`` does not exist.
    """
    n = len(table)
    lookup = _Attributes(table)
    h_name, h_values = lookup.pick(height_attribute, HEIGHT_COLUMNS)
    l_name, l_values = lookup.pick(levels_attribute, LEVELS_COLUMNS)
    _, types = lookup.pick(None, TYPE_COLUMNS)
    empty = Parsed(np.full(n, math.nan), np.full(n, None, dtype=object))
    attr = parse_heights(h_values) if h_values is not None else empty
    levels = parse_levels_column(l_values) if l_values is not None else empty
    heights = attr.values.copy()
    sources = np.full(n, "attribute", dtype=object)
    use_levels = np.isnan(heights) & ~np.isnan(levels.values)
    heights[use_levels] = levels.values[use_levels] * storey_height
    sources[use_levels] = "levels"
    rest = np.isnan(heights)
    heights[rest] = type_default_heights(types, n, default_height)[rest]
    sources[rest] = "type default"
    rejected = {**attr.rejected_counts(h_name or ""), **levels.rejected_counts(l_name or "")}
    return heights, sources, rejected


class _Attributes:
    """Attribute columns by name (ignoring case), and OSM tags of an ``other_tags`` hstore."""

    def __init__(self, table: pd.DataFrame) -> None:
        self.table = table
        self.by_lower = {str(c).lower(): c for c in reversed(table.columns)}
        tags = table["other_tags"] if "other_tags" in table.columns else None
        self.tags = tags if tags is not None and tags.notna().any() else None

    def get(self, name: str) -> pd.Series | None:
        column = self.by_lower.get(name.lower())
        if column is not None:
            return self.table[column]
        if self.tags is None:
            return None
        pattern = rf'(?:^|,)\s*"{re.escape(name)}"=>"((?:[^"\\]|\\.)*)"'
        values = self.tags.astype(object).str.extract(pattern, expand=False)
        return values if values.notna().any() else None

    def pick(self, name: str | None, candidates: Sequence[str]) -> tuple[str | None, Any]:
        if name is not None:
            values = self.get(name)
            if values is None:
                shown = ", ".join(map(str, self.table.columns[:15]))
                raise MissingAttributeError(
                    f"has no attribute {name!r}", f"its attributes are: {shown}"
                )
            return name, values
        for candidate in candidates:
            values = self.get(candidate)
            if values is not None and values.notna().any():
                return candidate, values
        return None, None


def _parse_column(values: pd.Series | Sequence[Any] | np.ndarray, *, metres: bool) -> Parsed:
    """Parse the distinct values of a column once each and spread the results."""
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    n = len(series)
    if n and pd.api.types.is_numeric_dtype(series.dtype) and series.dtype != bool:
        numbers = series.to_numpy(dtype=np.float64, na_value=np.nan)
        return _check_numbers(numbers, metres=metres)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    parsed = [_parse(u, metres=metres) for u in uniques]
    unique_values = np.array([p[0] for p in parsed] + [math.nan], dtype=np.float64)
    unique_reasons = np.array([p[1] for p in parsed] + [None], dtype=object)
    return Parsed(unique_values[codes], unique_reasons[codes])


def _check_numbers(numbers: np.ndarray, *, metres: bool) -> Parsed:
    """Apply the sanity limits to numeric values (NaN = missing)."""
    limit, too_big = (MAX_HEIGHT_M, TOO_HIGH) if metres else (MAX_LEVELS, TOO_MANY_LEVELS)
    reasons = np.full(len(numbers), None, dtype=object)
    with np.errstate(invalid="ignore"):
        reasons[np.isinf(numbers)] = NOT_FINITE
        reasons[numbers < 0] = NEGATIVE
        reasons[numbers == 0] = ZERO
        reasons[np.isfinite(numbers) & (numbers > limit)] = too_big
    out = numbers.astype(np.float64, copy=True)
    out[reasons.astype(bool)] = math.nan
    return Parsed(out, reasons)


def _parse(value: Any, *, metres: bool) -> tuple[float, str | None]:
    """Parse one value: (number, None), (NaN, None) if missing, (NaN, reason) if rejected."""
    if value is None or value is pd.NA or value is pd.NaT:
        return math.nan, None
    if isinstance(value, bool):
        return math.nan, NOT_A_NUMBER
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        if math.isnan(number):
            return math.nan, None  # a null in a numeric column
        return _check(number, metres=metres)
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    text = str(value).strip().lower()
    if not text:
        return math.nan, None
    best, first_reason = math.nan, None
    for part in _SEPARATORS.split(text):
        number, reason = _parse_text(part.strip(), metres=metres)
        if reason is None:
            number, reason = _check(number, metres=metres)
        if reason is None:
            best = number if math.isnan(best) else max(best, number)
        elif first_reason is None:
            first_reason = reason
    if not math.isnan(best):
        return best, None
    return math.nan, first_reason or NOT_A_NUMBER


def _parse_text(text: str, *, metres: bool) -> tuple[float, str | None]:
    """A number and its unit from one part of a text (no limits applied)."""
    if "," in text and "." not in text and text.count(",") == 1:
        text = text.replace(",", ".")  # decimal comma: "12,5"
    if metres:
        match = _FEET_INCHES.match(text)
        if match:
            return float(match[1]) * FOOT_M + float(match[2]) * INCH_M, None
    match = _VALUE.match(text)
    if not match:
        return math.nan, NOT_A_NUMBER
    number, unit = float(match[1]), match[2]
    if not metres:
        return (number, None) if unit == "" else (math.nan, NOT_A_NUMBER)
    factor = _UNITS_M.get(unit)
    if factor is None:
        return math.nan, UNKNOWN_UNIT
    return number * factor, None


def _check(number: float, *, metres: bool) -> tuple[float, str | None]:
    """Apply the sanity limits to one number."""
    if math.isnan(number) or math.isinf(number):
        return math.nan, NOT_FINITE
    if number < 0:
        return math.nan, NEGATIVE
    if number == 0:
        return math.nan, ZERO
    if metres and number > MAX_HEIGHT_M:
        return math.nan, TOO_HIGH
    if not metres and number > MAX_LEVELS:
        return math.nan, TOO_MANY_LEVELS
    return number, None
