"""Synthetic relief with detail at every scale, evaluated window by window in bounded memory.

The terrain is one function of the global cell index: a sum of octaves of smooth value
noise (a deterministic hashed lattice per octave, blended with cubic B-spline weights, so
every octave is C2-smooth and continuous across windows), lattice spacings from 2 cells
(20 m) to 4096 cells (41 km), amplitude ``spacing ** HURST`` (fractional Brownian
motion), plus ridged noise (``(1 - |n|) ** 2`` of a second fBm: sharp crests) and small
voids of nodata (about 0.15 % of cells). Octaves from 64 cells up are rotated by hashed
angles, so no crest follows the lattice axes. Because each octave is separable
(``Wy @ lattice @ Wx.T``), a window of ``n x n`` cells costs a few dense float32 matrix
products and no more memory than the window: the 16384 x 16384 DEM is written window by
window.

Cells are 10 m in UTM zone 36N (EPSG:32636); the full world is 16384 x 16384 cells
(164 km square). The 4096 x 4096 DEM is its central quarter-width window, the same terrain.
"""

from __future__ import annotations

import numpy as np

#: Cell size (m), CRS and upper-left corner of the 16384 x 16384 world.
CELL = 10.0
CRS = "EPSG:32636"
WORLD_SIDE = 16384
WORLD_ORIGIN = (420_000.0, 3_400_000.0)
#: Nodata value of the written files.
NODATA = -9999.0
#: Lattice spacings (cells) of the fBm octaves: 20 m to 41 km.
SPACINGS = tuple(2**k for k in range(1, 13))
#: Hurst exponent: octave amplitude grows as spacing ** HURST (rough, mountain-like).
HURST = 0.9
#: Octaves of the ridged component: 160 m to 2.6 km (crests and scarps).
RIDGE_SPACINGS = (16, 32, 64, 128, 256)
#: Octaves from this spacing up are rotated, evaluated on a grid of spacing / COARSE_SAMPLES.
ROTATE_FROM = 64
COARSE_SAMPLES = 16
#: Voids: a noise octave of this spacing above this value is nodata (~0.15 % of cells).
VOID_SPACING = 32
VOID_THRESHOLD = 0.7
#: Elevation (m) = BASE + FBM_M * fbm + RIDGE_M * ridged, fields of about unit std.
BASE_M = 1400.0
FBM_M = 900.0
RIDGE_M = 500.0
#: Default seed.
SEED = 11

