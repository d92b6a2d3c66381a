"""The infrastructure catalogue: the built-in file, users' own files, and bad files."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest
import tomli_w

import twinscape.io.catalogue as catalogue_io
from twinscape.io.catalogue import BUILTIN_CATALOGUE, entry_table, load_catalogue, read_catalogue
from twinscape.model.catalogue import PARAMETERS, SHAPES, Catalogue, CatalogueEntry, with_params
from twinscape.model.errors import ProjectFileError

from catalogue_models import MAST_SIZE_M, example_catalogue, write_dish_mast

ENTRY = """
[[entries]]
key = "mast_x"
title = "Mast X"
geometry = "point"
shape = "mast"
params = { height_m = 12.0 }
"""


def test_the_builtin_catalogue_reads_with_realistic_values() -> None:
    assert BUILTIN_CATALOGUE.is_file()
    entries = read_catalogue(BUILTIN_CATALOGUE)
    catalogue = load_catalogue()
    assert [e.key for e in catalogue] == [e.key for e in entries]
    assert {e.geometry for e in entries} == {"point", "line", "polygon"}
    for key in ("wind_turbine", "telecom_tower", "sensor_mast", "water_tank", "substation",
                "road", "railway", "pipeline", "power_line", "solar_farm", "building_pad",
                "plot"):  # fmt: skip
        assert key in catalogue, key
    for entry in entries:
        assert entry.shape in SHAPES[entry.geometry] and entry.source == BUILTIN_CATALOGUE
        assert set(entry.params) <= set(PARAMETERS) and entry.title and entry.description
    turbine = catalogue.get("wind_turbine")
    assert turbine.param("hub_height_m") == 100 and turbine.param("rotor_diameter_m") == 130
    assert turbine.param("max_slope_deg") == 10
    road = catalogue.get("road")
    assert (road.param("max_grade_pct"), road.param("width_m"), road.param("side_slope")) == (
        8.0, 7.3, 2.0)  # fmt: skip
    railway = catalogue.get("railway")
    assert railway.param("max_grade_pct") == 2.5 and railway.param("min_curve_radius_m") == 600
    power = catalogue.get("power_line")
    assert power.param("pylon_spacing_m") == 350 and power.param("pylon_height_m") == 40
    solar = catalogue.get("solar_farm")
    assert solar.param("max_slope_deg") == 7 and solar.param("row_spacing_m") == 8
    assert math.isnan(catalogue.get("building_pad").param("pad_elevation_m", 0.0))
    assert [e.key for e in catalogue.of_geometry("polygon")] == ["solar_farm", "building_pad",
                                                                 "plot"]  # fmt: skip


def test_user_files_add_and_override_entries_by_key(tmp_path: Path) -> None:
    builtin = load_catalogue()
    bigger = with_params(builtin.get("wind_turbine"), hub_height_m=150.0)
    model = tmp_path / "models" / "tank.glb"
    model.parent.mkdir()
    triangles = write_dish_mast(model)
    tank = CatalogueEntry(key="tank_x", title="Tank X", geometry="point", shape="tank",
                          model=model, model_scale=0.5, color=(0.1, 0.2, 0.3))  # fmt: skip
    user = tmp_path / "mine.toml"
    user.write_text(tomli_w.dumps({"schema_version": 1, "entries": [
        entry_table(bigger, tmp_path), entry_table(tank, tmp_path)]}), encoding="utf-8")
    assert 'model = "models/tank.glb"' in user.read_text(encoding="utf-8")
    assert "model_scale = 0.5" in user.read_text(encoding="utf-8")
    second = tmp_path / "second.toml"
    second.write_text(ENTRY, encoding="utf-8")
    catalogue = load_catalogue([user, second])
    assert len(catalogue) == len(builtin) + 2
    assert catalogue.get("wind_turbine").param("hub_height_m") == 150.0
    assert catalogue.get("wind_turbine").source == user
    assert catalogue.get("tank_x").model == model and catalogue.get("tank_x").color == (
        0.1, 0.2, 0.3)  # fmt: skip
    assert catalogue.get("tank_x").model_scale == 0.5
    assert catalogue.model_of(catalogue.get("tank_x")).count == triangles
    assert catalogue.get("mast_x").param("height_m") == 12.0
    assert list(catalogue.entries)[: len(builtin)] == list(builtin.entries)
    with pytest.raises(KeyError, match="no catalogue entry 'nope'"):
        catalogue.get("nope")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (ENTRY.replace('key = "mast_x"\n', ""), r"\[entries\[0\]\.key\] is required but missing"),
        (ENTRY.replace('"mast"', '"windmill"'),
         r"\[entries\[0\]\.shape\] 'windmill' is not one of turbine, tower"),
        (ENTRY.replace('"point"', '"blob"'), r"\[entries\[0\]\.geometry\] 'blob' is not one of"),
        (ENTRY + ENTRY.replace("mast_x", "road_x").replace('"point"', '"line"').replace(
            '"mast"', '"road"').replace("height_m = 12.0", "width_m = -2.0"),
         r"\[entries\[1\]\.params\.width_m\] must not be negative, got -2"),
        (ENTRY.replace("height_m", "hieght_m"), r"\[entries\[0\]\.params\.hieght_m\] unknown"),
        (ENTRY.replace("12.0", '"tall"'), r"\[entries\[0\]\.params\.height_m\] must be a finite"),
        (ENTRY.replace("12.0", "inf"), r"\[entries\[0\]\.params\.height_m\] must be a finite"),
        (ENTRY + ENTRY, r"\[entries\[1\]\.key\] 'mast_x' is already used by entries\[0\]"),
        (ENTRY + 'color = [1, 2, 3]\n', r"\[entries\[0\]\.color\] \[1.0, 2.0, 3.0\] needs three"),
        (ENTRY + 'model = "missing.glb"\n', r"\[entries\[0\]\.model\] .*missing.glb is not a file"),
        (ENTRY + 'model = "tank.docx"\n', r"\[entries\[0\]\.model\] 'tank.docx' is not one of"),
        (ENTRY.replace('"point"', '"line"').replace('"mast"', '"road"') + 'model = "m.glb"\n',
         r"\[entries\[0\]\.model\] is only for point entries, not a line"),
        (ENTRY + "model_scale = 2.0\n", r"\[entries\[0\]\.model_scale\] needs a model"),
        (ENTRY + 'colour = [1, 1, 1]\n', r"\[entries\[0\]\.colour\] unknown key"),
        ("schema_version = 99\n" + ENTRY, r"\[schema_version\] 99 is newer"),
        ('title = "x"\n', r"\[title\] unknown key"),
        ("schema_version = 1\n", r"\[entries\] is required but missing"),
        ("[[entries]\nkey = 1", r"is not valid TOML"),
    ],
)
def test_bad_files_give_one_line_naming_file_and_key(
    tmp_path: Path, text: str, match: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProjectFileError, match=match) as caught:
        read_catalogue(path)
    message = str(caught.value)
    assert message.startswith(str(path)) and "\n" not in message


def test_files_that_are_not_catalogues_are_refused(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.toml"
    garbage.write_bytes(b"\x00\xff\xfe garbage \x89PNG")
    with pytest.raises(ProjectFileError, match="is not UTF-8 text"):
        read_catalogue(garbage)
    with pytest.raises(ProjectFileError, match="file does not exist"):
        read_catalogue(tmp_path / "missing.toml")
    with pytest.raises(ProjectFileError, match="not a regular file but a folder"):
        read_catalogue(tmp_path)
    empty = tmp_path / "empty.toml"
    empty.write_bytes(b"")
    with pytest.raises(ProjectFileError, match="is empty"):
        read_catalogue(empty)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.timeout(20)
def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    with pytest.raises(ProjectFileError, match="not a regular file"):
        read_catalogue(fifo)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_a_symlink_loop_gives_one_line(tmp_path: Path) -> None:
    loop = tmp_path / "loop.toml"
    loop.symlink_to(tmp_path / "other.toml")
    (tmp_path / "other.toml").symlink_to(loop)
    with pytest.raises(ProjectFileError, match="symbolic link that loops") as caught:
        read_catalogue(loop)
    message = str(caught.value)
    assert message.startswith(str(loop)) and "\n" not in message
    warnings: list[str] = []
    assert "wind_turbine" in load_catalogue([loop], warnings=warnings)
    assert len(warnings) == 1 and "catalogue file skipped" in warnings[0]
    model = tmp_path / "model.glb"
    model.symlink_to(model)
    entry = tmp_path / "entry.toml"
    entry.write_text(ENTRY + 'model = "model.glb"\n', encoding="utf-8")
    with pytest.raises(ProjectFileError, match=r"\[entries\[0\]\.model\] .* is not a file"):
        read_catalogue(entry)


def test_an_oversized_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import twinscape.io.catalogue as module

    monkeypatch.setattr(module, "MAX_CATALOGUE_BYTES", 100)
    path = tmp_path / "big.toml"
    path.write_text(ENTRY * 3, encoding="utf-8")
    with pytest.raises(ProjectFileError, match="over the .* limit"):
        read_catalogue(path)


def test_a_bad_user_file_is_skipped_with_a_warning_or_raised(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("nonsense = = 1", encoding="utf-8")
    good = tmp_path / "good.toml"
    good.write_text(ENTRY, encoding="utf-8")
    warnings: list[str] = []
    catalogue = load_catalogue([bad, good], warnings=warnings)
    assert "mast_x" in catalogue and "wind_turbine" in catalogue
    (warning,) = warnings
    assert warning.startswith(str(bad)) and "catalogue file skipped" in warning
    with pytest.raises(ProjectFileError, match="is not valid TOML"):
        load_catalogue([bad, good])


def test_entries_check_their_own_values() -> None:
    with pytest.raises(ValueError, match="shape"):
        CatalogueEntry(key="a", title="A", geometry="line", shape="turbine")
    with pytest.raises(ValueError, match="params.width_m"):
        CatalogueEntry(key="a", title="A", geometry="line", shape="road", params={"width_m": -1})
    assert len(Catalogue()) == 0


def test_a_model_entry_reads_its_model_once_per_file_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, triangles = example_catalogue(tmp_path)
    reads: list[Path] = []
    real = catalogue_io.read_model
    monkeypatch.setattr(catalogue_io, "read_model", lambda p: reads.append(p) or real(p))
    catalogue = load_catalogue([path])
    entry = catalogue.get("dish_mast")
    assert entry.model == tmp_path / "dish_mast.glb" and entry.model_scale == 0.01
    assert entry.shape == "box"  # what is drawn when the model cannot be
    mesh = catalogue.model_of(entry)
    assert mesh is not None and mesh.count == triangles
    assert mesh.extent * 0.01 == pytest.approx(MAST_SIZE_M, abs=1e-6)
    assert entry.param("footprint_m") == pytest.approx(max(MAST_SIZE_M[:2]))  # from the model
    assert entry.param("height_m") == 12.0 and "wind_turbine" in catalogue
    assert load_catalogue([path]).model_of(entry) is mesh and len(reads) == 1
    model = tmp_path / "dish_mast.glb"
    os.utime(model, ns=(model.stat().st_atime_ns, model.stat().st_mtime_ns + 10**9))
    assert load_catalogue([path]).model_of(entry) is not mesh and len(reads) == 2


def test_model_files_that_cannot_be_read_or_scaled_are_refused(tmp_path: Path) -> None:
    path, _ = example_catalogue(tmp_path)
    text = path.read_text(encoding="utf-8")
    (tmp_path / "broken.glb").write_bytes(b"glTF\x02\x00\x00\x00garbage")
    key = r"\[entries\[0\]\.model"
    cases = {
        text.replace("dish_mast.glb", "broken.glb"): key + r"\] .*broken.glb is truncated",
        text.replace("dish_mast.glb", "gone.glb"): key + r"\] .*gone.glb is not a file",
        text.replace("0.01", "-1.0"): key + r"_scale\] -1 is not within",
    }
    for body, match in cases.items():
        path.write_text(body, encoding="utf-8")
        with pytest.raises(ProjectFileError, match=match) as caught:
            read_catalogue(path)
        assert "\n" not in str(caught.value)
        warnings: list[str] = []
        assert "dish_mast" not in load_catalogue([path], warnings=warnings) and warnings
    with pytest.raises(ValueError, match="model: is only for point entries, not a polygon"):
        CatalogueEntry(key="a", title="A", geometry="polygon", shape="pad", model=path)
    with pytest.raises(ValueError, match="model_scale"):
        CatalogueEntry(key="a", title="A", geometry="point", shape="box", model_scale=0.0)

