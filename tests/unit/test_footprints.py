"""io/footprints.py and geo/extrude.py: real vector files written by GDAL, extruded to LoD1."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

from twinscape.geo.extrude import extrude_footprints, repair_footprints
from twinscape.io.footprints import FOOTPRINT_EXTENSIONS, read_footprints, sniff_footprints
from twinscape.model.buildings import (
    BUILDING_COLUMNS,
    HEIGHT_SOURCES,
    SURFACE_ROOF,
    SURFACE_WALL,
    BuildingMesh,
)
from twinscape.model.errors import CRSError, LoadCancelled, MissingCRSError, ReaderError

HELSINKI = Path(__file__).resolve().parents[1] / "data" / "buildings_helsinki_osm.gpkg"
HELSINKI_PBF = HELSINKI.with_name("helsinki.osm.pbf")
UTM36 = "EPSG:32636"
X0, Y0 = 700_000.0, 3_500_000.0  # UTM 36N near the Dead Sea


def write(
    tmp_path: Path, name: str, geoms: list[Any], crs: str | None = UTM36, **cols: Any
) -> Path:
    """Write features with GDAL (pyogrio); the driver follows the file name."""
    path = tmp_path / name
    gpd.GeoDataFrame(cols, geometry=geoms, crs=crs).to_file(path, engine="pyogrio")
    return path


def triangle_geometry(mesh: BuildingMesh) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit normals, centroids and areas of every triangle."""
    a, b, c = (mesh.vertices[mesh.triangles[:, k]] for k in range(3))
    cross = np.cross(b - a, c - a)
    area = 0.5 * np.linalg.norm(cross, axis=1)
    return cross / (2 * area[:, None]), (a + b + c) / 3, area


def check_mesh(mesh: BuildingMesh) -> None:
    """Roofs cover each footprint exactly (holes open) and face up; walls = perimeter x height."""
    n = mesh.count
    normals, centroids, area = triangle_geometry(mesh)
    roof = mesh.triangle_surface == SURFACE_ROOF
    wall = mesh.triangle_surface == SURFACE_WALL
    assert np.all(roof | wall)
    assert np.all(normals[roof, 2] > 0.999)
    assert np.allclose(normals[wall, 2], 0.0, atol=1e-6)
    # every wall faces out of its building: 1 mm along its normal is outside, 1 mm back inside
    owners = mesh.footprints[mesh.triangle_building[wall]]
    step = 1e-3 * normals[wall, :2]
    ahead, behind = centroids[wall, :2] + step, centroids[wall, :2] - step
    assert not shapely.contains_xy(owners, ahead[:, 0], ahead[:, 1]).any()
    assert shapely.contains_xy(owners, behind[:, 0], behind[:, 1]).all()
    roof_area = np.bincount(mesh.triangle_building[roof], weights=area[roof], minlength=n)
    np.testing.assert_allclose(roof_area, shapely.area(mesh.footprints), rtol=1e-6)
    wall_area = np.bincount(mesh.triangle_building[wall], weights=area[wall], minlength=n)
    heights = mesh.table["height"].to_numpy()
    np.testing.assert_allclose(wall_area, shapely.length(mesh.footprints) * heights, rtol=1e-6)
    owner = mesh.vertex_building
    assert np.all(owner >= 0)
    z = mesh.vertices[:, 2]
    assert np.all(np.isclose(z, 0.0) | np.isclose(z, heights[owner]))
    # no vertex is shared between buildings
    assert np.all(owner[mesh.triangles] == mesh.triangle_building[:, None])
    assert mesh.triangles.dtype == np.int32 and mesh.triangle_building.dtype == np.int32
    assert mesh.triangle_surface.dtype == np.uint8 and mesh.vertices.dtype == np.float64
    assert np.all(np.diff(mesh.triangle_building) >= 0)
    np.testing.assert_array_equal(mesh.own_base, np.zeros(n))


