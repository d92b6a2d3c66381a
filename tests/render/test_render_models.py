"""3D models drawn off-screen on the demo terrain: checked by content where they stand."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import pyvista as pv
import trimesh

import twinscape.io.kinds  # noqa: F401 - registers the kinds: a moved model finds its ground
from twinscape.geo.origin import LocalOrigin
from twinscape.geo.sampling import sample_elevation
from twinscape.io.kinds.models import ground_base
from twinscape.io.models3d import make_model_mesh
from twinscape.model import CameraView, RasterGrid
from twinscape.model.models3d import ModelLayer, ModelPlacement
from twinscape.render.building_colors import HIGHLIGHT
from twinscape.render.models_visual import ModelVisual, model_colors
from twinscape.render.scene import SceneView

from render_helpers import make_project, snapshot

Plotters = Callable[..., pv.Plotter]
#: On the western escarpment of the Dead Sea: a slope of about 1 in 8.
X, Y = 722_000.0, 3_508_400.0
RED = (200, 40, 30)


def box_mesh(size: Sequence[float], rgb: Sequence[int] = RED):  # noqa: ANN201
    """A box standing on z = 0 (model units), one colour."""
    box = trimesh.creation.box(extents=size)
    box.apply_translation((0.0, 0.0, size[2] / 2))
    colors = np.tile(np.asarray(rgb, np.uint8), (len(box.faces), 1))
    return make_model_mesh(box.vertices, box.faces, colors, name="box")


class Site:
    """The demo terrain in a SceneView with one model layer on it."""

    def __init__(self, plotters: Plotters, grid: RasterGrid, size: Sequence[float]) -> None:
        self.grid = grid
        self.project = make_project(grid, elevation_range=(-400.0, 1200.0))
        mesh = box_mesh(size)
        placement = ModelPlacement(x=X, y=Y)
        ground = (grid,)
        self.layer = ModelLayer(
            name="tower", source=Path("/data/tower.glb"), mesh=mesh, placement=placement,
            ground=ground, base=ground_base(mesh, placement, ground),
        )  # fmt: skip
        self.project.layers.append(self.layer)
        self.plotter = plotters()
        self.scene = SceneView(self.plotter, self.project)
        self.origin = LocalOrigin.of(self.project.origin)
        self.visual = next(v for v in self.scene.visuals.values() if isinstance(v, ModelVisual))

    def look(self, eye: Sequence[float], at: Sequence[float], up=(0.0, 0.0, 1.0)) -> None:
        self.scene.apply_view(CameraView(position=tuple(eye), focal_point=tuple(at),
                                         view_up=tuple(up), view_angle=30.0))  # fmt: skip

    def from_above(self, x: float = X, height: float = 900.0) -> None:
        z = self.layer.elevation  # cameras take real heights
        self.look((x, Y, z + height), (x, Y, z), up=(0.0, 1.0, 0.0))

    def oblique(self, far: float = 1.0) -> None:
        z = self.layer.elevation  # cameras take real heights
        self.look((X + 250.0 * far, Y - 700.0 * far, z + 420.0 * far), (X, Y, z + 40.0 * far))

    def shot(self, name: str | None = None) -> np.ndarray:
        self.scene.settle()
        return snapshot(self.plotter, name)

    def pixel(self, world: Sequence[float]) -> tuple[int, int]:
        """(row, col) of a world point in the picture (row 0 at the top)."""
        ren = self.plotter.renderer
        x, y, z = self.origin.point_to_render(tuple(world))
        ren.SetWorldPoint(x, y, z * self.visual.ve, 1.0)
        ren.WorldToDisplay()
        px, py, _ = ren.GetDisplayPoint()
        return int(ren.GetSize()[1] - 1 - round(py)), int(round(px))

    def top_rgb(self) -> np.ndarray:
        """The shaded colour of the model's (flat) top."""
        mesh = self.layer.mesh
        up = np.cross(*(mesh.vertices[mesh.triangles[:, k]] - mesh.vertices[mesh.triangles[:, 0]]
                        for k in (1, 2)))[:, 2] > 0  # fmt: skip
        return model_colors(self.layer, highlight=self.visual.highlight)[up][0].astype(int)


def close(image: np.ndarray, rc: tuple[int, int], rgb: Sequence[int], tol: int = 8) -> bool:
    """The 3 x 3 block around ``rc`` has a pixel within ``tol`` of ``rgb``."""
    r, c = rc
    block = image[r - 1 : r + 2, c - 1 : c + 2].reshape(-1, 3).astype(int)
    return bool((np.abs(block - np.asarray(rgb)).max(axis=1) <= tol).any())


def diff(a: np.ndarray, b: Sequence[int]) -> int:
    return int(np.abs(a.astype(int) - np.asarray(b, int)).max())


@pytest.fixture
def site(plotter_factory: Plotters, demo_grid: RasterGrid) -> Iterator[Site]:
    s = Site(plotter_factory, demo_grid, (40.0, 40.0, 120.0))
    yield s
    s.scene.close()


def test_base_is_the_lowest_ground_under_the_footprint(site: Site) -> None:
    corners = site.layer.placed_footprint()
    lowest = np.nanmin(sample_elevation(site.grid, corners[:, 0], corners[:, 1]))
    assert site.layer.base is not None and site.layer.base <= lowest + 1e-6
    assert site.layer.base > lowest - 15.0  # a 40 m box on a 1:8 slope: within a cell
    assert site.layer.elevation == site.layer.base


