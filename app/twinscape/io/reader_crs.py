"""The two CRSs of a reader: the one its file is in, and the metric one it reads into.

Every reader reprojects to the project CRS, or, for a project that has none yet, to
the UTM zone of the data's centre; these helpers decide both with errors that name
the file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from twinscape.geo.crs import (
    LonLatTransformer,
    crs_label,
    is_projected_metric,
    normalize_crs,
    utm_crs_for,
)
from twinscape.model.errors import CRSError, MissingCRSError


def file_crs(path: Path, crs: Any, assume_crs: str | None, *, hint: str) -> str:
    """The file's CRS, else ``assume_crs``, normalised.

    Parameters
    ----------
    crs
        What the file states (anything pyproj reads); empty when it states none.
    hint
        How to give the file a CRS, said when it has none or an unusable one.

    Raises
    ------
    MissingCRSError
        Neither the file nor ``assume_crs`` names a CRS.
    CRSError
        The CRS named is not one pyproj understands.
    """
    if not crs and not assume_crs:
        raise MissingCRSError(path, "has no coordinate reference system", hint=hint)
    try:
        return normalize_crs(crs or assume_crs)
    except ValueError as err:
        what, why = ("its CRS", hint) if crs else ("assume_crs", None)
        raise CRSError(path, f"{what} is unusable: {err}", hint=why) from err


def pick_target_crs(
    path: Path, source: Any, target_crs: str | None, centre: Callable[[], tuple[float, float]]
) -> str:
    """``target_crs`` checked to be projected in metres, or the UTM zone of the centre.

    Parameters
    ----------
    source
        The CRS of the data (its horizontal part is enough).
    target_crs
        The project's CRS; None picks the UTM zone of ``centre()``, a point in ``source``.

    Raises
    ------
    CRSError
        The centre cannot be placed on Earth, or ``target_crs`` is not projected in metres.
    """
    if target_crs is None:
        try:
            lon, lat = LonLatTransformer(source).to_lonlat(*centre())
            return utm_crs_for(lon, lat)
        except ValueError as err:  # a local (engineering) CRS, another planet...
            raise CRSError(
                path, f"cannot place its centre on Earth in {crs_label(source)}"
            ) from err
    try:
        target = normalize_crs(target_crs)
    except ValueError as err:
        raise CRSError(path, f"target CRS: {err}") from err
    if not is_projected_metric(target):
        raise CRSError(
            path,
            f"cannot use {crs_label(target)} as the target CRS: it is not projected in metres",
            hint="use a UTM zone, e.g. EPSG:32636",
        )
    return target
