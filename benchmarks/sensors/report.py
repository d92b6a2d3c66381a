"""Tables, ratios and target verdicts of the live sensors benchmark (plain data in, text out)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: Twinscape live frame / static frame, at most (the brief's target).
TARGET_LIVE_VS_STATIC = 1.5
#: The issue's ingest target: messages per second with nothing lost.
TARGET_RATE = 50_000


def _get(block: Any, *keys: str) -> float | None:
    for key in keys:
        if not isinstance(block, dict) or block.get(key) is None:
            return None
        block = block[key]
    return float(block) if isinstance(block, (int, float)) and not isinstance(block, bool) else None


def _ok(results: dict[str, Any], case: str) -> dict[str, Any] | None:
    block = results.get(case)
    return block if isinstance(block, dict) and block.get("ok") else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def ratios(ingest: dict[str, Any], frames: dict[str, Any]) -> dict[str, float | None]:
    """Every ratio of the run (None where a case is missing)."""
    out: dict[str, float | None] = {}
    for name in ingest:
        r = _ok(ingest, name)
        out[f"ingest_{name}_rate_vs_target"] = _ratio(_get(r, "ingest_rate"),
                                                      _get(r, "target_rate"))
    for version in ("v5", "v311"):
        out[f"ingest_feed_vs_paho_only_{version}"] = _ratio(
            _get(_ok(ingest, f"100k_{version}"), "ingest_rate"),
            _get(_ok(ingest, f"paho_100k_{version}"), "ingest_rate"))
    for rate in ("100k", "50k"):
        out[f"ingest_v311_vs_v5_{rate}"] = _ratio(
            _get(_ok(ingest, f"{rate}_v311"), "ingest_rate"),
            _get(_ok(ingest, f"{rate}_v5"), "ingest_rate"))
    pairs = (("live", "static"), ("naive", "static"), ("naive", "live"),
             ("static", "terrain"), ("live", "terrain"), ("naive", "terrain"))
    for a, b in pairs:
        for metric, suffix in (("frame", ""), ("frame_cpu", "_cpu")):
            out[f"frame_{a}_vs_{b}{suffix}"] = _ratio(
                _get(_ok(frames, a), metric, "median_s"), _get(_ok(frames, b), metric, "median_s"))
    return out


def _target(value: float | None, limit: float, unit: str, op: str) -> dict[str, Any]:
    if value is None:
        met = None
    else:
        met = {"<=": value <= limit, ">=": value >= limit, "==": value == limit}[op]
    return {"value": value, "limit": limit, "unit": unit, "op": op, "met": met}


def targets(ingest: dict[str, Any], frames: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The brief's targets: measured value, limit, verdict."""
    r = ratios(ingest, frames)
    out: dict[str, dict[str, Any]] = {
        "frame: Twinscape live / static (wall)": _target(
            r["frame_live_vs_static"], TARGET_LIVE_VS_STATIC, "x", "<="),
        "frame: Twinscape live / static (CPU)": _target(
            r["frame_live_vs_static_cpu"], TARGET_LIVE_VS_STATIC, "x", "<="),
    }
    for name, block in ingest.items():
        if name.startswith("paho_"):
            continue
        b = _ok(ingest, name)
        rate = _get(block, "target_rate")
        label = f"ingest {name}"
        out[f"{label}: lost"] = _target(_get(b, "lost"), 0, "msg", "==")
        if rate is not None and rate <= TARGET_RATE:  # faster cases are stress, not targets
            out[f"{label}: sustained ingest (median second)"] = _target(
                _get(b, "sustained_rate"), rate, "msg/s", ">=")
    return out


def _fmt(value: Any, spec: str, scale: float = 1.0) -> str:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return "-"
    return format(value * scale, spec)


def _cell(*keys: str, spec: str = ",.0f", scale: float = 1.0) -> Callable[[dict], str]:
    return lambda r: _fmt(_get(r, *keys), spec, scale)


