"""Project files: round trip, validation messages, atomic saves (no Qt, no VTK)."""

from __future__ import annotations

import os
import stat
from datetime import datetime, timezone
from pathlib import Path

import pytest

from twinscape.io.project_file import SCHEMA_VERSION, load_project, save_project
from twinscape.model import Bookmark, CameraView, Project, ProjectFileError, TerrainLayer
from twinscape.model.style import TerrainStyle

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "scenes" / "deadsea_demo.toml"

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


def write(tmp_path: Path, text: str, name: str = "p.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def sample_project(tmp_path: Path) -> Project:
    project = Project(name="Aqaba plan", crs="EPSG:32636", origin=(700000.0, 3100000.0, 0.0))
    style = TerrainStyle(
        colormap="mountain",
        elevation_range=(-400.0, 2000.0),
        sun_azimuth=270.0,
        vertical_exaggeration=3.0,
        hillshade=False,
    )
    project.layers.append(
        TerrainLayer(
            name="dem",
            source=tmp_path / "data" / "dem.tif",
            opacity=0.5,
            style=style,
            visible=False,
            attribution="SRTM, courtesy of the U.S. Geological Survey",
        )
    )
    project.bookmarks.append(
        Bookmark(
            name="Ridge",
            view=CameraView(
                position=(700100.5, 3099000.25, 2500.0), focal_point=(701000.0, 3100500.0, 900.0)
            ),
        )
    )
    project.view = CameraView(
        position=(1.0, 2.0, 3.0), focal_point=(4.0, 5.0, 6.0), view_angle=25.0
    )
    project.clock.set_time(project.clock.start)
    return project


def test_round_trip_keeps_everything(tmp_path: Path) -> None:
    project = sample_project(tmp_path)
    path = save_project(project, tmp_path / "plan.toml")
    loaded, warnings = load_project(path)
    assert warnings == []
    assert loaded.path == path
    assert (loaded.name, loaded.crs, loaded.origin) == (project.name, project.crs, project.origin)
    assert loaded.view == project.view
    [layer] = loaded.layers
    original = project.layers[0]
    assert isinstance(layer, TerrainLayer)
    assert layer.source == original.source
    assert (layer.id, layer.name, layer.visible, layer.opacity, layer.attribution) == (
        original.id,
        original.name,
        original.visible,
        original.opacity,
        "SRTM, courtesy of the U.S. Geological Survey",
    )
    for field in (
        "colormap",
        "elevation_range",
        "sun_azimuth",
        "vertical_exaggeration",
        "hillshade",
    ):
        assert getattr(layer.style, field) == getattr(original.style, field)
    assert [(m.name, m.view) for m in loaded.bookmarks] == [("Ridge", project.bookmarks[0].view)]
    assert loaded.clock.current == project.clock.current
    assert loaded.clock.current.tzinfo is not None


def test_paths_are_relative_to_the_project_file(tmp_path: Path) -> None:
    project = sample_project(tmp_path)
    path = save_project(project, tmp_path / "plan.toml")
    text = path.read_text(encoding="utf-8")
    assert 'source = "data/dem.tif"' in text
    assert f"schema_version = {SCHEMA_VERSION}" in text


def test_save_is_atomic_and_keeps_a_backup(tmp_path: Path) -> None:
    project = sample_project(tmp_path)
    path = save_project(project, tmp_path / "plan.toml")
    first = path.read_text(encoding="utf-8")
    project.name = "Renamed"
    save_project(project)
    assert (tmp_path / "plan.toml.bak").read_text(encoding="utf-8") == first
    assert 'name = "Renamed"' in path.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.toml", "plan.toml.bak"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_save_keeps_the_permissions_a_user_expects(tmp_path: Path) -> None:
    project = sample_project(tmp_path)
    umask = os.umask(0o022)
    try:
        path = save_project(project, tmp_path / "plan.toml")
        assert stat.S_IMODE(path.stat().st_mode) == 0o644  # not mkstemp's 0600
        path.chmod(0o640)  # shared with the planning group
        save_project(project)
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
    finally:
        os.umask(umask)


def test_failed_save_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = sample_project(tmp_path)
    path = save_project(project, tmp_path / "plan.toml")
    before = path.read_bytes()

    def broken_replace(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("twinscape.io.project_save.os.replace", broken_replace)
    with pytest.raises(ProjectFileError, match="No space left"):
        save_project(project)
    assert path.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".tmp"]


def test_unsaved_project_needs_a_name() -> None:
    with pytest.raises(ProjectFileError, match="Save As"):
        save_project(Project())


def test_demo_scene_is_valid() -> None:
    project, warnings = load_project(DEMO)
    assert warnings == []
    assert project.crs == "EPSG:32636"
    assert project.layers[0].source.exists()
    assert len(project.bookmarks) >= 2


@pytest.mark.parametrize(
    ("replace", "by", "key", "problem"),
    [
        ('name = "dem"', "name = 5", "layers[0].name", "non-empty string"),
        ('kind = "terrain"', 'kind = "pointcloud"', "layers[0].kind", "unknown layer kind"),
        ('source = "data/dem.tif"', "", "layers[0].source", "required"),
        ("origin = [700000.0, 3100000.0, 0.0]", "origin = [1, 2]", "project.origin", "3 numbers"),
        ("schema_version = 1", 'schema_version = "one"', "schema_version", "positive integer"),
        ('crs = "EPSG:32636"', 'crs = "EPSG:bogus"', "project.crs", "not a coordinate"),
        ('crs = "EPSG:32636"', 'crs = "EPSG:4326"', "project.crs", "not projected in metres"),
        (
            'source = "data/dem.tif"',
            'source = "d.tif"\nopacity = 1.5',
            "layers[0].opacity",
            "not within 0.0..1.0",
        ),
        (
            'source = "data/dem.tif"',
            'source = "d.tif"\nattribution = 3',
            "layers[0].attribution",
            "string",
        ),
        (
            'source = "data/dem.tif"',
            'source = "d.tif"\n[layers.style]\ncolormap = "rainbow"',
            "layers[0].style.colormap",
            "unknown ramp",
        ),
        (
            'source = "data/dem.tif"',
            'source = "d.tif"\n[layers.style]\nsun_altitude = 95',
            "layers[0].style.sun_altitude",
            "0..90",
        ),
    ],
)
def test_invalid_values_name_the_key(
    tmp_path: Path, replace: str, by: str, key: str, problem: str
) -> None:
    path = write(tmp_path, MINIMAL.replace(replace, by))
    with pytest.raises(ProjectFileError) as info:
        load_project(path)
    assert info.value.key == key
    assert problem in str(info.value)
    assert str(path) in str(info.value)


def test_naive_clock_time_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "[clock]\nstart = 2026-01-01T00:00:00\n")
    with pytest.raises(ProjectFileError, match=r"\[clock.start\].*timezone"):
        load_project(path)


