"""Point assets, in local coordinates: x east, y north at rotation 0, z up from the base.

Each shape of :data:`POINT_SHAPES` takes its dimensions from the asset's parameters:

``turbine``     tapered tower to ``hub_height_m``, nacelle, three blades of
                ``rotor_diameter_m / 2`` (one straight up: the top is hub + rotor / 2);
                the rotor faces north at rotation 0.
``tower``       lattice mast of ``height_m`` (four legs, rings, X braces) with a pole
                and three panel antennas at ``antenna_height_m``.
``mast``        thin pole of ``height_m``, a sensor box, a cross arm and a small panel.
``tank``        cylinder of ``footprint_m`` diameter and ``height_m`` with a cone roof.
``substation``  gravel pad of side ``footprint_m``, transformers, a control house, a
                gantry and a fence (posts and two rails).
``box``         a box of side ``footprint_m`` and ``height_m``.

An entry with a model file is drawn with the model instead (:func:`model_solid`), placed
as a 3D model layer places its model (model/models3d.py: :func:`model_matrix`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from twinscape.model.models3d import ModelMesh, ModelPlacement, model_matrix, placed_footprint
from twinscape.render.placed_colors import RGB, WARN_MIX, status_rgb
from twinscape.render.placed_mesh import MeshBuilder, Param, beam, beams, box, prism

FENCE_RGB: RGB = (120, 124, 128)
GRAVEL_RGB: RGB = (150, 146, 138)
GLASS_RGB: RGB = (60, 90, 120)
#: Share of the status colour in the colours of a model that warns or fails (the rest
#: is its own colours, so the model stays recognisable).
MODEL_STATUS_MIX = WARN_MIX


def _turbine(b: MeshBuilder, p: Param, rgb: RGB) -> None:
    hub, radius = p("hub_height_m"), p("rotor_diameter_m") / 2
    r_base = max(0.022 * hub, 1.2)
    nacelle_l, nacelle_h = max(0.2 * radius, 4.0), max(0.065 * radius, 2.0)
    b.solid(prism((0, 0, 0), (0, 0, hub - nacelle_h / 2), r_base, 0.6 * r_base, 16), rgb)
    y0, y1 = -0.65 * nacelle_l, 0.35 * nacelle_l
    w = nacelle_h * 0.5
    b.solid(box((-w, y0, hub - nacelle_h / 2), (w, y1, hub + nacelle_h / 2)), rgb)
    hub_y = y1 + 0.04 * radius
    b.solid(prism((0, y1, hub), (0, y1 + 0.12 * radius, hub), 0.55 * nacelle_h, 0.05, 12), rgb)
    centre = np.array([0.0, hub_y, hub])
    for angle in (90.0, 210.0, 330.0):
        d = np.array([math.cos(math.radians(angle)), 0.0, math.sin(math.radians(angle))])
        chord = np.cross(d, [0.0, 1.0, 0.0])
        b.solid(prism(centre + 0.03 * radius * d, centre + radius * d, 0.045 * radius,
                      0.012 * radius, 6, u=chord, flat=0.25), rgb)  # fmt: skip


def lattice(b: MeshBuilder, base: float, top: float, height: float, rgb: RGB,
             z0: float = 0.0) -> None:
    """Four tapered legs with rings and X braces on every face (towers and pylons)."""
    sections = int(np.clip(round(height / max(base, 1.0) / 1.2), 3, 12))
    leg_w = max(0.04 * base, 0.15)
    brace_w = 0.6 * leg_w
    corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], np.float64)
    zs = z0 + np.linspace(0.0, height, sections + 1)
    half = np.linspace(base / 2, top / 2, sections + 1)
    # levels[s, k]: corner k of level s
    levels = np.concatenate([corners[None] * half[:, None, None],
                             np.broadcast_to(zs[:, None, None], (sections + 1, 4, 1))], axis=2)
    b.solid(beams(levels[0], levels[-1], leg_w), rgb, orient="keep")
    nxt = np.roll(levels, -1, axis=1)  # the next corner round each level
    dark = tuple(int(c * 0.8) for c in rgb)
    starts = [levels.reshape(-1, 3), levels[:-1].reshape(-1, 3), nxt[:-1].reshape(-1, 3)]
    ends = [nxt.reshape(-1, 3), nxt[1:].reshape(-1, 3), levels[1:].reshape(-1, 3)]
    b.solid(beams(np.concatenate(starts), np.concatenate(ends), brace_w), dark, orient="keep")


def _tower(b: MeshBuilder, p: Param, rgb: RGB) -> None:
    height = p("height_m")
    antenna = p("antenna_height_m")
    antenna = height if not math.isfinite(antenna) else antenna
    base = p("footprint_m")
    base = max(0.12 * height, 2.0) if not math.isfinite(base) else base
    top = max(0.25 * base, 0.6)
    lattice(b, base, top, height, rgb)
    whip = max(antenna, height) + 0.1 * height
    b.solid(prism((0, 0, height), (0, 0, whip), 0.08 * top + 0.05, 0.03, 6), (200, 200, 200))
    ant_h = max(0.04 * height, 1.2)
    z = min(antenna, whip - ant_h)
    for angle in (0.0, 120.0, 240.0):
        d = np.array([math.sin(math.radians(angle)), math.cos(math.radians(angle)), 0.0])
        c = d * (top / 2 + 0.3)
        b.solid(prism((*c[:2], z), (*c[:2], z + ant_h), 0.25 * ant_h, 0.25 * ant_h, 4, u=d,
                      flat=0.3), (235, 235, 235))  # fmt: skip


def _mast(b: MeshBuilder, p: Param, rgb: RGB) -> None:
    height = p("height_m")
    b.solid(prism((0, 0, 0), (0, 0, height), 0.1, 0.06, 8), rgb)
    s = max(0.05 * height, 0.4)
    b.solid(box((0.1, -s / 2, 0.6 * height), (0.1 + s, s / 2, 0.6 * height + 1.3 * s)),
            (235, 235, 230))
    b.solid(beam((-0.6 * s * 2, 0, height), (0.6 * s * 2, 0, height), 0.08), rgb)
    panel = np.array([[-s, -0.8 * s, 0], [s, -0.8 * s, 0], [s, 0.2 * s, 0.5 * s],
                      [-s, 0.2 * s, 0.5 * s]]) + [0, -0.3, 0.4 * height]
    b.solid((panel, np.array([[0, 1, 2], [0, 2, 3]])), GLASS_RGB, orient="up")


def _tank(b: MeshBuilder, p: Param, rgb: RGB) -> None:
    height, radius = p("height_m"), p("footprint_m") / 2
    b.solid(prism((0, 0, 0), (0, 0, height), radius, radius, 32), rgb)
    b.solid(prism((0, 0, height), (0, 0, height + 0.18 * radius), radius, 0.08 * radius, 32),
            rgb)


def _substation(b: MeshBuilder, p: Param, rgb: RGB) -> None:
    side, height = p("footprint_m"), p("height_m")
    h = side / 2
    b.solid(box((-h, -h, 0), (h, h, 0.3)), GRAVEL_RGB)
    t = 0.16 * side
    for x in (-0.25 * side, 0.05 * side):
        b.solid(box((x - t / 2, -0.3 * side, 0.3), (x + t / 2, -0.3 * side + t, 0.6 * height)),
                rgb)
    b.solid(box((0.2 * side, 0.15 * side, 0.3), (0.42 * side, 0.42 * side, 0.7 * height)),
            (214, 204, 186))
    for x in (-0.4 * side, 0.1 * side):
        b.solid(beam((x, 0.0, 0.3), (x, 0.0, height), 0.35), rgb)
    b.solid(beam((-0.4 * side, 0.0, height), (0.1 * side, 0.0, height), 0.35), rgb)
    ring = np.array([[-h, -h], [h, -h], [h, h], [-h, h]])
    fence_h = 2.4
    posts = []
    for k in range(4):
        a, c = ring[k], ring[(k + 1) % 4]
        n = max(int(np.ceil(np.linalg.norm(c - a) / 6.0)), 1)
        posts.append(a + (c - a) * (np.arange(n)[:, None] / n))
    feet = np.column_stack([np.concatenate(posts), np.zeros(sum(len(q) for q in posts))])
    b.solid(beams(feet, feet + [0.0, 0.0, fence_h], 0.12), FENCE_RGB, orient="keep")
    for z in (1.0, fence_h):
        b.polyline(np.column_stack([ring, np.full(4, z)]), FENCE_RGB, closed=True)


def _box_shape(b: MeshBuilder, p: Param, rgb: RGB) -> None:
    h = p("footprint_m") / 2
    b.solid(box((-h, -h, 0), (h, h, p("height_m"))), rgb)


POINT_SHAPES: dict[str, Callable[[MeshBuilder, Param, RGB], None]] = {
    "turbine": _turbine,
    "tower": _tower,
    "mast": _mast,
    "tank": _tank,
    "substation": _substation,
    "box": _box_shape,
}


def footprint_half(shape: str, p: Param) -> float:
    """Half the side of a point asset's footprint (where its base is looked for)."""
    size = p("footprint_m")
    if not math.isfinite(size):
        size = {"turbine": 2 * max(0.022 * p("hub_height_m"), 1.2),
                "tower": max(0.12 * p("height_m"), 2.0), "mast": 1.0}.get(shape, 4.0)
    return size / 2


