"""Ratios, the brief's targets and the stdout tables of the buildings benchmark."""

from __future__ import annotations

from typing import Any

from benchmarks.buildings import CASES, VIEWS

#: Targets of the brief.
TARGET_LOAD_S = 20.0  # buildings load (read + mesh + ground) of the largest count, below
TARGET_ORBIT_VS_TERRAIN = 1.5  # twinscape orbit frame / terrain-only orbit frame, at most
TARGET_PEAK_MB = 1536.0  # twinscape peak memory for the largest count, below (1.5 GiB)


def _get(block: Any, *keys: str) -> float | None:
    for key in keys:
        if not isinstance(block, dict) or key not in block or block[key] is None:
            return None
        block = block[key]
    return float(block) if isinstance(block, (int, float)) and not isinstance(block, bool) else None


def _ok(results: dict[str, Any], case: str) -> dict[str, Any] | None:
    block = results.get(case)
    return block if isinstance(block, dict) and block.get("ok") else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def _paired(ts: Any, tr: Any, view: str) -> float | None:
    """Median over the orbit's frames of twinscape's frame over terrain-only's frame at the
    same camera: unlike the ratio of medians, it does not swing with where in the orbit
    each case's frames turn slow."""
    a = ts.get(view, {}).get("orbit_interactive", {}).get("times_s") if ts else None
    b = tr.get(view, {}).get("orbit_interactive", {}).get("times_s") if tr else None
    if not a or not b or len(a) != len(b) or min(b) <= 0:
        return None
    quotients = sorted(x / y for x, y in zip(a, b))
    n = len(quotients)
    return (quotients[(n - 1) // 2] + quotients[n // 2]) / 2


def ratios(results: dict[str, Any]) -> dict[str, float | None]:
    """The ratios of one building count (None where a case is missing)."""
    ts, tr, nv = _ok(results, "twinscape"), _ok(results, "terrain"), _ok(results, "naive")
    out: dict[str, float | None] = {}
    for view in VIEWS:
        for mode, key in (("interactive", "orbit_interactive"), ("settled", "orbit")):
            out[f"twinscape_vs_terrain_orbit_{view}_{mode}"] = _ratio(
                _get(ts, view, key, "median_s"), _get(tr, view, key, "median_s")
            )
        out[f"twinscape_vs_terrain_orbit_{view}_interactive_paired"] = _paired(ts, tr, view)
        out[f"twinscape_vs_terrain_orbit_{view}_interactive_cpu"] = _ratio(
            _get(ts, view, "orbit_interactive", "cpu_median_s"),
            _get(tr, view, "orbit_interactive", "cpu_median_s"),
        )
        out[f"naive_vs_twinscape_orbit_{view}"] = _ratio(
            _get(nv, view, "orbit", "median_s"), _get(ts, view, "orbit_interactive", "median_s")
        )
    for view in VIEWS:
        block = ts.get(view, {}).get("interleaved", {}) if ts else {}
        out[f"town_vs_terrain_alone_orbit_{view}_interleaved"] = _get(block, "ratio")
        out[f"town_vs_terrain_alone_orbit_{view}_interleaved_cpu"] = _get(block, "cpu_ratio")
    out["naive_vs_twinscape_first_frame"] = _ratio(
        _get(nv, "first_frame_s"), _get(ts, "first_frame_s")
    )
    out["naive_vs_twinscape_load_and_build"] = _ratio(
        _sum(_get(nv, "load_s"), _get(nv, "build_s")),
        _sum(_get(ts, "buildings_load_s"), _get(ts, "build_s")),
    )
    out["naive_vs_twinscape_peak_memory"] = _ratio(_get(nv, "peak_rss_mb"), _get(ts, "peak_rss_mb"))
    out["twinscape_vs_terrain_peak_memory"] = _ratio(
        _get(ts, "peak_rss_mb"), _get(tr, "peak_rss_mb")
    )
    return out


def _sum(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a + b


def targets(all_results: dict[int, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The brief's targets: measured value, limit, verdict."""
    out: dict[str, dict[str, Any]] = {}
    largest = max(all_results) if all_results else None
    for count, results in all_results.items():
        r = ratios(results)
        for view in VIEWS:
            out[f"{count:,}: orbit {view} (interacting) / terrain alone"] = _target(
                r[f"town_vs_terrain_alone_orbit_{view}_interleaved"], TARGET_ORBIT_VS_TERRAIN, "x"
            )
            out[f"{count:,}: orbit {view} (interacting) / terrain alone, CPU"] = _target(
                r[f"town_vs_terrain_alone_orbit_{view}_interleaved_cpu"],
                TARGET_ORBIT_VS_TERRAIN,
                "x",
            )
    if largest is not None:
        ts = _ok(all_results[largest], "twinscape")
        out[f"{largest:,}: buildings load (read + mesh + ground)"] = _target(
            _get(ts, "buildings_load_s"), TARGET_LOAD_S, "s", strict=True
        )
        out[f"{largest:,}: twinscape peak memory"] = _target(
            _get(ts, "peak_rss_mb"), TARGET_PEAK_MB, "MB", strict=True
        )
    return out


def _target(
    value: float | None, limit: float, unit: str, *, strict: bool = False
) -> dict[str, Any]:
    met = None if value is None else (value < limit if strict else value <= limit)
    return {"value": value, "limit": limit, "unit": unit, "met": met, "strict": strict}


def _fmt(value: Any, spec: str, scale: float = 1.0) -> str:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return "-"
    return format(value * scale, spec)


def _orbit_cell(view: str, key: str, stat: str = "median_s"):
    def cell(r: dict[str, Any]) -> str:
        text = _fmt(_get(r, view, key, stat), ".0f", 1000.0)
        if text != "-" and r.get("extrapolated"):
            text = "~" + text
        return text

    return cell


def _interleaved_cell(r: dict[str, Any], view: str) -> str:
    """Medians of the interleaved orbits and each round's ratio ("41 / 38, rounds 1.05
    1.12 1.08")."""
    block = r.get(view, {}).get("interleaved") if isinstance(r.get(view), dict) else None
    if not block:
        return "-"
    rounds = " ".join(f"{q:.2f}" for q in block["round_ratios"])
    town, alone = block["town_median_s"] * 1000, block["terrain_alone_median_s"] * 1000
    return f"{town:.0f} / {alone:.0f}, rounds {rounds}"


def _est(key: str, spec: str, scale: float = 1.0):
    def cell(r: dict[str, Any]) -> str:
        text = _fmt(r.get(key), spec, scale)
        return "~" + text if text != "-" and r.get("extrapolated") else text

    return cell


def _pair(a: float | None, b: float | None) -> str:
    return "-" if a is None else f"{a:,.0f} / {_fmt(b, ',.0f')}"


def _step(r: dict[str, Any], name: str) -> float | None:
    return (r.get("steps_s") or {}).get(name)


ROWS = [
    ("first frame (s)", _est("first_frame_s", ".2f")),
    ("  terrain load (s)", lambda r: _fmt(r.get("terrain_load_s"), ".2f")),
    ("  buildings load (s)", lambda r: _fmt(r.get("buildings_load_s"), ".2f")),
    ("    read_footprints (s)", lambda r: _fmt(_step(r, "read_footprints"), ".2f")),
    ("    footprint_bases (s)", lambda r: _fmt(_step(r, "footprint_bases"), ".2f")),
    ("    prepare, worker thread (s)", lambda r: _fmt(_step(r, "prepare"), ".2f")),
    ("  naive: read + heights + ground (s)", lambda r: _fmt(r.get("read_s"), ".2f")),
    ("  build scene / add meshes (s)", _est("build_s", ".2f")),
    ("  first render + readback (s)", _est("first_render_s", ".2f")),
    ("second frame, same view (s)", lambda r: _fmt(r.get("second_frame_s"), ".2f")),
    *[
        row
        for view in VIEWS
        for row in (
            (f"{view}: orbit median (ms)", _orbit_cell(view, "orbit")),
            (f"{view}: orbit interacting median (ms)", _orbit_cell(view, "orbit_interactive")),
            (
                f"{view}: orbit interacting p90 (ms)",
                _orbit_cell(view, "orbit_interactive", "p90_s"),
            ),
            (
                f"{view}: orbit interacting CPU (ms)",
                _orbit_cell(view, "orbit_interactive", "cpu_median_s"),
            ),
            (f"{view}: triangles drawn", lambda r, v=view: _fmt(_get(r, v, "triangles"), ",.0f")),
            (
                f"{view}: triangles / points interacting",
                lambda r, v=view: _pair(
                    _get(r, v, "triangles_interactive"), _get(r, v, "points_interactive")
                ),
            ),
            (f"{view}: buildings as points", lambda r, v=view: _fmt(_get(r, v, "points"), ",.0f")),
            (f"{view}: interleaved town / alone (ms)", lambda r, v=view: _interleaved_cell(r, v)),
        )
    ],
    ("peak memory (MB)", _est("peak_rss_mb", ".0f")),
    ("  before loading, after imports", lambda r: _fmt(r.get("rss_before_mb"), ".0f")),
    ("  after load (RSS)", lambda r: _fmt(r.get("rss_after_load_mb"), ".0f")),
    ("  after build (RSS)", lambda r: _fmt(r.get("rss_after_build_mb"), ".0f")),
    (
        "building triangles",
        lambda r: _fmt(
            r.get("building_triangles")
            or (r.get("triangles") if "measured_buildings" in r else None),
            ",.0f",
        ),
    ),
    ("buildings measured", lambda r: _fmt(r.get("measured_buildings", r.get("buildings")), ",.0f")),
    ("load average after (1 min)", lambda r: _fmt((r.get("loadavg_after") or [None])[0], ".2f")),
]


def _layout(lines: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in lines) for i in range(len(lines[0]))]
    out = []
    for n, row in enumerate(lines):
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]
        out.append("  ".join(cells))
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def case_table(count: int, results: dict[str, Any]) -> str:
    """The table of one building count: a row per measure, a column per case."""
    names = [c for c in CASES if c in results]
    lines = [
        [f"{count:,} buildings", *(("naive (no terrain)" if c == "naive" else c) for c in names)]
    ]
    for label, cell in ROWS:
        values = [cell(results[c]) if results[c].get("ok") else "failed" for c in names]
        if all(v in ("-", "failed") for v in values):
            continue
        lines.append([label, *values])
    return _layout(lines)


def ratio_table(all_results: dict[int, dict[str, Any]]) -> str:
    """The ratios of every building count, a column per count."""
    per = {count: ratios(r) for count, r in all_results.items()}
    names = list(next(iter(per.values()))) if per else []
    lines = [["ratio", *(f"{c:,}" for c in per)]]
    for name in names:
        lines.append(
            [name, *("-" if per[c][name] is None else f"{per[c][name]:.2f}x" for c in per)]
        )
    return _layout(lines)


def target_table(rows: dict[str, dict[str, Any]]) -> str:
    """The targets of :func:`targets` with their verdicts."""
    lines = [["target", "measured", "limit", "verdict"]]
    for name, t in rows.items():
        spec = ".0f" if t["unit"] == "MB" else ".2f"
        op = "<" if t["strict"] else "<="
        verdict = {True: "PASS", False: "MISS", None: "n/a"}[t["met"]]
        lines.append(
            [
                name,
                _fmt(t["value"], spec) + f" {t['unit']}",
                f"{op} {t['limit']:g} {t['unit']}",
                verdict,
            ]
        )
    return _layout(lines)