# Field numbers mixed into the lattice hash.
_FIELD_FBM, _FIELD_RIDGE, _FIELD_VOID = 1, 2, 3
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _mix(h: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: a well-spread 64-bit hash of each input (uint64, wrapping)."""
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def lattice(seed: int, field: int, spacing: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Uniform values in [-1, 1) at global lattice points (``rows``, ``cols`` broadcast; float32).

    The same (seed, field, spacing, row, col) always gives the same value, whichever
    window asks for it: that is what keeps windows seamless.
    """
    key = _mix(np.array([seed * 1_000_003 + field * 101 + spacing], dtype=np.uint64))
    r = _mix(np.asarray(rows, dtype=np.int64).view(np.uint64) ^ key)
    c = _mix(np.asarray(cols, dtype=np.int64).view(np.uint64) + key * np.uint64(3))
    h = _mix(r * np.uint64(0x9E3779B97F4A7C15) ^ c)
    return ((h >> np.uint64(40)).astype(np.float32) / np.float32(2**23)) - np.float32(1.0)


def _bspline(f: np.ndarray) -> tuple[np.ndarray, ...]:
    """The four cubic B-spline weights of taps -1, 0, 1, 2 at fractions ``f``."""
    return (
        (1 - f) ** 3 / 6,
        (3 * f**3 - 6 * f**2 + 4) / 6,
        (-3 * f**3 + 3 * f**2 + 3 * f + 1) / 6,
        f**3 / 6,
    )


def _weights(start: int, count: int, spacing: int, offset: float) -> tuple[np.ndarray, int]:
    """Cubic B-spline weights from lattice points to ``count`` cells from global ``start``.

    Returns the (count, n) matrix and the global index of its first lattice point.
    """
    t = (start + np.arange(count) + 0.5) / spacing + offset
    i = np.floor(t).astype(np.int64)
    f = (t - i).astype(np.float32)
    taps = _bspline(f)
    first = int(i.min()) - 1
    w = np.zeros((count, int(i.max()) + 3 - first), dtype=np.float32)
    rows = np.arange(count)
    for k, tap in enumerate(taps):
        w[rows, i - 1 - first + k] = tap
    return w, first


def octave(
    seed: int, field: int, spacing: int, row0: int, col0: int, rows: int, cols: int
) -> np.ndarray:
    """One value-noise octave over a window of global cells (float32, about std 0.3).

    Each octave's lattice is shifted by a hashed fraction of a spacing so that lattice
    lines of different octaves do not line up.
    """
    shift = lattice(seed, field + 16, spacing, np.array([0, 1]), np.array([0]))
    wy, first_r = _weights(row0, rows, spacing, 0.5 + 0.5 * float(shift[0]))
    wx, first_c = _weights(col0, cols, spacing, 0.5 + 0.5 * float(shift[1]))
    rows_idx = np.arange(first_r, first_r + wy.shape[1])[:, None]
    values = lattice(seed, field, spacing, rows_idx, np.arange(first_c, first_c + wx.shape[1]))
    return (wy @ values) @ wx.T


def rotated_octave(
    seed: int, field: int, spacing: int, row0: int, col0: int, rows: int, cols: int
) -> np.ndarray:
    """A value-noise octave on a lattice turned by a hashed angle (breaks axis-aligned crests).

    The rotated noise is evaluated pointwise (16 lattice taps) only on a global grid of
    ``spacing / COARSE_SAMPLES`` cells, then carried to every cell by separable cubic
    B-spline weights, as :func:`octave` does: seamless, and cheap for coarse octaves.
    """
    stride = max(spacing // COARSE_SAMPLES, 1)
    wy, first_r = _weights(row0, rows, stride, 0.0)
    wx, first_c = _weights(col0, cols, stride, 0.0)
    ys = (np.arange(first_r, first_r + wy.shape[1], dtype=np.float64) * stride)[:, None]
    xs = (np.arange(first_c, first_c + wx.shape[1], dtype=np.float64) * stride)[None, :]
    turn = lattice(seed, field + 32, spacing, np.array([0, 1, 2]), np.array([0]))
    angle = np.pi * float(turn[0])
    u = (np.cos(angle) * xs - np.sin(angle) * ys) / spacing + float(turn[1])
    v = (np.sin(angle) * xs + np.cos(angle) * ys) / spacing + float(turn[2])
    iu, iv = np.floor(u), np.floor(v)
    wu, wv = _bspline((u - iu).astype(np.float32)), _bspline((v - iv).astype(np.float32))
    iu, iv = iu.astype(np.int64), iv.astype(np.int64)
    values = np.zeros(np.broadcast_shapes(u.shape, v.shape), dtype=np.float32)
    for a in range(4):
        for b in range(4):
            values += wv[a] * wu[b] * lattice(seed, field, spacing, iv + (a - 1), iu + (b - 1))
    return (wy @ values) @ wx.T


def fbm(
    seed: int, field: int, spacings: tuple[int, ...], row0: int, col0: int, rows: int, cols: int
) -> np.ndarray:
    """Sum of octaves with amplitude ``(spacing / largest) ** HURST``, scaled to about unit std.

    Octaves from ``ROTATE_FROM`` cells up are rotated (:func:`rotated_octave`).
    """
    top = max(spacings)
    out = np.zeros((rows, cols), dtype=np.float32)
    norm = 0.0
    for spacing in spacings:
        amp = (spacing / top) ** HURST
        make = rotated_octave if spacing >= ROTATE_FROM else octave
        out += np.float32(amp) * make(seed, field, spacing, row0, col0, rows, cols)
        norm += amp * amp
    out *= np.float32(1.0 / (0.3 * np.sqrt(norm)))
    return out


def elevation(row0: int, col0: int, rows: int, cols: int, seed: int = SEED) -> np.ndarray:
    """Elevation (float32 m, row 0 north) of a window of global cells; voids are NaN."""
    base = fbm(seed, _FIELD_FBM, SPACINGS, row0, col0, rows, cols)
    crest = fbm(seed, _FIELD_RIDGE, RIDGE_SPACINGS, row0, col0, rows, cols)
    ridged = (1.0 - np.minimum(np.abs(crest), 1.0)) ** 2
    z = np.float32(BASE_M) + np.float32(FBM_M) * base + np.float32(RIDGE_M) * ridged
    voids = octave(seed, _FIELD_VOID, VOID_SPACING, row0, col0, rows, cols) > VOID_THRESHOLD
    z[voids] = np.nan
    return z
