"""While the camera moves, points narrower than 2 px are drawn 2 px wide and fewer of them
(building_points.point_styles, building_levels.min_point_px): the same picture, from the
pixels, for far fewer points."""

from __future__ import annotations

import numpy as np
import pytest
from test_render_building_lod import Town, town  # noqa: F401  (the fixture)

from twinscape.render import buildings_visual
from twinscape.render.building_levels import min_point_px
from twinscape.render.building_points import point_styles

from render_helpers import snapshot

pytestmark = pytest.mark.render


def test_point_styles_widen_narrow_points_and_keep_their_area() -> None:
    area = np.array([1.0, 2.0, 3.0, 9.0, 0.25])
    size, step = point_styles(area, min_px=2)
    assert size.tolist() == [2, 2, 2, 3, 1]  # 1 and 2 px^2 drawn 2 px wide; sub-pixel as ever
    assert step.tolist() == [2, 1, 0, 0, 2]
    drawn = size**2 / 2.0**step  # area drawn per building, on average
    assert drawn.tolist() == [1.0, 2.0, 4.0, 9.0, 0.25]
    assert point_styles(area)[0].tolist() == [1, 1, 2, 3, 1]  # still: one pixel is the least
    assert (min_point_px(6.0), min_point_px(2.0), min_point_px(1.0)) == (2, 1, 1)


def shown_points(town: Town) -> dict[int, int]:  # noqa: F811
    """Points drawn per size in the chunks in view."""
    out: dict[int, int] = {}
    for chunk, outside in zip(town.visual._chunks, town.visual.culled):
        for pa in chunk.points.values():
            if pa.shown and not outside:
                out[pa.size] = out.get(pa.size, 0) + pa.count
    return out


def moving_picture(town: Town, name: str | None = None) -> tuple[np.ndarray, dict[int, int]]:  # noqa: F811
    town.scene.budget.fixed = 10**7  # a fast renderer: nothing but the tolerance decides
    town.scene.interacting = True
    image = snapshot(town.plotter, name)
    return image, shown_points(town)


def test_a_moving_far_view_draws_fewer_wider_points_for_the_same_picture(
    town: Town,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    town.far(16.0)  # houses about a pixel wide
    wide, wide_points = moving_picture(town, "building_points_moving_wide")
    monkeypatch.setattr(buildings_visual, "min_point_px", lambda _tolerance: 1)
    town.visual._last_camera = ()  # choose again
    narrow, narrow_points = moving_picture(town, "building_points_moving_narrow")
    # one-pixel points are left only for sub-pixel houses, thinned as ever
    assert wide_points.get(1, 0) < 0.1 * narrow_points[1]
    assert sum(wide_points.values()) < 0.5 * sum(narrow_points.values())
    town.layer.visible = False
    ground = snapshot(town.plotter).astype(int)
    town_px = [np.abs(img.astype(int) - ground).max(axis=2) > 12 for img in (narrow, wide)]
    assert town_px[0].sum() > 2000  # the town is in the picture
    # as many building pixels, in the same tone, where the town is
    where = town_px[0] | town_px[1]
    rows, cols = np.nonzero(where)
    box = (slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1))
    tone = np.abs(wide[box].mean(axis=(0, 1)) - narrow[box].mean(axis=(0, 1))).max()
    # one pixel is a rounded-down area for 0.7-2.2 px^2, 2 px a quarter or a half rounded up
    assert town_px[1].sum() == pytest.approx(town_px[0].sum(), rel=0.3)
    assert tone < 6
