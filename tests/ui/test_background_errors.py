"""Work that fails off the GUI thread is shown where the user looks (issue 10).

A terrain recolour that fails puts one line in the status bar and a notice that does
not block, a screenshot of the out-of-date colours is refused, and the message goes
once the colours are right again. A load that fails says so in the status bar and in
a dialog of one line, with an odd file name quoted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ui_helpers import DEMO_DEM, settle, wait_for_task, wait_until


def _other_ramp(current: str) -> str:
    return "gray" if current != "gray" else "desert"


def test_a_failed_recolour_is_told_and_the_stale_picture_refused(
    main_window,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
    critical_messages: list[tuple[str, str]],
    tmp_path: Path,
) -> None:
    from twinscape.model.terrain import TerrainLayer
    from twinscape.render import recolour

    window = main_window
    layer = next(item for item in window.project.layers if isinstance(item, TerrainLayer))
    settle(window)
    original_ramp = layer.style.colormap
    original = recolour.colour_pyramid

    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise ValueError("colour ramp exploded\nat row 3")

    monkeypatch.setattr(recolour, "colour_pyramid", broken)
    layer.style.colormap = _other_ramp(original_ramp)
    status = window.statusBar()
    wait_until(lambda: "exploded" in status.currentMessage(), 30, "the failure in the status bar")
    message = status.currentMessage()
    assert "\n" not in message
    assert layer.name in message and "out of date" in message
    assert window.status.problems == [message]
    notice = window.status._notice
    assert notice is not None and notice.isVisible() and not notice.isModal()
    assert "exploded" in notice.text() and "\n" not in notice.text()

    shot = tmp_path / "stale.png"
    assert window.files.save_screenshot(shot) is None
    assert not shot.exists()
    title, text = critical_messages[-1]
    assert "screenshot" in title.lower()
    assert "out-of-date colours" in text and "\n" not in text

    monkeypatch.setattr(recolour, "colour_pyramid", original)
    layer.style.colormap = original_ramp
    wait_until(lambda: not window.status.problems, 30, "the failure cleared")
    assert status.currentMessage() != message
    assert window.files.save_screenshot(shot) == shot
    notice.close()
    window.mark_clean()


def test_a_failed_drape_paint_is_told_too(
    main_window,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from twinscape.render import recolour

    def fails(grid):  # noqa: ANN001, ANN202
        raise MemoryError("no room for the drape")

    class Source:
        key = ("hostile-drape",)
        paint = staticmethod(fails)
        shaded = False

    class Drape:
        source = Source()
        opacity = 1.0
        signature = (("hostile-drape",), 1.0, False)

    window = main_window
    settle(window)
    visual = next(v for v in window.viewport.scene.visuals.values() if hasattr(v, "set_drapes"))
    visual.set_drapes([Drape()])
    status = window.statusBar()
    wait_until(lambda: "could not be painted" in status.currentMessage(), 30, "the drape failure")
    assert "the rest is drawn" in status.currentMessage()
    assert visual.colour_problem is not None and not visual.colour_problem.stale
    assert isinstance(recolour.ColourProblem("x", False), recolour.ColourProblem)
    visual.set_drapes([])
    wait_until(lambda: not window.status.problems, 30, "the drape failure cleared")
    window.status._notice.close()


def test_a_failed_load_is_one_line_in_the_status_bar_and_a_dialog(
    main_window,  # noqa: ANN001
    critical_messages: list[tuple[str, str]],
    tmp_path: Path,
) -> None:
    window = main_window
    junk = tmp_path / "two\nlines\x1b[31m.tif"
    junk.write_bytes(b"\x00garbage" * 50)
    before = list(window.project.layers)
    task = window.files.add_paths([junk])
    assert wait_for_task(task) == "failed"
    assert list(window.project.layers) == before
    _title, text = critical_messages[-1]
    assert "\n" not in text and "\x1b" not in text
    assert "'" in text and "two\\nlines" in text
    message = window.statusBar().currentMessage()
    assert "failed" in message and "two\\nlines" in message and "\n" not in message


def test_a_reader_that_breaks_loses_only_its_own_file(
    main_window,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
    critical_messages: list[tuple[str, str]],
    tmp_path: Path,
) -> None:
    import twinscape.ui.load_jobs as load_jobs

    hostile = tmp_path / "hostile.tif"
    hostile.write_bytes(DEMO_DEM.read_bytes())
    real = load_jobs.read_layer

    def read_layer(layer, **kwargs):  # noqa: ANN001, ANN003, ANN202
        if Path(layer.source).name == "hostile.tif":
            raise RecursionError("maximum recursion depth exceeded\nwhile reading")
        return real(layer, **kwargs)

    monkeypatch.setattr(load_jobs, "read_layer", read_layer)
    window = main_window
    count = len(window.project.layers)
    task = window.files.add_paths([hostile, DEMO_DEM])
    assert wait_for_task(task) == "finished"
    assert len(window.project.layers) == count + 1
    _title, text = critical_messages[-1]
    assert "hostile.tif" in text and "maximum recursion depth" in text and "\n" not in text
    window.mark_clean()