def test_an_osm_pbf_extract_reads_like_the_geopackage_made_from_it() -> None:
    """The real .osm.pbf through GDAL's OSM driver gives the same buildings as its GeoPackage."""
    pbf = read_footprints(HELSINKI_PBF, target_crs="EPSG:32635")
    gpkg = read_footprints(HELSINKI, target_crs="EPSG:32635")
    assert pbf.mesh.count == gpkg.mesh.count == 479
    assert pbf.report.height_sources == gpkg.report.height_sources
    assert set(pbf.mesh.table["building_id"]) == set(gpkg.mesh.table["building_id"])
    assert pbf.mesh.table["footprint_area"].sum() == pytest.approx(
        gpkg.mesh.table["footprint_area"].sum(), rel=1e-6
    )


def test_helsinki_osm_geopackage() -> None:
    read = read_footprints(HELSINKI, target_crs=None)
    mesh, report = read.mesh, read.report
    assert (read.source_crs, read.target_crs) == ("EPSG:4326", "EPSG:32635")
    # 494 features: 5 unreadable (2-point rings of ways clipped at the extract's edge),
    # 7 collapsed and 3 slivers once repaired (self-intersecting outlines)
    assert mesh.count == 479
    assert mesh.count + sum(report.dropped.values()) == 494
    assert [n for why, n in report.dropped.items() if "2 points" in why] == [5]
    assert [n for why, n in report.dropped.items() if "sliver" in why] == [3]
    assert report.repaired == 10
    assert set(report.height_sources) <= set(HEIGHT_SOURCES)
    assert sum(report.height_sources.values()) == mesh.count
    assert report.height_sources["attribute"] == 17
    assert report.rejected_heights == {}
    table = mesh.table
    assert tuple(table.columns[:4]) == BUILDING_COLUMNS
    assert {"height (source)", "building_levels", "other_tags", "osm_way_id"} <= set(table.columns)
    expected_ids = table["osm_id"].fillna(table["osm_way_id"]).astype(str)
    assert list(table["building_id"]) == list(expected_ids)
    tagged = table[table["height (source)"].notna()]
    assert "12.13 m" in set(tagged["height (source)"])
    np.testing.assert_allclose(
        tagged["height"], tagged["height (source)"].str.replace(" m", "").astype(float)
    )
    by_levels = table[table["height_source"] == "levels"]
    assert len(by_levels) == report.height_sources["levels"] > 100
    levels = by_levels["building_levels"].astype(float)
    np.testing.assert_allclose(by_levels["height"], levels * 3.2)
    assert (table.loc[table["height_source"] == "type default", "height"] > 0).all()
    # areas in UTM agree with geodesic areas of the source polygons (scale error < 0.1 %)
    geod = Geod(ellps="WGS84")
    to_lonlat = Transformer.from_crs(read.target_crs, "EPSG:4326", always_xy=True)
    lonlat = shapely.orient_polygons(  # counter-clockwise exteriors: positive geodesic areas
        shapely.transform(mesh.footprints, lambda xy: np.column_stack(to_lonlat.transform(*xy.T)))
    )
    geodesic = sum(geod.geometry_area_perimeter(g)[0] for g in lonlat)
    assert table["footprint_area"].sum() == pytest.approx(geodesic, rel=1e-3)
    np.testing.assert_allclose(table["footprint_area"], shapely.area(mesh.footprints))
    check_mesh(mesh)


