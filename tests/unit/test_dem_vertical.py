"""Vertical units and height datums of DEMs (io/vertical.py through the app's loader).

Every DEM here is a real GeoTIFF (or VRT) written by GDAL; ``gdalinfo -json`` reads the
metadata back as an independent witness that the file really states the unit or datum,
and the elevations are checked against the values written times the exact factor.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from pyproj import CRS

from twinscape.io.loading import (
    apply_load,
    load_file,
    new_project,
    open_data_files,
    open_project,
)
from twinscape.io.project_file import save_project
from twinscape.io.vertical import FOOT_M, US_SURVEY_FOOT_M, unit_factor, vertical_units
from twinscape.model.vertical import ELLIPSOIDAL, GRAVITY, UNKNOWN

UTM36 = Affine(30.0, 0.0, 700_000.0, 0.0, -30.0, 3_500_000.0)
UTM11 = Affine(30.0, 0.0, 400_000.0, 0.0, -30.0, 3_800_000.0)
#: WGS 84 / UTM zone 36N with ellipsoidal heights (GDAL writes it as a projected 3D CRS).
UTM36_ELLIPSOIDAL = CRS("EPSG:32636").to_3d().to_wkt()
#: A compound CRS with a vertical datum in feet that has no EPSG code.
SITE_FEET_WKT = (
    'COMPD_CS["UTM 36N + site height (ft)",'
    + CRS("EPSG:32636").to_wkt("WKT1_GDAL")
    + ',VERT_CS["Site height (ft)",VERT_DATUM["Site datum",2005],UNIT["foot",0.3048],'
    'AXIS["Gravity-related height",UP]]]'
)
MIXED = "geoid undulation"
pytestmark = pytest.mark.filterwarnings(
    "ignore:Use `@` matmul:PendingDeprecationWarning:rasterio.transform"
)


def heights(rows: int = 40, cols: int = 50) -> np.ndarray:
    """A plane from 100 to 3,000 units with some relief."""
    r, c = np.mgrid[0:rows, 0:cols]
    return (100.0 + 30.0 * r + 35.0 * c + 7.0 * np.sin(c / 3.0)).astype(np.float32)


def write_dem(
    path: Path,
    values: np.ndarray,
    crs: str,
    *,
    transform: Affine = UTM36,
    units: str | None = None,
) -> Path:
    rows, cols = values.shape
    with rasterio.open(
        path, "w", driver="GTiff", height=rows, width=cols, count=1, dtype=values.dtype,
        crs=crs, transform=transform, nodata=-9999.0,
    ) as dst:  # fmt: skip
        dst.write(values, 1)
        if units is not None:
            dst.units = (units,)
    return path


def gdalinfo(path: Path) -> dict:
    """GDAL's own command line report (the system GDAL, not rasterio's copy)."""
    if shutil.which("gdalinfo") is None:
        pytest.skip("gdalinfo is not installed")
    out = subprocess.run(
        ["gdalinfo", "-json", str(path)], capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(out.stdout)


def read(path: Path):  # noqa: ANN201 - a LayerLoad
    """Read ``path`` as Add Data does: off the GUI thread, then into a new project."""
    load = load_file(path, project_crs=None)
    apply_load(new_project(), load)
    return load


# --- units ------------------------------------------------------------------------------


def test_a_band_in_feet_reads_in_metres(tmp_path: Path) -> None:
    raw = heights()
    path = write_dem(tmp_path / "feet.tif", raw, "EPSG:32636", units="ft")
    assert gdalinfo(path)["bands"][0]["unit"] == "ft"
    load = read(path)
    grid = load.layer.grid
    np.testing.assert_allclose(grid.values, raw.astype(np.float64) * 0.3048, rtol=1e-6)
    assert grid.heights.source_unit == "foot" and grid.heights.kind == UNKNOWN
    assert grid.elevation_range() == pytest.approx((raw.min() * 0.3048, raw.max() * 0.3048))
    assert load.warnings == ()
    assert "read in foot as metres" in " ".join(load.layer.describe())


def test_a_compound_crs_in_us_survey_feet_reads_in_metres(tmp_path: Path) -> None:
    raw = heights()
    path = write_dem(tmp_path / "navd88_ftus.tif", raw, "EPSG:32611+6360", transform=UTM11)
    info = gdalinfo(path)
    assert "NAVD88 height (ftUS)" in info["coordinateSystem"]["wkt"]
    assert info["bands"][0]["unit"] == "US survey foot"  # GDAL fills it from the CRS
    load = read(path)
    grid = load.layer.grid
    assert grid.crs == "EPSG:32611" and load.layer.source_crs == "EPSG:32611+6360"
    np.testing.assert_allclose(grid.values, raw.astype(np.float64) * 1200 / 3937, rtol=1e-6)
    assert (grid.heights.kind, grid.heights.datum) == (GRAVITY, "NAVD88 height (ftUS)")
    assert load.warnings == ()


def test_a_compound_crs_in_international_feet_reads_in_metres(tmp_path: Path) -> None:
    raw = heights()
    path = write_dem(tmp_path / "navd88_ft.tif", raw, "EPSG:32611+8228", transform=UTM11)
    assert "NAVD88 height (ft)" in gdalinfo(path)["coordinateSystem"]["wkt"]
    grid = read(path).layer.grid
    np.testing.assert_allclose(grid.values, raw.astype(np.float64) * 0.3048, rtol=1e-6)


def test_a_vertical_wkt_in_feet_without_a_code_reads_in_metres(tmp_path: Path) -> None:
    if shutil.which("gdal_translate") is None:
        pytest.skip("gdal_translate is not installed")
    raw = heights()
    tif = write_dem(tmp_path / "site.tif", raw, "EPSG:32636")
    (tmp_path / "site.wkt").write_text(SITE_FEET_WKT)
    vrt = tmp_path / "site.vrt"
    subprocess.run(
        ["gdal_translate", "-q", "-of", "VRT", "-a_srs", str(tmp_path / "site.wkt"),
         str(tif), str(vrt)],
        check=True, timeout=60,
    )  # fmt: skip
    assert 'LENGTHUNIT["foot",0.3048]' in gdalinfo(vrt)["coordinateSystem"]["wkt"]
    grid = read(vrt).layer.grid
    np.testing.assert_allclose(grid.values, raw.astype(np.float64) * 0.3048, rtol=1e-6)
    assert (grid.heights.kind, grid.heights.datum) == (GRAVITY, "Site height (ft)")


def test_feet_are_converted_through_reprojection(tmp_path: Path) -> None:
    flat = np.full((60, 60), 1000.0, np.float32)  # 1,000 ft everywhere
    lonlat = Affine(1 / 1200, 0.0, 35.2, 0.0, -1 / 1200, 31.6)
    path = write_dem(tmp_path / "ll_feet.tif", flat, "EPSG:4326", transform=lonlat, units="feet")
    grid = read(path).layer.grid
    assert grid.crs == "EPSG:32636"
    valid = grid.values[np.isfinite(grid.values)]
    assert valid.size > 1000
    np.testing.assert_allclose(valid, 304.8, rtol=1e-6)


def test_band_unit_and_crs_disagreeing_trusts_the_crs_and_warns(tmp_path: Path) -> None:
    raw = heights()
    path = write_dem(tmp_path / "says_m.tif", raw, "EPSG:32611+6360", transform=UTM11, units="m")
    assert gdalinfo(path)["bands"][0]["unit"] == "m"
    load = read(path)
    np.testing.assert_allclose(
        load.layer.grid.values, raw.astype(np.float64) * 1200 / 3937, rtol=1e-6
    )
    (note,) = load.warnings
    assert str(path) in note and "'m'" in note and "US survey foot" in note
    assert "\n" not in note


def test_an_unknown_unit_is_warned_about_and_read_as_metres(tmp_path: Path) -> None:
    raw = heights()
    path = write_dem(tmp_path / "odd.tif", raw, "EPSG:32636", units="cubits")
    load = read(path)
    np.testing.assert_array_equal(load.layer.grid.values, raw)
    (note,) = load.warnings
    assert str(path) in note and "'cubits'" in note and "metres" in note


def test_a_depth_axis_becomes_heights(tmp_path: Path) -> None:
    raw = heights()
    path = write_dem(tmp_path / "depth.tif", raw, "EPSG:32636+5715")  # MSL depth, down
    assert "MSL depth" in gdalinfo(path)["coordinateSystem"]["wkt"]
    np.testing.assert_array_equal(read(path).layer.grid.values, -raw)


def test_a_vertical_unit_without_a_datum_converts_but_states_no_datum() -> None:
    wkt = (
        f'COMPD_CS["UTM + feet",{CRS("EPSG:32636").to_wkt("WKT1_GDAL")},'
        'VERT_CS["unknown",VERT_DATUM["unknown",2005],UNIT["foot",0.3048],AXIS["Up",UP]]]'
    )
    found = vertical_units(Path("/data/x.tif"), wkt, "")
    assert found.to_metres == 0.3048 and found.heights.kind == UNKNOWN


@pytest.mark.parametrize(
    ("text", "metres"),
    [
        ("m", 1.0), ("metre", 1.0), ("Meters", 1.0), ("ft", 0.3048), ("Feet", 0.3048),
        ("foot", 0.3048), ("US survey foot", 1200 / 3937), ("ftUS", 1200 / 3937),
        ("us_survey_foot", 1200 / 3937), ("US-ft", 1200 / 3937), ("cm", 0.01),
        ("Clarke's foot", 0.3047972654),  # EPSG 9005, from PROJ's database
    ],
)  # fmt: skip
def test_unit_strings(text: str, metres: float) -> None:
    found = unit_factor(text)
    assert found is not None and found[1] == pytest.approx(metres, rel=1e-12)


def test_exact_foot_factors() -> None:
    assert FOOT_M == 0.3048 and US_SURVEY_FOOT_M == 1200 / 3937
    assert unit_factor("dBZ") is None and unit_factor("") is None


# --- datums -----------------------------------------------------------------------------


@pytest.fixture
def datum_dems(tmp_path: Path) -> dict[str, Path]:
    raw = heights()
    return {
        "ellipsoid": write_dem(tmp_path / "ellipsoid.tif", raw, UTM36_ELLIPSOIDAL),
        "ellipsoid2": write_dem(tmp_path / "ellipsoid2.tif", raw + 5, UTM36_ELLIPSOIDAL),
        "egm96": write_dem(tmp_path / "egm96.tif", raw, "EPSG:32636+5773"),
        "egm2008": write_dem(tmp_path / "egm2008.tif", raw, "EPSG:32636+3855"),
        "plain": write_dem(tmp_path / "plain.tif", raw, "EPSG:32636"),
    }


def test_height_datums_are_recorded(datum_dems: dict[str, Path]) -> None:
    assert "ellipsoidal height" in gdalinfo(datum_dems["ellipsoid"])["coordinateSystem"]["wkt"]
    assert "EGM96 height" in gdalinfo(datum_dems["egm96"])["coordinateSystem"]["wkt"]
    ell = read(datum_dems["ellipsoid"]).layer.grid
    assert (ell.heights.kind, ell.heights.datum) == (ELLIPSOIDAL, "WGS 84 ellipsoid")
    assert ell.crs == "EPSG:32636"
    geoid = read(datum_dems["egm96"]).layer.grid
    assert (geoid.heights.kind, geoid.heights.datum) == (GRAVITY, "EGM96 height")
    assert read(datum_dems["plain"]).layer.grid.heights.kind == UNKNOWN


def test_geographic_3d_heights_are_ellipsoidal(tmp_path: Path) -> None:
    lonlat = Affine(1 / 1200, 0.0, 35.2, 0.0, -1 / 1200, 31.6)
    path = write_dem(tmp_path / "wgs84_3d.tif", heights(), "EPSG:4979", transform=lonlat)
    assert 'EPSG",4979' in gdalinfo(path)["coordinateSystem"]["wkt"]
    assert read(path).layer.grid.heights.kind == ELLIPSOIDAL


def mixed(warnings: list[str] | tuple[str, ...]) -> list[str]:
    return [w for w in warnings if MIXED in w]


def test_ellipsoidal_and_geoid_terrains_together_are_warned_about_once(
    datum_dems: dict[str, Path],
) -> None:
    _, warnings = open_data_files([datum_dems["ellipsoid"], datum_dems["egm96"]])
    (note,) = mixed(warnings)
    assert "'ellipsoid'" in note and "'egm96'" in note and "tens of metres" in note
    assert "above the ellipsoid" in note and "above the geoid (EGM96 height)" in note
    # a third terrain of either kind adds no second warning
    _, warnings = open_data_files([datum_dems[n] for n in ("ellipsoid", "egm96", "egm2008")])
    assert len(mixed(warnings)) == 1


@pytest.mark.parametrize(
    "names", [("egm96", "egm2008"), ("ellipsoid", "ellipsoid2"), ("plain", "ellipsoid")]
)
def test_terrains_of_one_kind_are_not_warned_about(
    datum_dems: dict[str, Path], names: tuple[str, str]
) -> None:
    _, warnings = open_data_files([datum_dems[n] for n in names])
    assert mixed(warnings) == []


def test_adding_a_terrain_of_the_other_kind_warns_with_the_load(
    datum_dems: dict[str, Path],
) -> None:
    project = new_project()
    first = read(datum_dems["egm96"])
    apply_load(project, first)
    assert mixed(first.warnings) == []
    second = load_file(datum_dems["ellipsoid"], project_crs=project.crs)
    assert mixed(second.warnings) == []  # not before it joins the project
    apply_load(project, second)  # what Add Data does on the GUI thread
    (note,) = mixed(second.warnings)
    assert "'ellipsoid'" in note and "'egm96'" in note


def test_a_project_mixing_them_warns_when_opened_headless(
    datum_dems: dict[str, Path], tmp_path: Path
) -> None:
    project, _ = open_data_files([datum_dems["egm96"], datum_dems["ellipsoid"]])
    save_project(project, tmp_path / "mixed.toml")
    _, warnings = open_project(tmp_path / "mixed.toml")  # what twinscape validate prints
    (note,) = mixed(warnings)
    assert "'ellipsoid'" in note and "'egm96'" in note
