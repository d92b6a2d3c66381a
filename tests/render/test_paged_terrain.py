"""A DEM read on demand (render/paged_terrain.py) drawn through the app path, checked by pixels.

The settled picture is compared with the in-memory terrain of the same file (the
full-detail truth); memory is counted in the node cache while the camera flies; a
region entering the view is drawn coarse at once (never missing) and refined later.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import pyvista as pv
from paged_helpers import SIZE, centre_view, settled_image, write_cog

import twinscape.io.kinds.terrain as terrain_kind
from twinscape.io.loading import open_data_files
from twinscape.model.bookmarks import CameraView
from twinscape.model.project import Project
from twinscape.model.terrain import PagedTerrainLayer
from twinscape.render.paged_terrain import PagedTerrainVisual
from twinscape.render.scene import SceneView


@pytest.fixture(scope="module")
def cog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2048 x 2048 COG with relief at several scales (see paged_helpers.write_cog)."""
    return write_cog(tmp_path_factory.mktemp("paged"))


def open_project(path: Path, monkeypatch: pytest.MonkeyPatch, *, paged: bool) -> Project:
    monkeypatch.setattr(terrain_kind, "MAX_TERRAIN_CELLS", 100_000 if paged else 10**9)
    project, _ = open_data_files([path])
    assert isinstance(project.layers[0], PagedTerrainLayer) == paged
    return project


@pytest.mark.parametrize(
    ("name", "dx", "up", "ahead"),
    [("closeup", 0.0, 0.0, 1500.0), ("low_far", -3000.0, -300.0, 2500.0)],
)
def test_settled_picture_matches_full_detail(
    cog: Path, monkeypatch: pytest.MonkeyPatch, name: str, dx: float, up: float, ahead: float
) -> None:
    paged = open_project(cog, monkeypatch, paged=True)
    view = centre_view(paged, dx, 0.0, up, ahead)
    got = settled_image(paged, view, f"paged_{name}")
    truth = settled_image(open_project(cog, monkeypatch, paged=False), view, f"paged_{name}_truth")
    sky = (truth[..., 2] > truth[..., 0] + 40).mean()
    assert sky < 0.6, "the view should be mostly terrain"
    assert np.abs(got - truth).mean() < 1.0  # under 1/255 on average


def frame(plotter: pv.Plotter) -> np.ndarray:
    """Render a frame and grab it (the first screenshot shows the plotter, then it renders)."""
    plotter.render()
    return np.asarray(plotter.screenshot(return_img=True))[..., :3]


def fly(visual: PagedTerrainVisual, plotter: pv.Plotter, scene: SceneView, steps: int) -> list:
    """Fly across the DEM low over the ground; the node bytes after every frame."""
    used = []
    west, south, east, north = visual.layer.bounds
    for t in np.linspace(0.05, 0.95, steps):
        x = west + t * (east - west)
        y = south + (0.2 + 0.6 * t) * (north - south)
        scene.apply_view(CameraView((x, y - 800, 1300), (x, y + 1500, 700), (0, 0, 1), 30.0))
        frame(plotter)
        assert visual.store is not None
        used.append(visual.store.nbytes)
    return used


