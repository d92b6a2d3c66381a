"""One frame-time case in this process: the demo terrain with 10,000 stations, offscreen.

``python -m benchmarks.sensors.frames CASE --out result.json [--frames N] [--png P]``.
Every case loads the ground layers of the demo scene (the DEM, its style and 2x
vertical exaggeration, as ``open_project`` does), draws them with
:class:`~twinscape.render.scene.SceneView` into a ``pv.Plotter(off_screen=True)`` of
1280 x 720 and frames the stations' square from the south; the camera then stays still.
A frame is: the case's update, ``plotter.render()``, read back.

- ``terrain``: no stations (the reference the glyphs add to);
- ``static``: a :class:`~twinscape.model.sensors.SensorsLayer` of 10,000 stations
  (built by hand: a jittered grid on the terrain around the demo town, three hourly
  PM2.5 observations each), drawn by the app, no updates;
- ``live``: the same, and before each frame one drain of
  :class:`~twinscape.ui.live_feeds.LiveConnection` hands a batch of 10,000 observations
  (one new value per station, built beforehand as the feed's network thread would) to
  ``LiveState.apply``, whose ``updated`` signal recolours the glyphs in place;
- ``naive``: the terrain from SceneView, and the stations as a PyVista script would draw
  them: each frame a new ``PolyData`` of the foot points with the new values,
  ``glyph()`` of a pole-and-ball, ``remove_actor`` of the old actor and ``add_mesh``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import traceback
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.sensors import DEMO_SCENE, FRAME_CASES, QUANTITY, SENSORS
from benchmarks.sensors.publisher import sensor_ids

#: Side (m) of the square the stations cover, centred on the demo town.
AREA_SIDE = 6_000.0
#: Centre of the demo town (EPSG:32636), as io/sensor_simulator.py DEMO_CENTRE.
TOWN_CENTRE = (747_250.0, 3_527_500.0)
#: Glyph size (m): marker diameter; the mast is four times as tall.
GLYPH_SIZE = 25.0
#: Hourly history observations per station before the clock time.
HISTORY_HOURS = 3
#: Seed of the station jitter.
SEED = 0


def load_ground() -> Any:
    """The demo project with only its ground layers, loaded (as the buildings benchmark)."""
    from twinscape.geo.ground import ground_grids
    from twinscape.io.loading import apply_load, read_layer
    from twinscape.io.project_file import load_project

    project, _ = load_project(DEMO_SCENE)
    project.layers[:] = [layer for layer in project.layers if layer.provides_ground]
    for ground in list(project.layers):
        apply_load(project, read_layer(ground, project_crs=project.crs,
                                       ground=ground_grids(project.layers)))
    return project


def station_data(project: Any, count: int = SENSORS) -> Any:
    """``count`` stations on a jittered grid over :data:`AREA_SIDE`, standing on the ground.

    Each has :data:`HISTORY_HOURS` hourly PM2.5 values (:func:`frame_values` of earlier
    steps) ending an hour before the clock.
    """
    import pandas as pd

    from twinscape.geo.ground import ground_grids
    from twinscape.io.sensor_assembly import ground_under
    from twinscape.model.clock import NS, to_ns
    from twinscape.model.sensor_data import SensorData

    side = int(np.ceil(np.sqrt(count)))
    step = AREA_SIDE / side
    rng = np.random.default_rng(SEED)
    gx, gy = np.meshgrid(np.arange(side), np.arange(side))
    x = TOWN_CENTRE[0] - AREA_SIDE / 2 + (gx.ravel()[:count] + 0.5) * step
    y = TOWN_CENTRE[1] - AREA_SIDE / 2 + (gy.ravel()[:count] + 0.5) * step
    x = x + rng.uniform(-0.3, 0.3, count) * step
    y = y + rng.uniform(-0.3, 0.3, count) * step
    z = ground_under(x, y, ground_grids(project.layers))
    now = to_ns(project.clock.current)
    hours = np.arange(HISTORY_HOURS, 0, -1)
    times = now - hours * 3600 * NS
    xyz = np.c_[x, y, z]
    values = np.stack([frame_values(xyz, -int(h)) for h in hours], axis=1)
    ids = sensor_ids(count)
    return SensorData(
        station_ids=np.array(ids, dtype=object),
        xyz=xyz,
        stations=pd.DataFrame({"name": [f"Station {i}" for i in range(count)]}),
        quantities=(QUANTITY,),
        units={QUANTITY: "µg/m³"},
        obs_station=np.repeat(np.arange(count, dtype=np.int32), HISTORY_HOURS),
        obs_quantity=np.zeros(count * HISTORY_HOURS, np.int16),
        obs_time=np.tile(times.astype(np.int64), count),
        obs_value=values.ravel(),
    )


def station_box(data: Any, ve: float) -> tuple[float, ...]:
    """World (xmin, ymin, zmin, xmax, ymax, zmax) of the glyphs as drawn (z exaggerated)."""
    x0, y0 = data.xyz[:, :2].min(axis=0)
    x1, y1 = data.xyz[:, :2].max(axis=0)
    z = data.xyz[:, 2]
    top = (4.0 + 0.5) * GLYPH_SIZE
    return (float(x0), float(y0), float(z.min()) * ve, float(x1), float(y1),
            float(z.max()) * ve + top)


class _Batches:
    """Stands in for the feed: ``drain()`` hands out one prepared batch per call."""

    def __init__(self, batches: list[list[Any]]) -> None:
        self._batches = batches

    def drain(self, max_items: int = 100_000) -> list[Any]:
        return self._batches.pop(0) if self._batches else []


def live_batches(data: Any, clock_ns: int, frames: int) -> list[list[Any]]:
    """Per frame, one new value for every station (the network thread's work, done here).

    Times are 100 ms apart, from 30 minutes before the clock time: newer than the history.
    """
    from twinscape.io.mqtt_feed import LiveObservation
    from twinscape.model.clock import NS

    ids = [str(i) for i in data.station_ids]
    start = clock_ns - 1800 * NS
    out = []
    for k in range(frames):
        values = frame_values(data.xyz, k).tolist()
        out.append([LiveObservation(sid, QUANTITY, start + k * NS // 10, v)
                    for sid, v in zip(ids, values, strict=True)])
    return out


def naive_glyph(size: float = GLYPH_SIZE) -> Any:
    """A pole and a ball from PyVista primitives, as many triangles as the app's mast (28)."""
    import pyvista as pv

    pole = pv.Cylinder(center=(0, 0, 2 * size), direction=(0, 0, 1), radius=0.06 * size,
                       height=4 * size, resolution=4, capping=False)
    ball = pv.Icosahedron(radius=size / 2, center=(0, 0, 4 * size))
    return pole.append_polydata(ball).triangulate()


def frame_values(xyz: np.ndarray, k: int) -> np.ndarray:
    """PM2.5 per station at step ``k``: a wave drifting east across every colour class."""
    x = xyz[:, 0] - TOWN_CENTRE[0]
    y = xyz[:, 1] - TOWN_CENTRE[1]
    return 125.0 + 120.0 * np.sin(x / 700.0 - 0.4 * k) * np.cos(y / 900.0)


def run(case: str, frames: int, png: Path | None) -> dict[str, Any]:
    """Build the case's scene, draw a first frame, then time ``frames`` frames."""
    import pyvista as pv

    from benchmarks.terrain.measure import (
        current_rss_mb,
        drawn_triangles,
        grab,
        image_difference,
        make_plotter,
        peak_rss_mb,
        save_png,
    )
    from twinscape.model.clock import to_ns
    from twinscape.model.sensor_live import LiveState
    from twinscape.model.sensor_style import SensorsStyle
    from twinscape.model.sensors import SensorsLayer
    from twinscape.render.scene import SceneView
    from twinscape.ui.live_feeds import LiveConnection

    start = time.perf_counter()
    project = load_ground()
    data = station_data(project)
    loaded = time.perf_counter()
    layer = None
    if case in ("static", "live"):
        layer = SensorsLayer(name="bench sensors", source=Path("bench.parquet"), data=data,
                             quantity=QUANTITY,
                             style=SensorsStyle(glyph="mast", ramp="aqi", size=GLYPH_SIZE))
        project.layers.append(layer)
    plotter = make_plotter()
    scene = SceneView(plotter, project)
    ve = scene.ground_exaggeration()
    scene.frame(station_box(data, ve))
    clock_ns = to_ns(project.clock.current)
    update: Any = None
    parts: dict[str, list[float]] = {"update": [], "render": []}
    if case == "live":
        assert layer is not None
        layer.live_state = LiveState([str(i) for i in data.station_ids], [QUANTITY])
        feed = _Batches(live_batches(data, clock_ns, frames + 1))
        connection = LiveConnection(layer=layer, feed=feed, recorder=None,  # type: ignore[arg-type]
                                    state=layer.live_state)
        update = connection.drain
    elif case == "naive":
        origin = scene.origin
        feet = data.xyz - np.array([origin.x, origin.y, origin.z])
        feet[:, 2] *= ve
        geom = naive_glyph()
        actor: list[Any] = [None]
        # the new values, one array per frame (what the script's MQTT callback collected)
        values = [frame_values(data.xyz, k) for k in range(frames + 1)]

        def update() -> int:
            points = pv.PolyData(feet)
            points[QUANTITY] = values.pop(0)
            glyphs = points.glyph(geom=geom, scale=False, orient=False)
            if actor[0] is not None:
                plotter.remove_actor(actor[0], render=False)
            actor[0] = plotter.add_mesh(glyphs, scalars=QUANTITY, cmap="turbo", clim=(0, 250),
                                        show_scalar_bar=False, render=False)
            return data.count
    built = time.perf_counter()
    if update is not None:
        update()
    first_image = grab(plotter)
    first = time.perf_counter()
    triangles = int(scene.triangles()) if case != "naive" else drawn_triangles(plotter)
    polydata_before = _glyph_polydata(scene, layer)
    actors_before = plotter.renderer.GetActors().GetNumberOfItems()

    wall: list[float] = []
    cpu: list[float] = []
    image = first_image
    for _ in range(frames):
        w, c = time.perf_counter(), time.process_time()
        if update is not None:
            update()
        u = time.perf_counter()
        image = grab(plotter)
        end = time.perf_counter()
        wall.append(end - w)
        cpu.append(time.process_time() - c)
        parts["update"].append(u - w)
        parts["render"].append(end - u)

    result: dict[str, Any] = {
        "case": case,
        "stations": 0 if case == "terrain" else data.count,
        "frames": frames,
        "load_s": loaded - start,
        "build_s": built - loaded,
        "first_frame_s": first - built,
        "triangles": triangles,
        "frame": _stats(wall),
        "frame_cpu": _stats(cpu),
        "update": _stats(parts["update"]),
        "render": _stats(parts["render"]),
        "frame_times_s": [round(t, 6) for t in wall],
        "frame_cpu_times_s": [round(t, 6) for t in cpu],
        "update_times_s": [round(t, 6) for t in parts["update"]],
        "last_vs_first_image": image_difference(image, first_image),
        "actors": [actors_before, plotter.renderer.GetActors().GetNumberOfItems()],
        "glyph_polydata_kept": polydata_before is not None
        and polydata_before is _glyph_polydata(scene, layer),
        "rss_mb": current_rss_mb(),
        "peak_rss_mb": peak_rss_mb(),
        "vertical_exaggeration": ve,
        "view": {"position": list(plotter.camera.position),
                 "focal_point": list(plotter.camera.focal_point)},
    }
    if layer is not None and layer.live_state is not None:
        result["live_state_received"] = int(layer.live_state.received)
    if png is not None:
        save_png(first_image, png)
        if update is not None:
            save_png(image, png.with_name(f"{png.stem}_last{png.suffix}"))
        result["png"] = str(png)
    scene.close()
    plotter.close()
    return result


def _glyph_polydata(scene: Any, layer: Any) -> Any:
    """The sensors visual's vtkPolyData (None without a sensors layer)."""
    if layer is None:
        return None
    visual = scene.visuals.get(id(layer))
    return None if visual is None else visual.polydata


def _stats(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"median_s": None, "p95_s": None, "mean_s": None}
    a = np.asarray(values, float)
    return {"median_s": float(np.median(a)), "p95_s": float(np.percentile(a, 95)),
            "mean_s": float(a.mean())}


def main(argv: list[str] | None = None) -> int:
    """Run the case; write its numbers (or the error) as JSON to ``--out``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sensors.frames")
    parser.add_argument("case", choices=FRAME_CASES)
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--png", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")  # no X: EGL
    try:
        result: dict[str, Any] = {"ok": True, **run(args.case, args.frames, args.png)}
        code = 0
    except Exception as exc:  # reported to the runner
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}",
                  "traceback": traceback.format_exc()}
        code = 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    return code


if __name__ == "__main__":
    raise SystemExit(main())
