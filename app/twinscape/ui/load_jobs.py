"""Jobs the loader runs on its worker thread: read data, then prepare what is slow to show.

Each job is ``fn(*, progress, cancelled) -> result`` and touches neither Qt nor VTK.
Besides reading, a job runs each layer kind's preparation (render/kinds, e.g. the
tiles and colours of a large DEM), so the visual adopts it instead of building it on
the GUI thread. Nothing here names a layer kind.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twinscape.geo.origin import LocalOrigin
from twinscape.io.loading import (
    LayerLoad,
    new_layers,
    open_data_files,
    open_project,
    read_layer,
)
from twinscape.model.errors import LoadCancelled, ReaderError, error_line
from twinscape.model.layers import Layer
from twinscape.model.project import Project, Vec3, origin_for
from twinscape.model.raster import RasterGrid
from twinscape.render.kinds import prepare_layer
from twinscape.ui.loader import progress_fraction

Job = Callable[..., Any]
log = logging.getLogger(__name__)


def _prepare_project(project: Project) -> None:
    origin = LocalOrigin.of(project.origin)
    for layer in project.layers:
        prepare_layer(layer, origin)


def open_project_job(path: Path) -> Job:
    """Job: a project file and all its data -> ``(project, warnings)``.

    A layer whose file cannot be read stays in the project, unloaded, with a warning.
    """

    def job(*, progress: Any, cancelled: Any) -> tuple[Project, list[str]]:
        project, warnings = open_project(
            path, progress=progress, cancelled=cancelled, keep_broken=True
        )
        _prepare_project(project)
        return project, warnings

    return job


def open_data_job(paths: list[Path]) -> Job:
    """Job: data files -> ``(project, warnings)``, a throw-away project holding them."""

    def job(*, progress: Any, cancelled: Any) -> tuple[Project, list[str]]:
        project, warnings = open_data_files(paths, progress=progress, cancelled=cancelled)
        _prepare_project(project)
        return project, warnings

    return job


def reload_layer_job(
    layer: Layer, project_crs: str | None, ground: tuple[RasterGrid, ...], origin: Vec3 | None
) -> Job:
    """Job: read ``layer``'s data again with its current settings -> :class:`LayerLoad`.

    The layer itself is not touched on the worker thread (the caller applies the load);
    the kind's slow preparation runs on a detached copy holding the new data, and the
    visual adopts it when the load is applied.
    """

    def job(*, progress: Any, cancelled: Any) -> LayerLoad:
        load = read_layer(
            layer, project_crs=project_crs, ground=ground, progress=progress, cancelled=cancelled
        )
        detached = dataclasses.replace(layer, **load.data.values)  # its own events: unseen
        prepare_layer(detached, LocalOrigin.of(origin))
        return load

    return job


@dataclass(frozen=True)
class AddedLayers:
    """What an add-data job read, and the files it could not read."""

    loads: list[LayerLoad]
    failures: list[ReaderError] = field(default_factory=list)


def add_layers_job(
    paths: list[Path],
    project_crs: str | None,
    origin: Vec3 | None,
    ground: tuple[RasterGrid, ...] = (),
    assume: dict[Path, str] | None = None,
) -> Job:
    """Job: read data files for an open project; the first one read picks CRS and origin if unset.

    ``ground`` holds the project's terrain grids for layers that stand on the ground;
    ground files among ``paths`` are read first and join it. ``assume`` gives the CRS
    of files that state none (as the user answered).

    A file that cannot be read (whatever its reader raised) is reported in
    :attr:`AddedLayers.failures` and the others are still added (in the order given);
    when none can be read the first error is raised.
    """

    def job(*, progress: Any, cancelled: Any) -> AddedLayers:
        layers, failures = new_layers(paths, assume=assume)
        loads: dict[int, LayerLoad] = {}
        crs, local, under = project_crs, origin, list(ground)
        order = sorted(range(len(layers)), key=lambda i: not layers[i].provides_ground)
        for step, index in enumerate(order):

            def report(*args: Any, _step: int = step) -> None:
                fraction = progress_fraction(*args)
                if fraction is not None:
                    progress((_step + fraction) / max(1, len(layers)))

            layer = layers[index]
            try:
                load = read_layer(
                    layer, project_crs=crs, ground=under, progress=report, cancelled=cancelled
                )
            except ReaderError as err:
                failures.append(err)
                continue
            except (LoadCancelled, MemoryError):
                raise
            except Exception as err:  # noqa: BLE001 - one hostile file must not lose the others
                log.error("reading %s failed", getattr(layer, "source", layer.name), exc_info=err)
                source = getattr(layer, "source", None) or layer.name
                failures.append(ReaderError(source, f"could not be read: {error_line(err, 300)}"))
                continue
            crs = crs or load.data.crs
            for name, value in load.data.values.items():  # the layer is not shown yet
                setattr(layer, name, value)
            if local is None and layer.bounds is not None:
                local = origin_for(layer.bounds)
            grid = getattr(layer, "grid", None)
            if layer.provides_ground and grid is not None:
                under.insert(0, grid)
            prepare_layer(layer, LocalOrigin.of(local))
            loads[index] = load
        if not loads:
            raise failures[0]
        return AddedLayers([loads[i] for i in sorted(loads)], failures)

    return job

