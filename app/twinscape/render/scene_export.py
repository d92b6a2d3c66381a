"""Export a project's scene to glTF/GLB, OBJ + MTL or a VTK multiblock (.vtm); no Qt.

One shared mechanism covers every layer kind, present and future, with no code per
kind: each visible layer's geometry is read from its visual's actors as drawn
(:mod:`~twinscape.render.export_actors`: mapper input, actor transform, colours as
mapped), after the visual chose its finest level of detail for a camera that sees the
whole scene (tolerance 0 px: buildings as triangles, never as points). A visual may
override that with ``export_job(level)`` (and ``export_levels()``, triangles per
level), a job for any thread that builds its parts from what the visual handed it: the
terrain does, exporting its whole grid at a level of its tile pyramid
(:mod:`~twinscape.render.export_terrain`; 0, the default, is full resolution) in its
shown colours, drapes (sensor surfaces, analyses) included.

Heights are **true**: visuals standing on the ground are asked to draw at exaggeration 1
(``set_exaggeration(1)``) while they are read and then put back; anything still
exaggerated is divided out. Points are render coordinates (world minus the project
origin, float32); each format records the CRS and origin needed to place them back
(glTF ``asset.extras.twinscape``, OBJ comments, VTK field data).

Reading actors touches VTK, so :func:`export_scene` runs on the GUI thread;
``progress(fraction, text)`` is called between layers (a GUI processes events there) and
``cancelled()`` polled. The work that touches neither VTK nor Qt (the visuals' export
jobs, merging parts, writing the file: the slow part of a large export) goes through
``work(job)``, which a GUI passes to run it on a worker thread while it keeps drawing
and answering; by default it runs where it is called.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from vtkmodules.vtkRenderingCore import vtkCamera

from twinscape.model.errors import TwinscapeError, quote_path
from twinscape.model.project import Project
from twinscape.render.export_actors import actor_parts
from twinscape.render.export_files import ExportError, write_bytes, write_obj, write_vtm
from twinscape.render.export_gltf import glb_bytes, gltf_text
from twinscape.render.export_mesh import ExportLayer, ExportPart, ExportScene, merge_parts

__all__ = [
    "FORMATS", "MAX_TRIANGLES", "ExportCancelled", "ExportError", "ExportReport", "collect",
    "export_project", "export_scene", "format_for", "terrain_levels", "write_scene",
]  # fmt: skip

#: Export formats and the file suffix each writes.
FORMATS: dict[str, str] = {"glb": ".glb", "gltf": ".gltf", "obj": ".obj", "vtm": ".vtm"}
#: Above this many triangles an export is warned about (large, slow to open).
MAX_TRIANGLES = 5_000_000

Progress = Callable[[float, str], None]
#: Runs a job that touches neither VTK nor Qt and returns its result (see the module).
Work = Callable[[Callable[[], Any]], Any]


class ExportCancelled(TwinscapeError):
    """The user cancelled an export; nothing was written."""


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote: files, layers, triangles, vertices, bytes, seconds, warnings."""

    paths: tuple[Path, ...]
    format: str
    layers: int
    triangles: int
    vertices: int
    bytes: int
    seconds: float
    warnings: tuple[str, ...]


def format_for(out: Path, fmt: str | None = None) -> str:
    """The format of ``out``: ``fmt`` (checked against the suffix) or the one its suffix names."""
    suffix = Path(out).suffix.lower()
    if fmt is None:
        for name, ending in FORMATS.items():
            if suffix == ending:
                return name
        raise ExportError(
            f"{quote_path(out)}: unknown export format {suffix or '(no suffix)'}; use one of "
            + ", ".join(FORMATS.values())
        )
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    if suffix != FORMATS[fmt]:
        raise ExportError(
            f"{quote_path(out)}: {fmt} files end in {FORMATS[fmt]}, not "
            f"{suffix or 'no suffix'}; rename it or choose the matching format"
        )
    return fmt


