"""Building footprints of the blocks: one per plot on the plot grid, and the civic buildings."""

from __future__ import annotations

import numpy as np

from benchmarks.district.kinds import (
    _EDGE,
    _FOOT_D,
    _FOOT_W,
    _FRONT,
    _GRID_KINDS,
    _L_SHARE,
    COURTYARD,
    HOSPITAL,
    MOSQUE,
    SCHOOL,
    SOUQ,
)
from benchmarks.district.layout import _souq_halls
from benchmarks.district.shapes import _courtyards, _ells, _rects, _us


def _uniform(rng, lohi: np.ndarray, n: int) -> np.ndarray:
    lohi = np.asarray(lohi, dtype=float)
    return lohi[..., 0] + rng.random(n) * (lohi[..., 1] - lohi[..., 0])


def _grid_buildings(rng: np.random.Generator, blocks) -> list[dict]:
    """Footprints of the plot-grid blocks, one per plot, all kinds at once."""
    sel = np.nonzero(blocks["kind"] < _GRID_KINDS)[0]
    cols, rows = blocks["cols"][sel], blocks["rows"][sel]
    per = cols * rows
    n = int(per.sum())
    if n == 0:
        return []
    blk = np.repeat(sel, per)
    first = np.repeat(np.cumsum(per) - per, per)
    j = np.arange(n) - first  # plot index within its block
    c_ = np.repeat(cols, per)
    r_ = np.repeat(rows, per)
    col, row = j % c_, j // c_
    kind = blocks["kind"][blk]
    x0, x1 = blocks["x0"][blk] + _EDGE, blocks["x1"][blk] - _EDGE
    y0, y1 = blocks["y0"][blk] + _EDGE, blocks["y1"][blk] - _EDGE
    pw = (x1 - x0) / c_
    pd = (y1 - y0) / r_
    px0 = x0 + col * pw
    py0 = y0 + row * pd

    width = np.minimum(_uniform(rng, _FOOT_W[kind], n), pw - 4.0)
    front = _uniform(rng, _FRONT[kind], n)
    depth = np.minimum(_uniform(rng, _FOOT_D[kind], n), pd - front - 3.0)
    # sideways: anywhere that keeps at least 2 m to both plot sides
    slack = np.maximum(pw - width - 4.0, 0.0)
    bx0 = px0 + 2.0 + rng.random(n) * slack
    # the front faces the street: row 0 the southern street, row 1 the northern one
    faces_north = (r_ == 2) & (row == 1)
    by0 = np.where(faces_north, py0 + pd - front - depth, py0 + front)
    bx1, by1 = bx0 + width, by0 + depth

    geometry = np.empty(n, dtype=object)
    ring = kind == COURTYARD
    ell = (rng.random(n) < _L_SHARE[kind]) & (width * depth > 200.0)
    plain = ~ring & ~ell
    geometry[plain] = _rects(bx0[plain], by0[plain], bx1[plain], by1[plain])
    # L shapes: a rear corner cut out (rear = away from the street)
    m = ell
    k = int(m.sum())
    geometry[m] = _ells(
        bx0[m],
        by0[m],
        bx1[m],
        by1[m],
        cut_x=width[m] * rng.uniform(0.35, 0.6, k),
        cut_y=depth[m] * rng.uniform(0.4, 0.6, k),
        sx=rng.choice([-1.0, 1.0], k),
        sy=np.where(faces_north[m], -1.0, 1.0),
    )
    # courtyard blocks: a ring 11-13 m deep around a yard
    k = int(ring.sum())
    geometry[ring] = _courtyards(
        bx0[ring], by0[ring], bx1[ring], by1[ring], rng.uniform(11.0, 13.0, k)
    )
    return [
        {
            "geometry": geometry,
            "kind": kind,
            "rank": blocks["rank"][blk],
            "sub": j,
            "name": np.full(n, None, dtype=object),
        }
    ]


