"""Fixtures for GUI tests: a real MainWindow on a real X server (Xvfb), real VTK rendering.

pyvistaqt's QtInteractor does not render on Qt's ``offscreen`` platform, so
these tests need an X server (``xvfb-run -a -s "-screen 0 1920x1080x24" pytest``,
as ``make test`` does); without one they are skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

if not os.environ.get("DISPLAY"):
    pytest.skip(
        "GUI tests need an X server: run them under xvfb-run (make test)", allow_module_level=True
    )
if os.environ.get("QT_QPA_PLATFORM", "xcb") != "xcb":
    # VTK's Qt widget does not render on the offscreen platform: use the X server
    os.environ["QT_QPA_PLATFORM"] = "xcb"

from PySide6.QtCore import QCoreApplication, QEvent, QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from ui_helpers import process_events, wait_for_task  # noqa: E402


# -- application-wide --------------------------------------------------------------------
@pytest.fixture(scope="session", autouse=True)
def _isolated_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Recent files, window layout and last folders go to a temporary folder."""
    folder = tmp_path_factory.mktemp("qsettings")
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(folder))
    yield folder


@pytest.fixture(scope="session")
def app(qapp: QApplication) -> QApplication:
    """pytest-qt's QApplication with Twinscape's names."""
    qapp.setOrganizationName("Twinscape")
    qapp.setApplicationName("Twinscape")
    qapp.setQuitOnLastWindowClosed(False)  # one QApplication serves every test
    return qapp


def _delete_later_now() -> None:
    for _ in range(3):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QApplication.processEvents()


def _top_levels() -> list[QWidget]:
    return [w for w in QApplication.topLevelWidgets() if not w.property("_ts_ignore")]


def close_window(window) -> None:  # noqa: ANN001 - MainWindow
    """Close without questions, let Qt delete it, and check its threads stopped."""
    import twinscape.ui.file_actions as file_actions
    from twinscape.ui.dialogs import SaveChoice

    saved = file_actions.ask_save_changes
    file_actions.ask_save_changes = lambda *_a, **_k: SaveChoice.DISCARD
    try:
        if not window._closed:
            assert window.close(), "the window refused to close"
        assert not window.loader.busy, "a load thread outlived the window"
        window.deleteLater()
        _delete_later_now()
    finally:
        file_actions.ask_save_changes = saved


class WindowFactory:
    """Builds main windows and cleans them up (leak check included)."""

    def __init__(self) -> None:
        self.windows: list = []
        self.before = set(map(id, _top_levels()))

    def __call__(self, path: Path | None = None, *, wait: bool = True):  # noqa: ANN204
        from twinscape.io.loading import DEMO_SCENE
        from twinscape.ui.main_window import MainWindow

        window = MainWindow(restore_layout=False)
        window.resize(1400, 900)
        window.show()
        self.windows.append(window)
        process_events(0.05)
        target = DEMO_SCENE if path is None else path
        if target:
            task = window.files.open_path(Path(target), ask=False)
            if wait:
                assert wait_for_task(task) == "finished", task.error
        return window

    def close_all(self) -> None:
        for window in self.windows:
            try:
                close_window(window)
            except RuntimeError:  # already deleted by the test
                pass
        self.windows.clear()
        leaked = [w for w in _top_levels() if id(w) not in self.before]
        names = [f"{type(w).__name__}({w.objectName()!r}, visible={w.isVisible()})" for w in leaked]
        assert not leaked, f"top-level widgets leaked: {names}"


@pytest.fixture
def make_main_window(app: QApplication, qtbot) -> Iterator[WindowFactory]:  # noqa: ANN001
    """Factory: ``make_main_window(path=None)`` opens the demo scene (or ``path``)."""
    factory = WindowFactory()
    yield factory
    factory.close_all()


@pytest.fixture
def main_window(make_main_window: WindowFactory):  # noqa: ANN201
    """A MainWindow showing the demo scene, loaded; closed (and leak-checked) afterwards."""
    return make_main_window()


@pytest.fixture(scope="module")
def module_windows(app: QApplication) -> Iterator[WindowFactory]:
    """Factory of windows shared by the tests of a module, closed after the module."""
    factory = WindowFactory()
    yield factory
    factory.close_all()


@pytest.fixture(scope="module")
def demo_window(app: QApplication) -> Iterator:
    """One demo-scene window shared by the tests of a module (they undo what they change)."""
    factory = WindowFactory()
    window = factory()
    yield window
    factory.close_all()


@pytest.fixture
def critical_messages(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Capture QMessageBox.critical calls instead of showing modal dialogs."""
    from PySide6.QtWidgets import QMessageBox

    captured: list[tuple[str, str]] = []

    def critical(_parent, title, text, *args, **kwargs):  # noqa: ANN001, ANN202
        captured.append((title, text))
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "critical", staticmethod(critical))
    return captured
