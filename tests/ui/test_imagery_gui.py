"""Imagery in a real window: added through Add Data, listed in the layer tree, draped on screen."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from pyproj import Transformer
from rasterio.transform import from_origin

from twinscape.geo.sampling import sample_elevation
from twinscape.model import CameraView
from twinscape.model.imagery import ImageryLayer
from twinscape.render.ground_pick import world_to_display
from twinscape.ui.imagery_controls import ImageryControls

from ui_helpers import process_events, settle, wait_for_task, wait_until

pytestmark = pytest.mark.gui

WEST, NORTH, RES, PIXELS, MARK = 35.3, 31.6, 0.001, 400, 80
RED, BLUE = (255, 0, 0), (30, 60, 200)
TO_UTM = Transformer.from_crs("EPSG:4326", "EPSG:32636", always_xy=True)
OUT = Path(__file__).resolve().parent / "out"


def write_marked(path: Path) -> Path:
    """An RGB GeoTIFF in EPSG:4326 over the demo DEM: blue, a red square at the NW corner."""
    data = np.empty((3, PIXELS, PIXELS), np.uint8)
    data[:] = np.array(BLUE, np.uint8)[:, None, None]
    data[:, :MARK, :MARK] = np.array(RED, np.uint8)[:, None, None]
    with rasterio.open(
        path, "w", driver="GTiff", width=PIXELS, height=PIXELS, count=3, dtype="uint8",
        crs="EPSG:4326", transform=from_origin(WEST, NORTH, RES, RES), photometric="RGB",
    ) as dst:  # fmt: skip
        dst.write(data)
    return path


def screen_point(window, lon: float, lat: float) -> tuple[int, int]:  # noqa: ANN001
    """(column, row from the top) of a ground point in degrees, through the window's camera."""
    scene = window.viewport.scene
    x, y = TO_UTM.transform(lon, lat)
    z = sample_elevation(window.project.layers[0].grid, x, y)
    (col, row_up), = world_to_display(
        scene.renderer, scene.origin, np.array([[x, y, z]]),
        exaggeration=scene.ground_exaggeration(),
    )  # fmt: skip
    return int(round(col)), int(round(window.viewport.display_size()[1] - row_up))


def colour_at(image: np.ndarray, point: tuple[int, int]) -> np.ndarray:
    col, row = point
    return np.median(image[row - 2 : row + 3, col - 2 : col + 3].reshape(-1, 3), axis=0)


def test_an_orthophoto_added_is_listed_styled_and_draped(
    main_window, tmp_path: Path, critical_messages: list
) -> None:
    window = main_window
    project = window.project
    before = list(project.layers)
    path = write_marked(tmp_path / "ortho.tif")
    task = window.files.add_paths([path])
    assert wait_for_task(task) == "finished", task.error
    assert not critical_messages
    layer = project.layers[-1]
    assert isinstance(layer, ImageryLayer) and layer.loaded
    assert list(project.layers[:-1]) == before
    item = window.layer_dock.item_for(layer)
    assert item is not None and item.text(0) == "ortho"
    assert "(Imagery)" in item.toolTip(0) and "EPSG:4326" in item.toolTip(0)
    assert not item.icon(0).isNull()

    x, y = TO_UTM.transform(WEST + RES * PIXELS / 2, NORTH - RES * PIXELS / 2)
    window.viewport.scene.apply_view(
        CameraView(position=(x, y, 110_000.0), focal_point=(x, y, 0.0), view_up=(0, 1, 0))
    )
    red_at = screen_point(window, WEST + MARK * RES / 2, NORTH - MARK * RES / 2)
    blue_at = screen_point(window, WEST + 0.3, NORTH - 0.3)

    def draped() -> bool:
        image = settle(window)
        return np.abs(colour_at(image, red_at) - RED).max() <= 3

    wait_until(draped, 60, "the red corner on screen")
    image = settle(window)
    assert np.abs(colour_at(image, blue_at) - BLUE).max() <= 3

    # the styling panel: brightness written to the layer and seen on screen
    window.layer_dock.select_layer(layer)
    process_events(0.05)
    OUT.mkdir(exist_ok=True)
    window.grab().save(str(OUT / "imagery_window.png"))
    controls = window.styling_dock.controls
    assert isinstance(controls, ImageryControls)
    controls.brightness.slider.setValue(20)
    assert layer.brightness == pytest.approx(0.2)
    brighter = np.minimum(np.add(BLUE, 51), 255)
    wait_until(
        lambda: np.abs(colour_at(settle(window), blue_at) - brighter).max() <= 3, 60, "brighter"
    )
    controls.opacity.slider.setValue(0)
    assert layer.opacity == 0.0
    wait_until(lambda: not is_red(colour_at(settle(window), red_at)), 60, "the terrain again")
    assert window.is_dirty


def is_red(colour: np.ndarray) -> bool:
    return bool(colour[0] > 200 and colour[1] < 60 and colour[2] < 60)


def test_a_truncated_image_shows_one_line_and_changes_nothing(
    main_window, tmp_path: Path, critical_messages: list
) -> None:
    window = main_window
    layers = list(window.project.layers)
    good = write_marked(tmp_path / "ortho.tif")
    broken = tmp_path / "broken.tif"
    broken.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    task = window.files.add_paths([broken])
    assert wait_for_task(task) == "failed"
    [(title, text)] = critical_messages
    assert str(broken) in text and "\n" not in text and "truncated" in text
    assert list(window.project.layers) == layers
    assert not window.is_dirty
