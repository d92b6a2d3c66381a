"""Project files: human-readable TOML, validated on load, saved atomically.

A project file never executes code: it is parsed by :mod:`tomllib` and every
value is checked. Layer data is not read here (see io/loading.py); the atomic write,
backup and temporary files are in io/project_save.py.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import tomli_w

from twinscape import __version__
from twinscape.geo.crs import crs_label, is_projected_metric
from twinscape.io.file_checks import read_regular_file, resolve_path
from twinscape.io.kinds import kind_named, kind_of
from twinscape.io.project_cameras import METRIC_CAMERAS_SCHEMA, cameras_to_metres
from twinscape.io.project_save import BACKUP_SUFFIX as BACKUP_SUFFIX  # re-exported
from twinscape.io.project_save import save_target, write_atomically
from twinscape.io.project_save import temp_name_pattern as temp_name_pattern
from twinscape.io.toml_schema import TableReader
from twinscape.model.bookmarks import MAX_WORLD_COORDINATE, Bookmark, CameraView
from twinscape.model.clock import ProjectClock
from twinscape.model.errors import ProjectFileError, ReaderError
from twinscape.model.layers import Layer
from twinscape.model.project import Project
from twinscape.model.raster import MAX_ABS_ELEVATION

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: Version of the file layout this Twinscape writes. 2: cameras and bookmarks hold real
#: heights (metres); 1: heights as drawn, converted on load (io/project_cameras.py).
SCHEMA_VERSION = 2
#: Largest project file read (bytes): settings, not data (1000 layers and 1000 bookmarks
#: take well under 1 MB); the TOML parser reads a few MB a second.
MAX_PROJECT_BYTES = 4_000_000
#: Most layers a project holds (``[[layers]]``); a file with more is refused, and not saved.
MAX_LAYERS = 1000
#: Most bookmarks a project holds (``[[bookmarks]]``); a file with more is refused, and not saved.
MAX_BOOKMARKS = 1000
_VIEW_KEYS = ("position", "focal_point", "view_up", "view_angle")


def load_project(path: str | os.PathLike[str]) -> tuple[Project, list[str]]:
    """Read and validate a project file; layer data is not loaded.

    Parameters
    ----------
    path
        The ``.toml`` project file.

    Returns
    -------
    (project, warnings)
        The project (``project.path`` set, layer sources absolute) and messages about
        content this version does not understand.

    Raises
    ------
    ProjectFileError
        The file is missing, not a regular file, over :data:`MAX_PROJECT_BYTES`, not
        UTF-8 TOML, nested too deeply, holds more than :data:`MAX_LAYERS` layers or
        :data:`MAX_BOOKMARKS` bookmarks, or a key is invalid; the message names the key.
    """
    given = Path(os.path.abspath(path))
    data = parse_project_text(given, read_project_bytes(given))
    path = resolve_path(given)
    _check_counts(path, data)
    root = TableReader(path, data, "")
    return _project_from(root, path), root.warnings


def read_project_bytes(path: Path) -> bytes:
    """The bytes of a project file: a regular file of at most :data:`MAX_PROJECT_BYTES`.

    A FIFO, a device (``/dev/zero``), a folder or a symbolic-link loop is refused by its
    ``stat``, before anything is read, so nothing blocks or fills the memory.

    Raises
    ------
    ProjectFileError
        One line naming the file, the problem and what to do.
    """
    try:
        return read_regular_file(
            path,
            max_bytes=MAX_PROJECT_BYTES,
            hint="open a project file (.toml) saved on disk",
            limit_hint="a project file holds settings, not data: check that this is one",
        )
    except ReaderError as err:
        problem = f"{err.problem}; {err.hint}" if err.hint else err.problem
        raise ProjectFileError(path, "", problem) from None


def parse_project_text(path: Path, raw: bytes) -> dict[str, Any]:
    """The TOML document in ``raw`` (UTF-8, a UTF-8 byte-order mark allowed).

    Raises
    ------
    ProjectFileError
        Not UTF-8 text (said with the line and column of the first bad byte), NUL bytes,
        invalid TOML, or arrays and inline tables nested too deeply for the parser.
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ProjectFileError(path, "", "is UTF-16 text, not UTF-8; save it as UTF-8")
    raw = raw.removeprefix(b"\xef\xbb\xbf")  # Windows editors add a UTF-8 byte-order mark
    nul = raw.find(b"\0")
    if nul >= 0:
        line, column = _place(raw, nul)
        raise ProjectFileError(
            path, "", f"holds a NUL byte (line {line}, column {column}): binary data, not "
            "a TOML text file; open the project file (.toml), not another file"
        )  # fmt: skip
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line, column = _place(raw, err.start)
        raise ProjectFileError(
            path, "", f"is not UTF-8 text (byte 0x{raw[err.start]:02x} at line {line}, "
            f"column {column}); save it as UTF-8"
        ) from None  # fmt: skip
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise ProjectFileError(
            path, "", "is not a project file Twinscape reads: arrays or inline tables are "
            "nested too deeply for the TOML parser"
        ) from None  # fmt: skip
    except ValueError as err:  # TOMLDecodeError, or an integer of thousands of digits
        problem = " ".join(str(err).split())[:200]
        raise ProjectFileError(path, "", f"is not valid TOML ({problem})") from None


