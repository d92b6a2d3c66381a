"""The sensors kind: stations and their observations (CSV or Parquet), standing on the ground.

A ``.csv`` is only claimed when its header looks like a sensor table (a time column and a
value or station column, or columns named after quantities), so other tables are left to
other kinds or refused. Project-file keys (errors name the key):

.. code-block:: toml

    [[layers]]
    kind = "sensors"
    source = "aq.csv"
    stations_source = "stations.geojson"   # optional
    quantity = "pm25"                      # optional: the first one
    staleness_s = 10800.0
    [layers.mapping]                       # optional; columns recognised by name otherwise
    time = "datetimeLocal"
    timezone = "America/Toronto"
    [[layers.thresholds.pm25]]             # absent: DEFAULT_THRESHOLDS
    level = "unhealthy"
    value = 55.5
    color = "#ff0000"
    [layers.style]
    glyph = "mast"
    [layers.live]                          # never a password: password_env names a variable
    host = "broker.local"
    password_env = "AQ_PASSWORD"
"""

from __future__ import annotations

import dataclasses
import re
import stat
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import pyogrio

from twinscape.geo.anomalies import flag_anomalies
from twinscape.geo.crs import normalize_crs
from twinscape.io.file_checks import check_regular_file, read_head, resolve_path
from twinscape.io.kinds import LayerData, LayerKind, LoadContext, register_kind
from twinscape.io.layer_sources import layer_name, relative_path, source_path
from twinscape.io.sensor_assembly import ground_under
from twinscape.io.sensor_columns import MappingError, looks_like_sensor_table, quantity_name
from twinscape.io.sensor_files import TABLE_EXTENSIONS, header_of
from twinscape.io.sensor_stations import read_stations
from twinscape.io.sensor_times import check_zone
from twinscape.io.sensors_table import read_sensors
from twinscape.io.toml_schema import TableReader
from twinscape.model.layers import Layer
from twinscape.model.raster import RasterGrid
from twinscape.model.sensor_sources import ColumnMapping, MqttSettings
from twinscape.model.sensor_style import DEFAULT_THRESHOLDS, SensorsStyle, Threshold
from twinscape.model.sensors import SensorsLayer

_MAPPING_KEYS = tuple(f.name for f in fields(ColumnMapping))
_STYLE_KEYS = tuple(f.name for f in fields(SensorsStyle))
_LIVE_KEYS = tuple(f.name for f in fields(MqttSettings))
_LAYOUTS = ("auto", "long", "wide")
_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_PARQUET = (".parquet", ".pq")
_FILE_HINT = "give a CSV or Parquet table, or a stations file, saved on disk"


def sniff_sensors(path: Path) -> float:
    """Confidence that ``path`` is a sensor table, from its name and header (never a FIFO's)."""
    name = path.name.lower()
    if not name.endswith((*TABLE_EXTENSIONS, *_PARQUET)):
        return 0.0
    try:
        regular = stat.S_ISREG(path.stat().st_mode)
    except OSError:
        regular = False
    if not regular:
        return 0.05  # missing, a pipe...: the reader says what is wrong
    parquet = name.endswith(_PARQUET)
    header = header_of(path)
    if header is None:
        return 0.2 if parquet else 0.0  # an unreadable Parquet: the reader explains
    return 0.9 if looks_like_sensor_table(header, parquet=parquet) else 0.0


#: Files that can hold the stations of a sensor layer (points), given with the observations.
STATION_EXTENSIONS = (".geojson", ".json", ".gpkg", ".fgb", ".shp")
_POINT = re.compile(rb'"type"\s*:\s*"(?:Multi)?Point"')
_AREA = re.compile(rb'"type"\s*:\s*"(?:Multi)?(?:Polygon|LineString)"')


def sniff_stations(path: Path) -> float:
    """Confidence that ``path`` is a file of sensor stations: point features, nothing else."""
    name = path.name.lower()
    if not name.endswith(STATION_EXTENSIONS):
        return 0.0
    if name.endswith((".geojson", ".json")):
        head = read_head(path)
        if head is None or not _POINT.search(head) or _AREA.search(head):
            return 0.0
        return 0.95
    if read_head(path, 16) is None:
        return 0.0
    try:
        layers = pyogrio.list_layers(path)
    except Exception:  # noqa: BLE001 - not readable as vector data: not ours to explain
        return 0.0
    kinds = {str(kind).lower() for _name, kind in layers if kind is not None}
    return 0.95 if kinds and all("point" in kind for kind in kinds) else 0.0


def sniff_sensor_files(path: Path) -> float:
    """A sensor table (observations) or a stations file."""
    return max(sniff_sensors(path), sniff_stations(path))


