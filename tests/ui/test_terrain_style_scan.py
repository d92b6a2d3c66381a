"""Terrain in the window: style changes do no full-raster work on the GUI thread, and
mixed height datums are warned about (pytest-qt, under xvfb-run).

Every whole-grid range scan (``value_range``, in the model and in the colour ramps) is
counted with the thread it ran on while a DEM is opened through the window's loader and
its panel changes every style setting: the scan runs once, on the loader's thread, and
the GUI thread never repeats it.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from pyproj import CRS
from PySide6.QtWidgets import QApplication, QMessageBox

import twinscape.model.raster as raster_module
import twinscape.render.colormaps as colormaps_module
from twinscape.model.terrain import TerrainLayer

from ui_helpers import settle, wait_for_task

pytestmark = pytest.mark.gui


def write_feet_dem(path: Path, rows: int = 1200, cols: int = 1000) -> np.ndarray:
    """A ridge in feet (band unit "ft"), 30 m cells in UTM 36N; returns the values written."""
    r, c = np.mgrid[0:rows, 0:cols]
    raw = 1000.0 + 2.0 * r + 900.0 * np.exp(-(((c - cols / 2) / (cols / 8)) ** 2))
    raw = raw.astype(np.float32)
    transform = Affine(30.0, 0.0, 700_000.0, 0.0, -30.0, 3_500_000.0)
    with rasterio.open(
        path, "w", driver="GTiff", height=rows, width=cols, count=1, dtype="float32",
        crs="EPSG:32636", transform=transform,
    ) as dst:  # fmt: skip
        dst.write(raw, 1)
        dst.units = ("ft",)
    return raw


def test_style_changes_never_rescan_the_grid_on_the_gui_thread(
    make_main_window,  # noqa: ANN001
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    raw = write_feet_dem(tmp_path / "ridge_ft.tif")
    scans: list[tuple[bool, int]] = []  # (on the GUI thread, cells)
    original = raster_module.value_range

    def counted(values: np.ndarray):  # noqa: ANN202
        scans.append((threading.current_thread() is threading.main_thread(), values.size))
        return original(values)

    monkeypatch.setattr(raster_module, "value_range", counted)
    monkeypatch.setattr(colormaps_module, "value_range", counted)

    window = make_main_window(tmp_path / "ridge_ft.tif")  # through the window's loader
    layer = window.project.layers[0]
    assert isinstance(layer, TerrainLayer) and layer.grid is not None
    grid_cells = layer.grid.values.size
    window.layer_dock.select_layer(layer)
    controls = window.styling_dock.controls
    assert controls is not None and controls.layer is layer
    settle(window)
    assert [s for s in scans if s[1] == grid_cells and s[0]] == []
    loaded = len(scans)

    # every setting of the panel, as a user would change them
    controls.colormap.setCurrentIndex(controls.colormap.findData("mountain"))
    controls.sea_ramp.setChecked(not controls.sea_ramp.isChecked())
    controls.sea_ramp.setChecked(not controls.sea_ramp.isChecked())
    controls.sea_level.setValue(350.0)
    controls.hillshade.setChecked(False)
    controls.hillshade.setChecked(True)
    controls.sun_azimuth.setValue(90)
    controls.sun_altitude.setValue(30)
    controls.strength.slider.setValue(40)
    controls.exaggeration.setValue(2.5)
    controls.opacity.slider.setValue(60)
    for _ in range(3):
        settle(window)
    on_gui = [cells for gui, cells in scans if gui]
    assert on_gui == [], f"full-raster range scans on the GUI thread: {on_gui}"
    assert len(scans) >= loaded  # recolours may scan, but on the colour worker only

    # the panel shows the range of the data, in metres (the file holds feet)
    text = controls.info.text()
    low, high = raw.min() * 0.3048, raw.max() * 0.3048
    assert f"{low:,.0f}".replace(",", " ") in text and f"{high:,.0f}".replace(",", " ") in text
    assert "read in foot as metres" in text
    window.mark_clean()


def test_adding_geoid_heights_to_ellipsoidal_ones_warns_in_the_window(
    make_main_window,  # noqa: ANN001
    tmp_path: Path,
) -> None:
    values = np.add.outer(np.arange(60.0), np.arange(80.0)).astype(np.float32) + 100.0
    transform = Affine(30.0, 0.0, 700_000.0, 0.0, -30.0, 3_500_000.0)
    paths = {}
    for name, crs in (("lidar", CRS("EPSG:32636").to_3d().to_wkt()), ("srtm", "EPSG:32636+5773")):
        paths[name] = tmp_path / f"{name}.tif"
        with rasterio.open(
            paths[name], "w", driver="GTiff", height=60, width=80, count=1, dtype="float32",
            crs=crs, transform=transform,
        ) as dst:  # fmt: skip
            dst.write(values, 1)
    window = make_main_window(paths["lidar"])
    assert wait_for_task(window.files.add_paths([paths["srtm"]])) == "finished"
    boxes = [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, QMessageBox) and w.isVisible() and "geoid" in w.informativeText()
    ]
    assert len(boxes) == 1, "one warning, in the window"
    text = boxes[0].informativeText()
    assert "'srtm'" in text and "'lidar'" in text and "tens of metres" in text
    boxes[0].close()
    window.mark_clean()
