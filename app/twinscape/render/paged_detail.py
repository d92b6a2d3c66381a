"""Detail textures of a paged terrain's nodes: drapes sharper than the finest node, close up.

A node of :mod:`~twinscape.render.paged_tiles` shows its drapes at its own samples; the
leaves are the DEM file's own cells, so an orthophoto of 0.5 m on a 10 m DEM would be
drawn at 10 m. A node under a drape finer than it keeps the
:class:`~twinscape.render.recolour.ColourRecipe` of its colours
(:class:`~twinscape.render.paged_colours.NodeColouring`), and :class:`PagedDetail` gives
the nodes drawn at their full texture detail levels ``L < 0`` as the in-memory terrain
gives its tiles (render/detail_textures.py: the :data:`~twinscape.render.terrain_lod.TEXEL_PX`
rule, down to the picture's pixel size and at most
:data:`~twinscape.render.detail_compose.MAX_DETAIL_TEXELS` texel steps a side), painted
by :func:`~twinscape.render.detail_compose.paint_detail`.

The detail textures live in their own cache of :data:`CACHE_SHARE` of the node cache's
bytes, and one view's take at most that much (they coarsen together until they fit).
A node keeps the texture it shows until its detail is painted (on a worker, nearest
first; ``on_update`` asks for the frame that swaps it in); ``wait`` (screenshots,
``settle()``) paints it at once; while the camera moves no paint starts. New colours
(the visual reads its nodes again) drop every detail texture.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from twinscape.render import terrain_lod as lod
from twinscape.render.detail_textures import ADOPT_PER_FRAME, detail_bytes, try_paint
from twinscape.render.paged_colours import node_depth
from twinscape.render.paged_tiles import Key, Node
from twinscape.render.tile_builder import Job, TileBuilder
from twinscape.render.tile_cache import TileCache

#: Share of the node cache's bytes that detail textures may take (their own cache).
CACHE_SHARE = 0.5


class PagedDetail:
    """The detail textures of one :class:`~twinscape.render.paged_terrain.PagedTerrainVisual`.

    Parameters
    ----------
    cache_bytes
        Bound of the detail textures kept (VTK textures, bytes of their texels).
    on_update
        Called (from the worker, or the GUI thread) when painted textures wait for a render.
    """

    def __init__(self, cache_bytes: int, on_update: Callable[[], None] | None = None) -> None:
        self.on_update = on_update
        self.builder = TileBuilder(on_update)
        self.cache = TileCache(None, cache_bytes)  # its textures only, keyed by node
        self._shown: dict[Key, tuple[int, Any, Any]] = {}  # node -> (level, texture, actor)
        self._failed: set[tuple[Key, int]] = set()
        self._depth: dict[Key, int] = {}  # node -> node_depth of its recipe
        self._behind = False

    @property
    def levels(self) -> dict[Key, int]:
        """Detail level shown per node drawn with one (< 0)."""
        return {
            key: level
            for key, (level, tex, actor) in self._shown.items()
            if actor.GetTexture() is tex
        }

    def refining(self) -> bool:
        """True while detail textures in view are being painted or wait to be shown."""
        return self._behind or self.builder.pending()

    def reset(self) -> None:
        """Forget every detail texture and paint (the nodes are read again)."""
        self.builder.reset()
        self.cache.textures.clear()
        self._shown.clear()
        self._failed.clear()
        self._depth.clear()
        self._behind = False

    def close(self) -> None:
        """Stop the worker (without waiting for the texture it paints)."""
        self.builder.close()

    def wanted(
        self, nodes: Mapping[Key, Node], camera: Any, viewport_h_px: float, ve: float
    ) -> dict[Key, int]:
        """Detail level (< 0) each of ``nodes`` (drawn at full texture detail) wants."""
        keys = [k for k, n in nodes.items() if n.recipe is not None]
        if not keys:
            return {}
        boxes = np.array([nodes[k].tiles.bbox[0] for k in keys])
        parallel = camera.GetParallelScale() if camera.GetParallelProjection() else None
        scale = lod.pixels_per_metre(
            boxes, camera.GetPosition(), camera.GetViewAngle(), max(float(viewport_h_px), 1.0),
            ve=ve, parallel_scale=parallel,
        )  # fmt: skip
        recipes = [r for r in (nodes[k].recipe for k in keys) if r is not None]
        for key, recipe in zip(keys, recipes):
            if key not in self._depth:
                self._depth[key] = node_depth(recipe)
        spacing = np.array([max(r.resolution) for r in recipes])
        depth = np.array([self._depth[k] for k in keys])
        shapes = np.array([r.values.shape for r in recipes], np.int64)
        levels = np.zeros(len(keys), int)
        for k in range(16):  # coarser together until the view's textures fit the cache
            texel_px = lod.TEXEL_PX * 2.0**k
            levels = lod.texture_levels(spacing, scale, 1, texel_px, finest=-depth)
            if detail_bytes(shapes, levels) <= self.cache.textures.limit:
                break
        return {key: int(level) for key, level in zip(keys, levels) if level < 0}

    def update(
        self, drawn: Mapping[Key, tuple[int, int, int]], store: Any,
        actors: Mapping[Key, Any], camera: Any, viewport_h_px: float, ve: float,
        *, wait: bool, moving: bool = False,
    ) -> int:  # fmt: skip
        """Show the detail textures the view wants (after the nodes' own); nodes changed.

        ``drawn`` are the nodes' (mesh, rim, texture) levels, ``store`` the
        :class:`~twinscape.render.paged_loader.NodeStore`, ``actors`` the nodes' actors.
        ``wait``: paint every missing one now; else on the worker, the node keeping
        what it shows until then; ``moving``: no paint starts (nor is one taken in).
        """
        if not (wait or moving):
            self._adopt(ADOPT_PER_FRAME)
        for key in [k for k in self._shown if k not in drawn]:
            del self._shown[key]  # the node left the view (its actor is gone)
        full = {k: store.get(k) for k, (_, _, tex) in drawn.items() if tex == 0}
        wanted = self.wanted({k: n for k, n in full.items() if n is not None}, camera,
                             viewport_h_px, ve)  # fmt: skip
        jobs: list[Job] = []
        changed = 0
        for key in sorted(drawn, key=lambda k: wanted.get(k, 0)):  # finest (nearest) first
            node = full.get(key)
            changed += self._show_node(key, node, drawn[key][2], wanted.get(key, 0),
                                       actors[key], jobs, wait=wait)  # fmt: skip
        self.builder.want([] if moving else jobs)
        self._behind = bool(jobs)
        return changed

    def _show_node(
        self, key: Key, node: Node | None, tex_level: int, level: int, actor: Any,
        jobs: list[Job], *, wait: bool,
    ) -> int:  # fmt: skip
        """Give node ``key`` its detail ``level`` (or queue it in ``jobs``); 1 if it changed."""
        shown = self._shown.get(key)
        if shown is not None and actor.GetTexture() is not shown[1]:
            del self._shown[key]  # the node's own texture replaced it (a new level)
            shown = None
        if level == 0:
            if shown is None:
                return 0
            del self._shown[key]
            if node is not None and node.vtk is not None:
                actor.SetTexture(node.vtk.texture(0, tex_level))
            return 1
        assert node is not None and node.recipe is not None
        textures = self.cache.textures
        if shown is not None and shown[0] == level:
            textures.get((key, level))  # drawn: the most recently used
            return 0
        if (key, level) in self._failed:
            return 0
        tex = textures.get((key, level))
        window = (0, 0, *node.recipe.values.shape)
        if tex is None and wait:
            painted = try_paint(node.recipe, window, level)
            if painted is None:
                self._failed.add((key, level))
                return 0
            tex = self.cache.put_texture(key, level, *painted)
        if tex is None:
            recipe = node.recipe
            jobs.append(Job((key, level), lambda: try_paint(recipe, window, level)))
            if shown is not None:
                textures.get((key, shown[0]))  # still drawn: keep it cached
            return 0
        actor.SetTexture(tex)
        self._shown[key] = (level, tex, actor)
        return 1

    def _adopt(self, limit: int) -> None:
        """Wrap painted textures in VTK (GUI thread) and cache them."""
        for (key, level), painted in self.builder.take(limit):
            if painted is None:
                self._failed.add((key, level))
            elif (key, level) not in self.cache.textures:
                self.cache.put_texture(key, level, *painted)
        if self.builder.waiting and self.on_update is not None:
            self.on_update()  # more painted textures than one frame adopts
