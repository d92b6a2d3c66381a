"""Level of detail of terrain tiles, numpy only: geometric errors and level choice.

Level ``L`` of a tile keeps every ``2**L``-th sample (plus the tile's last row and
column, so partial tiles at the grid edge keep their extent). Each cell is split
along the same (0,0)-(1,1) diagonal at every level, so a coarse triangle is the
union of finer ones and the vertical error of a level, measured at the
full-resolution samples, is exact.

Per frame a tile's error in metres becomes a screen-space error in pixels,
``error * ve * viewport_h / (2 * distance * tan(view_angle / 2))`` with
``distance`` from the eye to the tile's box, and each tile shows the coarsest level
within the tolerance. Tiles wholly outside the view frustum are found by testing
their boxes against its planes.
"""

from __future__ import annotations

import math

import numpy as np

#: Texture level choice: the finest whose texel spacing on screen is at least this many
#: pixels (finer would alias without mipmaps, which cost too much on llvmpipe).
TEXEL_PX = 0.8


# -- geometric errors -----------------------------------------------------------------
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


def tile_errors(z: np.ndarray, n_levels: int, *, square: bool) -> tuple[np.ndarray, np.ndarray]:
    """Errors of every level of the tile samples ``z``.

    Parameters
    ----------
    z
        The tile's full-resolution samples (NaN = nodata).
    n_levels
        Levels to measure (strides ``1 .. 2**(n_levels - 1)``).
    square
        ``z`` is a full tile of ``2**k + 1`` samples per side (the faster
        :func:`block_error` applies).

    Returns
    -------
    errors : ndarray
        float32 (n_levels,): max vertical deviation of each level, the edges included
        (0 at level 0, non-decreasing).
    edge_errors : ndarray
        float32 (n_levels, 4): the same along the north, south, west and east edges.
    """
    errors = np.zeros(n_levels, np.float32)
    edge_err = np.zeros((n_levels, 4), np.float32)
    edges = (z[0], z[-1], z[:, 0], z[:, -1])
    for level in range(1, n_levels):
        rows = level_indices(z.shape[0], 1 << level)
        cols = level_indices(z.shape[1], 1 << level)
        errors[level] = block_error(z, 1 << level) if square else level_error(z, rows, cols)
        for s, (edge, idx) in enumerate(zip(edges, (cols, cols, rows, rows))):
            edge_err[level, s] = _edge_error(edge, idx)
    edge_err = np.maximum.accumulate(edge_err, axis=0)
    errors = np.maximum.accumulate(np.maximum(errors, edge_err.max(axis=1)))
    return errors, edge_err


# -- level choice per frame -----------------------------------------------------------
def _scaled_boxes(bbox: np.ndarray, ve: float) -> tuple[np.ndarray, np.ndarray]:
    """Low and high corners (tiles, 3) of ``bbox`` (tiles, 6) with z scaled by ``ve``."""
    scale = [1.0, 1.0, ve]
    return bbox[:, [0, 2, 4]] * scale, bbox[:, [1, 3, 5]] * scale


def pixels_per_metre(
    bbox: np.ndarray, eye: tuple[float, float, float], view_angle: float, viewport_h: float,
    *, ve: float = 1.0, parallel_scale: float | None = None,
) -> np.ndarray:  # fmt: skip
    """Screen pixels per metre at the point of every box of ``bbox`` nearest to ``eye``.

    ``bbox`` is (tiles, 6) ``xmin, xmax, ymin, ymax, zmin, zmax`` in render coordinates,
    drawn with z scaled by ``ve``; ``parallel_scale`` is set for a parallel projection.
    """
    if parallel_scale is not None:
        return np.full(len(bbox), viewport_h / (2.0 * parallel_scale))
    lo, hi = _scaled_boxes(bbox, ve)
    eye_ = np.asarray(eye, np.float64)
    gap = np.maximum(np.maximum(lo - eye_, eye_ - hi), 0.0)
    d = np.maximum(np.sqrt((gap * gap).sum(axis=1)), 1e-6)
    return viewport_h / (2.0 * d * math.tan(math.radians(view_angle) / 2.0))


def boxes_outside(bbox: np.ndarray, planes: np.ndarray, ve: float = 1.0) -> np.ndarray:
    """Boxes of ``bbox`` (z scaled by ``ve``) wholly outside one of the inward ``planes``."""
    lo, hi = _scaled_boxes(bbox, ve)
    out = np.zeros(len(bbox), bool)
    for a, b, c, d in np.asarray(planes, np.float64).reshape(-1, 4):
        n = np.array([a, b, c])
        out |= np.where(n >= 0, hi, lo) @ n + d < 0  # the corner furthest inside
    return out


def screen_errors(errors: np.ndarray, scale: np.ndarray, ve: float = 1.0) -> np.ndarray:
    """Screen-space errors (px) of ``errors`` (tiles, levels) in metres at ``scale`` px/m."""
    return errors * (ve * scale[:, None])


def select_levels(
    errors: np.ndarray, scale: np.ndarray, tolerance_px: float, ve: float = 1.0
) -> np.ndarray:
    """Coarsest level per tile whose screen-space error is within ``tolerance_px``."""
    return np.maximum((screen_errors(errors, scale, ve) <= tolerance_px).sum(axis=1) - 1, 0)


def rim_levels(
    resolution: float, scale: np.ndarray, tolerance_px: float, n_levels: int
) -> np.ndarray:
    """Coarsest level per tile whose sample spacing is within ``tolerance_px`` on screen.

    ``resolution`` is the grid's sample spacing in metres, ``scale`` px/m per tile.
    """
    with np.errstate(divide="ignore"):
        level = np.floor(np.log2(tolerance_px / (resolution * scale)))
    return np.clip(np.nan_to_num(level, nan=0.0), 0, n_levels - 1).astype(int)


def texture_levels(
    resolution: float, scale: np.ndarray, n_textures: int, texel_px: float = TEXEL_PX,
    *, finest: int | np.ndarray = 0,
) -> np.ndarray:  # fmt: skip
    """Finest texture level per tile whose texels are at least ``texel_px`` on screen.

    Texture level ``L`` has texels ``resolution * 2**L`` metres apart; ``n_textures``
    levels exist from 0 up, and detail levels down to ``finest`` (<= 0, per tile or
    for all) below it (see :mod:`~twinscape.render.detail_compose`).
    """
    with np.errstate(divide="ignore"):
        level = np.ceil(np.log2(texel_px / (resolution * scale)))
    level = np.nan_to_num(level, nan=0.0, posinf=n_textures - 1, neginf=-64.0)
    return np.clip(level, finest, n_textures - 1).astype(int)
