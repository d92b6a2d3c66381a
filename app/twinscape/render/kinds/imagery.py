"""Imagery layers are drapes: the picture reprojected onto the terrain's grid, then adjusted.

:func:`imagery_drape` (GUI thread) keys the picture by the file, what loading learnt
of it (its ``stamp`` changes with the file) and the brightness and contrast. Its
``paint`` (colour worker) reads the image onto the ground grid with
:func:`~twinscape.io.imagery_warp.image_on_grid`, at that grid's resolution (from the
file's overviews), and keeps the result in a small cache (:data:`WARPED`), so a new
brightness or contrast is a 256-entry lookup, not another read of the file. The
terrain bakes the picture into its colour pyramid like any drape, so it follows the
tiles' levels of detail; imagery carries its own shadows, so it is not hillshaded.
A picture finer than the terrain's grid also paints itself at any resolution
(:class:`ImagerySource` ``fine``, read per tile and not cached here), so tiles close to
the camera get detail textures as sharp as the picture (render/detail_textures.py).
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from twinscape.io.imagery_warp import image_on_grid
from twinscape.model.imagery import ImageInfo, ImageryLayer
from twinscape.model.layers import Layer
from twinscape.model.raster import RasterGrid
from twinscape.render.detail_compose import FinePaint
from twinscape.render.kinds import DrapeContext, DrapeSource, register_drape

#: Bytes of pictures kept reprojected onto grids (a 4096 x 4096 terrain takes 64 MiB).
CACHE_BYTES = 256 * 1024 * 1024


class WarpedCache:
    """Pictures read onto grids, by (file, info, grid), least recently used dropped first.

    Grids are held weakly: a terrain that is gone keeps nothing alive here.
    """

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple, tuple[weakref.ref, np.ndarray]] = OrderedDict()

    def get(self, path: Path, info: ImageInfo, grid: RasterGrid) -> np.ndarray:
        """RGBA of the image over ``grid``: cached, or read now (any thread)."""
        key = (path, info, id(grid))
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and hit[0]() is grid:
                self._items.move_to_end(key)
                return hit[1]
        rgba = image_on_grid(path, info, grid.transform, grid.shape, grid.crs)
        rgba.flags.writeable = False
        with self._lock:
            self._items[key] = (weakref.ref(grid), rgba)
            for old in [k for k, (ref, _) in self._items.items() if ref() is None]:
                del self._items[old]
            while len(self._items) > 1 and self.nbytes > self.max_bytes:
                self._items.popitem(last=False)
        return rgba

    @property
    def nbytes(self) -> int:
        """Bytes of the pictures kept."""
        return sum(rgba.nbytes for _, rgba in self._items.values())

    def clear(self) -> None:
        """Forget every picture."""
        with self._lock:
            self._items.clear()


#: The process's pictures read onto grids.
WARPED = WarpedCache()


def adjust_table(brightness: float, contrast: float) -> np.ndarray:
    """uint8 lookup of 256 levels: contrast around mid-grey, then brightness added.

    ``out = (v - 127.5) * (1 + contrast) + 127.5 + 255 * brightness``, clipped to 0..255.
    """
    levels = np.arange(256, dtype=np.float32)
    out = (levels - 127.5) * (1.0 + contrast) + 127.5 + 255.0 * brightness
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def adjusted(rgba: np.ndarray, brightness: float, contrast: float) -> np.ndarray:
    """``rgba`` with its colours (not its alpha) through :func:`adjust_table`."""
    if brightness == 0.0 and contrast == 0.0:
        return rgba
    out = rgba.copy()
    out[..., :3] = adjust_table(brightness, contrast)[rgba[..., :3]]
    return out


@dataclass(frozen=True, eq=False)
class ImagerySource(DrapeSource):
    """An imagery drape: also its picture at any resolution (``fine``, for detail textures)."""

    fine: FinePaint | None = None


def imagery_drape(layer: Layer, context: DrapeContext) -> DrapeSource | None:
    """The picture of ``layer`` over the ground (None until it is loaded); GUI thread."""
    assert isinstance(layer, ImageryLayer)
    info = layer.image
    if info is None:
        return None
    path = layer.source
    brightness = round(min(max(float(layer.brightness), -1.0), 1.0), 4)
    contrast = round(min(max(float(layer.contrast), -1.0), 1.0), 4)

    def paint(grid: RasterGrid) -> np.ndarray:
        return adjusted(WARPED.get(path, info, grid), brightness, contrast)

    def paint_fine(transform: tuple[float, ...], shape: tuple[int, int], crs: str) -> np.ndarray:
        return adjusted(image_on_grid(path, info, transform, shape, crs), brightness, contrast)

    key = ("imagery", path, info, brightness, contrast)
    fine = FinePaint(resolution=float(info.resolution), paint=paint_fine)
    return ImagerySource(key=key, paint=paint, shaded=False, fine=fine)


register_drape(ImageryLayer, imagery_drape)
