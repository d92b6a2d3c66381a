"""Imagery draped on the terrain, seen from above off-screen: the right pixels in the right place.

The image is written by GDAL in EPSG:4326 over the demo DEM (UTM 36N): blue, with a
red square at its north-west corner. Where the square must appear on screen is found
independently of the drape: its corners are moved to UTM by pyproj, stood on the DEM
and projected through the camera (render/ground_pick.py ``world_to_display``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import rasterio
from pyproj import Transformer
from rasterio.transform import from_origin

from twinscape.geo.sampling import sample_elevation
from twinscape.io.loading import apply_load, load_file
from twinscape.model import CameraView, Project, RasterGrid
from twinscape.model.imagery import ImageryLayer
from twinscape.render.ground_pick import world_to_display
from twinscape.render.scene import SceneView

from render_helpers import SIZE, make_project, snapshot

pytestmark = pytest.mark.render

WEST, NORTH, RES, PIXELS, MARK = 35.3, 31.6, 0.001, 400, 80
RED, BLUE = (255, 0, 0), (30, 60, 200)
TO_UTM = Transformer.from_crs("EPSG:4326", "EPSG:32636", always_xy=True)


def write_marked(path: Path, alpha: np.ndarray | None = None) -> Path:
    """Blue with a red MARK-pixel square at the north-west corner (and an alpha band)."""
    data = np.empty((3, PIXELS, PIXELS), np.uint8)
    data[:] = np.array(BLUE, np.uint8)[:, None, None]
    data[:, :MARK, :MARK] = np.array(RED, np.uint8)[:, None, None]
    extra = {} if alpha is None else {"alpha": "YES"}
    if alpha is not None:
        data = np.concatenate([data, alpha[None]])
    with rasterio.open(
        path, "w", driver="GTiff", width=PIXELS, height=PIXELS, count=len(data), dtype="uint8",
        crs="EPSG:4326", transform=from_origin(WEST, NORTH, RES, RES), photometric="RGB", **extra,
    ) as dst:  # fmt: skip
        dst.write(data)
    return path


def lonlat_to_screen(scene: SceneView, grid: RasterGrid, lon: np.ndarray, lat: np.ndarray):  # noqa: ANN201
    """(column, row from the top) of ground points given in degrees, through the camera."""
    x, y = TO_UTM.transform(np.asarray(lon, float), np.asarray(lat, float))
    z = sample_elevation(grid, x, y)
    display = world_to_display(
        scene.renderer, scene.origin, np.column_stack([x, y, z]),
        exaggeration=scene.ground_exaggeration(),
    )  # fmt: skip
    height = scene.renderer.GetSize()[1]
    return display[:, 0], height - display[:, 1]


def image_centre() -> tuple[float, float]:
    lon, lat = WEST + RES * PIXELS / 2, NORTH - RES * PIXELS / 2
    return TO_UTM.transform(lon, lat)


def top_down(scene: SceneView, height: float = 110_000.0) -> None:
    x, y = image_centre()
    scene.apply_view(
        CameraView(position=(x, y, height), focal_point=(x, y, 0.0), view_up=(0, 1, 0))
    )


def with_imagery(grid: RasterGrid, path: Path) -> tuple[Project, ImageryLayer]:
    """The demo terrain, then the image added through the loading path (reprojected)."""
    project = make_project(grid)
    load = load_file(path, project_crs=project.crs)
    apply_load(project, load)
    assert isinstance(load.layer, ImageryLayer)
    return project, load.layer


def pixel(image: np.ndarray, col: float, row: float) -> np.ndarray:
    """Median colour of the 5 x 5 pixels around (col, row)."""
    c, r = int(round(col)), int(round(row))
    return np.median(image[r - 2 : r + 3, c - 2 : c + 3].reshape(-1, 3), axis=0)


def is_red(image: np.ndarray) -> np.ndarray:
    rgb = image.astype(int)
    return (rgb[..., 0] > 200) & (rgb[..., 1] < 60) & (rgb[..., 2] < 60)


def test_the_red_corner_lands_where_the_camera_puts_its_coordinates(
    plotter_factory: Callable, demo_grid: RasterGrid, tmp_path: Path
) -> None:
    project, layer = with_imagery(demo_grid, write_marked(tmp_path / "ortho.tif"))
    scene = SceneView(plotter_factory(SIZE), project)
    top_down(scene)
    scene.settle()
    image = snapshot(scene.plotter, "imagery_marked")
    # the red square's outline, densified, through pyproj, the DEM and the camera
    t = np.linspace(0.0, 1.0, 41)
    side = MARK * RES
    lon = np.concatenate([WEST + side * t, np.full(41, WEST + side), WEST + side * t[::-1],
                          np.full(41, WEST)])  # fmt: skip
    lat = np.concatenate([np.full(41, NORTH), NORTH - side * t, np.full(41, NORTH - side),
                          NORTH - side * t[::-1]])  # fmt: skip
    cols, rows = lonlat_to_screen(scene, demo_grid, lon, lat)
    red = is_red(image)
    found_rows, found_cols = np.nonzero(red)
    assert red.sum() > 1000, "the red corner is on screen"
    assert abs(found_cols.min() - cols.min()) <= 2 and abs(found_cols.max() - cols.max()) <= 2
    assert abs(found_rows.min() - rows.min()) <= 2 and abs(found_rows.max() - rows.max()) <= 2
    area = 0.5 * abs(np.dot(cols, np.roll(rows, 1)) - np.dot(rows, np.roll(cols, 1)))
    assert abs(red.sum() - area) < 0.05 * area, (red.sum(), area)
    centre = lonlat_to_screen(scene, demo_grid, np.array([WEST + side / 2]),
                              np.array([NORTH - side / 2]))  # fmt: skip
    assert np.abs(pixel(image, centre[0][0], centre[1][0]) - RED).max() <= 3
    # the other corners of the image are blue, not red (not mirrored, not rotated)
    for lon_c, lat_c in ((WEST + 0.36, NORTH - 0.04), (WEST + 0.04, NORTH - 0.36),
                         (WEST + 0.36, NORTH - 0.36)):  # fmt: skip
        col, row = lonlat_to_screen(scene, demo_grid, np.array([lon_c]), np.array([lat_c]))
        assert np.abs(pixel(image, col[0], row[0]) - BLUE).max() <= 3
    assert layer.bounds is not None
    scene.close()


def test_opacity_and_brightness_change_the_pixels_as_set(
    plotter_factory: Callable, demo_grid: RasterGrid, tmp_path: Path
) -> None:
    project = make_project(demo_grid)
    scene = SceneView(plotter_factory(SIZE), project)
    top_down(scene)
    scene.settle()
    bare = snapshot(scene.plotter, "imagery_bare")
    _, layer = with_imagery(demo_grid, write_marked(tmp_path / "ortho.tif"))
    load = layer  # the layer read above; put it into this scene's project
    project.layers.append(load)
    scene.settle()
    h, w = bare.shape[:2]
    cx, cy = w / 2, h / 2  # the image's centre: blue
    assert np.abs(pixel(snapshot(scene.plotter), cx, cy) - BLUE).max() <= 3

    layer.opacity = 0.0
    scene.settle()
    hidden = snapshot(scene.plotter, "imagery_opacity0")
    assert np.abs(hidden.astype(int) - bare.astype(int)).max() <= 3, "the terrain's own colours"
    layer.opacity = 0.5
    scene.settle()
    half = pixel(snapshot(scene.plotter), cx, cy)
    assert np.abs(half - (pixel(bare, cx, cy) + BLUE) / 2).max() <= 4

    layer.opacity = 1.0
    layer.brightness = 0.2  # + 0.2 x 255 = 51 on every channel
    scene.settle()
    brighter = pixel(snapshot(scene.plotter, "imagery_brighter"), cx, cy)
    assert np.abs(brighter - np.minimum(np.add(BLUE, 51), 255)).max() <= 3
    layer.brightness, layer.contrast = 0.0, 0.5  # 1.5 x the distance from 127.5
    scene.settle()
    contrast = pixel(snapshot(scene.plotter), cx, cy)
    expected = np.clip((np.array(BLUE) - 127.5) * 1.5 + 127.5, 0, 255)
    assert np.abs(contrast - expected).max() <= 3
    scene.close()


def test_alpha_zero_shows_the_terrain(
    plotter_factory: Callable, demo_grid: RasterGrid, tmp_path: Path
) -> None:
    alpha = np.full((PIXELS, PIXELS), 255, np.uint8)
    alpha[PIXELS // 2 :, PIXELS // 2 :] = 0  # the south-east quarter is see-through
    project = make_project(demo_grid)
    scene = SceneView(plotter_factory(SIZE), project)
    top_down(scene)
    scene.settle()
    bare = snapshot(scene.plotter)
    _, layer = with_imagery(demo_grid, write_marked(tmp_path / "rgba.tif", alpha))
    assert layer.image is not None and layer.image.transparency == "alpha band"
    project.layers.append(layer)
    scene.settle()
    image = snapshot(scene.plotter, "imagery_alpha")
    see_through = lonlat_to_screen(
        scene, demo_grid, np.array([WEST + 0.3]), np.array([NORTH - 0.3])
    )
    opaque = lonlat_to_screen(scene, demo_grid, np.array([WEST + 0.3]), np.array([NORTH - 0.15]))
    col, row = see_through[0][0], see_through[1][0]
    assert np.abs(pixel(image, col, row) - pixel(bare, col, row)).max() <= 3
    assert np.abs(pixel(image, opaque[0][0], opaque[1][0]) - BLUE).max() <= 3
    scene.close()
