"""Street grid of the synthetic town: blocks, their zoning and how many buildings each holds."""

from __future__ import annotations

import math

import numpy as np

from benchmarks.district.kinds import (
    _EDGE,
    _GRID_KINDS,
    _PLOT_ROWS,
    _PLOT_W,
    APARTMENTS,
    COURTYARD,
    HOSPITAL,
    HOUSE,
    MOSQUE,
    OFFICE,
    PARK,
    SCHOOL,
    SOUQ,
    TOWER,
    VILLA,
    WAREHOUSE,
)

#: Widths of local streets and boulevards (m); a boulevard follows every fourth block.
LOCAL_STREET = 14.0
BOULEVARD = 36.0
#: Block sizes (m) along x (columns) and y (rows), drawn per column / row.
BLOCK_WIDTHS = (100.0, 120.0, 140.0)
BLOCK_DEPTHS = (64.0, 72.0, 80.0)


def _axis(rng: np.random.Generator, n_half: int, sizes: tuple[float, ...]):
    """Block extents along one axis: columns -n_half .. n_half-1, a boulevard at 0.

    The street east of (north of) block ``i`` is a boulevard when ``i % 4 == 3``,
    so block edges never cross a street and the centre is a boulevard crossing.
    """
    idx = np.arange(-n_half, n_half)
    size = rng.choice(np.asarray(sizes), len(idx))
    street = np.where(idx % 4 == 3, BOULEVARD, LOCAL_STREET)  # after block i
    lo = np.empty(len(idx))
    hi = np.empty(len(idx))
    pos = idx >= 0
    # positive side: block 0 starts half a boulevard east of the centre
    p_size, p_street = size[pos], street[pos]
    p_lo = BOULEVARD / 2 + np.concatenate([[0.0], np.cumsum(p_size + p_street)[:-1]])
    lo[pos], hi[pos] = p_lo, p_lo + p_size
    # negative side, walking outwards from block -1
    n_size = size[~pos][::-1]
    n_street = street[~pos][::-1]  # street after block -1, -2, ... (the first is the boulevard)
    gaps = np.concatenate([[BOULEVARD / 2], n_street[1:]])
    n_hi = -np.cumsum(gaps + np.concatenate([[0.0], n_size[:-1]]))
    lo[~pos], hi[~pos] = (n_hi - n_size)[::-1], n_hi[::-1]
    return idx, lo, hi


def _choose_blocks(rng: np.random.Generator, count: int) -> dict[str, np.ndarray]:
    """The blocks of the town, nearest first, their kinds and how many buildings each holds."""
    radius = math.sqrt(count * 1000.0 / math.pi) + 150.0
    n_half = int(math.ceil(1.6 * radius / 100.0)) + 2
    ix, x0, x1 = _axis(rng, n_half, BLOCK_WIDTHS)
    iy, y0, y1 = _axis(rng, n_half, BLOCK_DEPTHS)
    gx, gy = np.meshgrid(np.arange(len(ix)), np.arange(len(iy)), indexing="xy")
    gx, gy = gx.ravel(), gy.ravel()
    b = {
        "ix": ix[gx],
        "iy": iy[gy],
        "x0": x0[gx],
        "x1": x1[gx],
        "y0": y0[gy],
        "y1": y1[gy],
    }
    n = len(gx)
    mx, my = (b["x0"] + b["x1"]) / 2, (b["y0"] + b["y1"]) / 2
    dist = np.hypot(mx, my)
    angle = np.degrees(np.arctan2(my, mx)) % 360.0
    # a ragged edge: noisy distance, with a few lobes
    lobes = 1.0 + 0.08 * np.sin(np.radians(angle) * 3 + rng.uniform(0, 2 * np.pi))
    noisy = dist * lobes * np.exp(rng.normal(0.0, 0.07, n))
    u_kind = rng.random(n)
    u_plot = rng.random(n)
    limit = 1.6 * radius

    for _ in range(12):
        kind = _zone(b, noisy / radius, angle, u_kind, count, np.argsort(np.argsort(noisy)))
        cols, rows = _plots_per_block(kind, b, u_plot)
        cap = _capacity(kind, b, cols, rows)
        order = np.argsort(noisy, kind="stable")
        cum = np.cumsum(cap[order])
        if cum[-1] < count or noisy[order[np.searchsorted(cum, count)]] > limit:
            raise RuntimeError("district grid too small")  # cannot happen with the margins above
        last = int(np.searchsorted(cum, count))
        reached = float(noisy[order[last]])
        if abs(reached - radius) < 0.02 * radius:
            break
        radius = 0.5 * (radius + reached)

    keep = order[: last + 1]
    out = {k: v[keep] for k, v in b.items()}
    out.update(
        kind=kind[keep],
        cols=cols[keep],
        rows=rows[keep],
        rank=np.arange(len(keep)),
        u_plot=u_plot[keep],
        angle=angle[keep],
    )
    return out


