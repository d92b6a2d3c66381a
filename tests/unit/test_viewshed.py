"""Viewshed: against gdal_viewshed on the real DEM, analytic terrains, cumulative, errors."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import rasterio
from shapely.geometry import box

from twinscape.geo.line_of_sight import curvature_coefficient, semi_major_axis
from twinscape.geo.viewshed import ViewshedCancelled, viewshed
from twinscape.geo.viewshed_coverage import coverage_fraction, cumulative_viewshed
from twinscape.model.raster import RasterGrid

GDAL_VIEWSHED = shutil.which("gdal_viewshed")
CRS = "EPSG:32636"


def read_grid(path: Path) -> RasterGrid:
    with rasterio.open(path) as ds:
        values = ds.read(1, masked=True).astype(np.float32).filled(np.nan)
        t = ds.transform
        return RasterGrid(values, (t.a, t.b, t.c, t.d, t.e, t.f), ds.crs.to_string())


def flat(rows: int = 201, cols: int = 201, cell: float = 10.0) -> RasterGrid:
    return RasterGrid(
        np.zeros((rows, cols), np.float32), (cell, 0.0, 500_000.0, 0.0, -cell, 3_500_000.0), CRS
    )


def centre(grid: RasterGrid, row: int, col: int) -> tuple[float, float]:
    xs, ys = grid.cell_centers()
    return float(xs[col]), float(ys[row])


def distances(grid: RasterGrid, row: int, col: int) -> np.ndarray:
    """Distance (m) of every cell centre from the centre of (row, col)."""
    rr, cc = np.indices(grid.shape)
    return np.hypot((rr - row) * grid.resolution[1], (cc - col) * grid.resolution[0])


def gdal_reference(
    dem: Path, grid: RasterGrid, xy: tuple[float, float], tmp: Path, *, oz: float, tz: float,
    radius: float, cc: float,
) -> np.ndarray:
    """gdal_viewshed's output placed on the full grid (it writes only the radius window)."""
    out = tmp / "gdal_viewshed.tif"
    subprocess.run(
        [GDAL_VIEWSHED, "-q", "-ox", repr(xy[0]), "-oy", repr(xy[1]), "-oz", repr(oz),
         "-tz", repr(tz), "-md", repr(radius), "-cc", repr(cc), str(dem), str(out)],
        check=True, capture_output=True,
    )
    with rasterio.open(out) as ds:
        win, t = ds.read(1), ds.transform
    full = np.zeros(grid.shape, np.uint8)
    a, _, c, _, e, f = grid.transform
    c0, r0 = round((t.c - c) / a), round((t.f - f) / e)
    full[r0:r0 + win.shape[0], c0:c0 + win.shape[1]] = win
    return full


def plateau() -> RasterGrid:
    """Flat ground with one cell 100 m high at (10, 10): the observer stands on it."""
    grid = flat(21, 21)
    values = grid.values.copy()
    values[10, 10] = 100.0
    return RasterGrid(values, grid.transform, CRS)


@pytest.fixture(scope="module")
def gdal_adjacent_visible(tmp_path_factory: pytest.TempPathFactory) -> bool:
    """Whether the installed gdal_viewshed marks the observer's 8 neighbours visible.

    GDAL since OSGeo/gdal#10205 does; older releases (Debian 12's 3.6) compare the cells
    north and south of an observer on a plateau with the plateau and hide them.
    """
    if GDAL_VIEWSHED is None:
        pytest.skip("gdal_viewshed (gdal-bin) is not installed")
    grid = plateau()
    tmp = tmp_path_factory.mktemp("plateau")
    dem = tmp / "plateau.tif"
    a, b, c, d, e, f = grid.transform
    with rasterio.open(dem, "w", driver="GTiff", width=21, height=21, count=1,
                       dtype="float32", crs=CRS,
                       transform=rasterio.Affine(a, b, c, d, e, f)) as ds:
        ds.write(grid.values, 1)
    ref = gdal_reference(dem, grid, centre(grid, 10, 10), tmp, oz=2.0, tz=0.0, radius=50.0,
                         cc=0.0)
    return bool(ref[11, 10] == 255)


# ---------------------------------------------------------------- against gdal_viewshed

