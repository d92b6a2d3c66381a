"""A user catalogue with a model file for the tests: tests/data/catalogue_model_mast.toml
copied into a folder, with the glTF model it names written beside it by trimesh."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import trimesh

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "catalogue_model_mast.toml"
#: Size of the model in metres (model_scale 0.01): width (x), depth (y), height.
MAST_SIZE_M = (1.8, 1.75, 12.0)


def write_dish_mast(path: Path) -> int:
    """A 12 m pole with a dish facing north and a cabinet, in centimetres, y up (glTF);
    returns its number of triangles."""
    pole = trimesh.creation.cylinder(radius=15.0, height=1200.0, sections=12)
    pole.apply_translation((0.0, 0.0, 600.0))
    dish = trimesh.creation.cylinder(radius=90.0, height=30.0, sections=24)
    dish.apply_transform(trimesh.transformations.rotation_matrix(math.pi / 2, (1, 0, 0)))
    dish.apply_translation((0.0, 40.0, 1000.0))
    cabinet = trimesh.creation.box(extents=(120.0, 80.0, 160.0))
    cabinet.apply_translation((0.0, -80.0, 80.0))
    parts = [pole, dish, cabinet]
    for part, rgb in zip(parts, ((200, 200, 205), (240, 240, 240), (120, 130, 110))):
        part.visual.face_colors = (*rgb, 255)
    mast = trimesh.util.concatenate(parts)
    mast.apply_transform(trimesh.transformations.rotation_matrix(-math.pi / 2, (1, 0, 0)))
    path.write_bytes(trimesh.Scene(mast).export(file_type="glb"))
    return len(mast.faces)


def example_catalogue(folder: Path) -> tuple[Path, int]:
    """The example catalogue copied into ``folder`` with its model; (path, triangles)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = Path(shutil.copy(EXAMPLE, folder / EXAMPLE.name))
    return path, write_dish_mast(folder / "dish_mast.glb")
