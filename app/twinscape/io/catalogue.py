"""Infrastructure catalogue files: TOML lists of what a planner can place.

The built-in catalogue is ``assets/catalogue/infrastructure.toml`` (:data:`BUILTIN_CATALOGUE`);
users add or override entries in files of their own with the same layout (its header
explains it). Files are parsed by :mod:`tomllib` and every value is checked; an error is
one line naming the file and the key (``my.toml: [entries[3].params.width_m] must not
be negative, got -2``). Model paths are relative to the catalogue file.

A point entry may name a ``model`` file (glTF, OBJ, STL, PLY; ``model_scale`` metres per
model unit, default 1) drawn instead of its generated shape; ``shape`` may then be left
out (``"box"``: what is drawn when the model cannot be). The model is read with the
catalogue (:func:`catalogue_model`, once per file version), so a broken one is refused
with the file, and drawing never reads a file. An entry with a model and no
``footprint_m`` takes it from the model's size seen from above, so the checks look at
the ground under all of it (give ``footprint_m`` for an overhanging model, e.g. a rotor).
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from twinscape.geo.design_areas import ROUND_SHAPES
from twinscape.io.file_checks import open_regular_file, resolve_path
from twinscape.io.models3d import MODEL_EXTENSIONS, read_model
from twinscape.io.toml_schema import TableReader
from twinscape.model.catalogue import (
    GEOMETRIES,
    PARAMETERS,
    SHAPES,
    Catalogue,
    CatalogueEntry,
)
from twinscape.model.errors import ProjectFileError, ReaderError
from twinscape.model.models3d import SCALE_RANGE, ModelMesh

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: Largest catalogue file read (a catalogue of a thousand entries is about 300 KB).
MAX_CATALOGUE_BYTES = 4_000_000
#: Version of the catalogue layout this Twinscape reads.
CATALOGUE_VERSION = 1
#: Parameters that may be NaN (meaning "work it out from the ground").
NAN_PARAMETERS = ("pad_elevation_m",)
#: Parameters that may be negative (an elevation below sea level).
SIGNED_PARAMETERS = ("pad_elevation_m",)
_ENTRY_KEYS = ("key", "title", "geometry", "shape", "color", "model", "model_scale",
               "description", "params")
#: Model files kept read (by path, each with the version read).
MAX_CACHED_MODELS = 32
_models: dict[Path, tuple[tuple[int, int], ModelMesh]] = {}
_models_lock = threading.Lock()


def _resource_root() -> Path:
    """The folder holding scenes/ and assets/ (the bundle folder when frozen)."""
    frozen = getattr(sys, "_MEIPASS", None)
    return Path(frozen) if frozen else Path(__file__).resolve().parents[3]


#: The catalogue that ships with the app.
BUILTIN_CATALOGUE = _resource_root() / "assets" / "catalogue" / "infrastructure.toml"


def read_catalogue(path: str | os.PathLike[str]) -> list[CatalogueEntry]:
    """The entries of one catalogue file, in file order.

    Raises
    ------
    ProjectFileError
        The file is missing, not a regular file, too big, not UTF-8 TOML, a value is
        invalid or a model file cannot be read; the message names the file and the key
        (``entries[3].params.width_m``).
    """
    return _read_file(path)[0]


def _read_file(path: str | os.PathLike[str]) -> tuple[list[CatalogueEntry], dict[Path, ModelMesh]]:
    """The entries of one catalogue file and the triangles of their model files."""
    path = resolve_path(path)
    try:
        with open_regular_file(
            path, hint="give a catalogue .toml file", max_bytes=MAX_CATALOGUE_BYTES,
            limit_hint="split it into smaller catalogue files",
        ) as handle:  # fmt: skip
            raw = handle.read(MAX_CATALOGUE_BYTES + 1)
    except ReaderError as err:
        problem = f"{err.problem}; {err.hint}" if err.hint else err.problem
        raise ProjectFileError(path, "", problem) from None
    except OSError as err:
        raise ProjectFileError(path, "", f"cannot be read ({err.strerror or err})") from err
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise ProjectFileError(path, "", f"is not UTF-8 text ({err.reason})") from None
    except tomllib.TOMLDecodeError as err:
        raise ProjectFileError(path, "", f"is not valid TOML ({err})") from None
    root = TableReader(path, data, "")
    models: dict[Path, ModelMesh] = {}
    return _entries_from(root, path, models), models


def _entries_from(
    root: TableReader, path: Path, models: dict[Path, ModelMesh]
) -> list[CatalogueEntry]:
    unknown = sorted(set(root.table) - {"schema_version", "entries"})
    if unknown:
        raise root.fail(unknown[0], "unknown key (a catalogue has schema_version and entries)")
    if "schema_version" in root.table:
        version = root.raw("schema_version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise root.fail("schema_version", f"must be a positive integer, got {version!r}")
        if version > CATALOGUE_VERSION:
            raise root.fail(
                "schema_version",
                f"{version} is newer than this Twinscape reads ({CATALOGUE_VERSION})",
            )
    if "entries" not in root.table:
        raise root.fail("entries", "is required but missing (add [[entries]] tables)")
    entries: list[CatalogueEntry] = []
    seen: dict[str, str] = {}
    for table in root.array_of_tables("entries"):
        entry = _entry_from(table, path.parent, models)
        if entry.key in seen:
            raise table.fail("key", f"{entry.key!r} is already used by {seen[entry.key]}")
        seen[entry.key] = table.where
        entries.append(entry)
    return entries


def _entry_from(
    table: TableReader, folder: Path, models: dict[Path, ModelMesh]
) -> CatalogueEntry:
    """One ``[[entries]]`` table as an entry (its model read into ``models``); errors
    name the key."""
    unknown = sorted(set(table.table) - set(_ENTRY_KEYS))
    if unknown:
        raise table.fail(unknown[0], f"unknown key (an entry has {', '.join(_ENTRY_KEYS)})")
    key = table.string("key")
    if not key.replace("_", "").replace("-", "").isalnum():
        raise table.fail("key", f"{key!r} must be letters, digits, '_' or '-'")
    geometry = table.string("geometry")
    if geometry not in GEOMETRIES:
        raise table.fail("geometry", f"{geometry!r} is not one of {', '.join(GEOMETRIES)}")
    has_model = "model" in table.table
    if has_model and geometry != "point":
        raise table.fail("model", f"is only for point entries, not a {geometry}")
    shape = table.string("shape", "box") if has_model else table.string("shape")
    if shape not in SHAPES[geometry]:
        allowed = ", ".join(SHAPES[geometry])
        raise table.fail("shape", f"{shape!r} is not one of {allowed} for a {geometry}")
    color = table.vector("color", 3, (0.8, 0.8, 0.8))
    if not all(0.0 <= c <= 1.0 for c in color):
        raise table.fail("color", f"{list(color)} needs three values within 0..1")
    params = params_from_table(table.sub("params"))
    model, scale = None, 1.0
    if has_model:
        model = _model_path(table, folder)
        scale = table.number("model_scale", 1.0, low=SCALE_RANGE[0], high=SCALE_RANGE[1])
        try:
            models[model] = catalogue_model(model)
        except ReaderError as err:
            raise table.fail("model", f"{model} {err.problem}") from None
        if "footprint_m" not in params:
            params["footprint_m"] = _model_footprint(models[model], scale, shape)
    elif "model_scale" in table.table:
        raise table.fail("model_scale", "needs a model (give model = \"file.glb\")")
    try:
        return CatalogueEntry(
            key=key,
            title=table.string("title"),
            geometry=geometry,
            shape=shape,
            color=(color[0], color[1], color[2]),
            params=params,
            model=model,
            model_scale=scale,
            description=table.string("description", ""),
            source=table.path,
        )
    except ValueError as err:  # the entry's own checks, "<field>: <problem>"
        name, _, problem = str(err).partition(": ")
        raise table.fail(name, problem or str(err)) from err


def _model_path(table: TableReader, folder: Path) -> Path:
    text = table.string("model")
    model = Path(text)
    model = model if model.is_absolute() else resolve_path(folder / model)
    if model.suffix.lower() not in MODEL_EXTENSIONS:
        raise table.fail("model", f"{text!r} is not one of {', '.join(MODEL_EXTENSIONS)}")
    if not model.is_file():
        raise table.fail("model", f"{model} is not a file")
    return model


def _model_footprint(mesh: ModelMesh, scale: float, shape: str) -> float:
    """Side (diameter for a round shape) of the footprint covering the model's box."""
    width, depth = (float(v) * scale for v in mesh.extent[:2])
    side = math.hypot(width, depth) if shape in ROUND_SHAPES else max(width, depth)
    return round(side, 3)


