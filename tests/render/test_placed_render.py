"""Placed assets drawn off-screen on the demo terrain: colours, silhouettes and picking."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
import pyvista as pv

from twinscape.geo.origin import LocalOrigin
from twinscape.geo.sampling import sample_elevation
from twinscape.model import CameraView, RasterGrid
from twinscape.model.catalogue import Catalogue, CatalogueEntry
from twinscape.model.models3d import ModelMesh
from twinscape.model.placed import Assessment, PlacedAsset, PlacedAssetsLayer
from twinscape.render.placed_colors import STATUS_RGB
from twinscape.render.placed_mesh import box
from twinscape.render.placed_visual import PlacedVisual
from twinscape.render.scene import SceneView

from render_helpers import make_project, snapshot

Plotters = Callable[..., pv.Plotter]
X, Y = 722_000.0, 3_508_400.0
#: A road down the western escarpment of the Dead Sea: the middle segment climbs 14 %.
ROAD = ((X + 2500, Y - 2000), (X + 2000, Y - 2000), (X + 1500, Y - 2000), (X + 1000, Y - 1700))
STEEP = (X + 1750, Y - 2000)
GENTLE = (X + 2250, Y - 2000)
TURBINE = (X + 2300, Y - 1100)
SOLAR = ((X + 2600, Y - 1000), (X + 3200, Y - 1000), (X + 3300, Y - 300), (X + 2700, Y - 200))
PANEL = (26, 41, 97)

CATALOGUE = Catalogue({e.key: e for e in (
    CatalogueEntry("road", "Road", "line", "road", color=(0.25, 0.25, 0.27),
                   params={"width_m": 7.3, "max_grade_pct": 8.0}),
    CatalogueEntry("turbine", "Wind turbine", "point", "turbine", color=(0.95, 0.95, 0.95),
                   params={"hub_height_m": 100.0, "rotor_diameter_m": 130.0,
                           "footprint_m": 20.0, "max_slope_deg": 20.0}),
    CatalogueEntry("solar", "Solar farm", "polygon", "solar_farm", color=(0.1, 0.16, 0.38),
                   params={"row_spacing_m": 8.0, "panel_height_m": 2.5, "max_slope_deg": 10.0}),
)})  # fmt: skip


class Site:
    """The demo terrain in a SceneView with a road, a turbine and a solar farm on it."""

    def __init__(self, plotters: Plotters, grid: RasterGrid) -> None:
        self.grid = grid
        self.project = make_project(grid, elevation_range=(-400.0, 1200.0))
        assets = (PlacedAsset("road", ROAD, id="road"),
                  PlacedAsset("turbine", [TURBINE], rotation_deg=140.0, id="turbine"),
                  PlacedAsset("solar", SOLAR, id="solar"))  # fmt: skip
        self.layer = PlacedAssetsLayer(name="infrastructure", assets=assets, catalogue=CATALOGUE,
                                       ground=(grid,))  # fmt: skip
        self.project.layers.append(self.layer)
        self.plotter = plotters()
        self.scene = SceneView(self.plotter, self.project)
        self.origin = LocalOrigin.of(self.project.origin)
        self.visual = next(v for v in self.scene.visuals.values() if isinstance(v, PlacedVisual))

    def ground(self, xy: Sequence[float]) -> float:
        return float(sample_elevation(self.grid, xy[0], xy[1]))

    def look(self, eye: Sequence[float], at: Sequence[float], up=(0.0, 0.0, 1.0)) -> None:
        self.scene.apply_view(CameraView(position=tuple(eye), focal_point=tuple(at),
                                         view_up=tuple(up), view_angle=30.0))  # fmt: skip

    def above(self, xy: Sequence[float], height: float = 600.0) -> None:
        z = self.ground(xy)
        self.look((xy[0], xy[1], z + height), (xy[0], xy[1], z), up=(0.0, 1.0, 0.0))

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

    def identify(self, rc: tuple[int, int]):  # noqa: ANN201
        height = self.plotter.renderer.GetSize()[1]
        return self.scene.identify(rc[1], height - 1 - rc[0])


def near(image: np.ndarray, rc: tuple[int, int], rgb: Sequence[int], tol: int = 24,
         reach: int = 2) -> bool:
    """A pixel within ``reach`` of ``rc`` is within ``tol`` of ``rgb``."""
    r, c = rc
    block = image[r - reach : r + reach + 1, c - reach : c + reach + 1].reshape(-1, 3).astype(int)
    return bool((np.abs(block - np.asarray(rgb)).max(axis=1) <= tol).any())


@pytest.fixture
def site(plotter_factory: Plotters, demo_grid: RasterGrid) -> Iterator[Site]:
    s = Site(plotter_factory, demo_grid)
    yield s
    s.scene.close()


def test_the_steep_road_segment_is_red_and_the_gentle_one_green(site: Site) -> None:
    statuses = site.visual.assessments()["road"].segment_status
    assert statuses[0] == "ok" and statuses[1] == "fail"
    site.above(((STEEP[0] + GENTLE[0]) / 2, STEEP[1]), height=900.0)
    image = site.shot("placed_road_from_above")
    steep = site.pixel((*STEEP, site.ground(STEEP)))
    gentle = site.pixel((*GENTLE, site.ground(GENTLE)))
    assert near(image, steep, STATUS_RGB["fail"]) and not near(image, steep, STATUS_RGB["ok"])
    assert near(image, gentle, STATUS_RGB["ok"]) and not near(image, gentle, STATUS_RGB["fail"])
    hit = site.identify(steep)
    assert hit is not None and hit.layer is site.layer and hit.row == 0


def test_the_turbine_stands_out_against_the_sky_and_terrain(site: Site) -> None:
    base = site.visual.assessments()["turbine"].base_z
    site.look((TURBINE[0] + 420.0, TURBINE[1] - 480.0, base + 140.0),
              (TURBINE[0], TURBINE[1], base + 90.0))
    image = site.shot("placed_turbine")
    site.layer.visible = False
    bare = site.shot()
    site.layer.visible = True
    changed = np.abs(image.astype(int) - bare.astype(int)).max(axis=2) > 30
    foot = site.pixel((*TURBINE, base))
    hub = site.pixel((*TURBINE, base + 100.0))
    tip = site.pixel((*TURBINE, base + 165.0))
    rows, cols = np.nonzero(changed)
    tower = changed[hub[0] : foot[0], foot[1] - 4 : foot[1] + 5].any(axis=1)
    assert tower.mean() > 0.9  # the tower from its foot to the hub
    assert abs(rows.min() - tip[0]) <= 6  # the top blade tip is the highest point drawn
    # the rotor faces the camera: about 1.7 rotor radii wide for a height of hub + radius
    assert cols.max() - cols.min() > 0.5 * (foot[0] - tip[0])
    hit = site.identify(((hub[0] + foot[0]) // 2, foot[1]))
    assert hit is not None and hit.layer is site.layer and hit.row == 1


def test_solar_panels_cover_the_farm(site: Site) -> None:
    centre = np.mean(SOLAR, axis=0)
    site.above(centre, height=1400.0)
    image = site.shot("placed_solar_from_above")
    rc = site.pixel((*centre, site.ground(centre)))
    assert near(image, rc, PANEL, tol=30)
    hit = site.identify(rc)
    assert hit is not None and hit.layer is site.layer and hit.row == 2
    outside = site.pixel((centre[0], centre[1] - 700.0, site.ground(centre)))
    assert not near(image, outside, PANEL, tol=30)


def test_overview_with_selection_preview_and_sketch(site: Site) -> None:
    site.look((X + 4800, Y - 4200, 1300), (X + 2300, Y - 1500, 100))
    plain = site.shot()
    site.scene.set_highlight(site.layer, [2])
    assert site.visual.selected_row == 2
    selected = site.shot()
    assert np.abs(selected.astype(int) - plain.astype(int)).max() > 60
    tower = PlacedAsset("turbine", [(X + 1500, Y - 1000)])
    site.visual.set_preview(tower, Assessment(status="fail", base_z=site.ground(tower.coords[0])))
    site.visual.set_sketch(np.array([[X + 3000, Y - 2600, np.nan], [X + 3500, Y - 2000, np.nan],
                                     [X + 3600, Y - 1400, np.nan]]))  # fmt: skip
    image = site.shot("placed_overview")
    base = site.ground(tower.coords[0])
    r, c = site.pixel((X + 1500, Y - 1000, base + 100.0))  # the preview's hub, drawn red
    block = (slice(r - 3, r + 4), slice(c - 3, c + 4))
    def redness(picture: np.ndarray) -> np.ndarray:
        return picture[block].astype(int)[..., 0] - picture[block].astype(int)[..., 1]

    assert (redness(image) - redness(plain)).max() > 30
    hit = site.identify((r, c))
    assert hit is None or hit.layer is not site.layer  # a preview is never picked
    assert site.layer.assets[0].id == "road" and len(site.layer.assets) == 3
    site.visual.set_preview(None)
    site.visual.set_sketch(None)
    site.scene.set_highlight(None, [])
    again = site.shot()
    assert np.abs(again.astype(int) - plain.astype(int)).max() <= 8


def test_editing_an_asset_rebuilds_and_hiding_removes(site: Site) -> None:
    site.above(STEEP, height=900.0)
    before = site.visual.mesh.triangle_count
    moved = site.layer.assets[1].moved(0.0, -900.0)  # the turbine onto the road's view
    site.layer.replace_asset(moved)
    assert site.visual.mesh.triangle_count == before
    mesh = site.visual.mesh
    turbine = mesh.vertices[mesh.triangles[mesh.rows == 1].ravel()]
    assert abs(turbine[:, 1].mean() - (TURBINE[1] - 900.0)) < 40.0
    site.layer.remove("solar")
    assert set(np.unique(site.visual.mesh.rows)) == {0, 1}
    site.layer.visible = False
    assert site.visual.triangles == 0
    image = site.shot()
    steep = site.pixel((*STEEP, site.ground(STEEP)))
    assert not near(image, steep, STATUS_RGB["fail"])


def _dish_mast() -> ModelMesh:
    """In half metres: a pole 2 wide and 80 tall, a dish 24 x 24 at 56..80 facing north."""
    parts = [box((-1, -1, 0), (1, 1, 80)), box((-12, 1, 56), (12, 4, 80))]
    vertices = np.concatenate([v for v, _ in parts])
    triangles = np.concatenate([parts[0][1], parts[1][1] + 8]).astype(np.int32)
    colors = np.tile(np.array([230, 40, 200], np.uint8), (len(triangles), 1))
    footprint = np.array([[-12.0, -1.0], [12.0, -1.0], [12.0, 4.0], [-12.0, 4.0]])
    return ModelMesh(vertices, triangles, colors, footprint, name="dish mast")


def test_a_model_entry_is_drawn_with_its_model(site: Site) -> None:
    model_file = Path("/models/dish_mast.glb")
    site.layer.catalogue = CATALOGUE.merged(
        [CatalogueEntry("dish", "Dish mast", "point", "mast", model=model_file, model_scale=0.5)],
        {model_file: _dish_mast()},
    )  # fmt: skip
    at = (X + 1900.0, Y - 1300.0)
    site.layer.insert(PlacedAsset("dish", [at], rotation_deg=200.0, id="dish"))
    base = site.visual.assessments()["dish"].base_z
    assert np.isfinite(base)
    site.look((at[0] + 90.0, at[1] - 110.0, base + 25.0), (at[0], at[1], base + 22.0))
    image = site.shot("placed_model")
    site.layer.visible = False
    bare = site.shot()
    site.layer.visible = True
    changed = np.abs(image.astype(int) - bare.astype(int)).max(axis=2) > 30
    foot, top = site.pixel((*at, base)), site.pixel((*at, base + 40.0))
    dish = site.pixel((*at, base + 34.0))  # the dish's middle: 40 m tall, scale 0.5
    rows, cols = np.nonzero(changed)
    assert abs(rows.min() - top[0]) <= 6  # as tall as the model, not the 10 m generated mast
    pole = changed[dish[0] : foot[0] - 3, foot[1] - 3 : foot[1] + 4].any(axis=1)
    assert pole.mean() > 0.9
    wide = changed[dish[0]].sum()  # the dish, 12 m across, against a pole 1 m wide
    assert wide > 3 * changed[(dish[0] + foot[0]) // 2 + 5].sum()
    r, g, b = image[dish].astype(int)  # the model's own magenta, shaded, not the entry's grey
    assert r > 3 * g and b > 3 * g
    hit = site.identify(((dish[0] + foot[0]) // 2 + 5, foot[1]))
    assert hit is not None and hit.layer is site.layer and hit.row == 3



def test_identify_finds_a_road_a_few_pixels_off_and_the_ground_farther(site: Site) -> None:
    from twinscape.render.scene_pick import PICK_RADIUS_PX

    site.above(((STEEP[0] + GENTLE[0]) / 2, STEEP[1]), height=900.0)
    image = site.shot()
    site.layer.visible = False
    bare = site.shot()
    site.layer.visible = True
    site.shot()
    drawn = np.abs(image.astype(int) - bare.astype(int)).max(axis=2) > 30  # the road's pixels
    r, c = site.pixel((*GENTLE, site.ground(GENTLE)))
    assert drawn[r - 2 : r + 3, c - 2 : c + 3].any()
    # walk up the column from the road to the first pixels beside it, then further
    row = r
    while drawn[row - 2 : row + 1, c - 1 : c + 2].any():
        row -= 1
    beside, far = (row - 2, c), (row - 20, c)
    assert 3 <= PICK_RADIUS_PX < 18
    assert not drawn[beside] and not drawn[far[0] - 2 : far[0] + 3, c - 2 : c + 3].any()
    hit = site.identify(beside)
    assert hit is not None and hit.layer is site.layer and hit.row == 0, "the road, 2 px off"
    ground = site.identify(far)
    assert ground is not None and ground.row is None and ground.layer is not site.layer


def test_the_legend_of_placements_shows_the_status_colours_they_are_drawn_in(site: Site) -> None:
    from twinscape.render.overlays import OverlayOptions, overlay_info

    site.above(((STEEP[0] + GENTLE[0]) / 2, STEEP[1]), height=900.0)
    image = site.shot()
    view = site.scene.current_view()
    info = overlay_info(site.project, view, (image.shape[1], image.shape[0]), OverlayOptions())
    [legend] = [g for g in info.legends if g.title == "infrastructure"]
    colours = {label: rgba[:3] for label, rgba in legend.entries}
    # the road's steep segment is drawn red (see the test above): "invalid" is listed in it
    steep = site.pixel((*STEEP, site.ground(STEEP)))
    assert near(image, steep, colours["invalid"])
    assert set(colours) <= {"within the design limits", "near a limit", "invalid"}
    placed, site.layer.assets = site.layer.assets, ()
    try:
        legends = overlay_info(site.project, view, (64, 64), OverlayOptions()).legends
        assert not [g for g in legends if g.title == "infrastructure"], "nothing placed: none"
    finally:
        site.layer.assets = placed
