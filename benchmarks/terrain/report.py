"""Ratios, targets and the stdout table of the terrain benchmark."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: Targets from the design brief.
TARGET_ORBIT_VS_EMPTY = 3.0  # twinscape orbit frame / near-empty orbit frame, at most
TARGET_FIRST_FRAME_S = 3.0  # twinscape time to first frame, at most
TARGET_PEAK_MB_LARGE = 1024.0  # twinscape peak memory at 4096^2, below

Results = dict[str, dict[str, Any]]  # case name -> that case's result dict


def value_of(results: Results, case: str, *keys: str) -> float | None:
    """A nested number of one case, or None when the case failed or lacks it."""
    value: Any = results.get(case)
    if not value or not value.get("ok", False):
        return None
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return float(value) if isinstance(value, (int, float)) else None


def ratio_of(a: float | None, b: float | None) -> float | None:
    """a / b, or None when either is missing or b is zero."""
    if a is None or b is None or b == 0:
        return None
    return a / b


def orbit_key(results: Results, stat: str = "median_s") -> tuple[str, ...]:
    """Where Twinscape's orbit frame time lives: interactive orbit when measured."""
    if value_of(results, "twinscape", "orbit_interactive", stat) is not None:
        return ("orbit_interactive", stat)
    return ("orbit", stat)


def ratios(results: Results, dem_key: str) -> dict[str, float | None]:
    """The ratios reported for one DEM (``None`` where a case is missing)."""
    ts_orbit = value_of(results, "twinscape", *orbit_key(results))
    return {
        "twinscape_orbit_vs_near_empty": ratio_of(
            ts_orbit, value_of(results, "near_empty", "orbit", "median_s")
        ),
        "twinscape_orbit_vs_near_empty_cpu": ratio_of(
            value_of(results, "twinscape", *orbit_key(results, "cpu_median_s")),
            value_of(results, "near_empty", "orbit", "cpu_median_s"),
        ),
        "twinscape_settled_orbit_vs_near_empty": ratio_of(
            value_of(results, "twinscape", "orbit", "median_s"),
            value_of(results, "near_empty", "orbit", "median_s"),
        ),
        "naive_vs_twinscape_orbit": ratio_of(
            value_of(results, "naive", "orbit", "median_s"), ts_orbit
        ),
        "naive_vs_twinscape_first_frame": ratio_of(
            value_of(results, "naive", "first_frame_s"),
            value_of(results, "twinscape", "first_frame_s"),
        ),
        "naive_vs_twinscape_peak_memory": ratio_of(
            value_of(results, "naive", "peak_rss_mb"), value_of(results, "twinscape", "peak_rss_mb")
        ),
        "naive_vs_twinscape_triangles": ratio_of(
            value_of(results, "naive", "triangles"), value_of(results, "twinscape", "triangles")
        ),
    }


def targets(all_results: dict[str, Results]) -> dict[str, dict[str, Any]]:
    """Each target of the brief: measured value, limit and whether it is met."""
    out: dict[str, dict[str, Any]] = {}
    for dem_key, results in all_results.items():
        if "twinscape" not in results:
            continue  # e.g. --closeup: the overview cases did not run
        ratio = ratios(results, dem_key)["twinscape_orbit_vs_near_empty"]
        out[f"{dem_key}: twinscape orbit / near-empty orbit"] = target_row(
            ratio, TARGET_ORBIT_VS_EMPTY, "x"
        )
        first = value_of(results, "twinscape", "first_complete_frame_s")
        if first is None:
            first = value_of(results, "twinscape", "first_frame_s")
        out[f"{dem_key}: twinscape first complete frame"] = target_row(
            first, TARGET_FIRST_FRAME_S, "s"
        )
    if "large" in all_results:
        peak = value_of(all_results["large"], "twinscape", "peak_rss_mb")
        out["large: twinscape peak memory"] = target_row(
            peak, TARGET_PEAK_MB_LARGE, "MB", strict=True
        )
    return out


def target_row(
    value: float | None, limit: float, unit: str, *, strict: bool = False
) -> dict[str, Any]:
    """One target row; ``strict`` means value must be below the limit, not at most."""
    met = None if value is None else (value < limit if strict else value <= limit)
    return {"value": value, "limit": limit, "unit": unit, "met": met, "strict": strict}


# ---------------------------------------------------------------- table

Row = tuple[str, Callable[[dict[str, Any]], str]]


def fmt(value: Any, spec: str, scale: float = 1.0) -> str:
    """Format a number or show a dash for missing values."""
    if not isinstance(value, (int, float)):
        return "-"
    return format(value * scale, spec)


def _orbit(key: str, stat: str) -> Callable[[dict[str, Any]], str]:
    """Cell reading an orbit statistic in milliseconds."""

    def cell(r: dict[str, Any]) -> str:
        block = r.get(key) or {}
        frames = block.get("frames")
        text = fmt(block.get(stat), ".1f", 1000.0)
        return f"{text} ({frames})" if text != "-" and stat == "median_s" else text

    return cell


