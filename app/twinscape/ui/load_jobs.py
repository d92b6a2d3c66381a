"""Jobs the loader runs on its worker thread: read data, then build terrain tiles.

Each job is ``fn(*, progress, cancelled) -> result`` and touches neither Qt nor VTK.
Besides reading, a job prepares every terrain's tiles and baked colours
(:func:`~twinscape.render.terrain_visual.prepare_tiles`), the slow part of showing
a large DEM, so the visual adopts them instead of building them on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twinscape.geo.origin import LocalOrigin
from twinscape.io.loading import TerrainLoad, load_terrain, open_data_files, open_project
from twinscape.model.errors import ReaderError
from twinscape.model.layers import TerrainLayer
from twinscape.model.project import Project, Vec3, origin_for
from twinscape.model.style import TerrainStyle
from twinscape.render.terrain_visual import prepare_tiles
from twinscape.ui.loader import progress_fraction

Job = Callable[..., Any]


def _prepare_project(project: Project) -> None:
    origin = LocalOrigin.of(project.origin)
    for layer in project.layers:
        if isinstance(layer, TerrainLayer) and layer.grid is not None:
            prepare_tiles(layer.grid, layer.style, origin)


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


@dataclass(frozen=True)
class AddedTerrains:
    """What an add-data job read, and the files it could not read."""

    loads: list[TerrainLoad]
    failures: list[ReaderError] = field(default_factory=list)


def add_terrains_job(
    paths: list[Path],
    project_crs: str | None,
    origin: Vec3 | None,
    assume: dict[Path, str] | None = None,
) -> Job:
    """Job: read DEMs for an open project; the first one read picks CRS and origin if unset.

    ``assume`` gives the CRS of files that state none (as the user answered).

    A file that cannot be read is reported in :attr:`AddedTerrains.failures` and the
    others are still added; when none can be read the first error is raised.
    """

    def job(*, progress: Any, cancelled: Any) -> AddedTerrains:
        loads: list[TerrainLoad] = []
        failures: list[ReaderError] = []
        crs, local = project_crs, origin
        count = len(paths)
        for i, path in enumerate(paths):

            def step(*args: Any, _i: int = i) -> None:
                fraction = progress_fraction(*args)
                if fraction is not None:
                    progress((_i + fraction) / count)

            try:
                load = load_terrain(
                    path,
                    project_crs=crs,
                    assume_crs=(assume or {}).get(path),
                    progress=step,
                    cancelled=cancelled,
                )
            except ReaderError as err:
                failures.append(err)
                continue
            crs = crs or load.result.target_crs
            local = local or origin_for(load.result.grid.bounds)
            prepare_tiles(load.result.grid, TerrainStyle(), LocalOrigin.of(local))
            loads.append(load)
        if not loads:
            raise failures[0]
        return AddedTerrains(loads, failures)

    return job