def _zone(b, r, angle, u, count, nearness) -> np.ndarray:
    """Block kinds from the normalised distance ``r`` (1 at the town edge) and the lattice.

    ``nearness`` ranks the blocks from the centre: the ten nearest are the core even in a
    small town, so that it has its few towers.
    """
    kind = np.full(len(r), HOUSE)
    core = (r < 0.17) | (nearness < 10)
    inner = ~core & (r < 0.42)
    middle = ~core & (r >= 0.42) & (r < 0.68)
    outer = ~core & (r >= 0.68)
    kind[core] = np.where(u[core] < 0.6, TOWER, OFFICE)
    kind[inner] = np.select(
        [u[inner] < 0.45, u[inner] < 0.75, u[inner] < 0.9], [APARTMENTS, COURTYARD, OFFICE], PARK
    )
    kind[middle] = np.select(
        [u[middle] < 0.35, u[middle] < 0.45, u[middle] < 0.85, u[middle] < 0.96],
        [APARTMENTS, COURTYARD, HOUSE, VILLA],
        PARK,
    )
    kind[outer] = np.where(u[outer] < 0.55, HOUSE, VILLA)
    # an industrial edge to the south-west, towards the road down the valley
    industrial = ~core & (r > 0.72) & (angle > 195.0) & (angle < 265.0)
    kind[industrial] = WAREHOUSE

    ix, iy = b["ix"], b["iy"]
    resid = (r > 0.2) & (r < 1.05) & ~industrial
    kind[resid & (ix % 5 == 1) & (iy % 5 == 2)] = SCHOOL
    kind[resid & (r > 0.5) & (ix % 7 == 4) & (iy % 7 == 5)] = MOSQUE
    if count >= 20_000:
        kind[resid & (ix % 24 == 10) & (iy % 24 == 17)] = HOSPITAL
    # the civic centre at the central crossing: grand mosque (NW), souq (NE), offices,
    # and one hospital in the inner town
    kind[(ix == -1) & (iy == 0)] = MOSQUE
    kind[(ix == 0) & (iy == 0)] = SOUQ
    kind[(ix == 2) & (iy == -2)] = HOSPITAL
    kind[(ix == -3) & (iy == 1)] = SCHOOL
    return kind


def _plots_per_block(kind, b, u_plot):
    grid = kind < _GRID_KINDS
    k = np.where(grid, kind, 0)
    w = b["x1"] - b["x0"] - 2 * _EDGE
    pw = _PLOT_W[k, 0] + u_plot * (_PLOT_W[k, 1] - _PLOT_W[k, 0])
    cols = np.maximum(1, np.floor(w / pw)).astype(int)
    rows = _PLOT_ROWS[k]
    return np.where(grid, cols, 0), np.where(grid, rows, 0)


def _souq_halls(b) -> np.ndarray:
    return np.floor((b["y1"] - b["y0"] - 12.0 + 6.0) / (11.0 + 6.0)).astype(int)


def _capacity(kind, b, cols, rows) -> np.ndarray:
    cap = cols * rows
    cap = np.where(kind == MOSQUE, 2, cap)
    cap = np.where(kind == SOUQ, _souq_halls(b), cap)
    cap = np.where(kind == SCHOOL, 2, cap)
    cap = np.where(kind == HOSPITAL, 2, cap)
    cap = np.where(kind == PARK, 0, cap)
    return cap
