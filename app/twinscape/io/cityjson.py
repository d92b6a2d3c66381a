"""Read CityJSON city models (1.0, 1.1, 2.0, and CityJSONSeq) into a buildings mesh.

One table row per ``Building``: its ``BuildingPart``s, ``BuildingInstallation``s and
``BuildingConstructiveElement``s (found through ``"parents"``/``"children"``) are drawn
with it and share its row and attributes; a part without a parent building is a row of
its own. Each building is drawn at the highest LoD present (see
:func:`twinscape.io.cityjson_geometry.collect_buildings`). Vertices are decompressed
with ``transform``, reprojected in x, y to the project CRS (z stays metres; see
io/cityjson_crs.py), triangulated (io/cityjson_mesh.py) and stored as heights above the
building's lowest point, which becomes its ``own_base`` (io/cityjson_table.py).
Files are opened only when they are regular files of at most :data:`MAX_FILE_BYTES`.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from twinscape.geo.crs import horizontal_crs
from twinscape.io.buildings_read import BuildingsRead
from twinscape.io.cityjson_crs import (
    building_centre,
    reference_system_crs,
    reproject_buildings,
)
from twinscape.io.cityjson_geometry import GeometryError, RawBuilding, Templates, collect_buildings
from twinscape.io.cityjson_table import assemble_buildings
from twinscape.io.file_checks import format_size, open_regular_file, read_head
from twinscape.io.progress import Cancelled, Progress, ProgressReporter
from twinscape.io.reader_crs import pick_target_crs
from twinscape.model.errors import LoadCancelled, ReaderError

#: File name endings of CityJSON (``.city.json``) and CityJSONSeq (``.city.jsonl``, ``.jsonl``).
CITYJSON_EXTENSIONS: tuple[str, ...] = (".city.json", ".city.jsonl", ".jsonl")
#: CityJSON versions read without a warning (a newer 1.x/2.x is read with one).
KNOWN_VERSIONS: tuple[str, ...] = ("1.0", "1.1", "2.0")
#: Larger files are refused (the whole document is held in memory).
MAX_FILE_BYTES = 2 * 1024**3

log = logging.getLogger(__name__)
_BLOCK = 1 << 24
_SNIFF = re.compile(rb'"type"\s*:\s*"CityJSON(?:Feature)?"')
_CORRUPT_HINT = "the file may be truncated or corrupt"
_STRUCTURE_ERRORS = (TypeError, AttributeError, KeyError, IndexError, ValueError)


def sniff_cityjson(path: str | os.PathLike[str]) -> float:
    """How sure it is that a file is CityJSON/CityJSONSeq, from its name and first 4 KB.

    Returns
    -------
    float
        1.0 when ``"type": "CityJSON"`` or ``"CityJSONFeature"`` is in the first 4 KB;
        else 0.9 for a ``.city.json``/``.city.jsonl`` name and 0.5 for ``.jsonl`` or for
        ``"CityObjects"`` in the head (so that :func:`read_cityjson` explains what is wrong
        with such a file); else 0.0. Only regular files are opened (a FIFO never blocks).
    """
    name = Path(path).name.lower()
    by_name = 0.9 if name.endswith((".city.json", ".city.jsonl")) else (
        0.5 if name.endswith(".jsonl") else 0.0)
    head = read_head(path)
    if head is None:
        return by_name
    if _SNIFF.search(head):
        return 1.0
    return max(by_name, 0.5 if b'"CityObjects"' in head else 0.0)


def read_cityjson(
    path: str | os.PathLike[str],
    *,
    target_crs: str | None,
    assume_crs: str | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> BuildingsRead:
    """Read the buildings of a CityJSON or CityJSONSeq file.

    Parameters
    ----------
    path
        ``.city.json``/``.json`` (CityJSON 1.0, 1.1, 2.0) or ``.city.jsonl``/``.jsonl``
        (CityJSONSeq: a CityJSON header line, then one CityJSONFeature a line).
    target_crs
        Projected, metric CRS of the result; None picks the UTM zone of the data's centre.
    assume_crs
        CRS of a file whose ``metadata.referenceSystem`` is missing.
    progress
        Called with a non-decreasing fraction 0..1; ends with 1.0.
    cancelled
        Polled while reading; returning True raises :class:`LoadCancelled`.

    Raises
    ------
    ReaderError
        Missing, special, oversized, non-JSON, truncated or non-CityJSON file; an
        unsupported version; corrupt geometry (naming the CityObject); no buildings.
    MissingCRSError
        The file states no CRS and ``assume_crs`` is None.
    CRSError
        Unusable CRS, or ``target_crs`` not projected in metres.
    LoadCancelled
        ``cancelled()`` returned True.
    """
    path = Path(path)
    reporter = ProgressReporter(path, progress, cancelled)
    reporter.step(0.0)
    opened = open_regular_file(path, hint="save the data to a file first",
                               max_bytes=MAX_FILE_BYTES, limit_hint="split it into tiles")
    with opened as handle:
        data = _read_capped(path, handle, reporter)
    dropped: Counter[str] = Counter()
    try:  # the document, then the buildings' surfaces in the file's CRS
        header, raws = _parse(path, data, reporter, dropped)
    except (ReaderError, LoadCancelled):
        raise
    except RecursionError as err:
        raise ReaderError(path, "JSON is nested too deeply to be CityJSON") from err
    except _STRUCTURE_ERRORS as err:  # a shape no check above foresaw
        log.warning("malformed CityJSON %s", path, exc_info=True)
        problem = " ".join(str(err).split())[:200]
        raise ReaderError(path, f"malformed CityJSON ({type(err).__name__}: {problem})") from err
    del data
    if not raws:
        found = ", ".join(f"{n} {why}" for why, n in dropped.items()) or "no CityObjects"
        raise ReaderError(path, f"contains no building with surfaces ({found})")
    source = reference_system_crs(path, header, assume_crs)
    horizontal = horizontal_crs(source)
    target = pick_target_crs(path, horizontal, target_crs, lambda: building_centre(raws))
    xyz = reproject_buildings(path, horizontal, target, raws)
    reporter.report(0.6)
    mesh, report = assemble_buildings(path, raws, xyz, dropped, reporter.span(0.6, 0.99))
    reporter.report(1.0)
    return BuildingsRead(mesh=mesh, report=report, source_crs=source, target_crs=target)


def _read_capped(path: Path, handle: BinaryIO, reporter: ProgressReporter) -> bytes:
    """All the bytes of the file, in blocks (progress 0..0.2), refusing more than the cap."""
    size = max(os.fstat(handle.fileno()).st_size, 1)
    blocks, total = [], 0
    while block := handle.read(_BLOCK):
        reporter.check()
        total += len(block)
        if total > MAX_FILE_BYTES:
            raise ReaderError(path, f"grew past {format_size(MAX_FILE_BYTES)} while being read")
        blocks.append(block)
        reporter.report(0.2 * min(total / size, 1.0))
    return b"".join(blocks)


def _loads(path: Path, text: bytes, line: int | None = None) -> Any:
    """``json.loads`` with a one-line error saying where the JSON breaks."""
    try:
        return json.loads(text)
    except UnicodeDecodeError as err:
        where = f"line {line}, " if line else ""
        raise ReaderError(path, f"is not JSON text ({where}byte {err.start} is not "
                          f"{err.encoding.upper()})", hint=_CORRUPT_HINT) from err
    except json.JSONDecodeError as err:
        row = line if line is not None else err.lineno
        raise ReaderError(path, f"is not valid JSON at line {row}, column {err.colno}: "
                          f"{err.msg}", hint=_CORRUPT_HINT) from err


def _parse(
    path: Path, data: bytes, reporter: ProgressReporter, dropped: Counter[str]
) -> tuple[dict[str, Any], list[RawBuilding]]:
    """The header document and the buildings of a CityJSON or CityJSONSeq file."""
    lines = _lines(data)
    if not path.name.lower().endswith(".jsonl"):
        try:
            doc = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            first = next(lines, None)  # CityJSONSeq under a .json name?
            if not (isinstance(err, json.JSONDecodeError) and err.msg == "Extra data"
                    and first is not None and err.lineno > first[0]):
                _loads(path, data)  # raises with the position
            lines = _lines(data)
        else:
            reporter.report(0.3)
            _check_document(path, doc)
            templates = _templates(path, doc)
            objects = _objects(path, doc, "")
            vertices = _vertices(path, doc, _transform(path, doc), "")
            step = reporter.span(0.3, 0.6)
            return doc, _collect(path, objects, vertices, templates, dropped, step, "")
    first = next(lines, None)
    if first is None:
        raise ReaderError(path, "has no CityJSON header line")
    header = _loads(path, first[1], first[0])
    reporter.report(0.25)
    _check_document(path, header)
    transform, templates = _transform(path, header), _templates(path, header)
    step = reporter.span(0.0, 0.0)  # progress follows the lines
    where = f"line {first[0]}: "
    raws = _collect(path, _objects(path, header, where), _vertices(path, header, transform,
                    where), templates, dropped, step, where)
    for number, text, end in lines:
        where = f"line {number}: "
        feature = _loads(path, text, number)
        if not isinstance(feature, dict) or feature.get("type") != "CityJSONFeature":
            kind = feature.get("type") if isinstance(feature, dict) else type(feature).__name__
            raise ReaderError(path, f"{where}is {kind!r}, not a CityJSONFeature")
        vertices = _vertices(path, feature, transform, where)
        objects = _objects(path, feature, where)
        raws += _collect(path, objects, vertices, templates, dropped, step, where)
        reporter.report(0.2 + 0.4 * end / len(data))
    return header, raws


def _lines(data: bytes) -> Iterator[tuple[int, bytes, int]]:
    """(1-based number, text, end offset) of each non-blank line, one line copied at a time."""
    start, number = 0, 0
    while start < len(data):
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end
        number += 1
        text = data[start:end]
        start = end + 1
        if text.strip():
            yield number, text, end


def _check_document(path: Path, doc: Any) -> None:
    """Raise unless ``doc`` is a CityJSON object of a version this reader can read."""
    if not isinstance(doc, dict):
        raise ReaderError(path, f"is JSON but not CityJSON (the top level is a "
                          f"{type(doc).__name__}, not an object)")
    kind = doc.get("type")
    if kind == "CityJSONFeature":
        raise ReaderError(path, "is a CityJSONFeature without its CityJSON header line")
    if kind != "CityJSON":
        raise ReaderError(path, f'is JSON but not CityJSON ("type" is {kind!r})',
                          hint="footprints (GeoJSON, GeoPackage) have their own reader")
    version = doc.get("version")
    text = str(version) if isinstance(version, (str, int, float)) else None
    if text is None:
        raise ReaderError(path, "states no CityJSON version")
    if text in KNOWN_VERSIONS or text[:3] in KNOWN_VERSIONS and text[3:4] == ".":
        return
    if re.fullmatch(r"[12]\.\d+(\.\d+)?", text):
        log.warning("%s: CityJSON version %s is not one this reader knows (%s); reading it "
                    "as the nearest one", path, text, ", ".join(KNOWN_VERSIONS))
        return
    raise ReaderError(path, f"CityJSON version {text!r} is not supported (only "
                      f"{', '.join(KNOWN_VERSIONS)})", hint="convert it with cjio upgrade")


def _transform(path: Path, doc: dict[str, Any]) -> tuple[np.ndarray, np.ndarray] | None:
    """``(scale, translate)`` of compressed vertices, or None (1.0 files may have none)."""
    transform = doc.get("transform")
    if transform is None:
        return None
    try:
        scale = np.asarray(transform["scale"], dtype=np.float64)
        translate = np.asarray(transform["translate"], dtype=np.float64)
    except (TypeError, KeyError, ValueError) as err:
        raise ReaderError(path, "has a malformed transform (needs scale and translate)") from err
    if scale.shape != (3,) or translate.shape != (3,) or not (
        np.isfinite(scale).all() and np.isfinite(translate).all() and (scale != 0).all()
    ):
        raise ReaderError(path, "has a malformed transform (3 finite numbers each, scale not 0)")
    return scale, translate


def _templates(path: Path, doc: dict[str, Any]) -> Templates | None:
    block = doc.get("geometry-templates")
    if not isinstance(block, dict):
        return None
    geometries = block.get("templates")
    vertices = _vertex_array(path, block.get("vertices-templates", []), "geometry-templates: ")
    return Templates(geometries if isinstance(geometries, list) else [], vertices)


def _objects(path: Path, doc: dict[str, Any], where: str) -> dict[str, Any]:
    objects = doc.get("CityObjects", {})
    if not isinstance(objects, dict):
        raise ReaderError(path, f"{where}CityObjects is not a JSON object")
    return objects


def _vertices(
    path: Path, doc: dict[str, Any], transform: tuple[np.ndarray, np.ndarray] | None, where: str
) -> np.ndarray:
    """float64 (n, 3) real coordinates of ``doc["vertices"]``."""
    vertices = _vertex_array(path, doc.get("vertices", []), where)
    if transform is not None:
        vertices = vertices * transform[0] + transform[1]
    return vertices


def _vertex_array(path: Path, values: Any, where: str) -> np.ndarray:
    try:
        vertices = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ReaderError(path, f"{where}vertices are not a list of [x, y, z] numbers") from err
    if vertices.size == 0:
        return np.zeros((0, 3))
    if vertices.ndim != 2 or vertices.shape[1] != 3:
        raise ReaderError(path, f"{where}vertices are not a list of [x, y, z] numbers")
    if not np.isfinite(vertices).all():
        raise ReaderError(path, f"{where}vertices include NaN or infinite values")
    return vertices


def _collect(
    path: Path,
    objects: dict[str, Any],
    vertices: np.ndarray,
    templates: Templates | None,
    dropped: Counter[str],
    step: Progress,
    where: str,
) -> list[RawBuilding]:
    try:
        return collect_buildings(objects, vertices, templates, dropped, step)
    except GeometryError as err:
        raise ReaderError(path, f"{where}{err}", hint=_CORRUPT_HINT) from err
