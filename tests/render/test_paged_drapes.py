"""Drapes on a DEM read on demand: painted per node, analyses on a window of the file.

The truth is the same project with the DEM held in memory (render/terrain_visual.py),
whose drapes are baked over the full grid; the paged terrain must draw the same
picture: imagery painted per node at the node's resolution, and a slope analysis
computed on the file's full-resolution window (render/analysis_ground.py), not on the
layer's in-memory overview.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from paged_helpers import centre_view, settled_image, write_cog
from rasterio.transform import from_origin

import twinscape.io.kinds.terrain as terrain_kind
from twinscape.io.loading import apply_load, load_file, open_data_files
from twinscape.model.analysis import AnalysisLayer
from twinscape.model.bookmarks import CameraView
from twinscape.model.project import Project
from twinscape.model.terrain import PagedTerrainLayer


@pytest.fixture(scope="module")
def cog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2048 x 2048 COG with relief at several scales (see paged_helpers.write_cog)."""
    return write_cog(tmp_path_factory.mktemp("paged"))


def checker(path: Path, bounds: tuple[float, float, float, float]) -> Path:
    """An RGB GeoTIFF over ``bounds`` (EPSG:32637): 200 m squares, orange and teal."""
    west, south, east, north = bounds
    res = 5.0
    cols, rows = int((east - west) / res), int((north - south) / res)
    y, x = np.mgrid[0:rows, 0:cols]
    odd = ((x * res // 200 + y * res // 200) % 2).astype(bool)
    data = np.empty((3, rows, cols), np.uint8)
    for band, (a, b) in enumerate(((240, 20), (140, 160), (30, 170))):
        data[band] = np.where(odd, a, b)
    with rasterio.open(
        path, "w", driver="GTiff", width=cols, height=rows, count=3, dtype="uint8",
        crs="EPSG:32637", transform=from_origin(west, north, res, res), photometric="RGB",
    ) as dst:  # fmt: skip
        dst.write(data)
    return path


def project_with(
    cog: Path, monkeypatch: pytest.MonkeyPatch, *, paged: bool, extra: list
) -> Project:
    monkeypatch.setattr(terrain_kind, "MAX_TERRAIN_CELLS", 100_000 if paged else 10**9)
    project, _ = open_data_files([cog])
    assert isinstance(project.layers[0], PagedTerrainLayer) == paged
    for item in extra:
        if isinstance(item, Path):
            apply_load(project, load_file(item, project_crs=project.crs))
        else:
            project.layers.append(item.copy() if hasattr(item, "copy") else item)
    return project


def test_imagery_drapes_a_paged_terrain_as_it_drapes_one_in_memory(
    cog: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with rasterio.open(cog) as src:
        image = checker(tmp_path / "ortho.tif", tuple(src.bounds))
    paged = project_with(cog, monkeypatch, paged=True, extra=[image])
    view = centre_view(paged, 0.0, 0.0, 0.0, 1500.0)
    got = settled_image(paged, view, "paged_imagery")
    bare = settled_image(project_with(cog, monkeypatch, paged=True, extra=[]), view, "paged_bare")
    truth = settled_image(
        project_with(cog, monkeypatch, paged=False, extra=[image]), view, "paged_imagery_truth"
    )
    assert np.abs(got - bare).mean() > 20  # the checker is there
    orange = (got[..., 0] > 200) & (got[..., 2] < 80)
    teal = (got[..., 0] < 60) & (got[..., 2] > 130)
    assert orange.mean() > 0.15 and teal.mean() > 0.15
    assert np.abs(got - truth).mean() < 2.0


def test_an_analysis_of_a_paged_terrain_runs_at_full_resolution(
    cog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def slope() -> AnalysisLayer:
        return AnalysisLayer(name="slope", analysis="slope", opacity=1.0)

    paged = project_with(cog, monkeypatch, paged=True, extra=[slope()])
    view = centre_view(paged, 0.0, 0.0, 0.0, 1500.0)
    got = settled_image(paged, view, "paged_slope")
    bare = settled_image(project_with(cog, monkeypatch, paged=True, extra=[]), view, "paged_bare")
    truth = settled_image(
        project_with(cog, monkeypatch, paged=False, extra=[slope()]), view, "paged_slope_truth"
    )
    assert np.abs(got - bare).mean() > 15  # the slope classes are there
    assert np.abs(got - truth).mean() < 1.0


def test_a_finer_patch_wins_over_a_paged_terrain(
    cog: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A 2.5 m patch, 60 m above the 10 m COG read on demand (whose overview is coarser):
    the patch ranks finer, the nodes under it are cut, and it shows whole from above."""
    import twinscape.io.dem_source as dem_source
    from twinscape.geo.ground import ground_grids
    from twinscape.model.raster import RasterGrid
    from twinscape.model.style import TerrainStyle
    from twinscape.model.terrain import TerrainLayer

    monkeypatch.setattr(dem_source, "OVERVIEW_CELLS", 1 << 20)
    project = project_with(cog, monkeypatch, paged=True, extra=[])
    paged = project.layers[0]
    assert paged.grid.resolution[0] == 20.0  # held as an overview (2 x 2 cells averaged)
    with rasterio.open(cog) as src:
        west, south, east, north = src.bounds
    cx, cy, half, res = (west + east) / 2, (south + north) / 2, 1000.0, 2.5
    # a 15 m DEM is coarser than the file (10 m), though finer than its overview (20 m)
    srtm = RasterGrid(
        values=np.zeros((10, 10), np.float32), transform=(15.0, 0.0, cx, 0.0, -15.0, cy),
        crs=paged.grid.crs,
    )  # fmt: skip
    both = [paged, TerrainLayer(name="15 m", source=tmp_path / "15m.tif", grid=srtm)]
    assert ground_grids(both) == (paged.grid, srtm)
    n = int(2 * half / res)
    patch = RasterGrid(
        values=np.full((n, n), 1500.0, np.float32),  # over any ground of the COG: visible
        transform=(res, 0.0, cx - half, 0.0, -res, cy + half), crs=paged.grid.crs,
    )  # fmt: skip
    style = TerrainStyle(colormap="gray", elevation_range=(1000.0, 2000.0))
    project.layers.append(
        TerrainLayer(name="patch", source=tmp_path / "patch.tif", grid=patch, style=style)
    )
    assert ground_grids(project.layers)[0] is patch  # finer than the paged terrain
    assert ground_grids(project.layers[:1])[0] is paged.grid
    view = CameraView((cx, cy, 9000.0), (cx, cy, 700.0), (0.0, 1.0, 0.0), 30.0)
    image = settled_image(project, view, "paged_with_patch")
    r, g, b = (image[..., k].astype(int) for k in range(3))
    h, w = r.shape
    inner = (slice(h // 2 - 40, h // 2 + 40), slice(w // 2 - 40, w // 2 + 40))
    grey = (np.abs(r - g) <= 6) & (np.abs(g - b) <= 6)
    assert grey[inner].mean() > 0.99
    truth_project = project_with(cog, monkeypatch, paged=False, extra=[])
    truth_project.layers.append(
        TerrainLayer(name="patch", source=tmp_path / "patch.tif", grid=patch, style=style)
    )
    truth = settled_image(truth_project, view, "paged_with_patch_truth")
    assert np.abs(image - truth).mean() < 2.0  # as the same DEM in memory draws it


def test_a_slow_drape_does_not_hold_the_gui_over_a_paged_terrain(
    cog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A drape whose picture takes a second to compute (an analysis): the frames go on
    with the nodes drawn before, and the draped ones replace them once read."""
    import time

    import pyvista as pv

    from twinscape.render.kinds import Drape, DrapeSource
    from twinscape.render.scene import SceneView

    def slow_red(grid: object) -> np.ndarray:
        time.sleep(1.0)
        rgba = np.zeros((*grid.shape, 4), np.uint8)  # type: ignore[attr-defined]
        rgba[..., 0], rgba[..., 3] = 255, 255
        return rgba

    project = project_with(cog, monkeypatch, paged=True, extra=[])
    plotter = pv.Plotter(off_screen=True, window_size=(320, 200))
    scene = SceneView(plotter, project, on_update=lambda: None)
    visual = scene.visuals[id(project.layers[0])]
    scene.apply_view(centre_view(project, 0.0, 0.0, 0.0, 1500.0))
    plotter.screenshot(return_img=True)  # the first frame shows the plotter
    drawn = len(visual.actors)
    assert drawn > 0
    start = time.perf_counter()
    visual.set_drapes([Drape(DrapeSource(key="slow", paint=slow_red, shaded=False))])
    plotter.render()
    assert time.perf_counter() - start < 0.5  # the drape is painted on the readers' threads
    assert len(visual.actors) == drawn  # the old nodes still drawn meanwhile
    for _ in range(100):
        if not visual.refining():
            break
        time.sleep(0.1)
        plotter.render()
    image = np.asarray(plotter.screenshot(return_img=True))[..., :3].astype(int)
    red = (image[..., 0] > 200) & (image[..., 1] < 60)
    assert red[100:].mean() > 0.9  # the drape is on the ground now
    scene.close()
    plotter.close()


def test_slope_of_a_large_paged_extent_is_full_resolution_close_up(
    cog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Computed on a coarser level (the window over the whole DEM would not fit), the slope
    is still drawn at the file's resolution where the nodes are: painted from their own
    samples (render/analysis_local.py); the truth is the in-memory DEM's full grid."""
    import functools

    import twinscape.render.analysis_plan as analysis_plan
    import twinscape.render.kinds.analysis as analysis_kind
    from twinscape.render.analysis_ground import dem_window

    def slope() -> AnalysisLayer:
        return AnalysisLayer(name="slope", analysis="slope", opacity=1.0)

    truth_project = project_with(cog, monkeypatch, paged=False, extra=[slope()])
    view = centre_view(truth_project, 0.0, 0.0, -300.0, 900.0)
    truth = settled_image(truth_project, view, "paged_slope_close_truth")
    # a window of at most 256 x 256 cells: the 2048 x 2048 DEM's level 3
    monkeypatch.setattr(
        analysis_plan, "dem_window", functools.partial(dem_window, max_cells=1 << 16)
    )
    got = settled_image(
        project_with(cog, monkeypatch, paged=True, extra=[slope()]), view, "paged_slope_close"
    )
    monkeypatch.setattr(analysis_kind, "LOCAL_ANALYSES", ())  # the window's slope, resampled
    coarse = settled_image(
        project_with(cog, monkeypatch, paged=True, extra=[slope()]), view, "paged_slope_coarse"
    )
    near = np.abs(got - truth).mean()
    assert near < 1.5
    assert np.abs(coarse - truth).mean() > 2 * near  # what it was without: visibly coarser
