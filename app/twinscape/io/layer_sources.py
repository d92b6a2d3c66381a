"""Helpers for kinds whose layers come from a file: names, paths and assumed CRSs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from twinscape.geo.crs import normalize_crs
from twinscape.io.file_checks import resolve_path
from twinscape.io.toml_schema import TableReader


def layer_name(path: Path) -> str:
    """The file name without its suffixes (``n31e035.hgt.zip`` -> ``n31e035``)."""
    name = path.name
    for suffix in reversed(path.suffixes):
        name = name[: -len(suffix)] if name.endswith(suffix) else name
    return name or path.name


def source_path(table: TableReader, folder: Path, key: str = "source") -> Path:
    """A file key of a layer table (``source``) as an absolute path.

    Symbolic links are resolved where they can be; a link that loops is kept as written,
    so that its reader says so in one line. A NUL character is refused here.
    """
    text = table.string(key)
    if "\0" in text:
        raise table.fail(key, "holds a NUL character, which no file name can")
    source = Path(text)
    return source if source.is_absolute() else resolve_path(folder / source)


def relative_path(source: Path, folder: Path) -> str:
    """``source`` relative to ``folder`` with forward slashes (absolute on another drive)."""
    try:
        return Path(os.path.relpath(source, folder)).as_posix()
    except ValueError:  # another drive on Windows
        return Path(source).as_posix()


def assumed_crs(table: TableReader) -> str | None:
    """The ``assume_crs`` key of a layer table, checked (None when absent)."""
    crs = table.string("assume_crs", None)
    if crs is not None:
        try:
            normalize_crs(crs)
        except ValueError as err:
            raise table.fail("assume_crs", str(err)) from err
    return crs


def source_table(source: Path, folder: Path, assume_crs: str | None = None) -> dict[str, Any]:
    """The ``source`` (relative to ``folder``) and ``assume_crs`` (when set) keys of a table."""
    table: dict[str, Any] = {"source": relative_path(source, folder)}
    if assume_crs:
        table["assume_crs"] = assume_crs
    return table
