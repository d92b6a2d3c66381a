"""Close-up cameras: where the flight starts on a DEM, and the per-frame camera moves.

The start view is chosen in the runner from the file alone (a decimated read, before any
case runs), so every close-up case of a DEM flies the same path: a camera
``HEIGHT_M`` above the DEM's median ground, heading north, looking ``LOOK_AHEAD_M``
ahead and ``PITCH_DEG`` down. Of the corridors (columns of the central 60 % of the DEM,
over data) whose highest ground stays ``MIN_CLEARANCE_M`` below the camera, the flight
takes the one whose median ground is nearest the DEM's: the camera is then about
``HEIGHT_M`` above the ground it flies over, and does not fly into a mountain. The DEMs
are in the UTM zone the app picks as the project CRS, so file coordinates are world
coordinates. Views are plain JSON data in world coordinates (``position``,
``focal_point``, ``view_up``, ``view_angle``).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

#: Camera height above the DEM's median ground (m), look-ahead distance (m), pitch (deg down).
HEIGHT_M = 600.0
LOOK_AHEAD_M = 20_000.0
PITCH_DEG = 3.0
#: Vertical view angle (degrees): VTK's and PyVista's default.
VIEW_ANGLE = 30.0
#: Forward step (m) and turn (degrees) per moving frame.
FLY_STEP_M = 150.0
TURN_STEP_DEG = 3.0
#: The flight starts this fraction of the DEM's height from its south edge.
START_FRACTION = 0.15
#: Least clearance (m) over the corridor's highest ground; the camera is raised to keep it.
MIN_CLEARANCE_M = 100.0
#: Half-width (m) of the flight corridor checked for clearance.
CORRIDOR_HALF_WIDTH_M = 500.0
#: Decimated read used to place the camera: at most this many samples per side.
SAMPLE_SIDE = 1024


def start_view(dem: Path, flight_m: float) -> dict[str, Any]:
    """The close-up start view of ``dem`` for a flight of ``flight_m`` metres north.

    Returns the view plus what placed it: median ground, corridor's highest ground,
    clearance and height above the median.
    """
    z, x_of_col, y_of_row, cell = _sample(dem)
    median = float(np.nanmedian(z))
    rows = z.shape[0]
    y0 = y_of_row[-1] + START_FRACTION * (y_of_row[0] - y_of_row[-1])
    in_corridor_y = (y_of_row >= y0 - CORRIDOR_HALF_WIDTH_M) & (
        y_of_row <= y0 + flight_m + CORRIDOR_HALF_WIDTH_M
    )
    band = z[in_corridor_y] if in_corridor_y.any() else z[rows // 2 : rows // 2 + 1]
    half = max(int(math.ceil(CORRIDOR_HALF_WIDTH_M / cell)), 1)
    z_cam = median + HEIGHT_M
    corridors = []  # (highest ground, median ground, column) of each corridor over data
    cols = z.shape[1]
    for col in range(cols // 5, cols - cols // 5):
        strip = band[:, max(col - half, 0) : col + half + 1]
        if not np.isnan(strip).any():
            corridors.append((float(strip.max()), float(np.median(strip)), col))
    if not corridors:
        corridors = [(float(np.nanmax(band)), float(np.nanmedian(band)), cols // 2)]
    clear = [c for c in corridors if c[0] <= z_cam - MIN_CLEARANCE_M]
    if clear:  # the corridor whose ground is most like the DEM's, that the camera clears
        corridor_top, _, col = min(clear, key=lambda c: abs(c[1] - median))
    else:  # none: the lowest corridor, with the camera raised over it
        corridor_top, _, col = min(corridors)
        z_cam = corridor_top + MIN_CLEARANCE_M
    view = level_view((float(x_of_col[col]), float(y0), z_cam), heading_deg=0.0)
    view.update(
        median_ground_m=median,
        corridor_top_m=corridor_top,
        clearance_m=z_cam - corridor_top,
        height_above_median_m=z_cam - median,
        flight_m=flight_m,
    )
    return view


def level_view(position: tuple[float, float, float], heading_deg: float) -> dict[str, Any]:
    """A camera at ``position`` heading ``heading_deg`` (0 north, 90 east), pitched down."""
    h, p = math.radians(heading_deg), math.radians(PITCH_DEG)
    dx, dy = math.sin(h), math.cos(h)
    x, y, z = position
    return {
        "position": [x, y, z],
        "focal_point": [
            x + LOOK_AHEAD_M * dx,
            y + LOOK_AHEAD_M * dy,
            z - LOOK_AHEAD_M * math.tan(p),
        ],
        "view_up": [math.sin(p) * dx, math.sin(p) * dy, math.cos(p)],
        "view_angle": VIEW_ANGLE,
    }


def fly(camera: Any, metres: float = FLY_STEP_M) -> None:
    """Move a vtkCamera ``metres`` forward, level (position and focal point together)."""
    pos, foc = np.array(camera.GetPosition()), np.array(camera.GetFocalPoint())
    ahead = foc - pos
    ahead[2] = 0.0
    step = ahead / np.linalg.norm(ahead) * metres
    camera.SetPosition(*(pos + step))
    camera.SetFocalPoint(*(foc + step))


def turn(camera: Any, degrees: float = TURN_STEP_DEG) -> None:
    """Turn a vtkCamera ``degrees`` clockwise seen from above, about the vertical at its eye."""
    a = -math.radians(degrees)
    rot = np.array([[math.cos(a), -math.sin(a), 0.0], [math.sin(a), math.cos(a), 0.0], [0, 0, 1]])
    pos, foc = np.array(camera.GetPosition()), np.array(camera.GetFocalPoint())
    camera.SetFocalPoint(*(pos + rot @ (foc - pos)))
    camera.SetViewUp(*(rot @ np.array(camera.GetViewUp())))


def _sample(dem: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """A decimated (averaged, from overviews when there are some) read of band 1.

    Returns elevation (NaN for nodata), cell-centre x per column, y per row, and the
    sample spacing in metres.
    """
    import rasterio
    from rasterio.enums import Resampling

    with rasterio.open(dem) as src:
        factor = max(1, math.ceil(max(src.width, src.height) / SAMPLE_SIDE))
        shape = (math.ceil(src.height / factor), math.ceil(src.width / factor))
        band = src.read(1, out_shape=shape, masked=True, resampling=Resampling.average)
        t = src.transform * src.transform.scale(src.width / shape[1], src.height / shape[0])
    z = band.astype(np.float32).filled(np.nan)
    xs = t.c + t.a * (np.arange(shape[1]) + 0.5)
    ys = t.f + t.e * (np.arange(shape[0]) + 0.5)
    return z, xs, ys, abs(t.a)