def _place(raw: bytes, offset: int) -> tuple[int, int]:
    """1-based (line, column) of byte ``offset`` (columns counted in bytes)."""
    line_start = raw.rfind(b"\n", 0, offset) + 1
    return raw.count(b"\n", 0, offset) + 1, offset - line_start + 1


def _check_counts(path: Path, data: dict[str, Any]) -> None:
    """Refuse a project of more layers or bookmarks than a project holds, before reading them.

    Each layer is a set of visuals and a read of its data, so thousands of layers make a
    project no one can work with (and take minutes to open); such a file is refused at once.
    """
    for key, limit in (("layers", MAX_LAYERS), ("bookmarks", MAX_BOOKMARKS)):
        items = data.get(key)
        if isinstance(items, list) and len(items) > limit:
            raise ProjectFileError(
                path, key, f"has {len(items)} entries, more than the {limit} a project holds; "
                f"split the project, or remove {key} from the file"
            )  # fmt: skip


def _project_from(root: TableReader, path: Path) -> Project:
    version = root.raw("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise root.fail("schema_version", f"must be a positive integer, got {version!r}")
    if version > SCHEMA_VERSION:
        root.warnings.append(
            f"{path}: written by a newer Twinscape (schema {version}, this one reads "
            f"{SCHEMA_VERSION}); content it does not know is ignored and lost on save"
        )
    root.warn_unknown(
        ("schema_version", "app_version", "project", "clock", "view", "layers", "bookmarks")
    )
    meta = root.sub("project", required=True)
    assert meta is not None
    meta.warn_unknown(("name", "crs", "origin"))
    project = Project(
        name=meta.string("name", "Untitled"),
        crs=_crs_from(meta),
        origin=_origin_from(meta),
        clock=_clock_from(root.sub("clock")),
        view=_view_from(root.sub("view")),
        path=path,
    )
    ids: set[str] = set()
    for table in root.array_of_tables("layers"):
        layer = _layer_from(table, path.parent)
        if layer.id in ids:
            raise table.fail("id", f"duplicate layer id {layer.id!r}")
        ids.add(layer.id)
        project.layers.append(layer)
    names: set[str] = set()
    for table in root.array_of_tables("bookmarks"):
        table.warn_unknown(("name", *_VIEW_KEYS))
        name = table.string("name")
        if name in names:
            raise table.fail("name", f"duplicate bookmark name {name!r}")
        names.add(name)
        project.bookmarks.append(Bookmark(name=name, view=_view_from(table, strict=False)))
    if version < METRIC_CAMERAS_SCHEMA:
        cameras_to_metres(project, path)
    return project


def _crs_from(meta: TableReader) -> str | None:
    """The project CRS as written, checked to be a CRS projected in metres (or None)."""
    crs = meta.string("crs", None)
    if crs is None:
        return None
    try:
        metric = is_projected_metric(crs)
    except ValueError as err:
        raise meta.fail("crs", str(err)) from err
    if not metric:
        raise meta.fail(
            "crs",
            f"{crs_label(crs)} is not projected in metres; use a UTM zone, e.g. EPSG:32636",
        )
    return crs


def _clock_from(table: TableReader | None) -> ProjectClock:
    if table is None:
        return ProjectClock()
    table.warn_unknown(("start", "end", "current", "rate"))
    values: dict[str, Any] = {}
    for name in ("start", "end", "current"):
        value = table.raw(name, None)
        if value is None:
            continue
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise table.fail(name, f"must be a date-time with a timezone (…Z), got {value!r}")
        values[name] = value
    values["rate"] = table.number("rate", 1.0)
    if "current" not in values and "start" in values:
        values["current"] = values["start"]
    try:
        return ProjectClock(**values)
    except ValueError as err:
        raise table.fail("", str(err)) from err


def _origin_from(meta: TableReader) -> tuple[float, float, float] | None:
    """The project origin, within reach of every projected CRS (x, y) and of elevations (z)."""
    origin = meta.vector("origin", 3, None, limit=MAX_WORLD_COORDINATE)
    if origin is not None and abs(origin[2]) > MAX_ABS_ELEVATION:
        raise meta.fail("origin", f"z {origin[2]:g} m is beyond \u00b1{MAX_ABS_ELEVATION:g} m")
    return origin  # type: ignore[return-value]


def _view_from(table: TableReader | None, *, strict: bool = True) -> CameraView | None:
    if table is None:
        return None
    if strict:
        table.warn_unknown(_VIEW_KEYS)
    try:
        return CameraView(
            position=table.vector("position", 3),  # type: ignore[arg-type]
            focal_point=table.vector("focal_point", 3),  # type: ignore[arg-type]
            view_up=table.vector("view_up", 3, (0.0, 0.0, 1.0)),  # type: ignore[arg-type]
            view_angle=table.number("view_angle", 30.0),
        )
    except ValueError as err:
        if isinstance(err, ProjectFileError):
            raise
        key, _, problem = str(err).partition(": ")
        if key in _VIEW_KEYS and problem:
            raise table.fail(key, problem) from err
        raise ProjectFileError(table.path, table.where, str(err)) from err


#: Keys every layer table has, whatever its kind.
_COMMON_KEYS = ("kind", "id", "name", "visible", "opacity", "attribution")


def _layer_from(table: TableReader, folder: Path) -> Layer:
    name = table.string("kind")
    try:
        kind = kind_named(name)
    except KeyError as err:
        raise table.fail("kind", err.args[0]) from None
    table.warn_unknown((*_COMMON_KEYS, *kind.table_keys))
    common: dict[str, Any] = {
        "visible": table.boolean("visible", True),
        "opacity": table.number("opacity", 1.0, low=0.0, high=1.0),
    }
    if "name" in table.table:
        common["name"] = table.string("name")
    layer = kind.from_table(table, folder, common)
    if "id" in table.table:
        layer.id = table.string("id")
    layer.attribution = table.string("attribution", "").strip()
    return layer


def project_to_toml(project: Project, folder: Path) -> dict[str, Any]:
    """The TOML document for ``project``, with layer paths relative to ``folder``."""
    doc: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "app_version": __version__}
    meta: dict[str, Any] = {"name": project.name}
    if project.crs:
        meta["crs"] = project.crs
    if project.origin is not None:
        meta["origin"] = list(project.origin)
    doc["project"] = meta
    clock = project.clock
    doc["clock"] = {
        "start": clock.start,
        "end": clock.end,
        "current": clock.current,
        "rate": clock.rate,
    }
    if project.view is not None:
        doc["view"] = _view_to(project.view)
    doc["layers"] = [_layer_to(layer, folder) for layer in project.layers]
    doc["bookmarks"] = [{"name": m.name, **_view_to(m.view)} for m in project.bookmarks]
    return doc


