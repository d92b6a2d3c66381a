"""Tile meshes and textures, numpy only: faces, skirts, hole rims, texture coordinates.

A tile level is a grid of samples; its faces split every cell along the (0,0)-(1,1)
diagonal (see :mod:`~twinscape.render.terrain_lod`), so tiles of the same shape share
one face template and one set of texture coordinates. Cracks between tiles at
different levels are hidden by skirts: after the grid points come copies of the
north, south, west and east border samples, lowered by a depth that covers the
largest possible mismatch of the shared edge at any pair of levels. Triangles
touching a NaN sample are dropped (holes), the cells at a hole's rim drawn at a
finer level; NaN never reaches a point coordinate.

Colour is a texture per tile, cut from a filtered pyramid of the baked colours, so
colour detail does not depend on the (usually much coarser) geometric level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twinscape.render.terrain_lod import level_indices


@dataclass(frozen=True)
class TileMesh:
    """Arrays of one tile at one level (render coordinates).

    ``faces`` is None when the tile has no nodata: use
    :meth:`~twinscape.render.terrain_tiles.TerrainTiles.template` of ``template_key``,
    shared by every such tile of that shape. Texture coordinates
    (:meth:`~twinscape.render.terrain_tiles.TerrainTiles.tcoords` of ``tcoords_key``)
    are shared the same way.
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


def border_indices(nrows: int, ncols: int) -> list[np.ndarray]:
    """Flat indices of the north, south, west and east border samples of a grid."""
    cols, rows = np.arange(ncols), np.arange(nrows) * ncols
    return [cols, (nrows - 1) * ncols + cols, rows, rows + ncols - 1]


def grid_faces(nrows: int, ncols: int, *, skirts: bool) -> np.ndarray:
    """Triangles (int32 (m, 3)) of an ``nrows x ncols`` sample grid, then its four skirts.

    Skirt points follow the grid points: the samples of :func:`border_indices`, in order.
    """
    r = np.arange(nrows - 1)[:, None]
    c = np.arange(ncols - 1)[None, :]
    p00 = (r * ncols + c).ravel()
    p01, p10, p11 = p00 + 1, p00 + ncols, p00 + ncols + 1
    tris = [np.stack([p00, p01, p11, p00, p11, p10], axis=1).reshape(-1, 3)]
    if skirts:
        base = nrows * ncols
        for top in border_indices(nrows, ncols):
            bot = base + np.arange(len(top))
            base += len(top)
            t0, t1, b0, b1 = top[:-1], top[1:], bot[:-1], bot[1:]
            tris.append(np.stack([t0, t1, b1, t0, b1, b0], axis=1).reshape(-1, 3))
    return np.concatenate(tris).astype(np.int32)


def grid_tcoords(nrows: int, ncols: int, level: int, *, skirts: bool) -> np.ndarray:
    """Texture coordinates (local column, row; float32 (n, 2)) of a tile's level.

    ``nrows x ncols`` are the tile's full-resolution samples; skirt points, when present,
    repeat the coordinates of the border samples they hang from.
    """
    rows, cols = level_indices(nrows, 1 << level), level_indices(ncols, 1 << level)
    tc = np.empty((len(rows), len(cols), 2), np.float32)
    tc[..., 0], tc[..., 1] = cols[None, :], rows[:, None]
    tc = tc.reshape(-1, 2)
    if skirts:
        tc = np.concatenate([tc, *(tc[s] for s in border_indices(len(rows), len(cols)))])
    return tc


def skirt_depths(
    edge_errors: np.ndarray, outer: tuple[bool, bool, bool, bool], margin: float
) -> np.ndarray:
    """Depth (levels, 4) of the north, south, west and east skirts of a tile per level.

    ``edge_errors`` (levels, 4) are the tile's edge errors (non-decreasing with level);
    edges on the grid's border (``outer``) get no skirt.
    """
    # A neighbour at level b differs from us (level a) by <= err[a] + err[b] <= err[a] + max.
    depth = edge_errors + edge_errors.max(axis=0) + margin
    depth[:, list(outer)] = 0.0
    return depth