def _civic_buildings(rng: np.random.Generator, blocks) -> list[dict]:
    parts: list[dict] = []
    kind, rank = blocks["kind"], blocks["rank"]
    x0, x1, y0, y1 = blocks["x0"], blocks["x1"], blocks["y0"], blocks["y1"]

    def part(geoms, kinds, ranks, subs, names):
        parts.append(
            {
                "geometry": np.asarray(geoms, dtype=object),
                "kind": np.asarray(kinds),
                "rank": np.asarray(ranks),
                "sub": np.asarray(subs),
                "name": np.asarray(names, dtype=object),
            }
        )

    # mosques: a square prayer hall west of the block centre, the minaret at its NE corner
    m = np.nonzero(kind == MOSQUE)[0]
    if len(m):
        grand = (blocks["ix"][m] == -1) & (blocks["iy"][m] == 0)
        side = np.where(grand, rng.uniform(40.0, 46.0, len(m)), rng.uniform(24.0, 32.0, len(m)))
        side = np.minimum(side, y1[m] - y0[m] - 16.0)
        cx = (x0[m] + x1[m]) / 2 - 8.0
        cy = (y0[m] + y1[m]) / 2
        hx0, hy0 = cx - side / 2, cy - side / 2
        hall = _rects(hx0, hy0, hx0 + side, hy0 + side)
        mx0 = hx0 + side + 3.0
        my0 = hy0 + side - 6.0
        minaret = _rects(mx0, my0, mx0 + 5.5, my0 + 5.5)
        names = np.where(grand, "Grand Mosque", None)
        nb = np.cumsum(~grand)
        names = np.array(
            [nm if g else f"Mosque No. {i}" for nm, g, i in zip(names, grand, nb)], dtype=object
        )
        part(
            np.concatenate([hall, minaret]),
            np.repeat([MOSQUE, -MOSQUE], len(m)),
            np.tile(rank[m], 2),
            np.repeat([0, 1], len(m)),
            np.concatenate([names, np.full(len(m), None)]),
        )

    # the souq: parallel market halls 11 m deep along the block, 6 m alleys between
    s = np.nonzero(kind == SOUQ)[0]
    if len(s):
        halls = _souq_halls({"y0": y0[s], "y1": y1[s]})
        blk = np.repeat(s, halls)
        j = np.arange(len(blk)) - np.repeat(np.cumsum(halls) - halls, halls)
        hy0 = y0[blk] + 6.0 + j * 17.0
        geoms = _rects(x0[blk] + 6.0, hy0, x1[blk] - 6.0, hy0 + 11.0)
        names = np.where(j == 0, "Central Souq", None)
        part(geoms, np.full(len(blk), SOUQ), rank[blk], j, names)

    # schools: an L-shaped classroom wing along the west and south edges, a hall NE
    sc = np.nonzero(kind == SCHOOL)[0]
    if len(sc):
        k = len(sc)
        wing = rng.uniform(12.0, 14.0, k)
        lx = (x1[sc] - x0[sc]) * rng.uniform(0.55, 0.7, k)
        ly = (y1[sc] - y0[sc]) * rng.uniform(0.6, 0.8, k)
        sx0, sy0 = x0[sc] + 6.0, y0[sc] + 6.0
        main = _ells(
            sx0,
            sy0,
            sx0 + lx,
            sy0 + ly,
            cut_x=lx - wing,
            cut_y=ly - wing,
            sx=np.ones(k),
            sy=np.ones(k),
        )
        gw = np.minimum(rng.uniform(24.0, 30.0, k), x1[sc] - x0[sc] - 12.0 - wing - 5.0)
        gd = np.minimum(rng.uniform(16.0, 20.0, k), y1[sc] - y0[sc] - 12.0 - wing - 5.0)
        gym = _rects(x1[sc] - 6.0 - gw, y1[sc] - 6.0 - gd, x1[sc] - 6.0, y1[sc] - 6.0)
        names = [f"School No. {i + 1}" for i in range(k)]
        part(
            np.concatenate([main, gym]),
            np.repeat([SCHOOL, -SCHOOL], k),
            np.tile(rank[sc], 2),
            np.repeat([0, 1], k),
            names + [None] * k,
        )

    # hospitals: a U-shaped main building open to the north, a clinic block in the yard
    h = np.nonzero(kind == HOSPITAL)[0]
    if len(h):
        k = len(h)
        w = rng.uniform(16.0, 19.0, k)
        hx0, hy0, hx1, hy1 = x0[h] + 8.0, y0[h] + 8.0, x1[h] - 8.0, y1[h] - 6.0
        main = _us(hx0, hy0, hx1, hy1, w)
        inner_w = hx1 - hx0 - 2 * w
        cl = np.minimum(inner_w - 12.0, 22.0)
        ccx = (hx0 + hx1) / 2
        clinic = _rects(ccx - cl / 2, hy0 + w + 6.0, ccx + cl / 2, hy1 - 2.0)
        names = ["Valley General Hospital"] + [f"Hospital No. {i + 2}" for i in range(k - 1)]
        part(
            np.concatenate([main, clinic]),
            np.repeat([HOSPITAL, -HOSPITAL], k),
            np.tile(rank[h], 2),
            np.repeat([0, 1], k),
            names + [None] * k,
        )
    return parts