def _view_to(view: CameraView) -> dict[str, Any]:
    return {
        "position": list(view.position),
        "focal_point": list(view.focal_point),
        "view_up": list(view.view_up),
        "view_angle": view.view_angle,
    }


def _layer_to(layer: Layer, folder: Path) -> dict[str, Any]:
    kind = kind_of(layer)  # TypeError names a layer type nobody registered
    table: dict[str, Any] = {
        "kind": kind.name,
        "id": layer.id,
        "name": layer.name,
        "visible": layer.visible,
        "opacity": layer.opacity,
    }
    if layer.attribution:
        table["attribution"] = layer.attribution
    table.update(kind.to_table(layer, folder))
    return table


def save_project(project: Project, path: str | os.PathLike[str] | None = None) -> Path:
    """Write ``project`` by :func:`write_atomically`; the previous file is kept as ``<file>.bak``.

    Raises
    ------
    ProjectFileError
        No path was given and the project has none; too many layers or bookmarks; or the
        save was refused or failed (see :func:`write_atomically`). The project file and its
        backup are then as they were.
    """
    target = Path(path if path is not None else project.path or "")
    if not str(target) or target == Path("."):
        raise ProjectFileError("<unsaved project>", "", "has no file name; use Save As")
    target = save_target(target)
    for key, items, limit in (
        ("layers", project.layers, MAX_LAYERS),
        ("bookmarks", project.bookmarks, MAX_BOOKMARKS),
    ):
        if len(items) > limit:
            raise ProjectFileError(
                target, key, f"{len(items)} {key} are more than the {limit} a project file "
                f"holds; remove some {key} and save again"
            )  # fmt: skip
    write_atomically(
        target, lambda: tomli_w.dumps(project_to_toml(project, target.parent)).encode("utf-8")
    )
    project.path = target
    return target
