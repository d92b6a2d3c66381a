"""Colours of 3D model files: one sRGB colour per triangle, whatever the file gives.

A triangle gets the file's face colour, the mean of its vertex colours, the texture
sampled at its corners, or its material's base colour; a neutral stone grey when the
file has none. glTF colour factors and vertex colours are linear by the specification
and are converted to sRGB.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

#: Colour of triangles the file gives no colour (a light stone grey).
NEUTRAL_RGB = (214, 210, 200)


def linear_to_srgb(rgb: np.ndarray) -> np.ndarray:
    """uint8 sRGB of uint8 linear RGB values (glTF colour factors, vertex colours)."""
    c = np.asarray(rgb, np.float64) / 255.0
    s = np.where(c <= 0.0031308, 12.92 * c, 1.055 * np.power(c, 1 / 2.4) - 0.055)
    return np.clip(np.rint(s * 255.0), 0, 255).astype(np.uint8)


def _per_triangle(vertex_rgb: np.ndarray, faces: np.ndarray) -> np.ndarray:
    return np.rint(vertex_rgb[:, :3].astype(np.float64)[faces].mean(axis=1)).astype(np.uint8)


def triangle_colors(geom: Any, faces: np.ndarray, srgb: bool) -> np.ndarray:
    """uint8 (t, 3): one colour per triangle of ``geom``."""
    t = len(faces)
    visual = getattr(geom, "visual", None)
    kind = getattr(visual, "kind", None)
    try:
        if kind == "face":
            rgb = np.asarray(visual.face_colors)[:, :3].astype(np.uint8)
            return rgb if len(rgb) == t else fill_colors(NEUTRAL_RGB, t)
        if kind == "vertex":
            rgb = _per_triangle(np.asarray(visual.vertex_colors), faces)
            return linear_to_srgb(rgb) if srgb else rgb
        if kind == "texture":
            return _material_colors(visual, faces, srgb)
    except Exception:  # noqa: BLE001 - a colour we cannot work out is not an error
        log.info("colours of %s fall back to neutral", geom, exc_info=True)
    return fill_colors(NEUTRAL_RGB, t)


def _material_colors(visual: Any, faces: np.ndarray, srgb: bool) -> np.ndarray:
    """Texture sampled at the vertices when there is one, else the base colour."""
    material = visual.material
    image = getattr(material, "baseColorTexture", None) or getattr(material, "image", None)
    uv = getattr(visual, "uv", None)
    if image is not None and uv is not None and len(uv):
        rgb = _per_triangle(np.asarray(visual.to_color().vertex_colors), faces)
        return rgb  # textures are sRGB; to_color applies the factor
    factor = getattr(material, "baseColorFactor", None)
    if factor is not None:
        rgb = np.asarray(factor)[:3].astype(np.uint8)
        return fill_colors(tuple(linear_to_srgb(rgb)) if srgb else tuple(rgb), len(faces))
    main = getattr(material, "main_color", None)
    if main is not None:
        return fill_colors(tuple(np.asarray(main)[:3]), len(faces))
    return fill_colors(NEUTRAL_RGB, len(faces))


def fill_colors(rgb: tuple, count: int) -> np.ndarray:
    """uint8 (count, 3): ``rgb`` for every triangle."""
    return np.tile(np.asarray(rgb, np.uint8)[:3], (count, 1))