def test_courtyard_roof_keeps_the_hole_open_and_walls_face_the_courtyard(tmp_path: Path) -> None:
    outer = [(X0, Y0), (X0 + 30, Y0), (X0 + 30, Y0 + 30), (X0, Y0 + 30)]
    hole = [(X0 + 8, Y0 + 8), (X0 + 8, Y0 + 22), (X0 + 22, Y0 + 22), (X0 + 22, Y0 + 8)]
    path = write(tmp_path, "court.gpkg", [Polygon(outer, [hole])], height=[15.0])
    mesh = read_footprints(path, target_crs=UTM36).mesh
    normals, centroids, area = triangle_geometry(mesh)
    roof = mesh.triangle_surface == SURFACE_ROOF
    assert area[roof].sum() == pytest.approx(30 * 30 - 14 * 14)
    inside_hole = shapely.contains_xy(Polygon(hole), centroids[roof, 0], centroids[roof, 1])
    assert not inside_hole.any()
    wall = mesh.triangle_surface == SURFACE_WALL
    away = centroids[wall, :2] - (X0 + 15, Y0 + 15)
    outward = np.einsum("ij,ij->i", normals[wall, :2], away)
    on_hole = np.abs(away).max(axis=1) < 7.5
    assert on_hole.sum() == 8 and (~on_hole).sum() == 8
    assert np.all(outward[~on_hole] > 0.99 * np.linalg.norm(away[~on_hole], axis=1) / 2)
    assert np.all(outward[on_hole] < 0)  # into the courtyard
    check_mesh(mesh)


def test_convex_building_walls_face_outwards_and_roof_up(tmp_path: Path) -> None:
    hexagon = Point(X0, Y0).buffer(10, quad_segs=2)
    clockwise = shapely.orient_polygons(box(X0 + 50, Y0, X0 + 60, Y0 + 5), exterior_cw=True)
    path = write(tmp_path, "convex.shp", [hexagon, clockwise], height=[6.0, 3.0])
    mesh = read_footprints(path, target_crs=UTM36).mesh
    normals, centroids, _ = triangle_geometry(mesh)
    wall = mesh.triangle_surface == SURFACE_WALL
    centres = shapely.get_coordinates(shapely.centroid(mesh.footprints))
    away = centroids[:, :2] - centres[mesh.triangle_building]
    assert np.all(np.einsum("ij,ij->i", normals[wall, :2], away[wall]) > 0)
    assert np.all(normals[~wall, 2] > 0.999)
    check_mesh(mesh)


def test_multipolygon_is_one_building(tmp_path: Path) -> None:
    parts = MultiPolygon([box(X0, Y0, X0 + 10, Y0 + 10), box(X0 + 20, Y0, X0 + 25, Y0 + 8)])
    path = write(tmp_path, "multi.gpkg", [parts, box(X0 + 40, Y0, X0 + 41, Y0 + 1)], levels=[2, 1])
    read = read_footprints(path, target_crs=UTM36)
    assert read.mesh.count == 2
    assert read.mesh.table["footprint_area"].tolist() == pytest.approx([140.0, 1.0])
    assert read.mesh.table["height"].tolist() == pytest.approx([6.4, 3.2])
    assert read.report.height_sources == {"levels": 2}
    assert np.count_nonzero(read.mesh.triangle_building == 0) == 2 * 8 + 2 * 2
    check_mesh(read.mesh)


def test_bow_tie_is_repaired_and_counted(tmp_path: Path) -> None:
    bow_tie = Polygon([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10)])
    assert not bow_tie.is_valid
    path = write(tmp_path, "bowtie.gpkg", [bow_tie, box(X0 + 20, Y0, X0 + 30, Y0 + 5)])
    read = read_footprints(path, target_crs=UTM36)
    assert read.report.repaired == 1
    assert read.report.dropped == {}
    assert read.mesh.count == 2
    assert shapely.is_valid(read.mesh.footprints).all()
    assert read.mesh.table["footprint_area"][0] == pytest.approx(50.0)  # two 25 m² triangles
    assert "1 invalid footprint(s) repaired" in read.report.lines()
    check_mesh(read.mesh)


def test_slivers_are_removed_and_counted(tmp_path: Path) -> None:
    with_sliver = MultiPolygon(
        [box(X0, Y0, X0 + 10, Y0 + 10), box(X0 + 20, Y0, X0 + 30, Y0 + 0.002)]
    )
    sliver = box(X0 + 40, Y0, X0 + 60, Y0 + 0.01)
    path = write(tmp_path, "slivers.gpkg", [with_sliver, sliver, box(X0, Y0 + 20, X0 + 1, Y0 + 21)])
    read = read_footprints(path, target_crs=UTM36)
    assert read.mesh.table["footprint_area"].tolist() == pytest.approx([100.0, 1.0])
    assert read.report.repaired == 1
    assert read.report.dropped == {"sliver (under 0.05 m wide)": 1}
    check_mesh(read.mesh)


