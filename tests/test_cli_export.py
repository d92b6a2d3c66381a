"""``twinscape export`` (cli_export.py) through a parser built with add_export_parser.

The files written are read back with trimesh (GLB, OBJ) and pyvista (VTM); bad arguments
give one-line errors before anything is loaded.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import NoReturn

os.environ.setdefault("PYVISTA_OFF_SCREEN", "true")

import pytest  # noqa: E402
import pyvista as pv  # noqa: E402
import trimesh  # noqa: E402

from twinscape.cli_export import ExportCliError, add_export_parser, run_export  # noqa: E402
from twinscape.model.errors import TwinscapeError  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "scenes" / "deadsea_demo.toml"
DEM = REPO / "assets" / "dem" / "deadsea_n31e035_srtm3_utm36n_90m.tif"


class _ParserError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _ParserError(message)


def parse(*argv: str | Path) -> argparse.Namespace:
    parser = _Parser(prog="twinscape")
    add_export_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["export", *map(str, argv)])


def export(*argv: str | Path) -> int:
    return run_export(parse(*argv))


def test_glb_of_the_demo_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sub" / "demo.glb"
    assert export(DEMO, "--out", out, "--terrain-level", "2") == 0
    assert "wrote" in capsys.readouterr().out
    scene = trimesh.load(out)
    assert sorted(scene.geometry) == sorted(
        ["Dead Sea SRTM 90 m", "New town (plan)", "Town sensors (simulated)"]
    )
    assert scene.metadata["twinscape"]["crs"] == "EPSG:32636"


def test_obj_and_vtm_of_a_data_file(tmp_path: Path) -> None:
    assert export(DEM, "--format", "obj", "--out", tmp_path / "dem.obj",
                  "--terrain-level", "3") == 0  # fmt: skip
    assert (tmp_path / "dem.mtl").is_file()
    loaded = trimesh.load(tmp_path / "dem.obj", process=False, force="mesh")
    assert len(loaded.faces) == 40_150  # the DEM at level 3
    assert export(DEM, "-o", tmp_path / "dem.vtm", "--terrain-level", "full") == 0
    blocks = pv.read(tmp_path / "dem.vtm")
    assert len(blocks) == 1 and blocks[0].n_cells > 2_000_000


def test_terrain_level_values() -> None:
    assert parse(DEM, "--out", "x.glb", "--terrain-level", "full").terrain_level == 0
    assert parse(DEM, "--out", "x.glb", "--terrain-level", "4").terrain_level == 4
    for bad in ("-1", "coarse", "99"):
        with pytest.raises(_ParserError, match="terrain level"):
            parse(DEM, "--out", "x.glb", "--terrain-level", bad)


def test_bad_format_is_refused_by_the_parser() -> None:
    with pytest.raises(_ParserError, match="invalid choice"):
        parse(DEM, "--format", "stl", "--out", "x.stl")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--format", "obj", "--out", "scene.glb"), "obj files end in .obj, not .glb"),
        (("--out", "scene.stl"), "unknown export format .stl"),
        (("--out", "scene"), "unknown export format (no suffix)"),
    ],
)
def test_out_and_format_must_agree(tmp_path: Path, argv: tuple[str, ...], message: str) -> None:
    args = [a if not a.startswith("scene") else str(tmp_path / a) for a in argv]
    with pytest.raises(ExportCliError, match=message.replace("(", r"\(").replace(")", r"\)")):
        export(DEMO, *args)


def test_unwritable_out_is_refused_before_loading(tmp_path: Path) -> None:
    missing_input = tmp_path / "nothing.tif"  # would fail to load: the --out error comes first
    folder = tmp_path / "folder.glb"
    folder.mkdir()
    with pytest.raises(ExportCliError, match="--out is a folder"):
        export(missing_input, "--out", folder)
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(ExportCliError, match="is a file, not a folder"):
        export(missing_input, "--out", a_file / "scene.glb")
    (tmp_path / "scene.mtl").mkdir()
    with pytest.raises(ExportCliError, match="not a regular file"):
        export(missing_input, "--out", tmp_path / "scene.obj")


def test_empty_scene_is_one_line(tmp_path: Path) -> None:
    text = DEMO.read_text().replace('source = "../', f'source = "{REPO}/')
    project = tmp_path / "hidden.toml"
    project.write_text(text.replace("visible = true", "visible = false"))
    with pytest.raises(TwinscapeError, match="nothing to export") as caught:
        export(project, "--out", tmp_path / "hidden.glb")
    assert "\n" not in str(caught.value)
    assert not (tmp_path / "hidden.glb").exists()
