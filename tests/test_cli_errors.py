"""Hostile command lines (issue 10): every failure is one ``twinscape: error:`` line, exit 2.

Argument errors without a usage block, odd file names quoted on one line, long messages
capped, an ``--out`` that cannot be written refused before anything is loaded, library
warnings kept off stderr, and any unexpected exception as one line plus a log file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from twinscape import cli, cli_args, cli_errors
from twinscape.model.errors import CRSError, one_line, quote_path

REPO = Path(__file__).resolve().parents[1]
DEM = REPO / "assets" / "dem" / "deadsea_n31e035_srtm3_utm36n_90m.tif"
DEMO = REPO / "scenes" / "deadsea_demo.toml"


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def the_error(code: int, err: str, *needles: str) -> str:
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("twinscape: error: "), err
    assert "Traceback" not in err and "usage:" not in err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def twinscape(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    return subprocess.run(
        [sys.executable, "-m", "twinscape", *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip


@pytest.fixture
def no_loading(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Record (and refuse) any attempt to load data."""
    calls: list[object] = []

    def load(paths):  # noqa: ANN001, ANN202
        calls.append(paths)
        raise cli.CliError("loaded")

    monkeypatch.setattr(cli, "load_inputs", load)
    return calls


# -- argparse ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["render", DEM, "--out", "x.png", "--size", "abc"], ["--size", "'abc'", "render --help"]),
        (["render", DEM, "--out", "x.png", "--size", "8x8"], ["outside 16..16384"]),
        (["render", DEM, "--out", "x.png", "--size", "1e3x10"], ["1920x1080"]),
        (["render", "--out", "x.png"], ["required: paths"]),
        (["render", DEM], ["--out"]),
        (["frobnicate"], ["invalid choice", "twinscape --help"]),
        (["validate"], ["project"]),
        (["render", DEM, "--out", "x.png", "--bogus\nflag"], ["unrecognized", "\\n"]),
    ],
)
def test_argument_errors_are_one_line_without_usage(
    capsys: pytest.CaptureFixture[str], args: list[object], needles: list[str]
) -> None:
    code, _out, err = run_main(capsys, *args)
    the_error(code, err, *needles)


def test_argument_errors_in_a_real_process() -> None:
    result = twinscape("render", str(DEM), "--out", "x.png", "--size", "huge")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "twinscape: error: argument --size: size must look like 1920x1080, got 'huge'; "
        "see twinscape render --help"
    ]


