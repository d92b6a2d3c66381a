"""Which actor and cell is under a pixel, or near it: VTK's hardware selector (exact, as drawn)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from vtkmodules.vtkCommonDataModel import vtkDataObject, vtkSelection, vtkSelectionNode
from vtkmodules.vtkRenderingCore import vtkHardwareSelector, vtkRenderer


def _cells(selection: vtkSelection | None) -> list[tuple[Any, int]]:
    """(actor, first cell id) of every node of ``selection``."""
    out = []
    for i in range(0 if selection is None else selection.GetNumberOfNodes()):
        node = selection.GetNode(i)
        actor = node.GetProperties().Get(vtkSelectionNode.PROP())
        ids = node.GetSelectionList()
        if actor is not None and ids is not None and ids.GetNumberOfTuples() > 0:
            out.append((actor, int(ids.GetTuple1(0))))
    return out


def pick_cell(renderer: vtkRenderer, x_px: int, y_px: int) -> tuple[Any, int] | None:
    """(actor, cell id) drawn at display pixel (x, y) (origin bottom-left), or None.

    Renders the scene once into VTK's selection buffers; only pickable, visible actors
    count, so a hidden layer is never picked.
    """
    cells = pick_cells_near(renderer, x_px, y_px, 0)
    try:
        return next((hit for hit, _ in cells), None)
    finally:
        cells.close()


def pick_cells_near(
    renderer: vtkRenderer, x_px: int, y_px: int, radius_px: int,
    prefer: Callable[[Any], bool] | None = None,
) -> Iterator[tuple[tuple[Any, int], tuple[int, int]]]:  # fmt: skip
    """``((actor, cell id), (x, y))``: what is drawn at display pixel (x, y) first, then,
    nearest first, at the pixels within ``radius_px`` (a square) whose actor is one
    ``prefer`` wants (a search radius, as a GIS identify tool has, for features a few
    pixels wide). One selection render for them all; pixels showing nothing are skipped.
    """
    width, height = renderer.GetRenderWindow().GetSize()
    if not (0 <= x_px < width and 0 <= y_px < height):
        return
    r = max(int(radius_px), 0) if prefer is not None else 0
    x0, y0 = max(x_px - r, 0), max(y_px - r, 0)
    x1, y1 = min(x_px + r, width - 1), min(y_px + r, height - 1)
    selector = vtkHardwareSelector()
    selector.SetRenderer(renderer)
    selector.SetFieldAssociation(vtkDataObject.FIELD_ASSOCIATION_CELLS)
    selector.SetArea(x0, y0, x1, y1)
    if not selector.CaptureBuffers():
        return
    try:
        centre = _cells(selector.GenerateSelection(x_px, y_px, x_px, y_px))
        if centre:
            yield centre[0], (x_px, y_px)
        if prefer is None or not any(prefer(a) for a, _ in _cells(selector.GenerateSelection(
                x0, y0, x1, y1))):  # fmt: skip
            return  # nothing wanted in the square: no pixel by pixel search
        pixels = [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
        pixels.sort(key=lambda p: (p[0] - x_px) ** 2 + (p[1] - y_px) ** 2)
        for x, y in pixels[1:]:
            cells = _cells(selector.GenerateSelection(x, y, x, y))
            if cells and prefer(cells[0][0]):
                yield cells[0], (x, y)
    finally:
        selector.ClearBuffers()
