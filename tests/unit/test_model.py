"""The model: plain data with events, validated on construction (no Qt, no VTK)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from twinscape.geo.origin import LocalOrigin
from twinscape.model import (
    CameraView,
    Project,
    ProjectClock,
    RasterGrid,
    TerrainLayer,
    TerrainStyle,
)
from twinscape.model.errors import CRSError, ReaderError


def grid_at(x0: float, y0: float, rows: int = 4, cols: int = 5, res: float = 30.0) -> RasterGrid:
    values = np.arange(rows * cols, dtype=np.float32).reshape(rows, cols)
    return RasterGrid(values=values, transform=(res, 0.0, x0, 0.0, -res, y0), crs="EPSG:32636")


def test_grid_geometry() -> None:
    grid = grid_at(700000.0, 3100000.0)
    assert grid.bounds == (700000.0, 3100000.0 - 120.0, 700000.0 + 150.0, 3100000.0)
    xs, ys = grid.cell_centers()
    assert xs[0] == 700015.0 and ys[0] == 3099985.0
    assert grid.elevation_range() == (0.0, 19.0)


def test_grid_rejects_rotation_and_all_nodata() -> None:
    with pytest.raises(ValueError, match="north-up"):
        RasterGrid(values=np.zeros((2, 2), np.float32), transform=(1, 0.5, 0, 0, -1, 0), crs="x")
    empty = RasterGrid(
        values=np.full((2, 2), np.nan, np.float32), transform=(1, 0, 0, 0, -1, 0), crs="EPSG:32636"
    )
    with pytest.raises(ValueError, match="no valid samples"):
        empty.elevation_range()


def test_layer_events_fire() -> None:
    layer = TerrainLayer(name="dem", source=Path("/x.tif"))
    seen: list[tuple[str, object]] = []
    layer.events.visible.connect(lambda new, old: seen.append(("visible", new)))
    layer.style.events.colormap.connect(lambda new, old: seen.append(("colormap", new)))
    layer.visible = False
    layer.style.colormap = "mountain"
    assert seen == [("visible", False), ("colormap", "mountain")]
    assert layer.kind == "terrain" and not layer.loaded


def test_style_validation_names_the_field() -> None:
    with pytest.raises(ValueError, match="colormap"):
        TerrainStyle(colormap="jet")
    with pytest.raises(ValueError, match="vertical_exaggeration"):
        TerrainStyle(vertical_exaggeration=0)
    with pytest.raises(ValueError, match="elevation_range"):
        TerrainStyle(elevation_range=(10.0, 5.0))


def test_project_origin_and_bounds() -> None:
    project = Project()
    layer = TerrainLayer(name="a", source=Path("/a.tif"))
    layer.grid = grid_at(700000.0, 3100000.0)
    project.layers.append(layer)
    assert project.bounds() == layer.grid.bounds
    project.adopt_origin(project.bounds())
    assert project.origin == (700100.0, 3099900.0, 0.0)
    project.adopt_origin((0, 0, 1, 1))
    assert project.origin == (700100.0, 3099900.0, 0.0), "origin never moves once set"
    assert project.layer_by_id(layer.id) is layer
    with pytest.raises(KeyError, match="no camera bookmark named 'x' \\(known: none\\)"):
        project.bookmark("x")


def test_clock_is_utc_and_clamped() -> None:
    start = datetime(2026, 3, 21, 7, 0, tzinfo=timezone(timedelta(hours=3)))
    clock = ProjectClock(current=start, start=start, end=start + timedelta(hours=2))
    assert clock.current.utcoffset() == timedelta(0)
    assert clock.current.hour == 4
    clock.set_time(start + timedelta(days=3))
    assert clock.current == clock.end
    with pytest.raises(ValueError, match="no timezone"):
        ProjectClock(current=datetime(2026, 1, 1))


def test_camera_view_validation() -> None:
    view = CameraView(position=[1, 2, 3], focal_point=(0, 0, 0))
    assert view.position == (1.0, 2.0, 3.0)
    with pytest.raises(ValueError, match="must differ"):
        CameraView(position=(1, 1, 1), focal_point=(1, 1, 1))


def test_local_origin_keeps_centimetres_at_utm_northings() -> None:
    origin = LocalOrigin(712345.0, 3100000.0)
    world = np.array([[712345.123, 3100000.12, 812.34], [713999.5, 3101234.01, -420.0]])
    render = origin.to_render(world)
    assert render.dtype == np.float32
    assert np.abs(origin.to_world(render) - world).max() < 0.01
    naive = world.astype(np.float32).astype(np.float64)
    assert np.abs(naive - world).max() > 0.05, "without the origin float32 loses decimetres"


def test_errors_read_as_one_line() -> None:
    err = CRSError("/data/x.tif", "has no coordinate reference system", hint="set one")
    assert str(err) == "/data/x.tif: has no coordinate reference system; set one"
    assert isinstance(err, OSError) and isinstance(err, ValueError) and isinstance(err, ReaderError)