ROWS: list[Row] = [
    ("first frame (s)", lambda r: fmt(r.get("first_frame_s"), ".2f")),
    ("  load (s)", lambda r: fmt(r.get("load_s"), ".2f")),
    ("  build (s)", lambda r: fmt(r.get("build_s"), ".2f")),
    ("  first render+readback (s)", lambda r: fmt(r.get("first_render_s"), ".2f")),
    ("frames to complete the view", lambda r: fmt(r.get("frames_to_complete"), ".0f")),
    ("first complete frame (s)", lambda r: fmt(r.get("first_complete_frame_s"), ".2f")),
    ("settle(1 px) frame (s)", lambda r: fmt(r.get("settled_frame_s"), ".2f")),
    ("orbit median ms (frames)", _orbit("orbit", "median_s")),
    ("orbit p90 (ms)", _orbit("orbit", "p90_s")),
    ("orbit CPU median (ms)", _orbit("orbit", "cpu_median_s")),
    ("orbit interacting median ms", _orbit("orbit_interactive", "median_s")),
    ("orbit interacting p90 (ms)", _orbit("orbit_interactive", "p90_s")),
    ("orbit interacting CPU (ms)", _orbit("orbit_interactive", "cpu_median_s")),
    ("peak memory (MB)", lambda r: fmt(r.get("peak_rss_mb"), ".0f")),
    ("  before loading, after imports", lambda r: fmt(r.get("rss_before_mb"), ".0f")),
    ("  after load (RSS)", lambda r: fmt(r.get("rss_after_load_mb"), ".0f")),
    ("  after build (RSS)", lambda r: fmt(r.get("rss_after_build_mb"), ".0f")),
    ("triangles in first frame", lambda r: fmt(r.get("triangles_first_frame"), ",.0f")),
    ("triangles at default view", lambda r: fmt(r.get("triangles"), ",.0f")),
    ("triangles while interacting", lambda r: fmt(r.get("triangles_interactive"), ",.0f")),
    ("load average after (1 min)", lambda r: fmt((r.get("loadavg_after") or [None])[0], ".2f")),
]


def case_table(title: str, results: Results, cases: tuple[str, ...]) -> str:
    """The per-case table of one DEM."""
    names = [c for c in cases if c in results]
    lines = [[title, *(c.replace("_", "-") for c in names)]]
    for label, cell in ROWS:
        values = [cell(results[c]) if results[c].get("ok") else "failed" for c in names]
        if all(v in ("-", "failed") for v in values):
            continue
        lines.append([label, *values])
    return layout(lines)


def ratio_table(all_results: dict[str, Results]) -> str:
    """Ratios per DEM, side by side."""
    keys = list(all_results)
    per_dem = {k: ratios(all_results[k], k) for k in keys}
    names = list(next(iter(per_dem.values()))) if per_dem else []
    lines = [["ratio", *keys]]
    for name in names:
        lines.append([name, *(_fmt_ratio(per_dem[k][name]) for k in keys)])
    return layout(lines)


def _fmt_ratio(value: float | None) -> str:
    """``2.31x`` or a dash."""
    return "-" if value is None else f"{value:.2f}x"


def target_table(rows: dict[str, dict[str, Any]]) -> str:
    """The brief's targets with PASS/MISS."""
    lines = [["target", "measured", "limit", "verdict"]]
    for name, t in rows.items():
        unit = t["unit"]
        spec = ".0f" if unit == "MB" else ".2f"
        verdict = {True: "PASS", False: "MISS", None: "n/a"}[t["met"]]
        op = "<" if t["strict"] else "<="
        lines.append(
            [name, fmt(t["value"], spec) + f" {unit}", f"{op} {t['limit']:g} {unit}", verdict]
        )
    return layout(lines)


def fidelity_table(results: Results) -> str | None:
    """Twinscape images of the default view vs the same mesh at full detail, when measured."""
    block = results.get("twinscape") or {}
    fid = block.get("fidelity")
    if not isinstance(fid, dict) or not fid:
        return None
    labels = {
        "first_frame": "first frame",
        "settled_2px": "settled (on screen)",
        "screenshot_1px": "settle() (screenshot)",
    }
    triangles = {
        "first_frame": block.get("triangles_first_frame"),
        "settled_2px": block.get("triangles"),
        "screenshot_1px": block.get("triangles_settled_1px"),
    }
    threshold = next(iter(fid.values()))["threshold"]
    full = fmt(block.get("triangles_full_detail"), ",.0f")
    lines = [
        [
            f"vs full detail ({full} triangles)",
            "triangles",
            "mean |diff| /255",
            f"pixels > {threshold}/255",
            "max /255",
        ]
    ]
    for key, diff in fid.items():
        lines.append(
            [
                labels.get(key, key),
                fmt(triangles.get(key), ",.0f"),
                fmt(diff["mean_abs_diff"], ".2f"),
                fmt(100 * diff["frac_pixels_over_threshold"], ".2f") + " %",
                str(diff["max_abs_diff"]),
            ]
        )
    return layout(lines)


def layout(lines: list[list[str]]) -> str:
    """Left-align the first column, right-align the others."""
    widths = [max(len(row[i]) for row in lines) for i in range(len(lines[0]))]
    out = []
    for n, row in enumerate(lines):
        cells = [row[0].ljust(widths[0])]
        cells += [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        out.append("  ".join(cells))
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)
