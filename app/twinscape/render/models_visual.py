"""A 3D model layer as one VTK actor placed by a matrix.

The ``vtkPolyData`` holds the model's own vertices (model units, relative to its
anchor: small numbers that float32 keeps exactly) with one colour per triangle
(``"colors"``, uint8 RGB drawn directly, lighting off like the terrain and the
buildings) and the feature row (``"model"``, always 0) for picking. Where the
model stands is the actor's user matrix, composed in float64: scale, rotate
clockwise about the vertical, move to (x, y, elevation) minus the project origin,
and scale z by the ground's vertical exaggeration, as the terrain's and the
buildings' actors do; so moving, turning or exaggerating rebuilds nothing.

Shading is baked into the colours with the buildings' sun and fill light
(render/building_colors.py), from the triangles' normals turned with the model,
so a turned model is lit from the same sun as the terrain around it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

# The OpenGL implementations of the rendering classes and the default interactor
# style, as pyvista imports them (the all-modules ``vtk`` package is never loaded).
from vtkmodules import vtkInteractionStyle, vtkRenderingOpenGL2  # noqa: F401
from vtkmodules.util.numpy_support import numpy_to_vtk, numpy_to_vtkIdTypeArray, vtk_to_numpy
from vtkmodules.vtkCommonCore import vtkPoints
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData
from vtkmodules.vtkCommonMath import vtkMatrix4x4
from vtkmodules.vtkRenderingCore import vtkActor, vtkPolyDataMapper

from twinscape.geo.origin import LocalOrigin
from twinscape.model.models3d import ModelLayer, ModelMesh, rotation_z
from twinscape.render.building_colors import (
    AMBIENT,
    DIFFUSE,
    FILL,
    FILL_ALTITUDE,
    FILL_AZIMUTH,
    HIGHLIGHT,
    SUN_ALTITUDE,
    SUN_AZIMUTH,
)
from twinscape.render.visual import ActorsInRenderer, Connections, renderer_of

#: Share of the selection colour in a highlighted model's colours.
HIGHLIGHT_MIX = 0.6




def _direction(azimuth: float, altitude: float) -> np.ndarray:
    az, alt = np.radians(azimuth), np.radians(altitude)
    return np.array([np.sin(az) * np.cos(alt), np.cos(az) * np.cos(alt), np.sin(alt)])


def model_normals(mesh: ModelMesh) -> np.ndarray:
    """float64 (t, 3) unit normals in model space (zero for degenerate triangles).

    A closed mesh whose triangles all wind inwards (negative signed volume) is
    turned outwards, so it is not lit from behind.
    """
    v = np.asarray(mesh.vertices, np.float64)
    tri = np.asarray(mesh.triangles)
    a, b, c = v[tri[:, 0]], v[tri[:, 1]], v[tri[:, 2]]
    centre = v.mean(axis=0)
    n = np.cross(b - a, c - a)
    if np.einsum("ij,ij->", a - centre, np.cross(b - centre, c - centre)) < 0:
        n = -n
    length = np.linalg.norm(n, axis=1, keepdims=True)
    return np.divide(n, length, out=np.zeros_like(n), where=length > 0)


def model_shading(normals: np.ndarray, rotation_deg: float) -> np.ndarray:
    """float64 (t,) brightness per triangle, 1 for an upward face (as buildings' roofs).

    The normals are turned with the model, then lit by the sun from the north-west and
    a weak fill from the south-west (render/building_colors.py).
    """
    n = normals @ rotation_z(rotation_deg).T
    sun, fill = _direction(SUN_AZIMUTH, SUN_ALTITUDE), _direction(FILL_AZIMUTH, FILL_ALTITUDE)
    flat = AMBIENT + DIFFUSE * sun[2] + FILL * fill[2]
    lit = np.maximum(n @ sun, 0.0) * DIFFUSE + np.maximum(n @ fill, 0.0) * FILL
    return (lit + AMBIENT) / flat


def model_colors(
    layer: ModelLayer, *, normals: np.ndarray | None = None, highlight: bool = False
) -> np.ndarray:
    """uint8 (t, 3): the model's colours shaded for its rotation (tinted when selected)."""
    mesh = layer.mesh
    if mesh is None:
        return np.zeros((0, 3), np.uint8)
    normals = model_normals(mesh) if normals is None else normals
    rgb = np.asarray(mesh.colors, np.float64)
    if highlight:
        rgb = rgb * (1.0 - HIGHLIGHT_MIX) + np.asarray(HIGHLIGHT, np.float64) * HIGHLIGHT_MIX
    factor = model_shading(normals, layer.placement.rotation_deg)
    return np.clip(np.rint(rgb * factor[:, None]), 0, 255).astype(np.uint8)


class ModelVisual(Connections, ActorsInRenderer):
    """Draws one :class:`~twinscape.model.models3d.ModelLayer` into a renderer.

    Parameters
    ----------
    layer
        The layer; its events drive every change.
    renderer
        A ``vtkRenderer`` or a pyvista ``Plotter``.
    origin
        Render coordinates are world minus this point.
    colour_executor
        Accepted for the visual interface; colours are written synchronously.
    on_update
        Asks for a render (a move changes the picture but maybe no data field).
    """

    draws_first = True  # a solid standing on the ground: drawn before the terrain

    def __init__(
        self,
        layer: ModelLayer,
        renderer: Any,
        origin: LocalOrigin,
        *,
        colour_executor: Any = None,
        on_update: Callable[[], None] | None = None,
    ) -> None:
        self.layer = layer
        self.renderer = renderer_of(renderer)
        self.origin = origin
        self._on_update = on_update
        self._ve = 1.0
        self._highlight = False
        self._culled = False
        self._actor: vtkActor | None = None
        self._polydata: vtkPolyData | None = None
        self._normals = np.zeros((0, 3))
        self._rotation: float | None = None
        self._connections: list[tuple[Any, Callable[..., Any]]] = []
        ev = layer.events
        self._connect(ev.visible, self._apply_visibility)
        self._connect(ev.opacity, self._apply_opacity)
        self._connect(ev.mesh, self._rebuild)
        self._connect(ev.anchor, self._rebuild)  # the points are relative to the anchor
        self._connect(ev.base, self._place)
        self._connect(ev.placement, self._moved)
        self._connect(ev.unit_scale, self._moved)
        self._connect(ev.name, self._apply_name)
        self._rebuild()

    # -- building -------------------------------------------------------------------
    @property
    def actors(self) -> list[vtkActor]:
        """The model's one actor (none before it is loaded and placed)."""
        return [] if self._actor is None else [self._actor]

    def _drawable(self) -> bool:
        layer = self.layer
        return layer.mesh is not None and layer.mesh.count > 0 and layer.placement.placed

    def _rebuild(self, *_: Any) -> None:
        """(Re)create the actor from the layer's mesh."""
        self._detach()
        self._actor = self._polydata = None
        self._rotation = None
        if self._drawable():
            mesh = self.layer.mesh
            assert mesh is not None
            self._normals = model_normals(mesh)
            self._polydata = self._make_polydata(mesh)
            mapper = vtkPolyDataMapper()
            mapper.SetInputData(self._polydata)
            mapper.SetScalarModeToUseCellData()
            mapper.SetColorModeToDirectScalars()
            mapper.ScalarVisibilityOn()
            self._actor = vtkActor()
            self._actor.SetMapper(mapper)
            self._actor.GetProperty().LightingOff()
            self._place()
            self._apply_name()
            self._apply_opacity()
            self._apply_visibility()
            self._attach()
        self._request_render()

    def _make_polydata(self, mesh: ModelMesh) -> vtkPolyData:
        local = np.asarray(mesh.vertices, np.float64) - self.layer.anchor_point()
        points = vtkPoints()
        points.SetData(numpy_to_vtk(local.astype(np.float32), deep=True))
        t = mesh.count
        cells = vtkCellArray()
        cells.SetData(
            numpy_to_vtkIdTypeArray(np.arange(0, 3 * t + 1, 3, dtype=np.int64), deep=True),
            numpy_to_vtkIdTypeArray(np.asarray(mesh.triangles, np.int64).ravel(), deep=True),
        )
        pd = vtkPolyData()
        pd.SetPoints(points)
        pd.SetPolys(cells)
        rows = numpy_to_vtk(np.zeros(t, np.int32), deep=True)
        rows.SetName("model")
        pd.GetCellData().AddArray(rows)
        colors = numpy_to_vtk(np.zeros((t, 3), np.uint8), deep=True)
        colors.SetName("colors")
        pd.GetCellData().SetScalars(colors)
        return pd

    def render_matrix(self) -> np.ndarray:
        """float64 4 x 4 from anchored model units to render coordinates (z exaggerated)."""
        layer = self.layer
        p = layer.placement
        linear = rotation_z(p.rotation_deg) * layer.metres_per_unit
        world = np.array([p.x, p.y, layer.elevation], np.float64)
        matrix = np.eye(4)
        matrix[:3, :3] = linear
        matrix[:3, 3] = world - np.array([self.origin.x, self.origin.y, self.origin.z])
        matrix[2, :] *= self._ve
        return matrix

    def _place(self, *_: Any) -> None:
        """Put the actor where the layer says (position, rotation, scale, base, ve)."""
        if self._actor is None:
            return
        if self._rotation != self.layer.placement.rotation_deg:
            self.recolour()
        vtk_matrix = vtkMatrix4x4()
        for i, row in enumerate(self.render_matrix()):
            for j, value in enumerate(row):
                vtk_matrix.SetElement(i, j, float(value))
        self._actor.SetUserMatrix(vtk_matrix)
        self._request_render()

    def _moved(self, *_: Any) -> None:
        if (self._actor is None) == self._drawable():  # placed for the first time
            self._rebuild()
        else:
            self._place()

    def set_origin(self, origin: LocalOrigin) -> None:
        """Move to a new project origin (only the matrix changes)."""
        self.origin = origin
        self._place()

    def _request_render(self) -> None:
        if self._on_update is not None:
            self._on_update()

    # -- colours --------------------------------------------------------------------
    def recolour(self, *_: Any) -> None:
        """Write the shaded colours (for the current rotation) into the cell array."""
        if self._polydata is None:
            return
        self._rotation = self.layer.placement.rotation_deg
        rgb = model_colors(self.layer, normals=self._normals, highlight=self._highlight)
        arr = self._polydata.GetCellData().GetScalars()
        vtk_to_numpy(arr)[:] = rgb
        arr.Modified()
        self._polydata.Modified()

    def set_highlight(self, rows: Sequence[int]) -> None:
        """Tint the model in the selection colour when ``rows`` holds its row (0)."""
        highlight = 0 in [int(r) for r in rows]
        if highlight != self._highlight:
            self._highlight = highlight
            self.recolour()

    @property
    def highlight(self) -> bool:
        """True while the model is drawn as selected."""
        return self._highlight

    def apply_pending_colours(self, *, wait: bool = False) -> bool:
        """Nothing is ever pending: colours are written synchronously."""
        return False

    # -- level of detail ------------------------------------------------------------
    def update_lod(self, camera: Any, viewport_h_px: float, tolerance_px: float) -> int:
        """No levels: note whether the model is outside the view (for :attr:`triangles`)."""
        box = self.bounds_render()
        if box is None:
            self._culled = False
            return 0
        planes = [0.0] * 24
        camera.GetFrustumPlanes(self.renderer.GetTiledAspectRatio() or 1.0, planes)
        lo, hi = np.asarray(box[0::2]), np.asarray(box[1::2])
        out = False
        for a, b, c, d in np.reshape(planes[:16], (4, 4)):  # side planes, inward normals
            n = np.array([a, b, c])
            out |= bool(np.where(n >= 0, hi, lo) @ n + d < 0)
        self._culled = out
        return 0

    @property
    def triangles(self) -> int:
        """The model's triangles when shown and in view, else 0."""
        mesh = self.layer.mesh
        if not self.layer.visible or self._actor is None or self._culled or mesh is None:
            return 0
        return mesh.count

    # -- appearance -----------------------------------------------------------------
    @property
    def ve(self) -> float:
        """Vertical exaggeration (z scale of the matrix)."""
        return self._ve

    def set_exaggeration(self, ve: float) -> None:
        """Scale render z by ``ve`` as the terrain does: the whole model, like buildings."""
        self._ve = float(ve)
        self._place()

    def _apply_visibility(self, *_: Any) -> None:
        if self._actor is not None:
            self._actor.SetVisibility(bool(self.layer.visible))

    def _apply_opacity(self, *_: Any) -> None:
        if self._actor is not None:
            self._actor.GetProperty().SetOpacity(float(self.layer.opacity))

    def _apply_name(self, *_: Any) -> None:
        if self._actor is not None:
            self._actor.SetObjectName(f"{self.layer.name}/model")

    def bounds_render(self) -> np.ndarray | None:
        """[xmin, xmax, ymin, ymax, zmin, zmax] as drawn (render coordinates, z exaggerated)."""
        if self._actor is None:
            return None
        return np.array(self._actor.GetBounds(), np.float64)

    # -- picking --------------------------------------------------------------------
    def row_of_cell(self, actor: Any, cell_id: int) -> int | None:
        """0 (the model) for any cell of its actor; None if the actor is not ours."""
        if actor is None or actor is not self._actor or self.layer.mesh is None:
            return None
        return 0 if 0 <= cell_id < self.layer.mesh.count else None

    # -- teardown -------------------------------------------------------------------
    def close(self) -> None:
        """Disconnect from the layer and remove the actor."""
        self._disconnect(self._connections)
        self._detach()
        self._actor = self._polydata = None
