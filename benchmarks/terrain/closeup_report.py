"""Ratios, targets and the stdout table of the close-up cases (see :mod:`.closeup_case`)."""

from __future__ import annotations

from typing import Any

from benchmarks.terrain.report import Results, fmt, layout, ratio_of, target_row, value_of

#: Targets of issue 9.
TARGET_MOVING_P90_VS_EMPTY = 2.0  # while moving, p90 frame / near-empty frame, at most
TARGET_SETTLED_VS_EMPTY = 3.0  # settled close-up median frame / near-empty frame, at most
TARGET_FIRST_COMPLETE_S = 3.0  # the 16384 COG to a first complete frame, below
TARGET_PEAK_MB_COG = 1536.0  # the 16384 COG's peak memory, below
TARGET_SCREENSHOT_DIFF = 1.0  # settle(1) vs settle(0), mean |diff| in 0..255, below
#: The DEM key the COG targets apply to.
COG_KEY = "cog16k"
#: Where each case keeps its timed frames.
FRAMES_KEY = {"closeup_fly": "moving", "closeup_turn": "moving", "closeup_settled": "settled"}


def closeup_ratios(results: Results) -> dict[str, float | None]:
    """Median and p90 frame of each close-up case over the near-empty median frame."""
    empty = value_of(results, "near_empty", "orbit", "median_s")
    empty_cpu = value_of(results, "near_empty", "orbit", "cpu_median_s")
    out: dict[str, float | None] = {}
    for case, block in FRAMES_KEY.items():
        name = case.removeprefix("closeup_")
        out[f"closeup_{name}_median_vs_near_empty"] = ratio_of(
            value_of(results, case, block, "median_s"), empty
        )
        out[f"closeup_{name}_p90_vs_near_empty"] = ratio_of(
            value_of(results, case, block, "p90_s"), empty
        )
        out[f"closeup_{name}_cpu_vs_near_empty_cpu"] = ratio_of(
            value_of(results, case, block, "cpu_median_s"), empty_cpu
        )
    return out


def closeup_targets(all_results: dict[str, Results]) -> dict[str, dict[str, Any]]:
    """The close-up targets of issue 9 for every DEM with close-up results."""
    out: dict[str, dict[str, Any]] = {}
    for key, results in all_results.items():
        if not any(case in results for case in FRAMES_KEY):
            continue
        ratio = closeup_ratios(results)
        for name in ("fly", "turn"):
            out[f"{key}: close-up {name} p90 / near-empty"] = target_row(
                ratio[f"closeup_{name}_p90_vs_near_empty"], TARGET_MOVING_P90_VS_EMPTY, "x"
            )
        out[f"{key}: settled close-up median / near-empty"] = target_row(
            ratio["closeup_settled_median_vs_near_empty"], TARGET_SETTLED_VS_EMPTY, "x"
        )
        diff = value_of(results, "closeup_settled", "fidelity", "screenshot_1px", "mean_abs_diff")
        out[f"{key}: settle(1) vs full detail, mean /255"] = target_row(
            diff, TARGET_SCREENSHOT_DIFF, "/255", strict=True
        )
    if COG_KEY in all_results:
        results = all_results[COG_KEY]
        first = value_of(results, "closeup_settled", "first_complete_frame_s")
        out[f"{COG_KEY}: first complete close-up frame"] = target_row(
            first, TARGET_FIRST_COMPLETE_S, "s", strict=True
        )
        peaks = [value_of(results, case, "peak_rss_mb") for case in ("twinscape", *FRAMES_KEY)]
        known = [p for p in peaks if p is not None]
        out[f"{COG_KEY}: peak memory (worst Twinscape case)"] = target_row(
            max(known) if known else None, TARGET_PEAK_MB_COG, "MB", strict=True
        )
    return out


def _ms(value: Any) -> str:
    return fmt(value, ".0f", 1000.0)


def _frames(r: dict[str, Any], stat: str) -> Any:
    block = r.get("moving") or r.get("settled") or {}
    return block.get(stat)


def _path(r: dict[str, Any]) -> str:
    info = r.get("dem_path") or {}
    grid, file = info.get("grid_shape"), info.get("file_shape")
    shape = "none" if not grid else f"{grid[1]} x {grid[0]}"
    return f"{info.get('path')}: {shape} of {file[1]} x {file[0]}" if file else "-"


