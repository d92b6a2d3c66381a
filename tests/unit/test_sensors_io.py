"""Sensor tables: the real OpenAQ exports as they are, other layouts, bad input, project files."""

from __future__ import annotations

import csv
import json
import os
import threading
from dataclasses import fields
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from pyproj import Transformer

from twinscape.io import sensor_files
from twinscape.io.formats import classify_path
from twinscape.io.kinds import kind_named
from twinscape.io.loading import open_data_files
from twinscape.io.project_file import load_project, save_project
from twinscape.io.sensors_report import SensorsRead
from twinscape.io.sensors_table import read_sensors
from twinscape.model import NoReaderError, ProjectFileError
from twinscape.model.clock import to_ns
from twinscape.model.errors import CRSError, LoadCancelled, MissingCRSError, ReaderError
from twinscape.model.project import Project
from twinscape.model.raster import RasterGrid
from twinscape.model.sensor_data import SensorData
from twinscape.model.sensor_sources import ColumnMapping, MqttSettings
from twinscape.model.sensor_style import SensorsStyle, Threshold
from twinscape.model.sensors import SensorsLayer

DATA = Path(__file__).resolve().parents[1] / "data"
AIRNOW = DATA / "aq_toronto_openaq_airnow_hourly_20250901-20251004.csv"
AIRGRADIENT = DATA / "aq_toronto_openaq_airgradient_hourly_20250901-20251004.csv"
UTM17 = "EPSG:32617"


