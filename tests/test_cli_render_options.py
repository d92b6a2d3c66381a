"""``twinscape render`` screenshot options: transparency, overlays, a camera from points, time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from twinscape.cli import main
from twinscape.cli_render import OVERLAYS

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "scenes" / "deadsea_demo.toml"
EYE, TARGET = "744000,3521000,1500", "747250,3527500,-270"


def _error_line(capsys: pytest.CaptureFixture[str], *args: object) -> str:
    code = main(["render", *map(str, args)])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("twinscape: error: "), err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(
    ("extra", "needles"),
    [
        (["--size", "0x0"], ["0x0", "16..16384"]),
        (["--size", "100000x100000"], ["100000x100000", "16..16384"]),
        (["--camera-position", EYE], ["--camera-position and --look-at go together"]),
        (["--look-at", TARGET], ["go together"]),
        (["--camera-position", "1,2", "--look-at", TARGET], ["X,Y,Z"]),
        (["--camera-position", "1,2,nan", "--look-at", TARGET], ["X,Y,Z"]),
        (["--camera-position", TARGET, "--look-at", TARGET], ["same point"]),
        (["--camera", "x", "--camera-position", EYE, "--look-at", TARGET], ["not both"]),
        (["--overlays", "scale,compass"], ["unknown overlay compass"]),
        (["--time", "2030-01-01T00:00Z"], ["outside the data", "2025-04-14T00:00Z"]),
    ],
)
def test_bad_render_options_give_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, extra: list[str], needles: list[str]
) -> None:
    line = _error_line(capsys, DEMO, "--out", tmp_path / "x.png", *extra)
    for needle in needles:
        assert needle in line
    assert not (tmp_path / "x.png").exists()


def test_an_unwritable_out_gives_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file, not a folder")
    line = _error_line(capsys, DEMO, "--out", blocker / "x.png", "--overlays", "all")
    assert "is a file, not a folder" in line
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if not os.access(folder, os.W_OK):  # root writes anywhere
            line = _error_line(capsys, DEMO, "--out", folder / "x.png")
            assert "cannot write into the folder" in line
    finally:
        folder.chmod(0o700)


def test_the_overlay_names_are_the_renderers() -> None:
    from twinscape.render.overlays import OVERLAY_NAMES

    assert OVERLAYS == OVERLAY_NAMES


def test_render_with_every_new_option(tmp_path: Path) -> None:
    out = tmp_path / "shot.png"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = subprocess.run(
        [sys.executable, "-m", "twinscape", "render", str(DEMO), "--out", str(out),
         "--size", "800x450", "--transparent", "--overlays", "scale,north,title,time",
         "--title", "New town", "--camera-position", EYE, "--look-at", TARGET,
         "--time", "2025-04-17T08:00Z"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    with Image.open(out) as png:
        assert png.size == (800, 450) and png.mode == "RGBA"
        text = dict(png.text)
        pixels = np.asarray(png)
    assert text["twinscape:time"] == "2025-04-17T08:00:00Z"
    camera = json.loads(text["twinscape:camera"])
    # The picture records the camera as given: real heights, whatever the exaggeration (2).
    assert camera["position"] == pytest.approx([744000, 3521000, 1500])
    assert camera["focal_point"] == pytest.approx([747250, 3527500, -270])
    assert camera["z"] == "metres"
    assert (pixels[..., 3] == 255).mean() > 0.5  # the ground is opaque


def test_the_help_says_camera_points_are_real_heights(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["render", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--camera-position X,Y,Z camera position in world coordinates" in text
    assert "Z is the real height, not exaggerated" in text