def test_node_memory_stays_under_its_bound_while_flying(
    cog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = open_project(cog, monkeypatch, paged=True)
    layer = project.layers[0]
    plotter = pv.Plotter(off_screen=True, window_size=SIZE)
    scene = SceneView(plotter, project)
    bound = 16 * 2**20
    scene.visuals[id(layer)].close()
    visual = PagedTerrainVisual(layer, scene.renderer, scene.origin, cache_bytes=bound)
    scene.visuals[id(layer)] = visual
    used = fly(visual, plotter, scene, 16)
    assert visual.store is not None
    assert max(used) <= bound
    assert visual.store.reads > len(list(visual.store.nodes()))  # nodes were dropped
    image = frame(plotter)
    assert image[SIZE[1] // 2 :].std() > 5  # terrain, not an empty frame
    scene.close()
    plotter.close()


def test_region_entering_view_is_coarse_at_once_then_refined(
    cog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = open_project(cog, monkeypatch, paged=True)
    layer = project.layers[0]
    plotter = pv.Plotter(off_screen=True, window_size=SIZE)
    landed: list[int] = []
    scene = SceneView(plotter, project, on_update=lambda: landed.append(1))
    visual = scene.visuals[id(layer)]
    assert isinstance(visual, PagedTerrainVisual)
    scene.apply_view(centre_view(project, 4000.0, 4000.0, 0.0, 1500.0))
    image = frame(plotter)  # renders ask for nodes in the background
    first = visual.drawn
    ground = image[SIZE[1] // 2 :]
    assert (np.abs(ground.astype(int) - ground.mean(axis=(0, 1))).sum(axis=2) > 0).mean() > 0.5
    assert visual.refining()
    for _ in range(200):
        if not visual.refining():
            break
        time.sleep(0.05)  # the pool reads
        frame(plotter)
    assert not visual.refining() and landed
    deepest_first = max(key[0] for key in first)
    deepest = max(key[0] for key in visual.drawn)
    assert deepest > deepest_first
    scene.close()
    plotter.close()


def test_a_moving_frame_holds_its_triangle_budget(
    cog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = open_project(cog, monkeypatch, paged=True)
    layer = project.layers[0]
    plotter = pv.Plotter(off_screen=True, window_size=SIZE)
    scene = SceneView(plotter, project, on_update=lambda: None)
    visual = scene.visuals[id(layer)]
    scene.apply_view(centre_view(project, 0.0, 0.0, 0.0, 1500.0))
    scene.settle(1.0)
    frame(plotter)
    full = visual.triangles
    scene.budget.fixed = full // 6
    scene.interacting = True
    for k in range(6):  # fly on; reads land between frames
        scene.apply_view(centre_view(project, 0.0, 60.0 * k, 0.0, 1500.0))
        frame(plotter)
        time.sleep(0.1)
        frame(plotter)
        cells = visual._samples - 1
        drawn = sum(2 * (cells >> lv) ** 2 for lv, _, _ in visual._shown.values())
        assert drawn <= scene.budget.fixed < full
    assert frame(plotter)[SIZE[1] // 2 :].std() > 5  # terrain, not an empty frame
    scene.close()
    plotter.close()


def test_reads_go_on_between_frames_and_several_levels_down(
    cog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One frame at a close view asks for the levels it will need, not only the next one,
    and the pool reads them all without waiting for more frames."""
    project = open_project(cog, monkeypatch, paged=True)
    layer = project.layers[0]
    plotter = pv.Plotter(off_screen=True, window_size=SIZE)
    scene = SceneView(plotter, project, on_update=lambda: None)
    visual = scene.visuals[id(layer)]
    assert isinstance(visual, PagedTerrainVisual) and visual.store is not None
    scene.apply_view(centre_view(project, 0.0, 0.0, -300.0, 1200.0))
    frame(plotter)
    assert visual.drawn == [(0, 0, 0)]  # only the root was in memory for this frame
    store = visual.store
    deadline = time.monotonic() + 60.0
    while store.pending and time.monotonic() < deadline:
        time.sleep(0.05)
        store.adopt()  # take in what landed; no frame asks for more
    assert not store.pending
    depths = sorted(node.key[0] for node in store.nodes())
    assert max(depths) >= 2, depths  # grandchildren of the root, asked for by one frame
    assert len(depths) - 1 > 2 * 4  # more than the reads in flight at a time (4 workers max)
    for _ in range(40):  # and the frames that follow draw them, down to the leaves
        frame(plotter)
        if not visual.refining():
            break
        time.sleep(0.05)
    assert not visual.refining()
    assert max(key[0] for key in visual.drawn) == visual.pyramid.depth
    scene.close()
    plotter.close()
