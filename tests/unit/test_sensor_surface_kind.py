"""The sensor_surface kind: project-file keys only; it reads no file."""

from __future__ import annotations

from pathlib import Path

import pytest

from twinscape.io.kinds import kind_for_path, kind_named, kind_of
from twinscape.io.loading import read_layer
from twinscape.io.project_file import SCHEMA_VERSION, load_project, save_project
from twinscape.model import NoReaderError, Project, ProjectFileError
from twinscape.model.surfaces import SensorSurfaceLayer


def _project() -> tuple[Project, SensorSurfaceLayer]:
    project = Project(name="surfaces", crs="EPSG:32636")
    layer = SensorSurfaceLayer(
        name="PM2.5 surface", sensors_layer_id="abc123", quantity="pm25", power=3.0,
        max_distance_m=15_000.0, ramp="viridis", value_range=(0.0, 80.0), opacity=0.6,
    )  # fmt: skip
    project.layers.append(layer)
    return project, layer


def test_a_surface_survives_save_and_load(tmp_path: Path) -> None:
    project, layer = _project()
    assert kind_of(layer).name == "sensor_surface" and layer.drapes
    path = save_project(project, tmp_path / "p.toml")
    loaded, warnings = load_project(path)
    assert warnings == []
    (back,) = loaded.layers
    assert isinstance(back, SensorSurfaceLayer) and back.id == layer.id
    for name in ("name", "sensors_layer_id", "quantity", "power", "max_distance_m", "ramp",
                 "value_range", "opacity"):  # fmt: skip
        assert getattr(back, name) == getattr(layer, name), name
    load = read_layer(back, project_crs=loaded.crs)
    assert load.data.values == {} and load.data.crs == "EPSG:32636"


def test_defaults_and_bad_keys_name_the_key(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    head = (
        f'schema_version = {SCHEMA_VERSION}\n[project]\nname = "x"\ncrs = "EPSG:32636"\n\n'
        '[[layers]]\nkind = "sensor_surface"\n'
    )
    path.write_text(head + 'sensors_layer_id = "abc"\n', encoding="utf-8")
    (layer,) = load_project(path)[0].layers
    assert layer.opacity == 0.7 and layer.power == 2.0 and layer.quantity is None
    path.write_text(head + 'sensors_layer_id = "abc"\nramp = "rainbow"\n', encoding="utf-8")
    with pytest.raises(ProjectFileError, match=r"\[layers\[0\]\.ramp\] 'rainbow' is not one of"):
        load_project(path)
    path.write_text(head + 'sensors_layer_id = "abc"\nvalue_range = [5, 1]\n', encoding="utf-8")
    with pytest.raises(ProjectFileError, match=r"\[layers\[0\]\.value_range\] low 5"):
        load_project(path)
    path.write_text(head + "power = 2.0\n", encoding="utf-8")
    with pytest.raises(ProjectFileError, match=r"\[layers\[0\]\.sensors_layer_id\] is required"):
        load_project(path)


def test_no_file_is_a_surface(tmp_path: Path) -> None:
    kind = kind_named("sensor_surface")
    path = tmp_path / "anything.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    assert kind.sniff(path) == 0.0 and kind.extensions == ()
    with pytest.raises(NoReaderError, match="made from a sensors layer"):
        kind.new_layer(path, None)
    try:
        assert kind_for_path(path).name != "sensor_surface"
    except NoReaderError:
        pass  # no other kind reads it either


def test_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="ramp"):
        SensorSurfaceLayer(name="s", sensors_layer_id="a", ramp="rainbow")
    with pytest.raises(ValueError, match="power"):
        SensorSurfaceLayer(name="s", sensors_layer_id="a", power=0.0)
    with pytest.raises(ValueError, match="max_distance_m"):
        SensorSurfaceLayer(name="s", sensors_layer_id="a", max_distance_m=0.0)
    assert "power 2" in SensorSurfaceLayer(name="s", sensors_layer_id="a").describe()[1]