def is_observations(layer: SensorsLayer) -> bool:
    """True when the layer's source is an observations table (not a stations file)."""
    return layer.source.name.lower().endswith((*TABLE_EXTENSIONS, *_PARQUET))


def combine_sensor_files(layers: list[Layer]) -> list[Layer]:
    """Observations given with one stations file take their stations from it."""
    sensors = [layer for layer in layers if isinstance(layer, SensorsLayer)]
    tables = [layer for layer in sensors if is_observations(layer)]
    stations = [layer for layer in sensors if not is_observations(layer)]
    if len(stations) != 1 or not tables:
        return layers
    for table in tables:
        if table.stations_source is None:
            table.stations_source = stations[0].source
    return [layer for layer in layers if layer is not stations[0]]


def new_sensors(path: Path, assume_crs: str | None) -> SensorsLayer:
    """An unloaded sensors layer for ``path`` (``assume_crs``: the CRS of x/y columns)."""
    return SensorsLayer(name=layer_name(path), source=path, mapping=ColumnMapping(crs=assume_crs))


def read_sensor_layer(layer: Layer, context: LoadContext) -> LayerData:
    """Read the stations and observations of ``layer``, standing on ``context.ground``.

    A layer whose ``source`` is a stations file (no observations table) loads its
    stations with no history: its values come from its live feed.

    Raises
    ------
    ReaderError, CRSError, LoadCancelled
        From :func:`~twinscape.io.sensors_table.read_sensors`, naming the file.
    """
    assert isinstance(layer, SensorsLayer)
    for path in (layer.source, layer.stations_source):  # a pipe or a link loop: said first
        if path is not None:
            check_regular_file(path, hint=_FILE_HINT)
    options: dict[str, Any] = {
        "mapping": layer.mapping, "target_crs": context.project_crs, "ground": context.ground,
        "progress": context.progress, "cancelled": context.cancelled,
    }  # fmt: skip
    if is_observations(layer):
        read = read_sensors(layer.source, stations_source=layer.stations_source, **options)
    else:  # a stations file alone: no history (a live feed brings the values)
        read = read_stations(layer.source, **options)
    context.check()
    data = read.data
    if len(data.obs_time):
        flags = flag_anomalies(
            data.obs_station,
            data.obs_quantity,
            data.obs_time,
            data.obs_value,
            quantities=data.quantities,
        )
        data = dataclasses.replace(data, flags=flags)
    return LayerData(
        crs=read.target_crs,
        values={"data": data, "source_crs": read.source_crs},
        warnings=tuple(f"{layer.source}: {line}" for line in read.report.warnings()),
    )


def restand_sensors(layer: Layer, ground: tuple[RasterGrid, ...]) -> dict[str, Any]:
    """The stations of ``layer`` standing on ``ground`` (z re-sampled, x and y kept)."""
    assert isinstance(layer, SensorsLayer) and layer.data is not None
    xyz = layer.data.xyz.copy()
    xyz[:, 2] = ground_under(xyz[:, 0], xyz[:, 1], ground)
    return {"data": replace(layer.data, xyz=xyz)}


# -- project files ---------------------------------------------------------------------
def sensors_from_table(table: TableReader, folder: Path, common: dict[str, Any]) -> SensorsLayer:
    """A sensors layer from its project-file table."""
    source = source_path(table, folder)
    stations = (
        source_path(table, folder, "stations_source") if "stations_source" in table.table else None
    )
    default = SensorsLayer(name="", source=source)
    return SensorsLayer(
        **{"name": layer_name(source), **common},
        source=source,
        stations_source=stations,
        mapping=_mapping_from(table.sub("mapping")),
        quantity=table.string("quantity", None),
        staleness_s=table.number("staleness_s", default.staleness_s, low=1.0, high=3.2e8),
        thresholds=_thresholds_from(table),
        style=_style_from(table.sub("style")),
        live=_live_from(table.sub("live"), folder),
    )


def _mapping_from(table: TableReader | None) -> ColumnMapping:
    if table is None:
        return ColumnMapping()
    table.warn_unknown(_MAPPING_KEYS)
    values = {key: table.string(key, None) for key in _MAPPING_KEYS}
    values["layout"] = values["layout"] or "auto"
    if values["layout"] not in _LAYOUTS:
        raise table.fail("layout", f"{values['layout']!r} is not one of {', '.join(_LAYOUTS)}")
    if values["timezone"] is not None:
        try:
            check_zone(values["timezone"])
        except MappingError as err:
            raise table.fail("timezone", err.problem.partition(" ")[2]) from None
    if values["crs"] is not None:
        try:
            normalize_crs(values["crs"])
        except ValueError as err:
            raise table.fail("crs", str(err)) from None
    return ColumnMapping(**values)


