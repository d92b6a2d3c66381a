"""Atomic writes, and the OBJ + MTL and VTK multiblock (.vtm) files of an export scene.

Every file is written beside its target under a temporary name, flushed to disk and
renamed over it, so a failure (a full disk) leaves the previous file, never half of one.

OBJ is Y-up like glTF (a render point (x, y, z) is written (x, z, -y), as most 3-D tools
read OBJ); comments at the top give the CRS, the origin and the axes. One object
(``o``) and group (``g``) per layer, named after it (spaces as ``_``); vertex colours
through the common ``v x y z r g b`` extension (sRGB 0..1) and one material per part in
the MTL (``Kd`` its mean colour, ``d`` its opacity, ``illum 0``: unlit, as drawn).

The VTK multiblock has one block per layer, named after it: a ``vtkPolyData`` in
render coordinates (Z up, true heights) with the cell arrays the scene draws from
(e.g. ``building``, ``surface``, ``asset``), point ``rgba`` colours and point arrays such
as the terrain's ``elevation``; its field data holds ``crs``, ``origin``, ``layer_id``
and ``kind``. The ``.vtm`` file lists the blocks, which VTK writes into a folder named
after it (``scene.vtm`` + ``scene/``).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np
from vtkmodules.util.numpy_support import numpy_to_vtk, numpy_to_vtkIdTypeArray
from vtkmodules.vtkCommonCore import vtkPoints, vtkStringArray
from vtkmodules.vtkCommonDataModel import (
    vtkCellArray,
    vtkCompositeDataSet,
    vtkMultiBlockDataSet,
    vtkPolyData,
)
from vtkmodules.vtkIOXML import vtkXMLMultiBlockDataWriter

from twinscape import __version__
from twinscape.model.errors import TwinscapeError, quote_path
from twinscape.render.export_mesh import LINES, TRIANGLES, ExportLayer, ExportScene, render_to_yup

_ROWS = 65536  # rows formatted at a time


class ExportError(TwinscapeError, ValueError):
    """A scene cannot be exported as asked (format, file, nothing to export)."""


def _temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


@contextlib.contextmanager
def atomic_files(*paths: Path) -> Iterator[list[IO[bytes]]]:
    """Open temporary files for ``paths``; rename them over ``paths`` when the block ends.

    On any error the temporary files are removed and the targets left as they were.
    """
    temps = [_temp_name(p) for p in paths]
    streams: list[IO[bytes]] = []
    try:
        for temp in temps:
            streams.append(open(temp, "xb"))  # noqa: SIM115 - closed below
        yield streams
        for stream in streams:
            stream.flush()
            os.fsync(stream.fileno())
            stream.close()
        for temp, path in zip(temps, paths):
            os.replace(temp, path)
    except BaseException:
        for stream in streams:
            stream.close()
        for temp in temps:
            with contextlib.suppress(OSError):
                temp.unlink()
        raise


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_files(path) as (stream,):
        stream.write(data)


# -- OBJ + MTL --------------------------------------------------------------------------
def obj_name(name: str) -> str:
    """A layer name as an OBJ/MTL name: runs of white space as ``_`` (``"layer"`` if empty)."""
    return re.sub(r"\s+", "_", name.strip()) or "layer"


def _lines(stream: IO[bytes], fmt: str, rows: np.ndarray) -> None:
    """Write ``fmt`` (one row's format, with its newline) for every row of ``rows``."""
    for start in range(0, len(rows), _ROWS):
        chunk = rows[start : start + _ROWS]
        stream.write(((fmt * len(chunk)) % tuple(chunk.ravel().tolist())).encode("ascii"))


def write_obj(scene: ExportScene, path: Path) -> list[Path]:
    """Write ``scene`` as ``path`` (.obj) and its materials beside it (.mtl); both paths."""
    mtl = path.with_suffix(".mtl")
    ox, oy, oz = scene.origin
    header = [
        f"# Twinscape {__version__} scene export: {scene.name}",
        f"# CRS: {scene.crs}",
        f"# origin (world metres of the CRS): {ox!r} {oy!r} {oz!r}",
        "# axes: Y up; file (X, Y, Z) = (x - origin x, z - origin z, -(y - origin y));",
        "# true heights (no vertical exaggeration); units: metres",
        f"mtllib {mtl.name}",
    ]
    materials: list[str] = [f"# Twinscape {__version__} materials of {path.name}"]
    used: set[str] = set()
    with atomic_files(path, mtl) as (obj_stream, mtl_stream):
        obj_stream.write(("\n".join(header) + "\n").encode("utf-8"))
        base = 1
        for layer in scene.layers:
            base = _obj_layer(obj_stream, layer, base, materials, used)
        mtl_stream.write(("\n".join(materials) + "\n").encode("utf-8"))
    return [path, mtl]


def _obj_layer(stream: IO[bytes], layer: ExportLayer, base: int, materials: list[str],
               used: set[str]) -> int:  # fmt: skip
    """Write one layer (object, group, vertices, faces, segments); the next vertex number."""
    name = obj_name(layer.name)
    stream.write(f"# layer: {layer.name}\no {name}\ng {name}\n".encode())
    for part in layer.parts:
        rgb = part.vertex_colors()[:, :3].astype(np.float64) / 255.0
        _lines(stream, "v %.3f %.3f %.3f %.4f %.4f %.4f\n",
               np.concatenate([render_to_yup(part.points).astype(np.float64), rgb], axis=1))
        material = f"{name}_{part.kind}"
        while material in used:
            material += "_"
        used.add(material)
        r, g, b = rgb.mean(axis=0) if len(rgb) else (1.0, 1.0, 1.0)
        materials += [f"newmtl {material}", f"Kd {r:.4f} {g:.4f} {b:.4f}", "Ka 0 0 0",
                      f"d {part.opacity:.4f}", "illum 0", ""]  # fmt: skip
        stream.write(f"usemtl {material}\n".encode())
        prefix = {TRIANGLES: "f", LINES: "l"}[part.kind]
        corners = part.cells.shape[1]
        _lines(stream, prefix + " %d" * corners + "\n", part.cells + base)
        base += len(part.points)
    return base


# -- VTK multiblock -------------------------------------------------------------------
def _block(layer: ExportLayer, scene: ExportScene) -> vtkPolyData:
    """One layer as a ``vtkPolyData``: its segments, then its triangles (VTK's cell order)."""
    parts = sorted(layer.parts, key=lambda p: p.kind != LINES)
    offsets = np.cumsum([0] + [len(p.points) for p in parts[:-1]])
    pd = vtkPolyData()
    points = vtkPoints()
    points.SetData(numpy_to_vtk(np.concatenate([p.points for p in parts]).astype(np.float32),
                                deep=True))  # fmt: skip
    pd.SetPoints(points)
    for kind, setter in ((LINES, pd.SetLines), (TRIANGLES, pd.SetPolys)):
        cells = [p.cells + o for p, o in zip(parts, offsets) if p.kind == kind]
        if cells:
            conn = np.concatenate(cells).astype(np.int64)
            array = vtkCellArray()
            array.SetData(
                numpy_to_vtkIdTypeArray(np.arange(0, conn.size + 1, conn.shape[1]), deep=True),
                numpy_to_vtkIdTypeArray(conn.ravel(), deep=True),
            )
            setter(array)
    ordered = [p for kind in (LINES, TRIANGLES) for p in parts if p.kind == kind]
    for target, arrays in ((pd.GetCellData(), [p.cell_data for p in ordered]),
                           (pd.GetPointData(), [p.point_data for p in parts])):  # fmt: skip
        for name in arrays[0]:
            if all(name in a and a[name].dtype == arrays[0][name].dtype for a in arrays):
                target.AddArray(_named(np.concatenate([a[name] for a in arrays]), name))
    pd.GetPointData().SetScalars(_named(np.concatenate([p.vertex_colors() for p in parts]),
                                        "rgba"))  # fmt: skip
    field = pd.GetFieldData()
    for key, value in (("crs", scene.crs or ""), ("layer_id", layer.layer_id),
                       ("kind", layer.kind), ("name", layer.name)):  # fmt: skip
        strings = vtkStringArray()
        strings.SetName(key)
        strings.InsertNextValue(value)
        field.AddArray(strings)
    field.AddArray(_named(np.array([scene.origin], np.float64), "origin"))
    return pd


def _named(values: np.ndarray, name: str) -> object:
    array = numpy_to_vtk(np.ascontiguousarray(values), deep=True)
    array.SetName(name)
    return array


def _data_folder_is_ours(folder: Path) -> bool:
    """True when ``folder`` holds only VTK XML files (an earlier export's blocks)."""
    return folder.is_dir() and all(
        p.is_file() and p.suffix in (".vtp", ".vtu", ".vti") for p in folder.iterdir()
    )


def write_vtm(scene: ExportScene, path: Path) -> list[Path]:
    """Write ``scene`` as ``path`` (.vtm) and its blocks in the folder beside it; both paths."""
    folder = path.with_suffix("")
    if folder.exists() and not _data_folder_is_ours(folder):
        raise ExportError(
            f"{quote_path(folder)}: the blocks of {path.name} go into this folder, which holds "
            "other files; choose another --out name"
        )
    blocks = vtkMultiBlockDataSet()
    for i, layer in enumerate(scene.layers):
        blocks.SetBlock(i, _block(layer, scene))
        blocks.GetMetaData(i).Set(vtkCompositeDataSet.NAME(), layer.name)
    temp = _temp_name(path)
    temp.mkdir()
    old = _temp_name(folder)
    try:
        writer = vtkXMLMultiBlockDataWriter()
        writer.SetFileName(str(temp / path.name))
        writer.SetInputData(blocks)
        writer.SetDataModeToAppended()
        writer.SetCompressorTypeToZLib()
        if not writer.Write():
            raise ExportError(f"{quote_path(path)}: VTK could not write the blocks")
        for written in temp.rglob("*"):
            if written.is_file():
                with open(written, "rb") as stream:
                    os.fsync(stream.fileno())
        moved = folder.exists()
        if moved:
            os.replace(folder, old)
        try:
            os.replace(temp / folder.name, folder)
        except OSError:
            if moved:
                os.replace(old, folder)
            raise
        os.replace(temp / path.name, path)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return [path, folder]
