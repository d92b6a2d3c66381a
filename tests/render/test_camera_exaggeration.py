"""Cameras and bookmarks hold real heights: the same place on screen at any exaggeration.

A magenta pad placed on the Jordan valley floor of the demo DEM is the feature found in
the pictures; where it should be is the projection, through the renderer's own camera,
of its world point drawn at the exaggeration of the moment. An old (schema 1) project
file holding its camera as drawn at exaggeration 2 is compared with a camera set on VTK
directly, as Twinscape set it before cameras held metres.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
import pyvista as pv
import rasterio

from twinscape.io.loading import open_project
from twinscape.io.project_file import save_project
from twinscape.model import CameraView, Project, RasterGrid
from twinscape.model.bookmarks import Bookmark
from twinscape.model.catalogue import Catalogue, CatalogueEntry
from twinscape.model.placed import PlacedAsset, PlacedAssetsLayer
from twinscape.render.overlays import metres_per_pixel
from twinscape.render.scene import SceneView
from twinscape.render.scene_camera import view_as_drawn

from render_helpers import DEMO_DEM, make_project, snapshot

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

Plotters = Callable[..., pv.Plotter]
#: A point of the Jordan valley floor, north of the Dead Sea (about 280 m below sea level).
X, Y = 748_300.0, 3_528_100.0
MAGENTA = (0.95, 0.05, 0.85)
HALF = 150.0  # the pad is 300 m square
CATALOGUE = Catalogue({"pad": CatalogueEntry(
    "pad", "Marker pad", "polygon", "solar_farm", color=MAGENTA,
    params={"row_spacing_m": 8.0, "panel_height_m": 2.5, "max_slope_deg": 90.0},
)})  # fmt: skip


def ground_height(x: float, y: float) -> float:
    """The DEM's own height at (x, y), read by rasterio (nearest cell)."""
    with rasterio.open(DEMO_DEM) as ds:
        return float(next(ds.sample([(x, y)]))[0])


def magenta_centre(image: np.ndarray) -> tuple[float, float] | None:
    """(row, col) of the centre of the magenta pixels, None when there are too few."""
    rgb = image.astype(int)
    mask = (rgb[..., 0] > 170) & (rgb[..., 1] < 90) & (rgb[..., 2] > 150)
    if mask.sum() < 30:
        return None
    rows, cols = np.nonzero(mask)
    return float(rows.mean()), float(cols.mean())


def drawn_pixel(scene: SceneView, world: Sequence[float]) -> tuple[float, float]:
    """(row, col) where the renderer's camera puts a world point drawn at today's exaggeration."""
    ren = scene.renderer
    ve = scene.ground_exaggeration()
    o = scene.origin
    ren.SetWorldPoint(world[0] - o.x, world[1] - o.y, (world[2] - o.z) * ve, 1.0)
    ren.WorldToDisplay()
    px, py, _ = ren.GetDisplayPoint()
    return ren.GetSize()[1] - 1 - py, px


def screen_angle_of_vertical(scene: SceneView, world: Sequence[float]) -> float:
    """Screen angle (degrees from straight up, clockwise) of a vertical segment at ``world``."""
    low = np.array(drawn_pixel(scene, world))
    high = np.array(drawn_pixel(scene, (world[0], world[1], world[2] + 50.0)))
    d_row, d_col = high - low
    return math.degrees(math.atan2(d_col, -d_row))


class Valley:
    """The demo DEM at exaggeration 1 with the magenta pad on the valley floor."""

    def __init__(self, plotters: Plotters, grid: RasterGrid) -> None:
        self.project = make_project(grid, elevation_range=(-400.0, 1200.0), sea_ramp=False)
        pad = ((X - HALF, Y - HALF), (X + HALF, Y - HALF), (X + HALF, Y + HALF),
               (X - HALF, Y + HALF))  # fmt: skip
        self.project.layers.append(PlacedAssetsLayer(
            name="marker", assets=(PlacedAsset("pad", pad, id="pad"),), catalogue=CATALOGUE,
            ground=(grid,),
        ))  # fmt: skip
        self.plotter = plotters()
        self.scene = SceneView(self.plotter, self.project)
        self.style = self.project.layers[0].style
        self.pad = (X, Y, ground_height(X, Y))

    def shot(self, name: str) -> np.ndarray:
        self.scene.settle()
        return snapshot(self.plotter, name)


@pytest.fixture
def valley(plotter_factory: Plotters, demo_grid: RasterGrid) -> Iterator[Valley]:
    v = Valley(plotter_factory, demo_grid)
    yield v
    v.scene.close()


