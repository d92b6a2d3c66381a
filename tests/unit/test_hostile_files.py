"""Hostile files: pipes, devices, link loops, odd project files and huge projects (issue 10).

Every case must end in one line naming the file (a :class:`ReaderError` or
:class:`ProjectFileError`), quickly, and never block on a pipe or read a device forever.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from twinscape.cli import main
from twinscape.io.file_checks import read_head, read_regular_file, resolve_path
from twinscape.io.formats import classify_path
from twinscape.io.loading import load_file, new_layer, open_project
from twinscape.io.project_file import (
    MAX_BOOKMARKS,
    MAX_LAYERS,
    MAX_PROJECT_BYTES,
    load_project,
)
from twinscape.model import ProjectFileError
from twinscape.model.errors import ReaderError, TwinscapeError

pytestmark = pytest.mark.skipif(os.name != "posix", reason="FIFOs, devices and symlinks")

REPO = Path(__file__).resolve().parents[2]
HISTORY = REPO / "assets" / "sensors" / "newtown_history.parquet"
HEAD = 'schema_version = 1\n[project]\nname = "hostile"\ncrs = "EPSG:32636"\n'

#: (layer kind, file name, extra keys) of a layer source of every kind and format.
SOURCES = [
    ("terrain", "dem.tif", ""),
    ("terrain", "n31e035.hgt.zip", ""),
    ("buildings", "footprints.gpkg", ""),
    ("buildings", "footprints.geojson", ""),
    ("buildings", "city.city.json", ""),
    ("buildings", "city.city.jsonl", ""),
    ("model", "tower.glb", ""),
    ("model", "tower.gltf", ""),
    ("model", "tower.obj", ""),
    ("sensors", "observations.csv", ""),
    ("sensors", "observations.parquet", ""),
    ("sensors", "stations.geojson", ""),
]
SOURCE_IDS = [name for _kind, name, _extra in SOURCES]


def finishes(call: Callable[[], Any], unblock: Path | None = None, seconds: float = 20.0) -> Any:
    """Run ``call`` in a thread and return what it returns or raise what it raises.

    Fails (instead of hanging the suite) when it takes longer than ``seconds``; a FIFO
    ``unblock`` is then opened for writing so that a blocked reader comes back.
    """
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as err:  # noqa: BLE001 - handed to the test thread
            outcome["error"] = err

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        if unblock is not None:
            os.close(os.open(unblock, os.O_RDWR))
        pytest.fail(f"still running after {seconds} s: blocked on a file?")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def project_with(tmp_path: Path, body: str, name: str = "p.toml") -> Path:
    path = tmp_path / name
    path.write_text(HEAD + body, encoding="utf-8")
    return path


def layer_table(kind: str, source: str | Path, extra: str = "") -> str:
    return f'[[layers]]\nkind = "{kind}"\nsource = "{source}"\n{extra}\n'


def cli_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run the CLI in-process; the one error line it prints (exit code 2 asserted)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYVISTA_OFF_SCREEN", "true")  # ``render`` sets it: keep it to this call
        assert finishes(lambda: main(list(argv))) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("twinscape: error: ")
    return err[0]


# -- project files that are not regular files --------------------------------------------
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_a_device_as_project_file_is_refused_by_its_stat(tmp_path: Path, device: str) -> None:
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    link = tmp_path / "plan.toml"
    link.symlink_to(device)
    with pytest.raises(ProjectFileError, match="not a regular file") as info:
        finishes(lambda: load_project(link))
    assert str(link) in str(info.value) and "\n" not in str(info.value)


def test_a_fifo_as_project_file_never_blocks(tmp_path: Path) -> None:
    fifo = tmp_path / "plan.toml"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(ProjectFileError, match="pipe"):
        finishes(lambda: load_project(fifo), unblock=fifo)
    with pytest.raises(ProjectFileError, match="pipe"):
        finishes(lambda: open_project(fifo), unblock=fifo)
    assert classify_path(fifo) == "project"
    assert time.monotonic() - started < 5


def test_a_folder_and_a_link_loop_as_project_file(tmp_path: Path) -> None:
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    with pytest.raises(ProjectFileError, match="folder"):
        load_project(folder)
    loop = tmp_path / "loop.toml"
    loop.symlink_to(loop)
    with pytest.raises(ProjectFileError, match="symbolic link that loops") as info:
        load_project(loop)
    assert str(loop) in str(info.value)
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.symlink_to(b)
    b.symlink_to(a)
    with pytest.raises(ProjectFileError, match="loops"):
        load_project(a)


def test_a_project_file_over_the_size_cap_is_not_read(tmp_path: Path) -> None:
    big = tmp_path / "big.toml"
    with open(big, "wb") as handle:  # sparse: nothing is written, the size says it all
        handle.truncate(MAX_PROJECT_BYTES + 1)
    started = time.monotonic()
    with pytest.raises(ProjectFileError, match="over the .* limit") as info:
        load_project(big)
    assert time.monotonic() - started < 1
    assert str(big) in str(info.value)


def test_read_regular_file_stops_at_its_cap(tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(b"x" * 100)
    assert read_regular_file(path, max_bytes=100) == b"x" * 100
    with pytest.raises(ReaderError, match="limit"):
        read_regular_file(path, max_bytes=99)


# -- project-file parsing ----------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "a = " + "[" * 500 + "]" * 500,
        "a = " + "[" * 100_000 + "]" * 100_000,
        "a = " + "{x = " * 500 + "1" + "}" * 500,
        "a = " + "{x = " * 50_000 + "1" + "}" * 50_000,
        HEAD + "[[layers]]\nkind = " + "[" * 3000,
        "a = [" + "{b = [" * 400 + "]}" * 400 + "]",
    ],
    ids=["arrays-500", "arrays-100k", "tables-500", "tables-50k", "unclosed", "mixed"],
)
def test_deeply_nested_toml_is_a_project_file_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "deep.toml"
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(ProjectFileError) as info:
        finishes(lambda: load_project(path))
    message = str(info.value)
    assert message.startswith(f"{path}:") and "\n" not in message and len(message) < 300


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b'schema_version = 1\n[project]\nname = "\xff\xfe"\n', "not UTF-8 text (byte 0xff"),
        (b'schema_version = 1\n[project]\nname = "caf\xe9"\n', "0xe9 at line 3, column 12"),
        (b"schema_version = 1\x00\n[project]\n", "NUL byte (line 1, column 19)"),
        ("schema_version = 1\n".encode("utf-16"), "UTF-16"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "NUL byte"),
        (b"schema_version = " + b"9" * 5000 + b"\n", "not valid TOML"),
        (b"\xef\xbb\xbf\xef\xbb\xbfschema_version = 1\n", "not valid TOML"),
    ],
    ids=["utf8-ff", "latin1", "nul", "utf16", "png", "huge-int", "two-boms"],
)
def test_binary_and_misencoded_project_files(
    tmp_path: Path, payload: bytes, expected: str
) -> None:
    path = tmp_path / "odd.toml"
    path.write_bytes(payload)
    with pytest.raises(ProjectFileError) as info:
        load_project(path)
    assert expected in str(info.value)
    assert str(info.value).startswith(f"{path}:") and "\n" not in str(info.value)


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + HEAD.encode())
    project, _warnings = load_project(path)
    assert project.name == "hostile"


def test_a_nul_or_empty_source_names_the_key(tmp_path: Path) -> None:
    path = project_with(tmp_path, layer_table("terrain", "dem\\u0000.tif"))
    with pytest.raises(ProjectFileError, match=r"\[layers\[0\]\.source\] holds a NUL"):
        load_project(path)
    path = project_with(tmp_path, layer_table("terrain", " "))
    with pytest.raises(ProjectFileError, match=r"\[layers\[0\]\.source\]"):
        load_project(path)


# -- many layers and bookmarks -----------------------------------------------------------
def test_ten_thousand_layers_are_refused_quickly(
    tmp_path: Path, demo_utm: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tables = (layer_table("terrain", demo_utm, f'id = "t{i}"') for i in range(10_000))
    path = project_with(tmp_path, "".join(tables))
    started = time.monotonic()
    with pytest.raises(ProjectFileError) as info:
        load_project(path)
    assert time.monotonic() - started < 5
    assert info.value.key == "layers" and f"more than the {MAX_LAYERS}" in str(info.value)
    line = cli_error(capsys, "validate", str(path))
    assert "[layers]" in line


def test_ten_thousand_bookmarks_are_refused_quickly(tmp_path: Path) -> None:
    view = "position = [700000.0, 3090000.0, 5000.0]\nfocal_point = [700000.0, 3100000.0, 0.0]\n"
    marks = "".join(f'[[bookmarks]]\nname = "b{i}"\n{view}' for i in range(10_000))
    path = project_with(tmp_path, marks)
    started = time.monotonic()
    with pytest.raises(ProjectFileError) as info:
        load_project(path)
    assert time.monotonic() - started < 5
    assert info.value.key == "bookmarks"
    ok = project_with(
        tmp_path, "".join(f'[[bookmarks]]\nname = "b{i}"\n{view}' for i in range(MAX_BOOKMARKS))
    )
    assert len(load_project(ok)[0].bookmarks) == MAX_BOOKMARKS


def test_the_most_layers_a_project_holds_load_quickly(tmp_path: Path) -> None:
    tables = (layer_table("terrain", f"missing{i}.tif", f'id = "t{i}"') for i in range(MAX_LAYERS))
    path = project_with(tmp_path, "".join(tables))
    started = time.monotonic()
    project, _warnings = load_project(path)
    assert len(project.layers) == MAX_LAYERS
    assert time.monotonic() - started < 10
    with pytest.raises(ReaderError, match="does not exist"):
        open_project(path)


# -- layer sources that are not regular files --------------------------------------------
def _source_project(tmp_path: Path, kind: str, source: Path, demo_utm: Path) -> Path:
    ground = layer_table("terrain", demo_utm) if kind == "model" else ""
    return project_with(tmp_path, ground + layer_table(kind, source))


@pytest.mark.parametrize(("kind", "name", "extra"), SOURCES, ids=SOURCE_IDS)
def test_a_fifo_layer_source_never_blocks(
    tmp_path: Path, demo_utm: Path, kind: str, name: str, extra: str
) -> None:
    fifo = tmp_path / name
    os.mkfifo(fifo)
    project = _source_project(tmp_path, kind, fifo, demo_utm)
    with pytest.raises(ReaderError, match="not a regular file") as info:
        finishes(lambda: open_project(project), unblock=fifo)
    assert str(fifo) in str(info.value)
    with pytest.raises(ReaderError, match="not a regular file"):  # as given on the CLI
        finishes(lambda: load_file(fifo, project_crs="EPSG:32636"), unblock=fifo)


def test_a_fifo_stations_source_never_blocks(tmp_path: Path) -> None:
    fifo = tmp_path / "stations.geojson"
    os.mkfifo(fifo)
    extra = f'stations_source = "{fifo.name}"'
    project = project_with(tmp_path, layer_table("sensors", HISTORY, extra))
    with pytest.raises(ReaderError, match="not a regular file") as info:
        finishes(lambda: open_project(project), unblock=fifo)
    assert str(fifo) in str(info.value)


def test_a_fifo_given_on_the_cli_gives_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "plan.toml"
    os.mkfifo(fifo)
    line = cli_error(capsys, "validate", str(fifo))
    assert f"{fifo}: is not a regular file" in line
    dem = tmp_path / "dem.tif"
    os.mkfifo(dem)
    line = cli_error(capsys, "render", str(dem), "--out", str(tmp_path / "x.png"))
    assert f"{dem}: is not a regular file" in line


@pytest.mark.parametrize(("kind", "name", "extra"), SOURCES, ids=SOURCE_IDS)
def test_a_symlink_loop_as_layer_source_is_one_line(
    tmp_path: Path, demo_utm: Path, kind: str, name: str, extra: str
) -> None:
    loop = tmp_path / name
    loop.symlink_to(loop)
    assert new_layer(loop).source == loop  # no RuntimeError from Path.resolve
    project = _source_project(tmp_path, kind, loop, demo_utm)
    for load in (
        lambda: open_project(project),
        lambda: load_file(loop, project_crs="EPSG:32636"),
    ):
        with pytest.raises(TwinscapeError) as info:
            finishes(load)
        message = str(info.value)
        assert f"{loop}: is a symbolic link that loops" in message, message
        assert "\n" not in message


def test_a_cycle_of_links_and_a_loop_on_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = tmp_path / "a.tif", tmp_path / "b.tif"
    a.symlink_to(b)
    b.symlink_to(a)
    line = cli_error(capsys, "render", str(a), "--out", str(tmp_path / "x.png"))
    assert f"{a}: is a symbolic link that loops" in line
    project = project_with(tmp_path, layer_table("terrain", "a.tif"))
    line = cli_error(capsys, "validate", str(project))
    assert f"{a}: is a symbolic link that loops" in line
    loop = tmp_path / "loop.toml"
    loop.symlink_to(loop)
    assert "loops" in cli_error(capsys, "validate", str(loop))


def test_resolve_path_and_read_head_never_raise(tmp_path: Path) -> None:
    loop = tmp_path / "loop.tif"
    loop.symlink_to(loop)
    assert resolve_path(loop) == loop
    assert resolve_path(tmp_path / "x" / ".." / "y.tif") == tmp_path / "y.tif"
    fifo = tmp_path / "f.json"
    os.mkfifo(fifo)
    assert finishes(lambda: read_head(fifo), unblock=fifo) is None
    assert read_head(loop) is None
    assert read_head("bad\0name") is None


def test_the_cli_refuses_hostile_project_files_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + "[" * 500 + "]" * 500 + "\n", encoding="utf-8")
    assert "nested too deeply" in cli_error(capsys, "validate", str(deep))
    zero = tmp_path / "zero.toml"
    zero.symlink_to("/dev/zero")
    assert "not a regular file" in cli_error(capsys, "validate", str(zero))
    line = cli_error(capsys, "render", str(zero), "--out", str(tmp_path / "x.png"))
    assert f"{zero}: is not a regular file" in line
