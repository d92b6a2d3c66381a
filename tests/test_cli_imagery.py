"""``twinscape render dem.tif ortho.tif``: imagery given beside a DEM is draped on it, headless."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
from PIL import Image
from rasterio.transform import from_origin

REPO = Path(__file__).resolve().parents[1]
DEM = REPO / "assets" / "dem" / "deadsea_n31e035_srtm3_utm36n_90m.tif"


def twinscape(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    return subprocess.run(
        [sys.executable, "-m", "twinscape", *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip


def write_marked(path: Path) -> Path:
    """RGB in EPSG:4326 over the DEM: blue, with a red square at the north-west corner."""
    data = np.empty((3, 400, 400), np.uint8)
    data[:] = np.array([30, 60, 200], np.uint8)[:, None, None]
    data[:, :80, :80] = np.array([255, 0, 0], np.uint8)[:, None, None]
    with rasterio.open(
        path, "w", driver="GTiff", width=400, height=400, count=3, dtype="uint8",
        crs="EPSG:4326", transform=from_origin(35.3, 31.6, 0.001, 0.001), photometric="RGB",
    ) as dst:  # fmt: skip
        dst.write(data)
    return path


@pytest.mark.render
def test_render_drapes_an_orthophoto_given_with_a_dem(tmp_path: Path) -> None:
    ortho = write_marked(tmp_path / "ortho.tif")
    out = tmp_path / "x.png"
    result = twinscape("render", str(DEM), str(ortho), "--out", str(out), "--size", "960x540")
    assert result.returncode == 0, result.stderr
    rgb = np.asarray(Image.open(out).convert("RGB")).astype(int)
    red = (rgb[..., 0] > 200) & (rgb[..., 1] < 60) & (rgb[..., 2] < 60)
    blue = np.abs(rgb - (30, 60, 200)).max(axis=-1) <= 3
    assert red.sum() > 200 and blue.sum() > 20 * red.sum()
    red_rows, red_cols = np.nonzero(red)
    blue_rows, blue_cols = np.nonzero(blue)
    # the red corner is the image's north-west: in the upper-left of the picture (north up)
    for red_axis, blue_axis in ((red_rows, blue_rows), (red_cols, blue_cols)):
        assert red_axis.mean() - blue_axis.min() < 0.3 * np.ptp(blue_axis)


def test_render_refuses_a_float_raster_named_as_imagery(tmp_path: Path) -> None:
    dem_copy = tmp_path / "dem.tif"
    dem_copy.write_bytes(DEM.read_bytes())
    project = tmp_path / "p.toml"
    project.write_text(
        'schema_version = 1\n[project]\nname = "p"\ncrs = "EPSG:32636"\n'
        '[[layers]]\nkind = "imagery"\nname = "not a picture"\nsource = "dem.tif"\n',
        encoding="utf-8",
    )
    result = twinscape("render", str(project), "--out", str(tmp_path / "x.png"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert str(dem_copy) in lines[0] and "looks like a DEM" in lines[0]