def _thresholds_from(layer: TableReader) -> dict[str, tuple[Threshold, ...]]:
    table = layer.sub("thresholds")
    if table is None:
        return dict(DEFAULT_THRESHOLDS)
    out: dict[str, tuple[Threshold, ...]] = {}
    for quantity in table.table:
        levels = []
        for entry in table.array_of_tables(quantity):
            entry.warn_unknown(("level", "value", "color"))
            color = entry.string("color")
            if not _COLOR.match(color):
                raise entry.fail("color", f"{color!r} is not a colour like #ff7e00")
            level = Threshold(entry.string("level"), entry.number("value"), color)
            if levels and level.value <= levels[-1].value:
                raise entry.fail("value", f"{level.value} must be above the level before "
                                 f"({levels[-1].value})")
            levels.append(level)
        out[quantity_name(quantity)] = tuple(levels)
    return out


def _style_from(table: TableReader | None) -> SensorsStyle:
    if table is None:
        return SensorsStyle()
    table.warn_unknown(_STYLE_KEYS)
    default = SensorsStyle()
    span = table.vector("value_range", 2, None)
    try:
        return SensorsStyle(
            glyph=table.string("glyph", default.glyph),
            ramp=table.string("ramp", default.ramp),
            value_range=None if span is None else (span[0], span[1]),
            size=table.number("size", default.size),
            labels=table.boolean("labels", default.labels),
        )
    except ValueError as err:
        key, _, problem = str(err).partition(": ")
        raise table.fail(key, problem or str(err)) from err


def _strings(table: TableReader, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = table.raw(name, list(default))
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise table.fail(name, f"must be a list of non-empty strings, got {value!r}")
    return tuple(value)


def _live_from(table: TableReader | None, folder: Path) -> MqttSettings | None:
    if table is None:
        return None
    if "password" in table.table:
        table.warnings.append(
            f"{table.path}: [{table.key('password')}] ignored: passwords are never kept in "
            "project files; name an environment variable in password_env instead"
        )
    table.warn_unknown((*_LIVE_KEYS, "password"))
    default = MqttSettings(host="-")
    record = table.string("record_to", None)
    return MqttSettings(
        host=table.string("host"),
        port=int(table.number("port", default.port, low=1, high=65535)),
        topics=_strings(table, "topics", default.topics),
        sensor_id=table.string("sensor_id", default.sensor_id),
        time=table.string("time", default.time),
        values=_strings(table, "values", default.values),
        tls=table.boolean("tls", default.tls),
        username=table.string("username", None),
        password_env=table.string("password_env", None),
        record_to=None if record is None else resolve_path(folder / record),
    )


def sensors_to_table(layer: Layer, folder: Path) -> dict[str, Any]:
    """The sensors keys of a project-file table (never a password)."""
    assert isinstance(layer, SensorsLayer)
    table: dict[str, Any] = {"source": relative_path(layer.source, folder)}
    if layer.stations_source is not None:
        table["stations_source"] = relative_path(layer.stations_source, folder)
    mapping = {k: v for k, v in layer.mapping.as_dict().items() if (k, v) != ("layout", "auto")}
    if mapping:
        table["mapping"] = mapping
    if layer.quantity is not None:
        table["quantity"] = layer.quantity
    table["staleness_s"] = float(layer.staleness_s)
    if layer.thresholds != DEFAULT_THRESHOLDS:
        table["thresholds"] = {
            quantity: [{"level": t.level, "value": float(t.value), "color": t.color}
                       for t in levels]
            for quantity, levels in layer.thresholds.items()
        }
    style = {name: getattr(layer.style, name) for name in _STYLE_KEYS}
    style["value_range"] = None if style["value_range"] is None else list(style["value_range"])
    table["style"] = {name: value for name, value in style.items() if value is not None}
    if layer.live is not None:
        live = {name: getattr(layer.live, name) for name in _LIVE_KEYS}
        live.update(topics=list(live["topics"]), values=list(live["values"]))
        if live["record_to"] is not None:
            live["record_to"] = relative_path(live["record_to"], folder)
        table["live"] = {name: value for name, value in live.items() if value is not None}
    return table


SENSORS = register_kind(
    LayerKind(
        name="sensors",
        layer_type=SensorsLayer,
        title="Sensors",
        file_types="Sensor tables (CSV, Parquet)",
        extensions=TABLE_EXTENSIONS,
        sniff=sniff_sensor_files,
        new_layer=new_sensors,
        read=read_sensor_layer,
        table_keys=("source", "stations_source", "mapping", "quantity", "staleness_s",
                    "thresholds", "style", "live"),
        from_table=sensors_from_table,
        to_table=sensors_to_table,
        icon="sensors",
        restand=restand_sensors,
        order=30,
        combine=combine_sensor_files,
    )
)
