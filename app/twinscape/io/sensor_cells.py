"""Sensor table cells as text and as numbers.

:func:`text` gives a column's cells as stripped text (ids without a stray ``.0``);
:func:`parse_numbers` reads values (a decimal comma too) and says which cells are blank,
not numbers, or not finite. Times are read by sensor_times.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_NAN_WORDS = frozenset({"nan", "inf", "+inf", "-inf", "infinity", "-infinity", "+infinity"})


def text(values: pd.Series) -> pd.Series:
    """Cells as stripped text, ``""`` where missing; whole floats without ``.0`` (ids)."""
    if pd.api.types.is_float_dtype(values.dtype):
        whole = values.notna() & (values % 1 == 0)
        out = values.astype(object).where(~whole, values.where(whole, 0).astype("int64"))
        return out.where(values.notna(), "").astype(str)
    if isinstance(values.dtype, pd.StringDtype):
        return values.fillna("").str.strip()
    return values.astype(object).where(values.notna(), "").astype(str).str.strip()


@dataclass(frozen=True)
class Numbers:
    """float64 values (NaN where non-finite), and where cells are not numbers or blank."""

    values: np.ndarray
    bad: np.ndarray
    empty: np.ndarray
    non_finite: np.ndarray


def parse_numbers(values: pd.Series) -> Numbers:
    """The numbers of a column; a decimal comma (``"12,5"``) is read as a point."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        out = values.to_numpy(dtype=np.float64, na_value=np.nan)
        empty = values.isna().to_numpy()
        bad = np.zeros(len(out), bool)
    else:
        cells = text(values)
        empty = (cells == "").to_numpy()
        try:  # pyarrow's cast is fast when every cell is a plain number
            array = pa.array(cells.to_numpy(object), pa.string(), mask=empty)
            parsed = pd.Series(pc.cast(array, pa.float64()).to_numpy(zero_copy_only=False))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            parsed = pd.to_numeric(cells, errors="coerce").reset_index(drop=True)
            comma = (parsed.isna() & cells.str.contains(",", regex=False)).to_numpy()
            if comma.any():
                decimals = cells[comma].str.replace(",", ".", regex=False)
                parsed[comma] = pd.to_numeric(decimals, errors="coerce").to_numpy()
        out = parsed.to_numpy(dtype=np.float64, na_value=np.nan)
        words = cells.str.lower().isin(_NAN_WORDS).to_numpy()
        bad = np.isnan(out) & ~empty & ~words
    non_finite = ~np.isfinite(out) & ~bad & ~empty
    return Numbers(np.where(np.isfinite(out), out, np.nan), bad, empty, non_finite)
