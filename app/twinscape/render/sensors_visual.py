"""A sensors layer as one batched glyph actor (and one label actor), updated in place.

Every station's glyph (:mod:`~twinscape.render.sensor_glyphs`) is a copy of one template
in a single ``vtkPolyData``; per triangle the cell array ``"station"`` (int32) holds the
station row for picking, and ``"colors"`` (uint8 RGB, drawn directly, lighting off) the
colour with the shading baked in (:mod:`~twinscape.render.sensor_colors`). The values
shown at the clock are written into those arrays in place
(:mod:`~twinscape.render.sensor_values`).

Foot points follow the ground's vertical exaggeration (``(z - origin z) * ve``) while
glyph sizes stay in metres, so markers stay round at any exaggeration; the actor's own
scale is 1. Points are computed in float64 relative to the origin, then cast to float32.

Live values: where the layer has a :class:`~twinscape.model.sensor_live.LiveState`, a
station shows its live value when that is newer than its history's latest at the clock
time (:func:`~twinscape.model.sensor_live.latest_merged`). The visual follows the live
state's ``updated`` signal with the same in-place colour update, and asks for a render
through ``on_update`` (the viewport coalesces those requests into one render).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

# The OpenGL implementations of the rendering classes and the default interactor
# style, as pyvista imports them (the all-modules ``vtk`` package is never loaded).
from vtkmodules import vtkInteractionStyle, vtkRenderingFreeType, vtkRenderingOpenGL2  # noqa: F401
from vtkmodules.util.numpy_support import numpy_to_vtk, numpy_to_vtkIdTypeArray, vtk_to_numpy
from vtkmodules.vtkCommonCore import vtkPoints
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData
from vtkmodules.vtkRenderingCore import vtkActor, vtkPolyDataMapper

from twinscape.geo.origin import LocalOrigin
from twinscape.model.sensor_live import LiveState
from twinscape.model.sensors import SensorsLayer
from twinscape.render.sensor_colors import HIGHLIGHT, POLE, face_shading
from twinscape.render.sensor_glyphs import (
    LABEL_GAP,
    FaceColours,
    GlyphTemplate,
    column_heights,
    glyph_faces,
    glyph_points,
    glyph_template,
)
from twinscape.render.sensor_labels import SensorLabels
from twinscape.render.sensor_values import SensorValues
from twinscape.render.visual import ActorsInRenderer, Connections, renderer_of

_REBUILD_FIELDS = ("glyph", "size", "labels")


class SensorsVisual(Connections, ActorsInRenderer, SensorValues):
    """Draws one :class:`~twinscape.model.sensors.SensorsLayer` into a renderer.

    Parameters
    ----------
    layer
        The layer; its events (and its style's) drive every change.
    renderer
        A ``vtkRenderer`` or a pyvista ``Plotter``.
    origin
        Render coordinates are world minus this point.
    colour_executor
        Accepted for the visual interface; colours are written synchronously.
    on_update
        Called when live values changed the colours (asks for a render; the caller
        coalesces). Without it the next render shows them.
    """

    def __init__(
        self,
        layer: SensorsLayer,
        renderer: Any,
        origin: LocalOrigin,
        *,
        colour_executor: Any = None,
        on_update: Callable[[], None] | None = None,
    ) -> None:
        self.layer = layer
        self.renderer = renderer_of(renderer)
        self.origin = origin
        self._ve = 1.0
        self._time_ns: int | None = None
        self._highlight: tuple[int, ...] = ()
        self._index: np.ndarray | None = None  # observation shown per station
        self._times: np.ndarray | None = None  # time of the value shown per station
        self._on_update = on_update
        self._live: LiveState | None = None
        self.values = np.zeros(0)  # value shown per station (NaN: none)
        self._actor: vtkActor | None = None
        self._polydata: vtkPolyData | None = None
        self._labels: SensorLabels | None = None
        self._template: GlyphTemplate | None = None
        self._bounds: np.ndarray | None = None
        self._connections: list[tuple[Any, Callable[..., Any]]] = []
        self._style_connections: list[tuple[Any, Callable[..., Any]]] = []
        ev = layer.events
        self._connect(ev.visible, self._apply_visibility)
        self._connect(ev.opacity, self._apply_opacity)
        self._connect(ev.data, self._rebuild)
        self._connect(ev.name, self._apply_names)
        self._connect(ev.style, self._on_style_replaced)
        for name in ("quantity", "staleness_s", "thresholds"):
            self._connect(getattr(ev, name), self.refresh)
        self._connect(ev.live_state, self._follow_live)
        self._connect_style()
        self._rebuild()
        self._follow_live()

    # -- events ---------------------------------------------------------------------
    def _connect_style(self) -> None:
        self._disconnect(self._style_connections)
        self._connect(self.layer.style.events.all, self._on_style, self._style_connections)

    def _follow_live(self, *_: Any) -> None:
        """Listen to the layer's (new) live state and show its values."""
        if self._live is not None:
            self._live.updated.disconnect(self._live_updated)
        self._live = self.layer.live_state
        if self._live is not None:
            self._live.updated.connect(self._live_updated)
        self.refresh()

    def _live_updated(self) -> None:
        """New live values: recolour in place when a shown value changed, ask for a render."""
        if self._update_values(force=False) and self._on_update is not None:
            self._on_update()

    def _on_style_replaced(self, *_: Any) -> None:
        self._connect_style()
        self._rebuild()

    def _on_style(self, info: Any = None) -> None:
        name = getattr(getattr(info, "signal", None), "name", None)
        if name in _REBUILD_FIELDS or name is None:
            self._rebuild()
        else:
            self.refresh()

    # -- building -------------------------------------------------------------------
    @property
    def actors(self) -> list[Any]:
        """The glyph actor, and the label actor when labels are on."""
        actors: list[Any] = [] if self._actor is None else [self._actor]
        if self._labels is not None:
            actors.append(self._labels.actor)
        return actors

    @property
    def polydata(self) -> vtkPolyData | None:
        """The glyphs of every station (one ``vtkPolyData``), None without stations."""
        return self._polydata

    @property
    def template(self) -> GlyphTemplate | None:
        """The glyph every station's copy is made of (None without stations)."""
        return self._template

    @property
    def labels(self) -> SensorLabels | None:
        """The label batch when labels are on."""
        return self._labels

    @property
    def cell_colors(self) -> np.ndarray:
        """uint8 (n, F, 3) view of the colour array: station ``i``'s faces are row ``i``."""
        return self._colors if self._polydata is not None else np.zeros((0, 0, 3), np.uint8)

    @property
    def count(self) -> int:
        """Stations drawn."""
        data = self.layer.data
        return 0 if data is None or self._polydata is None else data.count

    def _feet(self) -> np.ndarray:
        """float64 (n, 3) foot points in render coordinates, z exaggerated."""
        data = self.layer.data
        assert data is not None
        feet = np.asarray(data.xyz, np.float64) - np.array(
            [self.origin.x, self.origin.y, self.origin.z]
        )
        feet[:, 2] = np.nan_to_num(feet[:, 2], nan=0.0) * self._ve
        return feet

    def _rebuild(self, *_: Any) -> None:
        """(Re)create the glyph mesh, its actor and the labels from the layer's data."""
        self._detach()
        self._actor = self._polydata = self._labels = self._template = None
        self._index, self._times, self._bounds = None, None, None
        data = self.layer.data
        n = 0 if data is None else data.count
        self.values = np.full(n, np.nan)
        if n == 0:
            return
        style = self.layer.style
        template = self._template = glyph_template(style.glyph, style.size)
        self._faces = FaceColours(template, face_shading(template.normals), POLE, HIGHLIGHT)
        pd = vtkPolyData()
        points = vtkPoints()
        points.SetData(numpy_to_vtk(glyph_points(self._feet(), template), deep=True))
        pd.SetPoints(points)
        faces = glyph_faces(n, template)
        cells = vtkCellArray()
        cells.SetData(
            numpy_to_vtkIdTypeArray(np.arange(0, 3 * len(faces) + 1, 3, dtype=np.int64), deep=True),
            numpy_to_vtkIdTypeArray(faces.ravel(), deep=True),
        )
        pd.SetPolys(cells)
        f = len(template.faces)
        station = numpy_to_vtk(np.repeat(np.arange(n, dtype=np.int32), f), deep=True)
        station.SetName("station")
        pd.GetCellData().AddArray(station)
        colors = numpy_to_vtk(np.zeros((n * f, 3), np.uint8), deep=True)
        colors.SetName("colors")
        pd.GetCellData().SetScalars(colors)
        mapper = vtkPolyDataMapper()
        mapper.SetInputData(pd)
        mapper.SetScalarModeToUseCellData()
        mapper.SetColorModeToDirectScalars()
        mapper.ScalarVisibilityOn()
        actor = vtkActor()
        actor.SetMapper(mapper)
        actor.GetProperty().LightingOff()
        self._actor, self._polydata = actor, pd
        self._points = vtk_to_numpy(points.GetData()).reshape(n, len(template.points), 3)
        self._colors = vtk_to_numpy(colors).reshape(n, f, 3)
        if style.labels:
            self._labels = SensorLabels(data, self._label_points())
        self._faces.write_frame(self._colors, self._highlight)
        self.refresh()
        self._apply_names()
        self._apply_opacity()
        self._apply_visibility()
        self._attach()

    def _label_points(self) -> np.ndarray:
        assert self._template is not None
        feet = self._feet()
        size = self.layer.style.size
        top = self._template.top if self.layer.style.glyph == "mast" else 0.0
        if self.layer.style.glyph == "column" and len(self.values):
            top = column_heights(self._fraction(self.values), size)
        feet[:, 2] += top + LABEL_GAP * size
        return feet

    def set_origin(self, origin: LocalOrigin) -> None:
        """Move to a new project origin (points re-placed in place)."""
        self.origin = origin
        self._place()

    def _place(self) -> None:
        """Write every point from the foot points and the shown values (in place)."""
        if self._polydata is None or self._template is None:
            return
        self._points[:] = glyph_points(self._feet(), self._template).reshape(self._points.shape)
        self._update_heights()
        self._points_modified()

    def _points_modified(self) -> None:
        assert self._polydata is not None
        self._polydata.GetPoints().GetData().Modified()
        self._polydata.GetPoints().Modified()
        self._polydata.Modified()
        self._bounds = None
        if self._labels is not None:
            self._labels.move(self._label_points())

    # -- frame work (colours, levels of detail, triangles) --------------------------
    def apply_pending_colours(self, *, wait: bool = False) -> bool:
        """Nothing is ever pending: colours are written synchronously."""
        return False

    def update_lod(self, camera: Any, viewport_h_px: float, tolerance_px: float) -> int:
        """Glyphs have one level of detail."""
        return 0

    @property
    def triangles(self) -> int:
        """Triangles of the glyphs (0 when hidden)."""
        if not self.layer.visible or self._template is None:
            return 0
        return self.count * len(self._template.faces)

    # -- appearance -----------------------------------------------------------------
    @property
    def ve(self) -> float:
        """Vertical exaggeration the foot points follow (the ground's)."""
        return self._ve

    def set_exaggeration(self, ve: float) -> None:
        """Stand the glyphs on the ground exaggerated ``ve`` times (glyph sizes stay)."""
        if float(ve) != self._ve:
            self._ve = float(ve)
            self._place()

    def _apply_visibility(self, *_: Any) -> None:
        for actor in self.actors:
            actor.SetVisibility(bool(self.layer.visible))

    def _apply_opacity(self, *_: Any) -> None:
        if self._actor is not None:
            self._actor.GetProperty().SetOpacity(float(self.layer.opacity))
        if self._labels is not None:
            self._labels.set_opacity(float(self.layer.opacity))

    def _apply_names(self, *_: Any) -> None:
        if self._actor is not None:
            self._actor.SetObjectName(f"{self.layer.name}/glyphs")
        if self._labels is not None:
            self._labels.actor.SetObjectName(f"{self.layer.name}/labels")

    def bounds_render(self) -> np.ndarray | None:
        """[xmin, xmax, ymin, ymax, zmin, zmax] as drawn (render coordinates)."""
        if self._polydata is None:
            return None
        if self._bounds is None:
            pts = self._points.reshape(-1, 3)
            lo, hi = pts.min(axis=0).astype(np.float64), pts.max(axis=0).astype(np.float64)
            self._bounds = np.array([lo[0], hi[0], lo[1], hi[1], lo[2], hi[2]])
        return self._bounds.copy()

    # -- picking --------------------------------------------------------------------
    def row_of_cell(self, actor: Any, cell_id: int) -> int | None:
        """Station row of triangle ``cell_id`` of the glyph actor; None if not ours."""
        if actor is not self._actor or self._polydata is None:
            return None
        if not 0 <= cell_id < self._polydata.GetNumberOfCells():
            return None
        return int(self._polydata.GetCellData().GetArray("station").GetValue(int(cell_id)))

    # -- renderer membership --------------------------------------------------------
    def _attach(self) -> None:
        if self._actor is not None:
            self.renderer.AddActor(self._actor)
        if self._labels is not None:
            self.renderer.AddViewProp(self._labels.actor)

    def _detach(self) -> None:
        if self._actor is not None:
            self.renderer.RemoveActor(self._actor)
        if self._labels is not None:
            self.renderer.RemoveViewProp(self._labels.actor)

    def close(self) -> None:
        """Disconnect from the layer and its style and remove the actors."""
        self._disconnect(self._connections)
        self._disconnect(self._style_connections)
        if self._live is not None:
            self._live.updated.disconnect(self._live_updated)
            self._live = None
        self._connections.clear()
        self._style_connections.clear()
        self._detach()
        self._actor = self._polydata = self._labels = self._template = None
