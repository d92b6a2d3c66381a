"""Helpers for the GUI tests (event loop waits and picture checks)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QApplication

REPO = Path(__file__).resolve().parents[2]
DEMO_DEM = REPO / "assets" / "dem" / "deadsea_n31e035_srtm3_utm36n_90m.tif"
#: The same SRTM tile in EPSG:4326: adding it exercises reprojection.
WGS84_DEM = REPO / "tests" / "data" / "deadsea_n31e035_srtm3_wgs84.tif"
LOAD_TIMEOUT_S = 90.0


def process_events(duration_s: float = 0.0) -> None:
    """Run the event loop for ``duration_s`` (at least one pass)."""
    end = time.monotonic() + duration_s
    while True:
        QApplication.processEvents()
        if time.monotonic() >= end:
            return
        time.sleep(0.005)


def wait_until(
    predicate: Callable[[], bool], timeout_s: float = LOAD_TIMEOUT_S, what: str = "condition"
) -> None:
    """Process events until ``predicate()`` holds; fail after ``timeout_s``."""
    end = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")
        QApplication.processEvents()
        time.sleep(0.005)


def wait_for_task(task) -> str:  # noqa: ANN001 - LoadTask
    """Wait until a loader task ended; returns its outcome."""
    assert task is not None, "no load was started"
    wait_until(lambda: task.outcome is not None, what=f"load {task.label!r}")
    process_events(0.05)  # deliver done(), apply results, coalesced render
    return task.outcome


def settle(window) -> np.ndarray:  # noqa: ANN001 - MainWindow
    """Let pending renders run, then return the view's pixels (rows from the top)."""
    process_events(0.05)
    return window.viewport.image()


# -- picture checks ----------------------------------------------------------------------
def is_warm(pixels: np.ndarray) -> np.ndarray:
    """Sand, ochre and brown: red over blue, not grey."""
    rgb = pixels.astype(np.int32)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return (r > b + 20) & (r >= g - 5) & (r > 60)


def background_colours(window) -> list[np.ndarray]:  # noqa: ANN001 - MainWindow
    """The renderer's background colour(s) in 0..255 (two with a gradient)."""
    renderer = window.viewport.plotter.renderer
    colours = [np.array(renderer.GetBackground()) * 255]
    if renderer.GetGradientBackground():
        colours.append(np.array(renderer.GetBackground2()) * 255)
    return colours


def near_background(window, pixel: np.ndarray, tolerance: float = 40.0) -> bool:  # noqa: ANN001
    """True when ``pixel`` is within the background's colour range (gradients included)."""
    colours = background_colours(window)
    pixel = np.asarray(pixel, dtype=float)
    if len(colours) == 1:
        return float(np.abs(pixel - colours[0]).max()) <= tolerance
    a, b = colours
    # distance to the segment between the two gradient colours
    ab = b - a
    t = float(np.clip(np.dot(pixel - a, ab) / max(np.dot(ab, ab), 1e-9), 0.0, 1.0))
    return float(np.abs(pixel - (a + t * ab)).max()) <= tolerance
