"""Terrain tiling and level of detail, numpy only (no VTK), so it is unit-testable.

The grid is cut into square tiles of ``2**k + 1`` samples that share their edge
samples. Level ``L`` of a tile keeps every ``2**L``-th sample (plus the tile's last
row and column, so partial tiles at the grid edge keep their extent). Each cell is
split along the same diagonal at every level, so a coarse triangle is the union
of finer ones and the vertical error of a level is exact at the full-resolution
samples. Cracks between tiles at different levels are hidden by skirts: a
vertical curtain under every inner tile edge, deep enough to cover the largest
possible mismatch of the shared edge at any pair of levels. Triangles touching a
NaN sample are dropped (holes); NaN never reaches a point coordinate.

Colour is a texture per tile, cut from a filtered pyramid of the baked colours at
the level whose texels are about a pixel on screen, so colour detail does not
depend on the (usually much coarser) geometric level.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from twinscape.geo.origin import LocalOrigin
from twinscape.model.raster import RasterGrid
from twinscape.render.colormaps import color_pyramid

#: Tile sizes (samples per side) tried from small to large; the first one giving at
#: most ``MAX_TILES`` tiles is used.
TILE_SIZES = (65, 129, 257, 513, 1025)
MAX_TILES = 256
#: Texture level choice: the finest whose texel spacing on screen is at least this many
#: pixels (finer would alias without mipmaps, which cost too much on llvmpipe).
TEXEL_PX = 0.8


def choose_tile_size(shape: tuple[int, int], max_tiles: int = MAX_TILES) -> int:
    """Smallest size of :data:`TILE_SIZES` that cuts ``shape`` into at most ``max_tiles`` tiles."""
    for size in TILE_SIZES:
        if _count(shape[0], size) * _count(shape[1], size) <= max_tiles:
            return size
    return TILE_SIZES[-1]


def _count(n: int, size: int) -> int:
    return max(0, math.ceil((n - 1) / (size - 1)))


def level_indices(n: int, stride: int) -> np.ndarray:
    """Sample indices ``0, stride, 2*stride, ...`` of ``n`` samples, always ending at ``n - 1``."""
    idx = np.arange(0, n, stride)
    if idx[-1] != n - 1:
        idx = np.append(idx, n - 1)
    return idx


def _interp_1d(idx: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """For every sample 0..n-1: the coarse interval ``k`` (into ``idx``) and the fraction in it."""
    pos = np.arange(n)
    k = np.clip(np.searchsorted(idx, pos, side="right") - 1, 0, len(idx) - 2)
    frac = (pos - idx[k]) / (idx[k + 1] - idx[k])
    return k, frac.astype(np.float32)


def level_error(z: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> float:
    """Max |z - surface of the coarse samples ``z[rows][:, cols]``| over all samples of ``z``.

    The coarse surface splits every cell along the (0,0)-(1,1) diagonal, as the meshes do.
    NaN samples are ignored; returns 0 when nothing is comparable.
    """
    coarse = z[np.ix_(rows, cols)]
    kr, fr = _interp_1d(rows, z.shape[0])
    kc, fc = _interp_1d(cols, z.shape[1])
    kr, kc = kr[:, None], kc[None, :]
    fr, fc = fr[:, None], fc[None, :]
    z00 = coarse[kr, kc]
    z11 = coarse[kr + 1, kc + 1]
    upper = fc >= fr
    zb = np.where(upper, coarse[kr, kc + 1], coarse[kr + 1, kc])
    # upper triangle (00, 01, 11): z00 + fc*(z01-z00) + fr*(z11-z01); lower: swap roles.
    f1 = np.where(upper, fc, fr)
    f2 = np.where(upper, fr, fc)
    surf = z00 + f1 * (zb - z00) + f2 * (z11 - zb)
    dev = np.abs(z - surf)
    return float(np.nanmax(dev)) if np.isfinite(dev).any() else 0.0


def block_error(z: np.ndarray, stride: int) -> float:
    """:func:`level_error` for a square tile of ``2**k + 1`` samples and a stride dividing ``2**k``.

    Works on (blocks, stride, blocks, stride) views by broadcasting instead of gathers; the
    last row and column (coarse edges) are left to the 1-D edge errors.
    """
    nb = (z.shape[0] - 1) // stride
    c = z[::stride, ::stride]
    z00, z01 = c[:-1, :-1][:, None, :, None], c[:-1, 1:][:, None, :, None]
    z10, z11 = c[1:, :-1][:, None, :, None], c[1:, 1:][:, None, :, None]
    f = np.arange(stride, dtype=np.float32) / np.float32(stride)
    fr, fc = f[None, :, None, None], f[None, None, None, :]
    upper = fc >= fr
    f1, f2 = np.where(upper, fc, fr), np.where(upper, fr, fc)
    zb = np.where(upper, z01, z10)
    surf = zb - z00
    surf *= f1
    zb = np.subtract(z11, zb, out=zb)
    zb *= f2
    surf += zb
    surf += z00
    surf -= z[:-1, :-1].reshape(nb, stride, nb, stride)
    dev = np.abs(surf, out=surf)
    return float(np.nanmax(dev)) if np.isfinite(dev).any() else 0.0


def _edge_error(z: np.ndarray, idx: np.ndarray) -> float:
    """1-D version of :func:`level_error` along one tile edge."""
    k, f = _interp_1d(idx, len(z))
    c = z[idx]
    dev = np.abs(z - (c[k] + f * (c[k + 1] - c[k])))
    return float(np.nanmax(dev)) if np.isfinite(dev).any() else 0.0


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


@dataclass(frozen=True)
class TileMesh:
    """Arrays of one tile at one level (render coordinates).

    ``faces`` is None when the tile has no nodata: use :meth:`TerrainTiles.template`
    of ``template_key``, shared by every such tile of that shape. Texture coordinates
    (:meth:`TerrainTiles.tcoords` of ``tcoords_key``) are shared the same way.
    """

    points: np.ndarray  # float32 (n, 3)
    faces: np.ndarray | None  # int32 (m, 3)
    template_key: tuple[int, int, bool]
    tcoords_key: tuple[int, int, int, bool]
    n_triangles: int
    tcoords: np.ndarray | None = None  # float32 (n, 2) when not shared

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays that are not shared."""
        own = [a.nbytes for a in (self.faces, self.tcoords) if a is not None]
        return self.points.nbytes + sum(own)


