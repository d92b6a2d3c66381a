"""Cameras in real metres: the drawn/real conversion, old project files and old PNGs (no VTK)."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from twinscape.io.png_provenance import provenance_text, read_provenance
from twinscape.io.project_file import SCHEMA_VERSION, load_project, save_project
from twinscape.model import CameraView, Project, ProjectFileError, TerrainLayer
from twinscape.model.bookmarks import scale_view_z
from twinscape.model.style import TerrainStyle

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def test_stretching_heights_moves_z_about_the_base_and_keeps_up_level() -> None:
    view = CameraView(position=(10.0, -1000.0, 1100.0), focal_point=(10.0, 0.0, 100.0))
    drawn = scale_view_z(view, 3.0, base_z=100.0)
    assert drawn.position == (10.0, -1000.0, 3100.0)
    assert drawn.focal_point == (10.0, 0.0, 100.0)  # on the base: does not move
    # sight (0, 1, -3)/sqrt(10): the level up is (0, 3, 1)/sqrt(10)
    assert np.allclose(drawn.view_up, np.array([0.0, 3.0, 1.0]) / math.sqrt(10.0))
    back = scale_view_z(drawn, 1.0 / 3.0, base_z=100.0)
    assert np.allclose(back.position, view.position) and back.focal_point == view.focal_point
    assert np.allclose(back.view_up, np.array([0.0, 1.0, 1.0]) / math.sqrt(2.0))


def test_stretching_keeps_the_roll_and_a_map_view() -> None:
    # looking north 45 degrees down, rolled 30 degrees to the right (east)
    level = np.array([0.0, 1.0, 1.0]) / math.sqrt(2.0)
    up = math.cos(math.radians(30)) * level + math.sin(math.radians(30)) * np.array([1, 0, 0])
    view = CameraView(position=(0.0, -500.0, 500.0), focal_point=(0.0, 0.0, 0.0),
                      view_up=tuple(up))  # fmt: skip
    drawn = scale_view_z(view, 2.0)
    new_level = np.array([0.0, 2.0, 1.0]) / math.sqrt(5.0)  # for the sight (0, 1, -2)
    expected = math.cos(math.radians(30)) * new_level + math.sin(math.radians(30)) * np.array(
        [1.0, 0.0, 0.0]
    )
    assert np.allclose(drawn.view_up, expected)
    down = CameraView(position=(5.0, 5.0, 900.0), focal_point=(5.0, 5.0, 0.0), view_up=(0, 1, 0))
    assert scale_view_z(down, 4.0).view_up == (0.0, 1.0, 0.0)
    assert scale_view_z(down, 4.0).position == (5.0, 5.0, 3600.0)
    with pytest.raises(ValueError, match="factor"):
        scale_view_z(view, 0.0)


def _old_file(tmp_path: Path, *, schema: int = 1, layers: str = "", origin_z: float = 50.0) -> Path:
    """A project with a camera written by hand: the focal point 450 m drawn above the origin."""
    text = (
        f'schema_version = {schema}\n[project]\nname = "old"\ncrs = "EPSG:32636"\n'
        f"origin = [700000.0, 3100000.0, {origin_z!r}]\n{layers}\n"
        "[view]\nposition = [700000.0, 3098000.0, 2050.0]\n"
        "focal_point = [700000.0, 3100000.0, 500.0]\n\n"
        '[[bookmarks]]\nname = "a"\nposition = [701000.0, 3099000.0, 1050.0]\n'
        "focal_point = [700500.0, 3100000.0, 50.0]\nview_up = [0.0, 0.0, 1.0]\n"
    )
    path = tmp_path / "old.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _terrain(name: str, ve: float, visible: bool = True) -> str:
    return (
        f'[[layers]]\nkind = "terrain"\nname = "{name}"\nsource = "{name}.tif"\n'
        f"visible = {str(visible).lower()}\n[layers.style]\nvertical_exaggeration = {ve!r}\n"
    )


def test_an_old_file_has_its_cameras_divided_by_its_ground_exaggeration(tmp_path: Path) -> None:
    # the topmost visible ground decides: the hidden 4 x terrain on top does not
    layers = _terrain("base", 2.5) + _terrain("hidden", 4.0, visible=False)
    project, warnings = load_project(_old_file(tmp_path, layers=layers))
    assert warnings == []
    assert project.view is not None
    assert project.view.focal_point == pytest.approx((700000.0, 3100000.0, 50.0 + 450.0 / 2.5))
    assert project.view.position == pytest.approx((700000.0, 3098000.0, 50.0 + 2000.0 / 2.5))
    mark = project.bookmarks[0].view
    assert mark.focal_point[2] == pytest.approx(50.0)  # at the origin's height: stays
    assert mark.position[2] == pytest.approx(50.0 + 1000.0 / 2.5)
    sight = np.subtract(mark.focal_point, mark.position)
    assert abs(np.dot(sight, mark.view_up)) < 1e-9 * np.linalg.norm(sight)

    saved = save_project(project, tmp_path / "new.toml")
    data = tomllib.loads(saved.read_text(encoding="utf-8"))  # read back by tomllib itself
    assert data["schema_version"] == SCHEMA_VERSION == 2
    assert data["view"]["focal_point"] == pytest.approx([700000.0, 3100000.0, 230.0])
    assert data["bookmarks"][0]["position"][2] == pytest.approx(450.0)
    again, _ = load_project(saved)  # converted once, never twice
    assert again.view == project.view and again.bookmarks[0].view == mark


@pytest.mark.parametrize(
    ("schema", "layers", "note"),
    [
        (1, "", None),  # no ground: drawn at 1, nothing to convert
        (1, _terrain("flat", 1.0), None),
        (2, _terrain("dem", 3.0), None),  # already metres
        (3, _terrain("dem", 3.0), "newer Twinscape"),  # a newer file: metres as well
    ],
)
def test_files_in_metres_or_at_exaggeration_1_keep_their_numbers(
    tmp_path: Path, schema: int, layers: str, note: str | None
) -> None:
    project, warnings = load_project(_old_file(tmp_path, schema=schema, layers=layers))
    assert project.view is not None
    assert project.view.position == (700000.0, 3098000.0, 2050.0)
    assert project.view.focal_point == (700000.0, 3100000.0, 500.0)
    assert (note is None) == (warnings == []) and all(note in w for w in warnings)


def test_an_old_camera_beyond_any_crs_in_metres_is_a_one_line_error(tmp_path: Path) -> None:
    path = _old_file(tmp_path, layers=_terrain("dem", 0.05), origin_z=0.0)
    text = path.read_text(encoding="utf-8").replace("1050.0]", "9e7]")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProjectFileError) as caught:
        load_project(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    assert "[bookmarks[0]]" in message and "exaggeration 0.05" in message


def _project(ve: float) -> Project:
    project = Project(name="p", crs="EPSG:32636", origin=(700000.0, 3100000.0, 100.0))
    layer = TerrainLayer(name="dem", source=Path("dem.tif"),
                         style=TerrainStyle(vertical_exaggeration=ve))  # fmt: skip
    project.layers.append(layer)
    return project


def test_a_new_png_carries_metres_and_an_old_one_is_converted(tmp_path: Path) -> None:
    view = CameraView(position=(700000.0, 3098000.0, 1100.0), focal_point=(700000.0, 3100000.0,
                      -200.0), view_angle=40.0)  # fmt: skip
    new = tmp_path / "new.png"
    info = PngInfo()
    for key, value in provenance_text(_project(2.0), view).items():
        info.add_text(key, value)
    Image.new("RGB", (4, 4)).save(new, pnginfo=info)
    with Image.open(new) as png:
        assert json.loads(png.text["twinscape:camera"])["z"] == "metres"
    found = read_provenance(new)
    assert found is not None and not found.heights_drawn
    assert found.real_camera(_project(3.0)) == view  # metres: never rescaled

    # Twinscape 0.1 wrote the camera as drawn, with no "z": heights over the origin (100 m)
    # are divided by the exaggeration of the project it is opened in.
    old = tmp_path / "old.png"
    info = PngInfo()
    camera = {"position": [700000.0, 3098000.0, 100.0 + 2 * 1000.0],
              "focal_point": [700000.0, 3100000.0, 100.0 - 2 * 300.0],
              "view_up": [0.0, 0.0, 1.0], "view_angle": 40.0}  # fmt: skip
    info.add_text("twinscape:camera", json.dumps(camera))
    info.add_text("twinscape:version", "0.1.0")
    Image.new("RGB", (4, 4)).save(old, pnginfo=info)
    found = read_provenance(old)
    assert found is not None and found.heights_drawn
    real = found.real_camera(_project(2.0))
    assert real is not None
    assert real.position == pytest.approx(view.position)
    assert real.focal_point == pytest.approx(view.focal_point)
    assert real.view_angle == 40.0