def test_no_height_data_uses_type_defaults_then_the_default_height(tmp_path: Path) -> None:
    geoms = [box(X0 + 20 * i, Y0, X0 + 20 * i + 10, Y0 + 10) for i in range(4)]
    path = write(tmp_path, "plain.geojson", geoms, building=["house", "Church", "yes", None])
    read = read_footprints(path, target_crs=UTM36, default_height=7.5)
    assert read.mesh.table["height"].tolist() == [6.5, 15.0, 7.5, 7.5]
    assert read.report.height_sources == {"type default": 4}
    bare = write(tmp_path, "bare.fgb", geoms[:2])
    read = read_footprints(bare, target_crs=UTM36, default_height=11.0)
    assert read.mesh.table["height"].tolist() == [11.0, 11.0]
    assert read.mesh.table["building_id"].tolist() == ["0", "1"]  # feature ids


def test_text_heights_parsed_and_nonsense_rejected_and_counted(tmp_path: Path) -> None:
    texts = ["12 m", "40 ft", "abc", "-5", "1e9", None]
    geoms = [box(X0 + 20 * i, Y0, X0 + 20 * i + 10, Y0 + 10) for i in range(len(texts))]
    path = write(tmp_path, "heights.gpkg", geoms, height=texts,
                 building_levels=[None, None, "3", None, None, None])  # fmt: skip
    read = read_footprints(path, target_crs=UTM36, default_height=9.0)
    table = read.mesh.table
    assert table["height"].tolist() == pytest.approx([12.0, 12.192, 9.6, 9.0, 9.0, 9.0])
    assert table["height_source"].tolist() == ["attribute"] * 2 + ["levels"] + ["type default"] * 3
    assert read.report.rejected_heights == {
        "height: not a number": 1,
        "height: negative": 1,
        "height: over 1000 m": 1,
    }
    assert table["height (source)"].tolist()[:3] == ["12 m", "40 ft", "abc"]
    numbers = write(tmp_path, "numbers.shp", geoms[:3], height=[-5.0, 1e9, 20.0])
    read = read_footprints(numbers, target_crs=UTM36)
    assert read.report.rejected_heights == {"height: negative": 1, "height: over 1000 m": 1}
    assert read.mesh.table["height"].tolist() == [9.0, 9.0, 20.0]


@pytest.mark.parametrize("source", ["EPSG:4326", "EPSG:3857"])
def test_reprojection_to_utm(tmp_path: Path, source: str) -> None:
    corners = np.array([(35.5, 31.5), (35.5006, 31.5), (35.5006, 31.5004), (35.5, 31.5004)])
    to_source = Transformer.from_crs("EPSG:4326", source, always_xy=True)
    xy = np.column_stack(to_source.transform(corners[:, 0], corners[:, 1]))
    path = write(tmp_path, "wgs.gpkg", [Polygon(xy)], crs=source, height=[10.0])
    read = read_footprints(path, target_crs=UTM36)
    expected = np.column_stack(
        Transformer.from_crs("EPSG:4326", UTM36, always_xy=True).transform(*corners.T)
    )
    for x, y in expected:
        distance = np.hypot(read.mesh.vertices[:, 0] - x, read.mesh.vertices[:, 1] - y).min()
        assert distance < 1e-3
    assert read.source_crs == source
    auto = read_footprints(path, target_crs=None)
    assert auto.target_crs == UTM36  # 35.5 E is in zone 36
    np.testing.assert_allclose(auto.mesh.vertices, read.mesh.vertices)


