"""Reading 3D model files (glTF/GLB, OBJ, STL, PLY) into a :class:`ModelMesh`, with trimesh.

A file's scene is flattened: every mesh node is moved by its node transform, and its
triangles get one colour each (io/models3d_colors.py). Y-up files (glTF by
specification) are turned z-up: (x, y, z) -> (x, -z, y), so a glTF asset's front (+z)
faces south.

Hostile input: only regular files are opened (a FIFO would block), the size is
checked before reading, and every failure is one line naming the file.
"""

from __future__ import annotations

import json
import logging
import os
import struct
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import numpy as np
import shapely

from twinscape.io.file_checks import check_regular_file, open_regular_file
from twinscape.io.models3d_colors import NEUTRAL_RGB, fill_colors, triangle_colors
from twinscape.io.progress import Cancelled, Progress, ProgressReporter
from twinscape.model.errors import ReaderError
from twinscape.model.models3d import ModelMesh

log = logging.getLogger(__name__)

#: Suffixes of the model files read (lower case).
MODEL_EXTENSIONS: tuple[str, ...] = (".glb", ".gltf", ".obj", ".stl", ".ply")
#: Up axis of each format when the user says nothing: glTF is y-up by specification,
#: OBJ files are y-up as most tools (Blender, Maya, SketchUp) export them, STL and PLY
#: come from CAD and scanners, which are z-up.
DEFAULT_UP_AXIS: dict[str, str] = {
    ".glb": "y", ".gltf": "y", ".obj": "y", ".stl": "z", ".ply": "z",
}  # fmt: skip
#: Format names for messages.
_FORMAT_NAMES = {".glb": "glTF", ".gltf": "glTF", ".obj": "OBJ", ".stl": "STL", ".ply": "PLY"}
#: Largest file read (bytes) and most triangles kept.
MAX_MODEL_BYTES = 512 * 1024 * 1024
MAX_MODEL_TRIANGLES = 5_000_000
#: A coordinate beyond this (model units) is nonsense for a model placed on terrain.
MAX_MODEL_COORDINATE = 1e7


def _suffix(path: Path) -> str:
    return path.suffix.lower()


def default_up_axis(path: str | os.PathLike[str]) -> str:
    """The up axis assumed for ``path`` by its format (``"y"`` or ``"z"``)."""
    return DEFAULT_UP_AXIS.get(_suffix(Path(path)), "z")


def sniff_model(path: str | os.PathLike[str]) -> float:
    """Confidence that ``path`` is a 3D model file (by its suffix; the file is not opened)."""
    return 0.9 if _suffix(Path(path)) in MODEL_EXTENSIONS else 0.0


#: What to give instead of a folder, a pipe or a device.
MODEL_FILE_HINT = "give a model file saved on disk"


def _check_file(path: Path) -> int:
    """The size of ``path``, a regular, non-empty file of a sane size; else ReaderError."""
    info = check_regular_file(path, hint=MODEL_FILE_HINT, missing="file not found")
    if info.st_size > MAX_MODEL_BYTES:
        raise ReaderError(
            path,
            f"is {info.st_size / 2**20:.0f} MB, more than the {MAX_MODEL_BYTES // 2**20} MB "
            "Twinscape reads",
            hint="simplify the model (fewer triangles, smaller textures)",
        )
    if _suffix(path) not in MODEL_EXTENSIONS:
        raise ReaderError(
            path, "is not a 3D model file Twinscape reads",
            hint=f"use one of {', '.join(MODEL_EXTENSIONS)}",
        )  # fmt: skip
    return info.st_size


def _check_header(path: Path, size: int) -> None:
    """Catch truncated and foreign files by their first bytes, before a parser sees them."""
    suffix = _suffix(path)
    with open_regular_file(path, hint=MODEL_FILE_HINT) as fh:  # never blocks on a swapped-in FIFO
        head = fh.read(84)
    if suffix == ".ply" and not head.startswith(b"ply"):
        raise ReaderError(path, "is not a PLY file (it does not start with 'ply')")
    if suffix == ".gltf" and not head.lstrip().startswith(b"{"):
        raise ReaderError(path, "is not a glTF file (it does not start with a JSON object)")
    if suffix == ".stl":
        _check_stl(path, head, size)
    if suffix != ".glb":
        return
    if len(head) < 12 or head[:4] != b"glTF":
        raise ReaderError(path, "is not a binary glTF file (no 'glTF' header)")
    version, length = struct.unpack("<II", head[4:12])
    if version != 2:
        raise ReaderError(path, f"is glTF version {version}; Twinscape reads glTF 2.0")
    if length > size:
        raise ReaderError(
            path, f"is truncated: its header says {length} bytes but the file has {size}"
        )


