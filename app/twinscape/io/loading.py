"""Loading layer data into projects, for every layer kind alike.

The ``read_*``/``open_*`` functions are pure and may run on any thread: they
return new objects and never touch a project that is on screen. ``apply_*``
functions change the model and belong on the GUI thread. Which reader runs is
the layer kind's business (io/kinds); nothing here names a kind.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from twinscape.geo.crs import same_crs
from twinscape.geo.ground import ground_grids
from twinscape.io.file_checks import resolve_path
from twinscape.io.formats import PROJECT, classify_path
from twinscape.io.kinds import LayerData, LoadContext, kind_named, kind_of, kinds
from twinscape.io.progress import Cancelled, Progress
from twinscape.io.project_file import load_project
from twinscape.model.errors import ProjectFileError, ReaderError
from twinscape.model.layers import Layer
from twinscape.model.project import Project
from twinscape.model.raster import RasterGrid
from twinscape.model.vertical import mixed_heights_note


def _resource_root() -> Path:
    """The folder holding scenes/ and assets/ (the bundle folder when frozen)."""
    frozen = getattr(sys, "_MEIPASS", None)
    return Path(frozen) if frozen else Path(__file__).resolve().parents[3]


#: The demo scene that ships with the app.
DEMO_SCENE = _resource_root() / "scenes" / "deadsea_demo.toml"


@dataclass(frozen=True, eq=False)
class LayerLoad:
    """A layer and its data read off the GUI thread, ready to be put into a project."""

    layer: Layer
    data: LayerData
    #: Found when the layer joins a project (:func:`apply_load`): mixed height datums.
    notes: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> tuple[str, ...]:
        """Messages for the user about this layer's data (and, once applied, its project)."""
        return (*self.data.warnings, *self.notes)


def new_project() -> Project:
    """An empty, unsaved project; its CRS is picked by the first layer."""
    return Project()


def new_layer(path: str | os.PathLike[str], *, assume_crs: str | None = None) -> Layer:
    """An unloaded layer of the kind that reads ``path``.

    Raises
    ------
    NoReaderError
        No kind reads such a file.
    """
    path = resolve_path(path)
    return kind_named(classify_path(path)).new_layer(path, assume_crs)


def new_layers(
    paths: Sequence[str | os.PathLike[str]], *, assume: dict[Path, str] | None = None
) -> tuple[list[Layer], list[ReaderError]]:
    """Unloaded layers for data files given together, and the files no kind reads.

    Each kind may merge its layers made from files that belong together (see
    :attr:`~twinscape.io.kinds.LayerKind.combine`); the order of ``paths`` is kept.
    """
    layers: list[Layer] = []
    failures: list[ReaderError] = []
    for path in paths:
        resolved = resolve_path(path)
        try:
            layers.append(new_layer(resolved, assume_crs=(assume or {}).get(Path(path))))
        except ReaderError as err:
            failures.append(err)
    for kind in kinds():
        if kind.combine is None:
            continue
        own = [layer for layer in layers if kind_of(layer) is kind]
        if len(own) > 1:
            kept = kind.combine(own)
            layers = [layer for layer in layers if layer not in own or layer in kept]
    return layers, failures


