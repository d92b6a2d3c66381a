"""Sensor glyphs: one batched actor per layer, coloured by the value at the clock, in place."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pytest
from sensor_helpers import (
    T0,
    centre,
    clock_at,
    hour,
    nearest_colour,
    sensor_data,
    sensors_layer,
)
from vtkmodules.util.numpy_support import vtk_to_numpy

from twinscape.geo.origin import LocalOrigin
from twinscape.model import CameraView, Project, RasterGrid
from twinscape.model.sensor_style import DEFAULT_THRESHOLDS, SensorsStyle
from twinscape.model.sensors import SensorsLayer
from twinscape.render.building_colors import hex_rgb
from twinscape.render.scene import SceneView
from twinscape.render.sensor_colors import (
    GOOD,
    NO_DATA,
    POLE,
    sensor_legend,
    value_colors,
)
from twinscape.render.sensor_glyphs import MAST_HEIGHT, glyph_template
from twinscape.render.sensors_visual import SensorsVisual

from render_helpers import SIZE, make_project, snapshot

pytestmark = pytest.mark.render

PM25 = DEFAULT_THRESHOLDS["pm25"]
PALETTE = {
    "good": GOOD,
    "who": hex_rgb(PM25[0].color),
    "sensitive": hex_rgb(PM25[1].color),
    "unhealthy": hex_rgb(PM25[2].color),
    "very unhealthy": hex_rgb(PM25[3].color),
    "hazardous": hex_rgb(PM25[4].color),
    "no data": NO_DATA,
}
#: Stations (offsets from the DEM centre, metres) and their hourly PM2.5 over 12 hours.
OFFSETS = [(-6000, -4000), (0, 0), (6000, 3000), (-3000, 5000), (4000, -6000)]
SERIES = [
    [10.0] * 6 + [60.0] * 6,  # good, then unhealthy from hour 6
    [20.0] * 12,  # WHO guideline exceeded
    [40.0] * 12,  # unhealthy for sensitive groups
    [100.0] * 12,  # unhealthy
    [10.0] * 5 + [np.nan] * 7,  # silent after hour 4: stale from hour 7 (3 h)
]
SIZE_M = 400.0


def _bench(grid: RasterGrid, **style: object) -> tuple[Project, SensorsLayer]:
    cx, cy = centre(grid)
    xy = np.array([(cx + dx, cy + dy) for dx, dy in OFFSETS])
    project = make_project(grid)
    project.clock = clock_at(2)
    layer = sensors_layer(sensor_data(grid, xy, SERIES), size=SIZE_M, **style)
    project.layers.append(layer)
    return project, layer


def _scene(plotter_factory: Callable, project: Project) -> SceneView:
    scene = SceneView(plotter_factory(SIZE), project)
    cx, cy = centre(project.layers[0].grid)
    scene.apply_view(
        CameraView(position=(cx, cy - 22000, 14000), focal_point=(cx, cy, 0), view_up=(0, 0, 1))
    )
    return scene


def _display(scene: SceneView, world: tuple[float, float, float]) -> tuple[int, int]:
    """Display pixel (origin bottom-left) of a world point (no exaggeration)."""
    ren = scene.renderer
    ren.SetWorldPoint(*scene.origin.point_to_render(world), 1.0)
    ren.WorldToDisplay()
    x, y, _ = ren.GetDisplayPoint()
    return int(round(x)), int(round(y))


def _marker_pixel(scene: SceneView, image: np.ndarray, layer: SensorsLayer, i: int) -> np.ndarray:
    """Median colour of the 3 x 3 pixels at the centre of station ``i``'s marker."""
    x, y, z = layer.data.xyz[i]
    px, py = _display(scene, (x, y, z + MAST_HEIGHT * layer.style.size))
    row = image.shape[0] - 1 - py
    return np.median(image[row - 1 : row + 2, px - 1 : px + 2].reshape(-1, 3), axis=0)


def _classes(scene: SceneView, image: np.ndarray, layer: SensorsLayer) -> list[str]:
    return [
        _nearest(_marker_pixel(scene, image, layer, i)) for i in range(layer.data.count)
    ]


def _nearest(pixel: np.ndarray) -> str:
    return nearest_colour(pixel, PALETTE)