def catalogue_model(path: Path) -> ModelMesh:
    """The triangles of a catalogue entry's model file, read once per file version.

    Thread-safe: loading reads it off the GUI thread, drawing finds it in the catalogue.

    Raises
    ------
    ReaderError
        The file cannot be read as a 3D model (see :func:`~twinscape.io.models3d.read_model`).
    """
    try:
        info = path.stat()
    except OSError as err:
        raise ReaderError(path, f"cannot be read ({err.strerror or err})") from None
    version = (info.st_mtime_ns, info.st_size)
    with _models_lock:
        cached = _models.get(path)
    if cached is not None and cached[0] == version:
        return cached[1]
    mesh = read_model(path)
    with _models_lock:
        _models.pop(path, None)
        _models[path] = (version, mesh)
        while len(_models) > MAX_CACHED_MODELS:
            del _models[next(iter(_models))]
    return mesh


def params_from_table(table: TableReader | None) -> dict[str, float]:
    """A ``params`` table: known names (see PARAMETERS), numbers, not negative unless signed,
    NaN only where :data:`NAN_PARAMETERS` allows it."""
    if table is None:
        return {}
    params: dict[str, float] = {}
    for name in table.table:
        if name not in PARAMETERS:
            raise table.fail(name, f"unknown parameter (known: {', '.join(PARAMETERS)})")
        value = table.raw(name)
        if name in NAN_PARAMETERS and isinstance(value, float) and math.isnan(value):
            params[name] = math.nan
            continue
        number = table.number(name)
        if number < 0 and name not in SIGNED_PARAMETERS:
            raise table.fail(name, f"must not be negative, got {number:g}")
        params[name] = number
    return params


