"""A synthetic planned new town as building footprints: demo data and benchmark load.

``generate_district(center_xy, count=...)`` lays out a street grid (boulevards every four
blocks, local streets between), ranks the blocks by a noisy distance from the centre and
zones them: towers and offices in the core, apartment rows and courtyard blocks around it,
houses and villas further out, warehouses on one edge. Blocks are cut into plots and each
plot gets a footprint with setbacks, so no two buildings overlap. A grand mosque with its
minaret and the souq sit at the central crossing; schools, neighbourhood mosques and
hospitals are spread over the town on a lattice of blocks.

Attributes follow OpenStreetMap tags: ``building`` (the type), ``building:levels`` and
``height`` as text (``"4"``, ``"24 m"`` or ``"24"``), missing for about a third of the
buildings so that type defaults are exercised, ``name`` for a few, and ``use``
(residential, commercial, civic or industrial).

Everything is vectorised with numpy and shapely (100,000 buildings take a few seconds)
and deterministic for a given ``seed``.

Command line, from the repository root::

    python -m benchmarks.district --count 350 --out assets/buildings/deadsea_newtown_plan.gpkg
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import shapely

#: Centre of the demo plan on the demo DEM (EPSG:32636): the eastern Jordan valley floor
#: between South Shuneh and Kafrein, about 31.85 N 35.62 E, -283..-255 m, slopes under 2.1
#: degrees within 900 m, 9 km north-east of the Dead Sea shore.
DEMO_CENTER: tuple[float, float] = (747250.0, 3527500.0)

#: Seed of the demo plan.
DEMO_SEED = 0

#: Widths of local streets and boulevards (m); a boulevard follows every fourth block.
LOCAL_STREET = 14.0
BOULEVARD = 36.0
#: Block sizes (m) along x (columns) and y (rows), drawn per column / row.
BLOCK_WIDTHS = (100.0, 120.0, 140.0)
BLOCK_DEPTHS = (64.0, 72.0, 80.0)

# Block kinds. The first ones are cut into a regular grid of plots, the others are civic.
HOUSE, VILLA, APARTMENTS, COURTYARD, OFFICE, TOWER, WAREHOUSE = range(7)
MOSQUE, SOUQ, SCHOOL, HOSPITAL, PARK = range(7, 12)
_GRID_KINDS = 7

#: Per grid kind: plot rows per block, plot frontage range (m).
_PLOT_ROWS = np.array([2, 2, 2, 1, 2, 1, 2])
_PLOT_W = np.array(
    [(17, 22), (25, 32), (36, 48), (46, 56), (38, 52), (50, 62), (55, 72)], dtype=float
)
#: Footprint size ranges (m) per grid kind: along the street and in depth.
_FOOT_W = np.array(
    [(12, 16), (15, 20), (28, 42), (40, 48), (30, 44), (24, 36), (42, 60)], dtype=float
)
_FOOT_D = np.array(
    [(12, 18), (13, 18), (20, 28), (52, 62), (18, 28), (24, 34), (18, 28)], dtype=float
)
#: Front setback ranges (m) per grid kind.
_FRONT = np.array([(3, 6), (5, 8), (3, 5), (3, 5), (4, 6), (8, 14), (6, 9)], dtype=float)
#: Share of L-shaped footprints per grid kind.
_L_SHARE = np.array([0.10, 0.15, 0.10, 0.0, 0.15, 0.0, 0.05])

#: Inner edge margin of a block before plots start (m).
_EDGE = 2.0


def generate_district(
    center_xy: tuple[float, float],
    *,
    count: int,
    seed: int = 0,
    crs: str = "EPSG:32636",
    rotation_deg: float = 0.0,
):
    """A planned town of exactly ``count`` building footprints around ``center_xy``.

    Parameters
    ----------
    center_xy
        Centre of the town (the central boulevard crossing) in ``crs`` (metric, projected).
    count
        Number of buildings; the town grows outwards until it holds them.
    seed
        Seed of the numpy generator: the same seed gives the same town.
    crs
        CRS of the coordinates.
    rotation_deg
        Turn of the street grid, counter-clockwise, about the centre.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``building``, ``building:levels``, ``height``, ``name``, ``use`` and the
        polygon ``geometry``, nearest the centre first.
    """
    import geopandas as gpd

    if count < 1:
        raise ValueError(f"count: {count} is not a positive number of buildings")
    rng = np.random.default_rng(seed)
    blocks = _choose_blocks(rng, count)
    parts = _grid_buildings(rng, blocks) + _civic_buildings(rng, blocks)
    geometry = np.concatenate([p["geometry"] for p in parts])
    kind = np.concatenate([p["kind"] for p in parts])
    rank = np.concatenate([p["rank"] for p in parts])
    sub = np.concatenate([p["sub"] for p in parts])
    name = np.concatenate([p["name"] for p in parts])
    order = np.lexsort((sub, rank))[:count]
    geometry, kind, name = geometry[order], kind[order], name[order]

    tags = _tags(rng, kind, name)
    cx, cy = float(center_xy[0]), float(center_xy[1])
    if rotation_deg:
        geometry = _rotate(geometry, rotation_deg)
    geometry = shapely.transform(geometry, lambda xy: xy + (cx, cy))
    return gpd.GeoDataFrame(tags, geometry=geometry, crs=crs)


# --- layout ----------------------------------------------------------------------------

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
        "ix": ix[gx], "iy": iy[gy],
        "x0": x0[gx], "x1": x1[gx], "y0": y0[gy], "y1": y1[gy],
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
    out.update(kind=kind[keep], cols=cols[keep], rows=rows[keep],
               rank=np.arange(len(keep)), u_plot=u_plot[keep], angle=angle[keep])
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
        [APARTMENTS, COURTYARD, HOUSE, VILLA], PARK,
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


# --- footprints ------------------------------------------------------------------------

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
        bx0[m], by0[m], bx1[m], by1[m],
        cut_x=width[m] * rng.uniform(0.35, 0.6, k), cut_y=depth[m] * rng.uniform(0.4, 0.6, k),
        sx=rng.choice([-1.0, 1.0], k), sy=np.where(faces_north[m], -1.0, 1.0),
    )
    # courtyard blocks: a ring 11-13 m deep around a yard
    k = int(ring.sum())
    geometry[ring] = _courtyards(
        bx0[ring], by0[ring], bx1[ring], by1[ring], rng.uniform(11.0, 13.0, k)
    )
    return [{
        "geometry": geometry, "kind": kind, "rank": blocks["rank"][blk], "sub": j,
        "name": np.full(n, None, dtype=object),
    }]


def _civic_buildings(rng: np.random.Generator, blocks) -> list[dict]:
    parts: list[dict] = []
    kind, rank = blocks["kind"], blocks["rank"]
    x0, x1, y0, y1 = blocks["x0"], blocks["x1"], blocks["y0"], blocks["y1"]

    def part(geoms, kinds, ranks, subs, names):
        parts.append({
            "geometry": np.asarray(geoms, dtype=object), "kind": np.asarray(kinds),
            "rank": np.asarray(ranks), "sub": np.asarray(subs),
            "name": np.asarray(names, dtype=object),
        })

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
        part(np.concatenate([hall, minaret]), np.repeat([MOSQUE, -MOSQUE], len(m)),
             np.tile(rank[m], 2), np.repeat([0, 1], len(m)),
             np.concatenate([names, np.full(len(m), None)]))

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
        main = _ells(sx0, sy0, sx0 + lx, sy0 + ly, cut_x=lx - wing, cut_y=ly - wing,
                     sx=np.ones(k), sy=np.ones(k))
        gw = np.minimum(rng.uniform(24.0, 30.0, k), x1[sc] - x0[sc] - 12.0 - wing - 5.0)
        gd = np.minimum(rng.uniform(16.0, 20.0, k), y1[sc] - y0[sc] - 12.0 - wing - 5.0)
        gym = _rects(x1[sc] - 6.0 - gw, y1[sc] - 6.0 - gd, x1[sc] - 6.0, y1[sc] - 6.0)
        names = [f"School No. {i + 1}" for i in range(k)]
        part(np.concatenate([main, gym]), np.repeat([SCHOOL, -SCHOOL], k),
             np.tile(rank[sc], 2), np.repeat([0, 1], k), names + [None] * k)

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
        part(np.concatenate([main, clinic]), np.repeat([HOSPITAL, -HOSPITAL], k),
             np.tile(rank[h], 2), np.repeat([0, 1], k), names + [None] * k)
    return parts


def _ring(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    return np.stack([xs, ys], axis=-1)


def _rects(x0, y0, x1, y1) -> np.ndarray:
    xs = np.stack([x0, x1, x1, x0, x0], axis=-1)
    ys = np.stack([y0, y0, y1, y1, y0], axis=-1)
    return shapely.polygons(_ring(xs, ys))


def _ells(x0, y0, x1, y1, *, cut_x, cut_y, sx, sy) -> np.ndarray:
    """Rectangles with the corner (``sx``, ``sy``) (+1 = east/north) cut out, CCW."""
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    a, b = (x1 - x0) / 2, (y1 - y0) / 2
    u = np.stack([-a, a, a, a - cut_x, a - cut_x, -a], axis=-1)
    v = np.stack([-b, -b, b - cut_y, b - cut_y, b, b], axis=-1)
    xs = cx[:, None] + sx[:, None] * u
    ys = cy[:, None] + sy[:, None] * v
    flip = sx * sy < 0  # a mirror turns the ring clockwise
    xs[flip], ys[flip] = xs[flip, ::-1], ys[flip, ::-1]
    xs = np.concatenate([xs, xs[:, :1]], axis=1)
    ys = np.concatenate([ys, ys[:, :1]], axis=1)
    return shapely.polygons(_ring(xs, ys))


def _us(x0, y0, x1, y1, w) -> np.ndarray:
    """U shapes open to the north with arms ``w`` wide, CCW."""
    xs = np.stack([x0, x1, x1, x1 - w, x1 - w, x0 + w, x0 + w, x0, x0], axis=-1)
    ys = np.stack([y0, y0, y1, y1, y0 + w, y0 + w, y1, y1, y0], axis=-1)
    return shapely.polygons(_ring(xs, ys))


def _courtyards(x0, y0, x1, y1, depth) -> np.ndarray:
    shells = shapely.linearrings(_ring(
        np.stack([x0, x1, x1, x0, x0], axis=-1), np.stack([y0, y0, y1, y1, y0], axis=-1)))
    a0, b0, a1, b1 = x0 + depth, y0 + depth, x1 - depth, y1 - depth
    holes = shapely.linearrings(_ring(  # clockwise, as OGC wants interior rings
        np.stack([a0, a0, a1, a1, a0], axis=-1), np.stack([b0, b1, b1, b0, b0], axis=-1)))
    return shapely.polygons(shells, holes=holes[:, None])


def _rotate(geometry: np.ndarray, degrees: float) -> np.ndarray:
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    rot = np.array([[c, s], [-s, c]])
    return shapely.transform(geometry, lambda xy: xy @ rot)


# --- attributes ------------------------------------------------------------------------

#: Per kind (negative kinds are the second building of a civic block): OSM building tag,
#: use, storey range, metres per storey.
_KIND_TAGS: dict[int, tuple[str, str, tuple[int, int], float]] = {
    HOUSE: ("house", "residential", (2, 3), 3.2),
    VILLA: ("villa", "residential", (2, 3), 3.4),
    APARTMENTS: ("apartments", "residential", (4, 8), 3.1),
    COURTYARD: ("apartments", "residential", (4, 7), 3.1),
    OFFICE: ("office", "commercial", (4, 10), 3.8),
    TOWER: ("apartments", "residential", (15, 30), 3.4),
    WAREHOUSE: ("warehouse", "industrial", (1, 1), 10.0),
    MOSQUE: ("mosque", "civic", (1, 1), 16.0),
    -MOSQUE: ("minaret", "civic", (1, 1), 36.0),
    SOUQ: ("retail", "commercial", (1, 2), 4.5),
    SCHOOL: ("school", "civic", (2, 3), 3.8),
    -SCHOOL: ("school", "civic", (1, 1), 8.0),
    HOSPITAL: ("hospital", "civic", (4, 6), 4.0),
    -HOSPITAL: ("hospital", "civic", (2, 3), 4.0),
}


def _tags(rng: np.random.Generator, kind: np.ndarray, name: np.ndarray) -> dict[str, np.ndarray]:
    n = len(kind)
    building = np.empty(n, dtype=object)
    use = np.empty(n, dtype=object)
    levels = np.zeros(n, dtype=int)
    height = np.zeros(n)
    u = rng.random(n)
    for k, (tag, use_k, (lo, hi), per_storey) in _KIND_TAGS.items():
        m = kind == k
        if not m.any():
            continue
        building[m] = tag
        use[m] = use_k
        levels[m] = rng.integers(lo, hi + 1, int(m.sum()))
        height[m] = levels[m] * per_storey * rng.uniform(0.95, 1.08, int(m.sum()))
    # variety in the tags: some apartment rows are just "residential", some warehouses
    # "industrial", towers in the core are offices, hotels or apartments
    building[(kind == APARTMENTS) & (u < 0.15)] = "residential"
    building[(kind == WAREHOUSE) & (u < 0.2)] = "industrial"
    towers = np.nonzero(kind == TOWER)[0]
    t_tag = rng.choice(["apartments", "office", "commercial", "hotel"], len(towers),
                       p=[0.45, 0.3, 0.15, 0.1])
    building[towers] = t_tag
    use[towers] = np.where(t_tag == "apartments", "residential", "commercial")
    name = name.copy()
    named = towers[rng.random(len(towers)) < 0.3]
    name[named] = [f"Valley Tower {chr(65 + i % 26)}{'' if i < 26 else i // 26}"
                   for i in range(len(named))]
    hotels = towers[t_tag == "hotel"]
    name[hotels] = [f"Jordan Valley Hotel {i + 1}" for i in range(len(hotels))]
    minaret = kind == -MOSQUE
    height[minaret] = rng.uniform(32.0, 45.0, int(minaret.sum()))
    levels[minaret] = 0

    # which tags a building carries: levels, height, both, or none (type default)
    mode = rng.choice(4, n, p=[0.35, 0.2, 0.1, 0.35])  # 0 levels, 1 height, 2 both, 3 none
    tall = kind == TOWER
    mode[tall] = rng.choice(3, int(tall.sum()), p=[0.5, 0.2, 0.3])
    # a tall single storey (warehouse, gym) would read as 3 m from its level count
    hall = np.isin(kind, [WAREHOUSE, -SCHOOL])
    mode[hall] = rng.choice([1, 3], int(hall.sum()))
    mode[(kind == MOSQUE) | minaret] = 1
    has_levels = (mode == 0) | (mode == 2)
    has_height = (mode == 1) | (mode == 2)
    height = np.round(height * 2) / 2
    metres = rng.random(n) < 0.75
    lv = np.full(n, None, dtype=object)
    lv[has_levels] = levels[has_levels].astype(str)
    ht = np.full(n, None, dtype=object)
    h_text = np.char.mod("%g", height)
    ht[has_height & metres] = np.char.add(h_text[has_height & metres], " m")
    ht[has_height & ~metres] = h_text[has_height & ~metres]
    return {"building": building, "building:levels": lv, "height": ht, "name": name, "use": use}


# --- command line ----------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.district --count N --out FILE.gpkg``."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.district",
        description="Write a synthetic planned town (building footprints) to a GeoPackage.",
    )
    parser.add_argument("--count", type=int, default=350, help="number of buildings")
    parser.add_argument("--out", type=Path, required=True, help="output .gpkg")
    parser.add_argument("--seed", type=int, default=DEMO_SEED)
    parser.add_argument("--center", type=float, nargs=2, metavar=("X", "Y"),
                        default=DEMO_CENTER, help="centre in --crs (default: the demo plan's)")
    parser.add_argument("--crs", default="EPSG:32636")
    parser.add_argument("--rotation", type=float, default=0.0, help="grid turn, degrees CCW")
    parser.add_argument("--layer", default="buildings")
    args = parser.parse_args(argv)
    gdf = generate_district(tuple(args.center), count=args.count, seed=args.seed, crs=args.crs,
                            rotation_deg=args.rotation)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.out.exists():
        args.out.unlink()
    gdf.to_file(args.out, layer=args.layer, driver="GPKG", engine="pyogrio")
    counts = gdf["building"].value_counts()
    print(f"{args.out}: {len(gdf)} buildings, " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
