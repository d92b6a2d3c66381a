"""Layer kinds: the one registration generic code consults about a kind of layer.

A :class:`LayerKind` says, for one layer class: its name in project files, how its
project-file table is read and written, which files it opens (by sniffing their
content, not only their extension), its icon, and how its data is read off the GUI
thread. Generic code (project files, loading, the CLI, Add Data, drop, the layer
tree) only ever asks this registry; it never names a kind.

Every module of this package registers its kind when imported, and the package
imports all of them, so adding a kind adds files and touches no generic module
(docs/ARCHITECTURE.md, "Adding a layer kind").
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twinscape.io.progress import Cancelled, Progress
from twinscape.io.toml_schema import TableReader
from twinscape.model.errors import LoadCancelled, NoReaderError
from twinscape.model.layers import Layer
from twinscape.model.obstacles import Obstacles
from twinscape.model.raster import RasterGrid


@dataclass(frozen=True)
class LoadContext:
    """What a kind's reader gets besides the layer: the project it is read for.

    Parameters
    ----------
    project_crs
        CRS to reproject to; None lets the reader pick the UTM zone of the data.
    ground
        Elevation grids other layers stand on, topmost first (see geo/ground.py).
    progress, cancelled
        Report 0..1; poll and raise :class:`LoadCancelled` when True.
    """

    project_crs: str | None
    ground: tuple[RasterGrid, ...] = ()
    progress: Progress | None = None
    cancelled: Cancelled | None = None

    def report(self, fraction: float) -> None:
        """Forward progress, if anyone listens."""
        if self.progress is not None:
            self.progress(fraction)

    def check(self) -> None:
        """Raise :class:`LoadCancelled` when the user cancelled."""
        if self.cancelled is not None and self.cancelled():
            raise LoadCancelled("cancelled")


@dataclass(frozen=True)
class LayerData:
    """A layer's data read off the GUI thread, to be set on the layer on the GUI thread.

    Parameters
    ----------
    crs
        The CRS the data is in (the project's, or the one picked for a new project).
    values
        Layer fields to assign (``{"grid": ..., "source_crs": ...}``).
    warnings
        One-line messages for the user (data read coarser, values ignored, ...).
    """

    crs: str
    values: dict[str, Any]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class LayerKind:
    """Registration of one kind of layer.

    Parameters
    ----------
    name
        ``kind = "..."`` in project files.
    layer_type
        The model class (a :class:`~twinscape.model.layers.Layer` subclass).
    title
        Human name ("Terrain"), used in menus and dialogs.
    file_types
        Description of the files it opens ("Elevation rasters"), for file dialogs.
    extensions
        Lower-case suffixes offered in file dialogs (``".tif"``, ``".osm.pbf"``).
    sniff
        ``sniff(path) -> confidence 0..1`` that the file is of this kind; may peek at
        the file's first bytes. The highest confidence wins.
    new_layer
        ``new_layer(path, assume_crs) -> Layer``: an unloaded layer with default settings.
    read
        ``read(layer, context) -> LayerData``: read the layer's data; any thread.
    table_keys
        Keys of its project-file table besides the common ones.
    from_table
        ``from_table(table, folder, common) -> Layer``: a layer from its project-file
        table (``common`` holds name, visible, opacity); raise ``table.fail(...)``.
    to_table
        ``to_table(layer, folder) -> dict``: the kind's keys of the table.
    icon
        Icon name for the layer tree (see ui/icons.py).
    order
        Position in menus and file filters (terrain first).
    combine
        ``combine(layers) -> layers``: merge this kind's layers made from files given
        together (a stations file and its observations become one layer).
    restand
        For layers standing on the ground: ``restand(layer, ground) -> values`` recomputes
        what depends on the ground (bases) when a ground layer changes; GUI thread.
    obstruct
        For layers checked against what other layers stand on the ground (placed
        assets): ``obstruct(layer, obstacles) -> values`` takes every loaded layer's
        :class:`~twinscape.model.obstacles.Obstacles` when they change; GUI thread.
    """

    name: str
    layer_type: type[Layer]
    title: str
    file_types: str
    extensions: tuple[str, ...]
    sniff: Callable[[Path], float]
    new_layer: Callable[[Path, str | None], Layer]
    read: Callable[[Layer, LoadContext], LayerData]
    table_keys: tuple[str, ...]
    from_table: Callable[[TableReader, Path, dict[str, Any]], Layer]
    to_table: Callable[[Layer, Path], dict[str, Any]]
    icon: str = "layer"
    restand: Callable[[Layer, tuple[RasterGrid, ...]], dict[str, Any]] | None = None
    obstruct: Callable[[Layer, tuple[Obstacles, ...]], dict[str, Any]] | None = None
    order: int = 100
    combine: Callable[[list[Layer]], list[Layer]] | None = None

    @property
    def file_filter(self) -> str:
        """Filter string for a Qt file dialog (``"Elevation rasters (*.tif *.vrt)"``)."""
        return f"{self.file_types} ({' '.join('*' + ext for ext in self.extensions)})"


# -- kinds made from other layers (a surface of sensors, an analysis of the terrain) --------
def sniff_nothing(path: Path) -> float:
    """``sniff`` of a kind that reads no file: it claims none."""
    return 0.0


def refuse_files(problem: str, hint: str) -> Callable[[Path, str | None], Layer]:
    """``new_layer`` of a kind that reads no file: a clear refusal, should one be asked."""

    def new_layer(path: Path, assume_crs: str | None) -> Layer:
        raise NoReaderError(path, problem, hint=hint)

    return new_layer


def read_nothing(layer: Layer, context: LoadContext) -> LayerData:
    """``read`` of a kind that reads no file: its settings are all it has (any thread)."""
    # None when the project has no CRS yet: apply_load then leaves it unset.
    return LayerData(crs=context.project_crs, values={})  # type: ignore[arg-type]


_KINDS: dict[str, LayerKind] = {}


def register_kind(kind: LayerKind) -> LayerKind:
    """Add ``kind`` to the registry (replacing one of the same name) and return it."""
    _KINDS[kind.name] = kind
    return kind


def unregister_kind(name: str) -> None:
    """Remove a kind (tests and plugins that unload)."""
    _KINDS.pop(name, None)


def kinds() -> list[LayerKind]:
    """Every registered kind, by :attr:`LayerKind.order`."""
    return sorted(_KINDS.values(), key=lambda kind: kind.order)


def kind_named(name: str) -> LayerKind:
    """The kind called ``name``; KeyError lists the known ones."""
    try:
        return _KINDS[name]
    except KeyError:
        known = ", ".join(repr(k) for k in _KINDS)
        raise KeyError(f"unknown layer kind {name!r}; this version knows {known}") from None


def kind_of(layer: Layer | type) -> LayerKind:
    """The kind of ``layer`` (instance or class), walking the class's MRO.

    Raises
    ------
    TypeError
        No kind is registered for the type or any of its bases.
    """
    cls = layer if isinstance(layer, type) else type(layer)
    by_type = {k.layer_type: k for k in _KINDS.values()}
    for base in cls.__mro__:
        if base in by_type:
            return by_type[base]
    raise TypeError(f"no layer kind registered for layer of type {cls.__name__}")


def has_suffix(path: str | os.PathLike[str], extensions: tuple[str, ...]) -> bool:
    """True when the file name ends in one of ``extensions`` (any case)."""
    name = Path(path).name.lower()
    return any(name.endswith(ext) for ext in extensions)


def kind_for_path(path: str | os.PathLike[str]) -> LayerKind:
    """The kind that opens ``path``: the highest sniffing confidence wins.

    Raises
    ------
    NoReaderError
        No kind recognises the file; the hint lists what can be opened.
    """
    path = Path(path)
    scored = [(kind.sniff(path), index, kind) for index, kind in enumerate(kinds())]
    scored = [entry for entry in scored if entry[0] > 0]
    if not scored:
        described = "; ".join(k.file_filter for k in kinds())
        raise NoReaderError(
            path, "not a file Twinscape can open", hint=f"open a project (.toml) or add {described}"
        )
    scored.sort(key=lambda entry: (-entry[0], entry[1]))
    return scored[0][2]


def data_file_filter() -> str:
    """A Qt file-dialog filter of every kind's files, then one per kind."""
    opened = [kind for kind in kinds() if kind.extensions]  # not kinds made in the app
    every = " ".join("*" + ext for kind in opened for ext in kind.extensions)
    return ";;".join([f"All supported data ({every})", *(k.file_filter for k in opened)])


def _import_builtin_kinds() -> None:
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")


__all__ = [
    "LayerData",
    "LayerKind",
    "LoadCancelled",
    "LoadContext",
    "data_file_filter",
    "has_suffix",
    "kind_for_path",
    "kind_named",
    "kind_of",
    "kinds",
    "register_kind",
    "unregister_kind",
]

_import_builtin_kinds()
