"""The scene's camera: views in world coordinates, framing, chosen versus automatic cameras.

:class:`SceneCamera` is a mixin of :class:`~twinscape.render.scene.SceneView`; it works on
the scene's renderer, origin and visuals.

Views (:class:`~twinscape.model.bookmarks.CameraView`) hold real heights in metres; the
VTK camera holds them as drawn, i.e. stretched by the ground's vertical exaggeration
about the origin's z (:func:`~twinscape.model.bookmarks.scale_view_z`), as the actors are.
A bookmark therefore shows the same place at any exaggeration. When the exaggeration
changes under a view, the camera keeps looking at the same ground point from the same
distance and direction as drawn (:meth:`SceneCamera.follow_exaggeration`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from vtkmodules.vtkRenderingCore import vtkRenderer

from twinscape.geo.origin import LocalOrigin
from twinscape.model.bookmarks import CameraView, scale_view_z
from twinscape.model.layers import Layer
from twinscape.model.project import Project

#: Camera elevation of :meth:`SceneView.frame`, degrees above the horizon, from the south.
FRAME_ELEVATION = 40.0
#: Fraction of the window the framed box spans (the rest is margin).
FRAME_FILL = 0.92


def ground_exaggeration(project: Project) -> float:
    """Vertical exaggeration of the topmost visible, loaded ground layer (1 without one).

    Every layer standing on the ground is drawn with it, and so is the camera.
    """
    for layer in reversed(project.layers):
        if layer.provides_ground and layer.visible and layer.loaded:
            style = getattr(layer, "style", None)
            return float(getattr(style, "vertical_exaggeration", 1.0))
    return 1.0


def view_as_drawn(project: Project, view: CameraView) -> CameraView:
    """``view`` (real heights) with its heights as a scene of ``project`` draws them."""
    base = project.origin[2] if project.origin is not None else 0.0
    return scale_view_z(view, ground_exaggeration(project), base)


def _usable_view_up(view: CameraView) -> tuple[float, float, float]:
    """``view.view_up``, or north (else z) when it is zero or along the line of sight.

    VTK draws nothing for such a camera, and a straight-down map view with the
    default up (0, 0, 1) is one: it gets north up, as maps have.
    """
    sight = np.subtract(view.focal_point, view.position)
    for candidate in (view.view_up, (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)):
        up = np.asarray(candidate, dtype=float)
        if np.linalg.norm(np.cross(sight, up)) > 1e-9 * np.linalg.norm(sight) * np.linalg.norm(up):
            return (float(up[0]), float(up[1]), float(up[2]))
    return (0.0, 0.0, 1.0)


class SceneCamera:
    """Camera handling of :class:`~twinscape.render.scene.SceneView`."""

    plotter: Any
    project: Project
    renderer: vtkRenderer
    origin: LocalOrigin
    visuals: dict[int, Any]
    _camera_set: bool
    _auto_key: tuple | None
    #: The exaggeration the VTK camera's heights are drawn with (set by every placement).
    _drawn_ve: float = 1.0

    def ground_exaggeration(self) -> float:
        """Vertical exaggeration of the topmost visible, loaded ground layer (1 without one)."""
        return ground_exaggeration(self.project)

    def current_view(self) -> CameraView:
        """The camera in world coordinates, z in real metres (not exaggerated)."""
        cam = self.renderer.GetActiveCamera()
        drawn = CameraView(
            position=self.origin.point_to_world(cam.GetPosition()),
            focal_point=self.origin.point_to_world(cam.GetFocalPoint()),
            view_up=cam.GetViewUp(),
            view_angle=cam.GetViewAngle(),
        )
        return scale_view_z(drawn, 1.0 / self._drawn_ve, self.origin.z)

    def apply_view(self, view: CameraView) -> None:
        """Move the camera to ``view`` (world coordinates, z in real metres)."""
        ve = self.ground_exaggeration()
        drawn = scale_view_z(view, ve, self.origin.z)
        cam = self.renderer.GetActiveCamera()
        cam.SetPosition(*self.origin.point_to_render(drawn.position))
        cam.SetFocalPoint(*self.origin.point_to_render(drawn.focal_point))
        cam.SetViewUp(*_usable_view_up(drawn))
        cam.SetViewAngle(drawn.view_angle)
        cam.OrthogonalizeViewUp()
        self._drawn_ve = ve
        self._camera_changed()

    def follow_exaggeration(self) -> None:
        """Keep looking at the same ground point when the ground's exaggeration changed.

        The focal point stays on the same real point, now drawn at the new
        exaggeration; the eye keeps its distance and direction from it as drawn, so the
        relief grows or shrinks in place on screen (as in QGIS or ArcGIS Pro) rather
        than the eye being flung up or down with the heights. A camera nobody chose
        stays automatic.
        """
        ve = self.ground_exaggeration()
        if ve == self._drawn_ve:
            return
        chosen = self._camera_chosen()
        cam = self.renderer.GetActiveCamera()
        focal = np.array(cam.GetFocalPoint())
        offset = np.subtract(cam.GetPosition(), focal)
        focal[2] *= ve / self._drawn_ve  # render z is world z minus the origin's
        cam.SetFocalPoint(*focal)
        cam.SetPosition(*(focal + offset))
        self._drawn_ve = ve
        self._camera_changed()
        if not chosen:
            self._camera_set = False
            self._auto_key = self._camera_key()

    def _render_bounds(self, bounds: tuple[float, ...] | None) -> np.ndarray | None:
        shown = [v for v in self.visuals.values() if v.layer.visible]
        visuals = shown or list(self.visuals.values())  # all hidden: frame them anyway
        boxes = [b for b in (v.bounds_render() for v in visuals) if b is not None]
        zlo = min((b[4] for b in boxes), default=0.0)
        zhi = max((b[5] for b in boxes), default=0.0)
        if bounds is not None:
            if len(bounds) == 6:
                x0, y0, z0, x1, y1, z1 = bounds
                zlo, zhi = z0 - self.origin.z, z1 - self.origin.z
            else:
                x0, y0, x1, y1 = bounds
            lo = self.origin.point_to_render((x0, y0, 0.0))
            hi = self.origin.point_to_render((x1, y1, 0.0))
            return np.array([lo[0], hi[0], lo[1], hi[1], zlo, zhi])
        if not boxes:
            return None
        b = np.array(boxes)
        return np.array([b[:, 0].min(), b[:, 1].max(), b[:, 2].min(), b[:, 3].max(), zlo, zhi])

    def frame(self, bounds: tuple[float, ...] | None = None) -> None:
        """An oblique overview from the south fitting ``bounds`` (world) or everything shown.

        ``bounds`` is ``(xmin, ymin, xmax, ymax)`` like ``Layer.bounds`` or
        ``(xmin, ymin, zmin, xmax, ymax, zmax)``. The camera looks north, 40 degrees down.
        """
        box = self._render_bounds(bounds)
        automatic = box is None  # nothing to frame yet: the next data may reframe
        if box is None:
            box = np.array([-5000.0, 5000.0, -5000.0, 5000.0, 0.0, 500.0])
        centre = np.array([(box[0] + box[1]) / 2, (box[2] + box[3]) / 2, (box[4] + box[5]) / 2])
        e = math.radians(FRAME_ELEVATION)
        back = np.array([0.0, -math.cos(e), math.sin(e)])  # from focal point to eye
        up = np.array([0.0, math.sin(e), math.cos(e)])
        right = np.cross(-back, up)
        cam = self.renderer.GetActiveCamera()
        cam.SetParallelProjection(False)
        tan_v = math.tan(math.radians(cam.GetViewAngle()) / 2)
        w, h = self.renderer.GetSize()
        if not w or not h:
            w, h = self.renderer.GetRenderWindow().GetSize()
        tan_h = tan_v * (w / h if h else 1.0)
        corners = np.array([[x, y, z] for x in box[0:2] for y in box[2:4] for z in box[4:6]])
        focal = centre.copy()
        dist = float(np.linalg.norm(box[1::2] - box[0::2])) / tan_v
        for _ in range(6):  # centre the projected box and fit it with a margin
            rel = corners - (focal + back * dist)
            depth = -(rel @ back)
            x = (rel @ right) / depth / tan_h
            y = (rel @ up) / depth / tan_v
            focal = focal + right * (x.max() + x.min()) / 2 * tan_h * dist
            focal = focal + up * (y.max() + y.min()) / 2 * tan_v * dist
            dist *= max(x.max() - x.min(), y.max() - y.min()) / 2 / FRAME_FILL
        eye = focal + back * dist
        # Same view, but orbit about a point at the middle height of the terrain.
        t = (eye[2] - centre[2]) / back[2]
        cam.SetFocalPoint(*(eye - back * t))
        cam.SetPosition(*eye)
        cam.SetViewUp(*up)
        self._drawn_ve = self.ground_exaggeration()  # the box is in drawn heights
        self._camera_changed()
        self._camera_set = not automatic
        if automatic:
            self._auto_key = self._camera_key()

    def _camera_changed(self) -> None:
        self.renderer.ResetCameraClippingRange()
        self._camera_set = True
        if hasattr(self.plotter, "camera_set"):
            self.plotter.camera_set = True  # keep pyvista from resetting it on first render

    def zoom_to_layer(self, layer: Layer) -> None:
        """Frame the loaded extent of ``layer`` (its own heights, not the whole scene's)."""
        visual = self.visuals.get(id(layer))
        box = None if visual is None else visual.bounds_render()
        if box is not None:
            ox, oy, oz = self.origin.x, self.origin.y, self.origin.z
            x0, x1, y0, y1, z0, z1 = (float(v) for v in box)
            self.frame((x0 + ox, y0 + oy, z0 + oz, x1 + ox, y1 + oy, z1 + oz))
        elif layer.bounds is not None:
            self.frame(layer.bounds)

    def _auto_frame(self) -> None:
        """Frame what is shown without counting as a camera someone chose."""
        self.frame()
        self._camera_set = False
        self._auto_key = self._camera_key()

    def _camera_chosen(self) -> bool:
        """True once the camera was set through the API or moved since the last auto-frame."""
        return self._camera_set or (
            self._auto_key is not None and self._camera_key() != self._auto_key
        )

    def _camera_key(self) -> tuple:
        cam = self.renderer.GetActiveCamera()
        return (cam.GetPosition(), cam.GetFocalPoint(), cam.GetViewUp(), cam.GetViewAngle())
