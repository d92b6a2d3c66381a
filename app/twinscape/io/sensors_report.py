"""What reading a sensor table found: :class:`SensorsReport`, and :class:`SensorsRead`,
the data in the target CRS together with that report.

Nothing is dropped silently: rows that cannot be read are counted with their places
(editor lines of a CSV, the header being line 1; rows of a Parquet file), and so are
gaps, duplicates, local times resolved around daylight-saving changes and stations
without coordinates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from twinscape.model.sensor_data import SensorData

#: Places (line or row numbers) listed per problem in the report.
SHOWN = 5


@dataclass(frozen=True)
class SensorsReport:
    """What reading found besides the data.

    ``where`` is ``"line"`` (CSV: editor lines) or ``"row"`` (Parquet: 1-based rows);
    ``malformed`` holds (what was not read and why, count, first places).
    """

    rows: int
    observations: int
    stations: int
    where: str = "line"
    malformed: tuple[tuple[str, int, tuple[int, ...]], ...] = ()
    non_finite: int = 0
    duplicates: int = 0
    duplicate_places: tuple[int, ...] = ()
    unknown_stations: tuple[str, ...] = ()
    unknown_rows: int = 0
    ambiguous_times: int = 0
    nonexistent_times: int = 0
    naive_utc: int = 0
    notes: tuple[str, ...] = ()

    def _at(self, places: Sequence[int], count: int) -> str:
        shown = ", ".join(str(p) for p in places[:SHOWN]) + (", ..." if count > SHOWN else "")
        return f"{self.where}{'s' if count > 1 else ''} {shown}"

    def warnings(self) -> list[str]:
        """One line per problem found (none for a clean table)."""
        out = [f"{n} {why} ({self._at(at, n)})" for why, n, at in self.malformed]
        if self.non_finite:
            out.append(f"{self.non_finite} empty or non-finite values (NaN, inf) kept as gaps")
        if self.duplicates:
            at = self._at(self.duplicate_places, self.duplicates)
            out.append(
                f"{self.duplicates} duplicate observations (same station, quantity and "
                f"time) not read, the first kept ({at})"
            )
        if self.unknown_rows:
            out.append(
                f"{self.unknown_rows} observations of {len(self.unknown_stations)} "
                "stations without coordinates not read "
                f"({', '.join(self.unknown_stations[:SHOWN])})"
            )
        if self.ambiguous_times:
            out.append(
                f"{self.ambiguous_times} local times occur twice (clocks went back): "
                "read as the earlier instant first in each series, then the later"
            )
        if self.nonexistent_times:
            out.append(
                f"{self.nonexistent_times} local times fall in a daylight-saving gap: "
                "read with the offset before the change"
            )
        if self.naive_utc:
            out.append(
                f"{self.naive_utc} times without a time zone read as UTC "
                "(set mapping.timezone if they are local)"
            )
        return out + list(self.notes)

    def lines(self) -> list[str]:
        """A summary line, then :meth:`warnings`."""
        head = f"{self.rows} rows: {self.observations} observations of {self.stations} stations"
        return [head, *self.warnings()]


@dataclass(frozen=True, eq=False)
class SensorsRead:
    """:func:`~twinscape.io.sensors_table.read_sensors`' result:
    the data in ``target_crs`` and what reading found."""

    data: SensorData
    source_crs: str
    target_crs: str
    report: SensorsReport
