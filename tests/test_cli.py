"""The ``twinscape`` command line, run as a user runs it: in a subprocess, without X."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from twinscape import __version__

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "scenes" / "deadsea_demo.toml"
DEM = REPO / "assets" / "dem" / "deadsea_n31e035_srtm3_utm36n_90m.tif"


def twinscape(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    return subprocess.run(
        [sys.executable, "-m", "twinscape", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("twinscape: error: ")
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0]


def test_version_comes_from_one_source() -> None:
    result = twinscape("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"twinscape {__version__}"


def test_validate_demo_scene() -> None:
    result = twinscape("validate", str(DEMO))
    assert result.returncode == 0, result.stderr
    assert "ok: 4 layer(s), 4 bookmark(s), CRS EPSG:32636" in result.stdout


def test_validate_reports_the_bad_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(DEMO.read_text().replace("opacity = 1.0", "opacity = 2.0"))
    assert_one_line_error(twinscape("validate", str(bad)), str(bad), "layers[0].opacity")


def test_validate_reports_a_missing_dem(tmp_path: Path) -> None:
    moved = tmp_path / "moved.toml"
    moved.write_text(DEMO.read_text())
    assert_one_line_error(twinscape("validate", str(moved)), "deadsea_n31e035", "does not exist")


def test_render_rejects_garbage_data(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tif"
    junk.write_bytes(b"\x00garbage" * 50)
    assert_one_line_error(
        twinscape("render", str(junk), "--out", str(tmp_path / "x.png")), str(junk)
    )
    assert not (tmp_path / "x.png").exists()


def test_render_rejects_unknown_files_and_cameras(tmp_path: Path) -> None:
    notes = tmp_path / "notes.docx"
    notes.write_text("hello")
    assert_one_line_error(
        twinscape("render", str(notes), "--out", str(tmp_path / "x.png")), str(notes)
    )
    result = twinscape("render", str(DEMO), "--out", str(tmp_path / "x.png"), "--camera", "Nope")
    assert_one_line_error(result, "no camera bookmark named 'Nope'", "Rift from the south")


def test_wrong_kinds_of_file_are_named_before_any_work(tmp_path: Path) -> None:
    shot = tmp_path / "shot"  # no .png: PIL would fail after the render, naming nothing
    assert_one_line_error(twinscape("render", str(DEM), "--out", str(shot)), str(shot), ".png")
    assert not shot.exists()
    assert_one_line_error(twinscape("validate", str(DEM)), str(DEM), "not a project file")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/Wayland displays")
def test_open_without_a_display_is_a_one_line_error() -> None:
    hidden = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    env = {k: v for k, v in os.environ.items() if k not in hidden}
    result = subprocess.run(
        [sys.executable, "-m", "twinscape", "open", str(DEMO)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert_one_line_error(result, "no display", "twinscape render")


@pytest.mark.render
def test_render_a_dem_headless_without_qt(tmp_path: Path) -> None:
    out = tmp_path / "shot.png"
    code = (
        "import sys; from twinscape.cli import main; rc = main(sys.argv[1:]);"
        "assert not [m for m in sys.modules if m.startswith('PySide6')], 'Qt was imported';"
        "raise SystemExit(rc)"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = subprocess.run(
        [sys.executable, "-c", code, "render", str(DEM), "--out", str(out), "--size", "640x360"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr
    assert f"wrote {out}" in result.stdout
    image = np.asarray(Image.open(out).convert("RGB"))
    assert image.shape[:2] == (360, 640)
    centre = image[150:210, 280:360].reshape(-1, 3).astype(int)
    corner = image[:20, :20].reshape(-1, 3).astype(int)
    assert np.abs(centre.mean(0) - corner.mean(0)).sum() > 40, "terrain should differ from sky"


@pytest.mark.render
def test_render_project_with_a_bookmark(tmp_path: Path) -> None:
    out = tmp_path / "mujib.png"
    result = twinscape(
        "render", str(DEMO), "--out", str(out), "--size", "480x270", "--camera", "Wadi Mujib canyon"
    )
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 10_000


def _pale_grey(image: np.ndarray) -> np.ndarray:
    """Pixels of the planned town's default stone colour: light and unsaturated."""
    rgb = image.astype(int)
    return (rgb.min(axis=-1) > 150) & (rgb.max(axis=-1) - rgb.min(axis=-1) < 30)


@pytest.mark.render
def test_render_draws_every_kind_of_the_project(tmp_path: Path) -> None:
    out = tmp_path / "town.png"
    result = twinscape(
        "render", str(DEMO), "--out", str(out), "--size", "640x360", "--camera", "New town plan"
    )
    assert result.returncode == 0, result.stderr
    image = np.asarray(Image.open(out).convert("RGB"))
    town = _pale_grey(image[150:300, 150:500]).mean()
    assert town > 0.15, f"only {town:.1%} of the town's area shows buildings"
    assert _pale_grey(image[:60]).mean() < 0.01  # sky and mountains above it


@pytest.mark.render
def test_render_places_buildings_given_with_a_dem(tmp_path: Path) -> None:
    town = REPO / "assets" / "buildings" / "deadsea_newtown_plan.gpkg"
    shots = {}
    for name, paths in (("bare", [DEM]), ("town", [DEM, town])):
        out = tmp_path / f"{name}.png"
        args = [str(p) for p in paths]
        result = twinscape("render", *args, "--out", str(out), "--size", "960x540")
        assert result.returncode == 0, result.stderr
        shots[name] = np.asarray(Image.open(out).convert("RGB")).astype(int)
    changed = np.abs(shots["town"] - shots["bare"]).max(axis=-1) > 30
    rows, cols = np.nonzero(changed)
    assert 0 < len(rows) < 0.01 * changed.size  # a small town in the whole rift
    assert np.ptp(rows) < 60 and np.ptp(cols) < 60  # in one place, not smeared over the view


@pytest.mark.render
def test_render_time_shows_the_sensors_as_they_were(tmp_path: Path) -> None:
    """The demo's stations before and during the simulated dust event of 17 April 2025."""
    shots = {}
    for name, when in (("calm", "2025-04-15T11:00Z"), ("dust", "2025-04-17T11:00+00:00")):
        out = tmp_path / f"{name}.png"
        result = twinscape(
            "render", str(DEMO), "--out", str(out), "--size", "640x360", "--time", when
        )
        assert result.returncode == 0, result.stderr
        shots[name] = np.asarray(Image.open(out).convert("RGB")).astype(int)
    changed = np.abs(shots["dust"] - shots["calm"]).max(axis=-1) > 40
    assert 0 < changed.mean() < 0.02  # the markers only: the terrain and town are the same
    rgb = shots["dust"][changed]
    assert ((rgb[:, 0] > 120) & (rgb[:, 1] < 90)).mean() > 0.3  # red and purple alert colours
    bad = twinscape("render", str(DEMO), "--out", str(tmp_path / "x.png"), "--time", "noon")
    assert bad.returncode == 2 and "time must look like" in bad.stderr
