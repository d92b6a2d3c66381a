"""An orthophoto much finer than a paged DEM, seen close up: drawn at its own sharpness.

The picture of tests/render/test_imagery_detail.py (EPSG:4326, about 1 m pixels: blue,
a 2-pixel red line running north-south, white east of an edge) over a 10 m DEM in UTM
36N written as a COG and opened as a paged terrain (the in-memory limit lowered, as
tests/render/test_paged_terrain.py does). Its finest nodes are the file's 10 m cells,
so without detail the line would be a faint band 10 m wide. Where the line must appear
is found independently: its longitude moved to UTM by pyproj, stood on the DEM read
back by rasterio and projected through the camera.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.shutil import copy as rio_copy
from test_imagery_detail import (
    BLUE,
    EDGE_LON,
    LINE_LON,
    MID_LAT,
    PIXELS,
    RED,
    RES,
    TO_UTM,
    WEST,
    close_view,
    edge_width_px,
    is_red,
    px_per_metre,
    to_screen,
    write_ortho,
)

import twinscape.io.kinds.terrain as terrain_kind
from twinscape.io.loading import apply_load, load_file, open_data_files
from twinscape.model import CameraView, Project, RasterGrid
from twinscape.model.terrain import PagedTerrainLayer
from twinscape.render import paged_detail
from twinscape.render.paged_terrain import PagedTerrainVisual
from twinscape.render.scene import SceneView

from render_helpers import SIZE, read_grid, snapshot

pytestmark = pytest.mark.render

N, CELL = 1025, 10.0


def write_dem(folder: Path) -> Path:
    """1025 x 1025 cells of 10 m around the picture, gentle hills, a COG with overviews."""
    cx, cy = TO_UTM.transform(WEST + RES * PIXELS / 2, MID_LAT)
    x0, y0 = round(cx) - N * CELL / 2, round(cy) + N * CELL / 2
    xx, yy = np.meshgrid(CELL * (np.arange(N) + 0.5), CELL * (np.arange(N) + 0.5))
    z = (200.0 + 40.0 * np.sin(xx / 2500.0) * np.cos(yy / 1900.0)).astype(np.float32)
    plain = folder / "plain.tif"
    profile = dict(
        driver="GTiff", height=N, width=N, count=1, dtype="float32", crs="EPSG:32636",
        transform=Affine(CELL, 0.0, x0, 0.0, -CELL, y0), tiled=True,
    )  # fmt: skip
    with rasterio.open(plain, "w", **profile) as dst:
        dst.write(z, 1)
    out = folder / "dem.tif"
    rio_copy(plain, out, driver="COG", overview_resampling="average")
    return out


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("paged_ortho")
    return write_dem(folder), write_ortho(folder / "ortho.tif")


def paged_project(
    files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> tuple[Project, RasterGrid]:
    """The DEM opened paged with the picture over it, and the DEM read by rasterio."""
    dem, ortho = files
    monkeypatch.setattr(terrain_kind, "MAX_TERRAIN_CELLS", 100_000)
    project, _ = open_data_files([dem])
    assert isinstance(project.layers[0], PagedTerrainLayer)
    apply_load(project, load_file(ortho, project_crs=project.crs))
    return project, read_grid(dem)


def check_line(scene: SceneView, grid: RasterGrid, image: np.ndarray) -> None:
    """The red line is where pyproj and the camera put it, red at its middle, 1-3 m wide.

    At the nodes' detail of 1.25 m texels (10 m / 2**3, about the picture's 1 m) the
    2-pixel line is at least half red over about its width; at the nodes' own 10 m it
    would be a faint band, never half red.
    """
    pxm = px_per_metre(scene, grid)
    lats = MID_LAT + np.linspace(-60, 60, 7) * RES
    cols, rows = to_screen(scene, grid, np.full(7, LINE_LON), lats)
    red = is_red(image)
    for col, row in zip(cols, rows):
        r, c = int(round(row)), int(round(col))
        t = (image[r, :, 0].astype(float) - BLUE[0]) / (RED[0] - BLUE[0])
        half = np.flatnonzero(t > 0.5)
        assert len(half), f"no red on row {r}"
        assert abs(half.mean() - col) <= 2.0, (half.mean(), col)
        assert red[r, c - 2 : c + 3].any(), "strongly red at the line's middle"
        assert 1.0 * pxm <= len(half) <= 3.0 * pxm, (len(half), pxm)


def paged_of(scene: SceneView) -> PagedTerrainVisual:
    return next(v for v in scene.visuals.values() if isinstance(v, PagedTerrainVisual))


def detail_levels(visual: PagedTerrainVisual) -> dict:
    return visual.detail.levels


def far_view(grid: RasterGrid) -> CameraView:
    west, south, east, north = grid.bounds
    x, y = (west + east) / 2, (south + north) / 2
    return CameraView(position=(x, y, 20_000.0), focal_point=(x, y, 0.0), view_up=(0, 1, 0))


def count_paints(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record every detail paint of a node started (any thread)."""
    started: list[int] = []
    lock = threading.Lock()
    paint = paged_detail.try_paint

    def counted(recipe, window, level):  # noqa: ANN001, ANN202
        with lock:
            started.append(level)
        return paint(recipe, window, level)

    monkeypatch.setattr(paged_detail, "try_paint", counted)
    return started


