"""Run slow loads off the GUI thread, with progress and cancel.

A job is a plain function ``fn(*, progress, cancelled) -> result`` (for example
``io.loading.open_project`` or ``load_terrain``); it never touches Qt or VTK.
It runs on a :class:`QThread`; its result comes back through the
:class:`LoadTask` signals, which are delivered on the GUI thread, where the
caller applies it to the model.

Cancelling sets a flag that the job's ``cancelled()`` polls; the reader then
raises :class:`~twinscape.model.errors.LoadCancelled`. A result that arrives
after the user pressed Cancel is dropped too, so Cancel always means
"nothing changes".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from numbers import Real
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import QProgressDialog, QWidget

from twinscape.model.errors import LoadCancelled

log = logging.getLogger(__name__)

Job = Callable[..., Any]
_STEPS = 1000


def progress_fraction(*args: Any) -> float | None:
    """Interpret a reader's progress call as a 0..1 fraction.

    Accepts ``(fraction)``, ``(done, total)``, ``(fraction, message)`` and
    percentages above 1.
    """
    numbers = [a for a in args if isinstance(a, Real) and not isinstance(a, bool)]
    if len(numbers) >= 2 and numbers[1] > 0:
        value = float(numbers[0]) / float(numbers[1])
    elif numbers:
        value = float(numbers[0])
        if value > 1.0:
            value /= 100.0
    else:
        return None
    return min(max(value, 0.0), 1.0)


class _Worker(QObject):
    """Runs one job on the worker thread; only emits signals, touches nothing else."""

    progressed = Signal(float, str)
    succeeded = Signal(object)
    errored = Signal(object)
    stopped = Signal()
    done = Signal()

    def __init__(self, job: Job, flag: threading.Event) -> None:
        super().__init__()
        self._job = job
        self._flag = flag
        self._last = -1.0

    def _progress(self, *args: Any) -> None:
        fraction = progress_fraction(*args)
        message = next((a for a in args if isinstance(a, str)), "")
        if fraction is None and not message:
            return
        if fraction is not None and message == "" and abs(fraction - self._last) < 0.005:
            return  # do not flood the GUI thread's event queue
        if fraction is not None:
            self._last = fraction
        self.progressed.emit(-1.0 if fraction is None else fraction, message)

    @Slot()
    def run(self) -> None:
        try:
            result = self._job(progress=self._progress, cancelled=self._flag.is_set)
        except LoadCancelled:
            self.stopped.emit()
        except BaseException as err:  # noqa: BLE001 - reported to the user on the GUI thread
            if self._flag.is_set():
                self.stopped.emit()
            else:
                self.errored.emit(err)
        else:
            if self._flag.is_set():
                self.stopped.emit()
            else:
                self.succeeded.emit(result)
        self.done.emit()


class LoadTask(QObject):
    """One running job, as seen from the GUI thread.

    Signals
    -------
    progress(float)
        0..1.
    finished(object)
        The job's result (GUI thread).
    failed(object)
        The exception the job raised.
    cancelled()
        The user cancelled; nothing changed.
    done()
        After any of the three above.
    """

    progress = Signal(float)
    finished = Signal(object)
    failed = Signal(object)
    cancelled = Signal()
    done = Signal()
    ended = Signal(object)  # internal: tells the Loader to clean up

    def __init__(self, label: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.label = label
        self.flag = threading.Event()
        self.outcome: str | None = None  # "finished" | "failed" | "cancelled"
        self.result: Any = None
        self.error: BaseException | None = None
        self.dialog: QProgressDialog | None = None

    @property
    def running(self) -> bool:
        """True until the job has ended one way or another."""
        return self.outcome is None

    def cancel(self) -> None:
        """Ask the job to stop; :attr:`cancelled` follows once it has."""
        self.flag.set()
        if self.dialog is not None:
            self.dialog.setLabelText(f"Cancelling \u2014 {self.label}")

    @Slot(float, str)
    def _on_progress(self, fraction: float, message: str) -> None:
        if self.dialog is not None and not self.flag.is_set():
            if fraction >= 0:
                self.dialog.setValue(int(fraction * _STEPS))
            if message:
                self.dialog.setLabelText(f"{self.label}\n{message}")
        if fraction >= 0:
            self.progress.emit(fraction)

    @Slot(object)
    def _on_success(self, result: Any) -> None:
        if self.outcome is not None:
            return
        self.outcome, self.result = "finished", result
        self._close_dialog()
        self.finished.emit(result)

    @Slot(object)
    def _on_error(self, err: BaseException) -> None:
        if self.outcome is not None:
            return
        self.outcome, self.error = "failed", err
        self._close_dialog()
        self.failed.emit(err)

    @Slot()
    def _on_done(self) -> None:
        self.ended.emit(self)

    @Slot()
    def _on_stopped(self) -> None:
        if self.outcome is not None:
            return
        self.outcome = "cancelled"
        self._close_dialog()
        self.cancelled.emit()

    def _close_dialog(self) -> None:
        if self.dialog is not None:
            self.dialog.canceled.disconnect(self.cancel)
            self.dialog.reset()
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None


class Loader(QObject):
    """Starts jobs on worker threads and keeps them alive until they end.

    Signals
    -------
    busy_changed(bool)
        True while at least one job runs.
    """

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._running: dict[LoadTask, tuple[QThread, _Worker]] = {}

    @property
    def busy(self) -> bool:
        """True while a job runs."""
        return bool(self._running)

    @property
    def tasks(self) -> list[LoadTask]:
        """The jobs still running."""
        return list(self._running)

    def submit(
        self,
        job: Job,
        *,
        label: str,
        dialog_parent: QWidget | None = None,
        min_duration_ms: int = 400,
    ) -> LoadTask:
        """Run ``job(progress=..., cancelled=...)`` on a new thread.

        Parameters
        ----------
        job
            Pure function; must not touch Qt widgets or VTK.
        label
            What is being done, shown in the progress dialog.
        dialog_parent
            Window the progress dialog belongs to; None shows no dialog.
        min_duration_ms
            The dialog appears only when the job takes longer than this.
        """
        task = LoadTask(label, self)
        if dialog_parent is not None:
            task.dialog = _progress_dialog(label, dialog_parent, min_duration_ms)
            task.dialog.canceled.connect(task.cancel)
        thread = QThread(self)
        thread.setObjectName(f"twinscape-load: {label}")
        worker = _Worker(job, task.flag)
        worker.moveToThread(thread)
        conn = Qt.ConnectionType.QueuedConnection
        worker.progressed.connect(task._on_progress, conn)
        worker.succeeded.connect(task._on_success, conn)
        worker.errored.connect(task._on_error, conn)
        worker.stopped.connect(task._on_stopped, conn)
        worker.done.connect(task._on_done, conn)
        worker.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(worker.deleteLater, Qt.ConnectionType.DirectConnection)
        thread.started.connect(worker.run)
        task.ended.connect(self._cleanup)
        self._running[task] = (thread, worker)
        if len(self._running) == 1:
            self.busy_changed.emit(True)
        thread.start()
        return task

    @Slot(object)
    def _cleanup(self, task: LoadTask) -> None:
        entry = self._running.pop(task, None)
        if entry is not None:
            thread, _worker = entry
            thread.wait()  # the worker has returned; the thread is about to end
            thread.deleteLater()
        if task.outcome is None:  # shut down before the outcome arrived
            task.outcome = "cancelled"
        task._close_dialog()
        task.done.emit()
        task.deleteLater()
        if entry is not None and not self._running:
            self.busy_changed.emit(False)

    def cancel_all(self) -> None:
        """Ask every running job to stop."""
        for task in self._running:
            task.cancel()

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Cancel every job and wait for the threads (before the window closes)."""
        self.cancel_all()
        for task, (thread, _worker) in list(self._running.items()):
            if not thread.wait(timeout_ms):
                log.warning("load %r did not stop within %d ms", task.label, timeout_ms)
        for task in list(self._running):
            self._cleanup(task)


def _progress_dialog(label: str, parent: QWidget, min_duration_ms: int) -> QProgressDialog:
    dialog = QProgressDialog(label, "Cancel", 0, _STEPS, parent)
    dialog.setWindowTitle("Twinscape")
    # Not modal: a modal QProgressDialog runs the event loop inside setValue(), so the
    # load's own "finished" could run (and delete the task) in the middle of its progress
    # slot. The window disables what must wait while the loader is busy instead.
    dialog.setWindowModality(Qt.WindowModality.NonModal)
    dialog.setMinimumDuration(min_duration_ms)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.setMinimumWidth(420)
    dialog.setValue(0)
    return dialog