@pytest.mark.skipif(GDAL_VIEWSHED is None, reason="gdal_viewshed (gdal-bin) is not installed")
@pytest.mark.parametrize(
    ("place", "cell", "oz", "tz", "radius", "curvature"),
    [
        ("valley", (836, 504), 10.0, 0.0, 40_000.0, True),
        ("ridge", (1039, 722), 30.0, 2.0, 60_000.0, True),
        ("slope", (651, 420), 2.0, 1.5, 25_000.0, True),
        ("slope_flat_earth", (651, 420), 50.0, 0.0, 80_000.0, False),
        ("ridge_short", (1039, 722), 5.0, 0.0, 5_000.0, True),
    ],
)
def test_agrees_with_gdal_viewshed(
    demo_utm: Path, tmp_path: Path, gdal_adjacent_visible: bool, place: str,
    cell: tuple[int, int], oz: float, tz: float, radius: float, curvature: bool,
) -> None:
    grid = read_grid(demo_utm)
    row, col = cell
    x, y = centre(grid, row, col)
    xy = (x + 13.0, y - 21.0)  # off the centre: the observer stands on the cell holding it
    cc = curvature_coefficient(curvature, 0.13)
    ref = gdal_reference(demo_utm, grid, xy, tmp_path, oz=oz, tz=tz, radius=radius, cc=cc)
    ours = viewshed(grid, xy, observer_height=oz, target_height=tz, radius=radius,
                    curvature=curvature, refraction=0.13,
                    adjacent_visible=gdal_adjacent_visible)
    assert ours.dtype == np.uint8 and ours.shape == grid.shape
    assert set(np.unique(ours)) <= {0, 255}
    within = distances(grid, row, col) <= radius
    valid = within & np.isfinite(grid.values)
    agreement = float(np.mean(ours[valid] == ref[valid]))
    assert agreement >= 0.98, f"{place}: {agreement:.4%} of {valid.sum()} cells agree"
    assert not ours[~within].any()
    visible = np.mean(ours[valid] == 255)
    assert 0.0 < visible < 1.0, f"{place}: a degenerate case ({visible:.2%} visible)"


def test_adjacent_cells_modes() -> None:
    grid = plateau()
    xy = centre(grid, 10, 10)
    new = viewshed(grid, xy, observer_height=2.0, radius=50.0)
    assert (new[9:12, 9:12] == 255).all()
    old = viewshed(grid, xy, observer_height=2.0, radius=50.0, adjacent_visible=False)
    assert (old[10, 9:12] == 255).all()  # the observer's own row: visible in both
    assert not old[9, 9:12].any() and not old[11, 9:12].any()


# ---------------------------------------------------------------- analytic terrains

def test_flat_plane_without_curvature_is_all_visible_within_radius() -> None:
    grid = flat()
    out = viewshed(grid, centre(grid, 100, 100), observer_height=2.0, radius=800.0,
                   curvature=False)
    d = distances(grid, 100, 100)
    assert (out[d <= 800.0] == 255).all()
    assert (out[d > 800.0] == 0).all()


def test_flat_plane_with_curvature_ends_at_the_horizon() -> None:
    grid = flat(601, 601, 50.0)
    h, radius = 2.0, 15_000.0
    coef = curvature_coefficient(True, 0.13)
    horizon = np.sqrt(2.0 * h * semi_major_axis(CRS) / coef)  # ~5.4 km
    xy = centre(grid, 300, 300)
    out = viewshed(grid, xy, observer_height=h, radius=radius)
    d = distances(grid, 300, 300)
    assert (out[d < 0.95 * horizon] == 255).all()
    assert (out[(d > 1.05 * horizon)] == 0).all()
    # a 2 m target is seen twice as far: its own horizon adds to the observer's
    tall = viewshed(grid, xy, observer_height=h, target_height=h, radius=radius)
    assert (tall[d < 1.9 * horizon] == 255).all()
    assert (tall[d > 2.1 * horizon] == 0).all()


def test_wall_hides_the_cells_behind_it() -> None:
    grid = flat()
    values = grid.values.copy()
    values[:, 120] = 3.0  # a wall 3 m high, 20 cells east of the observer
    walled = RasterGrid(values, grid.transform, CRS)
    xy = centre(grid, 100, 100)
    out = viewshed(walled, xy, observer_height=2.0, radius=2_000.0, curvature=False)
    row = out[100]
    assert (row[100:121] == 255).all()  # in front and the wall itself
    assert (row[121:] == 0).all()  # the sight line over the wall top only rises
    assert (out[:, :100] == 255).all()  # nothing hides the west
    # a 4 m target stays above the sight line over the wall (2 m + 1 m per 20 cells) to d = 40
    out = viewshed(walled, xy, observer_height=2.0, target_height=4.0, radius=2_000.0,
                   curvature=False)
    assert (out[100, 121:140] == 255).all()
    assert (out[100, 141:] == 0).all()


def test_pit_floor_is_hidden_and_ground_beyond_is_seen() -> None:
    grid = flat()
    values = grid.values.copy()
    values[95:106, 130:136] = -20.0  # a pit 20 m deep, 30 to 35 cells east
    pit = RasterGrid(values, grid.transform, CRS)
    xy = centre(grid, 100, 100)
    out = viewshed(pit, xy, observer_height=2.0, radius=2_000.0, curvature=False)
    assert (out[98:103, 130:136] == 0).all()
    assert (out[98:103, 137:] == 255).all()
    tall = viewshed(pit, xy, observer_height=2.0, target_height=25.0, radius=2_000.0,
                    curvature=False)
    assert (tall[98:103, 130:136] == 255).all()


def test_nodata_is_invisible_and_hides_nothing() -> None:
    grid = flat()
    values = grid.values.copy()
    values[:, 110:115] = np.nan
    out = viewshed(RasterGrid(values, grid.transform, CRS), centre(grid, 100, 100),
                   observer_height=2.0, radius=900.0, curvature=False)
    assert not out[:, 110:115].any()
    assert (out[100, 115:191] == 255).all()


