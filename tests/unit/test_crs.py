"""geo/crs.py: picking UTM zones, normalising and describing CRSs, lon/lat transforms."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio.crs
from pyproj import CRS

from twinscape.geo.crs import (
    LonLatTransformer,
    crs_label,
    is_projected_metric,
    normalize_crs,
    same_crs,
    utm_crs_for,
)

CUSTOM_TM = "+proj=tmerc +lat_0=0 +lon_0=35.2 +k=1 +x_0=0 +y_0=0 +ellps=GRS80 +units=m"


@pytest.mark.parametrize(
    ("lon", "lat", "expected"),
    [
        (35.5, 31.5, "EPSG:32636"),  # Dead Sea
        (39.1, 22.3, "EPSG:32637"),  # Red Sea coast
        (-70.6, -33.4, "EPSG:32719"),  # Santiago: south
        (0.0, 0.0, "EPSG:32631"),  # equator counts as north
        (-0.0001, -0.0001, "EPSG:32730"),
        (36.0, 10.0, "EPSG:32637"),  # zone edge belongs to the eastern zone
        (180.0, 10.0, "EPSG:32660"),  # antimeridian: the eastern edge of zone 60
        (-180.0, 10.0, "EPSG:32660"),
        (-179.9, 10.0, "EPSG:32601"),
        (179.9, -10.0, "EPSG:32760"),
        (395.5, 31.5, "EPSG:32636"),  # wrapped longitude
        (5.0, 60.0, "EPSG:32632"),  # Norway exception (would be 31)
        (5.0, 55.0, "EPSG:32631"),
        (10.0, 78.0, "EPSG:32633"),  # Svalbard exceptions
        (20.0, 78.0, "EPSG:32633"),
        (30.0, 78.0, "EPSG:32635"),
        (40.0, 78.0, "EPSG:32637"),
    ],
)
def test_utm_crs_for(lon: float, lat: float, expected: str) -> None:
    assert utm_crs_for(lon, lat) == expected


@pytest.mark.parametrize(
    ("lon", "lat"), [(0.0, 91.0), (0.0, -90.5), (float("nan"), 0.0), (0.0, float("inf"))]
)
def test_utm_crs_for_rejects_impossible_points(lon: float, lat: float) -> None:
    with pytest.raises(ValueError, match="longitude/latitude"):
        utm_crs_for(lon, lat)


def test_utm_zone_contains_the_point() -> None:
    rng = np.random.default_rng(1)
    for lon, lat in zip(rng.uniform(-179.9, 179.9, 50), rng.uniform(-79, 55, 50), strict=True):
        zone = int(utm_crs_for(lon, lat)[-2:])
        central = -183.0 + 6.0 * zone
        assert abs(lon - central) <= 3.0 + 1e-9, (lon, lat, zone)


@pytest.mark.parametrize(
    "given",
    [
        "EPSG:32636",
        "epsg:32636",
        32636,
        CRS.from_epsg(32636),
        rasterio.crs.CRS.from_epsg(32636),
        CRS.from_epsg(32636).to_wkt(),
        CRS.from_epsg(32636).to_wkt("WKT1_ESRI"),  # as in .prj files
        "+proj=utm +zone=36 +datum=WGS84 +units=m +no_defs",
    ],
)
def test_normalize_crs_to_epsg(given: object) -> None:
    assert normalize_crs(given) == "EPSG:32636"


def test_normalize_crs_without_epsg_code_is_wkt2_and_stable() -> None:
    wkt = normalize_crs(CUSTOM_TM)
    assert wkt.startswith("PROJCRS[")
    assert normalize_crs(wkt) == wkt
    assert CRS(wkt).equals(CRS(CUSTOM_TM))


def test_normalize_compound_crs() -> None:
    assert normalize_crs("EPSG:32636+5773") == "EPSG:32636+5773"
    assert normalize_crs(CRS("EPSG:32636+5773").to_wkt()) == "EPSG:32636+5773"


@pytest.mark.parametrize("bad", ["not a crs", "EPSG:999999", "", "   ", None, 3.5])
def test_normalize_crs_rejects_bad_input_with_value_error(bad: object) -> None:
    with pytest.raises(ValueError) as info:
        normalize_crs(bad)
    message = str(info.value)
    assert "\n" not in message
    if isinstance(bad, str) and bad.strip():
        assert repr(bad) in message


@pytest.mark.parametrize(
    ("crs", "expected"),
    [
        ("EPSG:32636", True),
        ("EPSG:3857", True),
        ("EPSG:2039", True),  # Israeli TM grid
        (CUSTOM_TM, True),
        ("EPSG:32636+5773", True),  # UTM + EGM96 height
        ("EPSG:4326", False),  # degrees
        ("EPSG:4979", False),
        ("EPSG:2227", False),  # US survey feet
    ],
)
def test_is_projected_metric(crs: str, expected: bool) -> None:
    assert is_projected_metric(crs) is expected


def test_is_projected_metric_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        is_projected_metric("no such thing")


def test_crs_label() -> None:
    assert crs_label("EPSG:32636") == "EPSG:32636 WGS 84 / UTM zone 36N"
    assert crs_label(4326) == "EPSG:4326 WGS 84"
    assert crs_label(CUSTOM_TM) == "unknown"  # PROJ strings carry no name


def test_same_crs() -> None:
    assert same_crs("EPSG:32636", CRS.from_epsg(32636).to_wkt("WKT1_ESRI"))
    assert same_crs("EPSG:4326", "OGC:CRS84")  # axis order ignored
    assert not same_crs("EPSG:32636", "EPSG:32637")


def test_lonlat_round_trip_scalars() -> None:
    transformer = LonLatTransformer("EPSG:32636")
    # centre of the demo DEM, per gdalinfo: 35d30'9.16"E, 31d30'2.76"N
    lon, lat = transformer.to_lonlat(737685.0, 3487815.0)
    assert isinstance(lon, float) and isinstance(lat, float)
    assert lon == pytest.approx(35 + 30 / 60 + 9.16 / 3600, abs=1e-5)
    assert lat == pytest.approx(31 + 30 / 60 + 2.76 / 3600, abs=1e-5)
    x, y = transformer.from_lonlat(lon, lat)
    assert (x, y) == pytest.approx((737685.0, 3487815.0), abs=1e-6)


def test_lonlat_arrays_keep_shape() -> None:
    transformer = LonLatTransformer(32636)
    xs = np.array([[700000.0, 710000.0], [720000.0, 730000.0]])
    ys = np.full((2, 2), 3500000.0)
    lon, lat = transformer.to_lonlat(xs, ys)
    assert isinstance(lon, np.ndarray) and lon.shape == (2, 2) and lat.shape == (2, 2)
    assert np.all(np.diff(lon, axis=1) > 0)
    back_x, back_y = transformer.from_lonlat(lon, lat)
    np.testing.assert_allclose(back_x, xs, atol=1e-6)
    np.testing.assert_allclose(back_y, ys, atol=1e-6)
    lon_b, _ = transformer.to_lonlat(xs[0], 3500000.0)  # broadcasting
    assert lon_b.shape == (2,)


def test_lonlat_transformer_uses_lon_first_for_geographic_project() -> None:
    transformer = LonLatTransformer("EPSG:4326")
    assert transformer.to_lonlat(35.5, 31.5) == pytest.approx((35.5, 31.5))
    assert transformer.crs == "EPSG:4326"


def test_lonlat_transformer_rejects_bad_crs() -> None:
    with pytest.raises(ValueError, match="not a coordinate reference system"):
        LonLatTransformer("EPSG:nope")


def test_lonlat_transformer_rejects_a_crs_not_tied_to_the_earth() -> None:
    local = 'LOCAL_CS["site grid",UNIT["metre",1],AXIS["Easting",EAST],AXIS["Northing",NORTH]]'
    with pytest.raises(ValueError, match="site grid cannot be converted to longitude/latitude"):
        LonLatTransformer(local)
