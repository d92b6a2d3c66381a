"""DEMs read on demand (io/dem_source.py): opened through the app path, never averaged down.

Checked against rasterio's own reads of the files, GDAL's gdalbuildvrt and gdalwarp,
and numpy block means of the file's cells.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.shutil import copy as rio_copy
from rasterio.transform import from_origin
from rasterio.windows import Window

import twinscape.io.kinds.terrain as terrain_kind
from twinscape.io.dem_overviews import cached_vrt
from twinscape.io.dem_source import open_dem_source
from twinscape.io.loading import open_data_files
from twinscape.model.errors import ReaderError
from twinscape.model.terrain import PagedTerrainLayer
from twinscape.ui.status_bar import elevation_at

N = 1024
UTM = "EPSG:32637"


def relief(rows: int, cols: int, r0: int = 0, c0: int = 0) -> np.ndarray:
    """Smooth hills with detail at several scales (metres)."""
    y = np.arange(r0, r0 + rows, dtype=np.float32)[:, None]
    x = np.arange(c0, c0 + cols, dtype=np.float32)[None, :]
    z = 600 + 300 * np.sin(x / 150) * np.cos(y / 190) + 25 * np.sin(x / 13 + y / 17)
    return (z + 4 * np.sin(x / 2.3) * np.cos(y / 1.9)).astype(np.float32)


def write_tiff(path: Path, values: np.ndarray, transform, crs: str = UTM, **extra) -> Path:
    profile = dict(
        driver="GTiff", height=values.shape[0], width=values.shape[1], count=1,
        dtype=values.dtype, crs=crs, transform=transform, tiled=True,
        blockxsize=256, blockysize=256, nodata=-9999, **extra,
    )  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values, 1)
    return path


@pytest.fixture
def paged(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """DEMs over 100k cells open as paged terrain; overview caches go to ``tmp_path``."""
    monkeypatch.setattr(terrain_kind, "MAX_TERRAIN_CELLS", 100_000)
    monkeypatch.setenv("TWINSCAPE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


@pytest.fixture
def plain(paged: Path) -> Path:
    """A tiled GeoTIFF without overviews, a nodata corner."""
    values = relief(N, N)
    values[:40, :40] = -9999
    return write_tiff(paged / "plain.tif", values, from_origin(500_000, 3_000_000, 10, 10))


@pytest.fixture
def cog(plain: Path) -> Path:
    """The same DEM as a Cloud-Optimized GeoTIFF with overviews, written by GDAL."""
    out = plain.with_name("dem_cog.tif")
    rio_copy(plain, out, driver="COG", compress="deflate", overview_resampling="average")
    with rasterio.open(out) as src:
        assert src.overviews(1), "GDAL wrote no overviews"
    return out


def pixel_centre(path: Path, row: int, col: int) -> tuple[float, float]:
    with rasterio.open(path) as src:
        return src.transform @ (col + 0.5, row + 0.5)


def file_value(path: Path, row: int, col: int) -> float:
    with rasterio.open(path) as src:
        return float(src.read(1, window=Window(col, row, 1, 1))[0, 0])


PIXELS = [(100, 200), (517, 3), (1023, 1023), (700, 911)]


def test_cog_opens_paged_at_full_resolution(cog: Path) -> None:
    project, _ = open_data_files([cog])
    layer = project.layers[0]
    assert isinstance(layer, PagedTerrainLayer) and layer.dem is not None
    assert layer.dem.shape == (N, N)
    assert layer.grid is not None and layer.grid.values.size <= 100_000 * 42  # an overview
    for row, col in PIXELS:
        x, y = pixel_centre(cog, row, col)
        assert layer.elevation_at(x, y) == pytest.approx(file_value(cog, row, col), abs=1e-3)
        assert elevation_at(project, x, y) == pytest.approx(file_value(cog, row, col), abs=1e-3)
    x, y = pixel_centre(cog, 10, 10)
    assert np.isnan(layer.elevation_at(x, y))  # nodata corner
    assert any("read on demand" in line for line in layer.describe())


def test_file_without_overviews_builds_them_once_in_the_cache(plain: Path) -> None:
    fractions: list[float] = []
    source = open_dem_source(plain, progress=fractions.append)
    assert fractions and fractions[-1] == 1.0 and fractions == sorted(fractions)
    vrt = cached_vrt(plain)
    assert vrt is not None and (vrt.parent / "level1.tif").is_file()
    with rasterio.open(plain) as src:
        full = src.read(1, window=Window(256, 512, 64, 64)).astype(np.float32)
    # level 3 averages 8 x 8 cells
    expected = full.reshape(8, 8, 8, 8).mean(axis=(1, 3))
    got = source.read(3, 64, 32, 8, 8)
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    assert np.array_equal(source.read(0, 512, 256, 64, 64), full)
    again: list[float] = []
    open_dem_source(plain, progress=again.append)
    assert again == [1.0]  # nothing built the second time


def test_reads_are_thread_safe(cog: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    source = open_dem_source(cog)
    with rasterio.open(cog) as src:
        full = src.read(1)
    spots = [(r, c) for r in range(0, N - 64, 97) for c in range(0, N - 64, 131)]
    with ThreadPoolExecutor(4) as pool:
        blocks = list(pool.map(lambda rc: source.read(0, rc[0], rc[1], 64, 64), spots))
    for (r, c), block in zip(spots, blocks):
        want = full[r : r + 64, c : c + 64].astype(np.float32)
        want[want == -9999] = np.nan
        np.testing.assert_array_equal(block, want)
    source.close()


@pytest.mark.skipif(shutil.which("gdalbuildvrt") is None, reason="needs gdalbuildvrt")
def test_vrt_mosaic_of_tiles_opens(paged: Path) -> None:
    tiles = []
    for i in range(2):
        for j in range(3):
            values = relief(300, 300, 300 * i, 300 * j)
            origin = from_origin(500_000 + 3000 * j, 3_000_000 - 3000 * i, 10, 10)
            tiles.append(write_tiff(paged / f"tile_{i}_{j}.tif", values, origin))
    vrt = paged / "mosaic.vrt"
    subprocess.run(["gdalbuildvrt", "-q", str(vrt), *map(str, tiles)], check=True)
    project, _ = open_data_files([vrt])
    layer = project.layers[0]
    assert isinstance(layer, PagedTerrainLayer) and layer.dem is not None
    assert layer.dem.shape == (600, 900)
    for tile, (row, col) in zip(tiles, [(5, 7), (299, 0), (150, 150), (0, 299), (77, 33)]):
        x, y = pixel_centre(tile, row, col)
        assert layer.elevation_at(x, y) == pytest.approx(file_value(tile, row, col), abs=1e-3)


@pytest.mark.skipif(shutil.which("gdalwarp") is None, reason="needs gdalwarp")
def test_other_crs_is_reprojected_per_window_as_gdalwarp_does(paged: Path) -> None:
    geo = write_tiff(
        paged / "geographic.tif", relief(N, N), from_origin(38.5, 27.1, 0.0001, 0.0001),
        crs="EPSG:4326",
    )  # fmt: skip
    project, _ = open_data_files([geo])
    layer = project.layers[0]
    assert isinstance(layer, PagedTerrainLayer) and layer.dem is not None
    dem = layer.dem
    assert dem.crs != "EPSG:4326" and project.crs == dem.crs
    west, south, east, north = dem.bounds
    rows, cols = dem.shape
    warped = paged / "warped.tif"
    command = ["gdalwarp", "-q", "-et", "0", "-t_srs", dem.crs, "-r", "bilinear"]
    command += ["-te", *map(str, dem.bounds), "-ts", str(cols), str(rows)]
    command += ["-dstnodata", "nan", "-ot", "Float32", str(geo), str(warped)]
    subprocess.run(command, check=True)
    with rasterio.open(warped) as truth:
        want = truth.read(1)
    for row, col in [(rows // 2, cols // 2), (rows // 3, 2 * cols // 3), (100, cols - 200)]:
        got = dem.read(0, row, col, 1, 1)[0, 0]
        assert got == pytest.approx(want[row, col], abs=0.01)
        x, y = dem.transform @ (col + 0.5, row + 0.5)
        assert layer.elevation_at(x, y) == pytest.approx(want[row, col], abs=0.01)


def test_not_a_raster_is_one_line(paged: Path) -> None:
    bad = paged / "notes.tif"
    bad.write_text("not a raster\n")
    with pytest.raises(ReaderError) as err:
        open_dem_source(bad)
    assert "notes.tif" in str(err.value) and "\n" not in str(err.value)


def test_saved_project_reopens_paged(cog: Path, paged: Path) -> None:
    from twinscape.io.loading import open_project
    from twinscape.io.project_file import save_project

    project, _ = open_data_files([cog])
    saved = save_project(project, paged / "big.toml")
    again, _ = open_project(saved)
    layer = again.layers[0]
    assert isinstance(layer, PagedTerrainLayer) and layer.source == cog.resolve()
    x, y = pixel_centre(cog, 300, 400)
    assert layer.elevation_at(x, y) == pytest.approx(file_value(cog, 300, 400), abs=1e-3)
