"""The polygon layer of a footprint file, read with pyogrio: which layer, OSM's buildings,
the feature cap, and GDAL's errors as one line.

A file may hold several layers (a GeoPackage of roads and buildings, an OSM extract's
points, lines and multipolygons): the first polygon layer is read, and of an OSM
extract only the multipolygons tagged ``building``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
import shapely

from twinscape.model.errors import ReaderError

#: More features than this are refused (a country-size file; clip it first).
MAX_FEATURES = 3_000_000
#: What to give the buildings reader, said when a file holds no footprints.
VECTOR_HINT = "add building footprints (GeoPackage, GeoJSON, Shapefile, FlatGeobuf, OSM)"

_GDAL_ERRORS = (
    pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, shapely.errors.GEOSException,
)  # fmt: skip
_CORRUPT_HINT = "it may be truncated or corrupt: check it with ogrinfo, or export it again"
_OSM_BUILDINGS = "building IS NOT NULL AND building <> 'no'"


def read_polygon_layer(
    path: Path,
) -> tuple[dict[str, Any], np.ndarray | None, np.ndarray, pd.DataFrame]:
    """Meta, feature ids, WKB and attribute table of the first polygon layer.

    Raises
    ------
    ReaderError
        GDAL cannot read the file, it has no polygon layer, no features (no buildings in
        an OSM extract) or more than :data:`MAX_FEATURES`.
    """
    with _gdal_errors(path, "GDAL cannot read it as vector data"):
        layers = pyogrio.list_layers(path)
        layer = _pick_layer(path, [(str(n), t) for n, t in layers])
        info = pyogrio.read_info(path, layer=layer)
        if info["features"] > MAX_FEATURES:
            raise ReaderError(
                path,
                f"has {info['features']:,} features, more than the {MAX_FEATURES:,} "
                "Twinscape reads",
                hint="clip it to the area you need, e.g. ogr2ogr -spat xmin ymin xmax ymax",
            )
        where = _OSM_BUILDINGS if info["driver"] == "OSM" else None
        with warnings.catch_warnings():  # GDAL's notes on odd rings: counted as drops later
            warnings.simplefilter("ignore", RuntimeWarning)
            meta, fids, wkb, fields = pyogrio.raw.read(
                path, layer=layer, return_fids=True, where=where
            )
    if len(wkb) == 0:
        what = "no buildings" if where else "no features"
        raise ReaderError(path, f"has {what} (layer {layer!r})", hint=VECTOR_HINT)
    names = [str(n) for n in meta["fields"]]
    table = pd.DataFrame(dict(zip(names, fields)), index=pd.RangeIndex(len(wkb)))
    return meta, (np.asarray(fids) if fids is not None else None), np.asarray(wkb), table


@contextmanager
def _gdal_errors(path: Path, problem: str) -> Iterator[None]:
    """Turn pyogrio/GDAL/GEOS exceptions into a one-line :class:`ReaderError`."""
    try:
        yield
    except _GDAL_ERRORS as err:
        message = " ".join(str(err).replace(str(path), path.name).split())
        message = message.rsplit("failed: ", 1)[-1]  # sqlite: drop the failed statement
        first, _, rest = message.partition("; ")
        message = first if rest == first else message
        if len(message) > 160:
            message = message[:157] + "..."
        raise ReaderError(path, f"{problem}: {message.rstrip('.')}", hint=_CORRUPT_HINT) from err


def _pick_layer(path: Path, layers: Sequence[tuple[str, Any]]) -> str:
    """The first polygon layer, else the first of unknown/mixed geometry type."""
    spatial = [(name, str(kind)) for name, kind in layers if kind is not None]
    for name, kind in spatial:
        if "polygon" in kind.lower() or "surface" in kind.lower():
            return name
    for name, kind in spatial:
        if kind.lower() in ("unknown", "geometry", "geometrycollection"):
            return name
    if not spatial:
        raise ReaderError(path, "has no layer with geometries", hint=VECTOR_HINT)
    shown = ", ".join(f"{name} ({kind})" for name, kind in spatial[:5])
    raise ReaderError(path, f"has no polygon layer, only {shown}", hint=VECTOR_HINT)