ROWS = [
    ("frame median (ms)", lambda r, e: _ms(_frames(r, "median_s"))),
    ("frame p90 (ms)", lambda r, e: _ms(_frames(r, "p90_s"))),
    ("frame CPU median (ms)", lambda r, e: _ms(_frames(r, "cpu_median_s"))),
    ("median / near-empty", lambda r, e: _x(ratio_of(_frames(r, "median_s"), e.get("median_s")))),
    ("p90 / near-empty", lambda r, e: _x(ratio_of(_frames(r, "p90_s"), e.get("median_s")))),
    ("CPU median / near-empty CPU", lambda r, e: _x(_cpu_ratio(r, e))),
    ("frames timed", lambda r, e: fmt(_frames(r, "frames"), ".0f")),
    ("triangles, start view complete", lambda r, e: fmt(r.get("triangles_start_view"), ",.0f")),
    ("triangles moving (median)", lambda r, e: fmt(r.get("triangles_moving_median"), ",.0f")),
    ("triangles moving (max)", lambda r, e: fmt(r.get("triangles_moving_max"), ",.0f")),
    ("triangles settled (max view)", lambda r, e: fmt(r.get("triangles_settled_max"), ",.0f")),
    ("first complete frame (s)", lambda r, e: fmt(r.get("first_complete_frame_s"), ".2f")),
    ("  load (s)", lambda r, e: fmt(r.get("load_s"), ".2f")),
    ("  frames to complete", lambda r, e: fmt(r.get("frames_to_complete"), ".0f")),
    ("peak memory (MB)", lambda r, e: fmt(r.get("peak_rss_mb"), ".0f")),
    ("terrain grid drawn", lambda r, e: _path(r)),
    ("scene.refining()", lambda r, e: "yes" if r.get("has_refining") else "no"),
    ("load average after (1 min)", lambda r, e: fmt((r.get("loadavg_after") or [None])[0], ".2f")),
]


def _cpu_ratio(r: dict[str, Any], empty: dict[str, Any]) -> float | None:
    return ratio_of(_frames(r, "cpu_median_s"), empty.get("cpu_median_s"))


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def closeup_table(title: str, results: Results) -> str | None:
    """Close-up cases of one DEM side by side, or None when none ran."""
    names = [c for c in FRAMES_KEY if c in results]
    if not names:
        return None
    empty = (results.get("near_empty") or {}).get("orbit") or {}
    lines = [[f"{title} close-up", *(c.removeprefix("closeup_") for c in names)]]
    for label, cell in ROWS:
        values = [cell(results[c], empty) if results[c].get("ok") else "failed" for c in names]
        if all(v in ("-", "failed") for v in values):
            continue
        lines.append([label, *values])
    floor = f"{_ms(empty.get('median_s'))} (CPU {_ms(empty.get('cpu_median_s'))})"
    lines.append(["near-empty frame (ms)", floor, *[""] * (len(names) - 1)])
    return layout(lines)


def settled_details(results: Results) -> str | None:
    """Per settled view (time to complete, triangles, frame) and the screenshot check."""
    block = results.get("closeup_settled") or {}
    if not block.get("ok"):
        return None
    lines = [["settled view", "to complete (s)", "frames", "triangles", "frame median (ms)"]]
    for v in block.get("settled_views", []):
        lines.append(
            [
                v["view"],
                fmt(v["to_complete_s"], ".2f"),
                str(v["frames_to_complete"]),
                fmt(v["triangles"], ",.0f"),
                _ms(v["frame_median_s"]),
            ]
        )
    text = layout(lines)
    fid = block.get("fidelity")
    if fid:
        diff = fid["screenshot_1px"]
        text += (
            f"\nsettle(1) vs settle(0) at the {fid['view']}: mean |diff| "
            f"{diff['mean_abs_diff']:.3f}/255, {100 * diff['frac_pixels_over_threshold']:.2f} % "
            f"of pixels > {diff['threshold']}/255, max {diff['max_abs_diff']}/255; triangles "
            f"{fid['triangles_1px']:,} vs {fid['triangles_full_detail']:,}"
        )
    return text
