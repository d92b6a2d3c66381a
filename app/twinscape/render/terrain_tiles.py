"""Terrain tiles, numpy only (no VTK), so it is unit-testable.

The grid is cut into square tiles of ``2**k + 1`` samples that share their edge
samples (partial tiles at the grid edge keep their extent). A grid one sample
high or wide (1 x 1, 1 x N, N x 1) is drawn as its cells: the single row or column of
samples is doubled onto the two edges of its cells, so it covers its footprint.
:class:`TerrainTiles` measures every tile once (box, errors per level, skirt depths)
and then serves, per tile, the level choice (:mod:`~twinscape.render.terrain_lod`) and
the meshes and textures (:mod:`~twinscape.render.terrain_mesh`).
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from twinscape.geo.origin import LocalOrigin
from twinscape.model.raster import RasterGrid
from twinscape.render import terrain_lod as lod
from twinscape.render.parallel import on_all_cores
from twinscape.render.terrain_mesh import (
    TileMesh,
    border_indices,
    clean_cells,
    grid_faces,
    grid_tcoords,
    rim_triangles,
    skirt_depths,
    stitch_edges,
    tile_texture,
)
from twinscape.render.texture_pyramid import color_pyramid

#: Tile sizes (samples per side) tried from small to large; the first one giving at
#: most ``MAX_TILES`` tiles is used.
TILE_SIZES = (65, 129, 257, 513, 1025)
MAX_TILES = 256


def choose_tile_size(shape: tuple[int, int], max_tiles: int = MAX_TILES) -> int:
    """Smallest size of :data:`TILE_SIZES` that cuts ``shape`` into at most ``max_tiles`` tiles."""
    for size in TILE_SIZES:
        if _count(shape[0], size) * _count(shape[1], size) <= max_tiles:
            return size
    return TILE_SIZES[-1]


#: Row and column steps to the north, south, west and east neighbour of a tile.
_SIDES = ((-1, 0), (1, 0), (0, -1), (0, 1))


def _count(n: int, size: int) -> int:
    return max(0, math.ceil((n - 1) / (size - 1)))


@dataclass(frozen=True)
class Tile:
    """One tile: ``nrows x ncols`` samples from global sample ``(r0, c0)``."""

    index: int
    row: int
    col: int
    r0: int
    c0: int
    nrows: int
    ncols: int
    outer: tuple[bool, bool, bool, bool]  # north, south, west, east on the grid edge


class TerrainTiles:
    """Tiles, levels and errors of one grid, and the meshes and textures of its tiles.

    Parameters
    ----------
    grid
        The elevation grid (project CRS, metres).
    origin
        Subtracted (in float64) from world coordinates before the cast to float32.
    tile_size
        Samples per tile side, ``2**k + 1``; None chooses with :func:`choose_tile_size`.
    cutout
        bool (rows, cols): samples a finer terrain draws (see
        :mod:`~twinscape.geo.terrain_overlap`), left out like nodata (``grid`` itself is
        not changed); the rims of these holes are drawn at full resolution.
    skirt_floor
        Elevations (north, south, west, east: one per border sample, NaN for none) the
        skirts of the grid's outer edges reach down to, so a terrain over another shows
        no crack at its edge; None: outer edges have no skirts.

    Attributes
    ----------
    errors
        (tiles, levels) float32: max vertical deviation in metres of each level from
        the full-resolution samples (0 at level 0, non-decreasing).
    skirt_depth
        (tiles, levels, 4) float32: depth of the north, south, west and east skirts.
    bbox
        (tiles, 6): xmin, xmax, ymin, ymax, zmin, zmax in render coordinates.
    """

    def __init__(
        self, grid: RasterGrid, origin: LocalOrigin, *, tile_size: int | None = None,
        cutout: np.ndarray | None = None, skirt_floor: Sequence[np.ndarray] | None = None,
    ) -> None:  # fmt: skip
        # weakly: tiles kept per grid for a visual to adopt (see prepare_tiles) must not
        # keep their grid, hence themselves, alive for ever
        self._grid = weakref.ref(grid)
        self.resolution = grid.resolution
        self.origin = origin
        xc, yc = grid.cell_centers()
        west, south, east, north = grid.bounds
        self._thin = (grid.shape[0] < 2, grid.shape[1] < 2)
        if self._thin[0]:
            yc = np.array([north, south])
        if self._thin[1]:
            xc = np.array([west, east])
        values = grid.values
        if cutout is not None:
            values = np.where(cutout, np.float32(np.nan), values)
        self.values = self._widen(values)
        self._cut = None if cutout is None else self._widen(cutout)
        self._floor = None if skirt_floor is None or any(self._thin) else list(skirt_floor)
        rows, cols = self.values.shape
        self.tile_size = tile_size or choose_tile_size((rows, cols))
        if self.tile_size < 3 or (self.tile_size - 1) & (self.tile_size - 2):
            raise ValueError(f"tile_size must be 2**k + 1, got {self.tile_size}")
        self.n_levels = int(math.log2(self.tile_size - 1))  # strides 1 .. (size-1)/2
        self._x, self._y = xc - origin.x, yc - origin.y  # float64 render coordinates
        step = self.tile_size - 1
        n_tr, n_tc = _count(rows, self.tile_size), _count(cols, self.tile_size)
        self.tiles: list[Tile] = [
            Tile(
                index=tr * n_tc + tc, row=tr, col=tc, r0=tr * step, c0=tc * step,
                nrows=min(step, rows - 1 - tr * step) + 1,
                ncols=min(step, cols - 1 - tc * step) + 1,
                outer=(tr == 0, tr == n_tr - 1, tc == 0, tc == n_tc - 1),
            )
            for tr in range(n_tr)
            for tc in range(n_tc)
        ]  # fmt: skip
        n = len(self.tiles)
        at = {(t.row, t.col): t.index for t in self.tiles}
        #: (tiles, 4): the north, south, west and east neighbour of every tile, -1 at the edge
        self.neighbours = np.array(
            [
                [at.get((t.row + dr, t.col + dc), -1) for dr, dc in _SIDES]
                for t in self.tiles
            ],
            np.int64,
        ).reshape(n, 4)
        self.errors = np.zeros((n, self.n_levels), np.float32)
        self.skirt_depth = np.zeros((n, self.n_levels, 4), np.float32)
        self.bbox = np.zeros((n, 6), np.float64)
        self.empty = np.zeros(n, bool)
        self.has_nodata = np.zeros(n, bool)
        self.exact_rims = np.zeros(n, bool)  # tiles around a cut-out: rims at full resolution
        on_all_cores(self._measure, self.tiles)
        self._cut = self._floor = None
        self.colors: list[np.ndarray] = []
        self._templates: dict[tuple[int, int, bool], np.ndarray] = {}
        self._tcoords: dict[tuple[int, int, int, bool], np.ndarray] = {}

    @property
    def grid(self) -> RasterGrid | None:
        """The grid the tiles were cut from (None once nothing else holds it)."""
        return self._grid()

    # -- construction ---------------------------------------------------------------
    def _widen(self, array: np.ndarray) -> np.ndarray:
        """``array`` (grid-shaped) with a single row or column doubled (see the module)."""
        for axis, thin in enumerate(self._thin):
            if thin and array.shape[axis] == 1:
                array = np.repeat(array, 2, axis=axis)
        return array

    def tile_values(self, tile: Tile) -> np.ndarray:
        """View of the tile's samples in the full grid."""
        return self.values[tile.r0 : tile.r0 + tile.nrows, tile.c0 : tile.c0 + tile.ncols]

    def indices(self, tile: Tile, level: int) -> tuple[np.ndarray, np.ndarray]:
        """Local row and column indices of the tile's samples at ``level``."""
        stride = 1 << level
        return lod.level_indices(tile.nrows, stride), lod.level_indices(tile.ncols, stride)

    def _measure(self, tile: Tile) -> None:
        z = self.tile_values(tile)
        finite = np.isfinite(z)
        i = tile.index
        if not finite.any():
            self.empty[i] = True
            return
        self.has_nodata[i] = not finite.all()
        x = self._x[tile.c0 : tile.c0 + tile.ncols]
        y = self._y[tile.r0 : tile.r0 + tile.nrows]
        zmin, zmax = float(np.nanmin(z)), float(np.nanmax(z))
        self.bbox[i] = (x[0], x[-1], y[-1], y[0], zmin - self.origin.z, zmax - self.origin.z)
        square = tile.nrows == tile.ncols == self.tile_size
        self.errors[i], edge_errors = lod.tile_errors(z, self.n_levels, square=square)
        margin = 0.05 * min(self.resolution)
        self.skirt_depth[i] = skirt_depths(edge_errors, tile.outer, margin)
        if self._cut is not None:
            cut = self._cut[tile.r0 : tile.r0 + tile.nrows, tile.c0 : tile.c0 + tile.ncols]
            self.exact_rims[i] = bool(cut.any())
        if self._floor is not None:
            self._outer_skirts(tile, z, margin)

    def _outer_skirts(self, tile: Tile, z: np.ndarray, margin: float) -> None:
        """Skirts of the tile's outer edges down to the skirt floor under them, if any."""
        assert self._floor is not None
        cols = slice(tile.c0, tile.c0 + tile.ncols)
        rows = slice(tile.r0, tile.r0 + tile.nrows)
        edges = (z[0], z[-1], z[:, 0], z[:, -1])
        floors = (self._floor[0][cols], self._floor[1][cols], self._floor[2][rows],
                  self._floor[3][rows])  # fmt: skip
        for side, (top, floor) in enumerate(zip(edges, floors)):
            top, floor = top[np.isfinite(top)], floor[np.isfinite(floor)]
            if tile.outer[side] and len(top) and len(floor):
                depth = float(top.max()) - float(floor.min()) + margin
                self.skirt_depth[tile.index, :, side] = max(depth, margin)

    def set_colors(self, rgb: np.ndarray) -> None:
        """Use ``rgb`` (uint8 (rows, cols, 3), full resolution) for the tile textures.

        Keeps ``rgb`` (rims of holes filled in place) and a filtered pyramid of it. The
        holes are the grid's own nodata, not a cut-out, so the colours stay right for the
        same grid drawn with another cut-out (or none).
        """
        rgb = self._widen(rgb)
        if rgb.shape != self.values.shape + (3,):
            raise ValueError(f"colours {rgb.shape} do not match the grid {self.values.shape}")
        grid = self.grid
        values = self.values if grid is None else self._widen(grid.values)
        self.colors = color_pyramid(rgb, np.isfinite(values), self.n_levels)

    # -- level of detail (see terrain_lod) -----------------------------------------
    def pixels_per_metre(
        self, eye: tuple[float, float, float], view_angle: float, viewport_h: float,
        *, ve: float = 1.0, parallel_scale: float | None = None,
    ) -> np.ndarray:  # fmt: skip
        """Screen pixels per metre at the nearest point of every tile."""
        return lod.pixels_per_metre(
            self.bbox, eye, view_angle, viewport_h, ve=ve, parallel_scale=parallel_scale
        )

    def screen_errors(self, scale: np.ndarray, ve: float = 1.0) -> np.ndarray:
        """Screen-space error (px) of every (tile, level) at ``scale`` px/m."""
        return lod.screen_errors(self.errors, scale, ve)

    def select_levels(
        self, scale: np.ndarray, tolerance_px: float, *, ve: float = 1.0,
        outside: np.ndarray | None = None,
    ) -> np.ndarray:  # fmt: skip
        """Coarsest level per tile whose screen-space error is within ``tolerance_px``.

        Returns -1 for empty tiles and tiles flagged ``outside`` (the view frustum).
        """
        levels = lod.select_levels(self.errors, scale, tolerance_px, ve)
        if outside is not None:
            levels[outside] = -1
        levels[self.empty] = -1
        return levels

    def rim_levels(self, scale: np.ndarray, tolerance_px: float) -> np.ndarray:
        """Coarsest level per tile whose sample spacing is within ``tolerance_px`` on screen.

        Cells that touch nodata are drawn at this level, so the rim of a hole moves by
        at most the tolerance. 0 for tiles without nodata (unused) and around a cut-out
        (whose rim must stay under the finer terrain).
        """
        res = max(self.resolution)
        level = lod.rim_levels(res, scale, tolerance_px, self.n_levels)
        return np.where(self.has_nodata & ~self.exact_rims, level, 0)

    def texture_levels(self, scale: np.ndarray, texel_px: float = lod.TEXEL_PX) -> np.ndarray:
        """Finest texture level per tile whose texels are at least ``texel_px`` on screen."""
        res = max(self.resolution)
        return lod.texture_levels(res, scale, max(len(self.colors), 1), texel_px)

    def outside(self, planes: np.ndarray, ve: float = 1.0) -> np.ndarray:
        """Tiles whose box lies wholly outside one of the (6, 4) inward ``planes``."""
        return lod.boxes_outside(self.bbox, planes, ve)

    # -- meshes and textures --------------------------------------------------------
    def template(self, key: tuple[int, int, bool]) -> np.ndarray:
        """Shared faces of a level shape ``(nrows, ncols, skirts)``."""
        if key not in self._templates:
            self._templates[key] = grid_faces(key[0], key[1], skirts=key[2])
        return self._templates[key]

    def tcoords(self, key: tuple[int, int, int, bool]) -> np.ndarray:
        """Shared texture coordinates (local column, row) of a tile shape and level.

        ``key`` is ``(tile rows, tile cols, level, skirts)``.
        """
        if key not in self._tcoords:
            nrows, ncols, level, skirts = key
            self._tcoords[key] = grid_tcoords(nrows, ncols, level, skirts=skirts)
        return self._tcoords[key]

    def mesh(
        self, index: int, level: int, *, rim: int = 0, skirts: bool = True,
        stitch: tuple[int, int, int, int] | None = None,
    ) -> TileMesh:  # fmt: skip
        """Points and faces of tile ``index`` at ``level``.

        Without nodata the faces are the shared template. With nodata, a coarse cell is
        drawn only if all its full-resolution samples are valid; the others are drawn
        with the triangles of the finer level ``rim`` (see :meth:`rim_levels`) that touch
        no NaN, so a hole's rim is as exact as that level. Their vertices on the edge of a
        drawn coarse cell are moved onto that edge, so the two meet without a crack.
        ``stitch`` gives the levels of the north, south, west and east neighbours: along an
        edge whose neighbour is coarser, the vertices between the neighbour's samples are
        moved onto its edge, so the two meet without skirts (translucent terrain).
        """
        tile = self.tiles[index]
        rows, cols = self.indices(tile, level)
        full = self.tile_values(tile)
        z = full[np.ix_(rows, cols)]
        if stitch is not None:
            stitch_edges(z, full, rows, cols, level, stitch)
        nan = ~np.isfinite(z)
        nr, nc = len(rows), len(cols)
        fill = np.float32(self.bbox[index, 4] + self.origin.z)
        pts = self._points(tile, rows, cols, np.where(nan, fill, z)).reshape(-1, 3)
        nan = nan.ravel()
        if skirts:
            sides = border_indices(nr, nc)
            drop = [np.array([0, 0, d], np.float32) for d in self.skirt_depth[index, level]]
            pts = np.concatenate([pts, *(pts[s] - d for s, d in zip(sides, drop))])
            nan = np.concatenate([nan, *(nan[s] for s in sides)])
        key = (nr, nc, skirts)
        tkey = (tile.nrows, tile.ncols, level, skirts)
        faces = self.template(key)
        if not self.has_nodata[index]:
            return TileMesh(pts, None, key, tkey, len(faces))
        n_grid = 2 * (nr - 1) * (nc - 1)
        clean = clean_cells(np.isfinite(full), rows, cols)
        keep = np.concatenate([np.repeat(clean.ravel(), 2), ~nan[faces[n_grid:]].any(axis=1)])
        rim = min(rim, level)
        fine_faces, extra_rc, extra_z = rim_triangles(
            full, rows, cols, clean, z, rim, base=len(pts)
        )
        tc = self.tcoords(tkey)
        if len(extra_rc):
            extra = self._points(tile, extra_rc[:, 0], extra_rc[:, 1], extra_z, pairs=True)
            pts = np.concatenate([pts, extra])
            tc = np.concatenate([tc, extra_rc[:, ::-1].astype(np.float32)])
        own = np.concatenate([faces[keep], fine_faces]).astype(np.int32)
        return TileMesh(pts, own, key, tkey, len(own), tcoords=tc)

    def _points(
        self, tile: Tile, rows: np.ndarray, cols: np.ndarray, z: np.ndarray, *, pairs: bool = False
    ) -> np.ndarray:
        """Render-space points of local (rows x cols) samples, or of (row, col) ``pairs``."""
        x = self._x[tile.c0 + cols]
        y = self._y[tile.r0 + rows]
        shape = (len(rows), 3) if pairs else (len(rows), len(cols), 3)
        pts = np.empty(shape, np.float32)
        pts[..., 0] = x if pairs else x[None, :]
        pts[..., 1] = y if pairs else y[:, None]
        pts[..., 2] = z - np.float32(self.origin.z)
        return pts

    def texture(
        self, index: int, level: int
    ) -> tuple[np.ndarray, tuple[float, float, float, float]]:
        """Colours of tile ``index`` at pyramid ``level`` and their texture-coordinate map.

        See :func:`~twinscape.render.terrain_mesh.tile_texture`.
        """
        tile = self.tiles[index]
        return tile_texture(self.colors, tile.r0, tile.c0, tile.nrows, tile.ncols, level)
