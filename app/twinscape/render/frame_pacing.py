"""How much a frame may draw, and how smoothly: the triangle budget and anti-aliasing while moving.

:class:`FrameBudget` steers the triangles the terrain may draw by the drawing time of
recent frames, one budget for moving frames and one for still ones (a still view in the
GUI is redrawn too: for the clock, a hover, a build landing). :class:`MovingQuality`
draws moving frames without multisampling and puts it back for the still frame, as
viewports that accumulate anti-aliasing once the view stops do: on a software renderer
multisampling costs more than the terrain's triangles (llvmpipe, 1280 x 720: an empty
frame 12 ms without, 35-45 ms with 4 samples).
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

#: A moving frame aims at this many seconds (20 frames a second).
MOVING_S = 1 / 20
#: A still frame in the GUI aims at this many seconds.
SETTLED_S = 1 / 8
#: Most a budget grows in one step, and most it shrinks (as a divisor).
GROW, SHRINK = 1.25, 1.4
#: Still frames in a row far under their time after which the still budget grows again.
FAST_FRAMES_TO_GROW = 3
#: A still frame "far under its time" takes less than this share of it; while the
#: still budget is below where it started (:attr:`FrameBudget.still_recovering`), less
#: than the second: a step of :data:`GROW` from there stays under the time that shrinks
#: it (0.7 x 1.25 < 1.1), and on a slow software renderer (2 cores, llvmpipe) a still
#: frame of a held view takes about 0.4-0.55 of its time, so half would be a coin toss.
FAST_SHARE, RECOVERING_FAST_SHARE = 0.5, 0.7
#: Most the other visuals' tolerance is multiplied by when the terrain has nothing left to drop.
MAX_COARSEN = 8.0
#: Moving frames slower than this (a software renderer) hold the visuals other than the
#: terrain (buildings) to an allowance; they are free again under 0.7 times it.
SHARING_ABOVE_S = 1 / 50
#: While sharing, the other visuals may draw this share of the terrain's triangles plus
#: :data:`FIXED_TRIANGLES`, the empty frame's cost counted in terrain triangles. Measured
#: on llvmpipe at 1280 x 720 (town close-up): an empty frame 7.8 ms, the terrain's 67,584
#: triangles 9.2 ms more, 34,116 building triangles 5.5 ms more. A building triangle
#: costs about 1.5 terrain ones and points cost Python time each frame, so a share of 0.1
#: in triangles adds about a quarter to the frame the terrain alone takes (22 ms against
#: 17 ms at the close-up of a 10,000-building town).
OTHERS_SHARE = 0.1
FIXED_TRIANGLES = 60_000
#: While the other visuals draw more than their allowance even at the coarsest levels
#: they may choose (a dense city close up), moving frames aim at this many seconds: the
#: terrain, mostly hidden behind the buildings then, gives way.
CROWDED_S = 1 / 30


@dataclass
class FrameBudget:
    """Triangles the next frame may draw, moving or still, steered by recent drawing times.

    Moving frames: after each one, the budget is scaled by ``moving_s`` over the median
    of the last three moving frames (at most :data:`GROW` up, :data:`SHRINK` down a
    frame); it grows only when the frame used most of it (a frame that needed fewer
    triangles says nothing of more). When it is down to ``min_triangles`` and moving
    frames are still slow, :attr:`coarsen` (the factor on the tolerance of everything
    else drawn, e.g. buildings) grows by sqrt(2) a frame, up to :data:`MAX_COARSEN`, and
    falls back as frames get fast again. While moving frames are slower than
    :data:`SHARING_ABOVE_S` (:attr:`sharing`), the other visuals get a triangle
    allowance as well (:meth:`others_allowance`): a frame at the time target could
    otherwise rest with buildings costing twice the terrain. When they draw more than
    it even so (:meth:`record_share`, :attr:`crowded`), moving frames aim at
    :data:`CROWDED_S` instead of ``moving_s``.

    Still frames (:meth:`start` with ``moving`` False and a ``view``): the still budget
    shrinks while a frame of the view takes longer than ``settled_s``, and grows once
    per view when a frame of it was fast and used most of it, or again after
    :data:`FAST_FRAMES_TO_GROW` frames in a row far under their time (:data:`FAST_SHARE`;
    :data:`RECOVERING_FAST_SHARE` while it is below where it started) (so slow frames
    while builds landed do not keep a view coarse), so a still view settles instead of
    swinging between levels.
    Both stay within ``min_triangles .. max_triangles``. Screenshots have no bound.
    ``fixed`` (scripts, tests) replaces the moving budget; the still one is then
    ``settled_factor`` times it.
    """

    moving_s: float = MOVING_S
    settled_s: float = SETTLED_S
    triangles: int = 150_000
    settled_triangles: int = 450_000
    min_triangles: int = 20_000
    max_triangles: int = 2_000_000
    fixed: int | None = None
    settled_factor: float = 3.0
    coarsen: float = 1.0
    sharing: bool = False
    crowded: bool = False
    #: The last still frame was fast enough to count towards growing the still budget.
    still_fast: bool = False
    _recent: deque[float] = field(default_factory=lambda: deque(maxlen=3))
    _started: float | None = None
    _moving: bool = False
    _view: Any = None
    _grown_for: Any = None
    _fast: int = 0  # still frames running far under their time
    _recover_to: int = 0  # the still budget it started with (set after init)

    def __post_init__(self) -> None:
        self._recover_to = self.settled_triangles

    @property
    def still_recovering(self) -> bool:
        """True while the still budget is below where it started (it shrank while frames
        were slow): a still frame the budget held grows it back when fast."""
        return self.fixed is None and self.settled_triangles < self._recover_to

    @property
    def limit(self) -> int:
        """The triangles the next moving frame may draw."""
        return self.triangles if self.fixed is None else self.fixed

    @property
    def settled_limit(self) -> int:
        """The triangles a still frame in the GUI may draw."""
        if self.fixed is not None:
            return int(self.fixed * self.settled_factor)
        return self.settled_triangles

    def start(self, moving: bool, view: Any = None, at: float | None = None) -> None:
        """A frame started (``at``, ``time.perf_counter``; default now): time it if
        ``moving`` or still with a ``view`` key."""
        timed = moving or view is not None
        self._started = (time.perf_counter() if at is None else at) if timed else None
        self._moving, self._view = moving, view

    def stop(self, triangles: int, *, held: bool = False) -> None:
        """The frame :meth:`start` ed is drawn, with ``triangles`` (``held``: the budget
        kept it coarser than it wanted; still frames learn from that): learn from it."""
        if self._started is None:
            return
        seconds = time.perf_counter() - self._started
        self._started = None
        if self._moving:
            self.record(seconds, triangles)
        else:
            self.record_still(seconds, triangles, self._view, held=held)

    def record(self, seconds: float, triangles: int) -> None:
        """Learn from one moving frame that drew ``triangles`` in ``seconds``."""
        if self.fixed is not None:
            return  # scripts and tests chose the budget: nothing to learn
        self._recent.append(seconds)
        typical = sorted(self._recent)[len(self._recent) // 2]
        target = self.target_s
        step = min(max(target / max(typical, 1e-6), 1 / SHRINK), GROW)
        if typical > SHARING_ABOVE_S:
            self.sharing = True
        elif typical < 0.7 * SHARING_ABOVE_S:
            self.sharing = self.crowded = False
        if typical > 1.1 * target and self.triangles <= self.min_triangles:
            self.coarsen = min(self.coarsen * math.sqrt(2.0), MAX_COARSEN)
        elif typical < 0.8 * target:
            self.coarsen = max(self.coarsen / math.sqrt(2.0), 1.0)
        if step > 1 and triangles < 0.8 * self.triangles:
            return  # the view needed fewer: no news about more
        self.triangles = self._clip(self.triangles * step)

    def others_allowance(self, ground_triangles: int) -> int | None:
        """Triangles the visuals other than the terrain may draw in a moving frame whose
        terrain draws ``ground_triangles`` (None: no bound, frames are fast)."""
        if not self.sharing or self.fixed is not None:
            return None
        return int(OTHERS_SHARE * (ground_triangles + FIXED_TRIANGLES))

    def record_share(self, drawn: float, allowance: int) -> None:
        """The other visuals of a moving frame drew ``drawn`` triangles against their
        :meth:`others_allowance` ``allowance``: crowded above it, no more under 0.8 of it."""
        if drawn > allowance:
            self.crowded = True
        elif drawn < 0.8 * allowance:
            self.crowded = False

    @property
    def target_s(self) -> float:
        """Seconds the next moving frame aims at."""
        return CROWDED_S if self.sharing and self.crowded else self.moving_s

    def record_still(
        self, seconds: float, triangles: int, view: Any, *, held: bool = False
    ) -> None:
        """Learn from one still frame of ``view`` (any key that changes with the camera;
        ``held``: the budget kept it coarser than it wanted, so while
        :attr:`still_recovering` it used the budget even when the level that fits draws
        well under it; beyond, only frames that draw most of it grow it)."""
        fast = (RECOVERING_FAST_SHARE if self.still_recovering else FAST_SHARE) * self.settled_s
        self.still_fast = seconds < fast
        if seconds > 1.1 * self.settled_s:
            step = max(self.settled_s / seconds, 1 / SHRINK)
            self.settled_triangles = self._clip(self.settled_triangles * step)
            self._fast = 0
            return
        used = triangles >= 0.8 * self.settled_triangles or (held and self.still_recovering)
        if seconds < 0.7 * self.settled_s and used and view != self._grown_for:
            self._grown_for, self._fast = view, 0
            self.settled_triangles = self._clip(self.settled_triangles * GROW)
            return
        # far under its time a few frames running (after a spell of slow ones, e.g. while
        # builds landed): grow back, with room enough that growing cannot make it slow
        self._fast = self._fast + 1 if seconds < fast and used else 0
        if self._fast >= FAST_FRAMES_TO_GROW:
            self._fast = 0
            self.settled_triangles = self._clip(self.settled_triangles * GROW)

    def _clip(self, triangles: float) -> int:
        return int(min(max(triangles, self.min_triangles), self.max_triangles))


class MovingQuality:
    """Multisampling off for passing frames (moving, or still while levels load), back to
    what it was for the frame that stays on screen.

    Call :meth:`apply` before the render window sets up its frame (its ``StartEvent``):
    the window's framebuffers follow ``SetMultiSamples`` from that frame on.
    """

    def __init__(self, window: Any) -> None:
        self.window = window
        self._samples: int | None = None  # the window's own samples while moving

    @property
    def moving(self) -> bool:
        """True while moving frames are drawn without multisampling."""
        return self._samples is not None

    def apply(self, moving: bool) -> None:
        """Draw the next frame for a moving (no multisampling) or still camera."""
        if moving and self._samples is None:
            samples = int(self.window.GetMultiSamples())
            if samples > 0:
                self._samples = samples
                self.window.SetMultiSamples(0)
        elif not moving and self._samples is not None:
            self.window.SetMultiSamples(self._samples)
            self._samples = None