def test_a_bookmark_saved_at_exaggeration_1_shows_the_same_place_at_3(valley: Valley) -> None:
    scene, (x, y, z) = valley.scene, valley.pad
    assert z < -200.0  # the valley floor: far below the origin (z 0), where the old way fails
    scene.apply_view(CameraView(position=(x - 600.0, y - 2500.0, z + 1500.0),
                                focal_point=(x, y, z), view_angle=30.0))  # fmt: skip
    valley.project.bookmarks.append(Bookmark(name="pad", view=scene.current_view()))
    mark = valley.project.bookmarks[0].view
    assert mark.focal_point[2] == pytest.approx(z, abs=1e-6)  # real metres
    at_1 = valley.shot("camera_bookmark_ve1")
    found_1 = magenta_centre(at_1)
    h, w = at_1.shape[:2]
    centre = ((h - 1) / 2, (w - 1) / 2)
    assert found_1 is not None, "the pad is not in the picture at exaggeration 1"
    assert np.allclose(found_1, centre, atol=4.0)
    assert np.allclose(drawn_pixel(scene, valley.pad), centre, atol=1.0)

    valley.style.vertical_exaggeration = 3.0
    scene.apply_view(mark)
    at_3 = valley.shot("camera_bookmark_ve3")
    found_3 = magenta_centre(at_3)
    assert found_3 is not None, "the pad is not in the picture at exaggeration 3"
    assert np.allclose(found_3, found_1, atol=4.0), (found_1, found_3)
    assert np.allclose(drawn_pixel(scene, valley.pad), centre, atol=1.0)
    assert not np.array_equal(at_1, at_3)  # the relief is drawn 3 x: another picture

    # Control: the old way (the bookmark's z put on the camera as drawn) misses the pad.
    cam = scene.renderer.GetActiveCamera()
    o = scene.origin
    cam.SetPosition(*np.subtract(mark.position, (o.x, o.y, o.z)))
    cam.SetFocalPoint(*np.subtract(mark.focal_point, (o.x, o.y, o.z)))
    old = magenta_centre(valley.shot("camera_bookmark_ve3_old_way"))
    assert old is None or np.hypot(*np.subtract(old, centre)) > 40.0


def test_changing_the_exaggeration_keeps_looking_at_the_same_ground(valley: Valley) -> None:
    scene, (x, y, z) = valley.scene, valley.pad
    view = CameraView(position=(x + 1500.0, y - 1800.0, z + 900.0), focal_point=(x, y, z))
    scene.apply_view(view)
    valley.shot("camera_keep_ve1")
    cam = scene.renderer.GetActiveCamera()
    offset = np.subtract(cam.GetPosition(), cam.GetFocalPoint())
    for ve in (3.0, 0.5, 1.0):
        valley.style.vertical_exaggeration = ve
        image = valley.shot(f"camera_keep_ve{ve:g}")
        back = scene.current_view()
        assert np.allclose(back.focal_point, view.focal_point, atol=1e-3)  # the same ground
        # the eye keeps its distance and direction as drawn: the relief grows in place
        assert np.allclose(np.subtract(cam.GetPosition(), cam.GetFocalPoint()), offset, atol=1e-6)
        if ve == 1.0:
            assert np.allclose(back.position, view.position, atol=1e-3)
        found = magenta_centre(image)
        h, w = image.shape[:2]
        centre = ((h - 1) / 2, (w - 1) / 2)
        # the pad's outline moves a little as the relief around it grows; its point does not
        assert found is not None and np.allclose(found, centre, atol=8.0)
        assert np.allclose(drawn_pixel(scene, valley.pad), centre, atol=1.0)
        assert cam.GetFocalPoint()[2] == pytest.approx((z - scene.origin.z) * ve, abs=1e-6)
        up, sight = np.array(cam.GetViewUp()), np.array(cam.GetDirectionOfProjection())
        assert abs(up @ sight) < 1e-9  # view-up orthogonal to the new line of sight
        assert screen_angle_of_vertical(scene, valley.pad) == pytest.approx(0.0, abs=0.05)


def test_a_rolled_view_keeps_its_roll_at_another_exaggeration(valley: Valley) -> None:
    scene, (x, y, z) = valley.scene, valley.pad
    eye = np.array([x - 2000.0, y - 2000.0, z + 1800.0])
    sight = np.array([x, y, z]) - eye
    side = np.cross(sight, (0.0, 0.0, 1.0))
    level = np.cross(side, sight)
    roll = math.radians(20.0)
    up = math.cos(roll) * level / np.linalg.norm(level) + math.sin(roll) * side / np.linalg.norm(
        side
    )
    scene.apply_view(CameraView(position=tuple(eye), focal_point=(x, y, z), view_up=tuple(up)))
    scene.settle()
    tilt_1 = screen_angle_of_vertical(scene, valley.pad)
    assert abs(tilt_1) == pytest.approx(20.0, abs=0.05)  # the roll shows on screen
    valley.style.vertical_exaggeration = 3.0
    scene.settle()
    assert screen_angle_of_vertical(scene, valley.pad) == pytest.approx(tilt_1, abs=0.05)


