"""Dragging the view in the real window: frames drawn without multisampling, then with it again."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from ui_helpers import process_events, settle


def test_a_drag_draws_without_multisampling_and_the_still_view_gets_it_back(main_window) -> None:  # noqa: ANN001
    window = main_window
    settle(window)
    plotter = window.viewport.plotter
    render_window = plotter.render_window
    samples = render_window.GetMultiSamples()
    drawn: list[tuple[int, bool]] = []  # (samples, moving) of every frame drawn

    def record(*_: object) -> None:
        if plotter.renderer.GetSelector() is not None:
            return  # a picking pass (hovering): the hardware selector draws without MSAA
        drawn.append((render_window.GetMultiSamples(), window.viewport.scene.quality.moving))

    tag = render_window.AddObserver("EndEvent", record)
    try:
        w, h = plotter.width(), plotter.height()
        QTest.mousePress(
            plotter,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
            QPoint(w // 2, h // 2),
        )
        for k in range(1, 7):
            QTest.mouseMove(plotter, QPoint(w // 2 + 12 * k, h // 2 + 4 * k))
            process_events(0.03)
        during = list(drawn)
        moving_image = np.asarray(plotter.screenshot(return_img=True))[..., :3]
        QTest.mouseRelease(
            plotter,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
            QPoint(w // 2 + 72, h // 2 + 24),
        )
        process_events(0.3)
    finally:
        render_window.RemoveObserver(tag)
    assert samples > 1
    assert any(moving and s == 0 for s, moving in during), during  # moving frames: no MSAA
    assert drawn[-1] == (samples, False), drawn[-6:]  # the last frame, still, has it back
    image = np.asarray(plotter.screenshot(return_img=True))[..., :3]
    assert image.std() > 5 and moving_image.std() > 5  # pictures, not blank windows
    # the same terrain in both: the moving frame only lacks the edges' anti-aliasing
    assert np.abs(image.astype(int) - moving_image.astype(int)).mean() < 3


def test_a_still_view_its_budget_held_coarse_regains_detail_when_left_alone(main_window) -> None:  # noqa: ANN001
    window = main_window
    [canyon] = [b for b in window.project.bookmarks if "Mujib" in b.name]
    window.viewport.apply_view(canyon.view)
    settle(window)
    scene = window.viewport.scene
    scene.renderer.GetActiveCamera().Azimuth(1.0)  # a new view: the screenshot's detail goes
    [terrain] = [v for v in scene.visuals.values() if hasattr(v, "refine_lod")]
    budget = scene.budget
    budget.settled_triangles = budget.min_triangles  # as after a spell of slow frames (load)
    frames: list[float] = []
    tag = window.viewport.plotter.render_window.AddObserver(
        "EndEvent", lambda *_: frames.append(terrain.chosen_tolerance_px)
    )
    try:
        window.viewport.request_render()
        process_events(0.05)
        held = terrain.chosen_tolerance_px
        assert held > scene.settled_tolerance_px, "the shrunk budget holds the view coarse"
        process_events(4.0)  # no input: the view is drawn again while its budget may grow
        drawn = len(frames)
        process_events(1.0)
    finally:
        window.viewport.plotter.render_window.RemoveObserver(tag)
    assert drawn > 3 and budget.settled_triangles > 1.5 * budget.min_triangles, frames
    assert terrain.chosen_tolerance_px < held, frames
    assert len(frames) == drawn, "once it cannot gain more, no frames are drawn for it"