def test_value_colours_follow_the_alert_levels() -> None:
    style = SensorsStyle()
    values = np.array([3.0, 15.0, 35.4, 35.5, 300.0, np.nan])
    rgb = value_colors(values, "pm25", style, DEFAULT_THRESHOLDS)
    assert [tuple(c) for c in rgb] == [
        GOOD, PALETTE["who"], PALETTE["who"], PALETTE["sensitive"], PALETTE["hazardous"], NO_DATA
    ]  # fmt: skip
    ramp = value_colors(np.array([0.0, 50.0, 100.0]), "pm25", SensorsStyle(ramp="blues"), {},
                        data_range=(0.0, 100.0))  # fmt: skip
    assert ramp[0].sum() > ramp[1].sum() > ramp[2].sum(), "blues darken with the value"
    no_levels = value_colors(np.array([0.0, 100.0]), "temperature", style, DEFAULT_THRESHOLDS,
                             data_range=(0.0, 100.0))  # fmt: skip
    assert tuple(no_levels[0]) == GOOD, "aqi without levels: a continuous ramp from green"


def test_legend_lists_levels_and_no_data(demo_grid: RasterGrid) -> None:
    _, layer = _bench(demo_grid)
    legend = sensor_legend(layer)
    assert legend[0] == ("good (< 15 µg/m³)", GOOD)
    assert [label for label, _ in legend][-1] == "no data"
    assert len(legend) == len(PM25) + 2
    layer.style.ramp = "viridis"
    values = [label for label, _ in sensor_legend(layer)][:-1]
    assert values[0] == "10 µg/m³" and values[-1] == "100 µg/m³", values  # robust range


def test_markers_show_the_level_at_the_clock_and_update_in_place(
    plotter_factory: Callable, demo_grid: RasterGrid
) -> None:
    project, layer = _bench(demo_grid)
    scene = _scene(plotter_factory, project)
    visual = scene.visuals[id(layer)]
    assert isinstance(visual, SensorsVisual) and len(visual.actors) == 1, "one actor per layer"
    image = snapshot(scene.plotter, "sensors_masts_hour2")
    assert _classes(scene, image, layer) == ["good", "who", "sensitive", "unhealthy", "good"]
    actors, polydata = list(visual.actors), visual.polydata
    colours = polydata.GetCellData().GetScalars()
    before_time, before = colours.GetMTime(), vtk_to_numpy(colours).copy()

    project.clock.set_time(hour(10))
    image = snapshot(scene.plotter, "sensors_masts_hour10")
    expected = ["unhealthy", "who", "sensitive", "unhealthy", "no data"]
    assert _classes(scene, image, layer) == expected
    assert visual.actors == actors and visual.polydata is polydata, "nothing rebuilt"
    assert polydata.GetCellData().GetScalars() is colours, "the same colour array"
    assert colours.GetMTime() > before_time
    changed = np.any(vtk_to_numpy(colours) != before, axis=1)
    station = vtk_to_numpy(polydata.GetCellData().GetArray("station"))
    assert set(station[changed]) == {0, 4}, "only stations whose level changed are recoloured"
    pole = visual.cell_colors[:, ~visual.template.coloured]  # poles stay grey
    assert np.abs(pole.astype(int).max(axis=(0, 1)) - np.array(POLE)).max() < 80
    scene.close()


def test_columns_grow_with_the_value(plotter_factory: Callable, demo_grid: RasterGrid) -> None:
    project, layer = _bench(demo_grid, glyph="column")
    scene = _scene(plotter_factory, project)
    visual = scene.visuals[id(layer)]
    points = visual.polydata.GetPoints()
    tops = visual.template.moving  # the four top corners

    def heights() -> np.ndarray:
        z = vtk_to_numpy(points.GetData()).reshape(layer.data.count, -1, 3)[:, :, 2]
        return z[:, tops].max(axis=1) - z[:, 0]

    early = heights()
    snapshot(scene.plotter, "sensors_columns_hour2")
    assert early[3] > early[2] > early[1] > early[0], "taller for higher values"
    project.clock.set_time(hour(10))
    snapshot(scene.plotter, "sensors_columns_hour10")
    late = heights()
    assert visual.polydata.GetPoints() is points, "points updated in place"
    assert late[0] > 2 * early[0], "station 0 went from 10 to 60"
    assert late[4] < early[4], "no data: the lowest stub"
    assert np.allclose(late[1:4], early[1:4])
    visual.set_highlight([2])
    snapshot(scene.plotter, "sensors_columns_highlight")
    faces = visual.cell_colors[2].astype(int)
    side = np.abs(visual.template.normals[:, 2]) < 0.5
    assert (faces[side, 0] - faces[side, 2] > 100).all(), "selected: yellow sides"
    top = faces[~side][0]
    assert nearest_colour(top, PALETTE) == "sensitive", "the top keeps the value's colour"
    visual.set_highlight([])
    assert nearest_colour(visual.cell_colors[2][side][0], PALETTE) == "sensitive"
    scene.close()


