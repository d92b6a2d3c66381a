"""Report-ready screenshots: overlays, transparent sky, provenance chunks, 8K, full detail.

Pictures go to ``tests/render/out`` so a person can look at them.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
import pyvista as pv
from PIL import Image

from twinscape.io.loading import DEMO_SCENE, open_project
from twinscape.io.png_provenance import read_provenance
from twinscape.model import Project, RasterGrid
from twinscape.model.bookmarks import CameraView
from twinscape.render import offscreen_window
from twinscape.render.offscreen import render_to_png, render_with_view, view_from_points
from twinscape.render.overlay_drawing import draw_overlays
from twinscape.render.overlays import (
    OverlayOptions,
    metres_per_pixel,
    nice_length,
    north_angle,
    overlay_info,
)
from twinscape.render.scene import SceneView

from render_helpers import OUT, make_project

Image.MAX_IMAGE_PIXELS = None  # 8K pictures are ours


@pytest.fixture
def demo() -> Project:
    """The demo scene, every layer loaded (terrain, buildings, sensors, surface)."""
    project, _ = open_project(DEMO_SCENE)
    return project


def _save(image: np.ndarray, name: str) -> None:
    OUT.mkdir(exist_ok=True)
    Image.fromarray(image).save(OUT / f"{name}.png")


def test_overlay_geometry_from_the_camera() -> None:
    down = CameraView(position=(0, 0, 1000), focal_point=(0, 0, 0), view_up=(0, 1, 0),
                      view_angle=30.0)  # fmt: skip
    assert metres_per_pixel(down, 1000) == pytest.approx(2 * 1000 * np.tan(np.radians(15)) / 1000)
    assert north_angle(down) == pytest.approx(0.0)
    east_up = CameraView(position=(0, 0, 1000), focal_point=(0, 0, 0), view_up=(1, 0, 0),
                         view_angle=30.0)  # fmt: skip
    assert north_angle(east_up) == pytest.approx(-90.0)  # north is to the left
    looking_east = CameraView(position=(-1000, 0, 500), focal_point=(0, 0, 0),
                              view_up=(0, 0, 1), view_angle=30.0)  # fmt: skip
    assert north_angle(looking_east) == pytest.approx(-90.0)
    assert [nice_length(m) for m in (0.7, 9.9, 480, 1999, 7200)] == [0.5, 5, 200, 1000, 5000]


def test_overlays_are_drawn_on_the_finished_picture(demo: Project, tmp_path: Path) -> None:
    image, view = render_with_view(demo, size=(960, 540))
    options = OverlayOptions(title="Dead Sea rift: new town")
    info = overlay_info(demo, view, (960, 540), options)
    assert [g.title for g in info.legends][-1] == "Dead Sea SRTM 90 m"  # top layer first
    terrain = info.legends[-1]
    assert terrain.unit == "m" and terrain.ramp[0][0] < -400 < 1000 < terrain.ramp[-1][0]
    assert "Terrain: SRTM, courtesy of the U.S. Geological Survey" in info.attribution
    terrain_layer = next(la for la in demo.layers if la.kind == "terrain")
    credit, terrain_layer.attribution = terrain_layer.attribution, ""  # none: the file's name
    try:
        bare = overlay_info(demo, view, (960, 540), options)
        assert any("Terrain: deadsea_n31e035" in line for line in bare.attribution)
    finally:
        terrain_layer.attribution = credit
    drawn = draw_overlays(image, info, options)
    _save(drawn, "screenshot_overlays")
    assert drawn.shape == image.shape and not np.array_equal(drawn, image)
    changed = np.abs(drawn.astype(int) - image.astype(int)).max(axis=2) > 8
    h, w = changed.shape
    assert changed[int(h * 0.88) :, : int(w * 0.2)].mean() > 0.2, "no scale bar bottom left"
    assert changed[: int(h * 0.14), int(w * 0.9) :].mean() > 0.2, "no north arrow top right"
    assert changed[: int(h * 0.1), : int(w * 0.15)].mean() > 0.2, "no title top left"
    assert changed[int(h * 0.9) :, int(w * 0.8) :].mean() > 0.2, "no attribution bottom right"
    legend = drawn[int(h * 0.2) : int(h * 0.5), int(w * 0.85) : int(w * 0.97)].astype(int)
    assert (legend.min(axis=2) > 200).mean() > 0.4, "no white legend panel on the right"
    plain = draw_overlays(image, info, OverlayOptions(show=frozenset()))
    assert np.array_equal(plain, image)
    out = render_to_png(demo, tmp_path / "o.png", size=(960, 540), overlays=options)
    with Image.open(out) as png:
        shown = np.asarray(png.convert("RGB"))
    assert np.abs(shown.astype(int) - drawn.astype(int)).mean() < 2.0
    with pytest.raises(ValueError, match="unknown overlay"):
        OverlayOptions(show=frozenset({"compass"}))


def test_transparent_background_also_in_tiles(
    demo: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    image, _ = render_with_view(demo, size=(640, 360), transparent=True)
    assert image.shape == (360, 640, 4)
    alpha = image[..., 3]
    assert (alpha[:8] == 0).all(), "the sky is not transparent"
    assert (alpha[-60:] == 255).all(), "the terrain is not opaque"
    monkeypatch.setattr(offscreen_window, "TILE", 256)  # 3 x 2 tiles
    tiled, _ = render_with_view(demo, size=(640, 360), transparent=True)
    assert (tiled[:8, :, 3] == 0).all() and (tiled[-60:, :, 3] == 255).all()
    opaque = alpha == 255
    assert np.abs(tiled[opaque][:, :3].astype(int) - image[opaque][:, :3]).mean() < 3.0
    out = render_to_png(demo, tmp_path / "clear.png", size=(640, 360), transparent=True,
                        overlays=OverlayOptions())  # fmt: skip
    with Image.open(out) as png:
        assert png.mode == "RGBA"
        rgba = np.asarray(png)
    _save(rgba, "screenshot_transparent")
    assert rgba[6, 320, 3] == 0 and rgba[-100, 320, 3] == 255
    assert rgba[30, 40, 3] > 150, "the title panel is not drawn over the clear sky"


def test_provenance_chunks_read_back(demo: Project, tmp_path: Path) -> None:
    view = view_from_points((744000, 3521000, 1500), (747250, 3527500, -270))
    assert view.focal_point[2] == pytest.approx(-270.0)  # real heights, not exaggerated (2)
    out = render_to_png(demo, tmp_path / "p.png", size=(480, 270), view=view)
    with Image.open(out) as png:  # an independent reader: Pillow's own chunks
        text = dict(png.text)
    assert text["Software"] == "Twinscape 0.1.0"
    assert text["twinscape:project"] == str(DEMO_SCENE.resolve())
    assert text["twinscape:crs"] == "EPSG:32636"
    assert text["twinscape:time"] == "2025-04-17T11:00:00Z"
    camera = json.loads(text["twinscape:camera"])
    assert camera["position"] == pytest.approx(view.position)
    assert camera["focal_point"] == pytest.approx(view.focal_point)
    assert camera["z"] == "metres"
    found = read_provenance(out)
    assert found is not None and found.same_project(demo)
    assert found.time == demo.clock.current and found.version == "0.1.0"
    assert np.allclose(found.camera.position, view.position)
    assert np.allclose(found.camera.focal_point, view.focal_point)
    assert found.camera.view_angle == pytest.approx(view.view_angle)
    plain = tmp_path / "plain.png"
    Image.new("RGB", (4, 4)).save(plain)
    assert read_provenance(plain) is None and read_provenance(tmp_path / "none.png") is None


def test_an_8k_picture_has_the_framing_of_a_1080p_one(demo: Project) -> None:
    started = time.monotonic()
    big, _ = render_with_view(demo, size=(7680, 4320))
    took = time.monotonic() - started
    small, _ = render_with_view(demo, size=(1920, 1080))
    down = np.asarray(Image.fromarray(big).resize((1920, 1080), Image.Resampling.BOX))
    _save(down, "screenshot_8k_downscaled")
    diff = np.abs(down.astype(int) - small.astype(int)).mean()
    assert diff < 4.0, f"8K downscaled differs from 1080p by {diff:.2f} on average"
    print(f"8K render {took:.1f} s, mean abs difference to 1080p {diff:.2f}")


def _settled_picture(project: Project, size: tuple[int, int]) -> np.ndarray:
    """The picture after an explicit settle, rendered twice (nothing left to load)."""
    plotter = pv.Plotter(off_screen=True, window_size=list(size), lighting="none")
    scene = SceneView(plotter, project)
    try:
        scene.apply_view(project.view) if project.view is not None else scene.frame()
        for _ in range(2):
            scene.settle()
            plotter.render()
        return np.asarray(plotter.screenshot(return_img=True))[..., :3].copy()
    finally:
        scene.close()
        plotter.close()


@pytest.mark.parametrize("which", ["demo", "big"])
def test_a_picture_right_after_opening_misses_no_tiles(
    which: str, big_grid: RasterGrid, tmp_path: Path
) -> None:
    if which == "demo":
        project, _ = open_project(DEMO_SCENE)
    else:
        project = make_project(big_grid)
    out = render_to_png(project, tmp_path / "first.png", size=(960, 540))  # no settle asked
    with Image.open(out) as png:
        first = np.asarray(png.convert("RGB"))
    settled = _settled_picture(project, (960, 540))
    _save(first, f"screenshot_first_{which}")
    differs = (np.abs(first.astype(int) - settled.astype(int)).max(axis=2) > 40).mean()
    assert differs < 0.002, f"{differs:.2%} of the pixels differ from the settled picture"
