"""Small message dialogs shared by the window and its docks.

Every user-facing error goes through :func:`show_error`, so a failure shows
one line (``<path>: <problem>; <hint>``) and never a traceback; the line is worded,
quoted and capped as the command line's (:func:`~twinscape.model.errors.error_line`).
Work that failed in the background is told with :func:`show_notice`, which does not
block. Tests replace ``QMessageBox.critical`` or :func:`ask_save_changes` to answer
for the user.
"""

from __future__ import annotations

import logging
from enum import Enum
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QMessageBox, QWidget

from twinscape.geo.crs import normalize_crs
from twinscape.model.errors import TwinscapeError, error_line, one_line

log = logging.getLogger(__name__)


class SaveChoice(Enum):
    """The answer to "save your changes?"."""

    SAVE = "save"
    DISCARD = "discard"
    CANCEL = "cancel"


def error_text(err: BaseException) -> str:
    """One line for the user: Twinscape's own message (or an OS error's), or a bug's type."""
    if isinstance(err, TwinscapeError) or (isinstance(err, OSError) and err.strerror):
        return error_line(err)
    if isinstance(err, MemoryError):
        return "Out of memory; close other projects or use smaller files"
    text = str(err).strip()
    return one_line(f"Unexpected error ({type(err).__name__}){': ' + text if text else ''}")


def _message(err: BaseException | str) -> str:
    """``err`` as the text of a dialog: one capped line per line given (lists stay lists)."""
    if isinstance(err, BaseException):
        if not isinstance(err, TwinscapeError):
            log.error("unexpected error", exc_info=err)
        return error_text(err)
    lines = err.splitlines()[:20] or [""]
    return "\n".join(one_line(line) for line in lines)


def show_error(parent: QWidget | None, title: str, err: BaseException | str) -> None:
    """Show a modal critical message with one line; log unexpected errors with a traceback."""
    QMessageBox.critical(parent, title, _message(err))


def show_notice(
    parent: QWidget | None, title: str, err: BaseException | str, *, box: QMessageBox | None = None
) -> QMessageBox:
    """Show a warning that does not block (work that failed in the background); the box.

    Pass the ``box`` a previous notice returned to update it instead of stacking another.
    """
    if box is None:
        box = QMessageBox(parent)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.NonModal)
    box.setWindowTitle(title)
    box.setText(_message(err))
    box.show()
    return box


def ask_crs(parent: QWidget | None, path: Path, suggestion: str | None) -> str | None:
    """Ask which CRS a file without one is in; the answer, checked, or None."""
    text, ok = QInputDialog.getText(
        parent,
        "Coordinate reference system",
        f"\u201c{path.name}\u201d does not say which coordinate reference system it is in.\n"
        "Which CRS are its coordinates in? (an EPSG code, e.g. EPSG:32636)",
        text=suggestion or "EPSG:",
    )
    if not ok or not text.strip():
        return None
    try:
        return normalize_crs(text.strip())
    except ValueError as err:
        show_error(parent, "Unknown coordinate reference system", f"{text.strip()}: {err}")
        return None


def ask_save_changes(parent: QWidget | None, project_name: str) -> SaveChoice:
    """Ask whether to save ``project_name`` before it is closed or replaced."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Unsaved changes")
    box.setText(f"Save the changes to project \u201c{project_name}\u201d?")
    box.setInformativeText("Your changes will be lost if you don't save them.")
    box.setStandardButtons(
        QMessageBox.StandardButton.Save
        | QMessageBox.StandardButton.Discard
        | QMessageBox.StandardButton.Cancel
    )
    box.setDefaultButton(QMessageBox.StandardButton.Save)
    answer = box.exec()
    box.deleteLater()
    if answer == QMessageBox.StandardButton.Save:
        return SaveChoice.SAVE
    if answer == QMessageBox.StandardButton.Discard:
        return SaveChoice.DISCARD
    return SaveChoice.CANCEL


def show_warnings(parent: QWidget | None, title: str, warnings: list[str]) -> QMessageBox | None:
    """Show non-fatal messages (e.g. unknown keys in a project file) without blocking."""
    if not warnings:
        return None
    warnings = [one_line(w) for w in warnings]
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    count = len(warnings)
    box.setText(f"{count} warning{'s' if count != 1 else ''} while loading.")
    box.setInformativeText(warnings[0] if count == 1 else "See the details below.")
    if count > 1:
        box.setDetailedText("\n".join(warnings))
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setWindowModality(Qt.WindowModality.NonModal)
    box.show()
    return box
