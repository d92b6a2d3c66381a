"""Scene export (render/scene_export.py) read back with independent readers.

GLB: its JSON chunk and binary buffer parsed here with struct/numpy (no Twinscape code),
and the file loaded with trimesh; OBJ loaded with trimesh; VTM read with pyvista. Expected
numbers come from the model (the DEM's samples, the buildings' mesh, the placed assets'
mesh), converted to world coordinates with the CRS and origin the file itself records.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import numpy as np
import pytest
import pyvista as pv
import trimesh
from export_helpers import Glb, valid_triangles
from PIL import Image
from vtkmodules.util.numpy_support import vtk_to_numpy

from twinscape.io.loading import DEMO_SCENE, open_project
from twinscape.model import Project, RasterGrid
from twinscape.render import scene_export
from twinscape.render.scene import SceneView
from twinscape.render.scene_export import ExportError, export_project, export_scene


# -- fixtures --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo() -> Project:
    project, notes = open_project(DEMO_SCENE)
    assert not notes
    return project


@pytest.fixture(scope="module")
def demo_glb(demo: Project, tmp_path_factory: pytest.TempPathFactory) -> tuple[Glb, Path]:
    out = tmp_path_factory.mktemp("export") / "demo.glb"
    report = export_project(demo, out)
    assert report.paths == (out,) and report.bytes == out.stat().st_size
    return Glb(out), out


def visible_names(project: Project) -> list[str]:
    return [layer.name for layer in project.layers if layer.visible]


# -- the demo scene as GLB ---------------------------------------------------------------
def test_glb_has_one_node_per_visible_layer_and_the_placement(
    demo: Project, demo_glb: tuple[Glb, Path]
) -> None:
    glb, _ = demo_glb
    scene = glb.tree["scenes"][glb.tree["scene"]]
    names = [glb.tree["nodes"][i]["name"] for i in scene["nodes"]]
    drawn = [n for n in visible_names(demo)]
    assert names == drawn == ["Dead Sea SRTM 90 m", "New town (plan)", "Town sensors (simulated)"]
    assert glb.placement["crs"] == demo.crs == "EPSG:32636"
    assert glb.placement["origin"] == list(demo.origin)
    assert glb.placement["units"] == "m" and glb.placement["up"] == "Z"
    assert "KHR_materials_unlit" in glb.tree["extensionsUsed"]
    assert glb.node("New town (plan)")["extras"]["twinscape"]["kind"] == "buildings"


def test_glb_terrain_matches_the_dem(demo: Project, demo_glb: tuple[Glb, Path]) -> None:
    glb, _ = demo_glb
    grid: RasterGrid = demo.layers[0].grid
    name = demo.layers[0].name
    triangles, samples = valid_triangles(grid.values)
    assert glb.cells(name) == triangles
    (prim,) = glb.primitives(name)
    assert len(glb.accessor(prim["attributes"]["POSITION"])) == samples
    pts = glb.world_points(name)
    xs, ys = grid.cell_centers()
    res = grid.resolution[0]
    assert abs(pts[:, 0].min() - xs.min()) <= res and abs(pts[:, 0].max() - xs.max()) <= res
    assert abs(pts[:, 1].min() - ys.min()) <= res and abs(pts[:, 1].max() - ys.max()) <= res
    west, south, east, north = grid.bounds
    assert west <= pts[:, 0].min() and pts[:, 0].max() <= east
    assert south <= pts[:, 1].min() and pts[:, 1].max() <= north
    # true heights although the demo is drawn with an exaggeration of 2
    assert demo.layers[0].style.vertical_exaggeration == 2.0
    assert pts[:, 2].min() == pytest.approx(float(np.nanmin(grid.values)), abs=0.01)
    assert pts[:, 2].max() == pytest.approx(float(np.nanmax(grid.values)), abs=0.01)
    # coloured by the baked texture: a PNG as large as the grid
    material = glb.tree["materials"][prim["material"]]
    tex = glb.tree["textures"][material["pbrMetallicRoughness"]["baseColorTexture"]["index"]]
    image = glb.tree["images"][tex["source"]]
    png = Image.open(BytesIO(glb.view(image["bufferView"])))
    assert png.size == (grid.shape[1], grid.shape[0])
    rgb = np.asarray(png.convert("RGB"))
    assert rgb.std() > 10  # a picture of the terrain, not one colour
    uv = glb.accessor(prim["attributes"]["TEXCOORD_0"])
    assert 0.0 < uv.min() and uv.max() < 1.0


def test_glb_buildings_keep_their_triangles_heights_and_colours(
    demo: Project, demo_glb: tuple[Glb, Path]
) -> None:
    glb, _ = demo_glb
    layer = demo.layers[1]
    mesh = layer.mesh
    assert glb.cells(layer.name) == len(mesh.triangles)
    base = np.where(np.isfinite(layer.base), layer.base, mesh.own_base)
    corner_building = np.repeat(mesh.triangle_building, 3)
    z = base[corner_building] + mesh.vertices[mesh.triangles.ravel(), 2]
    pts = glb.world_points(layer.name)
    assert pts[:, 2].min() == pytest.approx(z.min(), abs=0.01)
    assert pts[:, 2].max() == pytest.approx(z.max(), abs=0.01)
    x0, y0, x1, y1 = layer.bounds
    assert pts[:, 0].min() == pytest.approx(x0, abs=0.01)
    assert pts[:, 1].max() == pytest.approx(y1, abs=0.01)
    # every building position is a vertex of the node (cells split only by colour)
    want = np.unique(np.round(mesh.vertices[:, :2], 2), axis=0)
    got = np.unique(np.round(pts[:, :2], 2), axis=0)
    assert len(got) == len(want)
    (prim,) = glb.primitives(layer.name)
    colours = glb.accessor(prim["attributes"]["COLOR_0"]).astype(np.float64) / 65535
    srgb = np.where(colours[:, :3] <= 0.0031308, colours[:, :3] * 12.92,
                    1.055 * colours[:, :3] ** (1 / 2.4) - 0.055) * 255  # fmt: skip
    plotter = pv.Plotter(off_screen=True, window_size=[640, 480], lighting="none")
    scene = SceneView(plotter, demo)
    try:  # the colours drawn: the point colours of the buildings' actors
        drawn = np.concatenate([
            vtk_to_numpy(a.GetMapper().GetInput().GetPointData().GetScalars())
            for a in scene.visuals[id(layer)].actors if a.GetMapper().GetInput().GetNumberOfPolys()
        ])  # fmt: skip
    finally:
        scene.close()
        plotter.close()
    assert {tuple(c) for c in np.round(srgb).astype(int)} == {tuple(c) for c in drawn.tolist()}


def test_glb_reads_back_with_trimesh(demo: Project, demo_glb: tuple[Glb, Path]) -> None:
    glb, path = demo_glb
    loaded = trimesh.load(path)
    assert isinstance(loaded, trimesh.Scene)
    assert sorted(loaded.geometry) == sorted(visible_names(demo))
    for name, geometry in loaded.geometry.items():
        (prim,) = glb.primitives(name)
        assert len(geometry.vertices) == len(glb.accessor(prim["attributes"]["POSITION"]))
        assert len(geometry.faces) == glb.cells(name)
    assert loaded.metadata["twinscape"]["crs"] == demo.crs
    terrain = loaded.geometry[demo.layers[0].name]
    assert terrain.visual.kind == "texture"


# -- other formats ---------------------------------------------------------------------------
def test_obj_has_one_group_per_layer(demo: Project, demo_glb: tuple[Glb, Path],
                                     tmp_path: Path) -> None:  # fmt: skip
    glb, _ = demo_glb
    out = tmp_path / "demo.obj"
    report = export_project(demo, out, "obj")
    assert report.paths == (out, tmp_path / "demo.mtl")
    text = out.read_text()[:1000]
    assert "EPSG:32636" in text and "737700.0 3487800.0 0.0" in text
    objects = [line[2:] for line in out.read_text().splitlines() if line.startswith("o ")]
    assert objects == [name.replace(" ", "_") for name in visible_names(demo)]
    loaded = trimesh.load(out, process=False)  # one geometry per material: one per layer
    assert isinstance(loaded, trimesh.Scene)
    for name in visible_names(demo):
        geometry = loaded.geometry[name.replace(" ", "_") + "_triangles"]
        (prim,) = glb.primitives(name)
        assert len(geometry.vertices) == len(glb.accessor(prim["attributes"]["POSITION"]))
        assert len(geometry.faces) == glb.cells(name)
    assert "newmtl New_town_(plan)_triangles" in (tmp_path / "demo.mtl").read_text()
    vertex = next(line for line in out.read_text().splitlines() if line.startswith("v "))
    assert len(vertex.split()) == 7  # x y z r g b: the vertex-colour extension


def test_vtm_has_one_named_block_per_layer_with_cell_arrays(demo: Project, tmp_path: Path) -> None:
    out = tmp_path / "demo.vtm"
    report = export_project(demo, out, terrain_level=2)
    assert report.paths == (out, tmp_path / "demo")
    blocks = pv.read(out)
    assert list(blocks.keys()) == visible_names(demo)
    buildings = blocks["New town (plan)"]
    assert buildings.n_cells == len(demo.layers[1].mesh.triangles)
    assert {"building", "surface"} <= set(buildings.cell_data.keys())
    assert set(np.unique(buildings.cell_data["building"])) == set(
        np.unique(demo.layers[1].mesh.triangle_building)
    )
    terrain = blocks["Dead Sea SRTM 90 m"]
    assert "elevation" in terrain.point_data and "rgba" in terrain.point_data
    assert list(terrain.field_data["origin"][0]) == list(demo.origin)
    assert terrain.field_data["crs"][0] == "EPSG:32636"
    # render coordinates, true heights: z + origin z is the DEM's elevation
    assert terrain.points[:, 2].max() == pytest.approx(terrain.point_data["elevation"].max())


# -- levels of detail, warnings, errors ------------------------------------------------------
def test_terrain_level_and_size_warning(demo: Project, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    plotter = pv.Plotter(off_screen=True, window_size=[640, 480], lighting="none")
    scene = SceneView(plotter, demo)
    try:
        levels = scene_export.terrain_levels(scene)
        assert levels[0] == valid_triangles(demo.layers[0].grid.values)[0]
        assert all(a > 3 * b for a, b in zip(levels, levels[1:]))
        report = export_scene(scene, tmp_path / "coarse.glb", terrain_level=3)
        assert Glb(tmp_path / "coarse.glb").cells(demo.layers[0].name) == levels[3]
        assert not report.warnings
        monkeypatch.setattr(scene_export, "MAX_TRIANGLES", levels[1] + 1)
        report = export_scene(scene, tmp_path / "big.glb", terrain_level=0)
        assert any("more than" in w and "level 1" in w for w in report.warnings)
        report = export_scene(scene, tmp_path / "deep.glb", terrain_level=40)
        assert any("coarsest" in w for w in report.warnings)
        assert Glb(tmp_path / "deep.glb").cells(demo.layers[0].name) == levels[-1]
    finally:
        scene.close()
        plotter.close()


def test_hidden_layers_are_left_out_and_an_empty_scene_is_refused(
    demo: Project, tmp_path: Path
) -> None:
    shown = [layer.visible for layer in demo.layers]
    try:
        demo.layers[1].visible = False
        export_project(demo, tmp_path / "two.glb", terrain_level=4)
        names = [n["name"] for n in Glb(tmp_path / "two.glb").tree["nodes"]]
        assert names == ["Dead Sea SRTM 90 m", "Town sensors (simulated)"]
        for layer in demo.layers:
            layer.visible = False
        with pytest.raises(ExportError, match="nothing to export"):
            export_project(demo, tmp_path / "none.glb")
        assert not (tmp_path / "none.glb").exists()
        with pytest.raises(ExportError, match="obj files end in .obj"):
            export_project(demo, tmp_path / "x.glb", "obj")
    finally:
        for layer, visible in zip(demo.layers, shown):
            layer.visible = visible
