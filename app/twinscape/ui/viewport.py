"""The 3D view: a widget that owns a pyvistaqt ``QtInteractor`` and the project's SceneView.

The interactor is owned, not subclassed (see CODE-ANCHORS, pyvistaqt). Renders
are requested, not done: :meth:`Viewport.request_render` coalesces every model
change of one event-loop turn into a single render, and nothing is rendered
while the window is hidden or after it was closed (rendering into a finalized
GL context can freeze other windows, pyvistaqt #762).
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QMouseEvent, QShowEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget
from pyvistaqt import QtInteractor
from vtkmodules.vtkRenderingCore import vtkTextActor

from twinscape.model.bookmarks import CameraView
from twinscape.model.layers import Layer
from twinscape.model.project import Project
from twinscape.render.offscreen import (
    Progress,
    render_to_array,
    render_with_view,
    save_picture,
)
from twinscape.render.offscreen_window import RenderError
from twinscape.render.overlays import OverlayOptions
from twinscape.render.scene import Hit, SceneView

log = logging.getLogger(__name__)

#: A press and release closer than this (logical px) is a click, not a drag.
CLICK_SLOP_PX = 4
#: Idle time (ms) before a still view that its budget held coarse is drawn again.
REFINE_MS = 100


class Viewport(QWidget):
    """Central widget of the main window: the 3D scene of one project at a time."""

    #: Emitted from a worker thread when background work (new colours) awaits a render.
    background_ready = Signal()
    #: A click (no drag) at VTK display coordinates (device px, origin bottom-left).
    clicked = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("viewport")
        # off_screen=False: pyvista.OFF_SCREEN may be on in the same process (render tests)
        self.plotter = QtInteractor(self, auto_update=False, off_screen=False)
        self.plotter.setObjectName("viewport3d")
        # drops go to the main window (which knows projects and DEMs), not to pyvista.read
        self.plotter.setAcceptDrops(False)
        iren = getattr(self.plotter, "iren", None)
        if iren is not None:
            # no debug keys in a GIS: pyvista's ('q' screenshot, 'b', 'C', +/-) and VTK's
            # interactor-style letters ('w' wireframe, '3' stereo, 'r' reset, 'e' exit, ...)
            iren.clear_key_event_callbacks()
            iren.interactor.RemoveObservers("CharEvent")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plotter)
        self.scene: SceneView | None = None
        self._hint = _hint_actor()
        self.plotter.renderer.AddActor(self._hint)
        self._closed = False
        self._pending = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._render_now)
        # a still view the budget held coarse is drawn again when idle (it regains detail)
        self._refine = QTimer(self)
        self._refine.setSingleShot(True)
        self._refine.setInterval(REFINE_MS)
        self._refine.timeout.connect(self.request_render)
        self.plotter.render_window.AddObserver("EndEvent", self._frame_drawn)
        # colour changes of big terrains are computed here, then rendered (GUI thread)
        self._colour_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recolour")
        self.background_ready.connect(self.request_render)  # queued across threads
        self._press: QPoint | None = None
        self.plotter.installEventFilter(self)

    # -- the project -----------------------------------------------------------------
    def set_project(self, project: Project) -> None:
        """Show ``project``: a new SceneView, at its saved camera or framing all of it."""
        self._close_scene()
        self.scene = SceneView(
            self.plotter,
            project,
            colour_executor=self._colour_pool,
            on_update=self.background_ready.emit,
        )
        if project.view is not None:
            self.scene.apply_view(project.view)
        else:
            self.scene.frame()
        self.request_render()

    def current_view(self) -> CameraView | None:
        """The camera in world coordinates, or None without a scene."""
        return None if self.scene is None else self.scene.current_view()

    def apply_view(self, view: CameraView) -> None:
        """Move the camera to ``view``."""
        if self.scene is not None:
            self.scene.apply_view(view)
            self.request_render()

    def zoom_to_all(self) -> None:
        """Frame every loaded layer."""
        if self.scene is not None:
            self.scene.frame()
            self.request_render()

    def zoom_to_layer(self, layer: Layer) -> None:
        """Frame one layer."""
        if self.scene is not None and layer.bounds is not None:
            self.scene.zoom_to_layer(layer)
            self.request_render()

    def pick_world(self, x_px: int, y_px: int) -> tuple[float, float, float] | None:
        """World point under VTK display coordinates (origin bottom-left), or None."""
        if self.scene is None or self._closed:
            return None
        return self.scene.pick_world(x_px, y_px)

    def identify(self, x_px: int, y_px: int, *, refresh: bool = True) -> Hit | None:
        """What is drawn at VTK display coordinates (origin bottom-left), or None.

        ``refresh=False`` (hovering) reads the last frame instead of rendering one.
        """
        if self.scene is None or self._closed:
            return None
        return self.scene.identify(x_px, y_px, refresh=refresh)

    def set_highlight(self, layer: Layer | None, rows: list[int]) -> None:
        """Draw ``rows`` of ``layer`` as selected (nothing else)."""
        if self.scene is not None and not self._closed:
            self.scene.set_highlight(layer, rows)
            self.request_render()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """Turn a left press and release without dragging into :attr:`clicked`."""
        if watched is self.plotter and isinstance(event, QMouseEvent):
            left = event.button() == Qt.MouseButton.LeftButton
            pressed = (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick)
            if event.type() in pressed and left:
                self._press = event.position().toPoint()
            elif event.type() == QEvent.Type.MouseButtonRelease and left and self._press:
                moved = (event.position().toPoint() - self._press).manhattanLength()
                self._press = None
                if moved <= CLICK_SLOP_PX:
                    ratio = self.plotter.devicePixelRatioF()
                    pos = event.position()
                    x = int(round(pos.x() * ratio))
                    y = int(round((self.plotter.height() - pos.y() - 1) * ratio))
                    self.clicked.emit(x, y)
        return False

    def set_hint(self, text: str | None) -> None:
        """Show ``text`` in the middle of the view (e.g. how to add data); None hides it."""
        if self._closed:
            return
        self._hint.SetInput(text or "")
        self._hint.SetVisibility(bool(text))
        self.request_render()

    # -- rendering -------------------------------------------------------------------
    def request_render(self) -> None:
        """Render once the current burst of changes is over (coalesced)."""
        if not self._closed:
            self._timer.start()

    def _frame_drawn(self, *_: object) -> None:
        if not self._closed and self.scene is not None and self.scene.wants_refinement():
            self._refine.start()

    def _render_now(self) -> None:
        if self._closed:
            return
        if not self.isVisible() or self.window().isMinimized():
            self._pending = True  # render when shown again
            return
        self._pending = False
        self.plotter.render()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        """Catch up on a render that was skipped while hidden."""
        super().showEvent(event)
        if self._pending:
            self.request_render()

    def display_size(self) -> tuple[int, int]:
        """Size of the render window in device pixels (VTK display coordinates)."""
        width, height = self.plotter.render_window.GetSize()
        return int(width), int(height)

    def image(self, *, scale: int = 1, settle: bool = True) -> np.ndarray:
        """RGB pixels (rows from the top) of the view; ``settle`` renders full detail first.

        A picture larger than the window (``scale`` > 1) is rendered off-screen at its
        full size from the same camera, so its detail is chosen for its own pixels.
        """
        if self.scene is not None and scale > 1:
            width, height = self.plotter.window_size
            return render_to_array(
                self.scene.project,
                size=(width * scale, height * scale),
                view=self.scene.current_view(),
            )
        if self.scene is not None and settle:
            self.scene.settle()
        self.plotter._render()  # synchronous, so the picture is current
        return self.plotter.screenshot(return_img=True)

    def capture(
        self,
        size: tuple[int, int] | None = None,
        *,
        transparent: bool = False,
        progress: Progress | None = None,
    ) -> tuple[np.ndarray, CameraView]:
        """Pixels of the view at full detail, and the camera they were taken from.

        ``size`` None grabs the window itself (settled first); any other size, or a
        transparent background, is rendered off-screen from the same camera, in tiles
        when large, calling ``progress(done, total)`` between them (see
        :func:`~twinscape.render.offscreen.render_with_view`).
        """
        if self.scene is None or self._closed:
            raise RenderError("there is no scene to take a picture of")
        view = self.scene.current_view()
        if size is None and not transparent:
            return np.ascontiguousarray(self.image()[..., :3]), view
        return render_with_view(
            self.scene.project, size=size or self.display_size(), view=view,
            transparent=transparent, progress=progress,
        )  # fmt: skip

    def save_screenshot(
        self,
        path: str | Path,
        *,
        scale: int = 1,
        size: tuple[int, int] | None = None,
        transparent: bool = False,
        overlays: OverlayOptions | None = None,
        progress: Progress | None = None,
    ) -> Path:
        """Write a PNG of the view at full detail, with provenance chunks, atomically.

        ``size`` (pixels) wins over ``scale`` (times the window size); see :meth:`capture`.
        """
        path = Path(path)
        if path.suffix.lower() != ".png":
            path = path.with_name(path.name + ".png")  # "view.2x" is not "view.png"
        if size is None and scale > 1:
            width, height = self.plotter.window_size
            size = (width * scale, height * scale)
        try:
            pixels, view = self.capture(size, transparent=transparent, progress=progress)
            assert self.scene is not None
            return save_picture(self.scene.project, path, pixels, view, overlays)
        finally:
            self.request_render()  # back to the interactive level of detail

    # -- shutdown --------------------------------------------------------------------
    def _close_scene(self) -> None:
        if self.scene is not None:
            scene, self.scene = self.scene, None
            scene.close()

    def shutdown(self) -> None:
        """Close the scene and the interactor (frees the GL context); idempotent."""
        if self._closed:
            return
        self._closed = True
        self._timer.stop()
        self._refine.stop()
        self._close_scene()
        self._colour_pool.shutdown(wait=True, cancel_futures=True)
        self.plotter.renderer.RemoveActor(self._hint)
        self.plotter.close()
        # pyvistaqt keeps its GL context's surface as a plain QSurface wrapper, which
        # shiboken cannot invalidate when Qt deletes the surface: a Qt object made later
        # at that address (a menu, a window) then comes back as that stale QSurface.
        # Forget the context with the interactor (pyvistaqt 0.13's own teardown helper).
        forget = getattr(self.plotter, "_forget_context", None)
        if forget is not None:
            forget()


def _hint_actor() -> vtkTextActor:
    """A centred, DPI-aware 2D text for the empty view."""
    actor = vtkTextActor()
    actor.SetTextScaleModeToNone()
    coord = actor.GetPositionCoordinate()
    coord.SetCoordinateSystemToNormalizedViewport()
    coord.SetValue(0.5, 0.5)
    prop = actor.GetTextProperty()
    prop.SetJustificationToCentered()
    prop.SetVerticalJustificationToCentered()
    prop.SetFontSize(20)
    prop.SetLineSpacing(1.4)
    prop.SetColor(0.23, 0.30, 0.38)
    actor.SetVisibility(False)
    actor.PickableOff()
    return actor
