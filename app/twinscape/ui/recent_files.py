"""File > Open Recent: the last ten files opened or saved, kept in QSettings."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QMenu

ORGANIZATION = "Twinscape"
APPLICATION = "Twinscape"
MAX_RECENT = 10
_KEY = "recentFiles"


def app_settings() -> QSettings:
    """The user's Twinscape settings (the same store whatever the QApplication names are)."""
    return QSettings(ORGANIZATION, APPLICATION)


class RecentFiles(QObject):
    """The recent-files list and the submenu that shows it.

    Signals
    -------
    open_requested(object)
        A recent entry was chosen (a :class:`~pathlib.Path`).
    """

    open_requested = Signal(object)

    def __init__(self, menu: QMenu, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.menu = menu
        menu.aboutToShow.connect(self._populate)
        self._populate()

    def paths(self) -> list[Path]:
        """Most recent first."""
        value = app_settings().value(_KEY, [])
        if isinstance(value, str):  # QSettings returns a lone string for a one-item list
            value = [value]
        return [Path(v) for v in (value or []) if v]

    def add(self, path: str | os.PathLike[str]) -> None:
        """Put ``path`` first."""
        path = Path(path).resolve()
        entries = [p for p in self.paths() if p != path]
        entries.insert(0, path)
        self._store(entries[:MAX_RECENT])

    def remove(self, path: str | os.PathLike[str]) -> None:
        """Forget ``path`` (e.g. it no longer exists)."""
        path = Path(path).resolve()
        self._store([p for p in self.paths() if p != path])

    def clear(self) -> None:
        """Forget every entry."""
        self._store([])

    def _store(self, entries: list[Path]) -> None:
        settings = app_settings()
        settings.setValue(_KEY, [str(p) for p in entries])
        settings.sync()
        self._populate()

    def _populate(self) -> None:
        self.menu.clear()
        entries = self.paths()
        for number, path in enumerate(entries, start=1):
            prefix = f"&{number % 10} " if number <= 10 else ""
            action = self.menu.addAction(f"{prefix}{path.name}")
            action.setToolTip(str(path))
            action.setStatusTip(str(path))
            action.triggered.connect(lambda _checked=False, p=path: self.open_requested.emit(p))
        if not entries:
            empty = self.menu.addAction("No recent files")
            empty.setEnabled(False)
        self.menu.addSeparator()
        clear = self.menu.addAction("Clear Recent Files")
        clear.setEnabled(bool(entries))
        clear.triggered.connect(self.clear)
        self.menu.setToolTipsVisible(True)