def grid_faces(nrows: int, ncols: int, *, skirts: bool) -> np.ndarray:
    """Triangles (int32 (m, 3)) of an ``nrows x ncols`` sample grid, then its four skirts.

    Skirt points follow the grid points: north row, south row, west column, east
    column, each a copy of the border samples (see :meth:`TerrainTiles.mesh`).
    """
    r = np.arange(nrows - 1)[:, None]
    c = np.arange(ncols - 1)[None, :]
    p00 = (r * ncols + c).ravel()
    p01, p10, p11 = p00 + 1, p00 + ncols, p00 + ncols + 1
    tris = [np.stack([p00, p01, p11, p00, p11, p10], axis=1).reshape(-1, 3)]
    if skirts:
        base = nrows * ncols
        for top in _sides(nrows, ncols):
            bot = base + np.arange(len(top))
            base += len(top)
            t0, t1, b0, b1 = top[:-1], top[1:], bot[:-1], bot[1:]
            tris.append(np.stack([t0, t1, b1, t0, b1, b0], axis=1).reshape(-1, 3))
    return np.concatenate(tris).astype(np.int32)


def _sides(nrows: int, ncols: int) -> list[np.ndarray]:
    """Flat indices of the north, south, west and east border samples."""
    cols, rows = np.arange(ncols), np.arange(nrows) * ncols
    return [cols, (nrows - 1) * ncols + cols, rows, rows + ncols - 1]


