"""Hostile rasters (issue 10): float32 edges, spikes, complex bands, 1-sample-thin grids,
no geotransform, and huge declared sizes, each a real GeoTIFF/VRT written with GDAL."""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.errors import NotGeoreferencedWarning
from rasterio.windows import Window

import twinscape.io.dem as dem_module
from twinscape.geo.hillshade import hillshade
from twinscape.geo.origin import LocalOrigin
from twinscape.io.dem import read_dem
from twinscape.model.errors import LoadCancelled, ReaderError
from twinscape.model.raster import RasterGrid, value_range
from twinscape.model.style import TerrainStyle
from twinscape.model.terrain import TerrainLayer
from twinscape.render.grid_colors import baked_colors
from twinscape.render.terrain_tiles import TerrainTiles

UTM = Affine(30.0, 0.0, 700_000.0, 0.0, -30.0, 3_500_000.0)
pytestmark = pytest.mark.filterwarnings(
    "ignore:Use `@` matmul:PendingDeprecationWarning:rasterio.transform"
)


def slope(rows: int = 64, cols: int = 64) -> np.ndarray:
    r, c = np.mgrid[0:rows, 0:cols]
    return (100.0 + 3.0 * r + 5.0 * c).astype(np.float32)


def write(path: Path, data: np.ndarray, **profile: Any) -> Path:
    """One band written by GDAL; ``profile`` overrides the defaults (UTM 36N, 30 m)."""
    base: dict[str, Any] = dict(
        driver="GTiff", height=data.shape[0], width=data.shape[1], count=1,
        dtype=data.dtype, crs="EPSG:32636", transform=UTM,
    )  # fmt: skip
    base.update(profile)
    with rasterio.open(path, "w", **base) as dst:
        dst.write(data, 1)
    return path