def _placement(xy: tuple[float, float], rotation_deg: float) -> ModelPlacement:
    return ModelPlacement(x=float(xy[0]), y=float(xy[1]), rotation_deg=rotation_deg)


def model_footprint(mesh: ModelMesh, xy: tuple[float, float], rotation_deg: float,
                    scale: float) -> np.ndarray:
    """float64 (k, 2): world x, y of a model's footprint standing at ``xy``."""
    return placed_footprint(mesh, _placement(xy, rotation_deg), unit_scale=scale)


def status_mixed(colors: np.ndarray, status: str) -> np.ndarray:
    """float64 (t, 3): a model's colours, mixed toward the status colour unless "ok"."""
    rgb = np.asarray(colors, np.float64)
    if status not in ("warn", "fail"):
        return rgb
    return rgb * (1 - MODEL_STATUS_MIX) + np.asarray(status_rgb(status)) * MODEL_STATUS_MIX


def model_solid(b: MeshBuilder, mesh: ModelMesh, xy: tuple[float, float],
                rotation_deg: float, scale: float, base: float, status: str) -> None:
    """Add a model in world coordinates: the centre of its box at ``xy``, its lowest
    point at ``base``, turned ``rotation_deg`` clockwise from north, ``scale`` metres a
    unit. A closed model wound inwards is turned outwards (lit from the sun's side)."""
    m = model_matrix(mesh, _placement(xy, rotation_deg), unit_scale=scale, elevation=base)
    verts = np.asarray(mesh.vertices, np.float64) @ m[:3, :3].T + m[:3, 3]
    tris = np.asarray(mesh.triangles, np.int64)
    a, c, d = verts[tris[:, 0]], verts[tris[:, 1]], verts[tris[:, 2]]
    centre = verts.mean(axis=0)
    if np.einsum("ij,ij->", a - centre, np.cross(c - centre, d - centre)) < 0:
        tris = tris[:, ::-1]
    b.place(np.eye(3), (0.0, 0.0, 0.0), floor=False)
    b.solid((verts, tris), status_mixed(mesh.colors, status), orient="keep")