def test_identify_returns_the_station_and_hidden_layers_are_gone(
    plotter_factory: Callable, demo_grid: RasterGrid
) -> None:
    project, layer = _bench(demo_grid)
    scene = _scene(plotter_factory, project)
    image = snapshot(scene.plotter)
    x, y, z = layer.data.xyz[2]
    px, py = _display(scene, (x, y, z + MAST_HEIGHT * SIZE_M))
    hit = scene.identify(px, py)
    assert hit is not None and hit.layer is layer and hit.row == 2
    assert layer.feature_label(hit.row) == "sensor S2"
    scene.set_highlight(layer, [2])
    visual = scene.visuals[id(layer)]
    lit = visual.cell_colors[2, ~visual.template.coloured]  # the pole turns yellow
    assert (lit[:, 0].astype(int) - lit[:, 2].astype(int)).min() > 100
    before = _marker_pixel(scene, image, layer, 2)

    layer.visible = False
    hidden = snapshot(scene.plotter, "sensors_hidden")
    after = _marker_pixel(scene, hidden, layer, 2)
    assert np.abs(after - before).max() > 60, "the marker is gone"
    hit = scene.identify(px, py)
    assert hit is None or hit.layer is not layer
    assert scene.visuals[id(layer)].triangles == 0
    scene.close()


def test_labels_are_one_actor(plotter_factory: Callable, demo_grid: RasterGrid) -> None:
    project, layer = _bench(demo_grid, labels=True)
    scene = _scene(plotter_factory, project)
    visual = scene.visuals[id(layer)]
    plain = snapshot(scene.plotter, "sensors_labels")
    assert len(visual.actors) == 2, "the glyphs and one actor for every label"
    assert visual.labels.texts[0] == "Station 0: 10 µg/m³"
    project.clock.set_time(hour(10))
    assert visual.labels.texts[4] == "Station 4: no data"
    layer.style.labels = False
    assert len(visual.actors) == 1
    assert np.abs(snapshot(scene.plotter).astype(int) - plain.astype(int)).max() > 100
    scene.close()


def test_style_opacity_and_close_follow_the_layer(
    plotter_factory: Callable, demo_grid: RasterGrid
) -> None:
    project, layer = _bench(demo_grid)
    counts = {name: len(getattr(layer.events, name)) for name in ("visible", "data", "quantity")}
    scene = _scene(plotter_factory, project)
    visual = scene.visuals[id(layer)]
    layer.opacity = 0.4
    assert visual.actors[0].GetProperty().GetOpacity() == pytest.approx(0.4)
    layer.style = SensorsStyle(glyph="column", size=200.0)
    assert visual.layer.style.glyph == "column" and len(visual.template.moving) == 4
    layer.style.size = 300.0  # the new style's events are followed
    assert visual.bounds_render()[5] - visual.bounds_render()[4] > 300.0
    renderer = scene.renderer
    scene.close()
    assert all(len(getattr(layer.events, n)) == c for n, c in counts.items()), "disconnected"
    assert renderer.GetActors().GetNumberOfItems() == 0
    layer.visible = True  # no visual left to call


def test_ten_thousand_stations_update_in_place(plotter_factory: Callable) -> None:
    rng = np.random.default_rng(7)
    n, hours = 10_000, 24
    xy = rng.uniform(0, 50_000, (n, 2)) + (700_000.0, 3_480_000.0)
    series = rng.gamma(2.0, 15.0, (n, hours))
    data = sensor_data(None, xy, series, z=rng.uniform(-400, 900, n))
    layer = sensors_layer(data)
    plotter = plotter_factory((320, 240))
    visual = SensorsVisual(layer, plotter, LocalOrigin(725_000.0, 3_505_000.0))
    polydata = visual.polydata
    colours = polydata.GetCellData().GetScalars()
    assert len(visual.actors) == 1
    assert polydata.GetNumberOfCells() == n * len(visual.template.faces)
    took = []
    for h in range(hours):
        before = colours.GetMTime()
        start = time.perf_counter()
        visual.set_time(int(T0.timestamp() * 1e9) + h * 3600 * 10**9 + 60 * 10**9)
        took.append(time.perf_counter() - start)
        assert colours.GetMTime() > before or h == 0
    print(f"\n10,000 stations: set_time median {np.median(took) * 1e3:.1f} ms, "
          f"max {np.max(took) * 1e3:.1f} ms")  # fmt: skip
    assert visual.polydata is polydata and polydata.GetCellData().GetScalars() is colours
    assert np.isfinite(visual.values).all()
    visual.close()


