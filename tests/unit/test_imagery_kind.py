"""The imagery kind without a display: sniffing, reading, painting onto grids, project files.

Images are written by GDAL (rasterio) in EPSG:4326; where colours land on a UTM grid is
checked against pyproj's transformation of the cell centres, not against the reader's own.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import rasterio
from imagery_images import (
    BLUE,
    MARK,
    NORTH,
    RED,
    RES,
    SIZE,
    WEST,
    marked_pixels,
    write_image,
    write_marked,
    write_palette,
    write_rgba,
)
from pyproj import Transformer
from rasterio.enums import Resampling

from twinscape.io.formats import classify_path
from twinscape.io.imagery import read_imagery
from twinscape.io.imagery_warp import image_on_grid
from twinscape.io.kinds import kind_for_path
from twinscape.io.loading import (
    apply_load,
    load_file,
    new_project,
    open_data_files,
    open_project,
    read_layer,
)
from twinscape.io.project_file import save_project
from twinscape.model.errors import MissingCRSError, ProjectFileError, ReaderError
from twinscape.model.imagery import ImageryLayer
from twinscape.model.raster import RasterGrid

UTM = "EPSG:32636"
TO_LONLAT = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)


def utm_grid(cell: float = 100.0, size: int = 500) -> RasterGrid:
    """A UTM 36N grid of ``size`` x ``size`` cells centred on the test images."""
    to_utm = Transformer.from_crs("EPSG:4326", UTM, always_xy=True)
    cx, cy = to_utm.transform(WEST + RES * SIZE / 2, NORTH - RES * SIZE / 2)
    left, top = round(cx - cell * size / 2), round(cy + cell * size / 2)
    values = np.zeros((size, size), np.float32)
    return RasterGrid(values=values, transform=(cell, 0.0, left, 0.0, -cell, top), crs=UTM)


def image_pixel_of_cells(grid: RasterGrid) -> tuple[np.ndarray, np.ndarray]:
    """(column, row) of the test image under each cell centre, by pyproj (floats)."""
    xs, ys = grid.cell_centers()
    gx, gy = np.meshgrid(xs, ys)
    lon, lat = TO_LONLAT.transform(gx, gy)
    return (lon - WEST) / RES, (NORTH - lat) / RES


def paint(path: Path, grid: RasterGrid) -> np.ndarray:
    info = read_imagery(path, target_crs=grid.crs).info
    return image_on_grid(path, info, grid.transform, grid.shape, grid.crs)


# -- sniffing ---------------------------------------------------------------------------
def test_add_data_sniffs_pictures_as_imagery_and_elevations_as_terrain(
    tmp_path: Path, demo_utm: Path, demo_wgs84: Path
) -> None:
    index = np.zeros((SIZE, SIZE), np.uint8)
    pictures = [
        write_marked(tmp_path / "ortho.tif"),
        write_rgba(tmp_path / "rgba.tif", np.full((SIZE, SIZE), 255, np.uint8)),
        write_palette(tmp_path / "landuse.tif", index, {0: (9, 9, 9, 255)}),
        write_image(tmp_path / "rgb16.tif", np.ones((3, 8, 8), np.uint16), photometric="RGB"),
        write_image(tmp_path / "grey3.tif", np.ones((3, 8, 8), np.uint8), photometric="MINISBLACK"),
    ]
    for path in pictures:
        assert classify_path(path) == "imagery", path.name
        assert kind_for_path(path).name == "imagery"
    float_dem = write_image(tmp_path / "dem.tif", np.ones((1, 8, 8), np.float32))
    for path in (demo_utm, demo_wgs84, float_dem):
        assert classify_path(path) == "terrain", path.name
    assert "Imagery" in kind_for_path(pictures[0]).file_filter


# -- reading ----------------------------------------------------------------------------
def test_the_reader_says_what_the_image_is_and_where_in_the_project_crs(tmp_path: Path) -> None:
    path = write_marked(tmp_path / "ortho.tif")
    result = read_imagery(path, target_crs=UTM)
    info = result.info
    assert (info.mode, info.bands, info.dtype) == ("rgb", (1, 2, 3), "uint8")
    assert info.shape == (SIZE, SIZE)
    assert info.source_crs == "EPSG:4326" and result.target_crs == UTM
    assert info.transparency == "none" and info.stretch is None and info.overviews == ()
    # pyproj's own densified bounds of the image's extent in UTM
    expected = Transformer.from_crs("EPSG:4326", UTM, always_xy=True).transform_bounds(
        WEST, NORTH - RES * SIZE, WEST + RES * SIZE, NORTH, densify_pts=21
    )
    assert np.allclose(info.bounds, expected, atol=1.0)
    assert 90 < info.resolution < 110  # 0.001 degree is about 95 x 105 m here
    # no project CRS yet: the UTM zone of the image's centre
    assert read_imagery(path).target_crs == UTM
    layer = ImageryLayer(name="o", source=path, image=info)
    assert layer.loaded and layer.bounds == info.bounds
    assert any("EPSG:4326" in line for line in layer.describe())


def test_painted_colours_land_where_pyproj_puts_them(tmp_path: Path) -> None:
    grid = utm_grid()
    rgba = paint(write_marked(tmp_path / "ortho.tif"), grid)
    col, row = image_pixel_of_cells(grid)
    inside_image = (col > 1) & (col < SIZE - 1) & (row > 1) & (row < SIZE - 1)
    outside_image = (col < -1) | (col > SIZE + 1) | (row < -1) | (row > SIZE + 1)
    in_mark = (col > 1) & (col < MARK - 1) & (row > 1) & (row < MARK - 1)
    clear_of_mark = inside_image & ((col > MARK + 1) | (row > MARK + 1))
    assert in_mark.sum() > 3000 and clear_of_mark.sum() > 50_000
    assert (rgba[in_mark] == (*RED, 255)).all()
    assert (rgba[clear_of_mark] == (*BLUE, 255)).all()
    assert (rgba[outside_image][:, 3] == 0).all(), "off the image: transparent"
    assert (rgba[inside_image][:, 3] == 255).all()


def test_alpha_nodata_and_palettes_become_transparency_and_colours(tmp_path: Path) -> None:
    grid = utm_grid()
    col, row = image_pixel_of_cells(grid)
    south_east = (col > SIZE / 2 + 1) & (col < SIZE - 1) & (row > SIZE / 2 + 1) & (row < SIZE - 1)
    north_east = (col > SIZE / 2 + 1) & (col < SIZE - 1) & (row > MARK + 1) & (row < SIZE / 2 - 1)
    half = np.full((SIZE, SIZE), 255, np.uint8)
    half[SIZE // 2 :, SIZE // 2 :] = 0

    rgba = paint(write_rgba(tmp_path / "rgba.tif", half), grid)
    assert (rgba[south_east][:, 3] == 0).all() and (rgba[north_east] == (*BLUE, 255)).all()

    data = marked_pixels()
    data[:, SIZE // 2 :, SIZE // 2 :] = 0
    rgba = paint(write_image(tmp_path / "nodata.tif", data, photometric="RGB", nodata=0), grid)
    assert (rgba[south_east][:, 3] == 0).all() and (rgba[north_east] == (*BLUE, 255)).all()

    index = np.ones((SIZE, SIZE), np.uint8)
    index[SIZE // 2 :, SIZE // 2 :] = 0
    colours = {0: (0, 0, 0, 255), 1: (10, 200, 30, 255)}
    path = write_palette(tmp_path / "palette.tif", index, colours, nodata=0)
    assert read_imagery(path, target_crs=UTM).info.mode == "palette"
    rgba = paint(path, grid)
    assert (rgba[south_east][:, 3] == 0).all()
    assert (rgba[north_east] == (10, 200, 30, 255)).all()


def test_sixteen_bit_bands_are_stretched_to_eight(tmp_path: Path) -> None:
    ramp = np.linspace(1000, 3000, SIZE, dtype=np.float64)
    data = np.broadcast_to(ramp.astype(np.uint16), (3, SIZE, SIZE)).copy()
    path = write_image(tmp_path / "sat16.tif", data, photometric="RGB")
    result = read_imagery(path, target_crs=UTM)
    assert result.info.stretch is not None and len(result.warnings) == 1
    assert "stretched" in result.warnings[0] and str(path) in result.warnings[0]
    grid = utm_grid()
    rgba = paint(path, grid)
    col, row = image_pixel_of_cells(grid)
    inside = (row > 1) & (row < SIZE - 1)
    west, east = inside & (col > 1) & (col < 5), inside & (col > SIZE - 5) & (col < SIZE - 1)
    assert rgba[west][:, 0].max() == 0 and rgba[east][:, 0].min() == 255, "2..98 % spans 0..255"
    middle = inside & (np.abs(col - SIZE / 2) < 1)
    assert 100 < rgba[middle][:, 0].mean() < 155


def test_a_coarse_grid_reads_the_overviews_and_a_fine_one_the_pixels(tmp_path: Path) -> None:
    """Overviews made green, then the full-resolution pixels painted blue: which is read?"""
    path = write_image(tmp_path / "cog.tif", marked_pixels(), photometric="RGB", tiled=True)
    with rasterio.open(path, "r+") as dst:
        dst.write(np.broadcast_to(np.array([0, 255, 0], np.uint8)[:, None, None], (3, SIZE, SIZE)))
        dst.build_overviews([2, 4, 8], Resampling.average)
        dst.write(marked_pixels())  # the overviews keep the green
    info = read_imagery(path, target_crs=UTM).info
    assert info.overviews == (2, 4, 8)
    coarse = utm_grid(cell=800.0, size=60)
    fine = utm_grid(cell=100.0, size=500)
    for grid, colour in ((coarse, (0, 255, 0)), (fine, BLUE)):
        rgba = image_on_grid(path, info, grid.transform, grid.shape, grid.crs)
        col, row = image_pixel_of_cells(grid)
        centre = (np.abs(col - 300) < 40) & (np.abs(row - 300) < 40)
        assert (rgba[centre][:, :3] == colour).all(), f"{grid.resolution}: {rgba[centre][0]}"


# -- bad input --------------------------------------------------------------------------
def _one_line(err: BaseException, path: Path) -> str:
    text = str(err)
    assert str(path) in text and "\n" not in text, text
    return text


def test_bad_images_are_refused_in_one_line(tmp_path: Path, demo_wgs84: Path) -> None:
    no_crs = write_image(tmp_path / "nocrs.tif", marked_pixels(), crs=None, photometric="RGB")
    with pytest.raises(MissingCRSError) as caught:
        read_imagery(no_crs, target_crs=UTM)
    assert "no coordinate reference system" in _one_line(caught.value, no_crs)
    assert read_imagery(no_crs, target_crs=UTM, assume_crs="EPSG:4326").info.mode == "rgb"

    for dem in (write_image(tmp_path / "f.tif", np.ones((1, 8, 8), np.float32)), demo_wgs84):
        with pytest.raises(ReaderError, match="looks like a DEM") as caught:
            read_imagery(dem, target_crs=UTM)
        _one_line(caught.value, dem)

    good = write_marked(tmp_path / "ortho.tif")
    truncated = tmp_path / "truncated.tif"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    garbage = tmp_path / "garbage.tif"
    garbage.write_bytes(b"II*\x00 not really a TIFF " * 50)
    for path in (truncated, garbage, tmp_path / "missing.tif", tmp_path):
        with pytest.raises(ReaderError) as caught:
            read_imagery(path, target_crs=UTM)
        _one_line(caught.value, path)


def test_a_bad_image_loses_nothing_loaded(tmp_path: Path, demo_utm: Path) -> None:
    ortho = write_marked(tmp_path / "ortho.tif")
    project, _ = open_data_files([demo_utm, ortho])
    imagery = project.layers[1]
    before = [(layer, layer.kind, layer.bounds) for layer in project.layers]
    truncated = tmp_path / "cut.tif"
    truncated.write_bytes(ortho.read_bytes()[:5000])
    with pytest.raises(ReaderError):
        load_file(truncated, project_crs=project.crs)
    # the file the imagery layer reads is replaced by a DEM: reloading it is refused
    shutil.copy(demo_utm, ortho)
    with pytest.raises(ReaderError, match="looks like a DEM"):
        read_layer(imagery, project_crs=project.crs)
    assert [(layer, layer.kind, layer.bounds) for layer in project.layers] == before
    assert imagery.loaded


# -- project files ----------------------------------------------------------------------
def test_the_project_saves_and_reopens_the_imagery(tmp_path: Path, demo_utm: Path) -> None:
    (tmp_path / "data").mkdir()
    ortho = write_marked(tmp_path / "data" / "ortho.tif")
    project, warnings = open_data_files([demo_utm, ortho])
    assert warnings == []
    layer = project.layers[1]
    assert isinstance(layer, ImageryLayer) and layer.loaded
    layer.brightness, layer.contrast, layer.opacity = 0.25, -0.5, 0.75
    path = save_project(project, tmp_path / "p.toml")
    text = path.read_text(encoding="utf-8")
    assert 'kind = "imagery"' in text and 'source = "data/ortho.tif"' in text
    again, warnings = open_project(path)
    assert warnings == []
    reopened = again.layers[1]
    assert isinstance(reopened, ImageryLayer) and reopened.loaded
    assert (reopened.brightness, reopened.contrast, reopened.opacity) == (0.25, -0.5, 0.75)
    assert (reopened.name, reopened.id, reopened.source) == (layer.name, layer.id, layer.source)
    assert reopened.image == layer.image


@pytest.mark.parametrize(
    ("body", "key"),
    [("brightness = 3.0", "brightness"), ('contrast = "high"', "contrast"), ("", "source")],
)
def test_bad_imagery_keys_name_the_key(tmp_path: Path, body: str, key: str) -> None:
    source = 'source = "ortho.tif"\n' if key != "source" else ""
    (tmp_path / "p.toml").write_text(
        'schema_version = 1\n[project]\nname = "p"\ncrs = "EPSG:32636"\n'
        f'[[layers]]\nkind = "imagery"\nname = "o"\n{source}{body}\n',
        encoding="utf-8",
    )
    with pytest.raises(ProjectFileError, match=key):
        open_project(tmp_path / "p.toml")


def test_settings_are_validated_naming_the_field(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="brightness"):
        ImageryLayer(name="o", source=tmp_path / "o.tif", brightness=1.5)
    with pytest.raises(ValueError, match="contrast"):
        ImageryLayer(name="o", source=tmp_path / "o.tif", contrast=float("nan"))


def test_apply_load_adopts_the_crs_of_an_image_alone(tmp_path: Path) -> None:
    project = new_project()
    load = load_file(write_marked(tmp_path / "ortho.tif"), project_crs=None)
    apply_load(project, load)
    assert project.crs == UTM and project.origin is not None