def test_a_coloured_model_stands_where_it_is_placed(site: Site) -> None:
    site.oblique()
    site.layer.visible = False
    bare = site.shot()
    site.layer.visible = True
    image = site.shot("model_on_terrain")
    top = (X, Y, site.layer.elevation + 120.0)
    rc = site.pixel(top)
    assert close(image, rc, site.top_rgb()), (rc, image[rc], site.top_rgb())
    assert diff(bare[rc], site.top_rgb()) > 40, "the model stands out from the terrain"
    # half way up the south face: the model's red, shaded darker than the top
    south = site.pixel((X, Y - 20.0, site.layer.elevation + 60.0))
    r, g, b = image[south].astype(int)
    assert r > g + 60 and r > b + 60, image[south]
    # its foot is on the ground: the pixel just below the south-west corner is terrain
    foot = site.pixel((X - 10.0, Y - 20.0, site.layer.elevation))
    assert diff(image[foot[0] + 4, foot[1]], bare[foot[0] + 4, foot[1]]) <= 6


def test_rotation_turns_the_footprint_seen_from_above(
    plotter_factory: Plotters, demo_grid: RasterGrid
) -> None:
    site = Site(plotter_factory, demo_grid, (240.0, 24.0, 30.0))  # long east-west
    try:
        site.from_above()
        site.layer.visible = False
        bare = site.shot()
        site.layer.visible = True
        top = site.layer.elevation + 30.0
        east, north = site.pixel((X + 90.0, Y, top)), site.pixel((X, Y + 90.0, top))
        image = site.shot("model_rotation_0")
        assert close(image, east, site.top_rgb()) and diff(image[north], bare[north]) <= 6
        before = site.layer.base
        site.layer.placement = replace(site.layer.placement, rotation_deg=90.0)
        assert site.layer.base != before, "a turned footprint stands on other ground"
        top = site.layer.elevation + 30.0
        east, north = site.pixel((X + 90.0, Y, top)), site.pixel((X, Y + 90.0, top))
        image = site.shot("model_rotation_90")
        assert close(image, north, site.top_rgb()) and diff(image[east], bare[east]) <= 6
    finally:
        site.scene.close()


def test_moving_re_bases_and_redraws(site: Site) -> None:
    site.from_above()
    before = site.layer.base
    site.layer.placement = replace(site.layer.placement, x=X + 2000.0)  # higher up the slope
    expect = ground_base(site.layer.mesh, site.layer.placement, (site.grid,))
    assert site.layer.base == expect and expect != before
    site.from_above(X + 2000.0)
    image = site.shot()
    rc = site.pixel((X + 2000.0, Y, site.layer.elevation + 120.0))
    assert close(image, rc, site.top_rgb())


def test_hidden_is_gone_and_opacity_blends(site: Site) -> None:
    site.from_above()
    site.layer.visible = False
    bare = site.shot()
    assert site.visual.triangles == 0
    site.layer.visible = True
    rc = site.pixel((X, Y, site.layer.elevation + 120.0))
    assert close(site.shot(), rc, site.top_rgb())
    assert site.visual.triangles == 12
    site.layer.visible = False
    assert np.abs(site.shot().astype(int) - bare.astype(int)).max() <= 2
    site.layer.visible = True
    site.layer.opacity = 0.5
    half = site.shot()
    blend = (site.top_rgb() + bare[rc].astype(int)) / 2
    assert diff(half[rc], blend.round()) <= 12, (half[rc], blend)


def test_picking_and_highlight(site: Site) -> None:
    site.from_above()
    image = site.shot()
    r, c = site.pixel((X, Y, site.layer.elevation + 120.0))
    height = site.plotter.renderer.GetSize()[1]
    hit = site.scene.identify(c, height - 1 - r)
    assert hit is not None and hit.layer is site.layer and hit.row == 0
    assert abs(hit.point[2] - (site.layer.elevation + 120.0)) < 2.0
    plain = image[r, c].astype(int)
    site.scene.set_highlight(site.layer, [0])
    tinted = site.shot()[r, c].astype(int)
    assert diff(tinted, site.top_rgb()) <= 8 and site.visual.highlight
    assert np.abs(tinted - HIGHLIGHT).sum() < np.abs(plain - HIGHLIGHT).sum()
    site.scene.set_highlight(None, [])
    assert not site.visual.highlight


def test_exaggeration_scales_the_model_with_the_ground(site: Site) -> None:
    terrain = site.project.layers[0]
    terrain.style.vertical_exaggeration = 3.0
    assert site.visual.ve == 3.0
    z0, z1 = site.visual.bounds_render()[4:6]
    oz = site.origin.z
    assert z0 == pytest.approx((site.layer.elevation - oz) * 3.0, abs=0.05)
    assert z1 == pytest.approx((site.layer.elevation + 120.0 - oz) * 3.0, abs=0.05)
    site.oblique(far=2.5)
    image = site.shot("model_exaggerated")
    rc = site.pixel((X, Y, site.layer.elevation + 120.0))
    assert close(image, rc, site.top_rgb())
