"""OpenStreetMap-style tags of the synthetic buildings: type, levels, height, name, use."""

from __future__ import annotations

import numpy as np

from benchmarks.district.kinds import (
    APARTMENTS,
    COURTYARD,
    HOSPITAL,
    HOUSE,
    MOSQUE,
    OFFICE,
    SCHOOL,
    SOUQ,
    TOWER,
    VILLA,
    WAREHOUSE,
)

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
    t_tag = rng.choice(
        ["apartments", "office", "commercial", "hotel"], len(towers), p=[0.45, 0.3, 0.15, 0.1]
    )
    building[towers] = t_tag
    use[towers] = np.where(t_tag == "apartments", "residential", "commercial")
    name = name.copy()
    named = towers[rng.random(len(towers)) < 0.3]
    name[named] = [
        f"Valley Tower {chr(65 + i % 26)}{'' if i < 26 else i // 26}" for i in range(len(named))
    ]
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
