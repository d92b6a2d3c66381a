"""Buildings benchmark: Twinscape's batched buildings vs one PyVista mesh per building vs terrain.

``python -m benchmarks.buildings`` generates planned towns of 10,000 and 100,000 buildings
(:mod:`benchmarks.district`, cached in ``.bench/``) on the demo terrain and runs, for each
count and each in a fresh subprocess so that peak memory (``ru_maxrss``) is its own:

- ``twinscape``: the app's path. The ground layers of the demo scene
  (``scenes/deadsea_demo.toml``: the demo DEM with its style, 2x vertical exaggeration;
  its own buildings layer is left out) loaded as ``open_project`` does, then the GeoPackage
  through ``load_file``/``apply_load``, which reads it with
  ``twinscape.io.footprints.read_footprints`` and stands every building on the terrain with
  ``twinscape.geo.ground.footprint_bases`` (both timed by wrapping them where the buildings
  kind calls them); then ``SceneView`` on an offscreen 1280 x 720 plotter, first frame
  and orbits.
- ``terrain``: the same scene without buildings, at the same cameras: the floor buildings
  add to.
- ``naive``: what a PyVista user writes first: geopandas reads the file, each footprint's
  outer ring becomes ``pv.PolyData(...).extrude(...)`` on the DEM height at its centroid,
  one ``add_mesh`` per building (z scaled by the scene's exaggeration so that the
  cameras show the same picture). No terrain (which only flatters it). When the whole
  file would take longer than ``--naive-budget`` seconds to add, it stops after a subset
  and times, memory and frames are extrapolated linearly to the full count: the table
  says so.

Two cameras, both in world coordinates taken from the Twinscape case: ``overview``
(``SceneView.frame`` of the whole town: every building in view, the hardest case for a
renderer without levels of detail) and ``close`` (the central 800 m of the town from
about 1 km). Orbits are ``benchmarks.terrain.measure.orbit``: 3 degrees a frame, render
and read back. Twinscape and terrain-only are orbited with the settled tolerance and
with ``scene.interacting = True``, which is what a user dragging gets and what the
ratios table compares (medians of the two orbits; also the median of the frame-by-frame
quotients at the same cameras, ``..._paired``, which does not swing with where in the
orbit each case's frames turn slow).

The orbit target compares in one process: after its orbits the Twinscape case orbits each
camera again with the town shown and with its layer hidden (the terrain alone), in
turn, :data:`INTERLEAVED_ROUNDS` times, each orbit after :data:`WARMUP_FRAMES` frames
in which the frame budget settles (``views._interleaved``). Separate processes of the
same case on this 2-core machine ran the same frames, in the same level-of-detail state,
at 44 to 63 ms, CPU time alike: a ratio across processes carries that drift, one of
frames taken seconds apart does not. Both are reported.

Targets (from the brief): buildings load of 100,000 < 20 s, Twinscape orbit within
1.5x of the terrain-only frame, peak memory < 1.5 GB (1536 MiB) for 100,000.

Results: tables on stdout, ``.bench/buildings.json``, and the first image of each case
and view in ``.bench/buildings_<count>_<case>_<view>.png``: look at them.
One case alone: ``python -m benchmarks.buildings --child twinscape --count 10000 --out x.json``.

Modules: ``runner`` (options, one child process per case, the JSON), ``child`` (one case
in this process), ``twinscape_case`` (twinscape and terrain), ``naive_case``, ``views``
(cameras, orbits), ``report`` (ratios, targets, tables), ``town`` (the cached town).
"""

from __future__ import annotations

from benchmarks.terrain import REPO_ROOT

#: The demo scene: the terrain (and its style) the buildings stand on.
DEMO_SCENE = REPO_ROOT / "scenes" / "deadsea_demo.toml"

#: Building counts benchmarked by default.
COUNTS = (10_000, 100_000)
#: Seed of the generated towns.
SEED = 0
#: Case names, in the order they run (twinscape first: it sets the cameras).
CASES = ("twinscape", "terrain", "naive")
#: Camera names, in order.
VIEWS = ("overview", "close")
#: Half side (m) of the square the close view frames around the town centre.
CLOSE_HALF_SIDE = 400.0
#: Rounds of the interleaved orbits (town shown, then hidden), and the frames before each
#: timed orbit in which the frame budget settles to what is drawn.
INTERLEAVED_ROUNDS = 3
WARMUP_FRAMES = 8

#: The naive case stops adding meshes when the whole file would take longer than this.
NAIVE_BUDGET_S = 120.0
#: ... but not before it has added this many (or spent a third of the budget).
NAIVE_MIN_SUBSET = 10_000
#: ... and always stops when its resident memory passes this (MiB): 24 GB machines.
NAIVE_RSS_CAP_MB = 6_000.0


# Names other scripts import from ``benchmarks.buildings``; imported after the constants
# above, which these modules read.
from benchmarks.buildings.town import district_file  # noqa: E402
from benchmarks.buildings.views import _camera_view, _town_views  # noqa: E402

__all__ = [
    "CASES",
    "CLOSE_HALF_SIDE",
    "COUNTS",
    "DEMO_SCENE",
    "NAIVE_BUDGET_S",
    "NAIVE_MIN_SUBSET",
    "NAIVE_RSS_CAP_MB",
    "SEED",
    "VIEWS",
    "_camera_view",
    "_town_views",
    "district_file",
]
