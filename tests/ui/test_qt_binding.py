"""The Qt binding keeps Python's reference counts: a long session must not abort.

PySide6 6.12.0 dropped one reference to ``True`` on every ``Signal.emit()``; after a few
thousand emits the interpreter aborts ("bool_dealloc"). pyproject.toml excludes it; this
test fails loudly if a binding with such a leak is installed again.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    plain = Signal()
    flag = Signal(bool)
    thing = Signal(object)


def test_emitting_signals_keeps_reference_counts(qapp) -> None:  # noqa: ANN001
    keep = [True] * 10_000 + [False] * 10_000  # a margin, should the binding be broken
    emitter = _Emitter()
    received: list[object] = []
    emitter.flag.connect(received.append)
    payload = object()
    before = sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(payload)
    for _ in range(1000):
        emitter.plain.emit()
        emitter.flag.emit(False)
        emitter.thing.emit(payload)
    received.clear()
    after = sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(payload)
    assert after == before, f"references (True, False, payload) {before} became {after}"
    del keep
