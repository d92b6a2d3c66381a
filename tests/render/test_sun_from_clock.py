"""The hillshade's sun following the project clock (TerrainStyle.sun_from_clock), off-screen.

On the Dead Sea demo DEM, 17 April 2025 (local time UTC+3): at 07:00 the sun is in
the east and east-facing slopes are the bright ones, at 16:00 it is in the west and
west-facing slopes are; at night the terrain and the sky are dark. Brightness is
measured on the baked colour raster, cells grouped by the DEM's own aspect.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
import pyvista as pv

from twinscape.geo.slope import slope_aspect
from twinscape.model import Project, RasterGrid
from twinscape.model.clock import ProjectClock
from twinscape.render.offscreen import render_to_array
from twinscape.render.scene import BACKGROUND, SceneView
from twinscape.render.sun_follow import NIGHT_LIGHT, EffectiveSun
from twinscape.render.terrain_visual import TerrainVisual

from render_helpers import OUT, make_project, snapshot

Plotters = Callable[..., pv.Plotter]
UTC = timezone.utc
MORNING = datetime(2025, 4, 17, 4, 0, tzinfo=UTC)  # 07:00 local
AFTERNOON = datetime(2025, 4, 17, 13, 0, tzinfo=UTC)  # 16:00 local
NIGHT = datetime(2025, 4, 17, 21, 0, tzinfo=UTC)  # midnight local
MANUAL = {"sun_azimuth": 315.0, "sun_altitude": 40.0}


def project_at(grid: RasterGrid, when: datetime, **style: object) -> Project:
    project = make_project(grid, sun_from_clock=True, vertical_exaggeration=2.0, **MANUAL, **style)
    project.clock = ProjectClock(
        current=when, start=when.replace(hour=0), end=when.replace(hour=0) + timedelta(days=1)
    )
    return project


def terrain_visual(scene: SceneView) -> TerrainVisual:
    (visual,) = scene.visuals.values()
    assert isinstance(visual, TerrainVisual)
    return visual


def brightness(visual: TerrainVisual) -> np.ndarray:
    """Mean of R, G, B per cell of the full-detail baked colours."""
    assert visual.cache is not None
    return visual.cache.tiles.colors[0].astype(np.float32).mean(axis=-1)


@pytest.fixture(scope="module")
def facing(demo_grid: RasterGrid) -> dict[str, np.ndarray]:
    """Masks of slopes steeper than 8 degrees facing east (45..135) and west (225..315)."""
    slope, aspect = slope_aspect(demo_grid.values, demo_grid.resolution)
    steep = slope > 8.0
    return {
        "east": steep & (aspect >= 45) & (aspect <= 135),
        "west": steep & (aspect >= 225) & (aspect <= 315),
        "land": np.isfinite(demo_grid.values),
    }


@pytest.fixture
def scene(plotter_factory: Plotters, demo_grid: RasterGrid) -> Iterator[SceneView]:
    view = SceneView(plotter_factory(), project_at(demo_grid, MORNING))
    yield view
    view.close()


def test_morning_lights_east_slopes_and_afternoon_west_slopes(
    scene: SceneView, facing: dict[str, np.ndarray]
) -> None:
    visual = terrain_visual(scene)
    style = visual.layer.style
    seen = {}
    for name, when in (("morning", MORNING), ("afternoon", AFTERNOON), ("night", NIGHT)):
        scene.project.clock.current = when
        scene.settle()
        snapshot(scene.plotter, f"sun_from_clock_{name}")
        light = brightness(visual)
        seen[name] = {k: float(light[m].mean()) for k, m in facing.items()}
    morning, afternoon, night = seen["morning"], seen["afternoon"], seen["night"]
    assert morning["east"] > morning["west"] * 1.15
    assert afternoon["west"] > afternoon["east"] * 1.15
    assert night["land"] < 0.5 * min(morning["land"], afternoon["land"])
    # the saved sun is the user's own: following the clock is a render-time value
    assert (style.sun_azimuth, style.sun_altitude) == (315.0, 40.0)


def test_the_sky_darkens_at_night_and_comes_back(scene: SceneView) -> None:
    day_sky = np.array(scene.renderer.GetBackground2())
    assert day_sky == pytest.approx(BACKGROUND[1])
    scene.project.clock.current = NIGHT
    night_sky = np.array(scene.renderer.GetBackground2())
    assert night_sky.sum() < 0.4 * day_sky.sum()
    assert terrain_visual(scene).daylight == pytest.approx(NIGHT_LIGHT)
    scene.project.layers[0].style.sun_from_clock = False
    assert np.array(scene.renderer.GetBackground2()) == pytest.approx(BACKGROUND[1])


def test_a_playing_clock_recolours_only_when_the_sun_moved(
    scene: SceneView, monkeypatch: pytest.MonkeyPatch
) -> None:
    visual = terrain_visual(scene)
    calls: list[float] = []
    request = visual._recolourer.request

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(float(kwargs.get("light", 1.0)))  # type: ignore[arg-type]
        return request(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(visual._recolourer, "request", counting)
    start = scene.project.clock.current
    for step in range(1, 61):  # ten minutes in 10 s ticks (the sun moves ~2.5 degrees)
        scene.project.clock.current = start + timedelta(seconds=10 * step)
    assert 4 <= len(calls) <= 15
    drawn = visual.sun.drawn
    assert drawn is not None
    assert drawn.angle_to(EffectiveSun.of(*visual.sun.site(visual.layer.grid).sun(start))) > 2.0


def test_off_the_clock_changes_nothing_and_the_manual_sun_comes_back(
    plotter_factory: Plotters, demo_grid: RasterGrid
) -> None:
    manual = SceneView(plotter_factory(), project_at(demo_grid, MORNING, hillshade_strength=0.7))
    manual.project.layers[0].style.sun_from_clock = False
    reference = brightness(terrain_visual(manual)).copy()
    manual.project.clock.current = NIGHT
    assert np.array_equal(brightness(terrain_visual(manual)), reference)  # no clock's sun
    manual.project.layers[0].style.sun_from_clock = True
    assert not np.array_equal(brightness(terrain_visual(manual)), reference)
    manual.project.layers[0].style.sun_from_clock = False
    assert np.array_equal(brightness(terrain_visual(manual)), reference)
    manual.close()


def test_flat_colours_ignore_the_sun(plotter_factory: Plotters, demo_grid: RasterGrid) -> None:
    scene = SceneView(plotter_factory(), project_at(demo_grid, MORNING, hillshade=False))
    day = brightness(terrain_visual(scene)).copy()
    scene.project.clock.current = NIGHT
    assert np.array_equal(brightness(terrain_visual(scene)), day)
    assert terrain_visual(scene).daylight is None
    scene.close()


def test_background_colouring_ends_on_the_clock_s_sun(
    plotter_factory: Plotters, demo_grid: RasterGrid
) -> None:
    sync = SceneView(plotter_factory(), project_at(demo_grid, AFTERNOON))
    expected = brightness(terrain_visual(sync)).copy()
    sync.close()
    with ThreadPoolExecutor(1) as pool:
        scene = SceneView(plotter_factory(), project_at(demo_grid, MORNING), colour_executor=pool)
        for hour in range(5, 14):
            scene.project.clock.current = MORNING.replace(hour=hour)
        scene.settle()
        assert np.array_equal(brightness(terrain_visual(scene)), expected)
        scene.close()


def test_headless_render_shows_the_sun_of_the_clock(demo_grid: RasterGrid) -> None:
    from PIL import Image

    pictures = {}
    for name, when in (("morning", MORNING), ("afternoon", AFTERNOON), ("night", NIGHT)):
        image = render_to_array(project_at(demo_grid, when), size=(640, 360))
        OUT.mkdir(exist_ok=True)
        Image.fromarray(image).save(OUT / f"sun_from_clock_render_{name}.png")
        pictures[name] = image.astype(np.float32)
    morning, afternoon, night = pictures["morning"], pictures["afternoon"], pictures["night"]
    assert np.abs(morning - afternoon).mean() > 5.0
    assert night.mean() < 0.5 * min(morning.mean(), afternoon.mean())
