"""The placed kind: assets saved in the project file, reopened on the real DEM."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from twinscape.geo.design_checks import assess_layer
from twinscape.io.kinds import kind_named, kind_of
from twinscape.io.loading import open_project, read_layer
from twinscape.io.project_file import SCHEMA_VERSION, load_project, save_project
from twinscape.model import Project, ProjectFileError
from twinscape.model.placed import PlacedAsset, PlacedAssetsLayer
from twinscape.model.terrain import TerrainLayer
from twinscape.render.placed_geometry import asset_mesh

from catalogue_models import example_catalogue

USER_CATALOGUE = """
schema_version = 1

[[entries]]
key = "wind_turbine"
title = "Wind turbine 6 MW"
geometry = "point"
shape = "turbine"
params = { hub_height_m = 150.0, rotor_diameter_m = 170.0, footprint_m = 25.0, max_slope_deg = 8.0 }

[[entries]]
key = "lookout"
title = "Lookout"
geometry = "point"
shape = "box"
params = { height_m = 6.0 }
"""

# On the Jordan valley floor near the demo buildings (EPSG:32636), under 2 degrees of slope.
X, Y = 747_250.0, 3_527_500.0


def _assets() -> tuple[PlacedAsset, ...]:
    return (
        PlacedAsset(entry="wind_turbine", coords=((X, Y),), rotation_deg=30.0, name="T1"),
        PlacedAsset(entry="road", coords=((X, Y), (X + 800, Y + 200), (X + 1500, Y + 900)),
                    params={"width_m": 9.0}),  # fmt: skip
        PlacedAsset(entry="building_pad", coords=((X, Y), (X + 60, Y), (X + 60, Y + 40)),
                    params={"pad_elevation_m": math.nan}),  # fmt: skip
        PlacedAsset(entry="lookout", coords=((X + 100, Y + 100),), name="Hill lookout"),
    )


def test_assets_and_a_user_catalogue_survive_save_and_reopen(
    tmp_path: Path, demo_utm: Path
) -> None:
    user = tmp_path / "catalogues" / "mine.toml"
    user.parent.mkdir()
    user.write_text(USER_CATALOGUE, encoding="utf-8")
    project = Project(name="wind farm", crs="EPSG:32636")
    project.layers.append(TerrainLayer(name="dem", source=demo_utm))
    layer = PlacedAssetsLayer(name="Wind farm", assets=_assets(), catalogue_files=(user,),
                              opacity=0.9)  # fmt: skip
    project.layers.append(layer)
    path = save_project(project, tmp_path / "p.toml")
    text = path.read_text(encoding="utf-8")
    assert 'catalogue_files = [\n    "catalogues/mine.toml",\n]' in text or (
        'catalogue_files = ["catalogues/mine.toml"]' in text)  # fmt: skip
    assert "[[layers.assets]]" in text and "pad_elevation_m = nan" in text

    loaded, warnings = load_project(path)
    assert warnings == []
    back = loaded.layers[1]
    assert isinstance(back, PlacedAssetsLayer) and kind_of(back).name == "placed"
    assert back.catalogue_files == (user.resolve(),) and back.opacity == 0.9
    assert back.assets == layer.assets and back.id == layer.id and not back.loaded

    opened, warnings = open_project(path)
    assert warnings == []
    placed = opened.layers[1]
    assert isinstance(placed, PlacedAssetsLayer) and placed.loaded
    assert placed.assets == layer.assets
    assert placed.ground and placed.ground[0] is opened.layers[0].grid
    assert placed.catalogue is not None
    assert placed.catalogue.get("wind_turbine").param("hub_height_m") == 150.0  # overridden
    assert placed.entry_of(placed.assets[3]) == "Lookout"
    assessments = assess_layer(placed)
    assert set(assessments) == {a.id for a in layer.assets}
    turbine = assessments[layer.assets[0].id]
    assert turbine.status == "ok" and -300 < turbine.base_z < -250  # below sea level
    pad = assessments[layer.assets[2].id]
    assert pad.cut_m3 == pytest.approx(pad.fill_m3, rel=1e-6) and pad.cut_m3 > 0

    save_project(opened, path)  # loaded data is never saved; the assets are
    again, _ = load_project(path)
    assert again.layers[1].assets == layer.assets


def test_assets_of_unknown_entries_are_kept_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(
        f'schema_version = {SCHEMA_VERSION}\n[project]\nname = "x"\ncrs = "EPSG:32636"\n\n'
        '[[layers]]\nkind = "placed"\nname = "Mine"\ncatalogue_files = ["gone.toml"]\n'
        f'[[layers.assets]]\nid = "a1"\nentry = "maglev"\ncoords = [[{X}, {Y}], [{X + 9}, {Y}]]\n'
        'params = { width_m = 12.0 }\n'
        f'[[layers.assets]]\nid = "a2"\nentry = "road"\ncoords = [[{X}, {Y}]]\n',
        encoding="utf-8",
    )
    project, warnings = open_project(path)
    (layer,) = project.layers
    assert isinstance(layer, PlacedAssetsLayer) and layer.loaded
    assert len(warnings) == 3
    assert warnings[0].startswith(str(tmp_path / "gone.toml")) and "file does not exist" in (
        warnings[0])  # fmt: skip
    assert "asset a2 (road): coords: a line needs 2 or more vertices, got 1" in warnings[1]
    assert "'maglev' is in no catalogue file; its 1 asset(s) are kept unchanged" in warnings[2]
    assert assess_layer(layer)["a1"].status == "fail"  # drawn as invalid, but kept
    save_project(project, path)
    text = path.read_text(encoding="utf-8")
    assert 'entry = "maglev"' in text and "width_m = 12.0" in text
    assert load_project(path)[0].layers[0].assets == layer.assets


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ('[[layers.assets]]\nentry = "road"\ncoords = [[1, 2], [3]]\n',
         r"\[layers\[0\]\.assets\[0\]\.coords\[1\]\] must be \[x, y\] finite numbers"),
        ('[[layers.assets]]\nentry = "road"\ncoords = []\n',
         r"\[layers\[0\]\.assets\[0\]\.coords\] must be a list of \[x, y\] pairs"),
        ('[[layers.assets]]\nentry = "road"\ncoords = [[1, 2], [3, nan]]\n',
         r"\[layers\[0\]\.assets\[0\]\.coords\[1\]\] must be \[x, y\] finite"),
        ('[[layers.assets]]\nentry = "mast"\ncoords = [[1, 2]]\n'
         '[[layers.assets]]\ncoords = [[1, 2]]\n',
         r"\[layers\[0\]\.assets\[1\]\.entry\] is required but missing"),
        ('[[layers.assets]]\nentry = "mast"\ncoords = [[1, 2]]\nrotation_deg = "north"\n',
         r"\[layers\[0\]\.assets\[0\]\.rotation_deg\] must be a finite number"),
        ('[[layers.assets]]\nentry = "mast"\ncoords = [[1, 2]]\nparams = { width_m = -3.0 }\n',
         r"\[layers\[0\]\.assets\[0\]\.params\.width_m\] must not be negative"),
        ('[[layers.assets]]\nentry = "mast"\ncoords = [[1, 2]]\nparams = { speed = 3.0 }\n',
         r"\[layers\[0\]\.assets\[0\]\.params\.speed\] unknown parameter"),
        ('[[layers.assets]]\nid = "x"\nentry = "mast"\ncoords = [[1, 2]]\n'
         '[[layers.assets]]\nid = "x"\nentry = "mast"\ncoords = [[3, 4]]\n',
         r"\[layers\[0\]\.assets\[1\]\.id\] 'x' is used by another asset"),
        ('catalogue_files = ["a.toml", 3]\n', r"\[layers\[0\]\.catalogue_files\[1\]\] must be"),
        ('assets = "many"\n', r"\[layers\[0\]\.assets\] must be an array of tables"),
    ],
)
def test_bad_tables_give_errors_naming_the_key(tmp_path: Path, body: str, match: str) -> None:
    path = tmp_path / "p.toml"
    head = (
        f'schema_version = {SCHEMA_VERSION}\n[project]\nname = "x"\ncrs = "EPSG:32636"\n\n'
        '[[layers]]\nkind = "placed"\n'
    )
    path.write_text(head + body, encoding="utf-8")
    with pytest.raises(ProjectFileError, match=match) as caught:
        load_project(path)
    assert str(caught.value).startswith(str(path)) and "\n" not in str(caught.value)


def test_unknown_asset_keys_are_warnings(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(
        f'schema_version = {SCHEMA_VERSION}\n[project]\nname = "x"\n\n[[layers]]\n'
        'kind = "placed"\n[[layers.assets]]\nentry = "mast"\ncoords = [[1, 2]]\ncolour = 3\n',
        encoding="utf-8",
    )
    project, warnings = load_project(path)
    assert len(project.layers[0].assets) == 1 and project.layers[0].name == "Placed assets"
    (warning,) = warnings
    assert "[layers[0].assets[0].colour] unknown key" in warning


def test_reading_restanding_and_no_ground(tmp_path: Path) -> None:
    kind = kind_named("placed")
    layer = PlacedAssetsLayer(name="a", assets=_assets()[:1])
    load = read_layer(layer, project_crs="EPSG:32636")
    assert load.data.crs == "EPSG:32636" and load.data.values["ground"] == ()
    assert load.data.values["catalogue"] is not None and "assets" not in load.data.values
    assert kind.restand is not None and kind.restand(layer, ()) == {"ground": ()}
    assert kind.sniff(tmp_path / "p.toml") == 0.0


def test_a_user_catalogue_with_a_model_survives_save_and_reopen(
    tmp_path: Path, demo_utm: Path
) -> None:
    user, triangles = example_catalogue(tmp_path / "catalogues")
    project = Project(name="links", crs="EPSG:32636")
    project.layers.append(TerrainLayer(name="dem", source=demo_utm))
    mast = PlacedAsset(entry="dish_mast", coords=((X, Y),), rotation_deg=45.0, name="M1")
    project.layers.append(PlacedAssetsLayer(name="Links", assets=(mast,),
                                            catalogue_files=(user,)))  # fmt: skip
    path = save_project(project, tmp_path / "p.toml")
    assert '"catalogues/catalogue_model_mast.toml"' in path.read_text(encoding="utf-8")

    opened, warnings = open_project(path)
    assert warnings == []
    placed = opened.layers[1]
    assert isinstance(placed, PlacedAssetsLayer) and placed.catalogue is not None
    assert placed.assets == (mast,)
    entry = placed.catalogue.get("dish_mast")
    model = placed.catalogue.model_of(entry)
    assert entry.model == (tmp_path / "catalogues" / "dish_mast.glb").resolve()
    assert model is not None and model.count == triangles
    assessment = assess_layer(placed)[mast.id]
    assert assessment.status == "ok" and math.isfinite(assessment.base_z)
    mesh = asset_mesh(mast, placed.catalogue, placed.ground, assessment)
    assert mesh.triangle_count == triangles
    assert mesh.vertices[:, 2].min() == pytest.approx(assessment.base_z)
    assert np.ptp(mesh.vertices[:, 2]) == pytest.approx(12.0)  # 1200 cm at model_scale 0.01

    save_project(opened, path)
    again, _ = load_project(path)
    assert again.layers[1].assets == (mast,)
    assert again.layers[1].catalogue_files == (user.resolve(),)

