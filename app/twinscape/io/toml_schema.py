"""Small typed accessors for validating parsed TOML tables with precise error keys, and
settings dataclasses (styles, placements) read from and written to such tables."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

from twinscape.model.errors import ProjectFileError

_MISSING = object()
_Settings = TypeVar("_Settings")


def _as_float(value: Any) -> float | None:
    """``value`` as a finite float, or None when it is no number or none a float holds
    (bool, nan, inf, an integer of hundreds of digits)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _shown(value: Any) -> str:
    """``repr(value)`` cut to a readable length (a 400-digit integer)."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:20]}...({len(text)} characters)"


@dataclass
class TableReader:
    """Reads keys of one TOML table, naming ``file [key]`` in every error.

    Parameters
    ----------
    path
        The file being read (for messages).
    table
        The parsed table.
    where
        Dotted location of the table (``""`` for the root, ``layers[0]``).
    warnings
        Shared list that unknown keys are reported to.
    """

    path: Path
    table: dict[str, Any]
    where: str
    warnings: list[str] = field(default_factory=list)

    def key(self, name: str) -> str:
        """Dotted key of ``name`` inside this table."""
        return f"{self.where}.{name}" if self.where else name

    def fail(self, name: str, problem: str) -> ProjectFileError:
        """Build the error for key ``name``."""
        return ProjectFileError(self.path, self.key(name), problem)

    def _get(self, name: str, default: Any) -> Any:
        value = self.table.get(name, _MISSING)
        if value is _MISSING:
            if default is _MISSING:
                raise self.fail(name, "is required but missing")
            return default
        return value

    def string(self, name: str, default: Any = _MISSING) -> str:
        """A non-empty string."""
        value = self._get(name, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, str) or not value.strip():
            raise self.fail(name, f"must be a non-empty string, got {value!r}")
        return value

    def boolean(self, name: str, default: Any = _MISSING) -> bool:
        """true or false."""
        value = self._get(name, default)
        if not isinstance(value, bool):
            raise self.fail(name, f"must be true or false, got {value!r}")
        return value

    def number(
        self,
        name: str,
        default: Any = _MISSING,
        *,
        low: float | None = None,
        high: float | None = None,
    ) -> float:
        """A finite number, optionally within ``low..high``."""
        value = self._get(name, default)
        number = _as_float(value)
        if number is None:
            raise self.fail(name, f"must be a finite number, got {_shown(value)}")
        if (low is not None and number < low) or (high is not None and number > high):
            raise self.fail(name, f"{number:g} is not within {low}..{high}")
        return number

    def vector(
        self, name: str, length: int, default: Any = _MISSING, *, limit: float | None = None
    ) -> tuple[float, ...]:
        """A list of ``length`` finite numbers, each within ``±limit`` when given."""
        value = self._get(name, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, list) or len(value) != length:
            raise self.fail(name, f"must be a list of {length} numbers, got {_shown(value)}")
        numbers = []
        for item in value:
            number = _as_float(item)
            if number is None:
                raise self.fail(name, f"must hold finite numbers only, got {_shown(item)}")
            if limit is not None and abs(number) > limit:
                raise self.fail(name, f"{number:g} is beyond \u00b1{limit:g}")
            numbers.append(number)
        return tuple(numbers)

    def raw(self, name: str, default: Any = _MISSING) -> Any:
        """The value as parsed, unchecked."""
        return self._get(name, default)

    def sub(self, name: str, *, required: bool = False) -> TableReader | None:
        """Reader for a sub-table, or None when absent and not required."""
        value = self.table.get(name, _MISSING)
        if value is _MISSING:
            if required:
                raise self.fail(name, "is required but missing")
            return None
        if not isinstance(value, dict):
            raise self.fail(name, f"must be a table, got {type(value).__name__}")
        return TableReader(self.path, value, self.key(name), self.warnings)

    def array_of_tables(self, name: str) -> list[TableReader]:
        """Readers for each table of an ``[[array]]`` (empty when absent)."""
        value = self.table.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(name, "must be an array of tables ([[...]])")
        return [
            TableReader(self.path, item, f"{self.key(name)}[{i}]", self.warnings)
            for i, item in enumerate(value)
        ]

    def warn_unknown(self, known: Iterable[str]) -> None:
        """Report keys this version does not know (they are not kept on save)."""
        for name in sorted(set(self.table) - set(known)):
            self.warnings.append(
                f"{self.path}: [{self.key(name)}] unknown key, ignored "
                "(it will not be kept when the project is saved)"
            )


def settings_from_table(
    table: TableReader | None,
    settings_type: type[_Settings],
    values: Callable[[TableReader, _Settings], dict[str, Any]],
) -> _Settings:
    """A settings dataclass (a style, a placement) from its sub-table.

    Parameters
    ----------
    table
        The sub-table; None (absent) gives the defaults.
    settings_type
        The dataclass; keys that are not its fields are warned about. It raises
        ``ValueError("<field>: <problem>")`` for a value it refuses.
    values
        ``values(table, defaults) -> {field: value}``: the table's values, read with
        the reader's checks and ``defaults`` for absent keys.

    Raises
    ------
    ProjectFileError
        From ``values``, or the dataclass's refusal naming the key it concerns.
    """
    if table is None:
        return settings_type()
    table.warn_unknown(f.name for f in fields(settings_type))  # type: ignore[arg-type]
    read = values(table, settings_type())
    try:
        return settings_type(**read)
    except ValueError as err:
        key, _, problem = str(err).partition(": ")
        raise table.fail(key, problem or str(err)) from err


def settings_to_table(settings: Any) -> dict[str, Any]:
    """The fields of a settings dataclass as a TOML table: None left out (TOML has no null),
    tuples as arrays."""
    table: dict[str, Any] = {}
    for f in fields(settings):
        value = getattr(settings, f.name)
        if value is not None:
            table[f.name] = list(value) if isinstance(value, tuple) else value
    return table
