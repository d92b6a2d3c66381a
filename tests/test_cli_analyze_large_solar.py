"""`twinscape analyze solar` on a DEM over the in-memory limit: block by block at full resolution.

A synthetic 30 m DEM (made "too large" by lowering the limit; the horizon search shortened
so several blocks and their halos fit in it) must give the in-memory path's mask cell for
cell and its irradiance within 1e-5 (the clear-sky altitude, a mean, is summed in another
order); a narrow ridge keeps its steep flanks and flat one-cell crest, and no read is
larger than a block with its horizon halo.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.io import DatasetReader
from shapely.geometry import box

import twinscape.cli_analyze_grids as grids
import twinscape.io.kinds.terrain as terrain_kind
from test_cli_analyze_large import analyze  # the CLI run in-process, errors raised
from twinscape.cli_analyze import AnalyzeError

ROWS, COLS, CELL, X0, Y0 = 260, 320, 30.0, 700_000.0, 3_500_000.0
RIDGE_COL = 160


def synthetic_dem(path: Path) -> Path:
    """Rolling terrain, a flat plain in the south-west, a ridge with 1:1 flanks, a nodata hole."""
    rr, cc = np.mgrid[0:ROWS, 0:COLS].astype(np.float64)
    z = 300.0 + 40 * np.sin(cc / 9.0) * np.cos(rr / 13.0) + 0.5 * rr
    z[160:, :100] = 300.0  # flat plain
    ridge = np.maximum(0.0, 3.0 - np.abs(cc - RIDGE_COL)) * CELL  # 30 m up per 30 m cell
    z = np.where(ridge > 0, 600.0 + ridge, z)
    z[20:30, 180:200] = -9999.0
    with rasterio.open(
        path, "w", driver="GTiff", width=COLS, height=ROWS, count=1, dtype="float32",
        crs="EPSG:32636", transform=Affine(CELL, 0, X0, 0, -CELL, Y0), nodata=-9999.0,
    ) as dst:  # fmt: skip
        dst.write(z.astype(np.float32), 1)
    return path


def band(path: Path) -> tuple[np.ndarray, Any]:
    with rasterio.open(path) as src:
        return src.read(1), src.profile


def test_solar_on_a_large_dem_matches_the_whole_dem_block_by_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    dem = synthetic_dem(tmp_path / "dem.tif")
    excl = tmp_path / "excl.gpkg"
    area = box(X0 + 200 * CELL, Y0 - 80 * CELL, X0 + 240 * CELL, Y0 - 40 * CELL)
    gpd.GeoDataFrame(geometry=[area], crs="EPSG:32636").to_file(excl)
    monkeypatch.setattr(grids, "SOLAR_HORIZON_M", 1500.0)  # a 51-cell halo

    def solar(name: str) -> dict:
        analyze("solar", dem, "--out", tmp_path / f"{name}.tif", "--exclude", excl,
                "--irradiance-out", tmp_path / f"{name}_irr.tif")  # fmt: skip
        return json.loads(capsys.readouterr().out)

    whole = solar("whole")
    monkeypatch.setattr(terrain_kind, "MAX_TERRAIN_CELLS", 10_000)
    monkeypatch.setattr(grids, "BLOCK", 64)  # blocks of 64 cells, each read with its halo
    sizes: list[int] = []
    read = DatasetReader.read

    def spy(self: DatasetReader, *args: Any, **kwargs: Any) -> np.ndarray:
        window = kwargs.get("window")
        sizes.append(self.width * self.height if window is None else window.width * window.height)
        return read(self, *args, **kwargs)

    monkeypatch.setattr(DatasetReader, "read", spy)
    part = solar("part")
    assert sizes and max(sizes) <= (128 + 2 * 51) ** 2 < ROWS * COLS

    mask, meta = band(tmp_path / "part.tif")
    ref_mask, ref_meta = band(tmp_path / "whole.tif")
    assert meta["transform"] == ref_meta["transform"] and meta["dtype"] == "uint8"
    np.testing.assert_array_equal(mask, ref_mask)
    irr, _ = band(tmp_path / "part_irr.tif")
    ref_irr, _ = band(tmp_path / "whole_irr.tif")
    np.testing.assert_array_equal(irr == -9999.0, ref_irr == -9999.0)
    valid = ref_irr != -9999.0
    np.testing.assert_allclose(irr[valid], ref_irr[valid], rtol=1e-5)

    assert part["cells"] == whole["cells"] == int(mask.sum()) > 0
    assert part["area_km2"] == whole["area_km2"]
    assert part["latitude"] == whole["latitude"] and part["longitude"] == whole["longitude"]
    assert part["mean_irradiance_kwh_m2"] == pytest.approx(whole["mean_irradiance_kwh_m2"], abs=0.1)
    # full resolution: the ridge's steep flanks are unsuitable, its one-cell crest and the
    # plain are flat (averaging would tilt the crest and flatten the flanks)
    assert not mask[:, [RIDGE_COL - 2, RIDGE_COL - 1, RIDGE_COL + 1, RIDGE_COL + 2]].any()
    assert mask[:, RIDGE_COL].all()
    assert mask[180:250, 20:80].all()
    assert not mask[40:80, 200:240].any()  # excluded


def test_solar_on_a_large_fine_dem_is_refused_with_the_resolution_that_fits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """1 m cells: a 20 km horizon around a block is 80,000 cells a side (tens of GB); the
    command says so and what to resample to, before reading anything."""
    dem = tmp_path / "lidar.tif"
    values = np.full((200, 200), 400.0, np.float32)
    with rasterio.open(
        dem, "w", driver="GTiff", width=200, height=200, count=1, dtype="float32",
        crs="EPSG:32636", transform=Affine(1.0, 0.0, X0, 0.0, -1.0, Y0),
    ) as dst:  # fmt: skip
        dst.write(values, 1)
    monkeypatch.setattr(terrain_kind, "MAX_TERRAIN_CELLS", 10_000)
    with pytest.raises(AnalyzeError) as err:
        analyze("solar", dem, "--out", tmp_path / "s.tif")
    text = str(err.value)
    assert "lidar.tif" in text and "20 km" in text and "resample the DEM to" in text
    needed = float(text.split("resample the DEM to ")[1].split(" m")[0])
    reach = 20_000.0 / needed + 1
    assert (grids.BLOCK + 4 * reach) ** 2 <= grids.MAX_SOLAR_WINDOW_CELLS  # that one fits
    assert not (tmp_path / "s.tif").exists()