def rows_of(path: Path) -> list[dict[str, str]]:
    """The CSV rows as the csv module reads them (the independent check)."""
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write_rows(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def ns(text: str) -> int:
    return to_ns(datetime.fromisoformat(text.replace("Z", "+00:00")))


def read(path: Path, **kwargs: object) -> SensorsRead:
    kwargs.setdefault("mapping", ColumnMapping())
    kwargs.setdefault("target_crs", UTM17)
    return read_sensors(path, **kwargs)  # type: ignore[arg-type]


def same_data(a: SensorData, b: SensorData) -> None:
    assert list(a.station_ids) == list(b.station_ids)
    np.testing.assert_allclose(a.xyz, b.xyz, atol=1e-6)
    assert a.quantities == b.quantities and a.units == b.units
    for name in ("obs_station", "obs_quantity", "obs_time"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    np.testing.assert_array_equal(a.obs_value, b.obs_value)


@pytest.fixture(scope="module")
def airnow() -> SensorsRead:
    return read(AIRNOW)


# -- the real files ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "stations", "quantities"),
    [
        (AIRNOW, 5, {"pm25", "o3", "no2", "so2", "co", "no", "nox"}),
        (AIRGRADIENT, 9, {"pm25", "pm1", "temperature", "relativehumidity", "um003"}),
    ],
)
def test_the_openaq_exports_load_as_they_are(path: Path, stations: int, quantities: set) -> None:
    result = read_sensors(path, mapping=ColumnMapping(), target_crs=None)
    data, rows = result.data, rows_of(path)
    assert result.target_crs == UTM17 and result.source_crs == "EPSG:4326"  # Toronto: UTM 17N
    assert data.count == stations and set(data.quantities) == quantities
    assert data.quantities[0] == "pm25" and data.units["pm25"] == "µg/m³"
    assert len(data.obs_time) == len(rows) and result.report.warnings() == []
    start, end = data.time_range  # type: ignore[misc]
    assert start == datetime(2025, 9, 1, 1, tzinfo=timezone.utc)
    assert end == datetime(2025, 10, 4, 0, tzinfo=timezone.utc)
    # every station where pyproj puts its first latitude/longitude, by hand
    first: dict[str, tuple[float, float]] = {}
    for row in rows:
        first.setdefault(row["location_id"], (float(row["longitude"]), float(row["latitude"])))
    to_utm = Transformer.from_crs("EPSG:4326", UTM17, always_xy=True)
    for i, station in enumerate(data.station_ids):
        x, y = to_utm.transform(*first[station])
        np.testing.assert_allclose(data.xyz[i], [x, y, 0.0], atol=1e-6)
    names = {row["location_id"]: row["location_name"] for row in rows}
    assert list(data.stations["name"]) == [names[s] for s in data.station_ids]
    assert list(data.stations["provider"].unique()) == [rows[0]["provider"]]


def test_values_at_instants_are_those_of_the_csv_rows(airnow: SensorsRead) -> None:
    data = airnow.data
    rows = rows_of(AIRNOW)
    wanted = [r for r in rows if r["location_name"] == "Toronto Downtown" and r["parameter"] ==
              "pm25" and r["datetimeUtc"] == "2025-09-15T12:00:00Z"]
    assert len(wanted) == 1
    downtown = list(data.station_ids).index("7570")
    values, ages, _ = data.latest("pm25", ns("2025-09-15T12:00:00Z"))
    assert values[downtown] == float(wanted[0]["value"]) and ages[downtown] == 0
    values, ages, _ = data.latest("pm25", ns("2025-09-15T12:30:00Z"))
    assert values[downtown] == float(wanted[0]["value"]) and ages[downtown] == 1800
    for row in rows[::997]:  # a spread of rows, every station and quantity
        station = list(data.station_ids).index(row["location_id"])
        times, series = data.series(station, row["parameter"])
        at = np.searchsorted(times, ns(row["datetimeUtc"]))
        assert times[at] == ns(row["datetimeUtc"]) and series[at] == float(row["value"])


# -- times ---------------------------------------------------------------------------------
def test_local_times_give_the_same_utc_instants(tmp_path: Path, airnow: SensorsRead) -> None:
    rows = rows_of(AIRNOW)
    header = [h for h in rows[0] if h != "datetimeUtc"]
    with_offset = write_rows(tmp_path / "local.csv", header, [[r[h] for h in header] for r in rows])
    naive = write_rows(tmp_path / "naive.csv", header, [
        [r[h][:19] if h == "datetimeLocal" else r[h] for h in header] for r in rows])
    toronto = ColumnMapping(timezone="America/Toronto")
    same_data(read(with_offset, mapping=toronto).data, airnow.data)
    same_data(read(with_offset).data, airnow.data)  # the offsets say it all
    result = read(naive, mapping=toronto)
    same_data(result.data, airnow.data)
    assert result.report.ambiguous_times == result.report.nonexistent_times == 0
    # no mapping: the table's own timezone column (OpenAQ has one) places naive local times
    same_data(read(naive).data, airnow.data)


def test_daylight_saving_changes_are_resolved_and_counted(tmp_path: Path) -> None:
    local = ["2025-11-02 00:00", "2025-11-02 01:00", "2025-11-02 01:00", "2025-11-02 02:00",
             "2025-03-09 01:00", "2025-03-09 02:30", "2025-03-09 03:00"]
    path = write_rows(tmp_path / "dst.csv", ["time", "station", "lat", "lon", "pm25"],
                      [[t, "a", "43.65", "-79.38", str(i)] for i, t in enumerate(local)])
    result = read(path, mapping=ColumnMapping(timezone="America/Toronto"))
    expect = ["2025-11-02T04:00Z", "2025-11-02T05:00Z", "2025-11-02T06:00Z", "2025-11-02T07:00Z",
              "2025-03-09T06:00Z", "2025-03-09T07:30Z", "2025-03-09T07:00Z"]
    times, values = result.data.series(0, "pm25")
    got = dict(zip(values.astype(int), times))
    assert [got[i] for i in range(len(local))] == [ns(t) for t in expect]
    assert result.report.ambiguous_times == 2 and result.report.nonexistent_times == 1
    assert any("occur twice" in w for w in result.report.warnings())
    naive = read(path)  # no zone anywhere: UTC, and the user is told
    assert naive.report.naive_utc == len(local) and naive.report.duplicates == 1  # 01:00 twice
    assert any("read as UTC (set mapping.timezone" in w for w in naive.report.warnings())


def test_a_european_excel_export(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"  # semicolons, decimal commas, Windows-1252, a BOM-less header
    path.write_bytes("Zeit;Station;Breite;Länge;Wert;Einheit\r\n"
                     "2025-09-01 03:00:00;A1;43,70;-79,40;12,5;µg/m³\r\n".encode("cp1252"))
    mapping = ColumnMapping(time="Zeit", sensor_id="Station", x="Länge", y="Breite",
                            value="Wert", unit="Einheit", timezone="Europe/Berlin")
    data = read(path, mapping=mapping).data
    assert data.obs_value.tolist() == [12.5] and data.units == {"wert": "µg/m³"}
    assert data.obs_time.tolist() == [ns("2025-09-01T01:00:00Z")]


@pytest.mark.parametrize("scale", [1, 1000])
def test_epoch_seconds_and_milliseconds(tmp_path: Path, scale: int) -> None:
    epoch = [ns(t) // 10**9 * scale for t in ("2025-09-01T01:00Z", "2025-09-01T02:00Z")]
    path = write_rows(tmp_path / "epoch.csv", ["timestamp", "sensor_id", "latitude", "longitude",
                      "value"], [[str(e), "s1", "43.7", "-79.4", "1.5"] for e in epoch])
    data = read(path).data
    assert list(data.obs_time) == [ns("2025-09-01T01:00Z"), ns("2025-09-01T02:00Z")]
    assert data.quantities == ("value",)


# -- layouts and stations files -------------------------------------------------------------
def _stations_frame() -> pd.DataFrame:
    frame = pd.read_csv(AIRNOW, dtype=str, keep_default_na=False)
    return frame.drop_duplicates("location_id")[["location_id", "location_name", "latitude",
                                                  "longitude"]]


def test_wide_tables_give_the_same_data(tmp_path: Path, airnow: SensorsRead) -> None:
    frame = pd.read_csv(AIRNOW, keep_default_na=False)
    frame["column"] = (frame.location_id.astype(str) + " " + frame.parameter + " (" + frame.unit
                       + ")")
    wide = frame.pivot(index="datetimeUtc", columns="column", values="value").reset_index()
    stations = tmp_path / "stations.csv"
    _stations_frame().to_csv(stations, index=False)
    wide.to_csv(tmp_path / "wide.csv", index=False)
    result = read(tmp_path / "wide.csv", stations_source=stations)
    same_data(result.data, airnow.data)
    assert result.report.warnings() == []
    wide["datetimeUtc"] = pd.to_datetime(wide["datetimeUtc"], utc=True)  # a timestamp column
    wide.to_parquet(tmp_path / "wide.parquet")
    same_data(read(tmp_path / "wide.parquet", stations_source=stations).data, airnow.data)
    # one column per quantity, stations by row with their coordinates
    frame["column"] = frame.parameter + " [" + frame.unit + "]"
    by_quantity = frame.pivot(index=["datetimeUtc", "location_id", "latitude", "longitude"],
                              columns="column", values="value").reset_index()
    by_quantity.to_csv(tmp_path / "by_quantity.csv", index=False)
    same_data(read(tmp_path / "by_quantity.csv").data, airnow.data)
    assert classify_path(tmp_path / "wide.csv") == "sensors"  # quantities in column names


def test_long_parquet_with_timestamps(tmp_path: Path, airnow: SensorsRead) -> None:
    frame = pd.read_csv(AIRNOW, keep_default_na=False)
    frame["datetimeUtc"] = pd.to_datetime(frame["datetimeUtc"], utc=True)
    frame.to_parquet(tmp_path / "long.parquet")
    result = read(tmp_path / "long.parquet")
    same_data(result.data, airnow.data)
    assert classify_path(tmp_path / "long.parquet") == "sensors"


def test_a_stations_geojson_in_web_mercator(tmp_path: Path, airnow: SensorsRead) -> None:
    stations = _stations_frame()
    to_merc = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    x, y = to_merc.transform(stations.longitude.astype(float), stations.latitude.astype(float))
    geojson = tmp_path / "stations.geojson"
    pyogrio.write_dataframe(
        __import__("geopandas").GeoDataFrame(
            {"station_id": stations.location_id.astype(int), "name": stations.location_name},
            geometry=shapely.points(x, y), crs="EPSG:3857"),
        geojson, driver="GeoJSON",
    )
    rows = rows_of(AIRNOW)
    header = [h for h in rows[0] if h not in ("latitude", "longitude")]
    observations = write_rows(tmp_path / "obs.csv", header, [[r[h] for h in header] for r in rows])
    result = read(observations, stations_source=geojson)
    same_data(result.data, airnow.data)
    assert result.source_crs == "EPSG:3857"
    assert list(result.data.stations["name"]) == list(airnow.data.stations["name"])
    layer = pyogrio.read_dataframe(geojson)
    pyogrio.write_dataframe(layer, tmp_path / "stations.gpkg", layer="stations")
    same_data(read(observations, stations_source=tmp_path / "stations.gpkg").data, airnow.data)
    # a station missing from the stations file: its observations counted, not read
    kept = [r for r in rows if r["location_id"] != "7570"]
    pyogrio.write_dataframe(pyogrio.read_dataframe(geojson).iloc[1:], tmp_path / "four.geojson")
    result = read(observations, stations_source=tmp_path / "four.geojson")
    assert result.data.count == 4 and len(result.data.obs_time) == len(kept)
    assert result.report.unknown_rows == len(rows) - len(kept)
    assert result.report.unknown_stations == ("7570",)


def test_ground_under_the_stations(airnow: SensorsRead) -> None:
    x0, y0 = 600_000.0, 4_880_000.0
    cols, rows = np.meshgrid(np.arange(800) + 0.5, np.arange(600) + 0.5)
    plane = (100 + 0.5 * cols + 0.25 * rows).astype(np.float32)  # z = f(x, y), exact bilinear
    grid = RasterGrid(plane, (100.0, 0.0, x0, 0.0, -100.0, y0), UTM17)
    data = read(AIRNOW, ground=(grid,)).data
    expect = 100 + 0.5 * (data.xyz[:, 0] - x0) / 100 + 0.25 * (y0 - data.xyz[:, 1]) / 100
    np.testing.assert_allclose(data.xyz[:, 2], expect, atol=1e-3)
    layer = SensorsLayer(name="aq", source=AIRNOW, data=airnow.data)
    moved = kind_named("sensors").restand(layer, (grid,))  # type: ignore[misc]
    np.testing.assert_allclose(moved["data"].xyz, data.xyz)


# -- bad rows and bad files ---------------------------------------------------------------------
def test_malformed_rows_are_counted_with_their_line_numbers(tmp_path: Path) -> None:
    lines = AIRNOW.read_text(encoding="utf-8").splitlines()[:21]  # header + 20 rows
    fields = lines[0].split(",")
    t, v = fields.index("datetimeUtc"), fields.index("value")

    def edit(number: int, column: int, new: str) -> None:
        cells = lines[number - 1].split(",")
        cells[column] = new
        lines[number - 1] = ",".join(cells)

    edit(7, t, "2025-13-45T99:00:00Z")
    edit(12, v, "abc")
    edit(15, v, "NaN")
    lines.insert(17, lines[16])  # line 18 repeats line 17
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = read(path).report
    assert ("rows not read: unparsable time", 1, (7,)) in report.malformed
    assert ("rows not read: non-numeric value", 1, (12,)) in report.malformed
    assert report.non_finite == 1 and report.duplicates == 1 and report.duplicate_places == (18,)
    assert report.observations == 21 - 2 - 1 and report.rows == 21
    warnings = "\n".join(report.warnings())
    assert "1 rows not read: unparsable time (line 7)" in warnings
    assert "non-numeric value (line 12)" in warnings and "(line 18)" in warnings


def test_line_numbers_count_quoted_newlines_and_skipped_lines(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text(
        "time,station,name,lat,lon,value\n"
        '2025-09-01T01:00Z,a,"two\nlines",43.7,-79.4,1\n'  # lines 2-3
        "2025-09-01T02:00Z,a,x,43.7,-79.4,2,extra\n"  # line 4: too many fields
        "\n"  # line 5: blank
        "2025-09-01T03:00Z,a,x,43.7,-79.4,oops\n"  # line 6
    )
    report = read(path).report
    assert ("lines not read: wrong number of fields", 1, (4,)) in report.malformed
    assert ("rows not read: non-numeric value", 1, (6,)) in report.malformed


def one_line(err: pytest.ExceptionInfo[BaseException], path: Path) -> str:
    message = str(err.value)
    assert "\n" not in message and message.startswith(str(path))
    return message


def test_bad_files_get_one_line_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cases: list[tuple[str, bytes, str]] = [
        ("empty.csv", b"", "is empty (0 bytes)"),
        ("header.csv", b"time,station,value\n", "has a header but no rows"),
        ("binary.csv", os.urandom(3000) + b"\0", "holds binary data"),
        ("latin.csv", b"time,station,value\n\x81\x8d\x90,\x9d,1\n", "is not text"),
        ("notime.csv", b"station,value\na,1\n", "no time column found (columns: station, value)"),
        ("nocoords.csv", b"time,station,value\n2025-09-01T00:00Z,a,1\n",
         "has no station coordinates"),
        ("xy.csv", b"time,station,x,y,value\n2025-09-01T00:00Z,a,1,2,1\n", "but no CRS"),
        ("degrees.csv", b"time,station,lat,lon,value\n2025-09-01T00:00Z,a,4833753,629921,1\n",
         "not longitude/latitude degrees"),
    ]
    for name, content, problem in cases:
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ReaderError) as err:
            read(path)
        assert problem in one_line(err, path), name
    with pytest.raises(ReaderError) as err:
        read(tmp_path / "notime.csv")
    assert 'mapping.time = "<column>"' in str(err.value)
    with pytest.raises(MissingCRSError):
        read(tmp_path / "xy.csv")
    assert read(tmp_path / "xy.csv", mapping=ColumnMapping(crs=UTM17)).data.xyz[0, 0] == 1.0
    with pytest.raises(ReaderError, match="does not exist"):
        read(tmp_path / "missing.csv")
    with pytest.raises(ReaderError, match="not a regular file but a folder"):
        read(tmp_path)
    with pytest.raises(ReaderError, match=r"mapping\.value 'reading' is not a column"):
        read(AIRNOW, mapping=ColumnMapping(value="reading"))
    with pytest.raises(ReaderError, match="not an IANA time zone"):
        read(AIRNOW, mapping=ColumnMapping(timezone="Mars/Olympus"))
    with pytest.raises(CRSError, match="not projected in metres"):
        read(AIRNOW, target_crs="EPSG:4326")
    monkeypatch.setattr(sensor_files, "MAX_BYTES", 1000)
    with pytest.raises(ReaderError, match=r"over the 0\.0 MB limit; split it"):
        read(AIRNOW)


def test_a_truncated_parquet_file(tmp_path: Path) -> None:
    pd.read_csv(AIRNOW).to_parquet(tmp_path / "whole.parquet")
    data = (tmp_path / "whole.parquet").read_bytes()
    path = tmp_path / "cut.parquet"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ReaderError) as err:
        read(path)
    assert "is not a readable Parquet file" in one_line(err, path)
    assert classify_path(path) == "sensors"  # claimed, so the user reads that message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    outcome: list[BaseException | str] = []

    def run() -> None:
        try:
            read(fifo)
        except BaseException as err:  # noqa: BLE001 - handed to the test thread
            outcome.append(err)
        outcome.append(classify_path(fifo))

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=10)
    if worker.is_alive():
        with open(fifo, "wb"):
            pass
        pytest.fail("reading a FIFO blocked")
    assert isinstance(outcome[0], ReaderError) and "not a regular file" in str(outcome[0])
    assert outcome[1] == "sensors"


def test_progress_and_cancel() -> None:
    seen: list[float] = []
    read(AIRNOW, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0
    with pytest.raises(LoadCancelled):
        read(AIRNOW, cancelled=lambda: True)


# -- the kind ------------------------------------------------------------------------------------
def test_only_sensor_tables_are_claimed(tmp_path: Path) -> None:
    assert classify_path(AIRNOW) == "sensors" and classify_path(AIRGRADIENT) == "sensors"
    other = tmp_path / "budget.csv"
    other.write_text("item,cost\nroad,1200\npipe,800\n")
    with pytest.raises(NoReaderError, match="not a file Twinscape can open"):
        classify_path(other)
    dated = tmp_path / "log.csv"  # a time but nothing measured
    dated.write_text("date,note\n2025-09-01,rain\n")
    with pytest.raises(NoReaderError):
        classify_path(dated)


def test_open_data_files_gives_a_sensors_layer() -> None:
    project, warnings = open_data_files([AIRGRADIENT])
    [layer] = project.layers
    assert isinstance(layer, SensorsLayer) and layer.loaded and warnings == []
    assert project.crs == UTM17 and layer.data is not None and layer.data.count == 9
    assert layer.source_crs == "EPSG:4326" and layer.shown_quantity == "pm25"


def test_a_sensors_layer_survives_a_project_file(tmp_path: Path) -> None:
    layer = SensorsLayer(
        name="air", source=AIRNOW, stations_source=tmp_path / "stations.geojson",
        mapping=ColumnMapping(time="datetimeLocal", timezone="America/Toronto", layout="long"),
        quantity="no2", staleness_s=7200.0,
        thresholds={"no2": (Threshold("high", 0.05, "#ff0000"),
                            Threshold("severe", 0.1, "#800080")), "pm25": ()},
        style=SensorsStyle(glyph="column", ramp="viridis", value_range=(0.0, 80.0), size=25.0,
                           labels=True),
        live=MqttSettings(host="broker.local", port=8883, topics=("aq/#", "met/+"), tls=True,
                          values=("pm25", "no2"), username="twin", password_env="AQ_PASSWORD",
                          record_to=tmp_path / "rec.csv"),
    )
    project = Project(name="p", crs=UTM17)
    project.layers.append(layer)
    saved = save_project(project, tmp_path / "p.toml")
    text = saved.read_text()
    assert "password_env" in text and "password =" not in text
    again, warnings = load_project(saved)
    [back] = again.layers
    assert warnings == [] and isinstance(back, SensorsLayer)
    for name in ("source", "stations_source", "mapping", "quantity", "staleness_s", "thresholds",
                 "live"):
        assert getattr(back, name) == getattr(layer, name), name
    for field in fields(SensorsStyle):
        assert getattr(back.style, field.name) == getattr(layer.style, field.name), field.name
    # defaults stay defaults, and a password written by hand is dropped with a warning
    plain = SensorsLayer(name="b", source=AIRNOW)
    project.layers[:] = [plain]
    text = save_project(project, saved).read_text()
    assert "thresholds" not in text and "mapping" not in text
    saved.write_text(text + '\n[layers.live]\nhost = "h"\npassword = "secret"\n')
    again, warnings = load_project(saved)
    assert again.layers[0].live.host == "h"  # type: ignore[attr-defined]
    assert len(warnings) == 1 and "password" in warnings[0]
    assert "secret" not in save_project(again, saved).read_text()


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ('[layers.mapping]\nlayout = "diagonal"\n', r"layers\[0\]\.mapping\.layout"),
        ('[layers.mapping]\ntimezone = "Mars/Base"\n', r"layers\[0\]\.mapping\.timezone"),
        ("[[layers.thresholds.pm25]]\nlevel = \"a\"\nvalue = 5\ncolor = \"red\"\n",
         r"layers\[0\]\.thresholds\.pm25\[0\]\.color"),
        ('[[layers.thresholds.pm25]]\nlevel = "a"\nvalue = 5\ncolor = "#ff0000"\n'
         '[[layers.thresholds.pm25]]\nlevel = "b"\nvalue = 4\ncolor = "#ff0000"\n',
         r"layers\[0\]\.thresholds\.pm25\[1\]\.value"),
        ('[layers.style]\nglyph = "cube"\n', r"layers\[0\]\.style\.glyph"),
        ("[layers.live]\nport = 1883\n", r"layers\[0\]\.live\.host"),
        ('[layers.live]\nhost = "h"\nport = 99999\n', r"layers\[0\]\.live\.port"),
    ],
)
def test_project_file_errors_name_the_key(tmp_path: Path, extra: str, key: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text('schema_version = 1\n[project]\nname = "x"\n[[layers]]\nkind = "sensors"\n'
                    f'source = "{AIRNOW.as_posix()}"\n{extra}')
    with pytest.raises(ProjectFileError, match=key):
        load_project(path)


def test_a_loaded_layer_carries_anomaly_flags_of_its_data() -> None:
    """The kind flags anomalies at load: few on the clean data, and the known outage shows."""
    from twinscape.model.sensor_alerts import FLAG_GAP

    project, _ = open_data_files([AIRGRADIENT])
    data = project.layers[0].data
    assert data.flags.shape == data.obs_time.shape
    assert 0 < (data.flags != 0).mean() < 0.02
    assert (data.flags & FLAG_GAP).any()  # AirGradient sensors went silent for hours


def test_stations_and_observations_given_together_make_one_layer(tmp_path: Path) -> None:
    """`twinscape render dem.tif stations.geojson observations.parquet`: one sensor layer."""
    from twinscape.io.formats import classify_path

    assets = Path(__file__).resolve().parents[2] / "assets" / "sensors"
    stations = assets / "newtown_stations.geojson"
    history = assets / "newtown_history.parquet"
    assert classify_path(stations) == "sensors"  # points: stations, not building footprints
    project, warnings = open_data_files([stations, history])
    [layer] = project.layers
    assert layer.source == history.resolve() and layer.stations_source == stations.resolve()
    assert layer.data.count == 12 and "pm25" in layer.data.quantities
    with open(stations, encoding="utf-8") as handle:  # the GeoJSON read by plain json
        features = json.load(handle)["features"]
    first = next(f for f in features if f["properties"]["sensor_id"] == "NT-01")
    row = list(layer.data.station_ids).index("NT-01")
    assert layer.data.xyz[row, :2] == pytest.approx(first["geometry"]["coordinates"][:2])


def test_a_stations_file_alone_loads_with_no_history_and_live_settings(tmp_path: Path) -> None:
    """A layer fed only live: its source is the stations file; it loads, saves and reopens."""
    from twinscape.model.clock import NS
    from twinscape.model.layers import identify_time
    from twinscape.model.sensor_live import LiveState

    assets = Path(__file__).resolve().parents[2] / "assets" / "sensors"
    stations = assets / "newtown_stations.geojson"
    project, warnings = open_data_files([stations])
    [layer] = project.layers
    assert warnings == [] and isinstance(layer, SensorsLayer) and layer.loaded
    data = layer.data
    assert data.count == 12 and data.quantities == () and len(data.obs_time) == 0
    assert layer.time_extent is None and layer.shown_quantity is None
    assert list(data.stations["name"])[:2] == ["Town Square", "Souq Street"]
    assert "No history: values come from the live feed" in layer.describe()

    layer.live = MqttSettings(host="127.0.0.1", topics=("newtown/#",))
    layer.live_state = LiveState(list(data.station_ids))
    assert "live_state" in layer.data_fields
    now = datetime(2026, 1, 5, 12, tzinfo=timezone.utc)
    layer.live_state.apply(["NT-02"], ["pm25"], np.array([to_ns(now) - 60 * NS]), np.array([42.0]))
    assert layer.known_quantities == ("pm25",) and layer.shown_quantity == "pm25"
    with identify_time(now):
        info = layer.identify(1, (0.0, 0.0, 0.0))
    assert info["pm25"] == 42.0 and info["source"] == "live feed" and info["age"] == "1 min"
    assert info["alert level"] == "unhealthy for sensitive groups"

    saved = save_project(project, tmp_path / "live.toml")
    assert "live_state" not in saved.read_text()
    again, warnings = load_project(saved)
    [back] = again.layers
    assert warnings == [] and back.live == layer.live and back.live_state is None
    assert back.source == stations.resolve() and back.stations_source is None
    reopened, warnings = open_data_files([stations])  # reading again: the same stations
    assert list(reopened.layers[0].data.station_ids) == list(data.station_ids)
