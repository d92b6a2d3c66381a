"""Loading layer data into projects.

The ``load_*``/``open_*`` functions are pure and may run on any thread: they
return new objects and never touch a project that is on screen. ``apply_*``
functions change the model and belong on the GUI thread.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from twinscape.geo.crs import same_crs
from twinscape.io.dem import DemResult, read_dem
from twinscape.io.formats import classify_path
from twinscape.io.project_file import load_project
from twinscape.model.errors import ReaderError
from twinscape.model.layers import TerrainLayer
from twinscape.model.project import Project

Progress = Callable[[float], None]
Cancelled = Callable[[], bool]


def _resource_root() -> Path:
    """The folder holding scenes/ and assets/ (the bundle folder when frozen)."""
    frozen = getattr(sys, "_MEIPASS", None)
    return Path(frozen) if frozen else Path(__file__).resolve().parents[3]


#: The most cells a terrain is drawn from (5000 x 5000, ~0.9 GB peak with its tiles);
#: a larger DEM is read averaged to this size, with a warning.
MAX_TERRAIN_CELLS = 25_000_000

#: The demo scene that ships with the app.
DEMO_SCENE = _resource_root() / "scenes" / "deadsea_demo.toml"


@dataclass(frozen=True)
class TerrainLoad:
    """A DEM read and reprojected, ready to be put into a project."""

    path: Path
    name: str
    result: DemResult
    warnings: tuple[str, ...] = ()
    assumed_crs: str | None = None


def new_project() -> Project:
    """An empty, unsaved project; its CRS is picked by the first layer."""
    return Project()


def load_terrain(
    path: str | os.PathLike[str],
    *,
    project_crs: str | None,
    assume_crs: str | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> TerrainLoad:
    """Read a DEM for a project whose CRS is ``project_crs`` (None: pick UTM).

    ``assume_crs`` is the CRS of a file that states none. A DEM of more than
    :data:`MAX_TERRAIN_CELLS` cells is read averaged down to that size, with a warning.

    Raises
    ------
    ReaderError, CRSError, LoadCancelled
        As :func:`twinscape.io.dem.read_dem`.
    """
    path = Path(path).resolve()
    result = read_dem(
        path,
        target_crs=project_crs,
        assume_crs=assume_crs,
        progress=progress,
        cancelled=cancelled,
        max_cells=MAX_TERRAIN_CELLS,
    )
    return TerrainLoad(
        path=path,
        name=_layer_name(path),
        result=result,
        warnings=_size_warnings(path, result),
        assumed_crs=assume_crs,
    )


def _size_warnings(path: Path, result: DemResult) -> tuple[str, ...]:
    rows, cols = result.source_shape
    if rows * cols <= MAX_TERRAIN_CELLS:
        return ()
    shown_rows, shown_cols = result.grid.shape
    res = result.grid.resolution[0]
    return (
        f"{path}: {rows} x {cols} cells is more than Twinscape draws at once; "
        f"read averaged to {shown_rows} x {shown_cols} cells of {res:g} m",
    )


def _layer_name(path: Path) -> str:
    name = path.name
    for suffix in reversed(path.suffixes):
        name = name[: -len(suffix)] if name.endswith(suffix) else name
    return name or path.name


def apply_terrain(
    project: Project, load: TerrainLoad, *, layer: TerrainLayer | None = None
) -> TerrainLayer:
    """Put a loaded DEM into ``project`` (GUI thread).

    Sets the project CRS and origin when the project has none yet, then either
    fills ``layer`` (a layer read from a project file) or appends a new layer.
    """
    grid = load.result.grid
    if project.crs is None:
        project.crs = load.result.target_crs
    elif not same_crs(project.crs, load.result.target_crs):
        raise ValueError(
            f"{load.path}: was reprojected to {load.result.target_crs}, "
            f"but the project CRS is {project.crs}"
        )
    project.adopt_origin(grid.bounds)
    if layer is None:
        layer = TerrainLayer(name=load.name, source=load.path, assume_crs=load.assumed_crs)
        layer.source_crs = load.result.source_crs
        layer.grid = grid
        project.layers.append(layer)
    else:
        layer.source_crs = load.result.source_crs
        layer.grid = grid
    return layer


def open_project(
    path: str | os.PathLike[str],
    *,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    keep_broken: bool = False,
) -> tuple[Project, list[str]]:
    """Read a project file and every layer's data into a new project (any thread).

    Parameters
    ----------
    keep_broken
        When a layer's data cannot be read, keep the layer unloaded (its settings
        survive a save) and report the problem in the warnings, as a GIS does for a
        moved file; otherwise the first such problem is raised.

    Raises
    ------
    ProjectFileError, ReaderError, CRSError, LoadCancelled
        The first problem found; nothing is returned half-loaded.
    """
    project, warnings = load_project(path)
    layers = [layer for layer in project.layers if isinstance(layer, TerrainLayer)]
    for index, layer in enumerate(layers):
        try:
            load = load_terrain(
                layer.source,
                project_crs=project.crs,
                assume_crs=layer.assume_crs,
                progress=_part(progress, index, len(layers)),
                cancelled=cancelled,
            )
        except ReaderError as err:
            if not keep_broken:
                raise
            warnings.append(f"layer {layer.name!r} is not loaded: {err}")
            continue
        warnings.extend(load.warnings)
        apply_terrain(project, load, layer=layer)
    if progress:
        progress(1.0)
    return project, warnings


def open_data_files(
    paths: Sequence[str | os.PathLike[str]],
    *,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> tuple[Project, list[str]]:
    """A throw-away project holding the given data files (any thread).

    Its CRS is the UTM zone of the first file and its name that of the first file;
    the camera is left unset so the renderer frames the data. Returns the project
    and warnings (e.g. a DEM read at a coarser resolution).

    Raises
    ------
    NoReaderError
        A path is not a data file (a project file cannot be mixed in).
    ReaderError, CRSError, LoadCancelled
        As :func:`load_terrain`.
    """
    if not paths:
        raise ValueError("no data files given")
    for path in paths:
        if classify_path(path) != "dem":
            raise ReaderError(
                path, "is a project file", hint="open it on its own, not with data files"
            )
    project = new_project()
    warnings: list[str] = []
    for index, path in enumerate(paths):
        load = load_terrain(
            path,
            project_crs=project.crs,
            progress=_part(progress, index, len(paths)),
            cancelled=cancelled,
        )
        warnings.extend(load.warnings)
        layer = apply_terrain(project, load)
        if index == 0:
            project.name = layer.name
    if progress:
        progress(1.0)
    return project, warnings


def _part(progress: Progress | None, index: int, count: int) -> Progress | None:
    """Map a step's 0..1 progress into its share of the whole."""
    if progress is None:
        return None
    return lambda fraction: progress((index + max(0.0, min(1.0, fraction))) / count)
