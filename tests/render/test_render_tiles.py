"""Tiling, geometric errors, skirts, holes and textures: render/terrain_{tiles,lod,mesh}.py."""

from __future__ import annotations

import numpy as np
import pytest

from twinscape.geo.origin import LocalOrigin
from twinscape.model import RasterGrid
from twinscape.render.terrain_lod import block_error, level_error, level_indices
from twinscape.render.terrain_tiles import TerrainTiles, choose_tile_size


def synthetic(rows: int = 300, cols: int = 270, *, holes: bool = False) -> RasterGrid:
    """Rough analytic terrain with optional NaN corner and a NaN lake inside."""
    y, x = np.mgrid[0:rows, 0:cols].astype(np.float32)
    z = 300 + 80 * np.sin(x / 9.0) * np.cos(y / 13.0) + 0.7 * x + 25 * np.sin(x * y / 500.0)
    if holes:
        z[(x + y) < 60] = np.nan  # a rotated-corner wedge
        z[(x - 150) ** 2 + (y - 170) ** 2 < 15**2] = np.nan  # a hole inside
    return RasterGrid(
        values=z.astype(np.float32),
        transform=(30.0, 0.0, 500_000.0, 0.0, -30.0, 3_400_000.0),
        crs="EPSG:32636",
    )


def tiles_of(grid: RasterGrid, size: int = 65) -> TerrainTiles:
    a, _, c, _, e, f = grid.transform
    rows, cols = grid.shape
    origin = LocalOrigin(c + a * cols / 2, f + e * rows / 2, 0.0)
    return TerrainTiles(grid, origin, tile_size=size)


def test_level_indices_keep_the_last_sample() -> None:
    assert level_indices(9, 4).tolist() == [0, 4, 8]
    assert level_indices(11, 4).tolist() == [0, 4, 8, 10]
    assert level_indices(2, 8).tolist() == [0, 1]


def test_tile_size_keeps_the_actor_count_bounded() -> None:
    assert choose_tile_size((1259, 1085)) == 129
    assert choose_tile_size((4096, 4096)) == 257
    assert choose_tile_size((100, 100)) == 65


def test_tiles_share_edges_and_cover_the_grid() -> None:
    tiles = tiles_of(synthetic())
    rows, cols = tiles.values.shape
    assert max(t.r0 + t.nrows for t in tiles.tiles) == rows
    assert max(t.c0 + t.ncols for t in tiles.tiles) == cols
    right = {(t.row, t.col): t for t in tiles.tiles}
    for t in tiles.tiles:
        n = right.get((t.row, t.col + 1))
        if n is not None:
            assert n.c0 == t.c0 + t.ncols - 1  # one shared column


def test_block_error_matches_the_general_error() -> None:
    z = synthetic().values[:65, :65]
    for level in range(1, 6):
        rows = cols = level_indices(65, 1 << level)
        exact = level_error(z, rows, cols)
        assert block_error(z, 1 << level) <= exact + 1e-3
        # the block version skips only the last row/column, which the edge errors cover
        assert block_error(z, 1 << level) >= 0.5 * exact


def test_errors_start_at_zero_and_never_decrease() -> None:
    tiles = tiles_of(synthetic())
    assert np.all(tiles.errors[:, 0] == 0)
    assert np.all(np.diff(tiles.errors, axis=1) >= 0)
    assert tiles.errors[:, -1].max() > 20  # rough terrain: coarse levels are wrong by metres


def test_coarser_levels_are_chosen_further_away() -> None:
    tiles = tiles_of(synthetic())
    near = tiles.select_levels(np.full(len(tiles.tiles), 5.0), 2.0)
    far = tiles.select_levels(np.full(len(tiles.tiles), 0.01), 2.0)
    assert np.all(near == 0)
    assert np.all(far >= near) and far.max() > 0
    sse = tiles.screen_errors(np.full(len(tiles.tiles), 0.01))
    assert np.all(sse[np.arange(len(far)), far] <= 2.0)


def edge_profile(tiles: TerrainTiles, index: int, level: int, side: str) -> tuple:
    mesh = tiles.mesh(index, level, skirts=False)
    tile = tiles.tiles[index]
    rows, cols = tiles.indices(tile, level)
    pts = mesh.points[: len(rows) * len(cols)].reshape(len(rows), len(cols), 3)
    line = {"east": pts[:, -1], "west": pts[:, 0], "south": pts[-1], "north": pts[0]}[side]
    return line[:, 1] if side in ("east", "west") else line[:, 0], line[:, 2]


