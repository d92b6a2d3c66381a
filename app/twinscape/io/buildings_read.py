"""What a buildings reader returns, whatever the format (footprints or city models)."""

from __future__ import annotations

from dataclasses import dataclass

from twinscape.model.buildings import BuildingMesh, BuildingsReport


@dataclass(frozen=True)
class BuildingsRead:
    """Buildings read from one file and reprojected to the project CRS.

    Parameters
    ----------
    mesh
        The triangulated buildings (heights above their own ground in ``vertices[:, 2]``).
    report
        Counts of height sources, repairs and drops.
    source_crs
        The file's CRS (or the assumed one), normalised.
    target_crs
        The CRS of ``mesh`` (the project's, or the UTM zone picked for the data).
    """

    mesh: BuildingMesh
    report: BuildingsReport
    source_crs: str
    target_crs: str
