"""Drag and drop onto the window: a project opens, data files are added as layers, and a
Twinscape screenshot (PNG with provenance) restores its camera and clock time."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData, QTimer
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent

from twinscape.io.formats import PROJECT, classify_path, is_screenshot_path
from twinscape.model.errors import TwinscapeError
from twinscape.ui.dialogs import show_error

if TYPE_CHECKING:
    from twinscape.ui.main_window import MainWindow


def dropped_paths(mime: QMimeData) -> list[Path]:
    """The local files in a drag's mime data."""
    if not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


@dataclass
class DropPlan:
    """What to do with dropped files."""

    project: Path | None = None
    data: list[Path] = field(default_factory=list)
    screenshot: Path | None = None
    errors: list[str] = field(default_factory=list)


def plan_drop(paths: list[Path]) -> DropPlan:
    """Sort dropped files: the first project is opened, data files added, the rest reported.

    A project replaces the scene, so when one is dropped the other files are
    not added to the project being closed.
    """
    plan = DropPlan()
    for path in paths:
        if path.is_dir():
            plan.errors.append(f"{path}: is a folder; drop the data files themselves")
            continue
        if plan.screenshot is None and is_screenshot_path(path):
            plan.screenshot = path
            continue
        try:
            kind = classify_path(path)
        except TwinscapeError as err:
            plan.errors.append(str(err))
            continue
        if kind != PROJECT:
            plan.data.append(path)
        elif plan.project is None:
            plan.project = path
        else:
            plan.errors.append(f"{path}: only one project can be opened at a time")
    if plan.project is not None and plan.data:
        names = ", ".join(p.name for p in plan.data)
        plan.errors.append(
            f"{names}: not added, because the project {plan.project.name} "
            "was opened instead; drop data files onto the open project"
        )
        plan.data = []
    return plan


class FileDropMixin:
    """Drag and drop onto a :class:`MainWindow` (mixed in before QMainWindow)."""

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        """Accept drags that carry local files."""
        if dropped_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        """Keep accepting file drags over the whole window."""
        if dropped_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self: MainWindow, event: QDropEvent) -> None:  # noqa: N802
        """A dropped project opens; dropped data files are added."""
        paths = dropped_paths(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        # handle after the drop returns, so a dialog does not block the drag source
        QTimer.singleShot(0, lambda: self.handle_dropped_paths(paths))

    def handle_dropped_paths(self: MainWindow, paths: list[Path]) -> None:
        """Open the project or add the data files among ``paths``; report the rest."""
        plan = plan_drop(paths)
        if plan.errors:
            show_error(
                self,
                "Cannot use dropped file" + ("s" if len(plan.errors) > 1 else ""),
                "\n".join(plan.errors),
            )
        if plan.project is not None:
            self.files.open_path(plan.project)
        elif plan.data:
            self.files.add_paths(plan.data)
        elif plan.screenshot is not None:
            self.files.restore_from_png(plan.screenshot)
