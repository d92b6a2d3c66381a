"""Helpers of the off-screen render tests (imported by conftest.py and the tests)."""

from __future__ import annotations

import os

os.environ.setdefault("PYVISTA_OFF_SCREEN", "true")

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pyvista as pv  # noqa: E402
import rasterio  # noqa: E402

from twinscape.model import Project, RasterGrid, TerrainLayer, TerrainStyle  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
DEMO_DEM = REPO / "assets" / "dem" / "deadsea_n31e035_srtm3_utm36n_90m.tif"
OUT = Path(__file__).resolve().parent / "out"
SIZE = (960, 540)

pv.OFF_SCREEN = True


def read_grid(path: Path) -> RasterGrid:
    """A RasterGrid straight from a GeoTIFF already in a projected CRS (nodata -> NaN)."""
    with rasterio.open(path) as ds:
        values = ds.read(1).astype(np.float32)
        if ds.nodata is not None:
            values[values == np.float32(ds.nodata)] = np.nan
        return RasterGrid(values=values, transform=tuple(ds.transform)[:6], crs=str(ds.crs))


def upsample(grid: RasterGrid, n: int) -> RasterGrid:
    """Bilinear resampling of ``grid`` to ``n x n`` samples over the same extent (NaN spreads)."""
    a = grid.values
    rows, cols = a.shape
    r, c = np.linspace(0, rows - 1, n), np.linspace(0, cols - 1, n)
    r0, c0 = np.minimum(r.astype(int), rows - 2), np.minimum(c.astype(int), cols - 2)
    fr, fc = (r - r0).astype(np.float32)[:, None], (c - c0).astype(np.float32)[None, :]
    out = np.empty((n, n), np.float32)
    for i in range(0, n, 512):
        s = slice(i, i + 512)
        rr, f = r0[s][:, None], fr[s]
        out[s] = (
            a[rr, c0] * (1 - f) * (1 - fc)
            + a[rr, c0 + 1] * (1 - f) * fc
            + a[rr + 1, c0] * f * (1 - fc)
            + a[rr + 1, c0 + 1] * f * fc
        )
    t = list(grid.transform)
    t[0], t[4] = t[0] * cols / n, t[4] * rows / n
    return RasterGrid(values=out, transform=tuple(t), crs=grid.crs)


def make_project(grid: RasterGrid | None, **style: object) -> Project:
    """A project with one terrain layer over ``grid`` and the origin at its centre."""
    project = Project(name="render test", crs=None if grid is None else grid.crs)
    if grid is not None:
        project.adopt_origin(grid.bounds)
        layer = TerrainLayer(
            name="terrain", source=DEMO_DEM, grid=grid, style=TerrainStyle(**style)
        )
        project.layers.append(layer)
    return project


def snapshot(plotter: pv.Plotter, name: str | None = None) -> np.ndarray:
    """Render now and return RGB (rows from the top); also save to ``out/<name>.png``."""
    plotter.render()
    image = np.asarray(plotter.screenshot(return_img=True))[..., :3].copy()
    if name:
        from PIL import Image

        OUT.mkdir(exist_ok=True)
        Image.fromarray(image).save(OUT / f"{name}.png")
    return image
