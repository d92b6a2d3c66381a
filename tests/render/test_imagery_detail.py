"""An orthophoto much finer than the DEM, seen close up: drawn at its own sharpness.

The DEM has 30 m cells in UTM 36N; the picture, written by rasterio in EPSG:4326 with
about 1 m pixels (and overviews), is blue with a 2-pixel red line running north-south
and white east of an edge. Where the line must appear is found independently of the
drape: its longitude is moved to UTM by pyproj, stood on the DEM and projected through
the camera (render/ground_pick.py ``world_to_display``). At the grid's 30 m the line
would be a faint band 30 m wide and the edge a ramp over 30 m; close up both must be
as sharp as the picture.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import rasterio
from PIL import Image
from pyproj import Transformer
from rasterio.enums import Resampling
from rasterio.transform import from_origin

from twinscape.geo.sampling import sample_elevation
from twinscape.io.loading import apply_load, load_file
from twinscape.model import CameraView, Project, RasterGrid
from twinscape.render import detail_textures
from twinscape.render.ground_pick import world_to_display
from twinscape.render.offscreen import render_to_array
from twinscape.render.scene import SceneView
from twinscape.render.terrain_visual import TerrainVisual

from render_helpers import OUT, SIZE, make_project, snapshot

pytestmark = pytest.mark.render

WEST, NORTH, RES, PIXELS = 35.49, 31.51, 1e-5, 2000
LINE_COL, EDGE_COL = 800, 1300  # red line: columns 800-801; white from column 1300
BLUE, RED, WHITE = (30, 60, 200), (255, 0, 0), (250, 250, 250)
TO_UTM = Transformer.from_crs("EPSG:4326", "EPSG:32636", always_xy=True)
LINE_LON = WEST + (LINE_COL + 1) * RES  # the line's centre
EDGE_LON = WEST + EDGE_COL * RES
MID_LAT = NORTH - RES * PIXELS / 2


def dem_grid() -> RasterGrid:
    """513 x 513 samples of 30 m around the picture, gentle hills (tiles of 65 samples)."""
    cx, cy = TO_UTM.transform(WEST + RES * PIXELS / 2, MID_LAT)
    n, res = 513, 30.0
    x0, y0 = round(cx) - n * res / 2, round(cy) + n * res / 2
    xx, yy = np.meshgrid(x0 + res * (np.arange(n) + 0.5), y0 - res * (np.arange(n) + 0.5))
    z = 200.0 + 40.0 * np.sin((xx - x0) / 2500.0) * np.cos((yy - y0) / 1900.0)
    return RasterGrid(values=z.astype(np.float32), transform=(res, 0.0, x0, 0.0, -res, y0),
                      crs="EPSG:32636")  # fmt: skip


def write_ortho(path: Path) -> Path:
    """The picture (see the module), tiled, with overviews."""
    data = np.empty((3, PIXELS, PIXELS), np.uint8)
    data[:] = np.array(BLUE, np.uint8)[:, None, None]
    data[:, :, EDGE_COL:] = np.array(WHITE, np.uint8)[:, None, None]
    data[:, :, LINE_COL : LINE_COL + 2] = np.array(RED, np.uint8)[:, None, None]
    with rasterio.open(
        path, "w", driver="GTiff", width=PIXELS, height=PIXELS, count=3, dtype="uint8",
        crs="EPSG:4326", transform=from_origin(WEST, NORTH, RES, RES), photometric="RGB",
        tiled=True, blockxsize=256, blockysize=256,
    ) as dst:  # fmt: skip
        dst.write(data)
        dst.build_overviews([2, 4, 8, 16, 32], Resampling.average)
    return path


@pytest.fixture(scope="module")
def ortho(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_ortho(tmp_path_factory.mktemp("ortho") / "ortho.tif")


def project_with(ortho: Path) -> tuple[Project, RasterGrid]:
    grid = dem_grid()
    project = make_project(grid)
    apply_load(project, load_file(ortho, project_crs=project.crs))
    return project, grid


def to_screen(scene: SceneView, grid: RasterGrid, lon: np.ndarray, lat: np.ndarray):  # noqa: ANN201
    """(column, row from the top) of ground points given in degrees, through the camera."""
    x, y = TO_UTM.transform(np.asarray(lon, float), np.asarray(lat, float))
    z = sample_elevation(grid, x, y)
    display = world_to_display(
        scene.renderer, scene.origin, np.column_stack([x, y, z]),
        exaggeration=scene.ground_exaggeration(),
    )  # fmt: skip
    return display[:, 0], scene.renderer.GetSize()[1] - display[:, 1]


def close_view(grid: RasterGrid, lon: float = LINE_LON, height: float = 300.0) -> CameraView:
    """Straight down from ``height`` m above the ground at (``lon``, the picture's middle)."""
    x, y = TO_UTM.transform(lon, MID_LAT)
    z = float(sample_elevation(grid, np.array([x]), np.array([y]))[0])
    return CameraView(position=(x, y, z + height), focal_point=(x, y, z), view_up=(0, 1, 0))


def far_view(grid: RasterGrid) -> CameraView:
    west, south, east, north = grid.bounds
    x, y = (west + east) / 2, (south + north) / 2
    return CameraView(position=(x, y, 30_000.0), focal_point=(x, y, 0.0), view_up=(0, 1, 0))


def terrain_of(scene: SceneView) -> TerrainVisual:
    return next(v for v in scene.visuals.values() if isinstance(v, TerrainVisual))


def is_red(image: np.ndarray) -> np.ndarray:
    rgb = image.astype(int)
    return (rgb[..., 0] > 180) & (rgb[..., 1] < 80) & (rgb[..., 2] < 110)


def px_per_metre(scene: SceneView, grid: RasterGrid) -> float:
    """Screen pixels per metre east-west at the line, through the camera."""
    x, y = TO_UTM.transform(LINE_LON, MID_LAT)
    lon, _ = Transformer.from_crs("EPSG:32636", "EPSG:4326", always_xy=True).transform(x + 10, y)
    cols, _ = to_screen(scene, grid, np.array([LINE_LON, lon]), np.array([MID_LAT, MID_LAT]))
    return abs(cols[1] - cols[0]) / 10.0


def check_sharp_line(scene: SceneView, grid: RasterGrid, image: np.ndarray) -> None:
    """The red line is where pyproj and the camera put it, about 2 m wide."""
    pxm = px_per_metre(scene, grid)
    lats = MID_LAT + np.linspace(-60, 60, 7) * RES
    cols, rows = to_screen(scene, grid, np.full(7, LINE_LON), lats)
    red = is_red(image)
    for col, row in zip(cols, rows):
        found = np.flatnonzero(red[int(round(row))])
        assert len(found), f"no red on row {row:.0f}"
        assert abs(found.mean() - col) <= 2.0, (found.mean(), col)
        # strongly red over about the line's 2 m (never the 30 m a grid cell would smear)
        assert 0.8 * pxm <= len(found) <= 3.0 * pxm, (len(found), pxm)


def edge_width_px(scene: SceneView, grid: RasterGrid, image: np.ndarray) -> float:
    """Pixels over which the blue-white edge goes from 10 % to 90 % white, mid-screen."""
    cols, rows = to_screen(scene, grid, np.array([EDGE_LON]), np.array([MID_LAT]))
    row = image[int(round(rows[0])), :, 0].astype(float)  # red channel: 30 (blue) .. 250
    c = int(round(cols[0]))
    segment = row[max(c - 150, 0) : c + 150]
    t = (segment - BLUE[0]) / (WHITE[0] - BLUE[0])
    low, high = np.flatnonzero(t > 0.1), np.flatnonzero(t > 0.9)
    assert len(low) and len(high), "the edge is on screen"
    return float(high[0] - low[0])


def test_a_close_view_shows_the_picture_sharp_where_pyproj_puts_it(
    plotter_factory: Callable, ortho: Path
) -> None:
    project, grid = project_with(ortho)
    scene = SceneView(plotter_factory(SIZE), project)
    scene.apply_view(close_view(grid))
    scene.settle()
    image = snapshot(scene.plotter, "imagery_detail_line")
    visual = terrain_of(scene)
    assert (visual.detail.levels < 0).any(), "tiles under the camera show detail textures"
    check_sharp_line(scene, grid, image)
    scene.apply_view(close_view(grid, lon=EDGE_LON))
    scene.settle()
    image = snapshot(scene.plotter, "imagery_detail_edge")
    pxm = px_per_metre(scene, grid)
    assert edge_width_px(scene, grid, image) <= 3.0 * pxm  # a grid cell would be 30 m


def test_a_far_view_is_unchanged_by_detail(
    plotter_factory: Callable, ortho: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, grid = project_with(ortho)
    scene = SceneView(plotter_factory(SIZE), project)
    scene.apply_view(far_view(grid))
    scene.settle()
    before = snapshot(scene.plotter, "imagery_detail_far")
    visual = terrain_of(scene)
    assert not visual.detail.levels.any(), "far away no tile wants detail"
    scene.apply_view(close_view(grid))
    scene.settle()
    snapshot(scene.plotter)
    assert (visual.detail.levels < 0).any()
    scene.apply_view(far_view(grid))
    scene.settle()
    assert np.array_equal(snapshot(scene.plotter), before), "back far away: the grid textures"
    # the same picture with no detail at all
    monkeypatch.setattr(detail_textures, "max_depth", lambda *_: 0)
    project2, _ = project_with(ortho)
    plain = SceneView(plotter_factory(SIZE), project2)
    plain.apply_view(far_view(grid))
    plain.settle()
    assert np.array_equal(snapshot(plain.plotter), before)


def test_a_detail_texture_being_painted_leaves_the_old_one(
    plotter_factory: Callable, ortho: Path
) -> None:
    project, grid = project_with(ortho)
    asked: list[int] = []
    scene = SceneView(plotter_factory(SIZE), project, on_update=lambda: asked.append(1))
    scene.apply_view(far_view(grid))
    scene.settle()
    snapshot(scene.plotter)
    visual = terrain_of(scene)
    scene.apply_view(close_view(grid))
    first = snapshot(scene.plotter, "imagery_detail_painting")  # background: nothing waits
    drawn = (visual.levels >= 0) & ~visual.culled
    assert drawn.any()
    assert all(visual.actors[i].GetTexture() is not None for i in np.flatnonzero(drawn))
    assert not visual.detail.levels.any(), "the detail textures are still being painted"
    assert scene.refining()
    # the grid-level colours show meanwhile: blue ground, the line a faint smear at most
    centre = first[SIZE[1] // 2 - 50 : SIZE[1] // 2 + 50, SIZE[0] // 2 - 200 : SIZE[0] // 2 - 80]
    assert np.abs(np.median(centre.reshape(-1, 3), axis=0) - BLUE).max() < 30
    assert is_red(first).sum() < 50
    for _ in range(60):
        visual.detail.builder.wait_idle(60)
        snapshot(scene.plotter)
        if not scene.refining():
            break
    assert asked, "a render was asked for when the textures were painted"
    assert (visual.detail.levels < 0).any()
    check_sharp_line(scene, grid, snapshot(scene.plotter, "imagery_detail_painted"))


def test_the_texture_cache_stays_within_its_bound_while_flying(
    plotter_factory: Callable, ortho: Path
) -> None:
    project, grid = project_with(ortho)
    scene = SceneView(plotter_factory(SIZE), project)
    scene.apply_view(close_view(grid))
    scene.settle()
    visual = terrain_of(scene)
    assert visual.cache is not None
    limit = visual.cache.textures.limit = 40 * 2**20
    finest = []
    for lon in np.linspace(WEST + 100 * RES, WEST + 1900 * RES, 10):
        scene.apply_view(close_view(grid, lon=float(lon), height=250.0))
        scene.settle()
        snapshot(scene.plotter)
        assert visual.cache.textures.used <= limit
        finest.append(int(visual.detail.levels.min()))
    assert max(finest) < 0, "every step over the picture shows detail"


def test_a_screenshot_is_sharp(plotter_factory: Callable, ortho: Path) -> None:
    project, grid = project_with(ortho)
    view = close_view(grid)
    image = render_to_array(project, size=SIZE, view=view)
    Image.fromarray(image).save(OUT / "imagery_detail_render.png")
    scene = SceneView(plotter_factory(SIZE), project)  # the same camera, to find the line
    scene.apply_view(view)
    scene.settle()
    check_sharp_line(scene, grid, image)


def test_a_picture_gone_from_disk_leaves_the_grid_texture(
    plotter_factory: Callable, ortho: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "ortho.tif"
    copy.write_bytes(ortho.read_bytes())
    project, grid = project_with(copy)
    scene = SceneView(plotter_factory(SIZE), project)
    scene.apply_view(far_view(grid))
    scene.settle()  # the grid-level picture is read
    snapshot(scene.plotter)
    copy.unlink()
    scene.apply_view(close_view(grid))
    scene.settle()  # detail cannot be read: logged, not raised
    image = snapshot(scene.plotter, "imagery_detail_gone")
    visual = terrain_of(scene)
    assert not visual.detail.levels.any()
    assert not scene.refining()
    centre = image[SIZE[1] // 2 - 50 : SIZE[1] // 2 + 50, SIZE[0] // 2 - 200 : SIZE[0] // 2 - 80]
    assert np.abs(np.median(centre.reshape(-1, 3), axis=0) - BLUE).max() < 30
