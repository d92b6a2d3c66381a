"""Recording live observations to Parquet, so a session replays with the same sensors layer.

A Parquet file is readable only once its footer is written, at close: a process that dies
with a ParquetWriter open leaves nothing readable. So :class:`LiveRecorder` writes each
flushed batch (every ``flush_rows`` rows or ``flush_s`` seconds) as a complete small Parquet
file in ``<path>.parts/`` (temp file, fsync, rename), and :meth:`LiveRecorder.close` merges
the file already at ``path`` (a recording is appended to) and the parts, one row group each,
with a ParquetWriter into ``path`` (temp, fsync, rename). A crash loses at most the last
unflushed batch; :func:`recover` (also run when a recorder opens ``path``) finishes the job.

Columns, long format: ``time`` timestamp[ns, UTC], ``sensor_id`` string, ``quantity``
string, ``value`` float64.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from twinscape.model.errors import ReaderError

if TYPE_CHECKING:
    from twinscape.io.mqtt_feed import LiveObservation

log = logging.getLogger(__name__)

#: The long-format columns of recordings and simulated histories.
SCHEMA = pa.schema(
    [
        ("time", pa.timestamp("ns", tz="UTC")),
        ("sensor_id", pa.string()),
        ("quantity", pa.string()),
        ("value", pa.float64()),
    ]
)
COMPRESSION = "zstd"


def parts_dir(path: Path) -> Path:
    """Where the flushed batches of a recording to ``path`` wait for the merge."""
    return path.with_name(path.name + ".parts")


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_atomic(path: Path, tables: Iterable[pa.Table], schema: pa.Schema = SCHEMA) -> int:
    """Write tables as row groups of one Parquet file at ``path`` (temp, fsync, rename)."""
    tmp = path.with_name(path.name + ".tmp")
    rows = 0
    with pq.ParquetWriter(tmp, schema, compression=COMPRESSION) as writer:
        for table in tables:
            if table.num_rows:
                writer.write_table(table.select(schema.names).cast(schema))
                rows += table.num_rows
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)
    return rows


def write_table(path: str | os.PathLike[str], table: pa.Table) -> Path:
    """Write a long-format table as one Parquet file: the :data:`SCHEMA` columns first,
    then any others of ``table`` (a ``unit`` column, say)."""
    path = Path(path)
    extra = [table.schema.field(n) for n in table.column_names if n not in SCHEMA.names]
    _write_atomic(path, [table], pa.schema([*SCHEMA, *extra]))
    return path


def _check_recording(path: Path) -> None:
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowException) as err:
        raise ReaderError(path, f"cannot append: not a Parquet file ({err})",
                          hint="record to a new file") from None
    missing = [name for name in SCHEMA.names if name not in schema.names]
    if missing:
        raise ReaderError(path, f"cannot append: no column(s) {', '.join(missing)}",
                          hint="record to a new file")


def _row_groups(path: Path) -> Iterable[pa.Table]:
    if path.is_file():
        parquet = pq.ParquetFile(path)
        for index in range(parquet.num_row_groups):
            yield parquet.read_row_group(index, columns=SCHEMA.names)


def _merge(path: Path, parts: list[Path]) -> int:
    def tables() -> Iterable[pa.Table]:
        yield from _row_groups(path)
        for part in parts:
            yield pq.read_table(part, columns=SCHEMA.names)

    return _write_atomic(path.with_name(path.name + ".merged"), tables())


def recover(path: str | os.PathLike[str]) -> Path | None:
    """Finish a recording to ``path`` that a crash interrupted; None when there was none.

    Merges the flushed batches left in ``<path>.parts/`` into ``path``. Safe to run at any
    time, and again after a crash during recovery.
    """
    path = Path(path)
    parts, done = parts_dir(path), path.with_name(path.name + ".parts.done")
    merged = path.with_name(path.name + ".merged")
    if done.is_dir():  # a merge finished writing: complete it, never merge twice
        if merged.is_file():
            os.replace(merged, path)
        shutil.rmtree(done, ignore_errors=True)
    if not parts.is_dir():
        return None
    files = sorted(p for p in parts.glob("part-*.parquet") if p.is_file())
    for leftover in parts.glob("*.tmp"):
        leftover.unlink(missing_ok=True)
    if files:
        _merge(path, files)
        os.replace(parts, done)
        os.replace(merged, path)
    shutil.rmtree(done if files else parts, ignore_errors=True)
    return path


class LiveRecorder:
    """Append observations to a Parquet recording from any thread.

    Parameters
    ----------
    path
        The recording; an existing one is appended to.
    flush_rows, flush_s
        A batch is written when it holds ``flush_rows`` rows or is ``flush_s`` seconds old
        (a background thread flushes quiet feeds).
    """

    def __init__(
        self, path: str | os.PathLike[str], *, flush_rows: int = 10_000, flush_s: float = 5.0
    ) -> None:
        self.path = Path(path)
        if self.path.exists() and not self.path.is_file():
            raise ReaderError(self.path, "cannot record: not a regular file")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        recover(self.path)
        if self.path.is_file():
            _check_recording(self.path)
        self._parts = parts_dir(self.path)
        self._parts.mkdir(exist_ok=True)
        self.flush_rows, self.flush_s = int(flush_rows), float(flush_s)
        self._lock = threading.Lock()
        self._columns: tuple[list[int], list[str], list[str], list[float]] = ([], [], [], [])
        self._oldest: float | None = None
        self._part = 0
        self.rows_written = 0
        self._closed = False
        self._wake = threading.Event()
        self._timer = threading.Thread(target=self._flush_loop, name="twinscape-recorder",
                                       daemon=True)
        self._timer.start()

    def append(self, observations: Iterable[LiveObservation]) -> None:
        """Buffer observations; flush when the batch is full or old."""
        with self._lock:
            if self._closed:
                raise ValueError(f"{self.path}: the recording is closed")
            times, ids, quantities, values = self._columns
            for obs in observations:
                times.append(obs.time_ns)
                ids.append(obs.sensor_id)
                quantities.append(obs.quantity)
                values.append(obs.value)
            if self._oldest is None and times:
                self._oldest = time.monotonic()
            due = len(times) >= self.flush_rows or (
                self._oldest is not None and time.monotonic() - self._oldest >= self.flush_s
            )
            if due:
                self._flush_locked()

    def flush(self) -> int:
        """Write the buffered rows now; returns how many."""
        with self._lock:
            return self._flush_locked()

    def close(self) -> Path:
        """Flush, merge everything into ``path`` and return it (idempotent)."""
        with self._lock:
            if self._closed:
                return self.path
            self._flush_locked()
            self._closed = True
        self._wake.set()
        self._timer.join()
        recover(self.path)
        if not self.path.exists():  # nothing was recorded: still leave a readable file
            _write_atomic(self.path, [])
        return self.path

    def __enter__(self) -> LiveRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _flush_locked(self) -> int:
        times, ids, quantities, values = self._columns
        rows = len(times)
        if rows == 0:
            return 0
        table = pa.table(
            [
                pa.array(times, pa.timestamp("ns", tz="UTC")),
                pa.array(ids, pa.string()),
                pa.array(quantities, pa.string()),
                pa.array(values, pa.float64()),
            ],
            schema=SCHEMA,
        )
        self._part += 1
        name = f"part-{time.time_ns():020d}-{self._part:06d}.parquet"
        _write_atomic(self._parts / name, [table])
        self._columns = ([], [], [], [])
        self._oldest = None
        self.rows_written += rows
        return rows

    def _flush_loop(self) -> None:
        while not self._wake.wait(self.flush_s / 2 if self.flush_s > 0 else 1.0):
            with self._lock:
                if self._closed:
                    return
                due = self._oldest is not None and time.monotonic() - self._oldest >= self.flush_s
                if due:
                    try:
                        self._flush_locked()
                    except OSError:
                        log.exception("flushing %s", self.path)