def test_clock_times_are_utc(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "[clock]\nstart = 2026-01-01T03:00:00+03:00\n")
    project, _ = load_project(path)
    assert project.clock.start == datetime(2026, 1, 1, 0, 0, tzinfo=timezone.utc)
    assert project.clock.start.utcoffset().total_seconds() == 0


def test_unknown_keys_and_newer_versions_are_reported(tmp_path: Path) -> None:
    text = MINIMAL.replace("schema_version = 1", "schema_version = 7\nfuture = true")
    text = text.replace('name = "dem"', 'name = "dem"\nshader = "pbr"')
    project, warnings = load_project(write(tmp_path, text))
    assert len(project.layers) == 1
    joined = "\n".join(warnings)
    assert "newer Twinscape (schema 7" in joined
    assert "[future] unknown key" in joined
    assert "[layers[0].shader] unknown key" in joined


@pytest.mark.parametrize(
    "payload",
    [b"schema_version = 1\n[project\nname=", b"\xff\xfe\x00garbage", b""],
    ids=["truncated", "binary", "empty"],
)
def test_broken_files_give_one_clear_error(tmp_path: Path, payload: bytes) -> None:
    path = tmp_path / "broken.toml"
    path.write_bytes(payload)
    with pytest.raises(ProjectFileError) as info:
        load_project(path)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_project_files_never_execute_code(tmp_path: Path) -> None:
    path = write(
        tmp_path, MINIMAL.replace('name = "dem"', "name = \"__import__('os').system('x')\"")
    )
    project, _ = load_project(path)
    assert project.layers[0].name == "__import__('os').system('x')"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ProjectFileError, match="does not exist"):
        load_project(tmp_path / "nope.toml")


def test_duplicate_bookmark_names(tmp_path: Path) -> None:
    mark = '[[bookmarks]]\nname = "A"\nposition = [0, 0, 10]\nfocal_point = [0, 1, 0]\n'
    with pytest.raises(ProjectFileError, match="duplicate bookmark"):
        load_project(write(tmp_path, MINIMAL + mark + mark))
