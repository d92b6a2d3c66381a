"""`twinscape analyze viewshed` on a DEM over the in-memory limit: only the reach is read.

The DEM is the demo's (made "too large" by lowering the limit); the viewshed of the
window read at full resolution must equal the whole-DEM viewshed over that window (the
whole-DEM path is checked against gdal_viewshed in test_cli_analyze.py).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import NoReturn

import numpy as np
import pytest
import rasterio
from rasterio.windows import from_bounds

import twinscape.io.kinds.terrain as terrain_kind
from twinscape.cli_analyze import AnalyzeError, add_analyze_parser, run_analyze

DEM = Path(__file__).resolve().parents[1] / "assets/dem/deadsea_n31e035_srtm3_utm36n_90m.tif"
OBSERVER, RADIUS = "745000,3500000", 6000.0


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise AnalyzeError(message)


def analyze(*argv: str | Path) -> int:
    parser = _Parser(prog="twinscape")
    add_analyze_parser(parser.add_subparsers(dest="command"))
    return run_analyze(parser.parse_args(["analyze", *map(str, argv)]))


def viewshed(out: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    analyze("viewshed", DEM, "--observer", OBSERVER, "--height", "30",
            "--radius", f"{RADIUS:g}", "--out", out)  # fmt: skip
    return json.loads(capsys.readouterr().out)


def test_a_large_dem_is_read_only_around_the_observer_at_full_resolution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = viewshed(tmp_path / "whole.tif", capsys)
    monkeypatch.setenv("TWINSCAPE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(terrain_kind, "MAX_TERRAIN_CELLS", 100_000)
    part = viewshed(tmp_path / "part.tif", capsys)
    with rasterio.open(tmp_path / "part.tif") as src:
        window_values, bounds, res = src.read(1), src.bounds, src.res
    with rasterio.open(DEM) as dem:
        assert res == dem.res  # full resolution, not averaged
        assert window_values.size < dem.width * dem.height / 8  # only the reach was read
    with rasterio.open(tmp_path / "whole.tif") as src:
        cropped = src.read(1, window=from_bounds(*bounds, transform=src.transform))
    np.testing.assert_array_equal(window_values, cropped)
    assert part["visible_cells"] == whole["visible_cells"] > 0
    assert part["visible_km2"] == pytest.approx(whole["visible_km2"])
