"""Running a numpy function over pieces of a grid on all cores (numpy releases the GIL)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def on_all_cores(fn: Callable[[T], object], items: Sequence[T]) -> None:
    """Call ``fn`` on every item, on all cores when there are several.

    A single item runs on the calling thread: a paged terrain node is one tile and one
    strip, and its reader thread needs no pool of its own (starting one cost more than
    the work).
    """
    if len(items) <= 1:
        for item in items:
            fn(item)
        return
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(fn, items))