def test_a_close_view_of_a_paged_dem_shows_the_picture_sharp(
    plotter_factory: Callable, files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    project, grid = paged_project(files, monkeypatch)
    scene = SceneView(plotter_factory(SIZE), project)
    scene.apply_view(close_view(grid))
    scene.settle()
    image = snapshot(scene.plotter, "paged_detail_line")
    visual = paged_of(scene)
    levels = detail_levels(visual)
    assert levels and min(levels.values()) == -3, "10 m nodes at 1.25 m texels"
    check_line(scene, grid, image)
    scene.apply_view(close_view(grid, lon=EDGE_LON))
    scene.settle()
    image = snapshot(scene.plotter, "paged_detail_edge")
    assert edge_width_px(scene, grid, image) <= 3.0 * px_per_metre(scene, grid)


def test_nodes_keep_their_texture_until_the_detail_is_painted(
    plotter_factory: Callable, files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    project, grid = paged_project(files, monkeypatch)
    asked: list[int] = []
    scene = SceneView(plotter_factory(SIZE), project, on_update=lambda: asked.append(1))
    scene.apply_view(far_view(grid))
    scene.settle()
    snapshot(scene.plotter)
    visual = paged_of(scene)
    scene.apply_view(close_view(grid))
    first = snapshot(scene.plotter, "paged_detail_painting")  # nothing waits
    assert visual.actors and all(a.GetTexture() is not None for a in visual.actors)
    assert not detail_levels(visual)
    assert scene.refining()
    centre = first[SIZE[1] // 2 - 50 : SIZE[1] // 2 + 50, SIZE[0] // 2 - 200 : SIZE[0] // 2 - 80]
    assert np.abs(np.median(centre.reshape(-1, 3), axis=0) - BLUE).max() < 30
    assert is_red(first).sum() < 50, "the line is a faint smear at the nodes' 10 m"
    for _ in range(100):
        visual.detail.builder.wait_idle(60)
        snapshot(scene.plotter)
        if not scene.refining():
            break
    assert asked
    assert detail_levels(visual)
    check_line(scene, grid, snapshot(scene.plotter, "paged_detail_painted"))


def test_no_node_detail_is_painted_while_moving(
    plotter_factory: Callable, files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    project, grid = paged_project(files, monkeypatch)
    scene = SceneView(plotter_factory(SIZE), project, on_update=lambda: None)
    scene.apply_view(far_view(grid))
    scene.settle()
    snapshot(scene.plotter)
    visual = paged_of(scene)
    started = count_paints(monkeypatch)
    scene.interacting = True
    for lon in np.linspace(LINE_LON - 200 * RES, LINE_LON, 8):
        scene.apply_view(close_view(grid, lon=float(lon)))
        snapshot(scene.plotter)
    for _ in range(100):  # moving frames go on while the nodes land
        time.sleep(0.05)
        snapshot(scene.plotter)
        if not visual.store.pending:
            break
    assert visual.detail.builder.wait_idle(60)
    camera = scene.renderer.GetActiveCamera()
    nodes = {key: visual.store.get(key) for key in visual.drawn}
    assert visual.detail.wanted(nodes, camera, SIZE[1], visual.ve), "detail is wanted"
    assert started == [], "yet none is painted while moving"
    assert not detail_levels(visual)
    scene.interacting = False
    for _ in range(100):
        snapshot(scene.plotter)
        visual.detail.builder.wait_idle(60)
        if started and not scene.refining():
            break
    assert started and detail_levels(visual)
    check_line(scene, grid, snapshot(scene.plotter, "paged_detail_after_moving"))


def test_detail_memory_stays_within_its_bound_while_flying(
    plotter_factory: Callable, files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    project, grid = paged_project(files, monkeypatch)
    scene = SceneView(plotter_factory(SIZE), project)
    visual = paged_of(scene)
    limit = visual.detail.cache.textures.limit = 30 * 2**20
    finest = []
    for lon in np.linspace(WEST + 100 * RES, WEST + 1900 * RES, 8):
        scene.apply_view(close_view(grid, lon=float(lon), height=250.0))
        scene.settle()
        snapshot(scene.plotter)
        assert visual.detail.cache.textures.used <= limit
        finest.append(min(detail_levels(visual).values(), default=0))
    assert max(finest) < 0, "every step over the picture shows detail"
