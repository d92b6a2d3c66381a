"""The model kind without a display: reading model files (real ones, written by trimesh's
exporters, and broken ones), placement and the ground under it, project files."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import trimesh
from trimesh.visual import TextureVisuals
from trimesh.visual.material import PBRMaterial

from twinscape.geo.ground import ground_grids
from twinscape.io.formats import classify_path
from twinscape.io.kinds import data_file_filter, kind_of
from twinscape.io.kinds.models import ground_base
from twinscape.io.loading import (
    apply_load,
    load_file,
    open_data_files,
    open_project,
    read_layer,
)
from twinscape.io.models3d import MODEL_EXTENSIONS, NEUTRAL_RGB, read_model
from twinscape.io.project_file import load_project, save_project
from twinscape.model import Project, RasterGrid
from twinscape.model.errors import CRSError, LoadCancelled, ProjectFileError, ReaderError
from twinscape.model.models3d import ModelLayer, ModelPlacement

RED = [200, 30, 30, 255]
#: The unit tests' georeferencing (conftest.UTM_ORIGIN): 30 m cells in UTM 36N.
TRANSFORM = (30.0, 0.0, 700_000.0, 0.0, -30.0, 3_500_000.0)
WriteRaster = Callable[..., Path]


def srgb(linear_byte: int) -> int:
    """glTF colour factors are linear: the sRGB byte a viewer shows (the sRGB formula)."""
    c = linear_byte / 255.0
    s = 12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055
    return round(s * 255.0)


def coloured_box(extents, rgba=RED) -> trimesh.Trimesh:  # noqa: ANN001
    box = trimesh.creation.box(extents=extents)
    box.visual = TextureVisuals(material=PBRMaterial(baseColorFactor=rgba))
    return box


@pytest.fixture
def glb(tmp_path: Path) -> Path:
    """A red box 2 wide, 6 tall (glTF y), 4 deep, at node translation (10, 5, 0)."""
    scene = trimesh.Scene()
    move = trimesh.transformations.translation_matrix([10.0, 5.0, 0.0])
    scene.add_geometry(coloured_box((2.0, 6.0, 4.0)), node_name="box", transform=move)
    path = tmp_path / "tower.glb"
    scene.export(path)
    return path


# -- reading ------------------------------------------------------------------------
def test_glb_is_turned_z_up_with_node_transforms_and_srgb_colours(glb: Path) -> None:
    mesh = read_model(glb)
    assert mesh.count == 12 and mesh.parts == 1
    low, high = mesh.box
    # glTF (x, y, z) -> (x, -z, y): y 2..8 becomes z; z -2..2 becomes y
    assert np.allclose(low, [9.0, -2.0, 2.0]) and np.allclose(high, [11.0, 2.0, 8.0])
    assert (mesh.colors == [srgb(200), srgb(30), srgb(30)]).all()
    assert read_model(glb, up_axis="z").extent.tolist() == [2.0, 6.0, 4.0]


def test_scene_instances_are_flattened(tmp_path: Path) -> None:
    box = coloured_box((1.0, 1.0, 1.0))
    scene = trimesh.Scene()
    for i, x in enumerate((0.0, 100.0)):
        move = trimesh.transformations.translation_matrix([x, 0, 0])
        scene.add_geometry(box, geom_name="box", node_name=f"n{i}", transform=move)
    path = tmp_path / "pair.glb"
    scene.export(path)
    mesh = read_model(path)
    assert mesh.count == 24 and mesh.parts == 2
    assert mesh.box[0][0] == pytest.approx(-0.5) and mesh.box[1][0] == pytest.approx(100.5)


def test_obj_stl_and_ply(tmp_path: Path) -> None:
    cube = trimesh.creation.box(extents=(1.0, 1.0, 1.0))
    stl = tmp_path / "cube.stl"
    cube.export(stl)  # binary STL
    assert stl.stat().st_size == 84 + 50 * 12
    mesh = read_model(stl)
    assert mesh.count == 12 and np.allclose(mesh.box[0], -0.5) and np.allclose(mesh.box[1], 0.5)
    assert (mesh.colors == NEUTRAL_RGB).all()
    ascii_stl = tmp_path / "cube_ascii.stl"
    ascii_stl.write_text(trimesh.exchange.stl.export_stl_ascii(cube))
    assert read_model(ascii_stl).count == 12

    slab = trimesh.creation.box(extents=(4.0, 2.0, 1.0))
    obj = tmp_path / "slab.obj"
    slab.export(obj)
    assert read_model(obj).extent.tolist() == [4.0, 1.0, 2.0]  # OBJ: y up by default
    assert read_model(obj, up_axis="z").extent.tolist() == [4.0, 2.0, 1.0]

    slab.visual.vertex_colors = np.tile([10, 120, 240, 255], (len(slab.vertices), 1))
    ply = tmp_path / "slab.ply"
    slab.export(ply)
    mesh = read_model(ply)  # PLY: z up, colours as written (sRGB)
    assert mesh.extent.tolist() == [4.0, 2.0, 1.0]
    assert (mesh.colors == [10, 120, 240]).all()


def test_footprint_is_the_convex_hull_seen_from_above(glb: Path) -> None:
    mesh = read_model(glb)
    ring = mesh.footprint
    assert len(ring) == 4
    assert sorted(map(tuple, ring.round(9))) == [(9, -2), (9, 2), (11, -2), (11, 2)]
    x, y = ring[:, 0], ring[:, 1]
    assert 0.5 * (x @ np.roll(y, -1) - y @ np.roll(x, -1)) == pytest.approx(8.0)  # ccw


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("empty.glb", b"", "is empty"),
        ("garbage.glb", os.urandom(64), "not a binary glTF"),
        ("garbage.stl", b"\x01" * 300, "truncated or not an STL"),
        ("garbage.ply", b"PK\x03\x04 zip", "not a PLY file"),
        ("garbage.gltf", b"\x00\xff binary", "not a glTF file"),
        ("points.obj", b"v 0 0 0\nv 1 0 0\nv 0 1 0\n", "no triangles"),
        ("absurd.obj", b"v 0 0 0\nv 1e9 0 0\nv 0 0 1\nf 1 2 3\n", "absurd size"),
        ("flat.obj", b"v 0 0 0\nv 1 0 0\nv 2 0 0\nf 1 2 3\n", "no extent"),
    ],
)
def test_bad_files_give_one_line_naming_the_file(
    tmp_path: Path, name: str, content: bytes, problem: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ReaderError) as caught:
        read_model(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and problem in message and "\n" not in message


def test_truncated_glb(glb: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.glb"
    cut.write_bytes(glb.read_bytes()[:400])
    with pytest.raises(ReaderError, match=r"cut\.glb: is truncated: its header says \d+ bytes"):
        read_model(cut)
    bad_json = tmp_path / "cut.gltf"
    bad_json.write_text('{"asset": {"version": "2.0"}, "meshes": [')
    with pytest.raises(ReaderError, match=r"cut\.gltf: is not valid glTF JSON \("):
        read_model(bad_json)
    dangling = tmp_path / "dangling.gltf"  # valid JSON naming an accessor it lacks
    dangling.write_text(
        '{"asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": [0]}],'
        ' "nodes": [{"mesh": 0}], "meshes": [{"primitives": [{"attributes": {"POSITION": 7}}]}]}'
    )
    with pytest.raises(ReaderError, match=r"dangling\.gltf: could not be read as a glTF model \("):
        read_model(dangling)


def test_fifo_directory_and_missing_file_are_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.glb"
    os.mkfifo(fifo)
    with pytest.raises(ReaderError, match="pipe.glb: is not a regular file"):
        read_model(fifo)  # a FIFO opened for reading would block forever
    folder = tmp_path / "dir.stl"
    folder.mkdir()
    with pytest.raises(ReaderError, match="dir.stl: is not a regular file"):
        read_model(folder)
    with pytest.raises(ReaderError, match="gone.ply: file not found"):
        read_model(tmp_path / "gone.ply")


def test_gltf_with_buffers_beside_it(tmp_path: Path) -> None:
    files = trimesh.Scene(coloured_box((1.0, 2.0, 3.0))).export(file_type="gltf")
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    gltf = tmp_path / "model.gltf"
    assert read_model(gltf).extent.tolist() == [1.0, 3.0, 2.0]
    buffer = sorted(tmp_path.glob("*.bin"))[0]
    buffer.unlink()
    with pytest.raises(ReaderError, match=rf"model\.gltf: needs '{buffer.name}' beside it"):
        read_model(gltf)
    os.mkfifo(buffer)  # never opened: it would block
    with pytest.raises(ReaderError, match=rf"needs '{buffer.name}', which is not a regular file"):
        read_model(gltf)


def test_limits_are_said_before_memory_runs_out(glb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import twinscape.io.models3d as models3d

    monkeypatch.setattr(models3d, "MAX_MODEL_TRIANGLES", 10)
    with pytest.raises(ReaderError, match=r"tower\.glb: has more than 10 triangles; simplify"):
        read_model(glb)
    monkeypatch.setattr(models3d, "MAX_MODEL_BYTES", 1024 * 1024 // 2048)
    with pytest.raises(ReaderError, match=r"tower\.glb: is \d+ MB, more than the 0 MB"):
        read_model(glb)


def test_cancel(glb: Path) -> None:
    seen: list[float] = []
    with pytest.raises(LoadCancelled):
        read_model(glb, cancelled=lambda: True)
    read_model(glb, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0


def test_model_files_are_the_model_kind(glb: Path) -> None:
    assert classify_path(glb) == "model" and classify_path("x.STL") == "model"
    assert kind_of(ModelLayer).icon == "model" and kind_of(ModelLayer).order == 20
    assert all(f"*{ext}" in data_file_filter() for ext in MODEL_EXTENSIONS)


# -- placement and ground -----------------------------------------------------------
def tilted_grid() -> tuple[RasterGrid, callable]:
    """3 km of 30 m cells rising 5 % to the east and 10 % to the south."""

    def plane(x, y):  # noqa: ANN001, ANN202
        return 100.0 + 0.05 * (x - 700_000.0) + 0.1 * (3_500_000.0 - y)

    a, _, c, _, e, f = TRANSFORM
    xs = c + a * (np.arange(100) + 0.5)
    ys = f + e * (np.arange(100) + 0.5)
    values = plane(xs[None, :], ys[:, None]).astype(np.float32)
    return RasterGrid(values=values, transform=(a, 0.0, c, 0.0, e, f), crs="EPSG:32636"), plane


def test_base_is_the_analytic_minimum_of_a_tilted_ground_under_the_footprint(glb: Path) -> None:
    grid, plane = tilted_grid()
    mesh = read_model(glb)
    placement = ModelPlacement(x=701_500.0, y=3_498_500.0, rotation_deg=30.0, scale=40.0)
    layer = ModelLayer(name="t", source=glb, mesh=mesh, placement=placement, ground=(grid,))
    corners = layer.placed_footprint()
    # 2 x 4 units at 40 m a unit, turned 30 degrees clockwise about the footprint's centre
    assert np.allclose(corners.mean(axis=0), [701_500.0, 3_498_500.0])
    c, s = np.cos(np.pi / 6), np.sin(np.pi / 6)
    turned = np.array([[c, s], [-s, c]])
    expect = (mesh.footprint - [10.0, 0.0]) * 40.0 @ turned.T + [701_500.0, 3_498_500.0]
    assert np.allclose(np.sort(corners, axis=0), np.sort(expect, axis=0))
    north = layer.model_matrix()[:3, :3] @ [0.0, 1.0, 0.0]  # the model's north, turned
    assert np.allclose(north, [40 * s, 40 * c, 0.0])  # clockwise: towards the east
    lowest = plane(corners[:, 0], corners[:, 1]).min()  # a plane is lowest at a corner
    base = ground_base(mesh, placement, (grid,))
    assert base == pytest.approx(lowest, abs=1e-3)
    # moving re-bases the layer (the kind installs the ground finder)
    layer.placement = replace(placement, x=702_000.0)
    moved = layer.placed_footprint()
    assert layer.base == pytest.approx(plane(moved[:, 0], moved[:, 1]).min(), abs=1e-3)
    assert layer.elevation == layer.base
    layer.placement = replace(layer.placement, z_offset=5.0, snap_to_ground=False)
    assert layer.elevation == 5.0
    info = layer.identify(0, (0.0, 0.0, 0.0))
    assert info["model"] == "tower" and info["file"] == "tower.glb" and info["triangles"] == 12
    assert info["size (m)"] == "80.00 \u00d7 160.00 \u00d7 240.00"
    assert info["position (x, y)"] == "702000.00, 3498500.00"
    assert info["snapped to ground"] == "no" and info["model bottom (m)"] == 5.0
    assert info["base elevation (m)"] == round(layer.base, 2)
    assert layer.describe()[-1].startswith("Stands at 5.0 m (ground ")
    off = replace(layer.placement, x=600_000.0)  # no terrain there
    assert ground_base(mesh, off, (grid,)) is None


def test_a_model_needs_a_crs_and_somewhere_to_stand(glb: Path) -> None:
    with pytest.raises(CRSError, match=r"tower\.glb: a 3D model states no CRS.*add terrain first"):
        open_data_files([glb])
    with pytest.raises(ReaderError, match="has no position and there is no terrain"):
        load_file(glb, project_crs="EPSG:32636")
    where = ModelPlacement(x=701_500.0, y=3_498_500.0, z_offset=7.0)
    layer = ModelLayer(name="t", source=glb, up_axis="y", placement=where)
    project = Project(crs="EPSG:32636")
    apply_load(project, read_layer(layer, project_crs=project.crs))
    assert layer.loaded and layer.base is None and layer.elevation == 7.0


def test_terrain_added_later_re_bases_the_model(glb: Path, write_geotiff: WriteRaster) -> None:
    grid, plane = tilted_grid()
    dem = write_geotiff(grid.values)
    where = ModelPlacement(x=701_500.0, y=3_498_500.0, scale=10.0)
    layer = ModelLayer(name="t", source=glb, up_axis="y", placement=where)
    project = Project(crs="EPSG:32636")
    apply_load(project, read_layer(layer, project_crs=project.crs))
    assert layer.base is None
    apply_load(project, load_file(dem, project_crs=project.crs))
    corners = layer.placed_footprint()
    assert layer.base == pytest.approx(plane(corners[:, 0], corners[:, 1]).min(), abs=1e-3)
    assert layer.ground == ground_grids(project.layers)


# -- project files ------------------------------------------------------------------
def test_placement_survives_save_and_reopen(
    glb: Path, write_geotiff: WriteRaster, tmp_path: Path
) -> None:
    grid, _ = tilted_grid()
    dem = write_geotiff(grid.values)
    project, warnings = open_data_files([glb, dem])
    assert warnings == [] and project.crs == "EPSG:32636"
    model = project.layers[0]
    assert isinstance(model, ModelLayer) and model.placement.placed
    centre = np.mean(np.reshape(grid.bounds, (2, 2)), axis=0)
    assert np.allclose([model.placement.x, model.placement.y], centre)  # middle of the terrain
    model.placement = ModelPlacement(x=701_234.5, y=3_498_765.25, rotation_deg=123.5, scale=2.5,
                                     z_offset=-1.5, snap_to_ground=True)  # fmt: skip
    model.unit_scale, model.anchor = 0.01, "origin"
    path = save_project(project, tmp_path / "site.toml")
    again, warnings = open_project(path)
    [copy] = [layer for layer in again.layers if isinstance(layer, ModelLayer)]
    assert warnings == [] and copy.placement == model.placement
    assert (copy.up_axis, copy.unit_scale, copy.anchor) == ("y", 0.01, "origin")
    assert copy.source == glb and copy.id == model.id
    assert copy.base == pytest.approx(model.base)
    assert copy.elevation == pytest.approx(model.elevation)


@pytest.mark.parametrize(
    ("entry", "key", "problem"),
    [
        ("placement = { x = 1.0, y = 2.0, scale = 0.0 }", "placement.scale", "is not within"),
        ("placement = { x = 1.0 }", "placement.y", "is required when the other is given"),
        ('placement = { x = 1.0, y = "north" }', "placement.y", "must be a finite number"),
        ('placement = { snap_to_ground = "yes" }', "placement.snap_to_ground", "true or false"),
        ('up_axis = "x"', "up_axis", "is not one of y, z"),
        ("unit_scale = -1", "unit_scale", "is not within"),
    ],
)
def test_bad_model_keys_name_the_key(tmp_path: Path, entry: str, key: str, problem: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text(
        'schema_version = 1\n[project]\nname = "x"\ncrs = "EPSG:32636"\n'
        f'[[layers]]\nkind = "model"\nsource = "tower.glb"\n{entry}\n'
    )
    with pytest.raises(ProjectFileError, match=rf"\[layers\[0\]\.{key}\] .*{problem}"):
        load_project(path)
