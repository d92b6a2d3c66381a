"""Placed assets against the buildings already there: roads through houses, turbines on roofs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
import trimesh
from shapely.geometry import box

from twinscape.geo.design_checks import assess, assess_layer
from twinscape.geo.ground import ground_grids
from twinscape.io.catalogue import load_catalogue
from twinscape.io.loading import apply_load, open_data_files, read_layer, reobstruct
from twinscape.io.models3d import read_model
from twinscape.model.buildings import BuildingsLayer
from twinscape.model.catalogue import Catalogue
from twinscape.model.models3d import ModelLayer, ModelPlacement
from twinscape.model.obstacles import Obstacles
from twinscape.model.placed import PlacedAsset, PlacedAssetsLayer

REPO = Path(__file__).resolve().parents[2]
DEMO_UTM = REPO / "assets" / "dem" / "deadsea_n31e035_srtm3_utm36n_90m.tif"
NEWTOWN = REPO / "assets" / "buildings" / "deadsea_newtown_plan.gpkg"

ROAD_HALF_WIDTH = 7.3 / 2  # the built-in "road" entry is 7.3 m wide


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def town(*boxes: tuple[float, float, float, float]) -> Obstacles:
    """Buildings b1, b2, ... with the given (xmin, ymin, xmax, ymax) footprints."""
    shapes = np.array([box(*b) for b in boxes], dtype=object)
    return Obstacles("Town", "building", shapes, tuple(f"b{i + 1}" for i in range(len(boxes))))


def issues_of(asset: PlacedAsset, catalogue: Catalogue, *layers: Obstacles) -> tuple[str, ...]:
    return assess(asset, catalogue, (), obstacles=layers).issues[1:]  # [0]: no terrain


def test_a_road_corridor_crosses_a_building_within_half_its_width(catalogue) -> None:  # type: ignore[no-untyped-def]
    # centre line y = 0; b1's south wall 0.1 m inside the corridor, b2's 0.1 m outside
    layer = town((10, ROAD_HALF_WIDTH - 0.1, 30, 20), (40, ROAD_HALF_WIDTH + 0.1, 60, 20))
    road = PlacedAsset(entry="road", coords=((0, 0), (100, 0)))
    result = assess(road, catalogue, (), obstacles=(layer,))
    assert result.status == "fail"
    assert result.issues[1:] == ("crosses 1 building of layer 'Town': b1",)
    # a track (4 m wide) on the same line passes both
    track = PlacedAsset(entry="track", coords=((0, 0), (100, 0)))
    assert issues_of(track, catalogue, layer) == ()


def test_power_lines_pass_over_and_pipelines_run_under_with_a_warning(catalogue) -> None:  # type: ignore[no-untyped-def]
    layer = town((10, -5, 30, 5))
    for entry, verb in (("power_line", "passes over"), ("pipeline", "runs under")):
        line = PlacedAsset(entry=entry, coords=((0, 0), (100, 0)))
        result = assess(line, catalogue, (), obstacles=(layer,))
        assert result.status == "warn"
        assert result.issues[1:] == (f"{verb} 1 building of layer 'Town': b1",)


def test_a_turbine_stands_on_a_building_its_round_footprint_reaches(catalogue) -> None:  # type: ignore[no-untyped-def]
    layer = town((0, 0, 20, 20))  # the built-in turbine's footprint is 20 m across
    near = PlacedAsset(entry="wind_turbine", coords=((29.9, 10),))
    far = PlacedAsset(entry="wind_turbine", coords=((30.1, 10),))
    assert issues_of(near, catalogue, layer) == ("stands on 1 building of layer 'Town': b1",)
    assert issues_of(far, catalogue, layer) == ()


def test_a_solar_farm_covering_a_block_names_three_and_counts_the_rest(catalogue) -> None:  # type: ignore[no-untyped-def]
    layer = town(*[(30 * i, 0, 30 * i + 20, 20) for i in range(5)], (500, 500, 520, 520))
    farm = PlacedAsset(entry="solar_farm", coords=((-10, -10), (200, -10), (200, 50), (-10, 50)))
    result = assess(farm, catalogue, (), obstacles=(layer,))
    assert result.status == "fail"
    assert result.issues[1:] == ("covers 5 buildings of layer 'Town': b1, b2, b3 and 2 more",)


def test_each_layer_is_reported_apart(catalogue) -> None:  # type: ignore[no-untyped-def]
    other = Obstacles("Old town", "building", np.array([box(60, -2, 70, 2)], dtype=object), ("x",))
    road = PlacedAsset(entry="road", coords=((0, 0), (100, 0)))
    assert issues_of(road, catalogue, town((10, -2, 20, 2)), other) == (
        "crosses 1 building of layer 'Town': b1",
        "crosses 1 building of layer 'Old town': x",
    )


def test_a_placed_3d_model_is_in_the_way_where_it_stands_now(catalogue, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "depot.glb"
    trimesh.creation.box(extents=(2.0, 6.0, 4.0)).export(path)  # glTF y up: 2 x 4 on the map
    placement = ModelPlacement(x=0.0, y=0.0, scale=10.0)  # 20 m x 40 m
    model = ModelLayer(name="Depot", source=path, mesh=read_model(path), placement=placement)
    road = PlacedAsset(entry="road", coords=((-100, 15), (100, 15)))  # 15 + 3.65 < 20
    here = model.occupied_ground()
    assert here is model.occupied_ground()  # kept while it stays: assessments stay cached
    assert issues_of(road, catalogue, here) == ("crosses 1 model of layer 'Depot': depot.glb",)
    model.placement = replace(placement, y=-10.0)  # its north edge now 10 m: 1.35 m clear
    moved = model.occupied_ground()
    assert moved is not here and issues_of(road, catalogue, moved) == ()


def test_a_layers_assessments_follow_its_obstacles(catalogue) -> None:  # type: ignore[no-untyped-def]
    road = PlacedAsset(entry="road", coords=((0, 0), (100, 0)))
    layer = PlacedAssetsLayer(name="plan", assets=(road,), catalogue=catalogue)
    assert assess_layer(layer)[road.id].issues[1:] == ()
    layer.obstacles = (town((10, -2, 20, 2)),)
    assert assess_layer(layer)[road.id].status == "fail"
    layer.obstacles = ()
    assert assess_layer(layer)[road.id].issues[1:] == ()


def test_placed_assets_on_the_demo_town_are_checked_against_its_buildings() -> None:
    """A road through a planned building, found again by geopandas from the file itself."""
    project, _ = open_data_files([DEMO_UTM, NEWTOWN])
    terrain, buildings = project.layers
    assert isinstance(buildings, BuildingsLayer)
    frame = gpd.read_file(NEWTOWN).to_crs(project.crs)
    target = frame.geometry.iloc[0]
    cx, cy = target.centroid.x, target.centroid.y
    through = PlacedAsset(entry="road", coords=((cx - 40, cy), (cx + 40, cy)))
    layer = PlacedAssetsLayer(name="plan", assets=(through,))
    ground = ground_grids(project.layers)
    placed = apply_load(project, read_layer(layer, project_crs=project.crs, ground=ground))
    assert isinstance(placed, PlacedAssetsLayer) and placed.obstacles == (
        buildings.occupied_ground(),
    )

    corridor = shapely.LineString(through.coords).buffer(ROAD_HALF_WIDTH, cap_style="flat")
    crossed = frame[frame.intersects(corridor)]
    assert len(crossed) >= 1 and 0 in crossed.index
    ids = ", ".join(str(i + 1) for i in crossed.index[:3])  # the file has no id: row + 1
    report = assess_layer(placed)[through.id]
    assert report.status == "fail"
    assert f"crosses {len(crossed)} building" in report.issues[-1]
    assert report.issues[-1].endswith(f"of layer {buildings.name!r}: {ids}" + (
        f" and {len(crossed) - 3} more" if len(crossed) > 3 else ""))  # fmt: skip

    project.layers.remove(buildings)  # as the layer tree's Remove does
    reobstruct(project)
    assert placed.obstacles == ()
    assert not any("crosses" in issue for issue in assess_layer(placed)[through.id].issues)
