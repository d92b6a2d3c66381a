"""The analysis kind: settings, project-file keys (errors name the key), recomputation inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from twinscape.io.kinds import kind_for_path, kind_named, kind_of
from twinscape.io.loading import open_project, read_layer
from twinscape.io.project_file import SCHEMA_VERSION, load_project, save_project
from twinscape.model import NoReaderError, Project, ProjectFileError, RasterGrid, TerrainLayer
from twinscape.model.analysis import SLOPE_BREAKS, AnalysisLayer
from twinscape.model.catalogue import Catalogue, CatalogueEntry
from twinscape.model.placed import PlacedAsset, PlacedAssetsLayer
from twinscape.render.analysis_plan import resolve

SAVED = (
    "name", "analysis", "ramp", "breaks", "observer", "observer_asset", "observer_height_m",
    "target_height_m", "radius_m", "curvature", "refraction", "observers", "observers_layer",
    "area", "max_slope_deg", "aspect_tolerance_deg", "exclusions", "exclusions_layer", "year",
    "opacity", "visible",
)  # fmt: skip
SQUARE = ((735_000.0, 3_455_000.0), (745_000.0, 3_455_000.0), (745_000.0, 3_465_000.0),
          (735_000.0, 3_465_000.0))  # fmt: skip


def _layers() -> list[AnalysisLayer]:
    return [
        AnalysisLayer(name="slope", analysis="slope", ramp="viridis",
                      breaks=(0, 2, 8, 30, 90)),  # fmt: skip
        AnalysisLayer(name="aspect", analysis="aspect", visible=False),
        AnalysisLayer(
            name="view", analysis="viewshed", observer=(740_000.5, 3_460_000.25),
            observer_height_m=45.0, target_height_m=1.7, radius_m=15_000.0, curvature=False,
            refraction=0.2,
        ),  # fmt: skip
        AnalysisLayer(name="tower view", analysis="viewshed", observer_asset=("pl1", "t1")),
        AnalysisLayer(
            name="cover", analysis="coverage", observers=((740_000.0, 3_460_000.0, 30.0),),
            observers_layer="pl1", area=SQUARE, radius_m=12_000.0, opacity=0.8,
        ),  # fmt: skip
        AnalysisLayer(
            name="sun", analysis="solar", max_slope_deg=7.5, aspect_tolerance_deg=60.0,
            exclusions=(SQUARE[:3],), exclusions_layer="b1", year=2030,
        ),  # fmt: skip
    ]


def test_every_analysis_survives_save_and_load(tmp_path: Path) -> None:
    project = Project(name="analyses", crs="EPSG:32636")
    made = _layers()
    project.layers.extend(made)
    assert {kind_of(la).name for la in made} == {"analysis"} and all(la.drapes for la in made)
    path = save_project(project, tmp_path / "p.toml")
    loaded, warnings = load_project(path)
    assert warnings == []
    for layer, back in zip(made, loaded.layers, strict=True):
        assert isinstance(back, AnalysisLayer) and back.id == layer.id
        for name in SAVED:
            if name in _unused(layer.analysis):
                continue
            assert getattr(back, name) == getattr(layer, name), (layer.analysis, name)
    load = read_layer(loaded.layers[0], project_crs=loaded.crs)
    assert load.data.values == {} and load.data.crs == "EPSG:32636"


def _unused(analysis: str) -> set[str]:
    """Settings another analysis uses: not written for this one (defaults come back)."""
    sets = {
        "slope": {"ramp", "breaks"},
        "viewshed": {"observer", "observer_asset", "observer_height_m", "target_height_m",
                     "radius_m", "curvature", "refraction"},
        "coverage": {"observers", "observers_layer", "area", "target_height_m", "radius_m",
                     "curvature", "refraction", "observer_height_m"},
        "solar": {"max_slope_deg", "aspect_tolerance_deg", "exclusions", "exclusions_layer",
                  "year"},
    }  # fmt: skip
    used = sets.get(analysis, set())
    return set().union(*sets.values()) - used


def test_summaries_are_data_not_saved(tmp_path: Path) -> None:
    project = Project(name="p", crs="EPSG:32636")
    layer = AnalysisLayer(name="v", analysis="viewshed", observer=(1.0, 2.0))
    layer.summary = {"visible_km2": 12.5, "visible_pct": 40.0, "observer_height_m": 30.0}
    layer.problem = ""
    project.layers.append(layer)
    assert "Visible area 12.50 km\u00b2" in " ".join(layer.describe())
    text = save_project(project, tmp_path / "p.toml").read_text(encoding="utf-8")
    assert "summary" not in text and "visible_km2" not in text
    (back,) = load_project(tmp_path / "p.toml")[0].layers
    assert back.summary == {} and back.describe()[-1].startswith("Radius")


def test_open_project_reads_the_terrain_and_keeps_the_analysis(
    tmp_path: Path, demo_utm: Path
) -> None:
    project = Project(name="p", crs="EPSG:32636")
    project.layers.append(TerrainLayer(name="dem", source=demo_utm))
    project.layers.append(AnalysisLayer(name="slope", analysis="slope"))
    path = save_project(project, tmp_path / "p.toml")
    again, warnings = open_project(path)
    assert warnings == []
    terrain, slope = again.layers
    assert terrain.grid is not None and isinstance(slope, AnalysisLayer) and slope.loaded
    plan = resolve(slope, again.layers)
    assert not isinstance(plan, str) and plan.ground is terrain.grid


def _head(body: str) -> str:
    return (
        f'schema_version = {SCHEMA_VERSION}\n[project]\nname = "x"\ncrs = "EPSG:32636"\n\n'
        f'[[layers]]\nkind = "analysis"\n{body}'
    )


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("", r"\[layers\[0\]\.analysis\] is required"),
        ('analysis = "hillshade"\n', r"\[layers\[0\]\.analysis\] 'hillshade' is not one of"),
        ('analysis = "slope"\nramp = "rainbow"\n', r"\[layers\[0\]\.ramp\] 'rainbow'"),
        ('analysis = "slope"\nbreaks = [0, 20, 10, 90]\n', r"\[layers\[0\]\.breaks\] must incr"),
        ('analysis = "slope"\nbreaks = [5, 90]\n', r"\[layers\[0\]\.breaks\] 2 breaks"),
        ('analysis = "viewshed"\nradius_m = 0\n', r"\[layers\[0\]\.radius_m\] 0 is not within"),
        ('analysis = "viewshed"\nobserver = [1]\n', r"\[layers\[0\]\.observer\] must be a list"),
        ('analysis = "viewshed"\nobserver_asset = ["a"]\n', r"\[layers\[0\]\.observer_asset\]"),
        ('analysis = "viewshed"\ncurvature = "yes"\n', r"\[layers\[0\]\.curvature\] must be t"),
        ('analysis = "coverage"\nobservers = [[1, 2]]\n', r"\[layers\[0\]\.observers\[0\]\]"),
        ('analysis = "coverage"\nobservers = [[1, 2, -5]]\n', r"\[layers\[0\]\.observers\[0\]\] h"),
        ('analysis = "coverage"\narea = [[0, 0], [1, 1]]\n', r"\[layers\[0\]\.area\] a polygon"),
        ('analysis = "solar"\nexclusions = [[[0, 0], [1, 0]]]\n',
         r"\[layers\[0\]\.exclusions\[0\]\] a polygon"),
        ('analysis = "solar"\nyear = 2025.5\n', r"\[layers\[0\]\.year\] must be a whole year"),
        ('analysis = "solar"\nmax_slope_deg = 75\n', r"\[layers\[0\]\.max_slope_deg\] 75"),
    ],
)  # fmt: skip
def test_bad_keys_name_the_key(tmp_path: Path, body: str, match: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text(_head(body), encoding="utf-8")
    with pytest.raises(ProjectFileError, match=match):
        load_project(path)


def test_defaults_and_unknown_keys(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(_head('analysis = "viewshed"\nbogus = 1\n'), encoding="utf-8")
    (layer,), warnings = load_project(path)[0].layers, load_project(path)[1]
    assert layer.name == "Viewshed" and layer.opacity == 0.6 and layer.radius_m == 20_000.0
    assert layer.breaks == SLOPE_BREAKS and layer.observer is None and layer.curvature
    assert len(warnings) == 1 and "[layers[0].bogus] unknown key" in warnings[0]


def test_no_file_is_an_analysis(tmp_path: Path) -> None:
    kind = kind_named("analysis")
    path = tmp_path / "anything.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    assert kind.sniff(path) == 0.0 and kind.extensions == ()
    with pytest.raises(NoReaderError, match="computed from the terrain"):
        kind.new_layer(path, None)
    try:
        assert kind_for_path(path).name != "analysis"
    except NoReaderError:
        pass  # no other kind reads it either


def test_settings_are_validated_naming_the_field() -> None:
    for fields, name in [
        ({"analysis": "hillshade"}, "analysis"),
        ({"analysis": "slope", "ramp": "x"}, "ramp"),
        ({"analysis": "slope", "breaks": (0, 10, 80)}, "breaks"),
        ({"analysis": "viewshed", "radius_m": -1.0}, "radius_m"),
        ({"analysis": "viewshed", "observer_height_m": float("nan")}, "observer_height_m"),
        ({"analysis": "coverage", "area": ((0, 0), (1, 1))}, "area"),
        ({"analysis": "solar", "exclusions": (((0, 0),),)}, r"exclusions\[0\]"),
        ({"analysis": "solar", "year": 1800}, "year"),
    ]:
        with pytest.raises(ValueError, match=f"^{name}"):
            AnalysisLayer(name="a", **fields)


def _grid() -> RasterGrid:
    values = np.arange(100 * 100, dtype=np.float32).reshape(100, 100) % 37
    return RasterGrid(values, (100.0, 0.0, 700_000.0, 0.0, -100.0, 3_500_000.0), "EPSG:32636")


def _placed() -> PlacedAssetsLayer:
    catalogue = Catalogue({
        "tower": CatalogueEntry("tower", "Telecom tower", "point", "tower",
                                params={"antenna_height_m": 40.0}),
        "tank": CatalogueEntry("tank", "Water tank", "point", "tank", params={"height_m": 8.0}),
        "farm": CatalogueEntry("farm", "Solar farm", "polygon", "solar_farm"),
    })  # fmt: skip
    assets = (
        PlacedAsset("tower", ((702_000.0, 3_498_000.0),), id="t1"),
        PlacedAsset("tower", ((705_000.0, 3_495_000.0),), params={"antenna_height_m": 60.0},
                    id="t2"),
        PlacedAsset("tank", ((703_000.0, 3_497_000.0),), id="k1"),
        PlacedAsset("farm", ((701_000.0, 3_491_000.0), (702_000.0, 3_491_000.0),
                             (702_000.0, 3_492_000.0)), id="f1"),
    )  # fmt: skip
    return PlacedAssetsLayer(name="placed", assets=assets, catalogue=catalogue, id="pl1")


def test_the_inputs_follow_the_towers_and_the_settings() -> None:
    grid = _grid()
    terrain = TerrainLayer(name="t", source=Path("/x.tif"), grid=grid)
    placed = _placed()
    view = AnalysisLayer(name="v", analysis="viewshed", observer_asset=("pl1", "t2"))
    cover = AnalysisLayer(name="c", analysis="coverage", observers_layer="pl1")
    sun = AnalysisLayer(name="s", analysis="solar", exclusions_layer="pl1")
    layers = [terrain, placed, view, cover, sun]
    plan = resolve(view, layers)
    assert plan.ground is grid and plan.inputs.observers == ((705_000.0, 3_495_000.0, 60.0),)
    cplan = resolve(cover, layers)
    assert [o[2] for o in cplan.inputs.observers] == [40.0, 60.0], "towers only, not the tank"
    assert len(resolve(sun, layers).inputs.exclusions) == 1, "the solar farm's polygon"
    before = plan.key
    placed.replace_asset(placed.asset("t2").moved(300.0, 0.0))
    moved = resolve(view, layers)
    assert moved.key != before and moved.inputs.observers[0][0] == 705_300.0
    assert resolve(cover, layers).key != cplan.key
    view.radius_m = 5_000.0
    assert resolve(view, layers).key != moved.key
    slope = AnalysisLayer(name="sl", analysis="slope")
    aspect = AnalysisLayer(name="as", analysis="aspect")
    sp, ap = resolve(slope, [terrain, slope]), resolve(aspect, [terrain, aspect])
    assert sp.compute_key == ap.compute_key and sp.key != ap.key, "one computation, two pictures"
    slope.breaks = (0.0, 10.0, 90.0)
    assert resolve(slope, [terrain, slope]).compute_key == sp.compute_key, "colours only"
    placed.remove("t2")
    assert "no longer" in resolve(view, layers)
    assert resolve(slope, [slope, terrain]) == "no terrain below this layer"
