"""A COG with relief at several scales, and views and pictures of it (paged terrain tests)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyvista as pv
import rasterio
from PIL import Image
from rasterio.shutil import copy as rio_copy
from rasterio.transform import from_origin

from twinscape.model.bookmarks import CameraView
from twinscape.model.project import Project
from twinscape.render.scene import SceneView

from render_helpers import OUT

N = 2048
SIZE = (640, 400)


def write_cog(folder: Path) -> Path:
    """A 2048 x 2048 COG (10 m cells) with relief at several scales, overviews by GDAL."""
    y = np.arange(N, dtype=np.float32)[:, None]
    x = np.arange(N, dtype=np.float32)[None, :]
    z = 700 + 400 * np.sin(x / 300) * np.cos(y / 380) + 40 * np.sin(x / 29 + y / 37)
    z = (z + 6 * np.sin(x / 4.3) * np.cos(y / 3.7)).astype(np.float32)
    plain = folder / "plain.tif"
    profile = dict(
        driver="GTiff", height=N, width=N, count=1, dtype="float32", crs="EPSG:32637",
        transform=from_origin(500_000, 3_000_000, 10, 10), tiled=True,
    )  # fmt: skip
    with rasterio.open(plain, "w", **profile) as dst:
        dst.write(z, 1)
    out = folder / "dem.tif"
    rio_copy(plain, out, driver="COG", compress="deflate", overview_resampling="average")
    return out


def centre_view(project: Project, dx: float, dy: float, up: float, ahead: float) -> CameraView:
    west, south, east, north = project.layers[0].bounds
    cx, cy = (west + east) / 2 + dx, (south + north) / 2 + dy
    return CameraView(
        position=(cx, cy - ahead, 1200 + up), focal_point=(cx, cy, 700), view_up=(0, 0, 1),
        view_angle=30.0,
    )  # fmt: skip


def settled_image(project: Project, view: CameraView, name: str) -> np.ndarray:
    plotter = pv.Plotter(off_screen=True, window_size=SIZE)
    scene = SceneView(plotter, project)
    scene.apply_view(view)
    scene.settle(1.0)
    plotter.render()
    image = np.asarray(plotter.screenshot(return_img=True))[..., :3].astype(np.int16)
    OUT.mkdir(exist_ok=True)
    Image.fromarray(image.astype(np.uint8)).save(OUT / f"{name}.png")
    scene.close()
    plotter.close()
    return image
