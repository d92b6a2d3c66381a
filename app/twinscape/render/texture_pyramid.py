"""The filtered colour pyramid the terrain's per-tile textures are cut from.

:func:`color_pyramid` fills the rims of holes (:func:`fill_rim`) and halves the colours
level by level (:func:`downsample`, a [1 2 1] filter that skips nodata).
"""

from __future__ import annotations

import numpy as np

from twinscape.render.parallel import on_all_cores


def fill_rim(rgb: np.ndarray, valid: np.ndarray, *, passes: int = 2) -> None:
    """Give nodata texels next to data the mean colour of their valid neighbours, in place.

    Texture filtering then never blends a nodata colour into the rim of a hole.
    """
    valid = valid.copy()
    for _ in range(passes):
        pad = np.pad(valid, 1)
        near = np.zeros_like(valid)
        for dr in (0, 1, 2):
            for dc in (0, 1, 2):
                near |= pad[dr : dr + valid.shape[0], dc : dc + valid.shape[1]]
        rows, cols = np.nonzero(near & ~valid)
        if not len(rows):
            return
        acc = np.zeros((len(rows), 3), np.float32)
        cnt = np.zeros(len(rows), np.float32)
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                r = np.clip(rows + dr, 0, valid.shape[0] - 1)
                c = np.clip(cols + dc, 0, valid.shape[1] - 1)
                ok = valid[r, c]
                acc[ok] += rgb[r[ok], c[ok]]
                cnt += ok
        rgb[rows, cols] = (acc / np.maximum(cnt, 1)[:, None] + 0.5).astype(np.uint8)
        valid[rows, cols] = True


def downsample(rgb: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every second sample of ``rgb`` after a separable [1 2 1] filter that skips invalid samples.

    Returns the colours and which of them are data (a texel with any valid
    neighbour still gets their colour, so each level keeps a one-texel rim).
    """
    w = valid.astype(np.float32)
    out_rows, out_cols = (rgb.shape[0] + 1) // 2, (rgb.shape[1] + 1) // 2
    out = np.empty((out_rows, out_cols, 3), np.uint8)
    out_valid = valid[::2, ::2].copy()
    cols = np.arange(0, rgb.shape[1], 2)
    cl, ch = np.maximum(cols - 1, 0), np.minimum(cols + 1, rgb.shape[1] - 1)

    step = out_rows if out_rows <= 256 else 128  # a tile's texture is one block

    def block(o0: int) -> None:
        src = np.arange(2 * o0, 2 * min(out_rows, o0 + step), 2)
        acc = np.zeros((len(src), rgb.shape[1], 3), np.float32)
        wsum = np.zeros((len(src), rgb.shape[1]), np.float32)
        lo, hi = np.maximum(src - 1, 0), np.minimum(src + 1, rgb.shape[0] - 1)
        for rows, k in ((lo, 1.0), (src, 2.0), (hi, 1.0)):
            ww = w[rows] * np.float32(k)
            acc += rgb[rows] * ww[..., None]
            wsum += ww
        acc2 = acc[:, cl] + 2 * acc[:, cols] + acc[:, ch]
        w2 = wsum[:, cl] + 2 * wsum[:, cols] + wsum[:, ch]
        val = acc2 / np.maximum(w2, 1e-6)[..., None]
        out[o0 : o0 + len(src)] = np.clip(val + 0.5, 0, 255).astype(np.uint8)

    on_all_cores(block, range(0, out_rows, step))
    return out, out_valid


def color_pyramid(rgb: np.ndarray, valid: np.ndarray, levels: int) -> list[np.ndarray]:
    """``rgb`` (filled at hole rims) and ``levels - 1`` filtered halvings of it.

    Level ``k`` holds the colours at the full-resolution samples whose row and column
    are multiples of ``2**k``.
    """
    fill_rim(rgb, valid)
    pyramid = [rgb]
    for _ in range(1, levels):
        if min(pyramid[-1].shape[:2]) < 2:
            break
        nxt, valid = downsample(pyramid[-1], valid)
        pyramid.append(nxt)
    return pyramid
