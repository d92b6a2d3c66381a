"""Edit > Undo and Redo: model commands (model/commands.py) on one QUndoStack per window.

A model command is a plain object with ``text``, ``redo()`` and ``undo()``; :class:`UndoStack`
wraps each in a ``QUndoCommand`` so Qt's stack gives the menu texts, the shortcuts
(Ctrl+Z, Ctrl+Shift+Z) and the clean state. A command that fails when first applied
(an invalid edit) raises and is not pushed, so the stack never holds an edit that did
not happen.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence, QUndoCommand, QUndoStack


class ModelCommand(Protocol):
    """What :meth:`UndoStack.push` accepts (see model/commands.py)."""

    @property
    def text(self) -> str: ...

    def redo(self) -> None: ...

    def undo(self) -> None: ...


class _Wrapped(QUndoCommand):
    """A model command as a QUndoCommand; the first redo already happened in push()."""

    def __init__(self, command: ModelCommand) -> None:
        super().__init__(command.text)
        self.command = command
        self._applied = True

    def redo(self) -> None:
        if self._applied:  # QUndoStack.push calls redo(): the edit was applied already
            self._applied = False
            return
        self.command.redo()

    def undo(self) -> None:
        self.command.undo()


class UndoStack(QObject):
    """The window's undo history of model edits."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.stack = QUndoStack(self)
        self.undo_action: QAction = self.stack.createUndoAction(self, "&Undo")
        self.redo_action: QAction = self.stack.createRedoAction(self, "&Redo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action.setShortcuts(
            [QKeySequence("Ctrl+Shift+Z"), QKeySequence(QKeySequence.StandardKey.Redo)]
        )
        for action in (self.undo_action, self.redo_action):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)

    def push(self, command: ModelCommand) -> None:
        """Apply ``command`` and record it; an exception leaves the stack unchanged."""
        command.redo()
        self.stack.push(_Wrapped(command))

    def undo(self) -> None:
        """Undo the last edit (nothing when there is none)."""
        self.stack.undo()

    def redo(self) -> None:
        """Redo the last undone edit."""
        self.stack.redo()

    def clear(self) -> None:
        """Forget the history (a new project)."""
        self.stack.clear()

    def can_undo(self) -> bool:
        """True when there is an edit to undo."""
        return self.stack.canUndo()

    def can_redo(self) -> bool:
        """True when there is an edit to redo."""
        return self.stack.canRedo()
