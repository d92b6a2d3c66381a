"""Pictures of the terrain's levels of detail against a full-resolution render of the same view.

The full-detail render (``settle(0)``: every tile at level 0, so neighbours share every
edge sample) is the independent reference: the settled 1 px picture must match it, and
along the tile edges (projected onto the screen from the grid's own samples) no pixel
may show the background where the full-detail render shows terrain (a crack).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import pyvista as pv

from twinscape.model import CameraView, Project, RasterGrid
from twinscape.render.scene import SceneView

from render_helpers import make_project, snapshot

Plotters = Callable[..., pv.Plotter]
MAGENTA = (1.0, 0.0, 1.0)


def low_view(grid: RasterGrid, row: int, col: int, height: float, ahead: float) -> CameraView:
    """``height`` m above the ground at (row, col), looking ``ahead`` m north across it."""
    xc, yc = grid.cell_centers()
    x, y = float(xc[col]), float(yc[row])
    z = float(grid.values[row, col])
    return CameraView(position=(x, y, z + height), focal_point=(x, y + ahead, z), view_up=(0, 0, 1))


def picture(scene: SceneView, plotter: pv.Plotter, tolerance: float, name: str) -> np.ndarray:
    scene.settle(tolerance)
    return snapshot(plotter, name).astype(int)


@pytest.mark.parametrize("where", ["overview", "close_up"])
def test_settled_picture_matches_full_detail(
    plotter_factory: Plotters, demo_grid: RasterGrid, where: str
) -> None:
    plotter = plotter_factory()
    scene = SceneView(plotter, make_project(demo_grid))
    if where == "overview":
        scene.frame()
    else:
        scene.apply_view(low_view(demo_grid, 900, 650, 400.0, 8000.0))
    settled = picture(scene, plotter, 1.0, f"fidelity_{where}_1px")
    full = picture(scene, plotter, 0.0, f"fidelity_{where}_full")
    assert full.std() > 10  # terrain, not an empty sky
    assert np.abs(settled - full).mean() < 1.0  # under 1/255 on average
    scene.close()


def edge_pixels(
    scene: SceneView, grid: RasterGrid, shape: tuple[int, int], along: str
) -> np.ndarray:
    """Mask of the pixels within 1 px of the internal tile edges running ``along`` (ns / ew)."""
    visual = next(iter(scene.visuals.values()))
    step = visual.tiles.tile_size - 1
    xc, yc = grid.cell_centers()
    rows, cols = grid.shape
    if along == "ns":  # edges between west and east neighbours: a column of samples
        rr, cc = np.meshgrid(np.arange(rows), np.arange(step, cols - 1, step), indexing="ij")
    else:
        rr, cc = np.meshgrid(np.arange(step, rows - 1, step), np.arange(cols), indexing="ij")
    rr, cc = rr.ravel(), cc.ravel()
    z = grid.values[rr, cc]
    ok = np.isfinite(z)
    origin = scene.origin
    ren = scene.renderer
    mask = np.zeros(shape, bool)
    h, w = shape
    for r, c, zz in zip(rr[ok], cc[ok], z[ok]):
        ren.SetWorldPoint(xc[c] - origin.x, yc[r] - origin.y, (zz - origin.z) * visual.ve, 1.0)
        ren.WorldToDisplay()
        x, y, depth = ren.GetDisplayPoint()
        px, py = int(round(x)), h - 1 - int(round(y))
        if 0 <= depth <= 1 and 1 <= px < w - 1 and 1 <= py < h - 1:
            mask[py - 1 : py + 2, px - 1 : px + 2] = True
    return mask


def is_background(image: np.ndarray) -> np.ndarray:
    r, g, b = image[..., 0], image[..., 1], image[..., 2]
    return (r > 225) & (g < 40) & (b > 225)


def dilate(mask: np.ndarray, px: int) -> np.ndarray:
    """``mask`` grown by ``px`` pixels (a square), the image border counted as set."""
    padded = np.pad(mask, px, constant_values=True)
    h, w = mask.shape
    out = np.zeros_like(mask)
    for dy in range(2 * px + 1):
        for dx in range(2 * px + 1):
            out |= padded[dy : dy + h, dx : dx + w]
    return out


def neighbours_differ(scene: SceneView) -> bool:
    """Some tiles in view show a different level than their neighbour (east or south)."""
    visual = next(iter(scene.visuals.values()))
    tiles = visual.tiles
    seen = {(t.row, t.col): t.index for t in tiles.tiles}
    shown = ~visual.culled & (visual.levels >= 0)
    for (r, c), i in seen.items():
        for j in (seen.get((r + 1, c)), seen.get((r, c + 1))):
            if j is not None and shown[i] and shown[j] and visual.levels[i] != visual.levels[j]:
                return True
    return False


def with_holes(grid: RasterGrid) -> RasterGrid:
    """``grid`` with round nodata holes across tile edges near the close-up view."""
    values = grid.values.copy()
    r, c = np.ogrid[: values.shape[0], : values.shape[1]]
    for row, col in ((640, 640), (768, 700), (700, 768), (600, 520)):
        values[(r - row) ** 2 + (c - col) ** 2 < 12**2] = np.nan
    return RasterGrid(values=values, transform=grid.transform, crs=grid.crs)


@pytest.mark.parametrize("case", ["opaque", "holes", "translucent", "translucent_holes"])
def test_no_cracks_along_tile_edges(
    plotter_factory: Plotters, demo_grid: RasterGrid, case: str
) -> None:
    grid = with_holes(demo_grid) if case.endswith("holes") else demo_grid
    project: Project = make_project(grid)
    if case.startswith("translucent"):
        project.layers[0].opacity = 0.6  # skirts off
    plotter = plotter_factory()
    scene = SceneView(plotter, project)
    scene.set_background(MAGENTA)
    scene.apply_view(low_view(grid, 900, 640, 600.0, 6000.0))
    lod = picture(scene, plotter, 4.0, f"cracks_{case}_lod")
    assert neighbours_differ(scene), "the view must show neighbours at different levels"
    full = picture(scene, plotter, 0.0, f"cracks_{case}_full")
    # inside the terrain: further than the tolerance (4 px) from any background of the
    # full-detail picture, so coarser silhouettes at the skyline and at holes do not count
    terrain = ~dilate(is_background(full), 5)
    assert terrain.mean() > 0.3
    for along in ("ns", "ew"):
        band = edge_pixels(scene, grid, lod.shape[:2], along) & terrain
        assert band.sum() > 200, f"the {along} edges must be in view"
        cracks = band & is_background(lod)
        assert cracks.sum() == 0, f"{cracks.sum()} background pixels on {along} tile edges"
    scene.close()
