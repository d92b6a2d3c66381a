"""io/dem.py and io/formats.py: real rasters written by GDAL, read back into grids."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from pyproj import CRS, Transformer
from rasterio.errors import NotGeoreferencedWarning

import twinscape.io.dem_strips as dem_strips
from twinscape.geo.crs import LonLatTransformer
from twinscape.geo.sampling import sample_elevation
from twinscape.io.dem import DemResult, read_dem
from twinscape.io.formats import PROJECT_SUFFIX, classify_path
from twinscape.io.kinds import kind_named
from twinscape.model.errors import CRSError, LoadCancelled, NoReaderError, ReaderError

UTM = Affine(30.0, 0.0, 700_000.0, 0.0, -30.0, 3_500_000.0)
SRTM3 = 1.0 / 1200.0  # degrees
# rasterio 1.4's calculate_default_transform still multiplies Affines with `*`
pytestmark = pytest.mark.filterwarnings(
    "ignore:Use `@` matmul:PendingDeprecationWarning:rasterio.transform"
)


def ramp(rows: int, cols: int, dtype: str = "float32") -> np.ndarray:
    r, c = np.mgrid[0:rows, 0:cols]
    return (100.0 + r + 2.0 * c).astype(dtype)


def one_line(err: BaseException, path: Path) -> str:
    message = str(err)
    assert str(path) in message and "\n" not in message
    return message


# --- the real data ---------------------------------------------------------------------


def test_reads_the_demo_dem_as_is(demo_utm: Path) -> None:
    result = read_dem(demo_utm)
    grid = result.grid
    assert isinstance(result, DemResult)
    assert result.source_crs == result.target_crs == grid.crs == "EPSG:32636"
    assert grid.shape == (1259, 1085) and grid.values.dtype == np.float32
    assert grid.values.flags.c_contiguous
    assert grid.transform == (90.0, 0.0, 688860.0, 0.0, -90.0, 3544470.0)
    for corner in [(0, 0), (0, -1), (-1, 0), (-1, -1)]:
        assert np.isnan(grid.values[corner])
    assert grid.elevation_range() == (-420.0, 1295.0)
    with rasterio.open(demo_utm) as src:
        raw = src.read(1)
    np.testing.assert_array_equal(np.isnan(grid.values), raw == -32767)
    np.testing.assert_array_equal(grid.values[raw != -32767], raw[raw != -32767])


def test_reprojects_wgs84_srtm_to_its_utm_zone(demo_wgs84: Path, demo_utm: Path) -> None:
    result = read_dem(demo_wgs84)
    grid = result.grid
    assert result.source_crs == "EPSG:4326"
    assert result.target_crs == grid.crs == "EPSG:32636"
    res_x, res_y = grid.resolution
    assert res_x == res_y and 75.0 <= res_x <= 95.0  # native 3" is ~79 m x 93 m here
    low, high = grid.elevation_range()
    assert -424.0 <= low < -400.0 and 1280.0 < high <= 1301.0  # no spikes
    values = grid.values
    assert np.isnan(values[0, 0]) and np.isnan(values[-1, -1])  # outside the rotated tile
    assert np.count_nonzero(values == 0.0) < 50  # nodata never becomes zeros
    # agrees with the demo DEM (GDAL-made from the same tile) within a metre or so
    demo = read_dem(demo_utm).grid
    xs, ys = demo.cell_centers()
    gx, gy = np.meshgrid(xs[50:-50:5], ys[50:-50:5])
    diff = np.abs(sample_elevation(demo, gx, gy) - sample_elevation(grid, gx, gy))
    assert np.nanmedian(diff) < 2.0 and np.nanpercentile(diff, 99) < 20.0


def test_explicit_target_crs(demo_wgs84: Path) -> None:
    result = read_dem(demo_wgs84, target_crs="EPSG:32637")
    assert result.target_crs == result.grid.crs == "EPSG:32637"
    assert result.grid.bounds[0] < 500_000.0  # west of zone 37's central meridian
    assert read_dem(demo_wgs84, target_crs="epsg:32636").target_crs == "EPSG:32636"


@pytest.mark.parametrize("target", ["EPSG:4326", "EPSG:2227", "EPSG:nonsense"])
def test_rejects_targets_that_are_not_projected_metres(demo_utm: Path, target: str) -> None:
    with pytest.raises(CRSError) as info:
        read_dem(demo_utm, target_crs=target)
    assert isinstance(info.value, ValueError)
    one_line(info.value, demo_utm)


# --- formats GDAL reads ------------------------------------------------------------------


def srtm_tile(write_geotiff: Callable[..., Path]) -> tuple[Path, np.ndarray]:
    """A synthetic 1201 x 1201 SRTM3 tile of N31E035 with a block of voids."""
    values = ramp(1201, 1201, "int16")
    values[500:540, 600:650] = -32768
    origin = Affine(SRTM3, 0.0, 35.0 - SRTM3 / 2, 0.0, -SRTM3, 32.0 + SRTM3 / 2)
    path = write_geotiff(values, name="tile.tif", crs="EPSG:4326", transform=origin, nodata=-32768)
    return path, values


def test_srtm_hgt(
    write_geotiff: Callable[..., Path], gdal_tool: Callable[..., None], tmp_path: Path
) -> None:
    tif, values = srtm_tile(write_geotiff)
    hgt = tmp_path / "N31E035.hgt"
    gdal_tool("gdal_translate", "-of", "SRTMHGT", tif, hgt)
    result = read_dem(hgt)
    assert result.source_crs == "EPSG:4326" and result.target_crs == "EPSG:32636"
    low, high = result.grid.elevation_range()
    valid = values[values != -32768]
    assert valid.min() - 0.5 <= low and high <= valid.max() + 0.5  # voids -> NaN, no spikes

    void_x, void_y = LonLatTransformer("EPSG:32636").from_lonlat(
        35.0 + 625 * SRTM3, 32.0 - 520 * SRTM3
    )
    assert np.isnan(sample_elevation(result.grid, void_x, void_y))


def test_esri_ascii_grid_with_prj_or_assumed_crs(tmp_path: Path) -> None:
    asc = tmp_path / "wadi.asc"
    rows = ["1 2 3 4", "5 -9999 7 8", "9 10 11 12"]
    asc.write_text(
        "ncols 4\nnrows 3\nxllcorner 700000\nyllcorner 3499910\ncellsize 30\n"
        "NODATA_value -9999\n" + "\n".join(rows) + "\n"
    )
    with pytest.raises(CRSError) as info:
        read_dem(asc)
    message = one_line(info.value, asc)
    assert "has no coordinate reference system" in message and "gdal_edit.py" in message
    assumed = read_dem(asc, assume_crs="EPSG:32636")
    assert assumed.source_crs == "EPSG:32636"
    asc.with_suffix(".prj").write_text(CRS.from_epsg(32636).to_wkt("WKT1_ESRI"))
    result = read_dem(asc)
    assert result.source_crs == result.target_crs == "EPSG:32636"
    assert result.grid.transform == (30.0, 0.0, 700000.0, 0.0, -30.0, 3500000.0)
    expected = np.array([[1, 2, 3, 4], [5, np.nan, 7, 8], [9, 10, 11, 12]], dtype=np.float32)
    np.testing.assert_array_equal(result.grid.values, expected)


def test_vrt_mosaic(
    write_geotiff: Callable[..., Path], gdal_tool: Callable[..., None], tmp_path: Path
) -> None:
    values = ramp(40, 60)
    west = write_geotiff(values[:, :30], name="west.tif")
    east = write_geotiff(values[:, 30:], name="east.tif", transform=UTM @ Affine.translation(30, 0))
    vrt = tmp_path / "mosaic.vrt"
    gdal_tool("gdalbuildvrt", vrt, west, east)
    result = read_dem(vrt)
    np.testing.assert_array_equal(result.grid.values, values)
    assert result.grid.transform == tuple(UTM)[:6]


def test_cloud_optimized_geotiff(
    write_geotiff: Callable[..., Path], gdal_tool: Callable[..., None], tmp_path: Path
) -> None:
    values = ramp(700, 900)
    cog = tmp_path / "cog.tif"
    gdal_tool("gdal_translate", "-of", "COG", write_geotiff(values), cog)
    np.testing.assert_array_equal(read_dem(cog).grid.values, values)


def test_other_projected_source_goes_to_utm(write_geotiff: Callable[..., Path]) -> None:
    mercator = Affine(30.0, 0.0, 3_950_000.0, 0.0, -30.0, 3_700_000.0)  # ~35.5E 31.5N
    path = write_geotiff(ramp(50, 50), crs="EPSG:3857", transform=mercator, nodata=-9999.0)
    result = read_dem(path)
    assert result.source_crs == "EPSG:3857" and result.target_crs == "EPSG:32636"
    low, high = result.grid.elevation_range()
    assert 100.0 <= low and high <= 100.0 + 49 + 98


def test_southern_hemisphere_picks_south_zone(write_geotiff: Callable[..., Path]) -> None:
    origin = Affine(SRTM3, 0.0, 15.0, 0.0, -SRTM3, -22.9)  # Namib desert
    result = read_dem(write_geotiff(ramp(60, 60), crs="EPSG:4326", transform=origin))
    assert result.target_crs == "EPSG:32733"


# --- nodata and the grid's orientation --------------------------------------------------


def test_float_nodata_nan_and_inf_become_nan(write_geotiff: Callable[..., Path]) -> None:
    values = ramp(20, 30)
    values[3, 4], values[5, 6], values[7, 8] = np.nan, np.inf, -9999.0
    grid = read_dem(write_geotiff(values, nodata=np.nan)).grid
    assert np.isnan(grid.values[3, 4]) and np.isnan(grid.values[5, 6])
    assert grid.values[7, 8] == -9999.0  # not the nodata value of this file
    grid = read_dem(write_geotiff(values, name="b.tif", nodata=-9999.0)).grid
    assert np.isnan(grid.values[[3, 5, 7], [4, 6, 8]]).all()
    assert np.count_nonzero(np.isnan(grid.values)) == 3


def test_all_nodata_is_an_error(write_geotiff: Callable[..., Path]) -> None:
    path = write_geotiff(np.full((10, 10), -32767, dtype="int16"), nodata=-32767)
    with pytest.raises(ReaderError, match="every cell is nodata"):
        read_dem(path)
    nan_path = write_geotiff(np.full((10, 10), np.nan, dtype="float32"), name="nan.tif")
    with pytest.raises(ReaderError, match="every cell is nodata"):
        read_dem(nan_path)


def test_mask_band_and_scale_offset(write_geotiff: Callable[..., Path]) -> None:
    values = ramp(10, 10, "int16")
    values[2, 3] = -30000  # hidden by the mask: must never show
    path = write_geotiff(values)
    with rasterio.open(path, "r+") as dst:
        mask = np.full((10, 10), 255, dtype="uint8")
        mask[2, 3] = 0
        dst.write_mask(mask)
        dst.scales, dst.offsets = (0.5,), (10.0,)
    grid = read_dem(path).grid
    assert np.isnan(grid.values[2, 3])
    assert grid.values[0, 0] == pytest.approx(100 * 0.5 + 10)
    assert grid.values[9, 9] == pytest.approx((100 + 9 + 18) * 0.5 + 10)
    warped = read_dem(path, max_cells=40).grid  # the warper honours mask and scale too
    low, high = warped.elevation_range()
    assert 100 * 0.5 + 10 <= low and high <= (100 + 9 + 18) * 0.5 + 10


def test_bottom_up_raster_is_flipped(write_geotiff: Callable[..., Path]) -> None:
    values = ramp(60, 40)
    bottom_up = Affine(30.0, 0.0, 700_000.0, 0.0, 30.0, 3_498_200.0)  # row 0 is the south
    path = write_geotiff(values, transform=bottom_up)
    grid = read_dem(path).grid
    assert grid.transform == (30.0, 0.0, 700000.0, 0.0, -30.0, 3500000.0)
    np.testing.assert_array_equal(grid.values, values[::-1])
    to_37 = Transformer.from_crs("EPSG:32636", "EPSG:32637", always_xy=True)
    for kwargs in ({"target_crs": "EPSG:32637"}, {"max_cells": 600}):  # warped: also north-up
        warped = read_dem(path, **kwargs).grid
        assert warped.transform[4] < 0
        for row, col in [(5, 20), (30, 10), (54, 30)]:  # file rows count from the south
            x, y = 700_000.0 + 30.0 * (col + 0.5), 3_498_200.0 + 30.0 * (row + 0.5)
            if warped.crs == "EPSG:32637":
                x, y = to_37.transform(x, y)
            assert sample_elevation(warped, x, y) == pytest.approx(100 + row + 2 * col, abs=3.0)


def test_multiband_reads_band_one(write_geotiff: Callable[..., Path]) -> None:
    bands = np.stack([ramp(8, 8), np.zeros((8, 8), "float32"), np.ones((8, 8), "float32")])
    np.testing.assert_array_equal(read_dem(write_geotiff(bands)).grid.values, bands[0])


def test_max_cells_reads_coarser_on_the_same_footprint(demo_utm: Path, demo_wgs84: Path) -> None:
    full = read_dem(demo_utm).grid
    small = read_dem(demo_utm, max_cells=200_000).grid
    assert small.values.size <= 200_000 and small.resolution[0] > 180.0
    assert abs(small.bounds[0] - full.bounds[0]) <= small.resolution[0]
    assert abs(small.bounds[3] - full.bounds[3]) <= small.resolution[0]
    low, high = small.elevation_range()
    assert -420.0 <= low and high <= 1295.0
    assert read_dem(demo_wgs84, max_cells=100_000).grid.values.size <= 100_000


def test_the_terrain_kind_passes_on_the_readers_warnings(
    write_geotiff: Callable[..., Path],
) -> None:
    from twinscape.io.kinds import LoadContext
    from twinscape.io.kinds.terrain import new_terrain, read_terrain

    values = ramp(20, 20)
    values[5, 7] = 1e30
    path = write_geotiff(values, name="spike.tif")
    data = read_terrain(new_terrain(path, None), LoadContext(project_crs=None))
    [note] = data.warnings
    assert note.startswith(f"{path}: 1 cell(s) beyond") and "drawn as nodata" in note


def test_a_decimated_and_trimmed_terrain_says_what_was_drawn(
    tmp_path: Path, write_geotiff: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from twinscape.io.kinds import LoadContext, terrain

    monkeypatch.setattr(terrain, "MAX_TERRAIN_CELLS", 250_000)
    part = write_geotiff(ramp(400, 400), name="part.tif")
    vrt = tmp_path / "huge.vrt"  # 1e6 x 1e6 cells of 1 m declared, data in 400 km x 400 km
    vrt.write_text(
        '<VRTDataset rasterXSize="1000000" rasterYSize="1000000"><SRS>EPSG:32636</SRS>'
        "<GeoTransform>500000, 1, 0, 3500000, 0, -1</GeoTransform>"
        '<VRTRasterBand dataType="Float32" band="1"><NoDataValue>-9999</NoDataValue>'
        f'<SimpleSource><SourceFilename relativeToVRT="1">{part.name}</SourceFilename>'
        '<SourceBand>1</SourceBand><SrcRect xOff="0" yOff="0" xSize="400" ySize="400"/>'
        '<DstRect xOff="0" yOff="0" xSize="400000" ySize="400000"/></SimpleSource>'
        "</VRTRasterBand></VRTDataset>"
    )
    data = terrain.read_terrain(terrain.new_terrain(vrt, None), LoadContext("EPSG:32636"))
    grid = data.values["grid"]
    assert grid.shape == (200, 200) and grid.resolution == (2000.0, 2000.0)  # the data part
    sampled, reduced = data.warnings
    assert "no overviews" in sampled
    assert reduced == (
        f"{vrt}: 1000000 x 1000000 cells is more than Twinscape draws at once; "
        "read sampled to 200 x 200 cells of 2000 m"
    )


# --- files that cannot be read ----------------------------------------------------------


def test_max_cells_must_be_positive(demo_utm: Path) -> None:
    with pytest.raises(ValueError, match="max_cells"):
        read_dem(demo_utm, max_cells=0)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.tif"
    with pytest.raises(ReaderError, match="file does not exist") as info:
        read_dem(path)
    one_line(info.value, path)


@pytest.mark.parametrize("target", [None, "EPSG:32637"])  # read as it is, then warped
def test_truncated_geotiff_fails_on_read(
    write_geotiff: Callable[..., Path], target: str | None
) -> None:
    rng = np.random.default_rng(0)
    path = write_geotiff(rng.normal(500, 100, (600, 600)).astype("float32"))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with rasterio.open(path) as src:  # GDAL opens it: the damage shows only when reading
        assert src.shape == (600, 600)
    with pytest.raises(ReaderError, match="truncated or corrupt") as info:
        read_dem(path, target_crs=target)
    assert info.value.__cause__ is not None
    one_line(info.value, path)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("garbage.tif", np.random.default_rng(1).bytes(5000)),
        ("notes.tif", b"elevation,x,y\nthis is not a raster\n"),
        ("notes.txt", b"plain text\n"),
    ],
)
def test_not_a_raster(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ReaderError, match="GDAL cannot read it as a raster") as info:
        read_dem(path)
    assert not isinstance(info.value, CRSError)
    one_line(info.value, path)


def test_no_crs_unless_assumed(write_geotiff: Callable[..., Path]) -> None:
    path = write_geotiff(ramp(10, 10), crs=None)
    with pytest.raises(CRSError, match="has no coordinate reference system; set one with") as info:
        read_dem(path)
    one_line(info.value, path)
    result = read_dem(path, assume_crs="EPSG:32636")
    assert result.source_crs == result.target_crs == "EPSG:32636"
    with pytest.raises(CRSError, match="assume_crs"):
        read_dem(path, assume_crs="EPSG:bogus")


def test_a_local_site_grid_cannot_be_placed_on_earth(write_geotiff: Callable[..., Path]) -> None:
    site = rasterio.crs.CRS.from_wkt(
        'LOCAL_CS["site grid",UNIT["metre",1],AXIS["Easting",EAST],AXIS["Northing",NORTH]]'
    )
    path = write_geotiff(ramp(10, 10), crs=site, transform=Affine(1.0, 0.0, 0.0, 0.0, -1.0, 10.0))
    with pytest.raises(CRSError, match="cannot place its centre on Earth in site grid") as info:
        read_dem(path)
    one_line(info.value, path)


def test_assume_crs_does_not_override_the_file(write_geotiff: Callable[..., Path]) -> None:
    path = write_geotiff(ramp(10, 10), crs="EPSG:32636")
    assert read_dem(path, assume_crs="EPSG:32637").source_crs == "EPSG:32636"


def test_rotated_or_ungeoreferenced(write_geotiff: Callable[..., Path]) -> None:
    rotated = write_geotiff(ramp(10, 10), transform=Affine(30.0, 5.0, 7e5, 5.0, -30.0, 3.5e6))
    with pytest.raises(ReaderError, match="rotated or sheared"):
        read_dem(rotated)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        plain = write_geotiff(ramp(10, 10), name="plain.tif", crs=None, transform=Affine.identity())
    with pytest.raises(ReaderError, match="not georeferenced"):
        read_dem(plain, assume_crs="EPSG:32636")


# --- progress and cancel ----------------------------------------------------------------


@pytest.mark.parametrize("crs", ["EPSG:32636", "EPSG:32637"])  # direct read, then warped
def test_progress_is_monotonic_and_reaches_one(
    write_geotiff: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, crs: str
) -> None:
    monkeypatch.setattr(dem_strips, "_STRIP_CELLS", 1000)
    seen: list[float] = []
    read_dem(write_geotiff(ramp(100, 100)), target_crs=crs, progress=seen.append)
    assert len(seen) >= 10
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert all(a < b for a, b in itertools.pairwise(seen))


@pytest.mark.parametrize("crs", ["EPSG:32636", "EPSG:32637"])
def test_cancel_between_strips(
    write_geotiff: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, crs: str
) -> None:
    monkeypatch.setattr(dem_strips, "_STRIP_CELLS", 1000)
    polls: list[int] = []

    def cancelled() -> bool:
        polls.append(1)
        return len(polls) >= 4

    seen: list[float] = []
    with pytest.raises(LoadCancelled):
        read_dem(
            write_geotiff(ramp(100, 100)), target_crs=crs, progress=seen.append, cancelled=cancelled
        )
    assert len(polls) == 4 and 0.0 < seen[-1] < 1.0
    with pytest.raises(LoadCancelled):
        read_dem(write_geotiff(ramp(5, 5), name="b.tif"), cancelled=lambda: True)


# --- formats.py -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("plan.toml", "project"),
        ("PLAN.TOML", "project"),
        ("dem.tif", "terrain"),
        ("DEM.TIFF", "terrain"),
        ("mosaic.vrt", "terrain"),
        ("N31E035.hgt", "terrain"),
        ("N31E035.hgt.zip", "terrain"),
        ("wadi.asc", "terrain"),
        ("tile.dt2", "terrain"),
        ("a.b.img", "terrain"),
    ],
)
def test_classify_path(name: str, kind: str) -> None:
    assert classify_path(Path("/data") / name) == kind


@pytest.mark.parametrize("name", ["notes.txt", "archive.zip", "noext"])
def test_classify_path_rejects_others(name: str) -> None:
    with pytest.raises(NoReaderError, match="not a file Twinscape can open; open a project"):
        classify_path(name)


def test_file_filters() -> None:
    assert PROJECT_SUFFIX == ".toml"
    dem_filter = kind_named("terrain").file_filter
    assert dem_filter.startswith("Elevation rasters (*.tif *.tiff *.vrt *.hgt")
    assert dem_filter.endswith(")") and "*.asc" in dem_filter