def test_mixed_geometries_are_dropped_with_reasons(tmp_path: Path) -> None:
    geoms = [
        box(35.0, 31.0, 35.0001, 31.0001),
        Point(35.0, 31.0),
        LineString([(35.0, 31.0), (35.1, 31.1)]),
        None,
        Polygon([(35.0, 31.0), (35.1, 31.0), (35.2, 31.0)]),  # no area
    ]
    path = write(tmp_path, "mixed.geojson", geoms, crs="EPSG:4326", label=list("abcde"))
    read = read_footprints(path, target_crs=UTM36)
    assert read.mesh.count == 1
    assert read.mesh.table["label"].tolist() == ["a"]
    assert sum(read.report.dropped.values()) == 4
    assert read.report.dropped["points or lines, not polygons"] == 2
    assert read.report.dropped["no geometry"] == 1


def one_line(err: pytest.ExceptionInfo[BaseException], path: Path | str) -> str:
    message = str(err.value)
    assert message.startswith(str(path)) and "\n" not in message
    return message


def test_points_only_files_are_refused(tmp_path: Path) -> None:
    for name in ("points.gpkg", "points.geojson"):
        path = write(tmp_path, name, [Point(X0, Y0), Point(X0 + 1, Y0)])
        with pytest.raises(ReaderError) as err:
            read_footprints(path, target_crs=UTM36)
        assert "no polygon layer" in one_line(err, path)
    mixed = write(tmp_path, "lines.geojson", [LineString([(0, 0), (1, 1)]), Point(2, 2)],
                  crs="EPSG:4326")  # fmt: skip
    with pytest.raises(ReaderError) as err:
        read_footprints(mixed, target_crs=UTM36)
    assert "no polygon features (2 points or lines" in one_line(err, mixed)


def test_empty_truncated_and_garbage_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.gpkg"
    empty.write_bytes(b"")
    with pytest.raises(ReaderError) as err:
        read_footprints(empty, target_crs=UTM36)
    assert "empty" in one_line(err, empty)
    nothing = tmp_path / "nothing.geojson"
    nothing.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(ReaderError) as err:
        read_footprints(nothing, target_crs=UTM36)
    assert "no features" in one_line(err, nothing)
    truncated = tmp_path / "truncated.gpkg"
    data = HELSINKI.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ReaderError) as err:
        read_footprints(truncated, target_crs=UTM36)
    assert "cannot read" in one_line(err, truncated)
    assert isinstance(err.value.__cause__, pyogrio.errors.DataSourceError)
    garbage = tmp_path / "garbage.shp"
    garbage.write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(ReaderError) as err:
        read_footprints(garbage, target_crs=UTM36)
    one_line(err, garbage)
    with pytest.raises(ReaderError) as err:
        read_footprints(tmp_path / "missing.gpkg", target_crs=UTM36)
    assert "does not exist" in one_line(err, tmp_path / "missing.gpkg")
    with pytest.raises(ReaderError) as err:
        read_footprints(tmp_path, target_crs=UTM36)
    assert "folder" in one_line(err, tmp_path)


@pytest.mark.timeout(30)
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_fifo_and_devices_are_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.gpkg"
    os.mkfifo(fifo)
    with pytest.raises(ReaderError) as err:
        read_footprints(fifo, target_crs=UTM36)
    assert "not a regular file" in one_line(err, fifo)
    assert sniff_footprints(fifo) == 1.0  # by name only: never opened
    json_fifo = tmp_path / "pipe.geojson"
    os.mkfifo(json_fifo)
    assert 0.0 < sniff_footprints(json_fifo) < 0.9
    if Path("/dev/zero").exists():
        with pytest.raises(ReaderError, match="not a regular file"):
            read_footprints("/dev/zero", target_crs=UTM36)


