"""TerrainStyle.sun_from_clock: validated, saved in the project file and read back."""

from __future__ import annotations

from pathlib import Path

import pytest

from twinscape.io.project_file import load_project, save_project
from twinscape.model import Project, ProjectFileError, TerrainLayer
from twinscape.model.style import COLOUR_FIELDS, TerrainStyle

MINIMAL = """
schema_version = 1
[project]
name = "Test"
crs = "EPSG:32636"
origin = [700000.0, 3100000.0, 0.0]
[[layers]]
kind = "terrain"
name = "dem"
source = "data/dem.tif"
"""


def test_the_field_defaults_to_off_and_recolours() -> None:
    assert TerrainStyle().sun_from_clock is False
    assert "sun_from_clock" in COLOUR_FIELDS
    assert TerrainStyle(sun_from_clock=True).copy().sun_from_clock is True
    with pytest.raises(ValueError, match="sun_from_clock: must be true or false"):
        TerrainStyle(sun_from_clock="yes")  # type: ignore[arg-type]


@pytest.mark.parametrize("follow", [True, False])
def test_round_trip(tmp_path: Path, follow: bool) -> None:
    project = Project(name="Sun", crs="EPSG:32636", origin=(700000.0, 3100000.0, 0.0))
    style = TerrainStyle(sun_from_clock=follow, sun_azimuth=120.0, sun_altitude=30.0)
    project.layers.append(TerrainLayer(name="dem", source=tmp_path / "dem.tif", style=style))
    path = tmp_path / "sun.toml"
    save_project(project, path)
    text = path.read_text(encoding="utf-8")
    assert f"sun_from_clock = {str(follow).lower()}" in text
    loaded, warnings = load_project(path)
    assert warnings == []
    got = loaded.layers[0].style
    assert got.sun_from_clock is follow
    assert (got.sun_azimuth, got.sun_altitude) == (120.0, 30.0)  # the user's own sun is kept


def test_older_files_without_the_key_load_with_it_off(tmp_path: Path) -> None:
    path = tmp_path / "old.toml"
    path.write_text(MINIMAL + '[layers.style]\ncolormap = "gray"\n', encoding="utf-8")
    project, warnings = load_project(path)
    assert warnings == []
    assert project.layers[0].style.sun_from_clock is False


@pytest.mark.parametrize("value", ['"yes"', "1", "[true]"])
def test_a_bad_value_names_the_key(tmp_path: Path, value: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(MINIMAL + f"[layers.style]\nsun_from_clock = {value}\n", encoding="utf-8")
    with pytest.raises(ProjectFileError) as info:
        load_project(path)
    assert info.value.key == "layers[0].style.sun_from_clock"
    assert "true or false" in str(info.value)
    assert str(path) in str(info.value)