# -- messages ----------------------------------------------------------------------------
def test_odd_file_names_stay_on_one_line_and_are_quoted(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for name in ("two\nlines.tif", "esc\x1b[31mred.tif", "tab\there.tif"):
        junk = tmp_path / name
        junk.write_bytes(b"\x00garbage" * 50)
        code, _out, err = run_main(capsys, "render", junk, "--out", tmp_path / "x.png")
        line = the_error(code, err, quote_path(junk))
        assert "\x1b" not in line and "\t" not in line
    assert quote_path(tmp_path / "two\nlines.tif").startswith("'")
    assert "\\n" in quote_path("two\nlines.tif")
    assert quote_path("/plain/name.tif") == "/plain/name.tif"


def test_a_huge_message_is_capped(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    crs = "PROJCS[" + "A" * 5_000_000 + "]"

    def load(paths):  # noqa: ANN001, ANN202
        raise CRSError(paths[0], f"unknown CRS {crs}", hint="give an EPSG code")

    monkeypatch.setattr(cli, "load_inputs", load)
    code, _out, err = run_main(capsys, "render", DEM, "--out", tmp_path / "x.png")
    line = the_error(code, err, str(DEM), "unknown CRS")
    assert len(line) <= len("twinscape: error: ") + 500
    assert line.endswith("\u2026")
    assert len(one_line("x" * 10_000, 80)) == 80


# -- --out -------------------------------------------------------------------------------
def test_out_problems_are_named_before_anything_is_loaded(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, no_loading: list[object]
) -> None:
    folder = tmp_path / "shots.png"
    folder.mkdir()
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    cases = [
        (folder, ["is a folder", "render.png"]),
        (tmp_path, [".png"]),
        (a_file / "x.png", ["is a file, not a folder"]),
        (fifo, ["not a regular file"]),
    ]
    if sys.platform.startswith("linux"):
        cases.append((Path("/proc/twinscape.png"), ["cannot write into the folder", "/proc"]))
    for out, needles in cases:
        code, _out, err = run_main(capsys, "render", DEM, "--out", out)
        the_error(code, err, *needles)
    assert no_loading == []


def test_read_only_and_full_places_are_refused(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    no_loading: list[object],
) -> None:
    out = tmp_path / "old.png"
    out.write_bytes(b"old")
    real_access = os.access
    monkeypatch.setattr(
        cli_args.os, "access", lambda p, mode: False if Path(p) == out else real_access(p, mode)
    )
    code, _out, err = run_main(capsys, "render", DEM, "--out", out)
    the_error(code, err, "read-only", "--out")
    monkeypatch.setattr(cli_args.os, "access", real_access)

    monkeypatch.setattr(cli_args.shutil, "disk_usage", lambda _p: type("U", (), {"free": 1000})())
    code, _out, err = run_main(capsys, "render", DEM, "--out", tmp_path / "new.png")
    the_error(code, err, "MB free", "free some space")
    assert no_loading == []
    assert out.read_bytes() == b"old"


def test_a_huge_size_is_refused_before_loading(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, no_loading: list[object]
) -> None:
    code, _out, err = run_main(
        capsys, "render", DEM, "--out", tmp_path / "x.png", "--size", "16384x16384"
    )
    the_error(code, err, "16384x16384", "8192x8192")
    assert no_loading == []


# -- warnings and the last resort --------------------------------------------------------
def test_library_warnings_stay_off_stderr_and_ours_are_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import twinscape.io.loading as loading

    real = loading.open_project

    def noisy(path, **kwargs):  # noqa: ANN001, ANN003, ANN202
        with np.errstate(over="warn"):
            np.float32(3e38) * np.float32(10)  # numpy: overflow encountered
        warnings.warn("Dataset has no geotransform", UserWarning, stacklevel=1)  # a library's
        ours = str(Path(cli.__file__).parent / "render" / "scene.py")
        for _ in range(2):  # printed once
            warnings.warn_explicit("layer 'x'\nis not drawn", UserWarning, ours, 1)
        return real(path, **kwargs)

    monkeypatch.setattr(loading, "open_project", noisy)
    code, out, err = run_main(capsys, "validate", DEMO)
    assert code == 0, err
    assert "ok:" in out
    assert err.splitlines() == ["twinscape: warning: layer 'x'\\nis not drawn"]


def test_warnings_before_an_error_do_not_leak(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def load(paths):  # noqa: ANN001, ANN202
        warnings.warn("NotGeoreferencedWarning: no geotransform", UserWarning, stacklevel=1)
        with np.errstate(invalid="warn"):
            np.sqrt(np.float64(-1))
        raise CRSError(paths[0], "states no CRS", hint="give one")

    monkeypatch.setattr(cli, "load_inputs", load)
    code, _out, err = run_main(capsys, "render", DEM, "--out", tmp_path / "x.png")
    the_error(code, err, "states no CRS")


def test_a_raster_without_georeferencing_in_a_real_process(tmp_path: Path) -> None:
    import rasterio

    plain = tmp_path / "plain.tif"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with rasterio.open(
            plain, "w", driver="GTiff", width=32, height=32, count=1, dtype="float32"
        ) as dst:
            dst.write(np.ones((1, 32, 32), np.float32))
    result = twinscape("render", str(plain), "--out", str(tmp_path / "x.png"), "--size", "64x64")
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("twinscape: error: ")
    assert "Warning" not in result.stderr


def test_an_unexpected_exception_is_one_line_and_a_log(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def broken(paths):  # noqa: ANN001, ANN202
        warnings.warn("a note before the crash", RuntimeWarning, stacklevel=1)
        raise TypeError("boom\nsecond line")

    logs = tmp_path / "logs"
    monkeypatch.setattr(cli, "load_inputs", broken)
    monkeypatch.setattr(cli_errors, "log_folder", lambda: logs)
    code, _out, err = run_main(capsys, "render", DEM, "--out", tmp_path / "x.png")
    line = the_error(code, err, "unexpected TypeError", "boom\\nsecond line", "details")
    written = list(logs.iterdir())
    assert len(written) == 1 and str(written[0]) in line
    text = written[0].read_text()
    assert "Traceback" in text and "TypeError: boom" in text and "a note before the crash" in text


def test_the_log_folder_falls_back_when_it_cannot_be_made(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the log folder should be")
    monkeypatch.setattr(cli_errors, "log_folder", lambda: blocker / "logs")
    monkeypatch.setattr(cli_errors.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(cli, "load_inputs", lambda _p: {}["missing"])
    code, _out, err = run_main(capsys, "render", DEM, "--out", tmp_path / "x.png")
    the_error(code, err, "unexpected KeyError", str(tmp_path))
    assert list(tmp_path.glob("twinscape-crash-*.log"))