def test_float32_points_keep_centimetres_at_utm_northings(demo_grid: RasterGrid) -> None:
    project, layer = _bench(demo_grid)
    origin = LocalOrigin.of(project.origin)
    assert layer.data.xyz[:, 1].min() > 3_000_000, "UTM northings"
    import pyvista as pv

    plotter = pv.Plotter(off_screen=True)
    visual = SensorsVisual(layer, plotter, origin)
    pts = vtk_to_numpy(visual.polydata.GetPoints().GetData())
    assert pts.dtype == np.float32
    template = glyph_template("mast", SIZE_M)
    world = origin.to_world(pts).reshape(layer.data.count, -1, 3)
    expected = layer.data.xyz[:, None, :] + template.points[None, :, :]
    assert np.abs(world - expected).max() < 0.01
    visual.close()
    plotter.close()


def test_glyphs_stand_on_the_exaggerated_ground(
    plotter_factory: Callable, demo_grid: RasterGrid
) -> None:
    project, layer = _bench(demo_grid)
    scene = _scene(plotter_factory, project)
    visual = scene.visuals[id(layer)]
    foot = vtk_to_numpy(visual.polydata.GetPoints().GetData())[0, 2]
    project.layers[0].style.vertical_exaggeration = 2.0
    assert visual.ve == 2.0
    z = vtk_to_numpy(visual.polydata.GetPoints().GetData()).reshape(layer.data.count, -1, 3)
    ground = (layer.data.xyz[0, 2] - scene.origin.z) * 2.0
    assert z[0, 0, 2] == pytest.approx(ground, abs=0.01) and z[0, 0, 2] != pytest.approx(foot)
    marker_top = z[0, :, 2].max() - z[0, 0, 2]
    tallest = glyph_template("mast", SIZE_M).points[:, 2].max()
    assert marker_top == pytest.approx(tallest, rel=1e-4), "glyph sizes are not exaggerated"
    snapshot(scene.plotter, "sensors_exaggerated")
    scene.close()


def test_live_values_newer_than_the_history_recolour_in_place(
    plotter_factory: Callable, demo_grid: RasterGrid
) -> None:
    from twinscape.model.clock import to_ns
    from twinscape.model.sensor_live import LiveState

    project, layer = _bench(demo_grid)
    renders: list[int] = []
    scene = SceneView(plotter_factory(SIZE), project, on_update=lambda: renders.append(1))
    cx, cy = centre(project.layers[0].grid)
    scene.apply_view(
        CameraView(position=(cx, cy - 22000, 14000), focal_point=(cx, cy, 0), view_up=(0, 0, 1))
    )
    visual = scene.visuals[id(layer)]
    project.clock.set_time(hour(8.5))
    assert _classes(scene, snapshot(scene.plotter), layer)[:2] == ["unhealthy", "who"]
    polydata = visual.polydata
    colours = polydata.GetCellData().GetScalars()
    live = LiveState(list(layer.data.station_ids), ["pm25"])
    layer.live_state = live
    # S1: newer than its history's latest (8:00), not after the clock (8:30): shown
    # S0: older than its history's latest: the history stays
    # S3: after the clock: not yet
    # S4: its history is stale (last at 4:00); a live value 12 min old is shown
    at = [to_ns(hour(8.2)), to_ns(hour(7.5)), to_ns(hour(8.7)), to_ns(hour(8.3))]
    values = np.array([300.0, 5.0, 5.0, 40.0])
    live.apply(["S1", "S0", "S3", "S4"], ["pm25"] * 4, np.array(at), values)
    assert renders, "a live update asks for a render"
    image = snapshot(scene.plotter, "sensors_live_hour8")
    assert _classes(scene, image, layer) == [
        "unhealthy", "hazardous", "sensitive", "unhealthy", "sensitive"
    ]  # fmt: skip
    assert visual.polydata is polydata and polydata.GetCellData().GetScalars() is colours
    count = len(renders)
    live.apply(["S2"], ["pm25"], np.array([to_ns(hour(1))]), np.array([500.0]))
    assert len(renders) == count, "an update that changes nothing shown renders nothing"
    project.clock.set_time(hour(11.5))  # 3.3 h after the live value: stale (3 h)
    image = snapshot(scene.plotter)
    assert _classes(scene, image, layer)[1] == "who", "stale live values give way to the history"
    layer.live_state = None
    scene.close()
    assert len(live.updated) == 0, "the closed visual let go of the live state"