def _check_stl(path: Path, head: bytes, size: int) -> None:
    """A binary STL is 84 + 50 bytes a triangle; anything else must be ASCII ``solid``."""
    if len(head) == 84:
        (count,) = struct.unpack("<I", head[80:84])
        if 84 + 50 * count == size:
            return
    if head.lstrip().lower().startswith(b"solid"):
        return
    if len(head) == 84:
        raise ReaderError(
            path,
            f"is truncated or not an STL file: its header promises {count} triangles "
            f"({84 + 50 * count} bytes) but the file has {size} bytes",
        )
    raise ReaderError(path, "is not an STL file (too short for a binary STL, not ASCII)")


def _check_gltf_resources(path: Path) -> None:
    """The buffers and images a .gltf names beside it exist and are regular files.

    A missing ``.bin`` is said plainly, and a FIFO in its place is never opened.
    """
    try:
        with open_regular_file(path, hint=MODEL_FILE_HINT) as fh:
            doc = json.loads(fh.read(MAX_MODEL_BYTES + 1))
    except (ValueError, UnicodeDecodeError) as err:
        raise ReaderError(path, f"is not valid glTF JSON ({err})") from err
    if not isinstance(doc, dict):
        raise ReaderError(path, "is not a glTF file (its JSON is not an object)")
    for group in ("buffers", "images"):
        for item in doc.get(group) or []:
            uri = item.get("uri") if isinstance(item, dict) else None
            if not isinstance(uri, str) or uri.startswith("data:"):
                continue
            if "://" in uri:
                raise ReaderError(
                    path, f"refers to a remote file {uri!r}; Twinscape reads local ones"
                )
            resource = path.parent / unquote(uri)
            if not resource.exists():
                raise ReaderError(path, f"needs {uri!r} beside it, which is missing")
            if not resource.is_file():
                raise ReaderError(path, f"needs {uri!r}, which is not a regular file")


def _load_scene(path: Path) -> Any:
    """The file as a trimesh Scene; any failure of the parser becomes one ReaderError."""
    import trimesh  # heavy: imported when a model is read

    try:
        return trimesh.load_scene(str(path), file_type=_suffix(path)[1:], process=False)
    except MemoryError as err:
        raise ReaderError(path, "does not fit in memory") from err
    except Exception as err:  # noqa: BLE001 - any parser error is a bad file
        log.info("reading %s failed", path, exc_info=True)
        text = " ".join(str(err).split())[:160]
        text = f"{type(err).__name__}: {text}" if text else type(err).__name__
        kind = _FORMAT_NAMES.get(_suffix(path), "3D")
        raise ReaderError(
            path, f"could not be read as a {kind} model (damaged or unsupported: {text})"
        ) from err


