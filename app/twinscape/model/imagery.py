"""Imagery layers: an orthophoto or satellite picture draped on the terrain as its colour.

An :class:`ImageryLayer` names a colour raster file (RGB, RGBA, paletted or grey; any
CRS). Loading reads only what the file is (:class:`ImageInfo`: its bands, transparency,
footprint in the project CRS, overviews, the stretch of 16-bit pixels); the pixels are
read when the picture is painted onto the terrain's grid, at that grid's resolution
(render/kinds/imagery.py), so a large COG is never read whole. It is a *drape*
(``drapes = True``): it has no actors of its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from psygnal import evented

from twinscape.model.layers import Layer

#: Limits of :attr:`ImageryLayer.brightness` and :attr:`ImageryLayer.contrast`.
ADJUST_RANGE = (-1.0, 1.0)
#: How the picture's colours come from the file's bands (:attr:`ImageInfo.mode`).
IMAGE_MODES = ("rgb", "palette", "gray")


@dataclass(frozen=True)
class ImageInfo:
    """What loading learnt of an image file (hashable: it keys the painted picture).

    Parameters
    ----------
    shape
        (rows, cols) pixels of the file.
    mode
        ``"rgb"`` (three bands), ``"palette"`` (one band of colour-table indices) or
        ``"gray"`` (one band of grey levels); see :data:`IMAGE_MODES`.
    bands
        The 1-based bands read: red, green, blue; or the one band.
    dtype
        The bands' data type (``"uint8"``, ``"uint16"``, ...).
    stretch
        (low, high) per band mapped to 0..255, for bands wider than 8 bits; None for
        8-bit bands, which are colours as they are.
    palette
        RGBA per index of a paletted band (None otherwise).
    transparency
        Where see-through pixels come from: ``"alpha band"``, ``"mask band"``,
        ``"nodata value"`` or ``"none"``.
    source_crs
        The file's CRS (or the assumed one), normalised.
    bounds
        (xmin, ymin, xmax, ymax) of the picture in the project CRS.
    resolution
        About how many metres of the project CRS one pixel spans.
    overviews
        Decimation factors of the file's overviews (empty: none).
    stamp
        (modification time in ns, size in bytes) of the file when it was read: a file
        changed on disk and reloaded paints anew.
    """

    shape: tuple[int, int]
    mode: str
    bands: tuple[int, ...]
    dtype: str
    source_crs: str
    bounds: tuple[float, float, float, float]
    resolution: float
    stretch: tuple[tuple[float, float], ...] | None = None
    palette: tuple[tuple[int, int, int, int], ...] | None = None
    transparency: str = "none"
    overviews: tuple[int, ...] = ()
    stamp: tuple[int, int] = (0, 0)


@evented
@dataclass(kw_only=True, eq=False)
class ImageryLayer(Layer):
    """A colour raster draped on the terrain below it.

    Parameters
    ----------
    source
        Absolute path of the image file (relative paths live only in project files).
    assume_crs
        CRS to assume when the file states none (saved in the project).
    brightness
        Added to every colour, -1 (black) .. 0 (as is) .. 1 (white).
    contrast
        Spread of the colours around mid-grey, -1 (flat grey) .. 0 (as is) .. 1 (doubled).
    image
        What the file is, once loaded (a data field).
    """

    kind: ClassVar[str] = "imagery"
    #: Drawn as colours over the terrain tiles (render/kinds ``register_drape``).
    drapes: ClassVar[bool] = True
    data_fields: ClassVar[tuple[str, ...]] = ("image",)
    reload_fields: ClassVar[tuple[str, ...]] = ("assume_crs",)

    source: Path
    assume_crs: str | None = None
    brightness: float = 0.0
    contrast: float = 0.0
    image: ImageInfo | None = None

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming the field when a setting is out of range."""
        for name in ("brightness", "contrast", "opacity"):
            value = float(getattr(self, name))
            low, high = (0.0, 1.0) if name == "opacity" else ADJUST_RANGE
            if not (math.isfinite(value) and low <= value <= high):
                raise ValueError(f"{name}: {value} is not within {low:g}..{high:g}")

    @property
    def loaded(self) -> bool:
        """True once the file has been read."""
        return self.image is not None

    @property
    def bounds(self) -> tuple[float, float, float, float] | None:
        """The picture's footprint in the project CRS, once loaded."""
        return None if self.image is None else self.image.bounds

    def describe(self) -> list[str]:
        """Source, CRS, pixels and how they become colours."""
        lines = [f"Source: {self.source}"]
        info = self.image
        if info is None:
            return [*lines, "Not loaded"]
        rows, cols = info.shape
        colours = {"rgb": "RGB", "palette": "paletted", "gray": "grey"}[info.mode]
        stretched = ", stretched to 8 bits" if info.stretch is not None else ""
        overviews = ", ".join(str(f) for f in info.overviews) or "none"
        return [
            *lines,
            f"Source CRS: {info.source_crs}",
            f"{cols} \u00d7 {rows} pixels of {info.resolution:.3g} m, {colours} "
            f"{info.dtype}{stretched}",
            f"Transparency: {info.transparency}; overviews: {overviews}",
        ]

    def identify(self, row: int | None, point: tuple[float, float, float]) -> dict[str, object]:
        """The source and its pixel size."""
        info: dict[str, object] = {"source": str(self.source)}
        if self.image is not None:
            info["pixel size (m)"] = f"{self.image.resolution:.3g}"
        return info
