"""``twinscape export``: a project's 3-D scene to glTF/GLB, OBJ + MTL or VTK (.vtm), headless.

``twinscape export PROJECT|DATA... --out FILE [--format glb|gltf|obj|vtm]
[--terrain-level N|full]``: the visible layers as shown (one node, group or block per
layer), true heights, render coordinates with the CRS and origin recorded in the file
(see render/scene_export.py). The format defaults to the suffix of ``--out``; a format
and a suffix that disagree, an ``--out`` that cannot be written (checked before anything
is loaded), a bad level and an empty scene are one-line :class:`ExportCliError`\\ s.
Never imports Qt.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from twinscape.cli_args import (
    CliError,
    add_inputs_and_out,
    check_out,
    load_inputs,
    print_warnings,
)
from twinscape.model.errors import quote_path

FORMAT_NAMES = ("glb", "gltf", "obj", "vtm")


class ExportCliError(CliError):
    """A bad argument of ``twinscape export``."""


def _level(text: str) -> int:
    """``full`` (0) or a level of detail 0..16."""
    value = text.strip().lower()
    if value == "full":
        return 0
    if not (value.isascii() and value.isdigit()) or int(value) > 16:
        raise argparse.ArgumentTypeError(
            f"terrain level must be 'full' or a number 0..16 (0 is full detail), got {text!r}"
        )
    return int(value)


def add_export_parser(commands: argparse._SubParsersAction) -> None:
    """Add the ``export`` sub-command to ``commands``."""
    cmd = commands.add_parser(
        "export", help="export the 3-D scene to glTF/GLB, OBJ + MTL or VTK (.vtm)"
    )
    add_inputs_and_out(cmd, "file to write")
    cmd.add_argument("--format", "-f", type=str.lower, choices=FORMAT_NAMES, default=None,
                     help="glb, gltf, obj or vtm (default: from the --out suffix)")  # fmt: skip
    cmd.add_argument("--terrain-level", type=_level, default=0, metavar="N|full",
                     help="terrain level of detail: full (0, default) or N, each level a "
                          "quarter of the triangles of the one before")  # fmt: skip


def check_export_out(out: Path, fmt: str | None) -> str:
    """The format of ``out``, after refusing what cannot be written (before loading)."""
    from twinscape.render.scene_export import ExportError, format_for

    try:
        fmt = format_for(out, fmt)
    except ExportError as err:
        raise ExportCliError(str(err)) from None
    companions = [out.with_suffix(".mtl")] if fmt == "obj" else []
    check_out(out, what="scene", companions=companions, example="scene" + out.suffix,
              error=ExportCliError)  # fmt: skip
    return fmt


def run_export(args: argparse.Namespace) -> int:
    """Run ``twinscape export``; 0 on success (errors are raised as one-line exceptions)."""
    fmt = check_export_out(args.out, args.format)
    os.environ.setdefault("PYVISTA_OFF_SCREEN", "true")
    from twinscape.render.offscreen_window import silence_vtk_output
    from twinscape.render.scene_export import export_project

    silence_vtk_output()
    project, notes = load_inputs(args.paths)
    print_warnings(notes)
    report = export_project(project, args.out, fmt, terrain_level=args.terrain_level)
    print_warnings(report.warnings)
    written = " + ".join(quote_path(p) for p in report.paths)
    print(f"wrote {written}: {report.layers} layer(s), {report.triangles:,} triangles, "
          f"{report.bytes / 1e6:.1f} MB in {report.seconds:.1f} s")  # fmt: skip
    return 0
