"""Which actor and cell is under a pixel: VTK's hardware selector (exact, as drawn)."""

from __future__ import annotations

from typing import Any

from vtkmodules.vtkCommonDataModel import vtkDataObject, vtkSelectionNode
from vtkmodules.vtkRenderingCore import vtkHardwareSelector, vtkRenderer


def pick_cell(renderer: vtkRenderer, x_px: int, y_px: int) -> tuple[Any, int] | None:
    """(actor, cell id) drawn at display pixel (x, y) (origin bottom-left), or None.

    Renders the scene once into VTK's selection buffers; only pickable, visible actors
    count, so a hidden layer is never picked.
    """
    window = renderer.GetRenderWindow()
    width, height = window.GetSize()
    if not (0 <= x_px < width and 0 <= y_px < height):
        return None
    selector = vtkHardwareSelector()
    selector.SetRenderer(renderer)
    selector.SetFieldAssociation(vtkDataObject.FIELD_ASSOCIATION_CELLS)
    selector.SetArea(int(x_px), int(y_px), int(x_px), int(y_px))
    selection = selector.Select()
    if selection is None or selection.GetNumberOfNodes() == 0:
        return None
    node = selection.GetNode(0)
    actor = node.GetProperties().Get(vtkSelectionNode.PROP())
    ids = node.GetSelectionList()
    if actor is None or ids is None or ids.GetNumberOfTuples() == 0:
        return None
    return actor, int(ids.GetTuple1(0))
