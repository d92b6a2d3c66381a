"""Exporting placed assets to GeoPackage and GeoJSON, read back by geopandas, and importing."""

from __future__ import annotations

import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from pyproj import CRS, Transformer

from twinscape.geo.design_checks import assess_layer
from twinscape.io.catalogue import load_catalogue
from twinscape.io.dem import read_dem
from twinscape.io.kinds import kind_for_path
from twinscape.io.loading import open_data_files
from twinscape.io.placed_export import ExportError, export_assets, import_assets
from twinscape.model.errors import ReaderError
from twinscape.model.placed import PlacedAsset, PlacedAssetsLayer

X, Y = 747_250.0, 3_527_500.0
UTM = "EPSG:32636"


@pytest.fixture(scope="module")
def layer() -> PlacedAssetsLayer:
    """A loaded layer of a turbine, a road, a solar farm and a pad on the demo DEM."""
    repo = Path(__file__).resolve().parents[2]
    grid = read_dem(repo / "assets" / "dem" / "deadsea_n31e035_srtm3_utm36n_90m.tif").grid
    assets = (
        PlacedAsset(entry="wind_turbine", coords=((X, Y),), rotation_deg=15.0, name="T1",
                    params={"hub_height_m": 120.0}),  # fmt: skip
        PlacedAsset(entry="road", coords=((X, Y), (X + 900, Y + 300), (X + 2500, Y + 1800))),
        PlacedAsset(entry="solar_farm", coords=((X + 200, Y - 600), (X + 900, Y - 600),
                                                (X + 900, Y - 100), (X + 200, Y - 100))),
        PlacedAsset(entry="building_pad", coords=((X - 300, Y), (X - 200, Y), (X - 200, Y + 80),
                                                  (X - 300, Y + 80))),
    )  # fmt: skip
    return PlacedAssetsLayer(name="plan", assets=assets, catalogue=load_catalogue(),
                             ground=(grid,))  # fmt: skip


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson"])
def test_export_in_the_project_crs_reads_back_with_geopandas(
    tmp_path: Path, layer: PlacedAssetsLayer, suffix: str
) -> None:
    path = export_assets(layer, tmp_path / f"plan{suffix}", project_crs=UTM)
    frame = gpd.read_file(path)
    assert CRS.from_user_input(frame.crs) == CRS.from_user_input(UTM)
    assert len(frame) == 4 and list(frame["id"]) == [a.id for a in layer.assets]
    assert list(frame.geom_type) == ["Point", "LineString", "Polygon", "Polygon"]
    assert list(frame["twinscape_entry"]) == ["wind_turbine", "road", "solar_farm",
                                              "building_pad"]  # fmt: skip
    assert list(frame["type"]) == ["Wind turbine", "Road", "Solar farm", "Building pad"]
    assert list(frame["geom_type"]) == ["point", "line", "polygon", "polygon"]
    turbine, road, solar, pad = (frame.iloc[i] for i in range(4))
    assert turbine["name"] == "T1" and turbine["rotation_deg"] == 15.0
    assert turbine["hub_height_m"] == 120.0 and turbine["rotor_diameter_m"] == 130.0
    assert math.isnan(road["hub_height_m"]) or road["hub_height_m"] is None
    assert road["width_m"] == 7.3 and road["max_grade_pct"] == 8.0  # the limit
    assert road["steepest_grade_pct"] == pytest.approx(
        assess_layer(layer)[layer.assets[1].id].max_grade_pct)  # fmt: skip
    assessments = assess_layer(layer)
    expected = assessments[layer.assets[1].id]
    assert road["length_m"] == pytest.approx(expected.length_m)
    assert road["cut_m3"] == pytest.approx(expected.cut_m3)
    assert road["fill_m3"] == pytest.approx(expected.fill_m3)
    assert road["status"] == expected.status
    assert solar["area_m2"] == pytest.approx(350_000.0) and solar["slope_deg"] >= 0
    assert pad["cut_m3"] == pytest.approx(pad["fill_m3"]) and pad["base_z"] < -250
    assert turbine["base_z"] == pytest.approx(assessments[layer.assets[0].id].base_z)
    assert tuple(turbine.geometry.coords[0]) == (X, Y)
    assert list(solar.geometry.exterior.coords)[:-1] == list(layer.assets[2].coords)
    assert not list(tmp_path.glob(".*tmp*"))  # the temporary file was renamed


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson"])
def test_export_in_wgs84_matches_pyproj(
    tmp_path: Path, layer: PlacedAssetsLayer, suffix: str
) -> None:
    path = export_assets(layer, tmp_path / f"plan{suffix}", project_crs=UTM, crs="EPSG:4326")
    frame = gpd.read_file(path)
    assert CRS.from_user_input(frame.crs).to_epsg() == 4326
    to_lonlat = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
    for geometry, asset in zip(frame.geometry, layer.assets):
        xy = np.asarray(asset.coords)
        lon, lat = to_lonlat.transform(xy[:, 0], xy[:, 1])
        got = np.asarray(geometry.exterior.coords if geometry.geom_type == "Polygon"
                         else geometry.coords)[: len(xy)]  # fmt: skip
        assert got[:, 0] == pytest.approx(lon, abs=1e-9)
        assert got[:, 1] == pytest.approx(lat, abs=1e-9)
        assert 35.5 < got[0, 0] < 35.7 and 31.8 < got[0, 1] < 31.9  # east of the Jordan
    if suffix == ".geojson":
        head = path.read_bytes()[:4096]
        assert b'"twinscape_entry"' in head and json.loads(path.read_text())["features"]