def _old_project_text(origin_z: float, view: tuple[tuple[float, ...], tuple[float, ...]]) -> str:
    """A schema-1 project (cameras as drawn at exaggeration 2), as Twinscape 0.1 wrote it."""
    eye, focal = (", ".join(f"{v!r}" for v in p) for p in view)
    camera = f"position = [{eye}]\nfocal_point = [{focal}]\nview_up = [0.0, 0.0, 1.0]\n"
    return (
        'schema_version = 1\napp_version = "0.1.0"\n\n[project]\nname = "old"\n'
        f'crs = "EPSG:32636"\norigin = [737700.0, 3487800.0, {origin_z!r}]\n\n'
        f'[[layers]]\nkind = "terrain"\nid = "dem"\nname = "DEM"\nsource = "{DEMO_DEM}"\n\n'
        "[layers.style]\nelevation_range = [-400.0, 1200.0]\nsea_ramp = false\n"
        "vertical_exaggeration = 2.0\n\n"
        f"[view]\n{camera}view_angle = 30.0\n\n"
        f'[[bookmarks]]\nname = "valley"\n{camera}view_angle = 30.0\n'
    )


def _picture(
    project: Project, plotter: pv.Plotter, place: Callable[[SceneView], None], name: str
) -> tuple:
    scene = SceneView(plotter, project)
    try:
        place(scene)
        scene.settle()
        cam = scene.renderer.GetActiveCamera()
        return snapshot(plotter, name), cam.GetPosition(), cam.GetFocalPoint()
    finally:
        scene.close()


def test_an_old_project_file_opens_showing_the_same_view(
    plotter_factory: Plotters, tmp_path: Path
) -> None:
    oz, ve = -100.0, 2.0  # an origin below sea level: heights stretch about it
    h = ground_height(X, Y)
    real_eye = (X - 800.0, Y - 3000.0, h + 1200.0)
    drawn = tuple((p[0], p[1], oz + (p[2] - oz) * ve) for p in (real_eye, (X, Y, h)))
    path = tmp_path / "old.toml"
    path.write_text(_old_project_text(oz, drawn))  # type: ignore[arg-type]
    project, warnings = open_project(path)
    assert warnings == []
    assert project.view is not None and project.bookmarks[0].view == project.view
    assert np.allclose(project.view.position, real_eye, atol=1e-6)
    assert np.allclose(project.view.focal_point, (X, Y, h), atol=1e-6)

    def as_before(scene: SceneView) -> None:  # Twinscape 0.1: the file's numbers on VTK
        cam = scene.renderer.GetActiveCamera()
        cam.SetPosition(*np.subtract(drawn[0], (737700.0, 3487800.0, oz)))
        cam.SetFocalPoint(*np.subtract(drawn[1], (737700.0, 3487800.0, oz)))
        cam.SetViewUp(0.0, 0.0, 1.0)
        cam.OrthogonalizeViewUp()
        scene.renderer.ResetCameraClippingRange()

    view = project.view
    before, eye_0, focal_0 = _picture(project, plotter_factory(), as_before, "camera_old_file")
    after, eye_1, focal_1 = _picture(
        project, plotter_factory(), lambda s: s.apply_view(view), "camera_old_file_reopened"
    )
    assert np.allclose(eye_1, eye_0, atol=1e-6) and np.allclose(focal_1, focal_0, atol=1e-6)
    assert np.abs(after.astype(int) - before.astype(int)).mean() < 0.5
    assert after.std() > 20  # terrain, not an empty sky

    saved = save_project(project, tmp_path / "new.toml")
    data = tomllib.loads(saved.read_text())
    assert data["schema_version"] == 2
    assert data["view"]["focal_point"][2] == pytest.approx(h, abs=1e-6)  # the real height
    assert data["view"]["position"][2] == pytest.approx(h + 1200.0, abs=1e-6)
    assert data["bookmarks"][0]["focal_point"][2] == pytest.approx(h, abs=1e-6)
    again, _ = open_project(saved)
    assert again.view is not None and np.allclose(again.view.position, real_eye, atol=1e-6)


def test_the_scale_bar_measures_the_ground_as_drawn(valley: Valley) -> None:
    scene, (x, y, z) = valley.scene, valley.pad
    valley.style.vertical_exaggeration = 3.0
    view = CameraView(position=(x, y - 2000.0, z + 1500.0), focal_point=(x, y, z))
    scene.apply_view(view)
    image = valley.shot("camera_scale_ve3")
    h, w = image.shape[:2]
    left, right = scene.pick_world(w / 2 - 20, h / 2), scene.pick_world(w / 2 + 20, h / 2)
    assert left is not None and right is not None
    measured = math.dist(left[:2], right[:2]) / 40.0  # ground metres per pixel, picked
    said = metres_per_pixel(view_as_drawn(valley.project, view), h)
    assert said == pytest.approx(measured, rel=0.01)
    assert metres_per_pixel(view, h) < 0.6 * measured  # the real camera is nearer than drawn
