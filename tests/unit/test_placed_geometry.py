"""Generated meshes of placed assets (numpy only, no VTK): sizes, draping and repeats."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon

from twinscape.geo.sampling import sample_elevation
from twinscape.model.catalogue import Catalogue, CatalogueEntry
from twinscape.model.models3d import ModelMesh
from twinscape.model.placed import Assessment, PlacedAsset, PlacedAssetsLayer
from twinscape.model.raster import RasterGrid
from twinscape.render.placed_colors import STATUS_RGB
from twinscape.render.placed_geometry import (
    asset_mesh,
    drape_lift,
    layer_mesh,
)
from twinscape.render.placed_mesh import box
from twinscape.render.placed_points import MODEL_STATUS_MIX, model_footprint

CELL = 30.0


def entry(key: str, geometry: str, shape: str, **params: float) -> CatalogueEntry:
    return CatalogueEntry(key, key.title(), geometry, shape, color=(0.8, 0.8, 0.8), params=params)


CATALOGUE = Catalogue({e.key: e for e in (
    entry("turbine", "point", "turbine", hub_height_m=100.0, rotor_diameter_m=130.0,
          footprint_m=20.0),
    entry("tower", "point", "tower", height_m=45.0, antenna_height_m=40.0),
    entry("mast", "point", "mast", height_m=10.0),
    entry("tank", "point", "tank", height_m=12.0, footprint_m=25.0),
    entry("substation", "point", "substation", height_m=8.0, footprint_m=60.0),
    entry("box", "point", "box", height_m=5.0, footprint_m=10.0),
    entry("road", "line", "road", width_m=7.5, max_grade_pct=8.0),
    entry("railway", "line", "railway", width_m=6.0, sleeper_spacing_m=2.5),
    entry("pipeline", "line", "pipeline", diameter_m=1.2),
    entry("power", "line", "powerline", pylon_spacing_m=300.0, pylon_height_m=40.0),
    entry("solar", "polygon", "solar_farm", row_spacing_m=8.0, panel_height_m=2.5),
    entry("pad", "polygon", "pad"),
)})  # fmt: skip


@pytest.fixture(scope="module")
def hills() -> RasterGrid:
    """200 x 200 cells of 30 m: a tilted plane with waves (not planar within a cell)."""
    x = (np.arange(200) + 0.5) * CELL
    y = 6000.0 - (np.arange(200) + 0.5) * CELL
    xx, yy = np.meshgrid(x, y)
    z = 100.0 + 0.04 * xx + 25.0 * np.sin(yy / 310.0) * np.cos(xx / 270.0)
    return RasterGrid(z.astype(np.float32), (CELL, 0.0, 0.0, 0.0, -CELL, 6000.0), "EPSG:32636")


@pytest.fixture(scope="module")
def flat() -> RasterGrid:
    z = np.full((100, 100), 50.0, np.float32)
    return RasterGrid(z, (CELL, 0.0, 0.0, 0.0, -CELL, 3000.0), "EPSG:32636")


def test_turbine_reaches_hub_plus_half_the_rotor_from_its_base(hills: RasterGrid) -> None:
    asset = PlacedAsset("turbine", [(3000.0, 3000.0)], rotation_deg=35.0)
    mesh = asset_mesh(asset, CATALOGUE, (hills,))
    base = mesh.vertices[:, 2].min()
    under = sample_elevation(hills, 3000.0 + np.array([-10, 10, 10, -10, 0.0]),
                             3000.0 + np.array([-10, -10, 10, 10, 0.0]))
    assert base == pytest.approx(under.min(), abs=0.5)  # the lowest ground under it
    assert mesh.vertices[:, 2].max() - base == pytest.approx(100.0 + 65.0, abs=1e-6)
    xy = mesh.vertices[:, :2] - 3000.0
    assert np.hypot(xy[:, 0], xy[:, 1]).max() < 65.0 + 15.0  # the rotor is round the hub
    assessed = Assessment(status="ok", base_z=123.0)
    lifted = asset_mesh(asset, CATALOGUE, (hills,), assessed)
    assert lifted.vertices[:, 2].min() == pytest.approx(123.0)
    assert lifted.vertices[:, 2].max() == pytest.approx(123.0 + 165.0)


@pytest.mark.parametrize("key", ["tower", "mast", "tank", "substation", "box"])
def test_point_assets_stand_on_their_base(key: str, hills: RasterGrid) -> None:
    base = 250.0
    mesh = asset_mesh(PlacedAsset(key, [(2000.0, 4000.0)]), CATALOGUE, (hills,),
                      Assessment(status="ok", base_z=base))
    height = CATALOGUE.get(key).param("height_m")
    assert mesh.triangle_count > 0
    assert mesh.vertices[:, 2].min() == pytest.approx(base, abs=1e-6)
    assert mesh.vertices[:, 2].max() >= base + height - 1e-6
    assert np.all(mesh.rows == 0)


def test_rotation_turns_the_turbine_rotor(flat: RasterGrid) -> None:
    north = asset_mesh(PlacedAsset("turbine", [(1500.0, 1500.0)]), CATALOGUE, (flat,))
    east = asset_mesh(PlacedAsset("turbine", [(1500.0, 1500.0)], rotation_deg=90.0), CATALOGUE,
                      (flat,))  # fmt: skip
    span = lambda m, axis: np.ptp(m.vertices[:, axis])  # noqa: E731
    assert span(north, 0) > 100.0 > span(north, 1)  # rotor across x when facing north
    assert span(east, 1) > 100.0 > span(east, 0)


def test_road_ribbon_has_its_width(flat: RasterGrid) -> None:
    mesh = asset_mesh(PlacedAsset("road", [(300.0, 300.0), (1500.0, 900.0)]), CATALOGUE, (flat,))
    half = len(mesh.vertices) // 2
    left, right = mesh.vertices[:half], mesh.vertices[half:]
    width = np.linalg.norm(left[:, :2] - right[:, :2], axis=1)
    np.testing.assert_allclose(width, 7.5, atol=1e-9)


def test_draped_road_follows_the_bilinear_ground(hills: RasterGrid) -> None:
    coords = [(400.0, 500.0), (2500.0, 1700.0), (4000.0, 5200.0)]
    mesh = asset_mesh(PlacedAsset("road", coords), CATALOGUE, (hills,))
    lift = drape_lift((hills,))
    ground = sample_elevation(hills, mesh.vertices[:, 0], mesh.vertices[:, 1])
    np.testing.assert_allclose(mesh.vertices[:, 2], ground + lift, atol=0.03)
    # densified at about the cell size: no ribbon piece is longer than one cell
    half = len(mesh.vertices) // 2
    steps = np.linalg.norm(np.diff(mesh.line_points[:, :2], axis=0), axis=1)
    assert steps.max() <= CELL + 1e-6 and half == len(mesh.line_points)


def test_road_segments_take_the_status_palette(flat: RasterGrid) -> None:
    coords = [(300.0, 300.0), (900.0, 300.0), (1500.0, 300.0)]
    assessed = Assessment(status="fail", segment_status=("ok", "fail"))
    mesh = asset_mesh(PlacedAsset("road", coords), CATALOGUE, (flat,), assessed)
    centre_x = mesh.vertices[mesh.triangles].mean(axis=1)[:, 0]
    colors = mesh.colors.astype(int)
    assert np.abs(colors[centre_x < 900.0] - STATUS_RGB["ok"]).max() <= 2
    assert np.abs(colors[centre_x > 900.0] - STATUS_RGB["fail"]).max() <= 2
    line_x = mesh.line_points[mesh.lines].mean(axis=1)[:, 0]
    assert (mesh.line_colors[line_x > 900.0] == STATUS_RGB["fail"]).all()


def test_a_failing_point_asset_is_red(flat: RasterGrid) -> None:
    mesh = asset_mesh(PlacedAsset("box", [(1500.0, 1500.0)]), CATALOGUE, (flat,),
                      Assessment(status="fail", base_z=50.0))
    up = mesh.colors[np.isclose(mesh.vertices[mesh.triangles][:, :, 2].min(axis=1), 55.0)]
    assert len(up) and (np.abs(up.astype(int) - STATUS_RGB["fail"]).max() <= 2)


def test_sleepers_every_spacing(flat: RasterGrid) -> None:
    mesh = asset_mesh(PlacedAsset("railway", [(300.0, 300.0), (300.0, 1300.0), (800.0, 1300.0)]),
                      CATALOGUE, (flat,))  # fmt: skip
    assert mesh.parts["sleepers"] == math.floor(1500.0 / 2.5) + 1
    assert mesh.vertices[:, 2].max() < 50.0 + drape_lift((flat,)) + 0.5


def test_pylons_at_most_their_spacing_apart(flat: RasterGrid) -> None:
    coords = [(300.0, 300.0), (1300.0, 300.0), (1300.0, 900.0)]
    mesh = asset_mesh(PlacedAsset("power", coords), CATALOGUE, (flat,))
    assert mesh.parts["pylons"] == math.ceil(1000 / 300) + math.ceil(600 / 300) + 1
    assert mesh.vertices[:, 2].max() == pytest.approx(50.0 + 40.0, abs=0.01)
    # three conductors per span, sagging below the straight line between attachments
    spans = mesh.parts["pylons"] - 1
    assert len(mesh.lines) == spans * 3 * 12
    assert mesh.line_points[:, 2].min() < 50.0 + 0.78 * 40.0 - 2.0 - 1.0


def test_pipeline_is_raised_above_the_ground(flat: RasterGrid) -> None:
    mesh = asset_mesh(PlacedAsset("pipeline", [(300.0, 300.0), (900.0, 700.0)]), CATALOGUE,
                      (flat,))  # fmt: skip
    assert mesh.triangle_count > 0
    assert mesh.vertices[:, 2].max() > 50.0 + 1.2


def test_solar_rows_stay_inside_the_polygon(hills: RasterGrid) -> None:
    ring = [(1000.0, 1000.0), (1600.0, 1100.0), (1500.0, 1700.0), (1100.0, 1600.0)]
    mesh = asset_mesh(PlacedAsset("solar", ring), CATALOGUE, (hills,))
    poly = Polygon(ring)
    inside = shapely.contains_xy(poly.buffer(1e-6), mesh.vertices[:, 0], mesh.vertices[:, 1])
    assert inside.all()
    ys = mesh.vertices[:, 1]
    assert mesh.parts["panel_rows"] >= (ys.max() - ys.min()) / 8.0 - 1
    ground = sample_elevation(hills, mesh.vertices[:, 0], mesh.vertices[:, 1])
    height = mesh.vertices[:, 2] - ground
    assert height.min() == pytest.approx(0.6, abs=0.01) and height.max() == pytest.approx(2.5)


def test_pad_is_flat_at_its_design_elevation(hills: RasterGrid) -> None:
    ring = [(2000.0, 2000.0), (2200.0, 2000.0), (2200.0, 2150.0), (2000.0, 2150.0)]
    mesh = asset_mesh(PlacedAsset("pad", ring, params={"pad_elevation_m": 180.0}), CATALOGUE,
                      (hills,))  # fmt: skip
    tris = mesh.vertices[mesh.triangles]
    flat_top = np.all(np.isclose(tris[:, :, 2], 180.0), axis=1)
    ab = tris[flat_top, 1, :2] - tris[flat_top, 0, :2]
    ac = tris[flat_top, 2, :2] - tris[flat_top, 0, :2]
    area = 0.5 * np.abs(ab[:, 0] * ac[:, 1] - ab[:, 1] * ac[:, 0]).sum()
    assert area == pytest.approx(200.0 * 150.0)
    assert len(mesh.lines) > 0


def test_layer_mesh_tags_rows_and_reuses_unchanged_assets(flat: RasterGrid) -> None:
    assets = (PlacedAsset("box", [(500.0, 500.0)], id="a"),
              PlacedAsset("road", [(300.0, 300.0), (900.0, 300.0)], id="b"),
              PlacedAsset("tank", [(1500.0, 1500.0)], id="c"))  # fmt: skip
    layer = PlacedAssetsLayer(name="infra", assets=assets, catalogue=CATALOGUE, ground=(flat,))
    cache: dict = {}
    mesh = layer_mesh(layer, {}, cache)
    assert set(np.unique(mesh.rows)) == {0, 1, 2} and set(np.unique(mesh.line_rows)) == {1}
    first = {key[0].id: value for key, value in cache.items()}
    layer.replace_asset(assets[2].moved(100.0, 0.0))
    layer_mesh(layer, {}, cache)
    second = {key[0].id: value for key, value in cache.items()}
    assert second["a"] is first["a"] and second["b"] is first["b"]
    assert second["c"] is not first["c"] and len(cache) == 3


def test_unknown_entries_and_short_lines_draw_nothing(flat: RasterGrid) -> None:
    assert asset_mesh(PlacedAsset("nope", [(1.0, 1.0)]), CATALOGUE, (flat,)).triangle_count == 0
    assert asset_mesh(PlacedAsset("road", [(1.0, 1.0)]), CATALOGUE, (flat,)).triangle_count == 0


def test_without_ground_assets_stand_at_zero() -> None:
    mesh = asset_mesh(PlacedAsset("turbine", [(0.0, 0.0)]), CATALOGUE, ())
    assert mesh.vertices[:, 2].min() == pytest.approx(0.0)


def _arm_model() -> ModelMesh:
    """A 2 x 2 x 2 block with an arm reaching 8 units north at z 1..1.5 (model units)."""
    (bv, bt), (av, at) = box((-1, -1, 0), (1, 1, 2)), box((-0.5, 1, 1), (0.5, 9, 1.5))
    vertices = np.concatenate([bv, av])
    triangles = np.concatenate([bt, at + len(bv)]).astype(np.int32)
    colors = np.tile(np.array([200, 180, 40], np.uint8), (len(triangles), 1))
    footprint = np.array([[-1.0, -1.0], [1.0, -1.0], [1.0, 9.0], [-1.0, 9.0]])
    return ModelMesh(vertices, triangles, colors, footprint, name="arm")


ARM = _arm_model()
ARM_FILE = Path("/models/arm.glb")
MODELS = CATALOGUE.merged(
    [CatalogueEntry("arm", "Arm", "point", "mast", model=ARM_FILE, model_scale=2.0),
     CatalogueEntry("unread", "Unread", "point", "box", model=Path("/models/unread.glb"))],
    {ARM_FILE: ARM},
)  # fmt: skip


def test_a_model_entry_draws_its_model_turned_and_scaled(flat: RasterGrid) -> None:
    asset = PlacedAsset("arm", [(1500.0, 1500.0)], rotation_deg=90.0)
    mesh = asset_mesh(asset, MODELS, (flat,), Assessment(status="ok", base_z=50.0))
    assert mesh.triangle_count == ARM.count and np.all(mesh.rows == 0)
    assert mesh.vertices[:, 2].min() == pytest.approx(50.0)
    assert mesh.vertices[:, 2].max() == pytest.approx(50.0 + 2 * 2.0)  # model_scale 2
    # the centre of its box (x 0, y 4) on the asset; north (the arm) turned to the east
    lo, hi = mesh.vertices.min(axis=0), mesh.vertices.max(axis=0)
    assert (lo[0], hi[0], lo[1], hi[1]) == pytest.approx((1490.0, 1510.0, 1498.0, 1502.0))
    arm = mesh.vertices[:, 2] > 51.5  # the arm's bottom is at z 1 unit = 2 m
    arm &= mesh.vertices[:, 2] < 53.5
    assert mesh.vertices[arm, 0].max() == pytest.approx(1510.0)
    top = np.isclose(mesh.vertices[mesh.triangles][:, :, 2], 54.0).all(axis=1)
    assert (mesh.colors[top] == [200, 180, 40]).all()  # an upward face keeps its colour
    assert len(asset_mesh(PlacedAsset("unread", [(1500.0, 1500.0)]), MODELS,
                          (flat,)).triangles) == 12  # not read: its generated box


def test_a_model_stands_on_the_lowest_ground_under_its_footprint(hills: RasterGrid) -> None:
    asset = PlacedAsset("arm", [(2000.0, 4000.0)], rotation_deg=30.0)
    mesh = asset_mesh(asset, MODELS, (hills,))
    ring = model_footprint(ARM, asset.coords[0], 30.0, 2.0)
    under = [sample_elevation(hills, x, y) for x, y in [*ring, asset.coords[0]]]
    assert mesh.vertices[:, 2].min() == pytest.approx(min(under), abs=1e-6)


def test_a_failing_model_is_mixed_toward_red(flat: RasterGrid) -> None:
    mesh = asset_mesh(PlacedAsset("arm", [(1500.0, 1500.0)]), MODELS, (flat,),
                      Assessment(status="fail", base_z=50.0))
    top = np.isclose(mesh.vertices[mesh.triangles][:, :, 2], 54.0).all(axis=1)
    expect = (np.array([200, 180, 40]) * (1 - MODEL_STATUS_MIX)
              + np.array(STATUS_RGB["fail"]) * MODEL_STATUS_MIX)
    assert top.any() and np.abs(mesh.colors[top].astype(int) - expect).max() <= 1

