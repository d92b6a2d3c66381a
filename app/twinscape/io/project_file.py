"""Project files: human-readable TOML, validated on load, saved atomically.

A project file never executes code: it is parsed by :mod:`tomllib` and every
value is checked. Layer data is not read here (see io/loading.py).
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import tomli_w

from twinscape import __version__
from twinscape.geo.crs import crs_label, is_projected_metric
from twinscape.io.kinds import kind_named, kind_of
from twinscape.io.toml_schema import TableReader
from twinscape.model.bookmarks import Bookmark, CameraView
from twinscape.model.clock import ProjectClock
from twinscape.model.errors import ProjectFileError
from twinscape.model.layers import Layer
from twinscape.model.project import Project

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: Version of the file layout this Twinscape writes.
SCHEMA_VERSION = 1
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
        The file is missing, not TOML, or a key is invalid; the message names the key.
    """
    path = Path(path).resolve()
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ProjectFileError(path, "", "file does not exist") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ProjectFileError(path, "", f"cannot be read ({err})") from err
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ProjectFileError(path, "", f"is not valid TOML ({err})") from err
    root = TableReader(path, data, "")
    return _project_from(root, path), root.warnings


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
        origin=meta.vector("origin", 3, None),
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
        raise ProjectFileError(table.path, table.where, str(err)) from err


#: Keys every layer table has, whatever its kind.
_COMMON_KEYS = ("kind", "id", "name", "visible", "opacity")


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
    table.update(kind.to_table(layer, folder))
    return table


def save_project(project: Project, path: str | os.PathLike[str] | None = None) -> Path:
    """Write ``project`` atomically; the previous file is kept as ``<file>.bak``.

    The document goes to a temporary file in the same folder, is flushed and
    fsynced, then renamed over the target, so a crash never leaves half a file.

    Raises
    ------
    ProjectFileError
        No path was given and the project has none, or the folder is not writable.
    """
    target = Path(path if path is not None else project.path or "")
    if not str(target) or target == Path("."):
        raise ProjectFileError("<unsaved project>", "", "has no file name; use Save As")
    target = target.resolve()
    payload = tomli_w.dumps(project_to_toml(project, target.parent)).encode("utf-8")
    try:
        fd, tmp_name = _create_temp(target)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            if target.exists():
                shutil.copymode(target, tmp_name)  # a shared project stays shared
                shutil.copy2(target, target.with_name(target.name + ".bak"))
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        _fsync_folder(target.parent)
    except OSError as err:
        raise ProjectFileError(target, "", f"could not be saved ({err.strerror or err})") from err
    project.path = target
    return target


def _create_temp(target: Path) -> tuple[int, str]:
    """A new, empty file beside ``target``, with the permissions a plain create gives.

    Unlike :func:`tempfile.mkstemp` (always 0600), the user's umask applies, so a new
    project file is readable by whoever the user's other files are readable by.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        name = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(name, flags, 0o666), str(name)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(target.parent))


def _fsync_folder(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
