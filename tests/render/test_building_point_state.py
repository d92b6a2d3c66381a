"""Point classes decided for the whole layer at once (render/building_point_state.py):
an unchanged view touches nothing, a turn recolours only the classes that turned."""

from __future__ import annotations

from test_render_building_lod import Town, town  # noqa: F401  (the fixture)


def versions(town: Town) -> dict[tuple[int, int], tuple[int, int, int, bool]]:  # noqa: F811
    return {(c, k): (p.version, p.size, p.step, p.shown)
            for c, chunk in enumerate(town.visual._chunks)
            for k, p in chunk.points.items()}  # fmt: skip


def test_the_same_view_again_touches_no_point_class(town: Town) -> None:  # noqa: F811
    town.above()
    town.lod(6.0)
    first = versions(town)
    assert any(shown for *_, shown in first.values())
    gathered = dict(town.visual._batches._shows)
    town.lod(6.0)
    assert versions(town) == first
    assert town.visual._batches._shows == gathered


def test_a_new_colour_recolours_every_shown_class_once(town: Town) -> None:  # noqa: F811
    town.above()
    town.lod(6.0)
    first = versions(town)
    town.visual.recolour()
    town.lod(6.0)
    after = versions(town)
    for key, (version, size, step, shown) in first.items():
        if shown:
            assert after[key][0] > version and after[key][1:] == (size, step, shown)
    town.lod(6.0)
    assert versions(town) == after