def load_catalogue(
    user_files: Sequence[str | os.PathLike[str]] = (),
    *,
    warnings: list[str] | None = None,
) -> Catalogue:
    """The built-in catalogue, then ``user_files`` in order (later entries override by key).

    Parameters
    ----------
    user_files
        The user's own catalogue files.
    warnings
        When given, a user file that cannot be read is reported here (one line) and
        skipped instead of raised, so a project still opens with the other entries.

    Raises
    ------
    ProjectFileError
        The built-in catalogue is broken, or a user file is (when ``warnings`` is None).
    """
    catalogue = Catalogue().merged(*_read_file(BUILTIN_CATALOGUE))
    for path in user_files:
        try:
            entries, models = _read_file(path)
        except ProjectFileError as err:
            if warnings is None:
                raise
            warnings.append(f"{err} (catalogue file skipped)")
            continue
        catalogue = catalogue.merged(entries, models)
    return catalogue


def entry_table(entry: CatalogueEntry, folder: Path) -> dict[str, Any]:
    """``entry`` as an ``[[entries]]`` table (model path relative to ``folder``); for tools
    that write catalogue files with tomli-w."""
    table: dict[str, Any] = {
        "key": entry.key,
        "title": entry.title,
        "geometry": entry.geometry,
        "shape": entry.shape,
        "color": list(entry.color),
    }
    if entry.model is not None:
        try:
            table["model"] = Path(os.path.relpath(entry.model, folder)).as_posix()
        except ValueError:  # another drive on Windows
            table["model"] = entry.model.as_posix()
        if entry.model_scale != 1.0:
            table["model_scale"] = float(entry.model_scale)
    if entry.description:
        table["description"] = entry.description
    if entry.params:
        table["params"] = {name: float(value) for name, value in entry.params.items()}
    return table
