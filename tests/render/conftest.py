"""Off-screen render tests: real VTK through Mesa (EGL/OSMesa), no X server, no mocks.

The demo DEM is read with rasterio (render_helpers.read_grid), not io/dem.py, so these
tests depend only on the model and render packages. Pictures go to ``tests/render/out``
(git-ignored) so a person can look at them.
"""

from __future__ import annotations

import os

os.environ.setdefault("PYVISTA_OFF_SCREEN", "true")

from collections.abc import Callable, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import pyvista as pv  # noqa: E402

from twinscape.model import Project, RasterGrid  # noqa: E402

from render_helpers import DEMO_DEM, SIZE, make_project, read_grid, upsample  # noqa: E402

pv.OFF_SCREEN = True


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder renders (or feeds the renderer): mark it ``render``."""
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.render)


@pytest.fixture(scope="session")
def demo_grid() -> RasterGrid:
    """The Dead Sea demo DEM (1085 x 1259, 90 m, NaN in the rotated corners)."""
    assert DEMO_DEM.is_file(), f"missing demo DEM {DEMO_DEM}"
    return read_grid(DEMO_DEM)


@pytest.fixture(scope="session")
def big_grid(demo_grid: RasterGrid) -> RasterGrid:
    """The demo DEM resampled to 4096 x 4096 (about 26 m cells)."""
    return upsample(demo_grid, 4096)


@pytest.fixture
def demo_project(demo_grid: RasterGrid) -> Project:
    """A fresh project showing the demo DEM with the default style."""
    return make_project(demo_grid)


@pytest.fixture
def plotter_factory() -> Iterator[Callable[..., pv.Plotter]]:
    """Off-screen plotters (closed after the test)."""
    made: list[pv.Plotter] = []

    def make(size: tuple[int, int] = SIZE) -> pv.Plotter:
        plotter = pv.Plotter(off_screen=True, window_size=list(size), lighting="none")
        made.append(plotter)
        return plotter

    yield make
    for plotter in made:
        plotter.close()
