"""A DEM larger than the in-memory limit in a real window: read on demand, refined on screen."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio

import twinscape.io.kinds.terrain as terrain_kind
from twinscape.model import CameraView
from twinscape.model.terrain import PagedTerrainLayer
from twinscape.render.paged_terrain import PagedTerrainVisual
from twinscape.ui.status_bar import elevation_at

from ui_helpers import settle, wait_until

# the COG the render tests of paged terrain use (tests/render/paged_helpers.py)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "render"))
from paged_helpers import write_cog  # noqa: E402

pytestmark = pytest.mark.gui


def test_a_dem_over_the_limit_opens_paged_and_refines_on_screen(
    make_main_window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(terrain_kind, "MAX_TERRAIN_CELLS", 100_000)
    cog = write_cog(tmp_path)
    window = make_main_window(cog)
    layer = window.project.layers[0]
    assert isinstance(layer, PagedTerrainLayer)
    assert layer.grid.values.size <= 4 * 2**20  # an overview in memory, the file read on demand
    visual = window.viewport.scene.visuals[id(layer)]
    assert isinstance(visual, PagedTerrainVisual)

    scene = window.viewport.scene
    west, south, east, north = layer.bounds
    cx, cy = (west + east) / 2, (south + north) / 2
    scene.apply_view(CameraView((cx, cy - 1500, 1200), (cx, cy, 700), (0, 0, 1), 30.0))
    window.viewport.request_render()
    # reads land on worker threads; the viewport renders again as each lands, until the
    # nodes in front of the camera are at full resolution
    wait_until(
        lambda: max(key[0] for key in visual.drawn) == visual.pyramid.depth,
        timeout_s=60, what="full resolution in front of the camera",
    )  # fmt: skip
    wait_until(lambda: not scene.refining(), timeout_s=60, what="the view refined")
    image = settle(window)
    h = image.shape[0]
    assert image[h // 2 :].std() > 8  # terrain with relief on screen

    # the elevation readout is the file's own full-resolution value
    with rasterio.open(cog) as src:
        row, col = 1023, 1023
        x, y = src.xy(row, col)
        truth = float(src.read(1, window=((row, row + 1), (col, col + 1)))[0, 0])
    assert elevation_at(window.project, x, y) == pytest.approx(truth, abs=1e-3)
    assert np.isfinite(truth)