def read_layer(
    layer: Layer,
    *,
    project_crs: str | None,
    ground: Sequence[RasterGrid] = (),
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> LayerLoad:
    """Read ``layer``'s data for a project in ``project_crs`` (None: pick UTM); any thread.

    ``ground`` holds the terrain grids layers that stand on the ground are placed on.

    Raises
    ------
    ReaderError, CRSError, LoadCancelled
        From the kind's reader, naming the file.
    """
    context = LoadContext(
        project_crs=project_crs, ground=tuple(ground), progress=progress, cancelled=cancelled
    )
    return LayerLoad(layer, kind_of(layer).read(layer, context))


def load_file(
    path: str | os.PathLike[str],
    *,
    project_crs: str | None,
    ground: Sequence[RasterGrid] = (),
    assume_crs: str | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> LayerLoad:
    """A new layer for the data file ``path``, read (any thread). See :func:`read_layer`."""
    layer = new_layer(path, assume_crs=assume_crs)
    return read_layer(
        layer, project_crs=project_crs, ground=ground, progress=progress, cancelled=cancelled
    )


def apply_load(project: Project, load: LayerLoad) -> Layer:
    """Put a loaded layer into ``project`` (GUI thread).

    Sets the project CRS and origin when the project has none yet, fills the layer
    with its data, appends it unless it is already in the project, and, when it is
    ground, re-bases the layers standing on the ground (and adds a warning to
    ``load.notes`` when it brings ellipsoidal heights to geoid ones or the reverse).

    Raises
    ------
    ValueError
        The data was reprojected to another CRS than the project's.
    """
    layer, data = load.layer, load.data
    if project.crs is None:
        project.crs = data.crs
    elif not same_crs(project.crs, data.crs):
        raise ValueError(
            f"{getattr(layer, 'source', layer.name)}: was reprojected to {data.crs}, "
            f"but the project CRS is {project.crs}"
        )
    before = {name: getattr(layer, name) for name in data.values}
    for name, value in data.values.items():
        setattr(layer, name, value)
    if layer.bounds is not None:
        project.adopt_origin(layer.bounds)
        try:
            check_placeable(project, layer)
        except ProjectFileError:
            for name, value in before.items():  # nothing half-loaded stays behind
                setattr(layer, name, value)
            raise
    if not any(existing is layer for existing in project.layers):
        project.layers.append(layer)
    if layer.provides_ground:
        note = mixed_heights_note(project.layers, layer)
        if note is not None:
            load.notes.append(note)
        restand(project)
    reobstruct(project)
    return layer


#: Farthest render coordinate (m from the project origin) float32 places within 0.25 m.
MAX_RENDER_OFFSET_M = 4_000_000.0


def check_placeable(project: Project, layer: Layer) -> None:
    """Raise when float32 render coordinates cannot place ``layer`` near the project origin.

    Render coordinates are world minus the origin in float32: 4,000 km out, one float32
    step is 0.25 m, and beyond that buildings jitter and tiles crack. An origin typed in
    a project file far from its data is refused, naming ``project.origin``.

    Raises
    ------
    ProjectFileError
        The layer lies more than :data:`MAX_RENDER_OFFSET_M` from the origin.
    """
    if project.origin is None or layer.bounds is None:
        return
    ox, oy, _oz = project.origin
    xmin, ymin, xmax, ymax = layer.bounds
    far = max(abs(xmin - ox), abs(xmax - ox), abs(ymin - oy), abs(ymax - oy))
    if far > MAX_RENDER_OFFSET_M:
        raise ProjectFileError(
            project.path or "project",
            "project.origin",
            f"({ox:.6g}, {oy:.6g}) is {far / 1000:,.0f} km from the data of layer "
            f"{layer.name!r}, farther than the {MAX_RENDER_OFFSET_M / 1000:,.0f} km that "
            "float32 render coordinates place within 0.25 m; remove origin from [project] "
            "(Twinscape then takes the centre of the data) or set it near the data",
        )


def restand(project: Project) -> None:
    """Re-base every loaded layer that stands on the ground on the project's ground (GUI thread)."""
    ground = ground_grids(project.layers)
    for layer in project.layers:
        if layer.stands_on_ground and layer.loaded:
            hook = kind_of(layer).restand
            if hook is not None:
                for name, value in hook(layer, ground).items():
                    setattr(layer, name, value)


def reobstruct(project: Project) -> None:
    """Hand every loaded layer's obstacles (buildings) to the layers checked against them
    (placed assets); nothing is set where they did not change (GUI thread)."""
    obstacles = tuple(
        found
        for layer in project.layers
        if layer.loaded and (found := layer.occupied_ground()) is not None
    )
    for layer in project.layers:
        hook = kind_of(layer).obstruct
        if hook is not None and layer.loaded:
            for name, value in hook(layer, obstacles).items():
                if getattr(layer, name) != value:
                    setattr(layer, name, value)


def open_project(
    path: str | os.PathLike[str],
    *,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    keep_broken: bool = False,
) -> tuple[Project, list[str]]:
    """Read a project file and every layer's data into a new project (any thread).

    Ground layers (terrain) are read first, so layers standing on them are placed
    on the ground as they are read.

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
    layers = sorted(project.layers, key=lambda layer: not layer.provides_ground)
    for index, layer in enumerate(layers):
        try:
            load = read_layer(
                layer,
                project_crs=project.crs,
                ground=ground_grids(project.layers),
                progress=_part(progress, index, len(layers)),
                cancelled=cancelled,
            )
        except ReaderError as err:
            if not keep_broken:
                raise
            warnings.append(f"layer {layer.name!r} is not loaded: {err}")
            continue
        apply_load(project, load)
        warnings.extend(load.warnings)
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
    the camera is left unset so the renderer frames the data. Ground files are read
    first, so buildings given with a DEM stand on it. Returns the project and warnings.

    Raises
    ------
    NoReaderError
        A path is not a data file (a project file cannot be mixed in).
    ReaderError, CRSError, LoadCancelled
        From the readers.
    """
    if not paths:
        raise ValueError("no data files given")
    for path in paths:
        if classify_path(path) == PROJECT:
            raise ReaderError(
                path, "is a project file", hint="open it on its own, not with data files"
            )
    layers, failures = new_layers(paths)
    if failures:
        raise failures[0]
    project = new_project()
    warnings: list[str] = []
    order = sorted(range(len(layers)), key=lambda i: not layers[i].provides_ground)
    for step, index in enumerate(order):
        load = read_layer(
            layers[index],
            project_crs=project.crs,
            ground=ground_grids(project.layers),
            progress=_part(progress, step, len(layers)),
            cancelled=cancelled,
        )
        apply_load(project, load)
        warnings.extend(load.warnings)
    project.layers[:] = [layer for layer in layers if layer in project.layers]
    project.name = layers[0].name
    project.fit_clock()
    if progress:
        progress(1.0)
    return project, warnings


def _part(progress: Progress | None, index: int, count: int) -> Progress | None:
    """Map a step's 0..1 progress into its share of the whole."""
    if progress is None:
        return None
    return lambda fraction: progress((index + max(0.0, min(1.0, fraction))) / count)
