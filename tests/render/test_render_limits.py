"""Picture sizes at the edges: refused when too large, tiled when larger than one tile,
and never a black or blank picture written as if it were right (issue 10)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import pyvista as pv

from twinscape.model import Project
from twinscape.render import offscreen_window
from twinscape.render.offscreen import render_to_array, render_to_png
from twinscape.render.offscreen_window import (
    MAX_PIXELS,
    RenderError,
    check_not_blank,
    check_render_size,
    multi_samples,
)
from twinscape.render.scene import BACKGROUND


def test_a_picture_beyond_the_memory_budget_is_refused_at_once(demo_project: Project) -> None:
    started = time.monotonic()
    with pytest.raises(RenderError, match=r"16384x16384 .* at most 8192x8192"):
        render_to_array(demo_project, size=(16384, 16384))
    assert time.monotonic() - started < 2.0, "refused only after rendering"
    check_render_size((8192, 8192))
    check_render_size((16384, MAX_PIXELS // 16384))  # as many pixels, another shape
    with pytest.raises(RenderError, match="empty"):
        check_render_size((0, 100))


def test_the_driver_limits_are_asked_and_large_pictures_use_fewer_samples() -> None:
    width, height = offscreen_window.gl_max_size()
    assert width >= 2048 and height >= 2048
    tile_w, tile_h = offscreen_window.tile_size()
    assert tile_w <= min(width, offscreen_window.TILE)
    assert tile_h <= min(height, offscreen_window.TILE)
    assert multi_samples((1920, 1080)) == 8
    assert multi_samples((8192, 8192)) == 0
    assert 0 < multi_samples((4096, 4096)) < 8


def test_a_tiled_picture_is_the_same_as_one_rendered_whole(
    demo_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = render_to_array(demo_project, size=(900, 600))
    monkeypatch.setattr(offscreen_window, "TILE", 256)  # 4 x 3 tiles of unequal sizes
    tiled = render_to_array(demo_project, size=(900, 600))
    assert tiled.shape == whole.shape == (600, 900, 3)
    diff = np.abs(tiled.astype(int) - whole.astype(int)).max(axis=2)
    assert diff.mean() < 2.0, "the tiles do not line up with the whole picture"
    assert (diff > 40).mean() < 0.002
    # the sky's gradient runs over the whole picture, not once per tile row
    left = tiled[:, :4].astype(int).mean(axis=(1, 2))
    assert np.abs(left[:150] - whole[:150, :4].astype(int).mean(axis=(1, 2))).max() < 3


def test_a_wide_picture_beyond_one_tile_has_terrain_and_sky(demo_project: Project) -> None:
    width, height = offscreen_window.TILE + 904, 400  # two tiles across
    image = render_to_array(demo_project, size=(width, height))
    assert image.shape == (height, width, 3)
    sky = np.round(np.array(BACKGROUND[1]) * 255)
    top = image[:5].reshape(-1, 3).astype(float).mean(0)
    assert np.abs(top - sky).max() < 30, "the top rows should be sky"
    centre = image[height // 2 - 20 : height // 2 + 20, width // 2 - 200 : width // 2 + 200]
    assert np.abs(centre.reshape(-1, 3).astype(float).mean(0) - sky).max() > 40, "no terrain"
    assert np.std(image[:, : width // 2].astype(float)) > 5
    assert np.std(image[:, width // 2 :].astype(float)) > 5


def test_black_or_bare_pictures_are_refused() -> None:
    with pytest.raises(RenderError, match="black"):
        check_not_blank(np.zeros((64, 64, 3), np.uint8))
    bare = np.empty((64, 64, 3), np.uint8)
    bare[:] = np.round(np.array(BACKGROUND[0]) * 255).astype(np.uint8)
    with pytest.raises(RenderError, match="blank"):
        check_not_blank(bare)
    sand = np.full((64, 64, 3), (200, 170, 120), np.uint8)  # terrain that fills the view
    check_not_blank(sand)
    check_not_blank(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8))


def test_a_driver_that_draws_nothing_writes_no_png(
    demo_project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def black(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        width, height = self.window_size
        return np.zeros((height, width, 3), np.uint8)

    monkeypatch.setattr(pv.Plotter, "screenshot", black)
    out = tmp_path / "black.png"
    with pytest.raises(RenderError, match="came out blank"):
        render_to_png(demo_project, out, size=(320, 200))
    assert not out.exists()


def test_a_failed_write_leaves_no_partial_picture(
    demo_project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from PIL import Image

    def full_disk(self, fp, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        fp.write(b"\x89PNG partial")
        raise OSError(28, "No space left on device")

    out = tmp_path / "shot.png"
    out.write_bytes(b"the previous picture")
    monkeypatch.setattr(Image.Image, "save", full_disk)
    with pytest.raises(RenderError, match="No space left on device.*free some space"):
        render_to_png(demo_project, out, size=(320, 200))
    assert out.read_bytes() == b"the previous picture"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shot.png"]


def test_vtk_output_is_kept_off_stderr() -> None:
    from vtkmodules.vtkCommonCore import vtkOutputWindow, vtkStringOutputWindow

    offscreen_window.silence_vtk_output()
    assert isinstance(vtkOutputWindow.GetInstance(), vtkStringOutputWindow)
