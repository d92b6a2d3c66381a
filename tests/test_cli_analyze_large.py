"""`twinscape analyze` on a DEM over the in-memory limit reads its file at full resolution.

DEMs are made "too large" by lowering the limit. The viewshed (on the demo DEM) reads
only the observer's reach; the window's viewshed must equal the whole-DEM viewshed over
that window (the whole-DEM path is checked against gdal_viewshed in test_cli_analyze.py).
Slope, aspect, profile and cut/fill run on a synthetic 1 m DEM with a narrow ridge and a
one-cell pit (features averaging would smear) and must give exactly what the in-memory
path gives on the same file, and the analytic values at the ridge and the pit; slope and
aspect are processed block by block, never reading more than a block and its halo.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path
from typing import Any, NoReturn

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.io import DatasetReader
from rasterio.windows import from_bounds
from shapely.geometry import box

import twinscape.cli_analyze_grids as grids
import twinscape.cli_analyze_sites as sites
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


# -- a synthetic 1 m DEM: flat west half with a ridge and a pit, rolling east half ----------
ROWS, COLS, X0, Y0 = 300, 400, 700_000.0, 3_500_300.0
RIDGE_COL, PIT = 50, (150, 120)


def synthetic_dem(path: Path) -> Path:
    """float32 GeoTIFF in EPSG:32636: 1 m cells, nodata -9999 in a patch across blocks."""
    rr, cc = np.mgrid[0:ROWS, 0:COLS].astype(np.float64)
    z = 100.0 + np.maximum(0.0, 3.0 - np.abs(cc - RIDGE_COL))  # flanks of exactly 1 m/m
    east = cc >= 200
    z[east] = (100.0 + 0.05 * (cc - 200) + 4 * np.sin(cc / 7.3) * np.cos(rr / 5.1))[east]
    z[PIT] = 98.0
    z[60:70, 250:300] = -9999.0  # nodata crossing block edges
    with rasterio.open(
        path, "w", driver="GTiff", width=COLS, height=ROWS, count=1, dtype="float32",
        crs="EPSG:32636", transform=Affine(1.0, 0, X0, 0, -1.0, Y0), nodata=-9999.0,
    ) as dst:  # fmt: skip
        dst.write(z.astype(np.float32), 1)
    return path


@pytest.fixture
def dem(tmp_path: Path) -> Path:
    return synthetic_dem(tmp_path / "dem.tif")


def make_large(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[int]:
    """Lower the limit and the block sizes; returns the cells of every window rasterio reads."""
    monkeypatch.setenv("TWINSCAPE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(terrain_kind, "MAX_TERRAIN_CELLS", 10_000)
    monkeypatch.setattr(grids, "BLOCK", 64)
    monkeypatch.setattr(sites, "PROFILE_TILE", 16)
    sizes: list[int] = []
    read = DatasetReader.read

    def spy(self: DatasetReader, *args: Any, **kwargs: Any) -> np.ndarray:
        window = kwargs.get("window")
        sizes.append(self.width * self.height if window is None else window.width * window.height)
        return read(self, *args, **kwargs)

    monkeypatch.setattr(DatasetReader, "read", spy)
    return sizes


def band(path: Path) -> tuple[np.ndarray, Any]:
    with rasterio.open(path) as src:
        return src.read(1), src.profile


@pytest.mark.parametrize(
    "argv",
    [["slope"], ["aspect"], ["slope", "--compute-edges", "--z-factor", "2"],
     ["aspect", "--compute-edges", "--zero-for-flat"]],
)  # fmt: skip
def test_slope_and_aspect_of_a_large_dem_are_the_whole_files_block_by_block(
    argv: list[str], dem: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    analyze(*argv, dem, "--out", tmp_path / "whole.tif")
    whole_text = capsys.readouterr().out
    sizes = make_large(monkeypatch, tmp_path)
    analyze(*argv, dem, "--out", tmp_path / "blocks.tif")
    assert capsys.readouterr().out.replace("blocks.tif", "whole.tif") == whole_text
    assert sizes and max(sizes) <= 66 * 66  # a 64-cell block and its one-cell halo
    assert sum(sizes) < 1.2 * ROWS * COLS  # each cell read about once
    ours, profile = band(tmp_path / "blocks.tif")
    ref, ref_profile = band(tmp_path / "whole.tif")
    assert profile["transform"] == ref_profile["transform"] and profile["crs"] == ref_profile["crs"]
    assert profile["nodata"] == -9999.0 and profile["dtype"] == "float32"
    np.testing.assert_array_equal(ours, ref)
    if argv == ["slope"]:  # the ridge's flanks rise exactly 1 m per m: 45 degrees
        flanks = ours[1:-1, [RIDGE_COL - 2, RIDGE_COL - 1, RIDGE_COL + 1, RIDGE_COL + 2]]
        assert (flanks == 45.0).all()
        assert (ours[1:-1, RIDGE_COL] == 0.0).all()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize(
    "line",
    [
        f"{X0 + 40.5},{Y0 - 100.5},{X0 + 60.5},{Y0 - 100.5}",  # across the ridge
        f"{X0 - 30},{Y0 + 20},{X0 + 180.2},{Y0 - 290.7},{X0 + 390},{Y0 - 5}",  # many tiles
    ],
)
def test_a_profile_on_a_large_dem_samples_the_file_at_full_resolution(
    line: str, dem: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    analyze("profile", dem, "--line", line, "--out", tmp_path / "whole.csv")
    whole_text = capsys.readouterr().out
    sizes = make_large(monkeypatch, tmp_path)
    analyze("profile", dem, "--line", line, "--out", tmp_path / "tiles.csv")
    assert capsys.readouterr().out.replace("tiles.csv", "whole.csv") == whole_text
    assert sizes and max(sizes) <= 18 * 18  # a 16-cell tile and its margin
    assert (tmp_path / "tiles.csv").read_text() == (tmp_path / "whole.csv").read_text()
    rows = read_csv(tmp_path / "tiles.csv")
    if len(rows) == 21:  # across the ridge, on cell centres: the cells' own heights
        z = [float(r["z"]) for r in rows]
        assert z == [100.0] * 8 + [101.0, 102.0, 103.0, 102.0, 101.0] + [100.0] * 8
        assert [r["grade_pct"] for r in rows[8:15]] == [
            "100.0000", "100.0000", "100.0000", "-100.0000", "-100.0000", "-100.0000", "0.0000"
        ]  # fmt: skip
    else:
        assert rows[0]["z"] == "" and any(r["z"] == "" for r in rows[1:-1])  # off, nodata


def pad(path: Path, *geoms: Any) -> Path:
    gpd.GeoDataFrame(geometry=list(geoms), crs="EPSG:32636").to_file(path)
    return path


def cell_box(row: int, col: int) -> Any:
    return box(X0 + col, Y0 - row - 1, X0 + col + 1, Y0 - row)


@pytest.mark.parametrize(
    "shape, elevation, expected",
    [
        # the pit's cell alone: the bilinear dip integrates to 2 m x 0.75^2 over 1 m2
        (cell_box(*PIT), "100", {"cut_m3": 0.0, "fill_m3": 1.125, "area_m2": 1.0}),
        # the whole dip (3 x 3 cells around the pit): 2 m x 1 cell
        (cell_box(PIT[0] - 1, PIT[1] - 1).union(cell_box(PIT[0] + 1, PIT[1] + 1)).envelope,
         "100", {"cut_m3": 0.0, "fill_m3": 2.0, "area_m2": 9.0}),
        # a pad across the ridge's crest at 102 m: cut above it
        (box(X0 + 45, Y0 - 120, X0 + 56, Y0 - 100), "102", None),
        # a pad over the rolling terrain and the nodata patch
        (box(X0 + 230.3, Y0 - 140.7, X0 + 330.9, Y0 - 40.2), "103.5", None),
    ],
)  # fmt: skip
def test_cut_fill_on_a_large_dem_reads_the_pad_at_full_resolution(
    shape: Any, elevation: str, expected: dict | None, dem: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    polygon = pad(tmp_path / "pad.gpkg", shape)
    analyze("cutfill", dem, "--polygon", polygon, "--elevation", elevation)
    whole = json.loads(capsys.readouterr().out)
    sizes = make_large(monkeypatch, tmp_path)
    analyze("cutfill", dem, "--polygon", polygon, "--elevation", elevation)
    part = json.loads(capsys.readouterr().out)
    assert part == whole
    xmin, ymin, xmax, ymax = shape.bounds
    assert sizes and max(sizes) <= (xmax - xmin + 6) * (ymax - ymin + 6)  # the pad's window
    if expected is not None:
        assert {k: part[k] for k in expected} == expected
    else:
        assert part["cut_m3"] > 0


def test_a_large_dem_gives_the_same_errors_for_a_line_or_a_pad_outside(
    dem: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    far = pad(tmp_path / "far.gpkg", box(X0 - 500, Y0 - 100, X0 - 400, Y0))
    line = f"{X0 - 500},{Y0},{X0 - 400},{Y0 + 50}"
    messages = []
    for large in (False, True):
        if large:
            make_large(monkeypatch, tmp_path)
        with pytest.raises(AnalyzeError) as profile_err:
            analyze("profile", dem, "--line", line, "--out", tmp_path / "p.csv")
        with pytest.raises(AnalyzeError) as cutfill_err:
            analyze("cutfill", dem, "--polygon", far, "--elevation", "100")
        messages.append((str(profile_err.value), str(cutfill_err.value)))
    assert messages[0] == messages[1]
    assert "--line lies outside the DEM" in messages[0][0]
    assert "far.gpkg" in messages[0][1] and "does not overlap the grid" in messages[0][1]
