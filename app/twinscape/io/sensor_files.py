"""Sensor table files: checked before they are opened, then read whole (CSV or Parquet).

A ``stat`` first refuses pipes, devices and files over :data:`MAX_BYTES`; a Parquet file
is known by its suffix or content and read through pyarrow, anything else is text
(UTF-8 or Windows-1252; comma, semicolon or tab separated) read through pandas' C
parser with every cell kept as text and every row's editor line noted.
"""

from __future__ import annotations

import codecs
import csv
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from twinscape.io.file_checks import check_regular_file, read_head
from twinscape.model.errors import ReaderError

#: Observation tables this reader opens (by suffix; a Parquet file is also known by content).
TABLE_EXTENSIONS: tuple[str, ...] = (".csv", ".tsv", ".parquet")
#: Larger files are refused: a table is read into memory whole.
MAX_BYTES = 2 * 1024**3
_PARQUET = (".parquet", ".pq")
_SKIPPED = re.compile(r"Skipping line (\d+)")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_TABLE_HINT = "save it as a UTF-8 CSV or Parquet table"


def check_file(path: Path) -> None:
    """ReaderError unless ``path`` is a non-empty regular file within :data:`MAX_BYTES`
    (by ``stat`` only: a FIFO or a device is never opened)."""
    check_regular_file(
        path,
        hint="give a CSV or Parquet table",
        max_bytes=MAX_BYTES,
        limit_hint="split it into several files (e.g. by month)",
    )


def is_parquet(path: Path, head: bytes) -> bool:
    """By its suffix, or by the ``PAR1`` magic of a file named otherwise."""
    return path.name.lower().endswith(_PARQUET) or head[:4] == b"PAR1"


def text_encoding(path: Path, head: bytes) -> str:
    """``utf-8-sig``, else ``cp1252`` (an Excel export); ReaderError for binary data."""
    if b"\0" in head:
        raise ReaderError(path, "holds binary data, not a text table", hint=_TABLE_HINT)
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            decoded = codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        if not _CONTROL.search(decoded):
            return encoding
    raise ReaderError(path, "is not text (neither UTF-8 nor Windows-1252)", hint=_TABLE_HINT)


def _delimiter(header: str) -> str:
    return max((",", ";", "\t"), key=header.count)


def header_of(path: Path) -> list[str] | None:
    """Column names of a regular file (a CSV's first line, a Parquet schema); None if unreadable."""
    head = read_head(path, 65536)
    if head is None:
        return None
    try:
        if is_parquet(path, head):
            return list(pq.read_schema(path).names)
        first = head.decode(text_encoding(path, head), errors="replace").splitlines()[:1]
        return next(csv.reader(first, delimiter=_delimiter(first[0]))) if first else None
    except (OSError, ReaderError, pa.ArrowException, StopIteration):
        return None


def read_table(path: Path) -> tuple[pd.DataFrame, np.ndarray, str, dict[str, np.ndarray]]:
    """A CSV or Parquet table read whole (CSV cells as text).

    Returns
    -------
    (frame, places, where, problems)
        The rows; the place of each (``where`` says ``"line"``: the editor line a CSV row
        starts on, the header being line 1; or ``"row"``: 1-based Parquet rows); and the
        places of lines the parser could not read or that are blank, by reason.
    """
    check_file(path)
    with open(path, "rb") as handle:
        head = handle.read(65536)
    if is_parquet(path, head):
        try:
            frame = pq.read_table(path).to_pandas()
        except (pa.ArrowException, OSError) as err:
            problem = " ".join(str(err).split())[:160]
            raise ReaderError(
                path,
                f"is not a readable Parquet file: {problem}",
                hint="it may be truncated or corrupt: write it again",
            ) from err
        if frame.empty:
            raise ReaderError(path, "has no rows")
        return frame, np.arange(1, len(frame) + 1), "row", {}
    encoding = text_encoding(path, head)
    sep = _delimiter(head.decode(encoding, errors="replace").partition("\n")[0])
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame = pd.read_csv(
                path,
                sep=sep,
                dtype=str,
                keep_default_na=False,
                encoding=encoding,
                skip_blank_lines=False,
                on_bad_lines="warn",
            )
    except pd.errors.EmptyDataError:
        raise ReaderError(path, "has no header line") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as err:
        problem = " ".join(str(err).split()).replace("C error: ", "")[:160]
        raise ReaderError(path, f"cannot be read as a table: {problem}", hint=_TABLE_HINT) from err
    skipped = sorted(int(n) for w in caught for n in _SKIPPED.findall(str(w.message)))
    places, skipped_at = _line_numbers(frame, skipped)
    blank = (frame == "").all(axis=1).to_numpy()
    if blank.all():
        raise ReaderError(path, "has a header but no rows")
    problems = {
        "lines not read: wrong number of fields": skipped_at,
        "blank lines ignored": places[blank],
    }
    return frame[~blank].reset_index(drop=True), places[~blank], "line", problems


def _line_numbers(frame: pd.DataFrame, skipped: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Editor lines of the rows and of the records pandas skipped (it numbers records:
    a quoted cell holding newlines moves every later record down by as many lines)."""
    newlines = np.zeros(len(frame), np.int64)
    for column in frame.columns:
        has = frame[column].str.contains("\n", regex=False).to_numpy(bool, na_value=False)
        if has.any():
            newlines[has] += frame[column][has].str.count("\n").to_numpy(np.int64)
    records = np.arange(2, len(frame) + len(skipped) + 2)
    rows = records[~np.isin(records, skipped)]
    before = np.concatenate([[0], np.cumsum(newlines)])
    skipped_at = np.asarray(skipped, np.int64)
    return rows + before[:-1], skipped_at + before[np.searchsorted(rows, skipped_at)]
