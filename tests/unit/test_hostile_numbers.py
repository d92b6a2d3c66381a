"""Hostile numbers in project files (issue 10): integers of hundreds of digits, origins and
cameras beyond any projected CRS, zero and parallel camera vectors. Each is a
ProjectFileError naming its key, with no numpy warning and no traceback."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

from twinscape.io.project_file import load_project
from twinscape.model.bookmarks import CameraView
from twinscape.model.errors import ProjectFileError

HUGE = "9" * 400
HEAD = 'schema_version = 1\n[project]\nname = "x"\ncrs = "EPSG:32636"\n'
LAYER = '[[layers]]\nkind = "terrain"\nsource = "dem.tif"\n'
VIEW = "position = [700000.0, 3500000.0, 900.0]\nfocal_point = [701000.0, 3501000.0, 0.0]\n"


@pytest.fixture(autouse=True)
def _no_warnings() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def load(tmp_path: Path, text: str) -> ProjectFileError:
    path = tmp_path / "hostile.toml"
    path.write_text(text)
    with pytest.raises(ProjectFileError) as caught:
        load_project(path)
    message = str(caught.value)
    assert str(path) in message and "\n" not in message and len(message) < 400
    return caught.value


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (HEAD + f"origin = [{HUGE}, 0.0, 0.0]\n", "project.origin"),
        (HEAD + f"origin = [-{HUGE}, 0.0, 0.0]\n", "project.origin"),
        (HEAD + LAYER + f"opacity = {HUGE}\n", "layers[0].opacity"),
        (HEAD + f"[clock]\nrate = {HUGE}\n", "clock.rate"),
        (HEAD + f"[view]\n{VIEW}view_angle = {HUGE}\n", "view.view_angle"),
        (HEAD + f"[view]\nposition = [{HUGE}, 0, 0]\nfocal_point = [0, 0, 0]\n", "view.position"),
        (HEAD + LAYER + f"[layers.style]\nsun_azimuth = {HUGE}\n", "layers[0].style.sun_azimuth"),
    ],
)
def test_integers_of_hundreds_of_digits_name_their_key(
    tmp_path: Path, text: str, key: str
) -> None:
    err = load(tmp_path, text)
    assert f"[{key}]" in str(err) and "characters)" in str(err)


@pytest.mark.parametrize(
    "origin", ["[1e308, 0.0, 0.0]", "[0.0, -1.7e308, 0.0]", "[2e8, 3e6, 0.0]",
               "[700000.0, 3500000.0, 1e30]", "[700000.0, 3500000.0, 2e5]"],
)  # fmt: skip
def test_origin_float32_cannot_place_is_rejected(tmp_path: Path, origin: str) -> None:
    err = load(tmp_path, HEAD + f"origin = {origin}\n")
    assert "[project.origin]" in str(err) and "beyond" in str(err)


def test_reasonable_origin_loads(tmp_path: Path) -> None:
    path = tmp_path / "fine.toml"
    path.write_text(HEAD + "origin = [700000.0, 3500000.0, -400.0]\n")
    project, _ = load_project(path)
    assert project.origin == (700000.0, 3500000.0, -400.0)


@pytest.mark.parametrize(
    ("view", "key", "problem"),
    [
        ("position = [1e300, 0.0, 0.0]\nfocal_point = [0.0, 0.0, 0.0]\n", "position", "beyond"),
        ("position = [0.0, 0.0, 0.0]\nfocal_point = [0.0, -1e300, 0.0]\n", "focal_point",
         "beyond"),
        ("position = [7e5, 3.5e6, 9e2]\nfocal_point = [7e5, 3.5e6, 9e2]\n", "focal_point",
         "differ"),
        (VIEW + "view_up = [0.0, 0.0, 0.0]\n", "view_up", "non-zero"),
        (VIEW + "view_up = [1e-320, 0.0, 0.0]\n", "view_up", "non-zero"),
    ],
)  # fmt: skip
def test_camera_that_cannot_be_drawn_is_rejected(
    tmp_path: Path, view: str, key: str, problem: str
) -> None:
    err = load(tmp_path, HEAD + "[view]\n" + view)
    assert f"[view.{key}]" in str(err) and problem in str(err)
    err = load(tmp_path, HEAD + '[[bookmarks]]\nname = "b"\n' + view)
    assert f"[bookmarks[0].{key}]" in str(err)


def test_camera_view_checks_without_numpy() -> None:
    view = CameraView(position=(0.0, -1.0, 1.0), focal_point=(0.0, 0.0, 0.0))
    assert view.view_up == (0.0, 0.0, 1.0)
    down = CameraView(position=(0.0, 0.0, 5.0), focal_point=(0.0, 0.0, 0.0))  # map view:
    assert down.view_up == (0.0, 0.0, 1.0)  # the scene shows it north up (test_render_scene)
    with pytest.raises(ValueError, match="^view_up: must be a non-zero"):
        CameraView(position=(0.0, 0.0, 5.0), focal_point=(0.0, 0.0, 0.0), view_up=(0, 0, 0))
    with pytest.raises(ValueError, match="^position: must hold finite"):
        CameraView(position=(float("nan"), 0.0, 5.0), focal_point=(0.0, 0.0, 0.0))
    with pytest.raises(ValueError, match="^focal_point: must differ"):
        CameraView(position=(0.0, 0.0, 1e-300), focal_point=(1e-300, 0.0, 0.0))


def test_origin_far_from_its_data_is_refused_and_nothing_stays_loaded(tmp_path: Path) -> None:
    """An origin every coordinate is valid for, but 45,000 km from the data: float32 cannot."""
    from twinscape.io.loading import open_project

    dem = Path(__file__).resolve().parents[2] / "assets" / "dem"
    source = next(dem.glob("*.tif"))
    path = tmp_path / "far.toml"
    path.write_text(HEAD + "origin = [50000000.0, 3500000.0, 0.0]\n"
                    f'[[layers]]\nkind = "terrain"\nsource = "{source}"\n')
    with pytest.raises(ProjectFileError) as caught:
        open_project(path)
    message = str(caught.value)
    assert "[project.origin]" in message and "km from the data" in message
    assert "\n" not in message
    # the same data with the origin near it loads
    path.write_text(HEAD + "origin = [740000.0, 3490000.0, 0.0]\n"
                    f'[[layers]]\nkind = "terrain"\nsource = "{source}"\n')
    project, _ = open_project(path)
    assert project.layers[0].loaded
