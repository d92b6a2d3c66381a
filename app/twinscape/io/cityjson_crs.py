"""The CRS of a CityJSON file (``metadata.referenceSystem``) and its buildings' vertices
moved into the project CRS.

CityJSON names its CRS by URL or URN (1.0: ``urn:ogc:def:crs:EPSG::7415``; 1.1 and 2.0:
``https://www.opengis.net/def/crs/EPSG/0/7415``, or a compound of two such URLs); the
EPSG code(s) in it are what is read. Only x and y are reprojected: heights stay metres
of the file's vertical datum.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
from pyproj import CRS, Transformer
from pyproj.exceptions import ProjError

from twinscape.geo.crs import crs_label, normalize_crs, same_crs
from twinscape.io.cityjson_geometry import RawBuilding
from twinscape.model.errors import CRSError, MissingCRSError

_EPSG = re.compile(r"EPSG(?::[^:,/]*:|/[^/]*/)(\d+)", re.IGNORECASE)
_NO_CRS_HINT = (
    'add metadata.referenceSystem (e.g. "https://www.opengis.net/def/crs/EPSG/0/7415"), or give '
    'its layer assume_crs = "EPSG:xxxx" in the project file'
)


def reference_system_crs(path: Path, header: dict[str, Any], assume_crs: str | None) -> str:
    """The file's CRS (the EPSG code(s) of ``metadata.referenceSystem``), else ``assume_crs``.

    Raises
    ------
    MissingCRSError
        The header names no CRS and ``assume_crs`` is None.
    CRSError
        The CRS named is not one pyproj understands.
    """
    metadata = header.get("metadata")
    reference = metadata.get("referenceSystem") if isinstance(metadata, dict) else None
    if reference in (None, ""):
        if not assume_crs:
            raise MissingCRSError(path, "states no CRS (no metadata.referenceSystem)",
                                  hint=_NO_CRS_HINT)
        candidate, what = assume_crs, "assume_crs"
    else:
        codes = _EPSG.findall(str(reference))
        candidate = f"EPSG:{'+'.join(codes[:2])}" if codes else str(reference)
        what = f"metadata.referenceSystem {str(reference)[:80]!r}"
    try:
        return normalize_crs(candidate)
    except ValueError as err:
        raise CRSError(path, f"{what} is not a usable CRS: {err}") from err


def building_centre(raws: list[RawBuilding]) -> tuple[float, float]:
    """The middle of the box around every building's vertices (x, y in the file's CRS)."""
    lo = np.min([r.vertices[:, :2].min(axis=0) for r in raws], axis=0)
    hi = np.max([r.vertices[:, :2].max(axis=0) for r in raws], axis=0)
    x, y = ((lo + hi) / 2).tolist()
    return x, y


def reproject_buildings(
    path: Path, horizontal: CRS, target: str, raws: list[RawBuilding]
) -> np.ndarray:
    """All buildings' vertices, in order, with x, y in ``target`` (z unchanged)."""
    xyz = np.concatenate([r.vertices for r in raws])
    if same_crs(horizontal, target):
        return xyz
    try:
        transformer = Transformer.from_crs(horizontal, target, always_xy=True)
        x, y = transformer.transform(xyz[:, 0], xyz[:, 1])
    except ProjError as err:
        raise CRSError(path, f"cannot reproject from {crs_label(horizontal)} to "
                       f"{crs_label(target)}: {err}") from err
    xyz = np.column_stack((x, y, xyz[:, 2]))
    if not np.isfinite(xyz).all():
        raise CRSError(path, f"its coordinates do not fit in {crs_label(target)}")
    return xyz
