"""What the analysis panel reads: typed numbers and the placed observers to choose from."""

from __future__ import annotations

import math
from typing import Any

from twinscape.model.analysis import check_breaks
from twinscape.model.placed import PlacedAssetsLayer
from twinscape.model.project import Project
from twinscape.render.analysis_plan import asset_height


def _floats(text: str) -> list[float]:
    """Numbers in ``text`` separated by commas, semicolons or spaces (ValueError if any is not)."""
    parts = [p for p in text.replace(",", " ").replace(";", " ").split() if p]
    return [float(p) for p in parts]


def parse_breaks(text: str) -> tuple[float, ...]:
    """Slope class breaks typed as ``0, 5, 10, 90``; ValueError says what is wrong."""
    try:
        breaks = tuple(_floats(text))
    except ValueError:
        raise ValueError("breaks: type numbers separated by commas") from None
    check_breaks(breaks)
    return breaks


def parse_points(text: str, width: int) -> tuple[tuple[float, ...], ...]:
    """One point of ``width`` numbers per line (``x, y`` or ``x, y, height``)."""
    points = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            values = _floats(line)
        except ValueError:
            raise ValueError(f"line {number}: not numbers") from None
        if len(values) != width or not all(math.isfinite(v) for v in values):
            raise ValueError(f"line {number}: needs {width} numbers")
        points.append(tuple(values))
    return tuple(points)


def points_text(points: Any) -> str:
    """``points`` one per line, as :func:`parse_points` reads them."""
    return "\n".join(", ".join(f"{v:.1f}" for v in p) for p in points or ())


def placed_observers(project: Project | None) -> list[tuple[tuple[str, str], str]]:
    """``((layer id, asset id), label)`` of every tower and turbine placed in ``project``."""
    out: list[tuple[tuple[str, str], str]] = []
    for layer in project.layers if project is not None else ():
        if isinstance(layer, PlacedAssetsLayer):
            for row, asset in enumerate(layer.assets):
                if len(asset.coords) == 1 and math.isfinite(asset_height(asset, layer)):
                    label = f"{layer.name}: {layer.feature_label(row)}"
                    out.append(((layer.id, asset.id), label))
    return out
