"""A terrain read from its file on demand, as VTK actors: one actor per quadtree node drawn.

For DEMs too large to hold in memory (the layer has a ``dem`` source as well as its
overview ``grid``): the nodes of :mod:`~twinscape.render.paged_tiles` are read in a
background pool (:class:`~twinscape.render.paged_loader.NodeStore`); each frame draws
the nodes :func:`~twinscape.render.paged_tiles.select` picks, a node standing in for its
children until they are all read, so nothing is ever missing. Meshes and textures of a
node come from a :class:`~twinscape.render.tile_cache.TileCache` of its one tile, lighting
off, as :class:`~twinscape.render.terrain_visual.TerrainVisual` draws its tiles;
vertical exaggeration is the actors' z scale. Colours (the style, the clock's sun when
the style follows it, and the drapes over the terrain) are a
:class:`~twinscape.render.paged_colours.NodeColouring` the readers bake into every node;
a change of any of them reads the nodes again. Drapes finer than the nodes give close
nodes detail textures (:class:`~twinscape.render.paged_detail.PagedDetail`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from vtkmodules import vtkInteractionStyle, vtkRenderingOpenGL2  # noqa: F401
from vtkmodules.vtkRenderingCore import vtkActor

from twinscape.geo.origin import LocalOrigin
from twinscape.geo.terrain_overlap import Overlap
from twinscape.model.terrain import TerrainLayer
from twinscape.render import terrain_lod as lod
from twinscape.render.colormaps import finite_range
from twinscape.render.paged_colours import NodeColouring
from twinscape.render.paged_detail import CACHE_SHARE, PagedDetail
from twinscape.render.paged_loader import NODE_CACHE_BYTES, ROOT, NodeStore
from twinscape.render.paged_tiles import NODE_SAMPLES, Key, NodeTiles, Pyramid, select
from twinscape.render.terrain_common import TerrainBase
from twinscape.render.terrain_overlap import push_behind
from twinscape.render.tile_cache import TileCache
from twinscape.render.visual import renderer_of

#: Bound of one node's VTK meshes (its levels).
_NODE_VTK_BYTES = 8 * 2**20


def _actor_name(layer_name: str, key: Key) -> str:
    return f"{layer_name}/node{key[0]}-{key[1]}-{key[2]}"


class _NodeMeshes(TileCache):
    """VTK data of one node; cell and texture-coordinate arrays shared by all nodes."""

    def __init__(self, tiles: NodeTiles, cells: dict, tcoords: dict) -> None:
        super().__init__(tiles, _NODE_VTK_BYTES)
        self._cells, self._tcoords = cells, tcoords


class PagedTerrainVisual(TerrainBase):
    """Draws a :class:`~twinscape.model.TerrainLayer` whose ``dem`` is read on demand.

    Parameters
    ----------
    layer
        The layer (its ``dem`` and ``grid`` loaded).
    renderer
        A ``vtkRenderer`` or a pyvista ``Plotter``.
    origin
        Render coordinates are world minus this point.
    cache_bytes
        Bound of the nodes in memory (arrays and VTK data).
    on_update
        Called from a worker thread when a node was read (render again).
    node_samples
        Samples per node side, ``2**m + 1``.
    """

    def __init__(
        self, layer: TerrainLayer, renderer: Any, origin: LocalOrigin, *,
        cache_bytes: int = NODE_CACHE_BYTES, colour_executor: Any = None,
        on_update: Callable[[], None] | None = None, node_samples: int = NODE_SAMPLES,
    ) -> None:  # fmt: skip
        self.layer = layer
        self.renderer = renderer_of(renderer)
        self.origin = origin
        self.cache_bytes = cache_bytes
        self._on_update = on_update
        self._samples = node_samples
        self.store: NodeStore | None = None
        self.pyramid: Pyramid | None = None
        self.actors: list[vtkActor] = []
        self._actors: dict[Key, vtkActor] = {}
        self._shown: dict[Key, tuple[int, int, int]] = {}
        self._tri: dict[Key, int] = {}
        self._wanted = 0
        self.chosen_tolerance_px = 0.0  # the tolerance refine_lod chose its nodes for
        self._shared_cells: dict = {}
        self._shared_tcoords: dict = {}
        self._overlap = Overlap()  # the terrains over and under this one
        self.detail = PagedDetail(int(CACHE_SHARE * cache_bytes), on_update)
        self._follow_layer()
        self._rebuild()

    # -- events ---------------------------------------------------------------------
    def _on_colours(self, *_: Any) -> None:
        self._rebuild()  # the nodes are baked as they are read

    def set_overlap(self, overlap: Overlap) -> None:
        """Leave out what finer terrains over this one draw; drawn behind them (reads again).

        See :mod:`~twinscape.geo.terrain_overlap`.
        """
        if overlap.key == self._overlap.key:
            return
        self._overlap = overlap
        self._rebuild()

    def _on_opacity(self, *_: Any) -> None:
        self._rebuild()  # skirts follow opacity (translucent terrain would show them)

    def _rebuild(self, *_: Any) -> None:
        """Forget every node and read the root again (grid, origin or colours changed).

        The root is read in the background like any node (its colours may need a drape
        computed, which must not hold the GUI); the actors drawn keep showing the old
        nodes until it lands. Only a terrain not drawn yet waits for its root.
        """
        dem, grid = getattr(self.layer, "dem", None), self.layer.grid
        if dem is None or grid is None:
            self._clear()
            return
        if self.store is not None:
            self.store.close()
        self.detail.reset()
        self._shown = {}  # every actor gets its new node's mesh and texture
        self.pyramid = Pyramid(dem, self.origin, self._samples)
        style, light = self.sun.colours(self.layer)
        colouring = NodeColouring(
            style, finite_range(grid.values) or (0.0, 1.0), self._drapes, light
        )
        self.store = NodeStore(
            self.pyramid, colouring, finer=self._overlap.finer,
            cache_bytes=self.cache_bytes, on_update=self._on_update,
        )  # fmt: skip

    def _clear(self) -> None:
        if self.store is not None:
            self.store.close()
        self.store = None
        self.detail.reset()
        self._detach()
        self.actors, self._actors = [], {}
        self._shown, self._tri = {}, {}
        self._shared_cells, self._shared_tcoords = {}, {}

    def set_origin(self, origin: LocalOrigin) -> None:
        """Move to a new project origin (reads the nodes again)."""
        self.origin = origin
        self._rebuild()

    # -- level of detail ------------------------------------------------------------
    def _choose(self, camera: Any, viewport_h_px: float, tolerance_px: float) -> Any:
        assert self.store is not None and self.pyramid is not None
        self.store.adopt()
        planes = [0.0] * 24
        camera.GetFrustumPlanes(self.renderer.GetTiledAspectRatio() or 1.0, planes)
        parallel = camera.GetParallelScale() if camera.GetParallelProjection() else None
        eye, angle, ve = camera.GetPosition(), camera.GetViewAngle(), self.ve
        height = max(float(viewport_h_px), 1.0)

        def scale_of(boxes: np.ndarray) -> np.ndarray:
            return lod.pixels_per_metre(boxes, eye, angle, height, ve=ve, parallel_scale=parallel)

        store = self.store
        return select(self.pyramid, store.get, np.array(planes[:16]), scale_of, tolerance_px, ve)

    def update_lod(self, camera: Any, viewport_h_px: float, tolerance_px: float) -> int:
        """Read now (waiting) every node the view needs at ``tolerance_px`` and draw them.

        Returns the number of nodes whose mesh or texture changed.
        """
        if self.store is None or not self.layer.visible:
            return 0
        while True:
            choice = self._choose(camera, viewport_h_px, tolerance_px)
            if not choice.wanted:
                break
            self.store.wait(key for _, key in choice.wanted)
        self._wanted = 0
        changed = self._show(choice.drawn)
        return changed + self._show_detail(camera, viewport_h_px, wait=True)

    def refine_lod(
        self, camera: Any, viewport_h_px: float, tolerance_px: float, *,
        budget: int | None = None, moving: bool = False,
    ) -> int:  # fmt: skip
        """Draw the nodes in memory that suit the camera best; read the finer ones in the
        background (``on_update`` asks for the next render when one lands).

        ``budget`` bounds the triangles drawn: the tolerance grows in sqrt(2) steps until
        the nodes chosen fit (so fewer, coarser nodes are read too; the tolerance is kept
        in ``chosen_tolerance_px``). Returns the number of nodes whose mesh or texture
        changed.
        """
        if self.store is None or not self.layer.visible:
            return 0
        choice, tolerance_px, finer = self._within(camera, viewport_h_px, tolerance_px, budget)
        self.chosen_tolerance_px = tolerance_px
        self._wanted = len(choice.wanted) + len(finer)
        self.store.request(key for _, key in sorted([*choice.wanted, *finer]))
        if self.store.get(ROOT) is None:
            if self._actors:
                return 0  # the root is being read: the actors keep what they show
            self.store.wait([ROOT])  # nothing drawn yet: never an empty first frame
            choice = self._choose(camera, viewport_h_px, tolerance_px)
            self._wanted = len(choice.wanted)
            self.store.request(key for _, key in choice.wanted)
        changed = self._show(choice.drawn)
        return changed + self._show_detail(camera, viewport_h_px, wait=False, moving=moving)

    def _show_detail(
        self, camera: Any, viewport_h_px: float, *, wait: bool, moving: bool = False
    ) -> int:
        """Detail textures of the nodes drawn (see :mod:`~twinscape.render.paged_detail`)."""
        return self.detail.update(
            self._shown, self.store, self._actors, camera, viewport_h_px, self.ve,
            wait=wait, moving=moving,
        )  # fmt: skip

    def _within(
        self, camera: Any, viewport_h_px: float, base: float, budget: int | None
    ) -> tuple[Any, float, list]:
        """The finest choice (tolerance ``base * sqrt(2)**k``) whose triangles fit ``budget``,
        its tolerance, and the nodes the next finer choice wants.

        The search starts at the last frame's tolerance, so a frame like the last one
        costs one or two selections rather than one per step from ``base``. A finer
        choice can draw *more* triangles than a coarser one while its nodes are not read
        (their parents are drawn finely in their place), so the nodes it wants are read
        anyway: once they land it may fit, and the view never sticks at a coarse level.
        """
        choose = functools.partial(self._choose, camera, viewport_h_px)
        if budget is None:
            return choose(base), base, []
        tol = max(base, self.chosen_tolerance_px)
        choice = choose(tol)
        rejected: Any = None
        if self._triangles_of(choice) <= budget:
            while tol > base:  # finer while it fits
                finer_tol = max(base, tol / math.sqrt(2.0))
                finer = choose(finer_tol)
                if self._triangles_of(finer) > budget:
                    rejected = finer
                    break
                tol, choice = finer_tol, finer
        else:
            for _ in range(16):
                rejected = choice
                tol *= math.sqrt(2.0)
                choice = choose(tol)
                if self._triangles_of(choice) <= budget:
                    break
        return choice, tol, [] if rejected is None else rejected.wanted

    def _triangles_of(self, choice: Any) -> int:
        """Triangles of the nodes ``choice`` draws (grid cells at their levels, no skirts)."""
        cells = self._samples - 1
        return sum(2 * (cells >> level) ** 2 for level, _, _ in choice.drawn.values())

    def refining(self) -> bool:
        """True while nodes the view asked for are being read or their detail painted."""
        busy = self.store is not None and (self.store.pending or self._wanted > 0)
        return busy or self.detail.refining()

    def _show(self, drawn: dict[Key, tuple[int, int, int]]) -> int:
        assert self.store is not None
        changed = 0
        for key, levels in drawn.items():
            if self._shown.get(key) == levels and key in self._actors:
                continue
            node = self.store.get(key)
            assert node is not None
            if node.vtk is None:
                node.vtk = _NodeMeshes(node.tiles, self._shared_cells, self._shared_tcoords)
            actor = self._actors.get(key)
            if actor is None:
                actor = self._new_actor(key)
            level, rim, tex = levels
            pd, self._tri[key] = node.vtk.mesh(0, level, rim, skirts=self.skirts)
            actor.GetMapper().SetInputData(pd)
            actor.SetTexture(node.vtk.texture(0, tex))
            self._shown[key] = levels
            changed += 1
        for key in [k for k in self._actors if k not in drawn]:
            self.renderer.RemoveActor(self._actors.pop(key))
            self._shown.pop(key, None)
            self._tri.pop(key, None)
        for actor in self._actors.values():
            actor.SetVisibility(bool(self.layer.visible))
        self.store.trim(drawn)
        self.actors = list(self._actors.values())
        return changed

    def _new_actor(self, key: Key) -> vtkActor:
        actor = self._tile_actor()
        push_behind([actor.GetMapper()], len(self._overlap.finer))
        actor.SetObjectName(_actor_name(self.layer.name, key))
        self._actors[key] = actor
        self.renderer.AddActor(actor)
        return actor

    def apply_pending_colours(self, *, wait: bool = False) -> bool:
        """Take in the nodes read since the last frame; True if any."""
        return self.store is not None and self.store.adopt() > 0

    @property
    def drawn(self) -> list[Key]:
        """Keys (depth, i, j) of the nodes drawn in the last frame."""
        return list(self._shown)

    @property
    def triangles(self) -> int:
        """Triangles of the nodes drawn in the last frame."""
        return sum(self._tri.values())

    # -- appearance -----------------------------------------------------------------
    def _apply_visibility(self, *_: Any) -> None:
        for key, actor in self._actors.items():
            actor.SetVisibility(bool(self.layer.visible and key in self._shown))

    def _apply_names(self, *_: Any) -> None:
        for key, actor in self._actors.items():
            actor.SetObjectName(_actor_name(self.layer.name, key))

    def bounds_render(self) -> tuple[float, float, float, float, float, float] | None:
        """(xmin, xmax, ymin, ymax, zmin, zmax) as drawn (render coordinates, z exaggerated)."""
        root = None if self.store is None else self.store.get(ROOT)
        if root is not None:
            if root.empty:
                return None
            x0, x1, y0, y1, z0, z1 = root.tiles.bbox[0]
            return (x0, x1, y0, y1, z0 * self.ve, z1 * self.ve)
        grid = self.layer.grid  # the root is being read: the overview in memory
        low_high = None if grid is None else finite_range(grid.values)
        if low_high is None:
            return None
        west, south, east, north = grid.bounds
        o, ve = self.origin, self.ve
        z0, z1 = (z - o.z for z in low_high)
        return (west - o.x, east - o.x, south - o.y, north - o.y, z0 * ve, z1 * ve)

    # -- teardown -------------------------------------------------------------------
    def close(self) -> None:
        """Disconnect from the layer, stop the reads and remove the actors."""
        self._disconnect_layer()
        self._clear()
        self.detail.close()
