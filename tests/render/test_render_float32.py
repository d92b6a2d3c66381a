"""The float32 trap: UTM coordinates reach VTK only relative to the project origin."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyvista as pv
from vtkmodules.util.numpy_support import vtk_to_numpy

from twinscape.geo.origin import LocalOrigin
from twinscape.model import Project, RasterGrid, TerrainLayer
from twinscape.render.scene import SceneView

#: Pixel corners on odd centimetres, as a real warp produces them.
TRANSFORM = (1.37, 0.0, 700_000.23, 0.0, -1.37, 3_100_000.71)


def utm_grid() -> RasterGrid:
    y, x = np.mgrid[0:80, 0:90].astype(np.float32)
    z = 612.345 + 3 * np.sin(x / 7) + 2 * np.cos(y / 5)
    return RasterGrid(values=z.astype(np.float32), transform=TRANSFORM, crs="EPSG:32636")


def test_rendered_points_are_centimetre_exact_in_world(
    plotter_factory: Callable[..., pv.Plotter],
) -> None:
    grid = utm_grid()
    project = Project(crs=grid.crs)
    project.adopt_origin(grid.bounds)
    assert project.origin is not None and project.origin[1] > 3_000_000
    project.layers.append(TerrainLayer(name="utm", source=Path("/data/utm.tif"), grid=grid))
    plotter = plotter_factory((400, 300))
    scene = SceneView(plotter, project)
    scene.frame()
    scene.settle(0.01)  # full resolution everywhere
    plotter.render()
    visual = next(iter(scene.visuals.values()))
    origin = LocalOrigin.of(project.origin)
    xc, yc = grid.cell_centers()
    worst = 0.0
    checked = 0
    for actor in visual.actors:
        if not actor.GetVisibility():
            continue
        pts = vtk_to_numpy(actor.GetMapper().GetInput().GetPoints().GetData())
        assert pts.dtype == np.float32
        world = origin.to_world(pts)
        col = np.rint((world[:, 0] - xc[0]) / TRANSFORM[0]).astype(int)
        row = np.rint((yc[0] - world[:, 1]) / TRANSFORM[0]).astype(int)
        worst = max(
            worst,
            np.abs(world[:, 0] - xc[col]).max(),
            np.abs(world[:, 1] - yc[row]).max(),
        )
        top = np.isclose(world[:, 2], grid.values[row, col], atol=0.01)
        assert top.mean() > 0.9  # the rest are skirt points below the edges
        checked += len(pts)
    assert checked >= grid.values.size
    assert worst < 0.01, f"render points are {worst:.4f} m off in world coordinates"
    # Sanity: the same points cast to float32 without the origin are off by far more.
    raw = np.stack(np.meshgrid(xc, yc), axis=-1).reshape(-1, 2)
    naive = np.abs(raw.astype(np.float32).astype(np.float64) - raw).max()
    assert naive > 0.05
    scene.close()
