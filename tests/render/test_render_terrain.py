"""The demo DEM rendered off-screen: checked by content (colours, background, holes) not pixels."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import pyvista as pv
from vtkmodules.util.numpy_support import vtk_to_numpy

from twinscape.model import Project, RasterGrid
from twinscape.render.scene import BACKGROUND, SceneView

from render_helpers import make_project, snapshot

Plotters = Callable[..., pv.Plotter]


def render(plotters: Plotters, project: Project, name: str | None = None) -> tuple:
    plotter = plotters()
    scene = SceneView(plotter, project)
    scene.frame()
    scene.settle()
    return snapshot(plotter, name), scene, plotter


def background_at(image: np.ndarray, row: int) -> np.ndarray:
    """Expected gradient colour of ``row`` (0 = top)."""
    bottom, top = (np.array(c) * 255 for c in BACKGROUND)
    t = 1 - row / (image.shape[0] - 1)
    return bottom + (top - bottom) * t


def is_background(image: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    expect = np.stack([background_at(image, r) for r in rows])
    return np.abs(image[rows, cols].astype(float) - expect).max(axis=1) <= 4


def desert_like(pixels: np.ndarray) -> np.ndarray:
    """Sand, ochre, brown or rock grey: red >= green >= blue with some warmth, or neutral."""
    r, g, b = (pixels[..., k].astype(int) for k in range(3))
    warm = (r >= g - 2) & (g >= b - 2) & (r - b >= 12)
    grey = (np.abs(r - g) < 12) & (np.abs(g - b) < 12)
    return warm | grey


@pytest.fixture
def demo_image(plotter_factory: Plotters, demo_project: Project) -> tuple:
    return render(plotter_factory, demo_project, "demo_default_view")


def test_demo_looks_like_a_desert(demo_image: tuple) -> None:
    image, scene, _ = demo_image
    h, w = image.shape[:2]
    assert not is_background(image, np.array([h // 2]), np.array([w // 2]))[0]
    rows, cols = np.mgrid[h // 3 : 3 * h // 4, w // 5 : 4 * w // 5]
    block = image[rows, cols]
    terrain = ~is_background(image, rows.ravel(), cols.ravel()).reshape(rows.shape)
    assert terrain.mean() > 0.95  # the framed DEM fills the middle of the picture
    r, g, b = (block[..., k].astype(int) for k in range(3))
    land = terrain & ~((b > r + 20) & (b > g - 10))  # not the lake (blue: sea ramp)
    assert desert_like(block[land]).mean() > 0.9
    green = (g > r + 8) & (g > b + 8)
    assert green[terrain].mean() < 0.01
    west_bank = image[h // 2 - 20 : h // 2 + 20, w // 4 - 20 : w // 4 + 20].reshape(-1, 3)
    assert desert_like(west_bank).mean() > 0.95
    # hillshade: real contrast within the land, not a flat fill
    lum = block[land].astype(float) @ [0.299, 0.587, 0.114]
    assert np.percentile(lum, 95) - np.percentile(lum, 5) > 30


def test_sky_shows_above_the_terrain(demo_image: tuple) -> None:
    image, _, _ = demo_image
    h, w = image.shape[:2]
    for r, c in [(0, 0), (0, w - 1), (2, w // 2), (h // 40, 5)]:
        assert is_background(image, np.array([r]), np.array([c]))[0], (r, c, image[r, c])


def test_nodata_corners_are_holes_not_spikes(demo_image: tuple, demo_grid: RasterGrid) -> None:
    image, scene, plotter = demo_image
    values = demo_grid.values
    nrows, ncols = values.shape
    nan_rows, nan_cols = np.nonzero(np.isnan(values))
    # the north-east and south-west wedges (up to 30 cells wide): nothing lies behind them
    corner = ((nan_rows < nrows * 0.3) & (nan_cols > ncols * 0.9)) | (
        (nan_rows > nrows * 0.8) & (nan_cols < ncols * 0.1)
    )
    xc, yc = demo_grid.cell_centers()
    ren = plotter.renderer
    h = image.shape[0]
    hits = []
    for r, c in list(zip(nan_rows[corner], nan_cols[corner]))[::5]:
        near = values[max(r - 8, 0) : r + 9, max(c - 8, 0) : c + 9]
        if np.isfinite(near).any():
            continue  # stay a few pixels away from the rim
        z = float(np.nanmean(values[max(r - 40, 0) : r + 41, max(c - 40, 0) : c + 41]))
        ren.SetWorldPoint(*scene.origin.point_to_render((xc[c], yc[r], z)), 1.0)
        ren.WorldToDisplay()
        x, y, _ = ren.GetDisplayPoint()
        hits.append((int(h - 1 - round(y)), int(round(x))))
    assert len(hits) > 20
    rows, cols = np.array(hits).T
    assert is_background(image, rows, cols).mean() > 0.95
    # every point handed to VTK is finite and within the data's height range
    lo, hi = np.nanmin(values), np.nanmax(values)
    visual = next(iter(scene.visuals.values()))
    for actor in visual.actors:
        if actor.GetVisibility():
            pts = vtk_to_numpy(actor.GetMapper().GetInput().GetPoints().GetData())
            assert np.isfinite(pts).all()
            z = pts[:, 2] + scene.origin.z
            assert z.max() <= hi + 1e-3
            assert z.min() >= lo - 2 * (hi - lo)  # skirts hang below, never spikes


def test_hidden_layer_leaves_only_the_background(
    plotter_factory: Plotters, demo_project: Project
) -> None:
    empty, _, _ = render(plotter_factory, make_project(None))
    demo_project.layers[0].visible = False
    hidden, _, _ = render(plotter_factory, demo_project, "demo_hidden")
    assert np.abs(hidden.astype(int) - empty.astype(int)).max() <= 2


def test_style_changes_reach_the_picture(plotter_factory: Plotters, demo_project: Project) -> None:
    plotter = plotter_factory()
    scene = SceneView(plotter, demo_project)
    scene.frame()
    layer = demo_project.layers[0]
    base = snapshot(plotter)
    h, w = base.shape[:2]
    mid = (slice(h // 3, 2 * h // 3), slice(w // 6, w // 3))  # west bank: land

    layer.opacity = 0.5
    half = snapshot(plotter, "demo_opacity_half")
    diff = np.abs(half[mid].astype(int) - base[mid].astype(int)).mean()
    assert diff > 8  # the sky shows through
    layer.opacity = 1.0

    layer.style.colormap = "gray"
    gray = snapshot(plotter, "demo_gray")
    r, g, b = (gray[mid][..., k].astype(int) for k in range(3))
    assert (np.abs(r - g) < 6).mean() > 0.95 and (np.abs(g - b) < 6).mean() > 0.95
    layer.style.colormap = "desert"
    back = snapshot(plotter)
    assert np.abs(back.astype(int) - base.astype(int)).max() <= 2  # recolour is reversible

    layer.style.vertical_exaggeration = 6.0
    tall = snapshot(plotter, "demo_exaggerated")
    assert np.abs(tall.astype(int) - base.astype(int)).mean() > 5
    assert all(a.GetScale()[2] == 6.0 for a in scene.visuals[id(layer)].actors)

    layer.style.hillshade = False
    flat = snapshot(plotter)
    assert np.abs(flat.astype(int) - tall.astype(int)).mean() > 3
    scene.close()
