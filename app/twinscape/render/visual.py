"""What SceneView expects of a layer's visual (every kind's visual implements it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
from vtkmodules.vtkRenderingCore import vtkRenderer

from twinscape.geo.origin import LocalOrigin
from twinscape.model.layers import Layer


class LayerVisual(Protocol):
    """The interface of a visual: one or a few VTK actors drawing one layer.

    A visual is created as ``Visual(layer, renderer, origin, colour_executor=...,
    on_update=...)`` on the GUI thread, follows its layer's events itself, and is
    dropped with :meth:`close`.
    """

    layer: Layer
    actors: list[Any]

    @property
    def ve(self) -> float:
        """Vertical exaggeration the visual is drawn with."""

    @property
    def triangles(self) -> int:
        """Triangles drawn in the last frame."""

    def restack(self) -> None:
        """Re-add the actors (drawing order follows the layer order)."""

    def set_origin(self, origin: LocalOrigin) -> None:
        """Re-place everything for a new project origin."""

    def set_exaggeration(self, ve: float) -> None:
        """Follow the exaggeration of the ground (visuals of ground layers ignore it)."""

    def update_lod(self, camera: Any, viewport_h_px: float, tolerance_px: float) -> Any:
        """Choose levels of detail for the camera (before every render)."""

    def apply_pending_colours(self, *, wait: bool = False) -> Any:
        """Show colours computed in the background (``wait``: for a screenshot)."""

    def bounds_render(self) -> np.ndarray | tuple | None:
        """[xmin, xmax, ymin, ymax, zmin, zmax] in render coordinates, or None."""

    def row_of_cell(self, actor: Any, cell_id: int) -> int | None:
        """The feature row a picked cell of one of this visual's actors belongs to."""

    def set_highlight(self, rows: list[int]) -> None:
        """Draw these feature rows as selected."""

    def close(self) -> None:
        """Remove the actors and disconnect from the layer."""

    # Optional: a visual that shows data in time defines
    #     def set_time(self, time_ns: int) -> None
    # and SceneView calls it whenever the project clock moves (and once when created).


def renderer_of(renderer: Any) -> vtkRenderer:
    """The ``vtkRenderer`` of a renderer or of a pyvista ``Plotter``/``QtInteractor``."""
    if isinstance(renderer, vtkRenderer):
        return renderer
    inner = getattr(renderer, "renderer", None)
    if isinstance(inner, vtkRenderer):
        return inner
    raise TypeError(f"need a vtkRenderer or a pyvista Plotter, got {type(renderer).__name__}")


class ActorsInRenderer:
    """Renderer membership of a visual's :attr:`actors` (``self.renderer``, ``self.actors``).

    A visual whose props are not all in ``actors`` (e.g. a 2-D label actor) overrides
    :meth:`_attach` and :meth:`_detach`.
    """

    renderer: vtkRenderer
    actors: list[Any]

    def _attach(self) -> None:
        for actor in self.actors:
            self.renderer.AddActor(actor)

    def _detach(self) -> None:
        for actor in self.actors:
            self.renderer.RemoveActor(actor)

    def restack(self) -> None:
        """Re-add the actors at the end of the renderer's list (drawn after the others)."""
        self._detach()
        self._attach()


class ScaledWithGround:
    """Vertical exaggeration as the z scale of every actor in :attr:`actors`.

    For visuals whose geometry stands on the ground in true metres (buildings, placed
    assets): exaggerating scales their render z like the terrain's, nothing is rebuilt.
    """

    _ve: float = 1.0
    actors: list[Any]

    @property
    def ve(self) -> float:
        """Vertical exaggeration (the actors' z scale)."""
        return self._ve

    def set_exaggeration(self, ve: float) -> None:
        """Scale render z by ``ve`` as the terrain does (nothing is rebuilt)."""
        self._ve = float(ve)
        self._apply_scale()

    def _apply_scale(self) -> None:
        for actor in self.actors:
            actor.SetScale(1.0, 1.0, self._ve)


#: A signal and the slot connected to it.
Connection = tuple[Any, Callable[..., Any]]


class Connections:
    """The (signal, slot) pairs an object connected, so that it can drop them all.

    The object keeps ``self._connections`` (and any other lists it passes as ``into``).
    """

    _connections: list[Connection]

    def _connect(
        self, signal: Any, slot: Callable[..., Any], into: list[Connection] | None = None
    ) -> None:
        """Connect ``slot`` to ``signal`` and remember the pair (in ``into``, else the object's)."""
        signal.connect(slot)
        (self._connections if into is None else into).append((signal, slot))

    @staticmethod
    def _disconnect(connections: list[Connection]) -> None:
        """Disconnect every pair of ``connections`` and forget them."""
        for signal, slot in connections:
            signal.disconnect(slot)
        connections.clear()