def _clean_cells(valid: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """(len(rows)-1, len(cols)-1): coarse cells whose full-resolution samples are all valid."""
    bad = np.pad(np.cumsum(np.cumsum(~valid, axis=0), axis=1), ((1, 0), (1, 0)))
    r0, r1 = rows[:-1, None], rows[1:, None] + 1
    c0, c1 = cols[None, :-1], cols[None, 1:] + 1
    return (bad[r1, c1] - bad[r0, c1] - bad[r1, c0] + bad[r0, c0]) == 0


def _rim_triangles(
    full: np.ndarray, rows: np.ndarray, cols: np.ndarray, clean: np.ndarray, zc: np.ndarray,
    rim: int, *, base: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Triangles of level ``rim`` inside the coarse cells (``rows`` x ``cols``) that are not clean.

    At level 0 every triangle without a NaN corner is kept, at coarser rim levels the
    rim-level cells whose samples are all valid. Returns faces (indexing coarse vertices
    ``a * len(cols) + b`` or new vertices from ``base``), the full-resolution (row, col)
    of the new vertices and their elevations (moved onto the coarse edge they lie on
    when both its ends are valid, so the coarse and the rim triangles meet).
    """
    valid = np.isfinite(full)
    fr, fc = level_indices(full.shape[0], 1 << rim), level_indices(full.shape[1], 1 << rim)
    per_r = np.diff(np.searchsorted(fr, rows))
    per_c = np.diff(np.searchsorted(fc, cols))
    mask = np.repeat(np.repeat(~clean, per_r, axis=0), per_c, axis=1)
    nfc = len(fc)
    r, c = np.nonzero(mask if rim == 0 else mask & _clean_cells(valid, fr, fc))
    v00 = r * nfc + c
    tris = np.concatenate(
        [np.stack([v00, v00 + 1, v00 + nfc + 1], 1), np.stack([v00, v00 + nfc + 1, v00 + nfc], 1)]
    )
    if rim == 0:
        tris = tris[valid.ravel()[tris].all(axis=1)]
    if not len(tris):
        return np.zeros((0, 3), np.int32), np.zeros((0, 2), int), np.zeros(0, np.float32)
    used, inverse = np.unique(tris, return_inverse=True)
    ui, uj = np.divmod(used, nfc)
    rpos, cpos = np.full(full.shape[0], -1), np.full(full.shape[1], -1)
    rpos[rows], cpos[cols] = np.arange(len(rows)), np.arange(len(cols))
    ur, uc = fr[ui], fc[uj]  # full-resolution row / column
    coarse = (rpos[ur] >= 0) & (cpos[uc] >= 0)
    index = np.where(coarse, rpos[ur] * len(cols) + cpos[uc], 0)
    new = ~coarse
    index[new] = base + np.arange(new.sum())
    er, ec = ur[new], uc[new]
    ez = full[er, ec].copy()
    for on_row in (True, False):  # snap onto coarse edges along rows, then columns
        a = (rpos if on_row else cpos)[er if on_row else ec]
        t = ec if on_row else er
        line = cols if on_row else rows
        sel = np.flatnonzero(a >= 0)
        b = np.clip(np.searchsorted(line, t[sel]) - 1, 0, len(line) - 2)
        f = ((t[sel] - line[b]) / (line[b + 1] - line[b])).astype(np.float32)
        z0 = zc[a[sel], b] if on_row else zc[b, a[sel]]
        z1 = zc[a[sel], b + 1] if on_row else zc[b + 1, a[sel]]
        ok = np.isfinite(z0) & np.isfinite(z1)
        ez[sel[ok]] = (z0 + f * (z1 - z0))[ok]
    faces = index[inverse.reshape(-1, 3)].astype(np.int32)
    return faces, np.stack([er, ec], axis=1), ez


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

    Attributes
    ----------
    errors
        (tiles, levels) float32: max vertical deviation in metres of each level from
        the full-resolution samples (0 at level 0, non-decreasing).
    bbox
        (tiles, 6): xmin, xmax, ymin, ymax, zmin, zmax in render coordinates.
    """

    def __init__(
        self, grid: RasterGrid, origin: LocalOrigin, *, tile_size: int | None = None
    ) -> None:
        self.grid = grid
        self.values = grid.values
        self.origin = origin
        rows, cols = grid.shape
        self.tile_size = tile_size or choose_tile_size((rows, cols))
        if self.tile_size < 3 or (self.tile_size - 1) & (self.tile_size - 2):
            raise ValueError(f"tile_size must be 2**k + 1, got {self.tile_size}")
        self.n_levels = int(math.log2(self.tile_size - 1))  # strides 1 .. (size-1)/2
        xc, yc = grid.cell_centers()
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
        self.errors = np.zeros((n, self.n_levels), np.float32)
        self.skirt_depth = np.zeros((n, self.n_levels, 4), np.float32)
        self.bbox = np.zeros((n, 6), np.float64)
        self.empty = np.zeros(n, bool)
        self.has_nodata = np.zeros(n, bool)
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            list(pool.map(self._measure, self.tiles))
        self.colors: list[np.ndarray] = []
        self._templates: dict[tuple[int, int, bool], np.ndarray] = {}
        self._tcoords: dict[tuple[int, int, int, bool], np.ndarray] = {}

    # -- construction ---------------------------------------------------------------
    def tile_values(self, tile: Tile) -> np.ndarray:
        """View of the tile's samples in the full grid."""
        return self.values[tile.r0 : tile.r0 + tile.nrows, tile.c0 : tile.c0 + tile.ncols]

    def indices(self, tile: Tile, level: int) -> tuple[np.ndarray, np.ndarray]:
        """Local row and column indices of the tile's samples at ``level``."""
        return level_indices(tile.nrows, 1 << level), level_indices(tile.ncols, 1 << level)

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
        edges = (z[0], z[-1], z[:, 0], z[:, -1])
        edge_err = np.zeros((self.n_levels, 4), np.float32)
        square = tile.nrows == tile.ncols == self.tile_size
        for level in range(1, self.n_levels):
            rows, cols = self.indices(tile, level)
            if square:
                self.errors[i, level] = block_error(z, 1 << level)
            else:
                self.errors[i, level] = level_error(z, rows, cols)
            for s, (edge, idx) in enumerate(zip(edges, (cols, cols, rows, rows))):
                edge_err[level, s] = _edge_error(edge, idx)
        edge_err = np.maximum.accumulate(edge_err, axis=0)
        self.errors[i] = np.maximum.accumulate(np.maximum(self.errors[i], edge_err.max(axis=1)))
        # A neighbour at level b differs from us (level a) by <= err[a] + err[b] <= err[a] + max.
        depth = edge_err + edge_err.max(axis=0) + 0.05 * min(self.grid.resolution)
        depth[:, list(tile.outer)] = 0.0
        self.skirt_depth[i] = depth

    def set_colors(self, rgb: np.ndarray) -> None:
        """Use ``rgb`` (uint8 (rows, cols, 3), full resolution) for the tile textures.

        Keeps ``rgb`` (rims of holes filled in place) and a filtered pyramid of it.
        """
        if rgb.shape != self.values.shape + (3,):
            raise ValueError(f"colours {rgb.shape} do not match the grid {self.values.shape}")
        self.colors = color_pyramid(rgb, np.isfinite(self.values), self.n_levels)

    # -- level of detail ------------------------------------------------------------
    def distances(self, eye: np.ndarray, ve: float = 1.0) -> np.ndarray:
        """Distance from ``eye`` (render coordinates) to every tile's box (z scaled by ``ve``)."""
        lo = self.bbox[:, [0, 2, 4]] * [1.0, 1.0, ve]
        hi = self.bbox[:, [1, 3, 5]] * [1.0, 1.0, ve]
        gap = np.maximum(np.maximum(lo - eye, eye - hi), 0.0)
        return np.sqrt((gap * gap).sum(axis=1))

    def pixels_per_metre(
        self, eye: tuple[float, float, float], view_angle: float, viewport_h: float,
        *, ve: float = 1.0, parallel_scale: float | None = None,
    ) -> np.ndarray:  # fmt: skip
        """Screen pixels per metre at the nearest point of every tile."""
        if parallel_scale is not None:
            return np.full(len(self.tiles), viewport_h / (2.0 * parallel_scale))
        d = np.maximum(self.distances(np.asarray(eye, np.float64), ve), 1e-6)
        return viewport_h / (2.0 * d * math.tan(math.radians(view_angle) / 2.0))

    def screen_errors(self, scale: np.ndarray, ve: float = 1.0) -> np.ndarray:
        """Screen-space error (px) of every (tile, level) at ``scale`` px/m.

        ``error * ve * viewport_h / (2 * distance * tan(view_angle / 2))``.
        """
        return self.errors * (ve * scale[:, None])

    def select_levels(
        self, scale: np.ndarray, tolerance_px: float, *, ve: float = 1.0,
        outside: np.ndarray | None = None,
    ) -> np.ndarray:  # fmt: skip
        """Coarsest level per tile whose screen-space error is within ``tolerance_px``.

        Returns -1 for empty tiles and tiles flagged ``outside`` (the view frustum).
        """
        levels = np.maximum((self.screen_errors(scale, ve) <= tolerance_px).sum(axis=1) - 1, 0)
        if outside is not None:
            levels[outside] = -1
        levels[self.empty] = -1
        return levels

    def rim_levels(self, scale: np.ndarray, tolerance_px: float) -> np.ndarray:
        """Coarsest level per tile whose sample spacing is within ``tolerance_px`` on screen.

        Cells that touch nodata are drawn at this level, so the rim of a hole moves by
        at most the tolerance. 0 for tiles without nodata (unused).
        """
        res = max(self.grid.resolution)
        with np.errstate(divide="ignore"):
            level = np.floor(np.log2(tolerance_px / (res * scale)))
        level = np.clip(np.nan_to_num(level, nan=0.0), 0, self.n_levels - 1).astype(int)
        return np.where(self.has_nodata, level, 0)

    def texture_levels(self, scale: np.ndarray, texel_px: float = TEXEL_PX) -> np.ndarray:
        """Finest texture level per tile whose texels are at least ``texel_px`` on screen."""
        res = max(self.grid.resolution)
        with np.errstate(divide="ignore"):
            level = np.ceil(np.log2(texel_px / (res * scale)))
        top = max(len(self.colors), 1) - 1
        return np.clip(np.nan_to_num(level, nan=0.0), 0, top).astype(int)

    def outside(self, planes: np.ndarray, ve: float = 1.0) -> np.ndarray:
        """Tiles whose box lies wholly outside one of the (6, 4) inward ``planes``."""
        lo = self.bbox[:, [0, 2, 4]] * [1.0, 1.0, ve]
        hi = self.bbox[:, [1, 3, 5]] * [1.0, 1.0, ve]
        out = np.zeros(len(self.tiles), bool)
        for a, b, c, d in np.asarray(planes, np.float64).reshape(-1, 4):
            n = np.array([a, b, c])
            out |= np.where(n >= 0, hi, lo) @ n + d < 0  # the corner furthest inside
        return out

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
            rows, cols = level_indices(nrows, 1 << level), level_indices(ncols, 1 << level)
            tc = np.empty((len(rows), len(cols), 2), np.float32)
            tc[..., 0], tc[..., 1] = cols[None, :], rows[:, None]
            tc = tc.reshape(-1, 2)
            if skirts:
                tc = np.concatenate([tc, *(tc[s] for s in _sides(len(rows), len(cols)))])
            self._tcoords[key] = tc
        return self._tcoords[key]

    def mesh(self, index: int, level: int, *, rim: int = 0, skirts: bool = True) -> TileMesh:
        """Points and faces of tile ``index`` at ``level``.

        Without nodata the faces are the shared template. With nodata, a coarse cell is
        drawn only if all its full-resolution samples are valid; the others are drawn
        with the triangles of the finer level ``rim`` (see :meth:`rim_levels`) that touch
        no NaN, so a hole's rim is as exact as that level. Their vertices on the edge of a
        drawn coarse cell are moved onto that edge, so the two meet without a crack.
        """
        tile = self.tiles[index]
        rows, cols = self.indices(tile, level)
        full = self.tile_values(tile)
        z = full[np.ix_(rows, cols)]
        nan = ~np.isfinite(z)
        nr, nc = len(rows), len(cols)
        fill = np.float32(self.bbox[index, 4] + self.origin.z)
        pts = self._points(tile, rows, cols, np.where(nan, fill, z)).reshape(-1, 3)
        nan = nan.ravel()
        if skirts:
            sides = _sides(nr, nc)
            drop = [np.array([0, 0, d], np.float32) for d in self.skirt_depth[index, level]]
            pts = np.concatenate([pts, *(pts[s] - d for s, d in zip(sides, drop))])
            nan = np.concatenate([nan, *(nan[s] for s in sides)])
        key = (nr, nc, skirts)
        tkey = (tile.nrows, tile.ncols, level, skirts)
        faces = self.template(key)
        if not self.has_nodata[index]:
            return TileMesh(pts, None, key, tkey, len(faces))
        n_grid = 2 * (nr - 1) * (nc - 1)
        clean = _clean_cells(np.isfinite(full), rows, cols)
        keep = np.concatenate([np.repeat(clean.ravel(), 2), ~nan[faces[n_grid:]].any(axis=1)])
        rim = min(rim, level)
        fine_faces, extra_rc, extra_z = _rim_triangles(
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

        Returns ``(rgb, (su, ou, sv, ov))``: ``rgb`` is uint8 (height, width, 3) with row 0
        the southern edge (VTK image order); a vertex with texture coordinates (col, row)
        samples ``u = su * col + ou``, ``v = sv * row + ov`` (texel centres on samples).
        """
        tile = self.tiles[index]
        level = min(level, len(self.colors) - 1)
        s = 1 << level
        h, w = (tile.nrows - 1) // s + 1, (tile.ncols - 1) // s + 1
        rgb = self.colors[level][tile.r0 // s : tile.r0 // s + h, tile.c0 // s : tile.c0 // s + w]
        mapping = (1.0 / (s * w), 0.5 / w, -1.0 / (s * h), (h - 0.5) / h)
        return np.ascontiguousarray(rgb[::-1]), mapping
