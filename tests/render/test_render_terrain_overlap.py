"""Two DEMs in one project: a 10 m patch (made by gdalwarp) over the 90 m demo DEM.

The patch is the demo DEM warped by GDAL onto 10 m cells over 6 x 6 km and raised by
30 m, drawn with the grey ramp while the demo DEM is drawn in the warm desert ramp,
so every pixel tells which terrain it shows. Checked in pixels: the patch shows inside
its extent (also in the band where the coarse terrain runs under it), the coarse
terrain outside, no background (a crack) along the patch's edge, the same picture
after a tiny camera jitter (no z-fighting), and the coarse terrain again where the
hidden patch was.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import pyvista as pv
import rasterio

from twinscape.geo.ground import ground_elevation, ground_grids
from twinscape.model import CameraView, Project, RasterGrid, TerrainLayer, TerrainStyle
from twinscape.render.ground_pick import world_to_display
from twinscape.render.scene import BACKGROUND, SceneView

from render_helpers import DEMO_DEM, make_project, read_grid, snapshot

Plotters = Callable[..., pv.Plotter]

#: The patch's extent (cell edges, metres, UTM 36N) and how much it is raised.
WEST, SOUTH, EAST, NORTH = 708000.0, 3501000.0, 714000.0, 3507000.0
RAISE = 30.0
CX, CY = (WEST + EAST) / 2, (SOUTH + NORTH) / 2


@pytest.fixture(scope="module")
def patch_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo DEM warped by GDAL to 10 m over the patch extent, raised by RAISE."""
    folder = tmp_path_factory.mktemp("overlap")
    warped = folder / "warped.tif"
    subprocess.run(
        ["gdalwarp", "-q", "-ot", "Float32", "-r", "bilinear", "-tr", "10", "10",
         "-te", str(WEST), str(SOUTH), str(EAST), str(NORTH), str(DEMO_DEM), str(warped)],
        check=True,
    )  # fmt: skip
    out = folder / "patch10.tif"
    with rasterio.open(warped) as src:
        profile = src.profile
        values = src.read(1)
    assert np.isfinite(values).all() and (values > -1000).all()
    with rasterio.open(out, "w", **profile) as dst:
        dst.write(values + np.float32(RAISE), 1)
    return out


@pytest.fixture
def project(demo_grid: RasterGrid, patch_file: Path) -> Project:
    """The demo DEM (desert ramp) and the 10 m patch over it (grey ramp)."""
    project = make_project(demo_grid)
    patch = read_grid(patch_file)
    style = TerrainStyle(colormap="gray", elevation_range=(300.0, 1200.0))
    project.layers.append(TerrainLayer(name="patch", source=patch_file, grid=patch, style=style))
    return project


