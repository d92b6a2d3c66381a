"""SceneView: layer registry, project events, camera in world coordinates, picking, teardown."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import pyvista as pv

from twinscape.io.kinds import kinds
from twinscape.model import CameraView, Layer, Project, RasterGrid, TerrainLayer
from twinscape.model.buildings import BuildingsLayer
from twinscape.render.offscreen import render_to_array, render_to_png
from twinscape.render.scene import LAYER_TO_VISUAL, SceneView, visual_class
from twinscape.render.terrain_visual import TerrainVisual

from render_helpers import DEMO_DEM, make_project, snapshot

Plotters = Callable[..., pv.Plotter]


def test_every_layer_kind_has_a_visual() -> None:
    registered = [kind.layer_type for kind in kinds()]
    assert TerrainLayer in registered and BuildingsLayer in registered
    for cls in registered:
        assert visual_class(cls) is LAYER_TO_VISUAL[cls]
    assert visual_class(TerrainLayer(name="t", source=Path("/x.tif"))) is TerrainVisual


def test_an_unknown_layer_kind_is_a_type_error() -> None:
    @dataclass(kw_only=True, eq=False)
    class FakeLayer(Layer):
        pass

    with pytest.raises(TypeError, match="no visual for layer of type FakeLayer"):
        visual_class(FakeLayer(name="fake"))

    class SubTerrain(TerrainLayer):  # subclasses find their parent's visual
        pass

    assert visual_class(SubTerrain) is TerrainVisual


def test_default_camera_looks_north_from_the_south(
    plotter_factory: Plotters, demo_project: Project
) -> None:
    scene = SceneView(plotter_factory(), demo_project)
    scene.frame()
    view = scene.current_view()
    dx, dy, dz = np.subtract(view.focal_point, view.position)
    assert dy > 0 and abs(dx) < 1e-6 * abs(dy)  # from due south
    down = math.degrees(math.atan2(-dz, math.hypot(dx, dy)))
    assert 35 <= down <= 45
    xmin, ymin, xmax, ymax = demo_project.bounds()
    assert xmin < view.focal_point[0] < xmax and ymin < view.focal_point[1] < ymax
    scene.close()


def test_views_round_trip_in_world_coordinates(
    plotter_factory: Plotters, demo_project: Project
) -> None:
    scene = SceneView(plotter_factory(), demo_project)
    view = CameraView(
        position=(740_000.5, 3_470_000.25, 6000.0),
        focal_point=(745_000.0, 3_490_000.0, 300.0),
        view_angle=35.0,
    )
    scene.apply_view(view)
    cam = scene.renderer.GetActiveCamera()
    assert max(abs(v) for v in cam.GetPosition()) < 100_000  # render coords are local
    back = scene.current_view()
    assert np.allclose(back.position, view.position, atol=1e-6)
    assert np.allclose(back.focal_point, view.focal_point, atol=1e-6)
    assert back.view_angle == pytest.approx(35.0)
    scene.close()


def test_a_straight_down_map_view_with_the_default_up_shows_the_terrain(
    plotter_factory: Plotters, demo_project: Project
) -> None:
    from twinscape.render.scene import BACKGROUND

    plotter = plotter_factory()
    scene = SceneView(plotter, demo_project)
    x, y = demo_project.origin[:2]
    top = CameraView(position=(x, y, 150_000.0), focal_point=(x, y, 0.0))  # view_up (0, 0, 1)
    scene.apply_view(top)  # as `twinscape render --camera` does: before the first frame
    image = snapshot(plotter).astype(float)
    h = image.shape[0]
    t = np.linspace(1.0, 0.0, h)[:, None, None]  # row 0 (top of the picture) is the top colour
    sky = (np.array(BACKGROUND[0]) * (1 - t) + np.array(BACKGROUND[1]) * t) * 255
    terrain = np.abs(image - sky).max(axis=2) > 30
    assert terrain.mean() > 0.5, "a blank picture"
    assert np.allclose(scene.current_view().view_up, (0.0, 1.0, 0.0), atol=1e-9)  # north up
    assert np.allclose(scene.current_view().position, top.position, atol=1e-6)
    scene.close()


def test_pick_returns_world_points_on_the_terrain(
    plotter_factory: Plotters, demo_project: Project, demo_grid: RasterGrid
) -> None:
    plotter = plotter_factory()
    scene = SceneView(plotter, demo_project)
    scene.frame()
    scene.settle()
    snapshot(plotter)
    w, h = plotter.window_size
    x, y, z = scene.pick_world(w // 4, h // 2)
    xmin, ymin, xmax, ymax = demo_grid.bounds
    assert xmin < x < xmax and ymin < y < ymax
    xc, yc = demo_grid.cell_centers()
    col, row = int(np.argmin(abs(xc - x))), int(np.argmin(abs(yc - y)))
    assert z == pytest.approx(float(demo_grid.values[row, col]), abs=60)
    assert scene.pick_world(w // 2, h - 3) is None  # sky
    demo_project.layers[0].style.vertical_exaggeration = 3.0  # the same real view, drawn 3 x
    snapshot(plotter)
    x3, y3, z3 = scene.pick_world(w // 2, h // 2)
    col, row = int(np.argmin(abs(xc - x3))), int(np.argmin(abs(yc - y3)))
    assert z3 == pytest.approx(float(demo_grid.values[row, col]), abs=60)  # true metres
    scene.close()


def test_pick_ignores_the_exaggeration_of_hidden_layers(
    plotter_factory: Plotters, demo_project: Project, demo_grid: RasterGrid
) -> None:
    from twinscape.geo.sampling import sample_elevation
    from twinscape.model import TerrainStyle

    hidden = TerrainLayer(
        name="hidden copy",
        source=DEMO_DEM,
        grid=demo_grid,
        visible=False,
        style=TerrainStyle(vertical_exaggeration=5.0),
    )
    demo_project.layers.insert(0, hidden)  # its visual comes first
    plotter = plotter_factory()
    scene = SceneView(plotter, demo_project)
    xc, yc = demo_grid.cell_centers()
    focus = (xc[600], yc[700], 0.0)
    scene.apply_view(CameraView(position=(focus[0], focus[1] - 2000.0, 4000.0), focal_point=focus))
    scene.settle()
    snapshot(plotter)
    w, h = plotter.window_size
    errors = []
    for x_px in range(w // 8, w, w // 8):
        point = scene.pick_world(x_px, h // 2)
        assert point is not None
        errors.append(point[2] - sample_elevation(demo_grid, point[0], point[1]))
    assert np.nanmedian(np.abs(errors)) < 2.0  # the drawn layer's metres, not divided by 5
    scene.close()


def test_scene_follows_the_layer_list(plotter_factory: Plotters, demo_grid: RasterGrid) -> None:
    project = make_project(None)
    project.adopt_origin(demo_grid.bounds)
    plotter = plotter_factory()
    scene = SceneView(plotter, project)
    empty = snapshot(plotter)
    pending = TerrainLayer(name="later", source=DEMO_DEM)
    project.layers.append(pending)
    assert scene.visuals == {}  # nothing to draw until the grid arrives
    pending.grid = demo_grid  # loaded off-thread, applied later
    assert id(pending) in scene.visuals
    first = snapshot(plotter)
    assert np.abs(first.astype(int) - empty.astype(int)).mean() > 10  # auto-framed, visible
    other = TerrainLayer(name="copy", source=DEMO_DEM, grid=demo_grid)
    project.layers.insert(0, other)
    assert len(scene.visuals) == 2
    project.layers.move(0, 2)
    assert [a for a in scene.renderer.GetActors()][-1] in scene.visuals[id(other)].actors
    n_actors = scene.renderer.GetActors().GetNumberOfItems()
    project.layers.remove(other)
    assert len(scene.visuals) == 1
    assert scene.renderer.GetActors().GetNumberOfItems() < n_actors
    other.visible = False  # no longer followed: nothing breaks
    scene.close()
    assert scene.renderer.GetActors().GetNumberOfItems() == 0
    pending.style.colormap = "gray"  # disconnected: no error, no work


def test_origin_change_keeps_the_world_view(
    plotter_factory: Plotters, demo_grid: RasterGrid
) -> None:
    project = make_project(demo_grid)
    plotter = plotter_factory()
    scene = SceneView(plotter, project)
    scene.frame()
    before = snapshot(plotter)
    view = scene.current_view()
    project.origin = (project.origin[0] + 5000.0, project.origin[1] - 3000.0, 0.0)
    after_view = scene.current_view()
    assert np.allclose(after_view.position, view.position, atol=1e-3)
    after = snapshot(plotter)
    assert np.abs(after.astype(int) - before.astype(int)).mean() < 2
    scene.close()


def test_render_to_png_uses_bookmarks(tmp_path: Path, demo_grid: RasterGrid) -> None:
    from PIL import Image

    from twinscape.model import Bookmark

    project = make_project(demo_grid)
    xc, yc = demo_grid.cell_centers()
    near = CameraView(position=(xc[600], yc[1000], 3000.0), focal_point=(xc[600], yc[700], 0.0))
    project.bookmarks.append(Bookmark(name="shore", view=near))
    out = render_to_png(project, tmp_path / "deep" / "shot.png", size=(640, 360))
    assert out.is_file() and Image.open(out).size == (640, 360)
    overview = np.asarray(Image.open(out))[..., :3]
    shore = render_to_array(project, size=(640, 360), camera="shore")
    assert shore.shape == (360, 640, 3)
    assert np.abs(shore.astype(int) - overview.astype(int)).mean() > 10
    with pytest.raises(KeyError, match="nowhere"):
        render_to_array(project, size=(64, 64), camera="nowhere")


def test_first_data_is_framed_even_after_an_empty_frame(
    plotter_factory: Plotters, demo_grid: RasterGrid
) -> None:
    project = Project(name="new")  # no CRS, no origin yet: the UI frames the empty scene
    plotter = plotter_factory()
    scene = SceneView(plotter, project)
    scene.frame()
    empty = snapshot(plotter)
    project.crs = demo_grid.crs
    project.adopt_origin(demo_grid.bounds)  # what loading the first DEM does
    project.layers.append(TerrainLayer(name="dem", source=DEMO_DEM, grid=demo_grid))
    view = scene.current_view()
    xmin, ymin, xmax, ymax = demo_grid.bounds
    assert xmin < view.focal_point[0] < xmax and ymin < view.focal_point[1] < ymax
    assert np.abs(snapshot(plotter).astype(int) - empty.astype(int)).mean() > 10
    scene.close()


def test_tiles_prepared_off_the_gui_thread_are_adopted(
    plotter_factory: Plotters, demo_grid: RasterGrid
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from twinscape.geo.origin import LocalOrigin
    from twinscape.model import TerrainStyle
    from twinscape.render.terrain_visual import prepare_tiles

    project = make_project(None)
    project.adopt_origin(demo_grid.bounds)
    style = TerrainStyle(colormap="sand")
    with ThreadPoolExecutor(1) as pool:
        tiles = pool.submit(
            prepare_tiles, demo_grid, style, LocalOrigin.of(project.origin)
        ).result()
    scene = SceneView(plotter_factory(), project)
    layer = TerrainLayer(name="dem", source=DEMO_DEM, grid=demo_grid, style=style)
    project.layers.append(layer)
    assert scene.visuals[id(layer)].tiles is tiles
    other = TerrainLayer(name="again", source=DEMO_DEM, grid=demo_grid)  # taken once only
    project.layers.append(other)
    assert scene.visuals[id(other)].tiles is not tiles
    scene.close()


def test_tiles_prepared_but_never_shown_do_not_keep_their_grid(demo_grid: RasterGrid) -> None:
    import gc
    import weakref

    from twinscape.geo.origin import LocalOrigin
    from twinscape.model import TerrainStyle
    from twinscape.render import terrain_visual
    from twinscape.render.terrain_visual import prepare_tiles

    # the grid of a load that was cancelled, or failed, after its tiles were prepared
    values = demo_grid.values[:300, :300].copy()
    grid = RasterGrid(values=values, transform=demo_grid.transform, crs=demo_grid.crs)
    prepare_tiles(grid, TerrainStyle(), LocalOrigin(*demo_grid.bounds[:2]))
    with terrain_visual._PREPARED_LOCK:
        assert grid in terrain_visual._PREPARED
    gone = weakref.ref(grid)
    del grid
    gc.collect()
    assert gone() is None, "the kept tiles hold their grid (and so themselves) for ever"


def test_zoom_to_all_frames_the_layers_shown(
    plotter_factory: Plotters, demo_grid: RasterGrid
) -> None:
    project = make_project(demo_grid)
    a, _, c, _, e, f = demo_grid.transform
    far = RasterGrid(  # the same terrain 200 km further east
        values=demo_grid.values, transform=(a, 0.0, c + 200_000.0, 0.0, e, f), crs=demo_grid.crs
    )
    project.layers.append(TerrainLayer(name="far", source=DEMO_DEM, grid=far))
    scene = SceneView(plotter_factory(), project)

    def focal_x() -> float:
        return scene.current_view().focal_point[0]

    centre = (demo_grid.bounds[0] + demo_grid.bounds[2]) / 2
    scene.frame()
    assert focal_x() == pytest.approx(centre + 100_000.0, abs=5_000.0)
    project.layers[1].visible = False
    scene.frame()
    assert focal_x() == pytest.approx(centre, abs=5_000.0), "the hidden layer is left out"
    project.layers[0].visible = False
    scene.frame()
    assert focal_x() == pytest.approx(centre + 100_000.0, abs=5_000.0), "all hidden: all"
    scene.close()