@pytest.mark.parametrize("levels", [(0, 3), (3, 0), (1, 4), (4, 4), (2, 5)])
def test_skirts_cover_every_crack_between_neighbours(levels: tuple[int, int]) -> None:
    tiles = tiles_of(synthetic())
    by_pos = {(t.row, t.col): t for t in tiles.tiles}
    checked = 0
    for t in tiles.tiles:
        n = by_pos.get((t.row, t.col + 1))
        if n is None:
            continue
        a, b = levels
        ya, za = edge_profile(tiles, t.index, a, "east")
        yb, zb = edge_profile(tiles, n.index, b, "west")
        # both profiles at the finer set of positions (y decreases along a column)
        fine_y = ya if len(ya) >= len(yb) else yb
        fa = np.interp(-fine_y, -ya, za)
        fb = np.interp(-fine_y, -yb, zb)
        depth_a = tiles.skirt_depth[t.index, a, 3]  # east skirt of t
        depth_b = tiles.skirt_depth[n.index, b, 2]  # west skirt of n
        assert np.all(fa - fb <= depth_a + 1e-3)  # t higher: t's skirt closes the gap
        assert np.all(fb - fa <= depth_b + 1e-3)
        checked += 1
    assert checked


def test_outer_edges_have_no_skirt_depth() -> None:
    tiles = tiles_of(synthetic())
    for t in tiles.tiles:
        for side, outer in enumerate(t.outer):
            if outer:
                assert np.all(tiles.skirt_depth[t.index, :, side] == 0)
            else:
                assert np.all(tiles.skirt_depth[t.index, :, side] > 0)


def test_tiles_without_nodata_share_their_faces() -> None:
    tiles = tiles_of(synthetic())
    full = [t.index for t in tiles.tiles if t.nrows == t.ncols == 65]
    m1, m2 = tiles.mesh(full[0], 2), tiles.mesh(full[1], 2)
    assert m1.faces is None and m2.faces is None
    assert m1.template_key == m2.template_key
    assert tiles.template(m1.template_key) is tiles.template(m2.template_key)
    assert m1.points.dtype == np.float32


@pytest.mark.parametrize("level", [0, 2, 4])
@pytest.mark.parametrize("rim", [0, 1, 2])
def test_nodata_becomes_holes_without_nan_points(level: int, rim: int) -> None:
    grid = synthetic(holes=True)
    tiles = tiles_of(grid)
    xc, yc = grid.cell_centers()
    ox, oy = tiles.origin.x, tiles.origin.y
    holed = [t.index for t in tiles.tiles if tiles.has_nodata[t.index]]
    assert len(holed) >= 2
    for index in holed:
        mesh = tiles.mesh(index, level, rim=rim)
        assert np.isfinite(mesh.points).all()
        assert mesh.faces is not None and len(mesh.faces)
        used = np.unique(mesh.faces)
        col = np.rint((mesh.points[used, 0] + ox - xc[0]) / 30.0).astype(int)
        row = np.rint((yc[0] - (mesh.points[used, 1] + oy)) / 30.0).astype(int)
        assert np.isfinite(grid.values[row, col]).all(), "a triangle touches a NaN sample"
        # holes grow by at most the rim level: the area drawn stays close to level 0's
        drawn = _area(mesh.points, mesh.faces)
        exact = _area(*(lambda m: (m.points, m.faces))(tiles.mesh(index, 0, skirts=False)))
        assert drawn <= exact * 1.001 + 1.0
        assert drawn >= exact * (0.93 if rim < 2 else 0.8), (drawn, exact)


def _area(points: np.ndarray, faces: np.ndarray) -> float:
    p = points[faces].astype(np.float64)
    a, b = p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]
    cross = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
    return float(np.abs(cross).sum() / 2)


def test_texture_texels_sit_on_samples() -> None:
    grid = synthetic()
    tiles = tiles_of(grid)
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 255, grid.shape + (3,), dtype=np.uint8)
    tiles.set_colors(rgb.copy())
    tile = next(t for t in tiles.tiles if t.nrows == t.ncols == 65 and t.row and t.col)
    for level in (0, 1, 3):
        tex, (su, ou, sv, ov) = tiles.texture(tile.index, level)
        h, w = tex.shape[:2]
        s = 1 << level
        for r, c in [(0, 0), (s, 2 * s), (tile.nrows - 1 - (tile.nrows - 1) % s, s)]:
            u, v = su * c + ou, sv * r + ov
            j, i = u * w - 0.5, v * h - 0.5  # texel centre coordinates
            assert abs(j - round(j)) < 1e-6 and abs(i - round(i)) < 1e-6
            texel = tex[int(round(i)), int(round(j))]
            expect = tiles.colors[level][(tile.r0 + r) // s, (tile.c0 + c) // s]
            assert np.array_equal(texel, expect)
    assert np.array_equal(tiles.colors[0], rgb)  # level 0 is the baked colours as they are


def test_texture_levels_follow_texel_size() -> None:
    tiles = tiles_of(synthetic())
    tiles.set_colors(np.zeros(tiles.values.shape + (3,), np.uint8))
    n = len(tiles.tiles)
    assert np.all(tiles.texture_levels(np.full(n, 1.0)) == 0)  # 30 px per texel
    far = tiles.texture_levels(np.full(n, 1 / 120.0))  # 4 texels per pixel
    assert np.all(far == 2)
