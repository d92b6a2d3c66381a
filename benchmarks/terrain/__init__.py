"""Terrain rendering benchmark: naive full-resolution mesh vs near-empty scene vs Twinscape.

``python -m benchmarks.terrain`` (``make bench``) measures, for the demo DEM, a 4096 x 4096
DEM resampled from it, a 4096 x 4096 fBm DEM and a 16384 x 16384 fBm COG (both generated
and cached), each case in a fresh subprocess: time to first (complete) frame, overview
orbit and close-up (flying, turning, settled) frame times, peak memory and triangles
drawn, then prints tables and writes ``.bench/terrain.json``. See ``benchmarks/README.md``.
"""

from __future__ import annotations

from pathlib import Path

#: Repository root (the folder holding ``benchmarks/``).
REPO_ROOT = Path(__file__).resolve().parents[2]
#: Cache and results folder (gitignored).
BENCH_DIR = REPO_ROOT / ".bench"
#: The DEM of the demo scene.
DEMO_DEM = REPO_ROOT / "assets" / "dem" / "deadsea_n31e035_srtm3_utm36n_90m.tif"
#: Offscreen window size every case renders at.
WINDOW_SIZE = (1280, 720)
#: Degrees the camera turns about the focal point between two orbit frames.
ORBIT_STEP_DEG = 3.0
#: Overview case names, in the order they are run and shown.
CASES = ("twinscape", "naive", "near_empty")
#: Close-up case names (a camera a few hundred metres above the ground), run after them.
CLOSEUP_CASES = ("closeup_fly", "closeup_turn", "closeup_settled")
