"""Cameras of project files written before cameras held real heights (schema 1).

Schema 1 stored the view and the bookmarks with z as drawn: stretched by the vertical
exaggeration of the ground about the project origin's z. From schema 2 on, cameras hold
real heights in metres. :func:`cameras_to_metres` converts the cameras of an older file
once, on load, with the exaggeration its ground had in that file, so it opens showing the
same view as before; saving it writes the current schema.
"""

from __future__ import annotations

from os import PathLike

from twinscape.model.bookmarks import CameraView, scale_view_z
from twinscape.model.errors import ProjectFileError
from twinscape.model.project import Project

#: The first project-file schema whose cameras and bookmarks hold real heights (metres).
METRIC_CAMERAS_SCHEMA = 2


def file_exaggeration(project: Project) -> float:
    """Vertical exaggeration of the topmost visible ground layer as the file sets it (1 if none).

    This is the exaggeration the scene drew the file's cameras with once its layers were
    loaded (layer data is not read here, so loading is not asked).
    """
    for layer in reversed(project.layers):
        if layer.provides_ground and layer.visible:
            style = getattr(layer, "style", None)
            return float(getattr(style, "vertical_exaggeration", 1.0))
    return 1.0


def cameras_to_metres(project: Project, path: str | PathLike[str]) -> None:
    """Convert the view and bookmarks of a schema-1 ``project`` from drawn to real heights.

    Heights are divided by the file's ground exaggeration (:func:`file_exaggeration`)
    about the origin's z, as the scene drew them; view-up keeps its roll.

    Raises
    ------
    ProjectFileError
        A camera's real height lies beyond any projected CRS (``path`` and the key named).
    """
    ve = file_exaggeration(project)
    if ve == 1.0:
        return
    base = project.origin[2] if project.origin is not None else 0.0

    def real(view: CameraView, key: str) -> CameraView:
        try:
            return scale_view_z(view, 1.0 / ve, base)
        except ValueError as err:
            problem = f"at exaggeration {ve:g} of the ground, {err}"
            raise ProjectFileError(path, key, problem) from None

    if project.view is not None:
        project.view = real(project.view, "view")
    for i, mark in enumerate(project.bookmarks):
        mark.view = real(mark.view, f"bookmarks[{i}]")
