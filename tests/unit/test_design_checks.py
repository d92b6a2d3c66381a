"""Design checks of placed assets against analytic terrain: planes, valleys, circles."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import twinscape.geo.design_checks as design_checks
from twinscape.geo.design_areas import point_footprint
from twinscape.geo.design_checks import assess, assess_layer
from twinscape.geo.design_ground import ground_at
from twinscape.geo.sampling import sample_elevation
from twinscape.io.catalogue import load_catalogue
from twinscape.io.dem import read_dem
from twinscape.model.placed import PlacedAsset, PlacedAssetsLayer
from twinscape.model.raster import RasterGrid

CELL = 10.0
X0, Y1 = 700_000.0, 3_504_000.0  # north-west corner
SIZE = 400  # cells: a 4 km square
CX, CY = X0 + SIZE * CELL / 2, Y1 - SIZE * CELL / 2  # its centre


def plane(gx: float, gy: float, z0: float = 100.0) -> RasterGrid:
    """A grid of z = z0 + gx (x - CX) + gy (y - CY): grades gx, gy (m/m)."""
    xs = X0 + CELL * (np.arange(SIZE) + 0.5)
    ys = Y1 - CELL * (np.arange(SIZE) + 0.5)
    values = z0 + gx * (xs[None, :] - CX) + gy * (ys[:, None] - CY)
    return RasterGrid(values=values.astype(np.float32), transform=(CELL, 0, X0, 0, -CELL, Y1),
                      crs="EPSG:32636")  # fmt: skip


def z_plane(x: float, y: float, gx: float, gy: float, z0: float = 100.0) -> float:
    return z0 + gx * (x - CX) + gy * (y - CY)


@pytest.fixture(scope="module")
def catalogue():  # type: ignore[no-untyped-def]
    return load_catalogue()


def test_segment_grades_on_a_plane_are_exact(catalogue) -> None:  # type: ignore[no-untyped-def]
    grid = plane(0.07, 0.0)
    coords = ((CX - 500, CY), (CX, CY), (CX, CY + 400), (CX - 300, CY + 800))
    road = PlacedAsset(entry="road", coords=coords)
    result = assess(road, catalogue, (grid,))
    assert result.segment_grades_pct == pytest.approx((7.0, 0.0, -4.2), abs=1e-3)
    assert result.segment_status == ("warn", "ok", "ok")  # 7 % is above 80 % of 8 %
    assert result.status == "warn" and result.max_grade_pct == pytest.approx(7.0, abs=1e-3)
    assert result.issues == ("grade 7.0 % on segment 1 is close to the 8 % limit",)
    assert result.length_m == pytest.approx(500 + 400 + 500)
    assert result.ground_grade_pct == pytest.approx(7.0, abs=1e-3)
    expected = [z_plane(x, y, 0.07, 0) for x, y in coords]
    assert result.ground_z == pytest.approx(expected, abs=1e-3)
    # Across the slope the flat formation cuts the uphill side and fills the downhill one.
    assert result.cut_m3 > 100 and result.fill_m3 == pytest.approx(result.cut_m3, rel=0.05)
    uphill = assess(PlacedAsset(entry="road", coords=coords[:2]), catalogue, (grid,))
    assert uphill.cut_m3 == pytest.approx(0.0, abs=0.5)  # the design line lies on the plane
    assert uphill.fill_m3 == pytest.approx(0.0, abs=0.5)
    rail = assess(PlacedAsset(entry="railway", coords=coords), catalogue, (grid,))
    assert rail.segment_status == ("fail", "ok", "fail") and rail.status == "fail"
    assert rail.issues[0] == "grade 7.0 % on segment 1 exceeds 2.5 %"
    steep = assess(PlacedAsset(entry="road", coords=coords, params={"max_grade_pct": 6.0}),
                   catalogue, (grid,))  # fmt: skip
    assert steep.segment_status[0] == "fail"


def test_the_design_grade_line_bridges_a_valley_with_fill(catalogue) -> None:  # type: ignore[no-untyped-def]
    grid = plane(0.0, 0.0)
    xs = X0 + CELL * (np.arange(SIZE) + 0.5)
    values = 100.0 + 0.1 * np.abs(xs - CX)[None, :].repeat(SIZE, axis=0)  # a V along y
    valley = RasterGrid(values=values.astype(np.float32), transform=grid.transform,
                        crs=grid.crs)  # fmt: skip
    road = PlacedAsset(entry="road", coords=((CX - 200, CY), (CX + 200, CY)),
                       params={"side_slope": 0.0})  # no batters: a vertical-sided fill
    result = assess(road, catalogue, (valley,))
    assert result.segment_grades_pct == pytest.approx((0.0,), abs=1e-3)
    assert result.ground_grade_pct == pytest.approx(10.0, abs=0.01)
    # fill = width * integral of (20 - 0.1 |u|) du over -200..200 = 7.3 * 4000
    assert result.fill_m3 == pytest.approx(7.3 * 4000, rel=0.01)
    assert result.cut_m3 == pytest.approx(0.0, abs=1.0)


def test_slope_under_a_point_footprint_is_the_plane_tilt(catalogue) -> None:  # type: ignore[no-untyped-def]
    gx, gy = 0.1, 0.05
    grid = plane(gx, gy)
    tilt = math.degrees(math.atan(math.hypot(gx, gy)))  # 6.38 degrees
    turbine = assess(PlacedAsset(entry="wind_turbine", coords=((CX, CY),)), catalogue, (grid,))
    assert turbine.slope_deg == pytest.approx(tilt, abs=1e-3)
    assert turbine.status == "ok" and turbine.issues == ()
    drop = 10.0 * math.hypot(gx, gy)  # the round 20 m footprint's lowest point
    assert z_plane(CX, CY, gx, gy) - drop - 1e-3 <= turbine.base_z
    assert turbine.base_z <= z_plane(CX, CY, gx, gy) - 0.99 * drop
    tank = assess(PlacedAsset(entry="water_tank", coords=((CX, CY),)), catalogue, (grid,))
    assert tank.status == "fail"
    assert tank.issues == ("slope 6.4\N{DEGREE SIGN} under the footprint exceeds 5\N{DEGREE SIGN}",)
    tower = PlacedAsset(entry="telecom_tower", coords=((CX, CY),))
    result = assess(tower, catalogue, (grid,))
    assert result.slope_deg == pytest.approx(tilt, abs=1e-3)
    assert result.base_z == pytest.approx(z_plane(CX - 4, CY - 4, gx, gy), abs=1e-3)
    square = point_footprint(tower, catalogue.get("telecom_tower"), catalogue)
    assert square.area == pytest.approx(64.0)
    turned = point_footprint(tower.__class__(entry="telecom_tower", coords=((CX, CY),),
                                             rotation_deg=45.0),
                             catalogue.get("telecom_tower"), catalogue)  # fmt: skip
    assert turned.bounds[0] == pytest.approx(CX - 4 * math.sqrt(2))


def test_a_railway_on_a_circle_gets_its_radius(catalogue) -> None:  # type: ignore[no-untyped-def]
    grid = plane(0.0, 0.0)
    radius = 1500.0
    angles = np.radians(np.arange(0, 91, 7.5))
    coords = tuple((CX - 800 + radius * np.cos(a), CY - 800 + radius * np.sin(a))
                   for a in angles)  # fmt: skip
    rail = PlacedAsset(entry="railway", coords=coords)
    result = assess(rail, catalogue, (grid,))
    assert result.min_radius_m == pytest.approx(radius, rel=0.01)
    assert result.status == "ok" and result.issues == ()
    tight = assess(PlacedAsset(entry="railway", coords=coords,
                               params={"min_curve_radius_m": 2000.0}), catalogue, (grid,))
    assert tight.status == "fail"
    assert tight.issues[0] == "curve radius 1500 m at vertex 2 is below the 2000 m minimum"
    assert len(tight.issues) == len(coords) - 2
    near = assess(PlacedAsset(entry="railway", coords=coords,
                              params={"min_curve_radius_m": 1300.0}), catalogue, (grid,))
    assert near.status == "warn" and "close to the 1300 m minimum" in near.issues[0]
    straight = assess(PlacedAsset(entry="railway", coords=((CX, CY), (CX + 100, CY),
                                                           (CX + 200, CY))),
                      catalogue, (grid,))  # fmt: skip
    assert straight.min_radius_m == math.inf and straight.status == "ok"


def test_vertices_off_the_terrain_are_reported(catalogue) -> None:  # type: ignore[no-untyped-def]
    grid = plane(0.02, 0.0)
    outside = X0 + SIZE * CELL + 500
    road = PlacedAsset(entry="road", coords=((CX, CY), (CX + 500, CY), (outside, CY)))
    result = assess(road, catalogue, (grid,))
    assert result.status == "warn" and result.issues == ("vertex 3 is off the terrain",)
    assert math.isnan(result.ground_z[2]) and math.isnan(result.segment_grades_pct[1])
    assert result.segment_status == ("ok", "warn") and result.cut_m3 == 0.0
    mast = assess(PlacedAsset(entry="sensor_mast", coords=((outside, CY),)), catalogue, (grid,))
    assert mast.issues == ("vertex 1 is off the terrain",) and math.isnan(mast.base_z)
    bare = assess(PlacedAsset(entry="sensor_mast", coords=((CX, CY),)), catalogue, ())
    assert bare.status == "warn" and bare.issues == ("no terrain is loaded: nothing was checked",)


def test_the_topmost_grid_with_data_decides() -> None:
    low, high = plane(0.0, 0.0, z0=10.0), plane(0.0, 0.0, z0=50.0)
    holes = high.values.copy()
    holes[:, : SIZE // 2] = np.nan  # the western half has no data
    patched = RasterGrid(values=holes, transform=high.transform, crs=high.crs)
    z = ground_at((patched, low), np.array([CX - 1000, CX + 1000]), np.array([CY, CY]))
    assert z.tolist() == [10.0, 50.0]


def test_pad_cut_and_fill_on_a_plane_are_the_analytic_volumes(catalogue) -> None:  # type: ignore[no-untyped-def]
    gx = 0.05
    grid = plane(gx, 0.0)
    width, depth = 200.0, 100.0  # x by y, centred on the plane's origin
    ring = ((CX - 100, CY - 50), (CX + 100, CY - 50), (CX + 100, CY + 50), (CX - 100, CY + 50))
    balanced = assess(PlacedAsset(entry="building_pad", coords=ring), catalogue, (grid,))
    half = depth * gx * width**2 / 8  # the wedge above (or below) the mean level
    assert balanced.cut_m3 == pytest.approx(half, rel=1e-6)
    assert balanced.fill_m3 == pytest.approx(half, rel=1e-6)
    assert balanced.base_z == pytest.approx(100.0, abs=1e-4)  # the mean ground
    assert balanced.area_m2 == pytest.approx(width * depth)
    lowered = PlacedAsset(entry="building_pad", coords=ring, params={"pad_elevation_m": 90.0})
    result = assess(lowered, catalogue, (grid,))
    assert result.cut_m3 == pytest.approx(10.0 * width * depth, rel=1e-6)
    assert result.fill_m3 == pytest.approx(0.0, abs=1e-6) and result.base_z == 90.0


def test_slope_inside_an_area_against_its_limit(catalogue) -> None:  # type: ignore[no-untyped-def]
    ring = ((CX - 500, CY - 400), (CX + 500, CY - 400), (CX + 500, CY + 400), (CX - 500, CY + 400))
    for grade, status in ((0.05, "ok"), (0.1, "warn"), (0.2, "fail")):
        result = assess(PlacedAsset(entry="solar_farm", coords=ring), catalogue,
                        (plane(0.0, grade),))  # fmt: skip
        assert result.slope_deg == pytest.approx(math.degrees(math.atan(grade)), abs=1e-3)
        assert result.status == status, grade
        assert result.area_m2 == pytest.approx(800_000.0) and result.cut_m3 == 0.0
    small = ((CX, CY), (CX + 4, CY), (CX + 4, CY + 3))  # no cell centre inside: plane fit
    plot = assess(PlacedAsset(entry="plot", coords=small), catalogue, (plane(0.1, 0.0),))
    assert plot.slope_deg == pytest.approx(math.degrees(math.atan(0.1)), abs=1e-3)


def test_malformed_assets_fail_with_a_reason(catalogue) -> None:  # type: ignore[no-untyped-def]
    grid = plane(0.0, 0.0)
    bowtie = ((CX, CY), (CX + 100, CY + 100), (CX + 100, CY), (CX, CY + 100))
    result = assess(PlacedAsset(entry="plot", coords=bowtie), catalogue, (grid,))
    assert result.status == "fail" and "crosses itself" in result.issues[0]
    short = assess(PlacedAsset(entry="road", coords=((CX, CY),)), catalogue, (grid,))
    assert short.status == "fail" and short.issues == ("a line needs 2 or more vertices, got 1",)
    repeated = assess(PlacedAsset(entry="road", coords=((CX, CY), (CX, CY))), catalogue, (grid,))
    assert repeated.issues == ("segment 1 has no length (a repeated vertex)",)
    unknown = assess(PlacedAsset(entry="hyperloop", coords=((CX, CY), (CX + 1, CY))),
                     catalogue, (grid,))  # fmt: skip
    assert unknown.status == "fail" and "'hyperloop' is unknown" in unknown.issues[0]


def test_assess_layer_recomputes_only_what_changed(
    catalogue, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    calls: list[str] = []
    real = design_checks.assess

    def counting(asset, catalogue, ground, *, obstacles, earthworks):  # type: ignore[no-untyped-def]
        calls.append(asset.id)
        return real(asset, catalogue, ground, obstacles=obstacles, earthworks=earthworks)

    monkeypatch.setattr(design_checks, "assess", counting)
    grid = plane(0.03, 0.0)
    turbine = PlacedAsset(entry="wind_turbine", coords=((CX, CY),))
    road = PlacedAsset(entry="road", coords=((CX, CY), (CX + 300, CY)))
    layer = PlacedAssetsLayer(name="assets", assets=(turbine, road))
    assert assess_layer(layer) == {}  # not loaded yet
    layer.catalogue, layer.ground = catalogue, (grid,)
    first = assess_layer(layer)
    assert set(first) == {turbine.id, road.id} and len(calls) == 2
    again = assess_layer(layer)
    assert len(calls) == 2 and all(again[k] is first[k] for k in first)
    layer.replace_asset(road.with_vertex(1, (CX + 400, CY + 10)))
    third = assess_layer(layer)
    assert calls[2:] == [road.id] and third[turbine.id] is first[turbine.id]
    layer.ground = (plane(0.03, 0.0),)  # new ground: everything again
    assess_layer(layer)
    assert len(calls) == 5
    moved = layer.assets[1].moved(5.0, 0.0)
    layer.replace_asset(moved)  # dragged: no earthworks, then the full check once
    quick = assess_layer(layer, earthworks=False)
    assert calls[5:] == [road.id] and quick[road.id].cut_m3 == 0.0
    assert assess_layer(layer, earthworks=False)[road.id] is quick[road.id]
    full = assess_layer(layer)
    assert calls[6:] == [road.id] and full[road.id].cut_m3 > 0
    assert assess_layer(layer, earthworks=False)[road.id] is full[road.id] and len(calls) == 7


def test_a_road_on_the_real_dem(demo_utm: Path, catalogue) -> None:  # type: ignore[no-untyped-def]
    grid = read_dem(demo_utm).grid
    # From the Jordan valley floor (about -270 m) east up towards the Moab plateau.
    coords = ((747_250.0, 3_527_500.0), (750_250.0, 3_528_000.0), (754_000.0, 3_529_500.0))
    result = assess(PlacedAsset(entry="road", coords=coords), catalogue, (grid,))
    z = [sample_elevation(grid, x, y) for x, y in coords]
    assert result.ground_z == pytest.approx(z)
    for index, grade in enumerate(result.segment_grades_pct):
        (x0, y0), (x1, y1) = coords[index], coords[index + 1]
        run = math.hypot(x1 - x0, y1 - y0)
        assert grade == pytest.approx(100 * (z[index + 1] - z[index]) / run)
    assert result.ground_grade_pct >= result.max_grade_pct > 0
    assert result.cut_m3 > 0 and result.fill_m3 > 0
    assert result.status in ("ok", "warn", "fail") and len(result.segment_status) == 2