def _exported(scene: Any) -> list[tuple[Any, Any]]:
    """(layer, visual) of every visible layer drawn by the scene, bottom first."""
    return [(layer, scene.visuals[id(layer)]) for layer in scene.project.layers
            if layer.visible and id(layer) in scene.visuals]  # fmt: skip


def terrain_levels(scene: Any) -> list[int]:
    """Triangles of the visible terrains (visuals with ``export_levels``) per export level."""
    counts = [v.export_levels() for _, v in _exported(scene) if hasattr(v, "export_levels")]
    counts = [c for c in counts if c]
    n = max((len(c) for c in counts), default=0)
    return [sum(c[min(level, len(c) - 1)] for c in counts) for level in range(n)]


def _whole_scene_camera(scene: Any) -> vtkCamera:
    """A camera looking straight down whose frustum holds everything (nothing is culled)."""
    boxes = [b for b in (v.bounds_render() for _, v in _exported(scene)) if b is not None]
    camera = vtkCamera()
    if not boxes:
        return camera
    lo = [min(b[i] for b in boxes) for i in (0, 2, 4)]
    hi = [max(b[i] for b in boxes) for i in (1, 3, 5)]
    span = max(hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2], 1.0)
    cx, cy = (lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2
    camera.ParallelProjectionOn()
    camera.SetParallelScale(2.0 * span)
    camera.SetFocalPoint(cx, cy, lo[2])
    camera.SetPosition(cx, cy, hi[2] + 4.0 * span)
    camera.SetViewUp(0.0, 1.0, 0.0)
    camera.SetClippingRange(1.0, 20.0 * span)
    return camera


def _here(job: Callable[[], Any]) -> Any:
    """The default :data:`Work`: ``job()`` on this thread."""
    return job()


def _parts(
    visual: Any, level: int, camera: vtkCamera, height: float, work: Work
) -> list[ExportPart]:
    """The parts of one visual: its ``export_job`` hook run through ``work``, else its
    actors at true height (read here: VTK)."""
    hook = getattr(visual, "export_job", None)
    if hook is not None:
        return list(work(hook(level)))
    shown_ve = float(visual.ve)
    lift = not visual.layer.provides_ground and shown_ve != 1.0
    if lift:
        visual.set_exaggeration(1.0)
    try:
        visual.apply_pending_colours(wait=True)
        visual.update_lod(camera, height, 0.0)
        ve = float(visual.ve) or 1.0  # what still is exaggerated (a ground without a hook)
        return [part for actor in list(visual.actors) for part in actor_parts(actor, ve)]
    finally:
        if lift:
            visual.set_exaggeration(shown_ve)


def collect(
    scene: Any, *, terrain_level: int = 0, progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None, work: Work = _here,
) -> ExportScene:  # fmt: skip
    """Read every visible layer of ``scene`` (a :class:`SceneView`) into an export scene.

    ``terrain_level`` is the terrain's level of detail (0 full resolution, each next one
    a quarter of the triangles); a terrain with fewer levels uses its coarsest. ``work``
    runs the jobs that touch neither VTK nor Qt (see the module).
    """
    project: Project = scene.project
    layers = _exported(scene)
    warnings: list[str] = []
    levels = terrain_levels(scene)
    if levels and terrain_level >= len(levels):
        warnings.append(f"terrain level of detail {terrain_level} does not exist; the coarsest "
                        f"({len(levels) - 1}) is exported")  # fmt: skip
    if levels and levels[min(terrain_level, len(levels) - 1)] > MAX_TRIANGLES:
        warnings.append(size_warning(levels, terrain_level))
    camera = _whole_scene_camera(scene)
    height = float(scene.renderer.GetSize()[1] or 1080)
    out: list[ExportLayer] = []
    for i, (layer, visual) in enumerate(layers):
        if cancelled is not None and cancelled():
            raise ExportCancelled("export cancelled; nothing was written")
        if progress is not None:
            progress(i / max(len(layers), 1), f"Reading {layer.name}")
        parts = work(partial(merge_parts, _parts(visual, terrain_level, camera, height, work)))
        if parts:
            out.append(ExportLayer(layer.name, layer.kind, layer.id, parts))
    scene.update_lod()  # back to the levels of the view on screen
    origin = tuple(float(v) for v in (project.origin or (0.0, 0.0, 0.0)))
    return ExportScene(project.name, project.crs, origin, out, warnings)  # type: ignore[arg-type]


def size_warning(levels: list[int], level: int) -> str:
    """The warning for a terrain export of ``levels[level]`` triangles, naming a smaller level."""
    level = min(level, len(levels) - 1)
    text = (
        f"the terrain at level of detail {level} has {levels[level] / 1e6:.1f} M triangles, "
        f"more than {MAX_TRIANGLES / 1e6:g} M: the file will be large and slow to open"
    )
    smaller = next((k for k, n in enumerate(levels) if n <= MAX_TRIANGLES), None)
    if smaller is not None:
        text += f"; level {smaller} has {levels[smaller] / 1e6:.1f} M"
    return text


def write_scene(export: ExportScene, out: Path, fmt: str) -> list[Path]:
    """Write ``export`` to ``out`` in ``fmt`` (atomically); the files and folders written."""
    out = Path(out)
    if not export.layers:
        raise ExportError(
            f"{quote_path(out)}: nothing to export: no visible layer has any geometry; show "
            "or load a layer first"
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "glb":
            write_bytes(out, glb_bytes(export))
            return [out]
        if fmt == "gltf":
            write_bytes(out, gltf_text(export))
            return [out]
        if fmt == "obj":
            return write_obj(export, out)
        return write_vtm(export, out)
    except OSError as err:
        reason = err.strerror or str(err)
        raise ExportError(
            f"{quote_path(out)}: could not write the export ({reason}); free some space or "
            "choose another place"
        ) from err


def _size(paths: list[Path]) -> int:
    total = 0
    for path in paths:
        files = path.rglob("*") if path.is_dir() else [path]
        total += sum(f.stat().st_size for f in files if f.is_file())
    return total


def export_scene(
    scene: Any, out: Path, fmt: str | None = None, *, terrain_level: int = 0,
    progress: Progress | None = None, cancelled: Callable[[], bool] | None = None,
    work: Work = _here,
) -> ExportReport:  # fmt: skip
    """Export what ``scene`` (a :class:`SceneView`) shows to ``out``; what was written.

    ``fmt`` is one of :data:`FORMATS` (None: from the suffix of ``out``); ``work`` runs
    the jobs that touch neither VTK nor Qt, reading the scene is done here (see the module).
    """
    start = time.perf_counter()
    fmt = format_for(out, fmt)
    export = collect(scene, terrain_level=terrain_level, progress=progress, cancelled=cancelled,
                     work=work)  # fmt: skip
    if cancelled is not None and cancelled():
        raise ExportCancelled("export cancelled; nothing was written")
    if progress is not None:
        progress(0.95, f"Writing {Path(out).name}")
    paths = work(partial(write_scene, export, Path(out), fmt))
    return ExportReport(
        paths=tuple(paths), format=fmt, layers=len(export.layers), triangles=export.triangles,
        vertices=export.vertices, bytes=_size(paths), seconds=time.perf_counter() - start,
        warnings=tuple(export.warnings),
    )  # fmt: skip


def export_project(
    project: Project, out: Path, fmt: str | None = None, *, terrain_level: int = 0,
    progress: Progress | None = None,
) -> ExportReport:  # fmt: skip
    """Export ``project`` headless: its loaded layers drawn into an off-screen scene."""
    import pyvista as pv

    from twinscape.render.scene import SceneView

    fmt = format_for(out, fmt)
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    plotter = pv.Plotter(off_screen=True, window_size=[1920, 1080], lighting="none")
    scene = SceneView(plotter, project)
    try:
        return export_scene(scene, out, fmt, terrain_level=terrain_level, progress=progress)
    finally:
        scene.close()
        plotter.close()
