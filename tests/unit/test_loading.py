"""Loading projects and data into the model (no Qt, no VTK)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from twinscape.io.loading import apply_load, load_file, open_data_files, open_project
from twinscape.io.project_file import load_project, save_project
from twinscape.model import CRSError, Project, ReaderError, TerrainLayer

PROJECT = """
schema_version = 1
[project]
name = "Site"
[[layers]]
kind = "terrain"
name = "survey"
source = "survey.tif"
{extra}
[[layers]]
kind = "terrain"
name = "gone"
source = "moved_away.tif"
"""


def survey_without_crs(write_geotiff) -> Path:  # noqa: ANN001
    values = np.linspace(100.0, 400.0, 40 * 50, dtype=np.float32).reshape(40, 50)
    return write_geotiff(values, name="survey.tif", crs=None)


def test_a_file_without_crs_is_an_error_unless_the_layer_assumes_one(
    tmp_path: Path, write_geotiff
) -> None:  # noqa: ANN001
    survey_without_crs(write_geotiff)
    plain = tmp_path / "plain.toml"
    plain.write_text(PROJECT.format(extra=""))
    with pytest.raises(CRSError, match='assume_crs = "EPSG:xxxx"'):
        open_project(plain)

    assumed = tmp_path / "assumed.toml"
    assumed.write_text(PROJECT.format(extra='assume_crs = "EPSG:32636"'))
    project, warnings = open_project(assumed, keep_broken=True)
    survey = project.layers[0]
    assert isinstance(survey, TerrainLayer) and survey.grid is not None
    assert survey.source_crs == "EPSG:32636" and project.crs == "EPSG:32636"
    assert len(warnings) == 1 and "'gone' is not loaded" in warnings[0]
    assert "moved_away.tif: file does not exist" in warnings[0]

    save_project(project, tmp_path / "saved.toml")
    again, _ = load_project(tmp_path / "saved.toml")
    assert [layer.assume_crs for layer in again.layers] == ["EPSG:32636", None]
    assert again.layers[1].source == tmp_path / "moved_away.tif", "a broken layer is kept"


def test_a_broken_layer_fails_the_whole_open_by_default(tmp_path: Path, write_geotiff) -> None:  # noqa: ANN001
    survey_without_crs(write_geotiff)
    path = tmp_path / "p.toml"
    path.write_text(PROJECT.format(extra='assume_crs = "EPSG:32636"'))
    with pytest.raises(ReaderError, match="moved_away.tif: file does not exist"):
        open_project(path)


def test_an_invalid_assumed_crs_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(PROJECT.format(extra='assume_crs = "EPSG:nope"'))
    with pytest.raises(ValueError, match=r"\[layers\[0\]\.assume_crs\]"):
        load_project(path)


def test_data_files_make_a_project_in_the_utm_zone_of_the_first(write_geotiff) -> None:  # noqa: ANN001
    from affine import Affine

    values = np.full((30, 30), 250.0, dtype=np.float32)
    geographic = write_geotiff(
        values, name="geo.tif", crs="EPSG:4326", transform=Affine(0.001, 0, 39.1, 0, -0.001, 21.5)
    )
    project, warnings = open_data_files([geographic])
    assert warnings == []
    assert project.crs == "EPSG:32637", "39.1E 21.5N (Jeddah) is in UTM zone 37N"
    assert project.name == "geo"
    assert project.origin is not None
    layer = project.layers[0]
    x0, y0, x1, y1 = layer.bounds
    assert x0 <= project.origin[0] <= x1 and y0 <= project.origin[1] <= y1


def test_adding_data_in_another_crs_reprojects_it_to_the_project(write_geotiff) -> None:  # noqa: ANN001
    from affine import Affine

    values = np.full((20, 20), 10.0, dtype=np.float32)
    utm37 = write_geotiff(
        values, name="a.tif", crs="EPSG:32637", transform=Affine(30, 0, 500000, 0, -30, 2380000)
    )
    project = Project(crs="EPSG:32636")
    layer = apply_load(project, load_file(utm37, project_crs=project.crs))
    assert layer.grid is not None and layer.grid.crs == "EPSG:32636"
    assert layer.source_crs == "EPSG:32637"


def test_a_dem_too_large_to_hold_is_read_on_demand_not_averaged(
    write_geotiff,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from twinscape.io.kinds import terrain
    from twinscape.model.terrain import PagedTerrainLayer

    monkeypatch.setattr(terrain, "MAX_TERRAIN_CELLS", 10_000)
    rows, cols = 300, 240
    ramp = np.add.outer(np.arange(rows), np.arange(cols)).astype(np.float32)
    big = write_geotiff(ramp, name="lidar.tif")
    project, warnings = open_data_files([big])
    layer = project.layers[0]
    assert isinstance(layer, PagedTerrainLayer) and layer.dem is not None
    assert layer.dem.shape == (rows, cols) and not warnings
    footprint = (700000.0, 3500000.0 - 30 * rows, 700000.0 + 30 * cols, 3500000.0)
    assert layer.grid.bounds == pytest.approx(footprint, abs=layer.grid.resolution[0])
    # full resolution at a cell centre, as the file holds it
    assert layer.elevation_at(700000.0 + 30 * 20.5, 3500000.0 - 30 * 10.5) == ramp[10, 20]
