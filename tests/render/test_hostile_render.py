"""Hostile rasters through ``twinscape render`` (issue 10): a correct picture or one error line
with exit code 2, never a blank PNG or a leaked warning."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from PIL import Image

UTM = Affine(30.0, 0.0, 700_000.0, 0.0, -30.0, 3_500_000.0)


def write(path: Path, data: np.ndarray) -> Path:
    with rasterio.open(
        path, "w", driver="GTiff", height=data.shape[0], width=data.shape[1], count=1,
        dtype=data.dtype, crs="EPSG:32636", transform=UTM,
    ) as dst:  # fmt: skip
        dst.write(data, 1)
    return path


def render(source: Path, out: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYVISTA_OFF_SCREEN="true")
    return subprocess.run(
        [sys.executable, "-m", "twinscape", "render", str(source), "--out", str(out),
         "--size", "160x120"],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip


def drawn_fraction(png: Path) -> float:
    """Share of pixels that differ from their row's background (the sky is a vertical ramp)."""
    rgb = np.asarray(Image.open(png).convert("RGB")).astype(int)
    drawn = 0
    for row in rgb:
        colours, counts = np.unique(row, axis=0, return_counts=True)
        drawn += int((np.abs(row - colours[counts.argmax()]).sum(axis=1) > 6).sum())
    return drawn / (rgb.shape[0] * rgb.shape[1])


def slope(rows: int, cols: int) -> np.ndarray:
    r, c = np.mgrid[0:rows, 0:cols]
    return (100.0 + 3.0 * r + 5.0 * c).astype(np.float32)


def spiked(value: float) -> np.ndarray:
    data = slope(64, 64)
    data[10, 10] = value
    return data


@pytest.mark.parametrize(
    ("name", "data", "least"),
    [
        ("spike_max.tif", spiked(3.4e38), 0.2),
        ("spike_1e30.tif", spiked(1e30), 0.2),
        ("spike_low.tif", spiked(-3.4e38), 0.2),
        ("one.tif", slope(1, 1), 0.05),
        ("row.tif", slope(1, 60), 0.005),
        ("column.tif", slope(60, 1), 0.005),
    ],
)
def test_hostile_raster_draws(tmp_path: Path, name: str, data: np.ndarray, least: float) -> None:
    out = tmp_path / "out.png"
    done = render(write(tmp_path / name, data), out)
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr and "Traceback" not in done.stderr
    assert drawn_fraction(out) > least


@pytest.mark.parametrize(
    ("name", "data", "problem"),
    [
        ("all_max.tif", np.full((32, 32), 3.4e38, np.float32), "no cell holds an elevation"),
        ("complex.tif", (slope(32, 32) * (1 + 1j)).astype(np.complex64), "complex numbers"),
    ],
)
def test_hostile_raster_is_one_error_line(
    tmp_path: Path, name: str, data: np.ndarray, problem: str
) -> None:
    out = tmp_path / "out.png"
    done = render(write(tmp_path / name, data), out)
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"twinscape: error: {tmp_path / name}: ") and problem in line
    assert not out.exists()