@pytest.fixture(autouse=True)
def _no_warnings() -> Any:
    """Numpy and rasterio warnings must not leak from any hostile case."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("error", NotGeoreferencedWarning)
        warnings.simplefilter("error", np.exceptions.ComplexWarning)
        yield


# --- numbers at the edges of float32 / float64 -------------------------------------------


@pytest.mark.parametrize("spike", [3.4e38, -3.4e38, 1e30, np.inf])
def test_spike_cell_becomes_nodata_with_a_warning(tmp_path: Path, spike: float) -> None:
    data = slope()
    data[10, 20] = spike
    result = read_dem(write(tmp_path / "spike.tif", data))
    values = result.grid.values
    assert np.isnan(values[10, 20]) and np.isfinite(values).sum() == data.size - 1
    assert result.grid.elevation_range() == (100.0, 100.0 + 3 * 63 + 5 * 63)
    (note,) = result.warnings
    assert "1 cell(s) beyond" in note and "spike.tif" in note and "\n" not in note


@pytest.mark.parametrize(("value", "dtype"), [(1e30, "float32"), (3.4e38, "float32"),
                                              (1e300, "float64"), (-1e200, "float64")])
def test_all_cells_beyond_any_elevation_is_one_clear_error(
    tmp_path: Path, value: float, dtype: str
) -> None:
    path = write(tmp_path / "huge_values.tif", np.full((16, 16), value, dtype))
    with pytest.raises(ReaderError, match="no cell holds an elevation") as caught:
        read_dem(path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_values_scaled_past_float32_are_nodata(tmp_path: Path) -> None:
    path = write(tmp_path / "scaled.tif", slope())
    with rasterio.open(path, "r+") as dst:
        dst.scales = (1e37,)
    with pytest.raises(ReaderError, match="beyond"):
        read_dem(path)


def test_value_range_ignores_spikes_but_not_islands() -> None:
    data = slope()
    clean = value_range(data)
    assert clean is not None and clean.spikes == 0
    assert (clean.low, clean.high) == (float(data.min()), float(data.max()))
    data[3, 3], data[4, 4], data[5, 5] = 3.4e38, -3.4e38, -32768.0
    spiky = value_range(data)
    assert spiky is not None and spiky.spikes == 3
    assert (spiky.low, spiky.high) == (clean.low, clean.high)
    assert spiky.maximum == pytest.approx(3.4e38, rel=1e-6)
    sea = np.zeros((100, 100), np.float32)
    sea[:3, :3] = np.arange(9).reshape(3, 3) * 100.0  # a small island rising from the sea
    island = value_range(sea)
    assert island is not None and (island.spikes, island.high) == (0, 800.0)
    assert value_range(np.full((3, 3), np.nan, np.float32)) is None


def test_spike_is_told_in_the_layer_description() -> None:
    data = slope()
    data[7, 7] = 5e4  # within reach of float32 and of the reader, far past the rest
    grid = RasterGrid(values=data, transform=tuple(UTM)[:6], crs="EPSG:32636")
    layer = TerrainLayer(name="dem", source=Path("/x/dem.tif"), grid=grid)
    lines = layer.describe()
    assert any("spike" in line and "5e+04" in line for line in lines), lines


@pytest.mark.parametrize("spike", [3.4e38, -3.4e38, 1e30])
def test_hillshade_and_colours_survive_float32_extremes(spike: float) -> None:
    data = slope()
    data[10, 10] = spike
    shade = hillshade(data, (30.0, 30.0))
    assert np.isfinite(shade).all() and 0.0 <= shade.min() and shade.max() <= 1.0
    rgb = baked_colors(data, (30.0, 30.0), TerrainStyle(hillshade=False, sea_ramp=False))
    rest = np.delete(rgb.reshape(-1, 3), 10 * 64 + 10, axis=0)
    assert len(np.unique(rest, axis=0)) > 50  # the ramp spans the real terrain


@pytest.mark.parametrize("value", [1e30, 3.4e38, -3.4e38, 0.0])
def test_flat_grid_at_any_height_gets_colours(value: float) -> None:
    data = np.full((8, 8), value, np.float32)
    rgb = baked_colors(data, (30.0, 30.0), TerrainStyle())
    assert rgb.shape == (8, 8, 3)
    big = np.full((8, 8), 1e30, np.float32) * np.arange(1, 9, dtype=np.float32)
    assert len(np.unique(baked_colors(big, (1e-30, 1e-30), TerrainStyle()), axis=0)) > 1


def test_style_rejects_ranges_past_any_elevation() -> None:
    with pytest.raises(ValueError, match="elevation_range"):
        TerrainStyle(elevation_range=(0.0, 1e39))


# --- odd rasters --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_complex_raster_is_refused(tmp_path: Path, dtype: str) -> None:
    data = (slope() + 1j * slope()).astype(dtype)
    path = write(tmp_path / "complex.tif", data)
    with pytest.raises(ReaderError, match="complex numbers") as caught:
        read_dem(path)
    assert "gdal_translate -ot Float32" in str(caught.value)


def test_not_georeferenced_gives_our_error_only(tmp_path: Path) -> None:
    path = tmp_path / "plain.tif"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        write(path, slope(), crs=None, transform=Affine.identity())
    with pytest.raises(ReaderError, match="not georeferenced"):
        read_dem(path)


@pytest.mark.parametrize("shape", [(1, 1), (1, 40), (40, 1), (1, 2000)])
def test_thin_rasters_are_drawn_over_their_cells(tmp_path: Path, shape: tuple[int, int]) -> None:
    data = slope(*shape)
    grid = read_dem(write(tmp_path / "thin.tif", data)).grid
    assert grid.shape == shape
    tiles = TerrainTiles(grid, LocalOrigin(700_000.0, 3_500_000.0))
    west, south, east, north = grid.bounds
    points, faces = [], 0
    for tile in tiles.tiles:
        mesh = tiles.mesh(tile.index, 0, skirts=False)
        points.append(mesh.points)
        faces += mesh.n_triangles
    pts = np.concatenate(points)
    assert faces >= 2
    # a one-sample axis spans its cells' edges, the other (as always) the cell centres
    half_x = 0.0 if shape[1] == 1 else 15.0
    half_y = 0.0 if shape[0] == 1 else 15.0
    assert pts[:, 0].min() == pytest.approx(west + half_x - 700_000.0)
    assert pts[:, 0].max() == pytest.approx(east - half_x - 700_000.0)
    assert pts[:, 1].min() == pytest.approx(south + half_y - 3_500_000.0)
    assert pts[:, 1].max() == pytest.approx(north - half_y - 3_500_000.0)
    rgb = baked_colors(grid.values, grid.resolution, TerrainStyle())
    tiles.set_colors(rgb)
    texture, _ = tiles.texture(0, 0)
    assert texture.shape[0] >= 2 and texture.shape[1] >= 2


# --- huge declared sizes ------------------------------------------------------------------


@pytest.fixture
def sparse_tif(tmp_path: Path) -> Path:
    """200000 x 200000 float32 cells, tiled and sparse: one 512 x 512 block of data."""
    path = tmp_path / "sparse.tif"
    with rasterio.open(
        path, "w", driver="GTiff", height=200_000, width=200_000, count=1, dtype="float32",
        crs="EPSG:32636", transform=Affine(1.0, 0, 500_000.0, 0, -1.0, 3_500_000.0),
        tiled=True, blockxsize=256, blockysize=256, sparse_ok=True, nodata=-9999.0,
        compress="deflate",
    ) as dst:  # fmt: skip
        dst.write(np.full((512, 512), 100.0, np.float32), 1, window=Window(1e5, 1e5, 512, 512))
    return path


def test_huge_sparse_geotiff_without_overviews_is_refused_quickly(sparse_tif: Path) -> None:
    started = time.monotonic()
    with pytest.raises(ReaderError, match="gdaladdo") as caught:
        read_dem(sparse_tif, max_cells=25_000_000)
    assert time.monotonic() - started < 10.0
    assert "200000 x 200000" in str(caught.value) and "\n" not in str(caught.value)


def test_huge_raster_without_max_cells_is_refused(sparse_tif: Path) -> None:
    with pytest.raises(ReaderError, match="too many to hold in memory"):
        read_dem(sparse_tif)


def test_huge_read_honours_cancel(sparse_tif: Path) -> None:
    seen: list[float] = []
    with pytest.raises(LoadCancelled):
        read_dem(
            sparse_tif, max_cells=25_000_000, progress=seen.append,
            cancelled=lambda: len(seen) > 1,
        )  # fmt: skip
    assert seen == sorted(seen) and len(seen) == 2


def test_vrt_declaring_a_trillion_cells_is_read_decimated(tmp_path: Path) -> None:
    source = write(tmp_path / "part.tif", slope(400, 400))
    vrt = tmp_path / "huge.vrt"
    vrt.write_text(
        '<VRTDataset rasterXSize="1000000" rasterYSize="1000000"><SRS>EPSG:32636</SRS>'
        "<GeoTransform>500000, 1, 0, 3500000, 0, -1</GeoTransform>"
        '<VRTRasterBand dataType="Float32" band="1"><NoDataValue>-9999</NoDataValue>'
        f'<SimpleSource><SourceFilename relativeToVRT="1">{source.name}</SourceFilename>'
        '<SourceBand>1</SourceBand><SrcRect xOff="0" yOff="0" xSize="400" ySize="400"/>'
        '<DstRect xOff="0" yOff="0" xSize="400000" ySize="400000"/></SimpleSource>'
        "</VRTRasterBand></VRTDataset>"
    )
    seen: list[float] = []
    started = time.monotonic()
    result = read_dem(vrt, max_cells=250_000, progress=seen.append)
    assert time.monotonic() - started < 10.0
    assert result.grid.values.size <= 250_000 and result.source_shape == (1_000_000, 1_000_000)
    finite = result.grid.values[np.isfinite(result.grid.values)]
    assert finite.size > 1000 and 100.0 <= finite.min() and finite.max() <= 100.0 + 8 * 399
    assert seen == sorted(seen) and seen[-1] == 1.0
    assert any("no overviews" in note for note in result.warnings)


def test_overviews_are_used_for_a_decimated_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dem_module, "_FULL_READ_CELLS", 10_000)
    data = slope(1024, 1024)
    path = write(tmp_path / "ovr.tif", data, tiled=True)
    with rasterio.open(path, "r+") as dst:
        dst.build_overviews([4, 16], rasterio.enums.Resampling.average)
    result = read_dem(path, max_cells=64 * 64)
    assert result.grid.shape == (64, 64) and not result.warnings
    assert np.isfinite(result.grid.values).all()
    expected = data.reshape(64, 16, 64, 16).mean(axis=(1, 3))
    np.testing.assert_allclose(result.grid.values, expected, atol=40.0)