def stitch_edges(
    z: np.ndarray, full: np.ndarray, rows: np.ndarray, cols: np.ndarray, level: int,
    stitch: tuple[int, int, int, int],
) -> None:  # fmt: skip
    """Move the edge samples of ``z`` (``full[rows][:, cols]``) onto coarser neighbours' edges.

    ``stitch`` holds the level of the north, south, west and east neighbour; along an
    edge whose neighbour is coarser than ``level``, every sample of ``z`` takes the
    elevation of the neighbour's edge (linear between its samples, which are also
    samples of ``full``), so the tiles share the edge exactly. In place; samples whose
    neighbour edge is NaN keep their own elevation.
    """
    edges = (
        (z[0], full[0], cols), (z[-1], full[-1], cols),
        (z[:, 0], full[:, 0], rows), (z[:, -1], full[:, -1], rows),
    )  # fmt: skip
    for (own, edge, idx), other in zip(edges, stitch):
        if other <= level:
            continue
        coarse = level_indices(len(edge), 1 << other)
        k = np.clip(np.searchsorted(coarse, idx, side="right") - 1, 0, len(coarse) - 2)
        f = (idx - coarse[k]) / (coarse[k + 1] - coarse[k])
        z0, z1 = edge[coarse[k]], edge[coarse[k + 1]]
        line = z0 + f * (z1 - z0)
        ok = np.isfinite(line)
        own[ok] = line[ok]  # a view into z


def stitch_levels(levels: np.ndarray, neighbours: np.ndarray) -> np.ndarray:
    """(tiles, 4): per side, the neighbour's level when it is coarser, else the tile's own.

    ``neighbours`` is (tiles, 4) with -1 at the grid's edge; a neighbour that draws
    nothing (-1) does not count.
    """
    own = levels[:, None]
    theirs = np.where(neighbours >= 0, levels[np.maximum(neighbours, 0)], -1)
    return np.maximum(theirs, own)


def clean_cells(valid: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """(len(rows)-1, len(cols)-1): coarse cells whose full-resolution samples are all valid."""
    bad = np.pad(np.cumsum(np.cumsum(~valid, axis=0), axis=1), ((1, 0), (1, 0)))
    r0, r1 = rows[:-1, None], rows[1:, None] + 1
    c0, c1 = cols[None, :-1], cols[None, 1:] + 1
    return (bad[r1, c1] - bad[r0, c1] - bad[r1, c0] + bad[r0, c0]) == 0


def rim_triangles(
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
    r, c = np.nonzero(mask if rim == 0 else mask & clean_cells(valid, fr, fc))
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


def tile_texture(
    pyramid: list[np.ndarray], r0: int, c0: int, nrows: int, ncols: int, level: int
) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """Colours of the tile at sample ``(r0, c0)`` from ``pyramid[level]`` and their mapping.

    Returns ``(rgb, (su, ou, sv, ov))``: ``rgb`` is uint8 (height, width, 3) with row 0
    the southern edge (VTK image order); a vertex with texture coordinates (col, row)
    samples ``u = su * col + ou``, ``v = sv * row + ov`` (texel centres on samples).
    ``level`` is clipped to the pyramid. A pyramid of a grid one sample high or wide
    (whose tiles double that sample, see :mod:`~twinscape.render.terrain_tiles`) has its
    edge texels repeated.
    """
    level = min(level, len(pyramid) - 1)
    s = 1 << level
    h, w = (nrows - 1) // s + 1, (ncols - 1) // s + 1
    rgb = pyramid[level][r0 // s : r0 // s + h, c0 // s : c0 // s + w]
    if rgb.shape[:2] != (h, w):
        rgb = np.pad(rgb, ((0, h - rgb.shape[0]), (0, w - rgb.shape[1]), (0, 0)), mode="edge")
    mapping = (1.0 / (s * w), 0.5 / w, -1.0 / (s * h), (h - 0.5) / h)
    return np.ascontiguousarray(rgb[::-1]), mapping