def test_observer_anywhere_in_its_cell_and_at_edges() -> None:
    grid = flat(50, 60)
    x, y = centre(grid, 10, 20)
    a = viewshed(grid, (x - 4.9, y + 4.9), observer_height=2.0, radius=150.0)
    b = viewshed(grid, (x + 4.9, y - 4.9), observer_height=2.0, radius=150.0)
    assert np.array_equal(a, b)
    xmin, ymin, xmax, ymax = grid.bounds
    corner = viewshed(grid, (xmax - 1.0, ymin + 1.0), observer_height=2.0, radius=50.0)
    assert corner[-1, -1] == 255 and corner[-6, -1] == 255 and corner[-7, -1] == 0


def test_progress_and_cancel() -> None:
    grid = flat(1500, 300)
    seen: list[float] = []
    viewshed(grid, centre(grid, 750, 150), observer_height=2.0, radius=1e5,
             progress=seen.append)
    assert seen[-1] == 1.0 and seen == sorted(seen)
    with pytest.raises(ViewshedCancelled):
        viewshed(grid, centre(grid, 750, 150), observer_height=2.0, radius=1e5,
                 cancelled=lambda: True)


# ---------------------------------------------------------------- cumulative and coverage

def test_cumulative_equals_the_sum_of_single_viewsheds(demo_utm: Path) -> None:
    grid = read_grid(demo_utm)
    towers = [(*centre(grid, 651, 420), 30.0), (*centre(grid, 1039, 722), 10.0),
              (*centre(grid, 600, 600), 50.0)]
    count = cumulative_viewshed(grid, towers, target_height=1.5, radius=30_000.0)
    singles = [
        viewshed(grid, (x, y), observer_height=h, target_height=1.5, radius=30_000.0)
        for x, y, h in towers
    ]
    assert count.dtype == np.uint16 and count.shape == grid.shape
    expected = sum(s.astype(np.uint16) // 255 for s in singles)
    assert np.array_equal(count, expected)
    assert count.max() == 3
    one = cumulative_viewshed(grid, towers[:1], target_height=1.5, radius=30_000.0, workers=1)
    assert np.array_equal(one, singles[0] // 255)


def test_coverage_fraction_of_a_polygon_and_a_mask() -> None:
    grid = flat(100, 100)
    count = np.zeros(grid.shape, np.uint16)
    count[:, :25] = 1
    count[:, 25:50] = 2
    xmin, ymin, xmax, ymax = grid.bounds
    west_half = box(xmin, ymin, xmin + 500.0, ymax)
    assert coverage_fraction(count, grid, west_half) == pytest.approx(1.0)
    whole = box(xmin, ymin, xmax, ymax)
    assert coverage_fraction(count, grid, whole) == pytest.approx(0.5)
    assert coverage_fraction(count, grid, whole, minimum=2) == pytest.approx(0.25)
    mask = np.zeros(grid.shape, bool)
    mask[:, 40:60] = True
    assert coverage_fraction(count, grid, mask) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="no valid cell"):
        coverage_fraction(count, grid, box(0, 0, 1, 1))


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"observer_xy": (0.0, 0.0)}, "outside the DEM"),
        ({"observer_xy": (float("nan"), 0.0)}, "not a finite point"),
        ({"observer_xy": (1.0, 2.0, 3.0)}, r"must be \(x, y\)"),
        ({"radius": 0.0}, "radius must be a positive"),
        ({"radius": -5.0}, "radius must be a positive"),
        ({"radius": float("inf")}, "radius must be a positive"),
        ({"refraction": 1.5}, "refraction"),
        ({"observer_height": float("nan")}, "observer height"),
        ({"target_height": float("nan")}, "target height"),
    ],
)
def test_bad_arguments_give_one_line_errors(kwargs: dict, match: str) -> None:
    grid = flat(20, 20)
    args = {"observer_xy": centre(grid, 10, 10), "observer_height": 2.0, "radius": 100.0}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match) as info:
        viewshed(grid, **args)
    assert "\n" not in str(info.value)


def test_observer_on_nodata_and_bad_observer_lists() -> None:
    grid = flat(20, 20)
    values = grid.values.copy()
    values[10, 10] = np.nan
    holed = RasterGrid(values, grid.transform, CRS)
    with pytest.raises(ValueError, match="nodata"):
        viewshed(holed, centre(grid, 10, 10), observer_height=2.0, radius=100.0)
    with pytest.raises(ValueError, match="no observers"):
        cumulative_viewshed(grid, [], radius=100.0)
    with pytest.raises(ValueError, match=r"\(x, y, observer_height\)"):
        cumulative_viewshed(grid, [(1.0, 2.0)], radius=100.0)  # type: ignore[list-item]
    with pytest.raises(ValueError, match="outside the DEM"):
        cumulative_viewshed(grid, [(*centre(grid, 5, 5), 2.0), (0.0, 0.0, 2.0)], radius=100.0)