def test_shapefile_without_prj_needs_an_assumed_crs(tmp_path: Path) -> None:
    path = write(tmp_path, "noprj.shp", [box(X0, Y0, X0 + 10, Y0 + 10)], height=[5.0])
    path.with_suffix(".prj").unlink()
    with pytest.raises(MissingCRSError) as err:
        read_footprints(path, target_crs=UTM36)
    assert "no coordinate reference system" in one_line(err, path)
    read = read_footprints(path, target_crs=None, assume_crs="EPSG:32636")
    assert read.source_crs == read.target_crs == UTM36
    assert read.mesh.table["height"].tolist() == [5.0]


def test_bad_target_crs_and_unknown_attribute(tmp_path: Path) -> None:
    path = write(tmp_path, "one.gpkg", [box(X0, Y0, X0 + 10, Y0 + 10)], h=[5.0])
    with pytest.raises(CRSError) as err:
        read_footprints(path, target_crs="EPSG:4326")
    assert "not projected in metres" in one_line(err, path)
    with pytest.raises(ReaderError) as err:
        read_footprints(path, target_crs=UTM36, height_attribute="hoogte")
    assert "'hoogte'" in one_line(err, path)
    read = read_footprints(path, target_crs=UTM36, height_attribute="h")
    assert read.mesh.table["height"].tolist() == [5.0]


OSM_XML = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="hand">
  <node id="1" lat="31.5000" lon="35.5000"/><node id="2" lat="31.5000" lon="35.5003"/>
  <node id="3" lat="31.5002" lon="35.5003"/><node id="4" lat="31.5002" lon="35.5000"/>
  <node id="5" lat="31.5010" lon="35.5000"/><node id="6" lat="31.5010" lon="35.5003"/>
  <node id="7" lat="31.5012" lon="35.5003"/><node id="8" lat="31.5012" lon="35.5000"/>
  <node id="9" lat="31.5020" lon="35.5000"/><node id="10" lat="31.5020" lon="35.5003"/>
  <node id="11" lat="31.5022" lon="35.5003"/>
  <way id="100"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/>
    <tag k="building" v="yes"/><tag k="height" v="10"/></way>
  <way id="101"><nd ref="5"/><nd ref="6"/><nd ref="7"/><nd ref="8"/><nd ref="5"/>
    <tag k="building" v="apartments"/><tag k="building:levels" v="4"/></way>
  <way id="102"><nd ref="9"/><nd ref="10"/><nd ref="11"/><nd ref="9"/>
    <tag k="landuse" v="grass"/></way>
