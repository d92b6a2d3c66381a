"""Bookmarks in the window hold real heights: the exaggeration slider keeps the place in view."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QInputDialog

from ui_helpers import settle

pytestmark = pytest.mark.gui


def centre_colour(window) -> np.ndarray:  # noqa: ANN001 - MainWindow
    image = settle(window).astype(int)
    h, w, _ = image.shape
    return image[h // 2 - 2 : h // 2 + 3, w // 2 - 2 : w // 2 + 3].reshape(-1, 3).mean(axis=0)


def test_a_bookmark_keeps_its_place_when_the_slider_changes_the_exaggeration(
    main_window, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = main_window
    layer = window.project.layers[0]
    assert layer.style.vertical_exaggeration == 2.0  # as the demo file says
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("Here", True)))
    window.viewport.apply_view(window.project.bookmarks[2].view)  # Masada and the shore
    mark = window.bookmarks_dock.add_bookmark()
    assert mark is not None
    before = centre_colour(window)

    window.layer_dock.select_layer(layer)
    controls = window.styling_dock.controls
    controls.exaggeration.setValue(4.0)  # what the user does
    assert layer.style.vertical_exaggeration == pytest.approx(4.0)
    view = window.viewport.current_view()
    assert np.allclose(view.focal_point, mark.view.focal_point, atol=1e-3)
    assert np.abs(centre_colour(window) - before).max() < 25  # the same ground in the middle

    window.viewport.apply_view(window.project.bookmarks[0].view)
    window.bookmarks_dock.list.setCurrentRow(len(window.project.bookmarks) - 1)
    window.bookmarks_dock.go_current()
    assert np.allclose(window.viewport.current_view().focal_point, mark.view.focal_point, atol=1e-3)
    item = window.bookmarks_dock.list.currentItem()
    z = mark.view.focal_point[2]
    assert f"looking at {mark.view.focal_point[0]:,.0f} E" in item.toolTip()
    assert f"{z:,.0f} m" in item.toolTip()
    window.mark_clean()