def classes(image: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pixel: grey (the patch), warm (the desert DEM), background (the sky gradient)."""
    r, g, b = (image[..., k].astype(int) for k in range(3))
    grey = (np.abs(r - g) <= 6) & (np.abs(g - b) <= 6)
    warm = r - b >= 15
    bottom, top = (np.array(c) * 255 for c in BACKGROUND)
    t = 1 - np.arange(image.shape[0]) / (image.shape[0] - 1)
    expect = bottom[None, :] + (top - bottom)[None, :] * t[:, None]
    sky = np.abs(image.astype(float) - expect[:, None, :]).max(axis=2) <= 4
    return grey, warm, sky


def pixels_of(scene: SceneView, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Image (row, col) of world points (rows from the top), inside the picture only."""
    xy = world_to_display(scene.renderer, scene.origin, np.column_stack([x, y, z]))
    w, h = scene.renderer.GetSize()
    col, row = np.rint(xy[:, 0]).astype(int), np.rint(h - 1 - xy[:, 1]).astype(int)
    keep = (col >= 0) & (col < w) & (row >= 0) & (row < h)
    return np.column_stack([row[keep], col[keep]])


def ring(inset: float, n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Points on the rectangle ``inset`` metres inside the patch's edge (outside if < 0)."""
    t = np.linspace(0.0, 1.0, n, endpoint=False)
    w, s, e, nn = WEST + inset, SOUTH + inset, EAST - inset, NORTH - inset
    x = np.concatenate([w + (e - w) * t, np.full(n, e), e - (e - w) * t, np.full(n, w)])
    y = np.concatenate([np.full(n, s), s + (nn - s) * t, np.full(n, nn), nn - (nn - s) * t])
    return x, y


def ground(project: Project, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return ground_elevation(ground_grids(project.layers), x, y)


VIEWS = {
    "top": CameraView(position=(CX, CY, 15000.0), focal_point=(CX, CY, 500.0), view_up=(0, 1, 0)),
    "oblique": CameraView(position=(CX - 3000, CY - 9000, 7000.0), focal_point=(CX, CY, 500.0)),
}


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_the_finer_patch_wins_without_cracks(
    plotter_factory: Plotters, project: Project, view: str
) -> None:
    plotter = plotter_factory()
    scene = SceneView(plotter, project)
    scene.apply_view(VIEWS[view])
    scene.settle()
    image = snapshot(plotter, f"overlap_{view}")
    grey, warm, sky = classes(image)
    # inside the patch, from 40 m (a few pixels) inside its edge: the patch's pixels,
    # also in the band (up to one 90 m cell) where the coarse DEM runs under it
    inside = []
    for inset in (40.0, 70.0, 100.0, 600.0, 2000.0):
        x, y = ring(inset)
        inside.append(pixels_of(scene, x, y, ground(project, x, y)))
    rows, cols = np.concatenate(inside).T
    assert grey[rows, cols].mean() > 0.99, warm[rows, cols].mean()
    # outside (from 300 m off the edge): the desert DEM's pixels, the patch did not spread
    x, y = ring(-300.0)
    rows, cols = pixels_of(scene, x, y, ground(project, x, y)).T
    assert warm[rows, cols].mean() > 0.97
    # along the edge: no background shows through anywhere within 6 px of it
    x, y = ring(5.0, 1500)
    edge = pixels_of(scene, x, y, ground(project, x, y))
    assert len(edge) > 1000
    h, w = sky.shape
    for dr in range(-6, 7, 2):
        for dc in range(-6, 7, 2):
            r = np.clip(edge[:, 0] + dr, 0, h - 1)
            c = np.clip(edge[:, 1] + dc, 0, w - 1)
            assert not sky[r, c].any(), (dr, dc)
    if view == "top":
        assert not sky.any()  # the camera sees terrain only: no crack, no hole anywhere
    scene.close()


def test_a_coincident_patch_does_not_z_fight(
    plotter_factory: Plotters, demo_grid: RasterGrid, patch_file: Path
) -> None:
    """The patch at the coarse DEM's own height: the band is won by the patch, steadily."""
    project = make_project(demo_grid)
    with rasterio.open(patch_file) as ds:  # back to the warped DEM's own height
        values = ds.read(1) - np.float32(RAISE)
        grid = RasterGrid(values=values, transform=tuple(ds.transform)[:6], crs=str(ds.crs))
    style = TerrainStyle(colormap="gray", elevation_range=(300.0, 1200.0))
    project.layers.append(TerrainLayer(name="patch", source=patch_file, grid=grid, style=style))
    plotter = plotter_factory()
    scene = SceneView(plotter, project)
    pictures = []
    for jitter in (0.0, 0.37):
        view = VIEWS["oblique"]
        x, y, z = view.position
        scene.apply_view(CameraView(position=(x + jitter, y, z), focal_point=view.focal_point))
        scene.settle()
        pictures.append(classes(snapshot(plotter, f"overlap_coincident_{jitter}")))
    band = []
    for inset in (45.0, 60.0, 75.0):  # inside the patch, within a coarse cell of its edge
        x, y = ring(inset, 1000)
        band.append(pixels_of(scene, x, y, ground(project, x, y)))
    rows, cols = np.concatenate(band).T
    (grey0, warm0, sky0), (grey1, _, _) = pictures
    assert not sky0[rows, cols].any()
    # without the depth offset about a third of these pixels are the coarse DEM's
    assert warm0[rows, cols].mean() < 0.02
    assert (grey0[rows, cols] == grey1[rows, cols]).mean() > 0.98  # no flicker
    scene.close()


def test_ground_is_the_finer_dem_inside_the_patch(project: Project, patch_file: Path) -> None:
    grids = ground_grids(project.layers)
    assert grids[0] is project.layers[1].grid  # the 10 m patch first, though it is on top
    project.layers.move(1, 0)  # the patch under the coarse DEM: it still wins
    assert ground_grids(project.layers)[0] is project.layers[0].grid
    points = [(CX + 125.0, CY - 455.0), (WEST + 15.0, NORTH - 25.0)]  # cell centres
    with rasterio.open(patch_file) as ds:
        expect = [float(v[0]) for v in ds.sample(points)]
    got = ground(project, *np.array(points).T)
    assert got == pytest.approx(expect, abs=1e-3)
    outside = [(706905.0, 3499425.0)]  # west of and below the patch: a 90 m cell centre
    with rasterio.open(DEMO_DEM) as ds:
        assert ds.xy(*ds.index(*outside[0])) == outside[0]
        coarse = float(next(ds.sample(outside))[0])
    assert ground(project, *np.array(outside).T)[0] == pytest.approx(coarse)


def test_pick_on_the_patch_returns_the_patch_elevation(
    plotter_factory: Plotters, project: Project, patch_file: Path
) -> None:
    plotter = plotter_factory()
    scene = SceneView(plotter, project)
    scene.apply_view(VIEWS["top"])
    scene.settle()
    snapshot(plotter)
    w, h = plotter.window_size
    x, y, z = scene.pick_world(w // 2 + 17, h // 2 - 9)
    assert WEST < x < EAST and SOUTH < y < NORTH
    with rasterio.open(patch_file) as ds:
        values = ds.read(1)
        row, col = ds.index(x, y)
        near = values[max(row - 1, 0) : row + 2, max(col - 1, 0) : col + 2]
    # the patch's ground (to the depth buffer's precision 15 km away), not 30 m lower
    assert near.min() - 5.0 <= z <= near.max() + 5.0
    scene.close()


def test_hiding_the_patch_restores_the_coarse_terrain(
    plotter_factory: Plotters, project: Project, demo_grid: RasterGrid
) -> None:
    """Also with the tiles rebuilt in the background (a colour executor), as in the app."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        plotter = plotter_factory()
        scene = SceneView(plotter, project, colour_executor=pool, on_update=lambda: None)
        scene.apply_view(VIEWS["top"])
        scene.settle()  # waits for the tiles built in the background
        coarse = scene.visuals[id(project.layers[0])]
        assert coarse.tiles is not None
        cut = np.isnan(coarse.tiles.values) & np.isfinite(demo_grid.values)
        assert 3000 < cut.sum() < (6000 / 90) ** 2  # inside the 6 x 6 km patch
        assert (
            np.isfinite(demo_grid.values).sum() == np.isfinite(project.layers[0].grid.values).sum()
        )
        project.layers[1].visible = False
        scene.settle()
        image = snapshot(plotter, "overlap_hidden")
        grey, warm, sky = classes(image)
        assert not sky.any() and grey.mean() < 0.01 and warm.mean() > 0.97
        assert not (np.isnan(coarse.tiles.values) & np.isfinite(demo_grid.values)).any()
        project.layers[1].visible = True
        scene.settle()
        grey, _, _ = classes(snapshot(plotter))
        assert grey.mean() > 0.3  # the patch is back, in the middle of the view
        scene.close()


def test_outer_skirts_of_the_patch_reach_below_the_coarse_terrain(
    demo_grid: RasterGrid, patch_file: Path
) -> None:
    from twinscape.geo.origin import LocalOrigin
    from twinscape.geo.terrain_overlap import Overlap
    from twinscape.render.terrain_overlap import overlap_tiles

    with rasterio.open(DEMO_DEM) as ds:
        band = ds.read(1, masked=True)
        lowest = float(band.min())  # the coarse DEM's lowest point, read by rasterio
    origin = LocalOrigin(CX, CY, 0.0)
    tiles = overlap_tiles(read_grid(patch_file), origin, Overlap(coarser=(demo_grid,)))
    outer = [t for t in tiles.tiles if any(t.outer)]
    assert outer
    for tile in outer:
        for level in (0, tiles.n_levels - 1):
            mesh = tiles.mesh(tile.index, level)
            n_grid = len(tiles.indices(tile, level)[0]) * len(tiles.indices(tile, level)[1])
            skirt_z = mesh.points[n_grid:, 2]
            assert skirt_z.min() <= lowest  # some skirt reaches the bottom of the coarse DEM
    plain = overlap_tiles(read_grid(patch_file), origin, Overlap())
    for tile in outer:  # alone, the patch hangs no skirt from its outer edges
        sides = [k for k in range(4) if tile.outer[k]]
        assert not plain.skirt_depth[tile.index][:, sides].any()
