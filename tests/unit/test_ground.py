"""Buildings stand on the ground: the base is the lowest terrain under the footprint."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine
from rasterio.enums import Resampling
from rasterio.features import geometry_mask
from rasterio.warp import reproject
from shapely.geometry import Polygon, box

from twinscape.geo import ground
from twinscape.geo.ground import footprint_bases, ground_grids
from twinscape.geo.sampling import sample_elevation
from twinscape.io.loading import open_data_files
from twinscape.model import RasterGrid, TerrainLayer
from twinscape.model.buildings import BuildingsLayer

REPO = Path(__file__).resolve().parents[2]
DEMO_UTM = REPO / "assets" / "dem" / "deadsea_n31e035_srtm3_utm36n_90m.tif"
NEWTOWN = REPO / "assets" / "buildings" / "deadsea_newtown_plan.gpkg"


def _plane(a: float, b: float, c: float, *, cell: float = 10.0, n: int = 101) -> RasterGrid:
    """A tilted plane z = a x + b y + c sampled at cell centres, x, y from 0 to n * cell."""
    centres = (np.arange(n) + 0.5) * cell
    x, y = np.meshgrid(centres, centres[::-1])
    values = (a * x + b * y + c).astype(np.float32)
    return RasterGrid(values=values, transform=(cell, 0, 0, 0, -cell, n * cell), crs="EPSG:32636")


def _flat_with_a_pit() -> RasterGrid:
    """Flat ground at 50 m with one cell at 20 m: row 50, column 50, centre (505, 495)."""
    grid = _plane(0.0, 0.0, 50.0)
    values = grid.values.copy()
    values[50, 50] = 20.0
    return RasterGrid(values=values, transform=grid.transform, crs=grid.crs)


def test_base_is_the_lowest_point_of_a_plane_under_the_footprint() -> None:
    grid = _plane(0.1, -0.05, 100.0)
    shapes = [box(200, 300, 260, 340), Polygon([(500, 500), (560, 520), (520, 580)])]
    bases = footprint_bases(np.array(shapes, dtype=object), np.zeros(2), [grid])
    # a linear function is lowest at a vertex of the polygon: the analytic answer
    for shape, base in zip(shapes, bases):
        x, y = np.asarray(shape.exterior.coords).T
        assert base == pytest.approx(np.min(0.1 * x - 0.05 * y + 100.0), abs=1e-3)


def test_a_pit_inside_a_large_footprint_lowers_it_and_outside_does_not() -> None:
    grid = _flat_with_a_pit()  # the pit's centre (505, 495) lies inside the first footprint only
    shapes = np.array([box(450, 450, 560, 560), box(700, 700, 760, 760)], dtype=object)
    assert footprint_bases(shapes, np.zeros(2), [grid]).tolist() == pytest.approx([20.0, 50.0])


def test_overlapping_footprints_each_see_a_pit_they_share() -> None:
    grid = _flat_with_a_pit()  # the pit's centre (505, 495): inside both footprints
    shapes = np.array([box(450, 450, 560, 560), box(480, 480, 600, 600)], dtype=object)
    assert footprint_bases(shapes, np.zeros(2), [grid]).tolist() == pytest.approx([20.0, 20.0])


def test_a_cell_centre_on_the_footprint_edge_is_under_it() -> None:
    grid = _flat_with_a_pit()  # the pit's centre (505, 495): on the west edge of the footprint
    shapes = np.array([Polygon([(505, 450), (560, 450), (560, 560), (505, 560)])], dtype=object)
    assert footprint_bases(shapes, np.zeros(1), [grid])[0] == pytest.approx(20.0)


def test_bases_are_the_same_when_the_cells_are_tested_in_many_small_batches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(3)
    grid = RasterGrid(
        values=rng.uniform(0, 100, (101, 101)).astype(np.float32),
        transform=(10.0, 0, 0, 0, -10.0, 1010.0),
        crs="EPSG:32636",
    )
    x, y = rng.uniform(0, 900, (2, 60))
    size = rng.uniform(5, 300, 60)  # from no cell centre inside to 900 of them
    shapes = np.array([box(a, b, a + s, b + s * 0.7) for a, b, s in zip(x, y, size)], dtype=object)
    whole = footprint_bases(shapes, np.zeros(60), [grid])
    monkeypatch.setattr(ground, "_CANDIDATES", 7)  # splits footprints across batches
    assert footprint_bases(shapes, np.zeros(60), [grid]).tolist() == whole.tolist()
    # the reference: every cell centre in each footprint, one at a time
    cx, cy = grid.cell_centers()
    gx, gy = np.meshgrid(cx, cy)
    for shape, base in zip(shapes, whole):
        inside = shapely.intersects_xy(shape, gx, gy)
        corners = np.asarray(shape.exterior.coords)
        vertex = sample_elevation(grid, corners[:, 0], corners[:, 1])
        assert base == pytest.approx(min(grid.values[inside].min(initial=np.inf), vertex.min()))


def test_half_outside_stands_on_the_part_inside_and_outside_keeps_its_own_base() -> None:
    grid = _plane(0.2, 0.0, 0.0)  # x from 0 to 1010 m
    shapes = np.array([box(960, 100, 1100, 150), box(2000, 0, 2050, 50)], dtype=object)
    bases = footprint_bases(shapes, np.array([0.0, 7.0]), [grid])
    assert bases[0] == pytest.approx(0.2 * 960, abs=1e-3)
    assert bases[1] == 7.0


def test_the_topmost_ground_wins_and_hidden_layers_still_carry() -> None:
    low, high = _plane(0, 0, 10.0), _plane(0, 0, 30.0)
    layers = [
        TerrainLayer(name="srtm", source=Path("/a.tif"), grid=low),
        TerrainLayer(name="survey", source=Path("/b.tif"), grid=high, visible=False),
        BuildingsLayer(name="b", source=Path("/b.gpkg")),
    ]
    grids = ground_grids(layers)
    assert grids == (high, low)
    shapes = np.array([box(100, 100, 120, 120)], dtype=object)
    assert footprint_bases(shapes, np.zeros(1), grids)[0] == pytest.approx(30.0)


def test_no_demo_building_floats_or_is_buried() -> None:
    """Every planned building on the real SRTM terrain stands on the lowest ground under it.

    The reference is GDAL's: the DEM warped with bilinear resampling onto a 2 m grid over
    each footprint, and the lowest of those samples inside the footprint.
    """
    project, _ = open_data_files([DEMO_UTM, NEWTOWN])
    _terrain, buildings = project.layers
    assert isinstance(buildings, BuildingsLayer) and buildings.base is not None
    mesh = buildings.mesh
    assert mesh is not None and mesh.count == 350
    with rasterio.open(DEMO_UTM) as ds:
        dem = ds.read(1).astype(np.float32)
        for index in range(0, mesh.count, 5):
            shape = mesh.footprints[index]
            x0, y0, x1, y1 = shape.bounds
            width, height = int(np.ceil((x1 - x0) / 2)) + 1, int(np.ceil((y1 - y0) / 2)) + 1
            fine = np.full((height, width), np.nan, np.float32)
            transform = Affine(2.0, 0, x0, 0, -2.0, y1)
            reproject(
                dem, fine, src_transform=ds.transform, src_crs=ds.crs, src_nodata=ds.nodata,
                dst_transform=transform, dst_crs=ds.crs, dst_nodata=np.nan,
                resampling=Resampling.bilinear,
            )  # fmt: skip
            inside = geometry_mask([shape], out_shape=fine.shape, transform=transform, invert=True)
            lowest = float(np.nanmin(fine[inside]))
            base = float(buildings.base[index])
            assert abs(base - lowest) < 0.5, (index, base, lowest)
