"""Scene export of placed assets and of a kind registered by the test (generic actor path).

Read back with an independent GLB parser (export_helpers.py), trimesh and pyvista.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
import pyvista as pv
import trimesh
from export_helpers import Glb
from psygnal import evented
from vtkmodules.vtkRenderingCore import vtkActor, vtkActor2D, vtkPolyDataMapper

from twinscape.model import RasterGrid
from twinscape.model.catalogue import Catalogue, CatalogueEntry
from twinscape.model.layers import Layer
from twinscape.model.placed import PlacedAsset, PlacedAssetsLayer
from twinscape.render.kinds import register_visual, unregister_visual
from twinscape.render.scene import SceneView
from twinscape.render.scene_export import export_scene
from twinscape.render.visual import ActorsInRenderer, ScaledWithGround, renderer_of

from render_helpers import make_project

X, Y = 722_000.0, 3_508_400.0
CATALOGUE = Catalogue({e.key: e for e in (
    CatalogueEntry("road", "Road", "line", "road", color=(0.25, 0.25, 0.27),
                   params={"width_m": 7.3, "max_grade_pct": 8.0}),
    CatalogueEntry("turbine", "Wind turbine", "point", "turbine", color=(0.95, 0.95, 0.95),
                   params={"hub_height_m": 100.0, "rotor_diameter_m": 130.0,
                           "footprint_m": 20.0, "max_slope_deg": 20.0}),
    CatalogueEntry("power", "Power line", "line", "powerline", color=(0.4, 0.4, 0.45),
                   params={"pylon_spacing_m": 350.0, "pylon_height_m": 35.0}),
)})  # fmt: skip
ASSETS = (
    PlacedAsset("road", ((X + 2500, Y - 2000), (X + 1500, Y - 2000), (X + 1000, Y - 1700)),
                id="road"),
    PlacedAsset("turbine", [(X + 2300, Y - 1100)], rotation_deg=140.0, id="turbine"),
    PlacedAsset("power", ((X, Y), (X + 1500, Y + 400)), id="power"),
)  # fmt: skip


# -- placed assets (lines too), at true height under exaggeration -------------------------------
def test_placed_assets_export_solids_and_lines_at_true_height(
    demo_grid: RasterGrid, tmp_path: Path
) -> None:
    project = make_project(demo_grid, vertical_exaggeration=3.0)
    layer = PlacedAssetsLayer(name="infrastructure", assets=ASSETS, catalogue=CATALOGUE,
                              ground=(demo_grid,))  # fmt: skip
    project.layers.append(layer)
    plotter = pv.Plotter(off_screen=True, window_size=[640, 480], lighting="none")
    scene = SceneView(plotter, project)
    try:
        visual = scene.visuals[id(layer)]
        assert visual.ve == 3.0
        mesh = visual.mesh
        report = export_scene(scene, tmp_path / "placed.glb", terrain_level=3)
        assert visual.ve == 3.0  # put back as drawn
        assert report.layers == 2
        glb = Glb(tmp_path / "placed.glb")
        assert glb.cells("infrastructure") == len(mesh.triangles)
        assert glb.cells("infrastructure", mode=1) == len(mesh.lines)
        solids = glb.world_points("infrastructure")
        np.testing.assert_allclose(solids.min(axis=0), mesh.vertices.min(axis=0), atol=0.02)
        np.testing.assert_allclose(solids.max(axis=0), mesh.vertices.max(axis=0), atol=0.02)
        lines = glb.world_points("infrastructure", mode=1)
        np.testing.assert_allclose(lines.max(axis=0), mesh.line_points.max(axis=0), atol=0.02)
        loaded = trimesh.load(tmp_path / "placed.glb")
        assert any(name.startswith("infrastructure") for name in loaded.geometry)
        export_scene(scene, tmp_path / "placed.vtm", terrain_level=3)
        block = pv.read(tmp_path / "placed.vtm")["infrastructure"]
        assert block.n_cells == len(mesh.triangles) + len(mesh.lines)
        assert set(np.unique(block.cell_data["asset"])) == {0, 1, 2}
    finally:
        scene.close()
        plotter.close()


# -- a new kind, registered here, exports with no export code of its own -----------------------
@evented
@dataclass(kw_only=True, eq=False)
class PadsLayer(Layer):
    """A fake kind: square pads (quads) coloured by a value through a lookup table."""

    kind: ClassVar[str] = "pads"
    centres: list[tuple[float, float, float]]

    @property
    def loaded(self) -> bool:
        return True


class PadsVisual(ScaledWithGround, ActorsInRenderer):
    """Quads with point values mapped through a LUT; a 2-D label and a hidden helper."""

    def __init__(self, layer: PadsLayer, renderer: Any, origin: Any, **_: Any) -> None:
        self.layer, self.renderer = layer, renderer_of(renderer)
        quads = [pv.Plane(center=origin.point_to_render(c), i_size=100, j_size=100,
                          i_resolution=1, j_resolution=1) for c in layer.centres]  # fmt: skip
        mesh = pv.merge(quads)
        mesh.point_data["value"] = np.arange(mesh.n_points, dtype=float)
        mapper = vtkPolyDataMapper()
        mapper.SetInputData(mesh)
        mapper.SetScalarRange(0, mesh.n_points - 1)
        actor, helper, label = vtkActor(), vtkActor(), vtkActor2D()
        actor.SetMapper(mapper)
        helper.SetMapper(vtkPolyDataMapper())
        helper.GetMapper().SetInputData(pv.Sphere())
        helper.PickableOff()  # a tool's preview: not data
        self.actors = [actor, helper, label]
        self._attach()

    def _apply_scale(self) -> None:
        for actor in self.actors[:2]:  # the label is 2-D
            actor.SetScale(1.0, 1.0, self._ve)

    def update_lod(self, *_: Any) -> int:
        return 0

    def apply_pending_colours(self, **_: Any) -> bool:
        return False

    def bounds_render(self) -> Any:
        return self.actors[0].GetBounds()

    def close(self) -> None:
        self._detach()


def test_a_new_kind_exports_through_its_actors(demo_grid: RasterGrid, tmp_path: Path) -> None:
    project = make_project(demo_grid, vertical_exaggeration=2.0)
    centres = [(X, Y, 500.0), (X + 300, Y, 600.0)]
    project.layers.append(PadsLayer(name="pads", centres=centres))
    register_visual(PadsLayer, PadsVisual)
    plotter = pv.Plotter(off_screen=True, window_size=[640, 480], lighting="none")
    scene = SceneView(plotter, project)
    try:
        assert scene.visuals[id(project.layers[1])].ve == 2.0
        export_scene(scene, tmp_path / "pads.glb", terrain_level=4)
    finally:
        scene.close()
        plotter.close()
        unregister_visual(PadsLayer)
    glb = Glb(tmp_path / "pads.glb")
    assert [n["name"] for n in glb.tree["nodes"]] == ["terrain", "pads"]
    assert glb.cells("pads") == 4  # two quads, triangulated; the helper sphere left out
    pts = glb.world_points("pads")
    assert sorted(set(np.round(pts[:, 2], 3))) == [500.0, 600.0]  # true heights, not x2
    assert pts[:, 0].min() == pytest.approx(X - 50) and pts[:, 0].max() == pytest.approx(X + 350)
    (prim,) = glb.primitives("pads")
    colours = glb.accessor(prim["attributes"]["COLOR_0"])
    assert len(np.unique(colours, axis=0)) > 2  # the values' colours, not one colour
