"""Levels of detail per frame for :class:`~twinscape.render.scene.SceneView` (a mixin).

Before every render (the renderer's ``StartEvent``) each visual picks its levels: a
coarse tolerance while the user drags the camera, within the frame budget and without
multisampling (:mod:`~twinscape.render.frame_pacing`); a fine one when the view is
still; the finest after :meth:`SceneLod.settle` until the camera moves.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from vtkmodules.vtkRenderingCore import vtkRenderer

from twinscape.render.frame_pacing import FrameBudget, MovingQuality


class SceneLod:
    """Level-of-detail choice and frame pacing of :class:`~twinscape.render.scene.SceneView`."""

    renderer: vtkRenderer
    visuals: dict[int, Any]
    budget: FrameBudget
    quality: MovingQuality
    interacting: bool
    interactive_tolerance_px: float
    settled_tolerance_px: float
    _background: bool
    _dragging: bool
    _settle: tuple[float, tuple] | None
    _timed: bool
    _held: bool  # the last frame's budget kept the terrain coarser than it asked
    _frame_started: float | None
    _camera_key: Callable[[], tuple]  # the camera's state (SceneCamera)

    def _on_start_interaction(self, *_: Any) -> None:
        self._dragging = True

    def _on_end_interaction(self, *_: Any) -> None:
        self._dragging = False

    def _is_interacting(self) -> bool:
        """Explicitly (``self.interacting``, for scripts) or while a mouse drag is on.

        During a drag VTK's interactor styles raise the window's desired update rate
        and drop it to the still rate *before* the drag's last render, which comes
        before ``EndInteractionEvent``; so the rate decides, and that last frame is
        already drawn at the settled tolerance.
        """
        if self.interacting:
            return True
        window = self.renderer.GetRenderWindow()
        iren = window.GetInteractor()
        still = iren.GetStillUpdateRate() if iren is not None else 0.001
        rate = window.GetDesiredUpdateRate()
        return rate > max(still, 1.0) or (self._dragging and rate > still)

    def tolerance_px(self) -> float:
        """The screen-space error the next frame is drawn with."""
        if self._is_interacting():
            self._settle = None
            return self.interactive_tolerance_px
        if self._settle is not None:
            tol, key = self._settle
            if key == self._camera_key():
                return tol
            self._settle = None
        return self.settled_tolerance_px

    def update_lod(self, tolerance_px: float | None = None) -> bool:
        """Let every visual choose its levels for the camera; True for a moving frame.

        A moving frame holds :attr:`budget` and builds in the background (visuals with
        ``refine_lod``), so does a still one (within the budget's
        ``settled_limit``) when ``on_update`` asks for the renders that show the builds;
        else (or given ``tolerance_px``: screenshots) every level is built now. Moving
        frames (and still ones while levels load) are drawn without multisampling
        (:attr:`quality`), and every visual takes
        the tolerance the budget raised the terrain's to (buildings turn to points sooner);
        on a slow renderer, visuals with ``fit_lod`` share the budget's
        :meth:`~twinscape.render.frame_pacing.FrameBudget.others_allowance` too.
        """
        moving = tolerance_px is None and self._is_interacting()
        tol = self.tolerance_px() if tolerance_px is None else tolerance_px
        background = tolerance_px is None and (moving or self._background)
        # a settled view (settle(), until the camera moves) keeps all its detail
        budget = self.budget.limit if moving else None
        if not moving and self._settle is None:
            budget = self.budget.settled_limit
        self._timed = moving or (background and self._settle is None)
        height = self.renderer.GetSize()[1] or self.renderer.GetRenderWindow().GetSize()[1]
        camera = self.renderer.GetActiveCamera()
        # terrain first: the tolerance a moving frame's budget raised it to holds for all
        raised, ground, held = tol, 0, False
        grounds = [v for v in self.visuals.values() if hasattr(v, "refine_lod")]
        others = [v for v in self.visuals.values() if not hasattr(v, "refine_lod")]
        for visual in grounds:
            if not background:
                visual.update_lod(camera, height, raised)
                continue
            visual.refine_lod(camera, height, tol, budget=budget, moving=moving)
            held |= bool(visual.layer.visible and visual.chosen_tolerance_px > 1.01 * tol)
            if moving and visual.layer.visible:  # a hidden one chose nothing this frame
                raised = max(raised, visual.chosen_tolerance_px * self.budget.coarsen)
                ground += visual.triangles
        # then the others; on a slow renderer within a share of the terrain's triangles
        self._held = held
        allowance = self.budget.others_allowance(ground) if moving else None
        drawn = 0.0
        for visual in others:
            fit = getattr(visual, "fit_lod", None)
            if fit is None or allowance is None:
                visual.update_lod(camera, height, raised)
            else:
                drawn += fit(camera, height, raised, budget=max(allowance - drawn, 0))
        if allowance is not None and not self._picking():
            self.budget.record_share(drawn, allowance)
        return moving

    def _picking(self) -> bool:
        """True during a hardware selector's passes: they set their own samples, not frames."""
        return self.renderer.GetSelector() is not None

    def _before_frame(self, *_: Any) -> None:
        self._frame_started = time.perf_counter()  # the budget counts choosing levels too
        if not self._picking():  # still frames while levels load are passing frames too
            self.quality.apply(self._is_interacting() or self.refining())

    def _before_render(self, *_: Any) -> None:
        moving = self.update_lod()
        self.renderer.ResetCameraClippingRange()
        if self._picking():
            self.budget.start(False)  # not a frame on screen: not timed
            return
        # a still frame is learnt from once the view is built: frames while reads and
        # builds land are slow for their uploads, not for what the view draws
        still = self._timed and not moving and not self.refining()
        still_view = self._camera_key() if still else None
        self.budget.start(moving, still_view, at=self._frame_started)

    def _after_render(self, *_: Any) -> None:
        # the budget limits the terrain: whether a frame used it is the terrain's count
        self.budget.stop(self.ground_triangles(), held=self._held)

    def wants_refinement(self) -> bool:
        """True when the still view is coarser than the settled tolerance because the still
        budget held the terrain after it shrank (frames were slow, e.g. under load) and the
        last still frame was fast: another one may grow the budget back. A viewport draws
        it when idle, so a view left alone regains its detail; nothing asks for more
        frames once they are slow, the budget is back or the terrain at the settled
        tolerance."""
        if self._is_interacting() or self._settle is not None:
            return False
        return self._held and self.budget.still_fast and self.budget.still_recovering

    def refining(self) -> bool:
        """True while a visual builds levels in the background or waits for them."""
        return any(v.refining() for v in self.visuals.values() if hasattr(v, "refining"))

    def settle(self, tolerance_px: float = 1.0) -> None:
        """Select and build the levels a screenshot needs (kept until the camera moves).

        Colours and tiles still being computed in the background are waited for
        (built now).
        """
        for visual in self.visuals.values():
            visual.apply_pending_colours(wait=True)
        self._settle = (tolerance_px, self._camera_key())
        self.update_lod(tolerance_px)
        self.renderer.ResetCameraClippingRange()

    def triangles(self) -> int:
        """Triangles drawn by all visuals inside the view frustum."""
        return sum(getattr(v, "triangles", 0) for v in self.visuals.values())

    def ground_triangles(self) -> int:
        """Triangles drawn inside the view frustum by the visuals the budget limits (those
        that ``refine_lod``: the terrain)."""
        return sum(v.triangles for v in self.visuals.values() if hasattr(v, "refine_lod"))
