"""``twinscape analyze`` (cli_analyze.py) through a parser built with add_analyze_parser.

Outputs are read back with rasterio/csv/json and compared with GDAL's own tools
(gdaldem) and with rasterio's point samples of the same DEM.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import shutil
import subprocess
from pathlib import Path
from typing import NoReturn

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from affine import Affine
from shapely.geometry import LineString, box

from twinscape.cli_analyze import AnalyzeError, add_analyze_parser, run_analyze
from twinscape.geo.earthworks import cut_fill_polygon
from twinscape.io.analysis_rasters import read_dem_native
from twinscape.model.errors import CRSError, ReaderError, TwinscapeError

REPO = Path(__file__).resolve().parents[1]
DEM = Path("/work/shared/data/dem_deadsea_n31e035_srtm3_utm36n_90m.tif")
if not DEM.is_file():
    DEM = REPO / "assets" / "dem" / "deadsea_n31e035_srtm3_utm36n_90m.tif"
DEM_WGS84 = REPO / "tests" / "data" / "deadsea_n31e035_srtm3_wgs84.tif"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise AnalyzeError(message)


def analyze(*argv: str | Path) -> int:
    parser = _Parser(prog="twinscape")
    commands = parser.add_subparsers(dest="command")
    add_analyze_parser(commands)
    args = parser.parse_args(["analyze", *map(str, argv)])
    assert args.command == "analyze"
    return run_analyze(args)


def gdaldem(mode: str, src: Path, out: Path, *flags: str) -> Path:
    exe = shutil.which("gdaldem")
    if exe is None:
        pytest.skip("gdaldem is not installed")
    subprocess.run([exe, mode, *flags, str(src), str(out), "-q"], check=True)
    return out


def read_band(path: Path) -> tuple[np.ndarray, rasterio.profiles.Profile]:
    with rasterio.open(path) as src:
        return src.read(1), src.profile


@pytest.mark.parametrize("mode", ["slope", "aspect"])
def test_slope_and_aspect_files_match_gdaldem(
    mode: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / f"{mode}.tif"
    assert analyze(mode, DEM, "--out", out) == 0
    assert "wrote" in capsys.readouterr().out
    ours, profile = read_band(out)
    ref, ref_profile = read_band(gdaldem(mode, DEM, tmp_path / f"ref_{mode}.tif"))
    assert profile["dtype"] == "float32" and profile["nodata"] == -9999.0
    assert profile["crs"] == ref_profile["crs"]
    assert profile["transform"] == ref_profile["transform"]
    assert ours.shape == ref.shape
    nodata = ref == ref_profile["nodata"]
    np.testing.assert_array_equal(ours == -9999.0, nodata)
    diff = np.abs(ours[~nodata].astype(np.float64) - ref[~nodata])
    if mode == "aspect":
        diff = np.minimum(diff, 360.0 - diff)
    assert diff.max() < 1e-3


def test_aspect_options_match_gdaldem(tmp_path: Path) -> None:
    out = tmp_path / "aspect.tif"
    analyze("aspect", DEM, "--out", out, "--compute-edges", "--z-factor", "2")
    ours, _ = read_band(out)
    ref, meta = read_band(gdaldem("aspect", DEM, tmp_path / "ref.tif", "-compute_edges"))
    nodata = ref == meta["nodata"]
    np.testing.assert_array_equal(ours == -9999.0, nodata)  # z-factor never turns aspect
    diff = np.abs(ours[~nodata].astype(np.float64) - ref[~nodata])
    assert np.minimum(diff, 360.0 - diff).max() < 1e-3
    slope_out = tmp_path / "slope.tif"
    analyze("slope", DEM, "--out", slope_out, "--z-factor", "2")
    ref_s, meta_s = read_band(gdaldem("slope", DEM, tmp_path / "ref_s.tif", "-s", "0.5"))
    valid = ref_s != meta_s["nodata"]
    assert np.abs(read_band(slope_out)[0][valid] - ref_s[valid]).max() < 1e-3


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_profile_csv_matches_rasterio_samples(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with rasterio.open(DEM) as src:
        t = src.transform
        # along row 700 from column 200 to column 800, on cell centres
        x1, y1 = t * (200.5, 700.5)
        x2, y2 = t * (800.5, 700.5)
        out = tmp_path / "profile.csv"
        analyze("profile", DEM, "--line", f"{x1},{y1},{x2},{y2}", "--out", out)
        rows = read_csv(out)
        xy = [(float(r["x"]), float(r["y"])) for r in rows]
        ref = np.array([v[0] for v in src.sample(xy)], dtype=np.float64)
    assert len(rows) == 601
    assert list(rows[0]) == ["distance_m", "x", "y", "z", "grade_pct", "vertex"]
    z = np.array([float(r["z"]) for r in rows])
    np.testing.assert_allclose(z, ref, atol=1e-3)
    assert rows[0]["vertex"] == "0" and rows[-1]["vertex"] == "1" and rows[1]["vertex"] == ""
    assert float(rows[-1]["distance_m"]) == pytest.approx(600 * 90.0)
    grades = np.array([float(r["grade_pct"]) for r in rows[1:]])
    np.testing.assert_allclose(grades, np.diff(ref) / 90.0 * 100.0, atol=1e-3)
    assert "max grade" in capsys.readouterr().out


def test_profile_line_in_another_crs(tmp_path: Path) -> None:
    from pyproj import Transformer

    lon_lat = [(35.40, 31.60), (35.50, 31.50), (35.60, 31.55)]
    out = tmp_path / "p.csv"
    text = ",".join(f"{lon},{lat}" for lon, lat in lon_lat)
    analyze("profile", DEM, "--line", text, "--crs", "EPSG:4326", "--out", out, "--step", "50")
    rows = read_csv(out)
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32636", always_xy=True)
    ends = [to_utm.transform(*lon_lat[0]), to_utm.transform(*lon_lat[-1])]
    assert (float(rows[0]["x"]), float(rows[0]["y"])) == pytest.approx(ends[0], abs=1e-3)
    assert (float(rows[-1]["x"]), float(rows[-1]["y"])) == pytest.approx(ends[1], abs=1e-3)
    assert sorted(r["vertex"] for r in rows if r["vertex"]) == ["0", "1", "2"]


@pytest.mark.parametrize(
    ("line", "match"),
    [
        ("1,2,3", "two X,Y pairs"),
        ("a,b,c,d", "X1,Y1"),
        ("735000,3500000,735000,3500000", "repeats"),
        ("0,0,10,10", "outside"),
    ],
)
def test_profile_bad_lines(line: str, match: str, tmp_path: Path) -> None:
    with pytest.raises(AnalyzeError, match=match):
        analyze("profile", DEM, "--line", line, "--out", tmp_path / "p.csv")


def plane_dem(write_to: Path) -> Path:
    """z = 0.05 * (x - 700000) + 10 on 10 m cells, UTM 36N, as a GeoTIFF."""
    n, res, x0, y0 = 100, 10.0, 700_000.0, 3_500_000.0
    xx = np.tile(x0 + (np.arange(n) + 0.5) * res, (n, 1))
    values = (0.05 * (xx - x0) + 10.0).astype(np.float32)
    with rasterio.open(
        write_to,
        "w",
        driver="GTiff",
        width=n,
        height=n,
        count=1,
        dtype="float32",
        crs="EPSG:32636",
        transform=Affine(res, 0, x0, 0, -res, y0),
        nodata=-9999.0,
    ) as dst:
        dst.write(values, 1)
    return write_to


def test_cutfill_prints_analytic_volumes_and_reprojects_the_polygon(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dem = plane_dem(tmp_path / "plane.tif")
    # 400 x 200 m pad from x = 700100 to 700500 (z 15 .. 35), levelled at 25
    pad = box(700_100, 3_499_300, 700_500, 3_499_500)
    utm = tmp_path / "pad.gpkg"
    gpd.GeoDataFrame({"name": ["pad"]}, geometry=[pad], crs="EPSG:32636").to_file(utm)
    assert analyze("cutfill", dem, "--polygon", utm, "--elevation", "25") == 0
    result = json.loads(capsys.readouterr().out)
    wedge = 200.0 * 0.05 * 200.0**2 / 2  # 200 m wide, 200 m long, 10 m deep, halved
    assert result["cut_m3"] == pytest.approx(wedge, rel=1e-4)
    assert result["fill_m3"] == pytest.approx(wedge, rel=1e-4)
    assert result["area_m2"] == pytest.approx(80_000.0)
    # the same pad saved in WGS 84 is brought into the DEM's CRS
    wgs = tmp_path / "pad.geojson"
    gpd.GeoDataFrame(geometry=[pad], crs="EPSG:32636").to_crs("EPSG:4326").to_file(wgs)
    analyze("cutfill", dem, "--polygon", wgs, "--elevation", "25")
    again = json.loads(capsys.readouterr().out)
    assert again["cut_m3"] == pytest.approx(wedge, rel=1e-3)
    assert again["area_m2"] == pytest.approx(80_000.0, rel=1e-4)


def test_cutfill_on_the_real_dem_matches_the_library(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pad = box(735_000, 3_500_000, 736_250, 3_501_000)
    path = tmp_path / "pad.shp"
    gpd.GeoDataFrame(geometry=[pad], crs="EPSG:32636").to_file(path)
    analyze("cutfill", DEM, "--polygon", path, "--elevation", "0")
    printed = json.loads(capsys.readouterr().out)
    direct = cut_fill_polygon(read_dem_native(DEM), pad, 0.0)
    assert printed["cut_m3"] == pytest.approx(direct.cut_m3, rel=1e-6)
    assert printed["fill_m3"] == pytest.approx(direct.fill_m3, rel=1e-6)


def test_cutfill_bad_polygons(tmp_path: Path) -> None:
    dem = plane_dem(tmp_path / "plane.tif")
    pad = box(700_100, 3_499_300, 700_500, 3_499_500)
    no_crs = tmp_path / "nocrs.shp"  # a shapefile without its .prj
    gpd.GeoDataFrame(geometry=[pad]).to_file(no_crs)
    with pytest.raises(ReaderError, match="states no CRS"):
        analyze("cutfill", dem, "--polygon", no_crs, "--elevation", "0")
    # GeoJSON is WGS 84 by definition: UTM metres in it are nonsense, not silently used
    bad_json = tmp_path / "utm.geojson"
    gpd.GeoDataFrame(geometry=[pad]).to_file(bad_json)
    with pytest.raises(ReaderError, match="do not fit its CRS"):
        analyze("cutfill", dem, "--polygon", bad_json, "--elevation", "0")
    line = tmp_path / "line.gpkg"
    gpd.GeoDataFrame(
        geometry=[LineString([(700_100, 3_499_300), (700_500, 3_499_500)])], crs="EPSG:32636"
    ).to_file(line)
    with pytest.raises(ReaderError, match="a polygon is needed"):
        analyze("cutfill", dem, "--polygon", line, "--elevation", "0")
    far = tmp_path / "far.gpkg"
    gpd.GeoDataFrame(geometry=[box(0, 0, 10, 10)], crs="EPSG:32636").to_file(far)
    with pytest.raises(AnalyzeError, match="does not overlap"):
        analyze("cutfill", dem, "--polygon", far, "--elevation", "0")
    with pytest.raises(ReaderError, match="no such file"):
        analyze("cutfill", dem, "--polygon", tmp_path / "missing.gpkg", "--elevation", "0")


def test_solar_mask_and_irradiance(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    subset = tmp_path / "subset.tif"
    exe = shutil.which("gdal_translate")
    if exe is None:
        pytest.skip("gdal_translate is not installed")
    subprocess.run(
        [exe, "-q", "-srcwin", "400", "400", "200", "150", str(DEM), str(subset)], check=True
    )
    grid = read_dem_native(subset)
    xmin, ymin, xmax, ymax = grid.bounds
    exclusion = box(xmin, ymin, xmin + 0.5 * (xmax - xmin), ymax)  # the west half
    excl = tmp_path / "excl.gpkg"
    gpd.GeoDataFrame(geometry=[exclusion], crs="EPSG:32636").to_file(excl)
    out, irr = tmp_path / "mask.tif", tmp_path / "irr.tif"
    analyze(
        "solar",
        subset,
        "--out",
        out,
        "--max-slope",
        "8",
        "--exclude",
        excl,
        "--irradiance-out",
        irr,
    )
    summary = json.loads(capsys.readouterr().out)
    mask, meta = read_band(out)
    assert meta["dtype"] == "uint8" and set(np.unique(mask)) <= {0, 1}
    assert meta["transform"] == rasterio.open(subset).transform
    assert not mask[:, :100].any() and mask[:, 100:].any()
    assert summary["area_km2"] == pytest.approx(mask.sum() * 90 * 90 / 1e6, rel=1e-6)
    irradiance, irr_meta = read_band(irr)
    assert irr_meta["dtype"] == "float32"
    assert 500 < irradiance[mask == 1].min() and irradiance.max() < 2600
    slope_out = tmp_path / "slope.tif"
    analyze("slope", subset, "--out", slope_out, "--compute-edges")
    slope = read_band(slope_out)[0]
    assert (slope[mask == 1] <= 8.0).all()


def test_viewshed_argument_errors(tmp_path: Path) -> None:
    out = tmp_path / "v.tif"
    base = ["viewshed", DEM, "--height", "30", "--out", out]
    with pytest.raises(AnalyzeError, match="outside the DEM"):
        analyze(*base, "--observer", "100,200", "--radius", "20000")
    with pytest.raises(AnalyzeError, match="outside the DEM"):  # lon/lat far away
        analyze(*base, "--observer", "10,50", "--crs", "EPSG:4326", "--radius", "20000")
    with pytest.raises(AnalyzeError, match="--radius must be positive"):
        analyze(*base, "--observer", "735000,3500000", "--radius", "0")
    with pytest.raises(AnalyzeError, match="--radius must be positive"):
        analyze(*base, "--observer", "735000,3500000", "--radius", "-5")
    with pytest.raises(AnalyzeError, match="X,Y"):
        analyze(*base, "--observer", "735000", "--radius", "100")
    with pytest.raises(AnalyzeError, match="not a CRS"):
        analyze(*base, "--observer", "1,2", "--crs", "EPSG:99999999", "--radius", "100")
    with pytest.raises(AnalyzeError, match="folder does not exist"):
        analyze(
            "viewshed",
            DEM,
            "--height",
            "30",
            "--out",
            tmp_path / "no" / "v.tif",
            "--observer",
            "735000,3500000",
            "--radius",
            "100",
        )


@pytest.mark.skipif(
    importlib.util.find_spec("twinscape.geo.viewshed") is None, reason="geo/viewshed.py not yet"
)
def test_viewshed_writes_a_gdal_like_raster(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "v.tif"
    analyze(
        "viewshed",
        DEM,
        "--observer",
        "35.45,31.52",
        "--crs",
        "EPSG:4326",
        "--height",
        "30",
        "--radius",
        "5000",
        "--out",
        out,
    )
    summary = json.loads(capsys.readouterr().out)
    values, meta = read_band(out)
    assert meta["dtype"] == "uint8" and set(np.unique(values)) <= {0, 255}
    assert values.shape == (1259, 1085) and summary["visible_cells"] == (values == 255).sum()
    assert 0 < summary["visible_km2"] <= np.pi * 5.0**2 * 1.1


def test_dem_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(CRSError, match="not a projected CRS in metres"):
        analyze("slope", DEM_WGS84, "--out", tmp_path / "s.tif")
    with pytest.raises(ReaderError):
        analyze("slope", tmp_path / "missing.tif", "--out", tmp_path / "s.tif")
    with pytest.raises(TwinscapeError) as err:
        analyze("slope", DEM, "--out", tmp_path)
    assert "\n" not in str(err.value) and "folder" in str(err.value)
    with pytest.raises(AnalyzeError):
        analyze("hillshade", DEM, "--out", tmp_path / "h.tif")