def read_model(
    path: str | os.PathLike[str],
    *,
    up_axis: str | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> ModelMesh:
    """Read a model file's triangles and colours, z up, in the file's units.

    Parameters
    ----------
    path
        A .glb, .gltf, .obj, .stl or .ply file.
    up_axis
        ``"y"`` or ``"z"``: the file's up axis; None: :func:`default_up_axis`.
    progress, cancelled
        Report 0..1; poll, raising :class:`LoadCancelled` when True.

    Raises
    ------
    ReaderError
        Missing, not regular, empty, too large, truncated or garbage file; no
        triangles; too many triangles; coordinates that are not finite or absurd.
    LoadCancelled
        ``cancelled()`` returned True.
    """
    path = Path(path)
    up = default_up_axis(path) if up_axis is None else up_axis
    if up not in ("y", "z"):
        raise ValueError(f"up_axis: {up!r} is not 'y' or 'z'")

    check = ProgressReporter(path, progress, cancelled).step
    size = _check_file(path)
    _check_header(path, size)
    if _suffix(path) == ".gltf":
        _check_gltf_resources(path)
    check(0.05)
    scene = _load_scene(path)
    check(0.7)
    vertices, triangles, colors, parts = _flatten(path, scene)
    if up == "y":
        vertices = vertices[:, [0, 2, 1]] * np.array([1.0, -1.0, 1.0])
    _check_geometry(path, vertices, triangles)
    check(0.85)
    name = _scene_name(scene) or path.stem
    mesh = make_model_mesh(vertices, triangles, colors, name=name, parts=parts)
    check(1.0)
    return mesh


def _flatten(path: Path, scene: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Every mesh node of ``scene`` moved by its transform, as one triangle soup."""
    import trimesh

    verts, tris, cols = [], [], []
    offset = count = 0
    srgb = _suffix(path) in (".glb", ".gltf")
    for node in scene.graph.nodes_geometry:
        matrix, geometry_name = scene.graph[node]
        geom = scene.geometry.get(geometry_name)
        if not isinstance(geom, trimesh.Trimesh) or len(geom.faces) == 0:
            continue  # points and lines have no surface to draw
        count += len(geom.faces)
        if count > MAX_MODEL_TRIANGLES:  # instances can multiply a small file
            raise ReaderError(
                path,
                f"has more than {MAX_MODEL_TRIANGLES:,} triangles".replace(",", " "),
                hint="simplify (decimate) the model first",
            )
        faces = np.asarray(geom.faces, np.int64)
        v = np.asarray(geom.vertices, np.float64)
        matrix = np.asarray(matrix, np.float64)
        v = v @ matrix[:3, :3].T + matrix[:3, 3]
        if np.linalg.det(matrix[:3, :3]) < 0:  # a mirroring node: keep faces outward
            faces = faces[:, ::-1]
        verts.append(v)
        tris.append(faces + offset)
        cols.append(triangle_colors(geom, faces, srgb))
        offset += len(v)
    if not tris:
        raise ReaderError(path, "has no triangles to draw (only points or lines, or nothing)")
    return np.concatenate(verts), np.concatenate(tris), np.concatenate(cols), len(tris)


def _check_geometry(path: Path, vertices: np.ndarray, triangles: np.ndarray) -> None:
    if triangles.min() < 0 or triangles.max() >= len(vertices):
        raise ReaderError(path, "has triangles pointing at vertices it does not have")
    used = vertices[np.unique(triangles)]
    if not np.isfinite(used).all():
        raise ReaderError(path, "has vertices that are not finite numbers")
    if np.abs(used).max() > MAX_MODEL_COORDINATE:
        raise ReaderError(
            path,
            f"has coordinates up to {np.abs(used).max():.3g}, an absurd size for a model",
            hint="export it in local coordinates (metres around its base)",
        )
    extent = used.max(axis=0) - used.min(axis=0)
    if (extent > 0).sum() < 2:
        raise ReaderError(path, "has no extent (every vertex on one line or point)")


def _scene_name(scene: Any) -> str | None:
    name = getattr(scene, "metadata", {}).get("name")
    return name.strip() if isinstance(name, str) and name.strip() else None


# -- building a mesh ----------------------------------------------------------------
def footprint_hull(vertices: np.ndarray) -> np.ndarray:
    """float64 (k, 2) convex hull of the vertices seen from above, counter-clockwise.

    A footprint with no area (a vertical plane) gets a sliver 1/1000 of its length wide.
    """
    xy = np.unique(np.round(np.asarray(vertices, np.float64)[:, :2], 9), axis=0)
    hull = shapely.convex_hull(shapely.multipoints(xy))
    if not isinstance(hull, shapely.Polygon) or hull.area <= 0:
        length = max(float(np.ptp(xy, axis=0).max()), 1e-9)
        hull = shapely.convex_hull(hull.buffer(length * 1e-3, quad_segs=1))
    hull = shapely.geometry.polygon.orient(hull, 1.0)
    return np.asarray(hull.exterior.coords, np.float64)[:-1]


def make_model_mesh(
    vertices: np.ndarray,
    triangles: np.ndarray,
    colors: np.ndarray | None = None,
    *,
    name: str = "model",
    parts: int = 1,
) -> ModelMesh:
    """A :class:`ModelMesh` with its footprint computed (colours default to neutral).

    Vertices no triangle uses are dropped, so they neither widen the footprint nor
    move the anchor.
    """
    vertices = np.asarray(vertices, np.float64)
    triangles = np.asarray(triangles, np.int64)
    used, inverse = np.unique(triangles.ravel(), return_inverse=True)
    if len(used) < len(vertices):
        vertices = vertices[used]
        triangles = inverse.reshape(-1, 3)
    if colors is None:
        colors = fill_colors(NEUTRAL_RGB, len(triangles))
    return ModelMesh(
        vertices=vertices,
        triangles=triangles.astype(np.int32),
        colors=np.ascontiguousarray(np.asarray(colors, np.uint8)[:, :3]),
        footprint=footprint_hull(vertices),
        name=name,
        parts=parts,
    )


__all__ = [
    "DEFAULT_UP_AXIS",
    "MAX_MODEL_BYTES",
    "MAX_MODEL_TRIANGLES",
    "MODEL_EXTENSIONS",
    "NEUTRAL_RGB",
    "default_up_axis",
    "footprint_hull",
    "make_model_mesh",
    "read_model",
    "sniff_model",
]
