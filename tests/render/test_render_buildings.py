"""Buildings drawn off-screen on terrain: checked by content at the pixels where they stand."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import pyvista as pv
import shapely
from vtkmodules.util.numpy_support import vtk_to_numpy
from vtkmodules.vtkRenderingCore import vtkCellPicker

from twinscape.geo.origin import LocalOrigin
from twinscape.geo.sampling import sample_elevation
from twinscape.model import CameraView, Project, RasterGrid
from twinscape.model.buildings import (
    SURFACE_ROOF,
    SURFACE_WALL,
    BuildingMesh,
    BuildingsLayer,
    BuildingsStyle,
)
from twinscape.render import scene as scene_module
from twinscape.render.building_colors import (
    HIGHLIGHT,
    MAX_CATEGORIES,
    NO_DATA,
    OTHER,
    building_colors,
    building_legend,
    hex_rgb,
    roof_color,
    shading,
)
from twinscape.render.buildings_visual import BuildingsVisual
from twinscape.render.scene import SceneView

from render_helpers import make_project, snapshot

Plotters = Callable[..., pv.Plotter]
X0, Y0 = 700_000.0, 3_500_400.0  # north-west corner of the flat test grid (UTM 36N)


# -- a tiny mesh builder: boxes and courtyard blocks ---------------------------------
def square(cx: float, cy: float, w: float, d: float | None = None) -> np.ndarray:
    """Corners of an axis-aligned rectangle, counter-clockwise seen from above."""
    d = w if d is None else d
    return np.array([[cx - w / 2, cy - d / 2], [cx + w / 2, cy - d / 2],
                     [cx + w / 2, cy + d / 2], [cx - w / 2, cy + d / 2]])  # fmt: skip


def prism(outer: np.ndarray, height: float, hole: np.ndarray | None = None) -> tuple:
    """Triangles (j, 3, 3) and surfaces (j,) of a convex footprint (with a matching hole)."""
    tris: list = []
    surf: list = []

    def walls(ring: np.ndarray) -> None:
        for p, q in zip(ring, np.roll(ring, -1, axis=0)):
            p0, q0, q1, p1 = (*p, 0.0), (*q, 0.0), (*q, height), (*p, height)
            tris.extend([(p0, q0, q1), (p0, q1, p1)])
            surf.extend([SURFACE_WALL] * 2)

    walls(outer)
    top = [(*p, height) for p in outer]
    if hole is None:
        for i in range(1, len(outer) - 1):
            tris.append((top[0], top[i], top[i + 1]))
            surf.append(SURFACE_ROOF)
    else:
        walls(hole[::-1])  # clockwise: the walls face the courtyard
        inner = [(*p, height) for p in hole]
        for i in range(len(outer)):
            j = (i + 1) % len(outer)
            tris.extend([(top[i], top[j], inner[j]), (top[i], inner[j], inner[i])])
            surf.extend([SURFACE_ROOF] * 2)
    return np.array(tris, float), np.array(surf, np.uint8)


def make_buildings(specs: Sequence[dict], grid: RasterGrid | None = None) -> BuildingsLayer:
    """A buildings layer from ``{"outer", "height", "hole"?, **attributes}`` specs.

    The base of each building is the lowest terrain point under its footprint corners.
    """
    tris, surf, owner, polys, rows = [], [], [], [], []
    for i, spec in enumerate(specs):
        t, s = prism(spec["outer"], spec["height"], spec.get("hole"))
        tris.append(t)
        surf.append(s)
        owner.append(np.full(len(t), i, np.int32))
        holes = [spec["hole"]] if spec.get("hole") is not None else []
        poly = shapely.Polygon(spec["outer"], holes)
        polys.append(poly)
        extra = {k: v for k, v in spec.items() if k not in ("outer", "hole", "height")}
        rows.append({"building_id": f"b{i}", "height": spec["height"], "height_source": "attribute",
                     "footprint_area": poly.area, **extra})  # fmt: skip
    corners = np.concatenate(tris)
    mesh = BuildingMesh(
        vertices=corners.reshape(-1, 3),
        triangles=np.arange(3 * len(corners), dtype=np.int32).reshape(-1, 3),
        triangle_building=np.concatenate(owner),
        triangle_surface=np.concatenate(surf),
        footprints=np.array(polys + [None], dtype=object)[:-1],
        own_base=np.zeros(len(specs)),
        table=pd.DataFrame(rows),
    )
    base = None
    if grid is not None:
        base = np.array([np.nanmin(sample_elevation(grid, s["outer"][:, 0], s["outer"][:, 1]))
                         for s in specs])  # fmt: skip
    return BuildingsLayer(name="town", source=Path("/data/town.geojson"), mesh=mesh, base=base)


# -- scenes -----------------------------------------------------------------------
def flat_grid() -> RasterGrid:
    """400 m x 400 m of 2 m cells, rising gently from 100 m in the west to 108 m."""
    values = 100.0 + np.tile(np.arange(200, dtype=np.float32) * 0.04, (200, 1))
    return RasterGrid(values=values.astype(np.float32), transform=(2.0, 0.0, X0, 0.0, -2.0, Y0),
                      crs="EPSG:32636")  # fmt: skip


def town_specs() -> list[dict]:
    cx, cy = X0 + 200.0, Y0 - 200.0
    return [
        {"outer": square(cx - 70, cy - 40, 40, 30), "height": 12.0, "use": "housing"},
        {"outer": square(cx + 60, cy - 40, 30), "height": 36.0, "use": "office"},
        {"outer": square(cx, cy + 60, 60), "hole": square(cx, cy + 60, 30), "height": 15.0,
         "use": "housing"},
    ]  # fmt: skip


class Town:
    """A terrain scene (SceneView) with a buildings visual added to the same plotter."""

    def __init__(
        self,
        plotters: Plotters,
        grid: RasterGrid,
        specs: list[dict],
        *,
        in_project: bool = False,
        style: dict | None = None,
    ) -> None:
        self.grid, self.specs = grid, specs
        style = {"elevation_range": (-400.0, 1200.0)} if style is None else style
        self.project = make_project(grid, **style)
        self.layer = make_buildings(specs, grid)
        if in_project:  # SceneView draws it (through the registry)
            self.project.layers.append(self.layer)
        self.plotter = plotters()
        self.scene = SceneView(self.plotter, self.project)
        self.origin = LocalOrigin.of(self.project.origin)
        if in_project:
            self.visual = next(
                v for v in self.scene.visuals.values() if isinstance(v, BuildingsVisual)
            )
        else:
            self.visual = BuildingsVisual(self.layer, self.plotter, self.origin)

    def look(self, eye: Sequence[float], at: Sequence[float], up=(0.0, 0.0, 1.0)) -> None:
        self.scene.apply_view(CameraView(position=tuple(eye), focal_point=tuple(at),
                                         view_up=tuple(up), view_angle=30.0))  # fmt: skip

    def from_above(self, i: int, height: float = 400.0) -> None:
        c = self.centre(i)
        self.look((c[0], c[1], c[2] + height), c, up=(0.0, 1.0, 0.0))

    def oblique(self) -> None:
        cx, cy = X0 + 200.0, Y0 - 200.0
        self.look((cx + 120, cy - 420, 420), (cx, cy, 110))

    def centre(self, i: int, z: str = "roof") -> np.ndarray:
        """Centre of building ``i`` on its roof (of a courtyard: the ring's south side)."""
        spec = self.specs[i]
        x, y = spec["outer"].mean(axis=0)
        if z == "roof" and spec.get("hole") is not None:
            y = (spec["outer"][:, 1].min() + spec["hole"][:, 1].min()) / 2
        return np.array([x, y, self.layer.base[i] + (spec["height"] if z == "roof" else 0.0)])

    def shot(self, name: str | None = None) -> np.ndarray:
        self.scene.settle()
        return snapshot(self.plotter, name)

    def pixel(self, world: Sequence[float], ve: float = 1.0) -> tuple[int, int]:
        """(row, col) of a world point in the picture (row 0 at the top)."""
        ren = self.plotter.renderer
        x, y, z = self.origin.point_to_render(tuple(world))
        ren.SetWorldPoint(x, y, z * ve, 1.0)
        ren.WorldToDisplay()
        px, py, _ = ren.GetDisplayPoint()
        return int(ren.GetSize()[1] - 1 - round(py)), int(round(px))

    def roof_rgb(self, i: int) -> np.ndarray:
        rgb = building_colors(self.layer, highlight=self.visual.highlight)
        mesh = self.layer.mesh
        roofs = (mesh.triangle_building == i) & (mesh.triangle_surface == SURFACE_ROOF)
        return rgb[roofs][0].astype(int)


def close(image: np.ndarray, rc: tuple[int, int], rgb: Sequence[int], tol: int = 8) -> bool:
    """The 3 x 3 block around ``rc`` has a pixel within ``tol`` of ``rgb``."""
    r, c = rc
    block = image[r - 1 : r + 2, c - 1 : c + 2].reshape(-1, 3).astype(int)
    return bool((np.abs(block - np.asarray(rgb)).max(axis=1) <= tol).any())


def colour_diff(a: np.ndarray, b: Sequence[int]) -> int:
    return int(np.abs(a.astype(int) - np.asarray(b, int)).max())


@pytest.fixture
def town(plotter_factory: Plotters) -> Iterator[Town]:
    t = Town(plotter_factory, flat_grid(), town_specs())
    yield t
    t.visual.close()
    t.scene.close()


@pytest.fixture
def buildings_registered() -> Iterator[None]:
    """SceneView draws BuildingsLayer (register it for this test if nobody did)."""
    table = getattr(scene_module, "LAYER_TO_VISUAL", None)
    added = table is not None and BuildingsLayer not in table
    if added:
        table[BuildingsLayer] = BuildingsVisual
    yield
    if added:
        table.pop(BuildingsLayer, None)


# -- colours (numpy only) -----------------------------------------------------------
def test_shading_sets_walls_apart_and_keeps_flat_roofs() -> None:
    layer = make_buildings([{"outer": square(0, 0, 10), "height": 10.0}])
    mesh = layer.mesh
    f = shading(mesh)
    n = np.cross(*(mesh.vertices[mesh.triangles[:, k]] - mesh.vertices[mesh.triangles[:, 0]]
                   for k in (1, 2)))  # fmt: skip
    facing = {name: f[(np.sign(np.round(n[:, a])) == s) & (mesh.triangle_surface == 0)][0]
              for name, a, s in [("S", 1, -1), ("E", 0, 1), ("N", 1, 1), ("W", 0, -1)]}  # fmt: skip
    assert np.allclose(f[mesh.triangle_surface == SURFACE_ROOF], 1.0)
    assert facing["N"] > facing["S"] and facing["W"] > facing["E"]  # the sun is north-west
    assert len({round(float(v), 3) for v in facing.values()}) == 4  # every side its own tone
    rgb = building_colors(layer)
    assert tuple(rgb[mesh.triangle_surface == SURFACE_ROOF][0]) == roof_color(hex_rgb("#e8dcc4"))
    assert [e[0] for e in building_legend(layer)] == ["Roofs", "Walls"]


def test_graduated_and_categorised_legends() -> None:
    heights = [3.0, 6.0, 9.0, 12.0, 20.0, 40.0, float("nan")]
    specs = [{"outer": square(20 * i, 0, 10), "height": 10.0, "h": h, "use": f"u{i % 3}"}
             for i, h in enumerate(heights)]  # fmt: skip
    specs += [{"outer": square(20 * i, 50, 10), "height": 5.0, "h": 1.0 + i,
               "use": f"rare{i}"}
              for i in range(12)]  # fmt: skip
    layer = make_buildings(specs)
    layer.style.color_by = "h"
    layer.style.classes = 4
    layer.style.color_mode = "graduated"
    legend = building_legend(layer)
    assert len(legend) == 5 and legend[-1] == ("no data", NO_DATA)
    assert all(" \u2013 " in label for label, _ in legend[:4]), legend
    assert legend[0][0].startswith("1.0") and legend[3][0].endswith("40.0")
    rgb = building_colors(layer)
    roof = layer.mesh.triangle_surface == SURFACE_ROOF
    nan_roof = rgb[roof & (layer.mesh.triangle_building == 6)][0]
    assert tuple(nan_roof) == NO_DATA
    layer.style.color_by = "use"
    layer.style.color_mode = "categorised"
    legend = building_legend(layer)
    assert len(legend) == MAX_CATEGORIES + 1 and legend[-1] == ("other", OTHER)
    assert [lbl for lbl, _ in legend[:3]] == ["u0", "u1", "u2"]  # most frequent first
    assert len({c for _, c in legend}) == len(legend)
    layer.style.color_mode = "graduated"  # of a text column (a project file may say so)
    assert building_legend(layer) == [("no data", NO_DATA)]
    assert {tuple(c) for c in building_colors(layer)[roof]} == {NO_DATA}


# -- pictures -----------------------------------------------------------------------
def test_buildings_appear_where_they_stand(town: Town) -> None:
    town.oblique()
    town.layer.visible = False
    bare = town.shot()
    town.layer.visible = True
    image = town.shot("buildings_flat_oblique")
    for i in range(3):
        rc = town.pixel(town.centre(i))
        expect = town.roof_rgb(i)
        assert close(image, rc, expect), (i, rc, image[rc], expect)
        assert colour_diff(bare[rc], expect) > 20, "the roof must stand out from the ground"
    # the south wall of the tall block, half way up, shows the wall colour, shaded
    spec = town.specs[1]
    x, y = spec["outer"].mean(axis=0)
    south = (x, spec["outer"][:, 1].min(), town.layer.base[1] + 18.0)
    mesh = town.layer.mesh
    wall_rgb = building_colors(town.layer)[(mesh.triangle_building == 1)][0]  # south face
    assert close(image, town.pixel(south), wall_rgb)
    assert colour_diff(wall_rgb, town.roof_rgb(1)) > 20


def test_courtyard_seen_from_above_shows_the_ground(town: Town) -> None:
    town.from_above(2)
    town.layer.visible = False
    bare = town.shot()
    town.layer.visible = True
    image = town.shot("buildings_courtyard_above")
    middle = town.pixel(town.centre(2, z="ground"))
    assert colour_diff(image[middle], bare[middle]) <= 6, "the courtyard shows the terrain"
    x, y, z = town.centre(2)
    ring = town.pixel((x, y, z))  # half way between the outer and the inner wall
    assert close(image, ring, town.roof_rgb(2))
    assert colour_diff(bare[ring], town.roof_rgb(2)) > 20


def test_hiding_and_opacity(town: Town) -> None:
    town.from_above(1)
    town.layer.visible = False
    bare = town.shot()
    assert not any(a.GetVisibility() for a in town.visual.actors)
    town.layer.visible = True
    shown = town.shot()
    rc = town.pixel(town.centre(1))
    assert close(shown, rc, town.roof_rgb(1))
    town.layer.visible = False
    hidden = town.shot()
    assert np.abs(hidden.astype(int) - bare.astype(int)).max() <= 2
    town.layer.visible = True
    town.layer.opacity = 0.5
    assert all(a.GetProperty().GetOpacity() == 0.5 for a in town.visual.actors)
    half = town.shot("buildings_half_opacity")
    blend = (town.roof_rgb(1) + bare[rc].astype(int)) / 2
    assert colour_diff(half[rc], blend.round()) <= 12, (half[rc], blend)


def test_graduated_style_recolours_in_place(town: Town) -> None:
    town.oblique()
    actors = list(town.visual.actors)
    scalars = actors[0].GetMapper().GetInput().GetPointData().GetScalars()
    before = scalars.GetMTime()
    style = town.layer.style
    style.color_by, style.classes, style.ramp = "height", 3, "viridis"
    style.color_mode = "graduated"
    assert town.visual.actors == actors  # recoloured, not rebuilt
    same = actors[0].GetMapper().GetInput().GetPointData().GetScalars()
    assert same is scalars and scalars.GetMTime() > before
    legend = building_legend(town.layer)
    assert len(legend) == 3
    image = town.shot("buildings_graduated")
    got = [image[town.pixel(town.centre(i))] for i in range(3)]
    assert colour_diff(got[0], got[1]) > 40  # 12 m and 36 m: lowest and highest class
    assert close(image, town.pixel(town.centre(0)), legend[0][1])
    assert close(image, town.pixel(town.centre(1)), legend[2][1])
    town.layer.style = BuildingsStyle(color="#808080", semantic_colors=False)  # a new style
    assert building_legend(town.layer) == [("Buildings", (128, 128, 128))]
    town.layer.style.color = "#a0a0a0"  # followed too
    assert close(town.shot(), town.pixel(town.centre(1)), (160, 160, 160))


def test_highlight_colours_one_building(town: Town) -> None:
    town.from_above(0, height=700.0)
    plain = town.shot()
    town.visual.set_highlight([1])
    image = town.shot("buildings_highlight")
    assert close(image, town.pixel(town.centre(1)), HIGHLIGHT)
    rc0 = town.pixel(town.centre(0))
    assert colour_diff(image[rc0], plain[rc0]) <= 2
    town.visual.set_highlight([])
    assert close(town.shot(), town.pixel(town.centre(1)), town.roof_rgb(1))


def test_picking_a_building_gives_its_row(town: Town) -> None:
    town.oblique()
    image = town.shot()
    picker = vtkCellPicker()
    picker.SetTolerance(0.0005)
    h = image.shape[0]
    for i in (2, 0, 1):
        r, c = town.pixel(town.centre(i))
        assert picker.Pick(c, h - 1 - r, 0, town.plotter.renderer)
        assert picker.GetActor() in town.visual.actors
        assert town.visual.row_of_cell(picker.GetActor(), picker.GetCellId()) == i
    r, c = town.pixel((X0 + 30.0, Y0 - 370.0, 101.0))  # bare ground
    assert picker.Pick(c, h - 1 - r, 0, town.plotter.renderer)
    assert town.visual.row_of_cell(picker.GetActor(), picker.GetCellId()) is None


def test_exaggeration_keeps_buildings_on_the_terrain(
    plotter_factory: Plotters, buildings_registered: None
) -> None:
    grid = flat_grid()
    t = Town(plotter_factory, grid, town_specs(), in_project=True)
    project, visual, scene = t.project, t.visual, t.scene
    box1 = visual.bounds_render()
    project.layers[0].style.vertical_exaggeration = 3.0
    assert visual.ve == 3.0  # the scene hands the ground's exaggeration on
    assert all(a.GetScale() == (1.0, 1.0, 3.0) for a in visual.actors)
    assert np.allclose(visual.bounds_render()[4:], box1[4:] * 3.0)
    cx, cy = X0 + 200.0, Y0 - 200.0
    t.look((cx + 120, cy - 420, 320.0), (cx, cy, 104.0))  # real heights: drawn 3 x
    image = t.shot("buildings_exaggerated")
    for i in range(2):
        roof = t.pixel(t.centre(i), ve=3.0)
        assert close(image, roof, t.roof_rgb(i)), (i, image[roof])
        assert roof[0] < t.pixel(t.centre(i), ve=1.0)[0]  # drawn higher than at 1x
        spec = t.specs[i]
        x, y = spec["outer"].mean(axis=0)
        foot = t.pixel((x, spec["outer"][:, 1].min() - 6.0, sample_elevation(grid, x, y)), ve=3.0)
        assert picker_hits_terrain(t, foot)  # the ground in front of the wall is terrain
    scene.close()


def picker_hits_terrain(t: Town, rc: tuple[int, int]) -> bool:
    picker = vtkCellPicker()
    h = t.plotter.renderer.GetSize()[1]
    if not picker.Pick(rc[1], h - 1 - rc[0], 0, t.plotter.renderer):
        return False
    return picker.GetActor() not in t.visual.actors


def test_utm_buildings_are_centimetre_exact(plotter_factory: Plotters) -> None:
    x, y = 700_000.23, 3_500_000.71
    specs = [{"outer": square(x + 13.37 * i, y + 7.91 * i, 9.99), "height": 10.0 + i}
             for i in range(5)]  # fmt: skip
    layer = make_buildings(specs)
    layer.base = 612.345 + np.arange(5) * 0.017
    project = Project(crs="EPSG:32636")
    project.adopt_origin(layer.bounds)
    origin = LocalOrigin.of(project.origin)
    visual = BuildingsVisual(layer, plotter_factory((300, 200)), origin)
    mesh = layer.mesh
    expect = mesh.vertices + np.c_[np.zeros((len(mesh.vertices), 2)),
                                   layer.base[mesh.vertex_building]]  # fmt: skip
    worst, seen = 0.0, 0
    for actor in visual.actors:
        polydata = actor.GetMapper().GetInput()
        pts = vtk_to_numpy(polydata.GetPoints().GetData())
        assert pts.dtype == np.float32
        world = origin.to_world(pts)
        dist = np.abs(world[:, None, :] - expect[None, :, :]).max(axis=2).min(axis=1)
        worst = max(worst, float(dist.max()))
        seen += polydata.GetNumberOfCells()
    assert seen == len(mesh.triangles)
    assert worst < 0.01, f"building points are {worst:.4f} m off in world coordinates"
    moved = LocalOrigin(origin.x + 1234.5, origin.y - 987.6, 100.0)
    visual.set_origin(moved)
    pts = vtk_to_numpy(visual.actors[0].GetMapper().GetInput().GetPoints().GetData())
    world = moved.to_world(pts)
    assert np.abs(world[:, None, :] - expect[None]).max(axis=2).min(axis=1).max() < 0.01
    naive = np.abs(expect.astype(np.float32).astype(np.float64) - expect).max()
    assert naive > 0.05
    visual.close()


def test_many_buildings_in_a_few_chunks(plotter_factory: Plotters) -> None:
    grid = flat_grid()
    specs = [{"outer": square(X0 + 10 + 13 * (i % 30), Y0 - 10 - 13 * (i // 30), 8),
              "height": 5.0 + i % 7} for i in range(900)]  # fmt: skip
    layer = make_buildings(specs, grid)
    plotter = plotter_factory()
    renderer = plotter.renderer
    n_before = renderer.GetActors().GetNumberOfItems()
    connections = {s: len(getattr(layer.events, s)) for s in ("visible", "opacity", "base", "mesh")}
    visual = BuildingsVisual(layer, plotter, LocalOrigin(X0 + 200, Y0 - 200, 0.0),
                             chunk_triangles=2000)  # fmt: skip
    actors = visual.actors
    assert 2 <= len(actors) <= 9  # 9000 triangles, a 3 x 3 grid at most
    rows = np.concatenate([vtk_to_numpy(a.GetMapper().GetInput().GetCellData()
                                        .GetArray("building")) for a in actors])  # fmt: skip
    assert len(rows) == len(layer.mesh.triangles)
    assert np.array_equal(np.bincount(rows), np.full(900, 10))
    for a in actors:  # each chunk is a compact part of the town
        b = a.GetMapper().GetInput().GetBounds()
        assert b[1] - b[0] < 300 and b[3] - b[2] < 300
    z0 = visual.bounds_render()[4]
    layer.base = layer.base + 5.0
    assert visual.actors == actors and np.isclose(visual.bounds_render()[4], z0 + 5.0, atol=1e-3)
    cam = renderer.GetActiveCamera()  # a close look at the north-west corner
    cam.SetPosition(-180.0, 180.0, 160.0)
    cam.SetFocalPoint(-180.0, 190.0, 100.0)
    visual.update_lod(cam, 540, 2.0)
    assert 0 < visual.triangles < len(layer.mesh.triangles)
    layer.mesh = make_buildings(specs[:30], grid).mesh
    assert len(visual.actors) == 1 and visual.actors != actors
    visual.close()
    assert renderer.GetActors().GetNumberOfItems() == n_before
    assert {s: len(getattr(layer.events, s)) for s in connections} == connections
    assert len(layer.style.events.all) == 0
    layer.visible = False  # nothing listens any more


def town_on(cx: float, cy: float, n: int = 7, seed: int = 3) -> list[dict]:
    """``n x n`` blocks on a 64 m street grid: boxes of 2..10 storeys, some courtyard blocks."""
    rng = np.random.default_rng(seed)
    specs = []
    for i in range(n):
        for j in range(n):
            x, y = cx + 64.0 * (i - (n - 1) / 2), cy + 64.0 * (j - (n - 1) / 2)
            kind = rng.random()
            if kind < 0.2:
                specs.append({"outer": square(x, y, 48), "hole": square(x, y, 26),
                              "height": 12.0, "use": "housing"})  # fmt: skip
            elif kind < 0.6:
                for dx in (-12.0, 12.0):
                    specs.append({"outer": square(x + dx, y, 18, 40),
                                  "height": float(rng.choice([6.4, 9.6, 12.8])),
                                  "use": "housing"})  # fmt: skip
            else:
                w, d = rng.uniform(24, 44, 2)
                specs.append({"outer": square(x, y, w, d), "height": float(rng.uniform(8, 40)),
                              "use": str(rng.choice(["office", "retail", "school"]))})  # fmt: skip
    return specs


def test_town_on_the_demo_terrain(plotter_factory: Plotters, demo_grid: RasterGrid) -> None:
    cx, cy = 718_875.0, 3_446_055.0  # sand at 150 m, hills and the sea ramp behind
    t = Town(plotter_factory, demo_grid, town_on(cx, cy), style={})
    z = float(sample_elevation(demo_grid, cx, cy))
    t.look((cx + 350, cy - 900, z + 520), (cx, cy + 60, z))
    t.layer.visible = False
    bare = t.shot()
    t.layer.visible = True
    image = t.shot("buildings_demo_town")
    flat = [i for i, s in enumerate(t.specs) if s.get("hole") is None]
    hits = [close(image, t.pixel(t.centre(i)), t.roof_rgb(i)) for i in flat]
    assert np.mean(hits) > 0.8  # the rest hide behind taller neighbours
    changed = np.abs(image.astype(int) - bare.astype(int)).max(axis=2) > 12
    h, w = changed.shape
    assert 0.08 < changed[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4].mean() < 0.9
    t.layer.style.color_by, t.layer.style.color_mode = "use", "categorised"
    t.shot("buildings_demo_town_categorised")
    t.visual.close()
    t.scene.close()


def test_buildings_are_drawn_before_the_terrain_with_the_same_picture(
    plotter_factory: Plotters, monkeypatch: pytest.MonkeyPatch
) -> None:
    town = Town(plotter_factory, flat_grid(), town_specs(), in_project=True)
    town.oblique()
    props = town.plotter.renderer.GetViewProps()
    order = [props.GetItemAsObject(i) for i in range(props.GetNumberOfItems())]
    building = [order.index(a) for a in town.visual.actors if a in order]
    terrain = [
        order.index(a)
        for v in town.scene.visuals.values()
        if v is not town.visual
        for a in v.actors
        if a in order
    ]
    assert building and terrain and max(building) < min(terrain)  # the layer is on top
    first = town.shot()
    town.scene.close()
    monkeypatch.setattr(BuildingsVisual, "draws_first", False)  # layer order: terrain first
    later = Town(plotter_factory, flat_grid(), town_specs(), in_project=True)
    later.oblique()
    assert np.abs(first.astype(int) - later.shot().astype(int)).mean() < 0.05
    later.scene.close()