INGEST_ROWS: list[tuple[str, Callable[[dict], str]]] = [
    ("client", lambda r: "paho only" if r.get("client", "").startswith("paho") else "MqttFeed"),
    ("MQTT version", lambda r: str(r.get("mqtt_version", "-"))),
    ("target rate (msg/s)", _cell("target_rate")),
    ("publish rate reached (msg/s)", _cell("publish_rate")),
    ("published (PUBACKed)", _cell("published")),
    ("delivered to the client", _cell("delivered")),
    ("  duplicates", _cell("duplicates")),
    ("  accepted", _cell("accepted")),
    ("lost (published - unique delivered)", _cell("lost")),
    ("ingest rate reached (msg/s)", _cell("ingest_rate")),
    ("  sustained: median second (msg/s)", _cell("sustained_rate")),
    ("  best 1 s (msg/s)", lambda r: _fmt(max(r.get("rate_per_second") or [0]) or None, ",.0f")),
    ("  delivery lag after publishing (s)", _cell("delivery_lag_s", spec=".1f")),
    ("drain batch median (ms)", _cell("drain_batch_s", "median", spec=".1f", scale=1e3)),
    ("drain batch p95 (ms)", _cell("drain_batch_s", "p95", spec=".1f", scale=1e3)),
    ("drain batch max (ms)", _cell("drain_batch_s", "max", spec=".1f", scale=1e3)),
    ("batch size median (obs)", _cell("drain_batch_size", "median")),
    ("10 Hz tick late, p95 (ms)", _cell("drain_tick_lateness_s", "p95", spec=".1f", scale=1e3)),
    ("app CPU (cores)", _cell("app_cpu_cores", spec=".2f")),
    ("  drain thread CPU (s)", _cell("drain_thread_cpu_s", spec=".2f")),
    ("broker CPU (cores)", _cell("broker_cpu_cores", spec=".2f")),
    ("publisher CPU while publishing (cores)", _cell("publisher_cpu_cores", spec=".2f")),
    ("app peak memory (MB)", _cell("peak_rss_mb")),
    ("broker peak memory (MB)", _cell("broker_peak_rss_mb")),
    ("stopped because", lambda r: str(r.get("stop_reason", "-"))),
    ("load average before (1 min)", lambda r: _fmt((r.get("loadavg_before") or [None])[0], ".2f")),
]

FRAME_ROWS: list[tuple[str, Callable[[dict], str]]] = [
    ("stations", _cell("stations")),
    ("triangles drawn", _cell("triangles")),
    ("first frame (s)", _cell("first_frame_s", spec=".2f")),
    ("frame median (ms)", _cell("frame", "median_s", spec=".0f", scale=1e3)),
    ("frame p95 (ms)", _cell("frame", "p95_s", spec=".0f", scale=1e3)),
    ("frame CPU median (ms)", _cell("frame_cpu", "median_s", spec=".0f", scale=1e3)),
    ("  update median (ms)", _cell("update", "median_s", spec=".1f", scale=1e3)),
    ("  render + read back median (ms)", _cell("render", "median_s", spec=".0f", scale=1e3)),
    ("pixels changed, last vs first frame (%)",
     _cell("last_vs_first_image", "frac_pixels_over_threshold", spec=".1f", scale=100.0)),
    ("actors before / after", lambda r: " / ".join(str(a) for a in r.get("actors", [])) or "-"),
    ("peak memory (MB)", _cell("peak_rss_mb")),
    ("load average after (1 min)", lambda r: _fmt((r.get("loadavg_after") or [None])[0], ".2f")),
]


def _layout(lines: list[list[str]]) -> str:
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


def _table(title: str, results: dict[str, Any], rows: list[tuple[str, Callable]]) -> str:
    names = list(results)
    lines = [[title, *names]]
    for label, cell in rows:
        values = [cell(results[n]) if results[n].get("ok") else "failed" for n in names]
        if all(v in ("-", "failed") for v in values):
            continue
        lines.append([label, *values])
    return _layout(lines)


def ingest_table(results: dict[str, Any]) -> str:
    """One column per ingest case."""
    return _table("ingest (10,000 sensors)", results, INGEST_ROWS)


def frame_table(results: dict[str, Any]) -> str:
    """One column per frame case."""
    return _table("frame, 1280 x 720", results, FRAME_ROWS)


def ratio_table(rows: dict[str, float | None]) -> str:
    """Every ratio, one a line."""
    lines = [["ratio", "value"]]
    lines += [[name, "-" if v is None else f"{v:.2f}x"] for name, v in rows.items()]
    return _layout(lines)


def target_table(rows: dict[str, dict[str, Any]]) -> str:
    """Measured value, limit and verdict of each target."""
    lines = [["target", "measured", "limit", "verdict"]]
    for name, t in rows.items():
        spec = ".2f" if t["unit"] == "x" else ",.0f"
        verdict = {True: "PASS", False: "MISS", None: "n/a"}[t["met"]]
        lines.append([name, f"{_fmt(t['value'], spec)} {t['unit']}",
                      f"{t['op']} {t['limit']:,g} {t['unit']}", verdict])
    return _layout(lines)
