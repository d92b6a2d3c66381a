"""Station labels ("name: value unit") as one 2-D actor for the whole layer.

VTK's label hierarchy (``vtkPointSetToLabelHierarchy``) feeds a
``vtkLabelPlacementMapper``, which draws as many labels as fit without overlapping,
most important first, every frame: one actor, never one text actor per station.
The label texts and positions are updated in place.
"""

from __future__ import annotations

import math

import numpy as np
from vtkmodules.util.numpy_support import numpy_to_vtk, vtk_to_numpy
from vtkmodules.vtkCommonCore import vtkPoints, vtkStringArray
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData
from vtkmodules.vtkRenderingCore import vtkActor2D
from vtkmodules.vtkRenderingLabel import vtkLabelPlacementMapper, vtkPointSetToLabelHierarchy

from twinscape.model.sensor_data import SensorData

#: Label text size (points), text and box colours.
FONT_SIZE = 13
TEXT_RGB = (0.08, 0.08, 0.1)
BOX_RGB = (1.0, 1.0, 1.0)
BOX_OPACITY = 0.75


def station_names(data: SensorData) -> list[str]:
    """A station's ``name`` attribute when it has one, else its id."""
    ids = [str(s) for s in data.station_ids]
    table = data.stations
    if table is None or "name" not in getattr(table, "columns", ()):
        return ids
    names = table["name"].tolist()
    return [
        str(n) if n is not None and not (isinstance(n, float) and math.isnan(n)) and str(n)
        else i
        for n, i in zip(names, ids)
    ]


def label_texts(names: list[str], values: np.ndarray, unit: str) -> list[str]:
    """``"name: 12.3 µg/m³"`` per station, ``"name: no data"`` where the value is NaN."""
    suffix = f" {unit}" if unit else ""
    return [
        f"{name}: {value:.4g}{suffix}" if math.isfinite(value) else f"{name}: no data"
        for name, value in zip(names, np.asarray(values, np.float64).tolist())
    ]


class SensorLabels:
    """The labels of one sensors layer.

    Parameters
    ----------
    data
        The stations (names).
    points
        float64 (n, 3) label anchors in render coordinates.
    """

    def __init__(self, data: SensorData, points: np.ndarray) -> None:
        self.names = station_names(data)
        self.texts = ["" for _ in self.names]
        n = len(self.names)
        self.polydata = vtkPolyData()
        pts = vtkPoints()
        pts.SetData(numpy_to_vtk(np.asarray(points, np.float32), deep=True))
        self.polydata.SetPoints(pts)
        verts = vtkCellArray()
        for i in range(n):
            verts.InsertNextCell(1)
            verts.InsertCellPoint(i)
        self.polydata.SetVerts(verts)
        self._strings = vtkStringArray()
        self._strings.SetName("labels")
        self._strings.SetNumberOfValues(n)
        self.polydata.GetPointData().AddArray(self._strings)
        self.hierarchy = vtkPointSetToLabelHierarchy()
        self.hierarchy.SetInputData(self.polydata)
        self.hierarchy.SetLabelArrayName("labels")
        self.hierarchy.SetTargetLabelCount(200)
        text = self.hierarchy.GetTextProperty()
        text.SetFontSize(FONT_SIZE)
        text.SetColor(*TEXT_RGB)
        self.mapper = vtkLabelPlacementMapper()
        self.mapper.SetInputConnection(self.hierarchy.GetOutputPort())
        self.mapper.SetShapeToRoundedRect()
        self.mapper.SetStyleToFilled()
        self.mapper.SetBackgroundColor(*BOX_RGB)
        self.mapper.SetBackgroundOpacity(BOX_OPACITY)
        self.mapper.SetMargin(3)
        self.actor = vtkActor2D()
        self.actor.SetMapper(self.mapper)
        self.set_values(np.full(n, np.nan), "")

    def set_values(self, values: np.ndarray, unit: str) -> None:
        """Write ``"name: value unit"`` labels (only the texts that changed)."""
        texts = label_texts(self.names, values, unit)
        changed = False
        for i, (new, old) in enumerate(zip(texts, self.texts)):
            if new != old:
                self._strings.SetValue(i, new)
                changed = True
        self.texts = texts
        if changed:
            self._strings.Modified()
            self.polydata.Modified()

    def move(self, points: np.ndarray) -> None:
        """New anchors (render coordinates), in place."""
        data = self.polydata.GetPoints().GetData()
        vtk_to_numpy(data)[:] = np.asarray(points, np.float32)
        data.Modified()
        self.polydata.GetPoints().Modified()
        self.polydata.Modified()

    def set_opacity(self, opacity: float) -> None:
        """Fade the texts and their boxes with the layer."""
        self.hierarchy.GetTextProperty().SetOpacity(opacity)
        self.mapper.SetBackgroundOpacity(BOX_OPACITY * opacity)
        self.hierarchy.Modified()