@pytest.mark.parametrize("crs", [None, "EPSG:4326"])
@pytest.mark.parametrize("suffix", [".gpkg", ".geojson"])
def test_import_gives_back_the_assets(
    tmp_path: Path, layer: PlacedAssetsLayer, suffix: str, crs: str | None
) -> None:
    path = export_assets(layer, tmp_path / f"plan{suffix}", project_crs=UTM, crs=crs)
    assert layer.catalogue is not None
    assets = import_assets(path, project_crs=UTM, catalogue=layer.catalogue)
    assert len(assets) == len(layer.assets)
    for got, want in zip(assets, layer.assets):
        assert (got.id, got.entry, got.name, dict(got.params)) == (
            want.id, want.entry, want.name, dict(want.params))  # fmt: skip
        assert got.rotation_deg == pytest.approx(want.rotation_deg)
        assert np.asarray(got.coords) == pytest.approx(np.asarray(want.coords), abs=1e-6)
    assert kind_for_path(path).name == "placed"  # above the footprints reader


def test_an_export_opens_as_a_placed_layer_on_the_terrain(
    tmp_path: Path, layer: PlacedAssetsLayer, demo_utm: Path
) -> None:
    path = export_assets(layer, tmp_path / "plan.geojson", project_crs=UTM, crs="EPSG:4326")
    project, warnings = open_data_files([demo_utm, path])
    assert warnings == [] and project.crs == UTM
    placed = project.layers[1]
    assert isinstance(placed, PlacedAssetsLayer) and placed.loaded
    assert placed.import_from is None and placed.name == "plan"
    assert [a.id for a in placed.assets] == [a.id for a in layer.assets]
    assert placed.ground[0] is project.layers[0].grid
    assert np.asarray(placed.assets[1].coords) == pytest.approx(
        np.asarray(layer.assets[1].coords), abs=1e-6)  # fmt: skip
    alone, _ = open_data_files([path])  # no project CRS yet: the UTM zone of the data
    assert alone.crs == UTM and len(alone.layers[0].assets) == 4


def test_bad_files_give_one_line_errors(tmp_path: Path, layer: PlacedAssetsLayer) -> None:
    catalogue = layer.catalogue
    assert catalogue is not None
    plain = tmp_path / "plain.geojson"
    gpd.GeoDataFrame({"name": ["a"]}, geometry=gpd.points_from_xy([X], [Y]), crs=UTM).to_file(
        plain)  # fmt: skip
    with pytest.raises(ReaderError, match="has no twinscape_entry column"):
        import_assets(plain, project_crs=UTM, catalogue=catalogue)
    assert kind_for_path(plain).name != "placed"  # an ordinary vector file
    odd = tmp_path / "odd.gpkg"
    gpd.GeoDataFrame({"twinscape_entry": ["road", "maglev"]},
                     geometry=gpd.points_from_xy([X, X], [Y, Y]), crs=UTM).to_file(odd)
    with pytest.raises(ReaderError, match=r"feature 1: a Point where its entry needs a line"):
        import_assets(odd, project_crs=UTM, catalogue=catalogue)
    gpd.GeoDataFrame({"twinscape_entry": ["water_tank", "maglev"]},
                     geometry=gpd.points_from_xy([X, X], [Y, Y]), crs=UTM).to_file(odd)
    with pytest.raises(ReaderError, match=r"feature 2: catalogue entry 'maglev' is unknown"):
        import_assets(odd, project_crs=UTM, catalogue=catalogue)
    with pytest.raises(ReaderError, match="file does not exist"):
        import_assets(tmp_path / "none.gpkg", project_crs=UTM, catalogue=catalogue)
    with pytest.raises(ExportError, match=r"cannot export to \.kml; use \.gpkg or \.geojson"):
        export_assets(layer, tmp_path / "plan.kml", project_crs=UTM)
    with pytest.raises(ExportError, match="could not be written"):
        export_assets(layer, tmp_path / "no" / "such" / "plan.gpkg", project_crs=UTM)


def test_exports_replace_the_old_file_and_keep_edited_values(
    tmp_path: Path, layer: PlacedAssetsLayer
) -> None:
    path = tmp_path / "plan.gpkg"
    path.write_bytes(b"an old export")
    export_assets(layer, path, project_crs=UTM)
    frame = gpd.read_file(path)
    frame.loc[0, "hub_height_m"] = 140.0  # edited in a GIS
    frame.loc[1, "width_m"] = 7.3  # unchanged: stays the entry's
    frame.to_file(path, layer="placed_assets")
    assert layer.catalogue is not None
    turbine, road, *_ = import_assets(path, project_crs=UTM, catalogue=layer.catalogue)
    assert dict(turbine.params) == {"hub_height_m": 140.0} and dict(road.params) == {}
    empty = PlacedAssetsLayer(name="none", catalogue=layer.catalogue)
    export_assets(empty, path, project_crs=UTM)
    assert len(gpd.read_file(path)) == 0