</osm>
"""


def test_osm_extract(tmp_path: Path) -> None:
    path = tmp_path / "two.osm"
    path.write_text(OSM_XML)
    read = read_footprints(path, target_crs=None)
    assert (read.source_crs, read.target_crs) == ("EPSG:4326", UTM36)
    table = read.mesh.table
    assert table["building_id"].tolist() == ["100", "101"]  # the grass is not a building
    assert table["height"].tolist() == pytest.approx([10.0, 12.8])
    assert table["height_source"].tolist() == ["attribute", "levels"]
    assert table["building"].tolist() == ["yes", "apartments"]
    check_mesh(read.mesh)


def test_zipped_shapefile_flatgeobuf_and_json(tmp_path: Path) -> None:
    shp = write(tmp_path, "b.shp", [box(35.5, 31.5, 35.5005, 31.5005)], crs="EPSG:4326",
                height=[8.0])  # fmt: skip
    zipped = tmp_path / "b.shp.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        for part in tmp_path.glob("b.*"):
            if part != zipped:
                archive.write(part, part.name)
    for path in (shp, zipped):
        assert read_footprints(path, target_crs=UTM36).mesh.table["height"].tolist() == [8.0]
    fgb = write(tmp_path, "b.fgb", [box(X0, Y0, X0 + 5, Y0 + 5)], height=[3.0])
    plain = write(tmp_path, "b.json", [box(35.5, 31.5, 35.5005, 31.5005)], crs="EPSG:4326",
                  height=[4.0])  # fmt: skip
    assert read_footprints(fgb, target_crs=UTM36).mesh.count == 1
    assert read_footprints(plain, target_crs=UTM36).target_crs == UTM36
    assert sniff_footprints(zipped) == 1.0


def test_progress_and_cancel(tmp_path: Path) -> None:
    seen: list[float] = []
    read_footprints(HELSINKI, target_crs=None, progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    with pytest.raises(LoadCancelled):
        read_footprints(HELSINKI, target_crs=None, cancelled=lambda: True)
    calls = iter(range(100))
    with pytest.raises(LoadCancelled):  # cancelled part way
        read_footprints(HELSINKI, target_crs=None, cancelled=lambda: next(calls) >= 3)


def test_sniff(tmp_path: Path) -> None:
    assert {".gpkg", ".geojson", ".shp", ".fgb", ".osm", ".osm.pbf"} <= set(FOOTPRINT_EXTENSIONS)
    feature_collection = tmp_path / "a.json"
    feature_collection.write_text('{"type": "FeatureCollection", "features": []}')
    city = tmp_path / "b.json"
    city.write_text('{"type": "CityJSON", "version": "2.0"}')
    other = tmp_path / "c.json"
    other.write_text('{"hello": 1}')
    notes = tmp_path / "d.zip"
    with zipfile.ZipFile(notes, "w") as archive:
        archive.writestr("readme.txt", "hi")
    assert sniff_footprints(feature_collection) == 0.9
    assert sniff_footprints(city) == 0.0
    assert sniff_footprints(other) < 0.5
    assert sniff_footprints(notes) == 0.0
    assert sniff_footprints(HELSINKI) == 1.0
    assert sniff_footprints(tmp_path / "x.city.json") == 0.0
    assert sniff_footprints(tmp_path / "x.tif") == 0.0


def test_extrude_directly() -> None:
    square = box(0, 0, 4, 3)
    ell = Polygon([(10, 0), (14, 0), (14, 1), (11, 1), (11, 4), (10, 4)])
    footprints = np.array([square, None, ell, Polygon()], dtype=object)
    vertices, triangles, owner, surface = extrude_footprints(footprints, np.array([2, 1, 5, 1.0]))
    assert vertices.shape == (3 * (4 + 6), 3)
    assert np.bincount(owner, minlength=4).tolist() == [8 + 2, 0, 12 + 4, 0]
    assert np.bincount(surface).tolist() == [20, 6]
    a, b, c = (vertices[triangles[:, k]] for k in range(3))
    roof_area = 0.5 * np.cross(b - a, c - a)[surface == SURFACE_ROOF, 2]
    assert np.all(roof_area > 0)
    assert roof_area.sum() == pytest.approx(12.0 + 7.0)
    empty = extrude_footprints(np.array([], dtype=object), np.array([]))
    assert [x.shape for x in empty] == [(0, 3), (0, 3), (0,), (0,)]
    with pytest.raises(ValueError, match="must be > 0"):
        extrude_footprints(np.array([square]), np.array([0.0]))
    with pytest.raises(ValueError, match="1 footprints but 2 heights"):
        extrude_footprints(np.array([square]), np.array([1.0, 2.0]))


def test_repair_footprints_directly() -> None:
    bow_tie = Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])
    collection = shapely.GeometryCollection([Point(0, 0), box(0, 0, 2, 2)])
    with_sliver = MultiPolygon([box(0, 0, 10, 10), box(20, 0, 30, 0.001)])
    inputs = [box(0, 0, 1, 1), None, Point(0, 0), Polygon(), bow_tie, collection, with_sliver]
    geoms, reasons, repaired = repair_footprints(np.array(inputs, dtype=object), min_width=0.05)
    assert list(reasons) == [
        None, None, "points or lines, not polygons", "empty geometry", None, None, None,
    ]  # fmt: skip
    assert repaired.tolist() == [False, False, False, False, True, False, True]
    assert shapely.area(geoms[[0, 4, 5, 6]]).tolist() == pytest.approx([1.0, 50.0, 4.0, 100.0])
    assert shapely.is_valid(geoms[[0, 4, 5, 6]]).all()
