"""Buildings within a triangle budget while moving on a slow renderer (buildings_visual.fit_lod,
scene_lod's share of the terrain's triangles)."""

from __future__ import annotations

import math

from test_render_building_lod import Town, town  # noqa: F401  (the fixture)

from twinscape.render.building_levels import MAX_FIT_TOLERANCE_PX


def fit(town: Town, tolerance: float, budget: float) -> float:  # noqa: F811
    ren = town.plotter.renderer
    return town.visual.fit_lod(ren.GetActiveCamera(), ren.GetSize()[1], tolerance, budget)


def test_a_budget_turns_small_buildings_to_points_and_keeps_large_ones(town: Town) -> None:  # noqa: F811
    town.along()
    town.lod(6.0)
    triangles, points = town.visual.triangles, town.visual.points
    drawn = fit(town, 6.0, math.inf)  # no bound: the same levels
    assert (town.visual.triangles, town.visual.points) == (triangles, points)
    assert drawn >= triangles + points
    within = fit(town, 6.0, drawn / 2)
    assert within <= drawn / 2
    assert town.visual.triangles < triangles and town.visual.points > points
    # nothing: every building up to the largest point becomes one, larger ones stay
    least = fit(town, 6.0, 0.0)
    assert least < within
    town.lod(MAX_FIT_TOLERANCE_PX)
    assert town.visual.triangles > 0
    assert fit(town, 6.0, 0.0) == least


def test_slow_moving_frames_hold_the_buildings_to_a_share_of_the_terrain(town: Town) -> None:  # noqa: F811
    scene = town.scene
    town.along()
    scene.interacting = True
    scene.budget.sharing = False  # a fast renderer: the buildings as the tolerance says
    scene.update_lod()
    free = town.visual.triangles
    scene.budget.sharing = True  # a slow one
    scene.update_lod()
    ground = sum(v.triangles for v in scene.visuals.values() if hasattr(v, "refine_lod"))
    allowance = scene.budget.others_allowance(ground)
    assert allowance is not None and allowance < free
    assert town.visual.triangles <= allowance < free
    scene.interacting = False
    scene.update_lod()  # still: the share is for moving frames only
    assert town.visual.triangles >= free


def test_a_moving_frame_teaches_the_budget_its_terrain_triangles(town: Town, monkeypatch) -> None:  # noqa: F811
    """The moving budget limits the terrain: counting the buildings' triangles as used
    budget would grow it (and the terrain's detail) sooner the more buildings are in view."""
    scene = town.scene
    taught: list[int] = []
    monkeypatch.setattr(scene.budget, "stop", lambda n, held=False: taught.append(n))
    town.along()
    scene.interacting = True
    town.plotter.ren_win.Render()
    ground = sum(v.triangles for v in scene.visuals.values() if hasattr(v, "refine_lod"))
    assert town.visual.triangles > 0
    assert taught and taught[-1] == ground == scene.ground_triangles() < scene.triangles()
